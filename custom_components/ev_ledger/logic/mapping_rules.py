"""The rules behind the mapping proposal: one table of scores per role.

Each role has a specification (which domains, device classes and units qualify) and a
list of (score, check) rows; a check that applies contributes its score and becomes a
human-readable reason. `mapping.py` applies the table; this module is the table.

Some rows apply to one kind of device only: on a wallbox a bare "Status" is the
charging state, on a car it could be anything. Ties between candidates are broken by
meaning here (the first phase before the others, a measured power before a calculated
one, an electric range before a "cruising" one), never by the order of entity ids.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
import re
from typing import TYPE_CHECKING

from . import vocab
from .model import ChargeState, Role

if TYPE_CHECKING:
    from .mapping import EntityInfo

# Entities scoring at least this much are proposed; below it they are only listed.
MIN_SCORE = 20


# Facts and checks ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Facts:
    """An entity plus its normalised words (device-name prefix removed).

    ``device`` holds the removed prefix: the device's name, read only where the
    device itself says what it measures (a grid meter). ``counters`` and ``powers``
    hold the words of the set's energy counters and powers, read only where they say
    what the device is (a meter that counts both ways) or what a plain "Power" is
    beside them (one half of a pair).
    """

    info: EntityInfo
    text: str
    device: str = ""
    counters: str = ""
    powers: str = ""


# A check returns a short description when it applies, None when it does not.
type _Check = Callable[[Facts], str | None]
type _Rule = tuple[int, _Check]


def _device_class(*classes: str | None) -> _Check:
    wanted = frozenset(classes)

    def check(facts: Facts) -> str | None:
        dc = facts.info.device_class
        return f"device class {dc}" if dc in wanted else None

    return check


def _state_class(*classes: str) -> _Check:
    wanted = frozenset(classes)

    def check(facts: Facts) -> str | None:
        sc = facts.info.state_class
        return f"state class {sc}" if sc in wanted else None

    return check


def _domain(*domains: str) -> _Check:
    wanted = frozenset(domains)

    def check(facts: Facts) -> str | None:
        return f"{facts.info.domain} entity" if facts.info.domain in wanted else None

    return check


def _category(category: str) -> _Check:
    def check(facts: Facts) -> str | None:
        return f"{category} entity" if facts.info.entity_category == category else None

    return check


def _disabled(facts: Facts) -> str | None:
    return "disabled" if facts.info.disabled else None


def _words(phrases: str, *, whole: bool = False) -> _Check:
    """Any of the comma-separated phrases at a word start (or as a whole word).

    Matching at word starts lets a stem stand for its forms (``charg`` finds
    ``charging``, ``charger``) while ``discharging`` never reads as ``charg``.
    """
    alternatives = "|".join(
        re.escape(vocab.normalise(p)) for p in phrases.split(",") if p.strip()
    )
    end = r"\b" if whole else ""
    pattern = re.compile(rf"\b(?:{alternatives}){end}")

    def check(facts: Facts) -> str | None:
        found = pattern.search(facts.text)
        return f"'{found.group(0)}'" if found else None

    return check


def _device(phrases: str) -> _Check:
    """Any of the comma-separated phrases as whole words of the device's name."""
    alternatives = "|".join(
        re.escape(vocab.normalise(p)) for p in phrases.split(",") if p.strip()
    )
    pattern = re.compile(rf"\b(?:{alternatives})\b")

    def check(facts: Facts) -> str | None:
        found = pattern.search(facts.device)
        return f"device '{found.group(0)}'" if found else None

    return check


def _counter(phrases: str) -> _Check:
    """Any of the phrases at a word start in the words of the set's energy counters."""
    alternatives = "|".join(
        re.escape(vocab.normalise(p)) for p in phrases.split(",") if p.strip()
    )
    pattern = re.compile(rf"\b(?:{alternatives})")

    def check(facts: Facts) -> str | None:
        found = pattern.search(facts.counters)
        return f"a counter of energy '{found.group(0)}'" if found else None

    return check


def _named(*words: str) -> _Check:
    """The entity's own name (the user's, else its original name) is one of these.

    Unlike `_bare`, the object id is not read: a device that names its entities under
    two device names (Tibber's home and its Pulse) leaves each object id its prefix.
    """
    wanted = frozenset(vocab.normalise(w) for w in words)

    def check(facts: Facts) -> str | None:
        key, original, name = [*facts.text.split(" | "), "", "", ""][:3]
        own = name.strip() or original.strip() or key.strip()
        return f"named just '{own}'" if own in wanted else None

    return check


def _power_beside(phrases: str) -> _Check:
    """Any of the phrases at a word start in the words of the set's powers."""
    alternatives = "|".join(
        re.escape(vocab.normalise(p)) for p in phrases.split(",") if p.strip()
    )
    pattern = re.compile(rf"\b(?:{alternatives})")

    def check(facts: Facts) -> str | None:
        found = pattern.search(facts.powers)
        return f"a power '{found.group(0)}' beside it" if found else None

    return check


def _bare(*words: str) -> _Check:
    """The entity says nothing but one of these words (e.g. a meter called "Energy")."""
    wanted = frozenset(vocab.normalise(w) for w in words)

    def check(facts: Facts) -> str | None:
        parts = {p.strip() for p in facts.text.split("|")} - {""}
        return f"just '{next(iter(parts))}'" if parts and parts <= wanted else None

    return check


def _options(
    parse: Callable[[str], object],
    *,
    min_ratio: float = 0.5,
    need: object = None,
    distinct: int = 1,
) -> _Check:
    """The enum options are mostly values the role understands."""

    def check(facts: Facts) -> str | None:
        options = facts.info.options
        if not options:
            return None
        known = [v for v in map(parse, options) if v is not None]
        if len(known) < min_ratio * len(options) or len(set(known)) < distinct:
            return None
        if need is not None and need not in known:
            return None
        return f"options understood ({len(known)}/{len(options)})"

    return check


def _options_foreign(parse: Callable[[str], object]) -> _Check:
    """The entity lists options, and hardly any mean something to the role."""

    def check(facts: Facts) -> str | None:
        options = facts.info.options
        if not options:
            return None
        known = sum(1 for v in map(parse, options) if v is not None)
        return "options not understood" if known < 0.3 * len(options) else None

    return check


def _any(*checks: _Check) -> _Check:
    def check(facts: Facts) -> str | None:
        return next((f for f in (c(facts) for c in checks) if f is not None), None)

    return check


def _all(*checks: _Check) -> _Check:
    def check(facts: Facts) -> str | None:
        found = [c(facts) for c in checks]
        return None if None in found else " and ".join(f for f in found if f)

    return check


def _not(inner: _Check, label: str) -> _Check:
    def check(facts: Facts) -> str | None:
        return label if inner(facts) is None else None

    return check


def _words_unless(phrases: str, unless: str) -> _Check:
    """Any of the phrases, unless one of the ``unless`` phrases says otherwise.

    OCPP's "Power.Active.Import" is what the car draws, not the house's import;
    myenergi's "Internal Load" is the charger's own, not the house load.
    """
    return _all(_words(phrases), _not(_words(unless), f"not '{unless}'"))


# Role specifications ---------------------------------------------------------------

POWER_UNITS = frozenset({"W", "kW", "KW", "kw", "mW", "MW", "GW"})
ENERGY_UNITS = frozenset({"Wh", "kWh", "KWh", "kwh", "mWh", "MWh", "GWh"})
VOLTAGE_UNITS = frozenset({"V", "mV", "kV", "v"})
CURRENT_UNITS = frozenset({"A", "mA", "a"})
LENGTH_UNITS = frozenset({"km", "mi", "m", "ft", "yd", "cm", "mm", "nmi", "in"})
SPEED_UNITS = frozenset({"km/h", "mph", "m/s", "kn", "ft/s", "kph"})
TEMPERATURE_UNITS = frozenset({"°C", "°F", "K", "C", "F"})
PERCENT_UNITS = frozenset({"%"})

_TEXTUAL_DEVICE_CLASSES = frozenset({None, "enum"})


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleSpec:
    """Which entities may feed a role, and how to rank them."""

    domains: frozenset[str]
    rules: tuple[_Rule, ...]
    # Numeric roles: a sensor qualifies by device class or, lacking one, by unit.
    device_classes: frozenset[str] = frozenset()
    units: frozenset[str] = frozenset()
    # Text roles: a sensor qualifies only if its state is not a measurement.
    textual: bool = False
    min_score: int = MIN_SCORE
    # Extra rows for one kind of device ("vehicle", "wallbox", "energy_site").
    kind_rules: Mapping[str, tuple[_Rule, ...]] = field(default_factory=dict)


def qualifies(spec: RoleSpec, info: EntityInfo) -> bool:
    """Whether an entity may feed the role at all (before any scoring)."""
    if info.domain not in spec.domains:
        return False
    if info.domain != "sensor":
        return True
    if spec.textual:
        return (
            info.unit is None
            and info.state_class is None
            and info.device_class in _TEXTUAL_DEVICE_CLASSES
        )
    if info.unit is not None and info.unit not in spec.units:
        return False
    if info.device_class is None:
        return info.unit is not None
    return info.device_class in spec.device_classes


COMMON_RULES: tuple[_Rule, ...] = (
    (-10, _category("diagnostic")),
    (-25, _category("config")),
    (-15, _disabled),
)

_CHARGE_WORDS = _words("charg, lade, laad, ladd, lader, oplad, en charge")
# OCPP names the flow into the car "Active.Import" (the meter its "Import.Register"),
# a wallbox's EV meter "import active power" (SmartEVSE's "EV Import Active Power"):
# metering words for what the car draws, not the house's grid import.
_OCPP_IMPORT = "active import, import active"
_STATUS_WORDS = _words("status, state, zustand", whole=True)
# Per-phase readings: the first phase carries the current on every installation, the
# others may be idle; the neutral conductor carries nothing worth recording.
# evcc calls its phases P1, P2, P3 ("Charge current P1").
_FIRST_PHASE = _words("phase a, phase 1, phase1, l1, l1n, p1", whole=True)
_OTHER_PHASES = _words(
    "phase b, phase c, phase 2, phase 3, phase2, phase3, l2, l3, l2n, l3n, p2, p3",
    whole=True,
)
_NEUTRAL = _words("n, neutral", whole=True)
_ANY_PHASE = _words(
    "phase a, phase b, phase c, phase 1, phase 2, phase 3, phase1, phase2, phase3, "
    "l1, l2, l3, l1n, l2n, l3n, n, p1, p2, p3",
    whole=True,
)
# The house's smart meter (a P1 port), which some wallboxes read for load balancing:
# its power and currents are the whole house's, never the charger's. A bare "P1" is a
# phase (evcc), the port only with its meter (Alfen "P1 Meter Phase 1 Current").
_SMART_METER = _words("smart meter, p1 meter, p1 port", whole=True)
# A car's bare "Power", "Current" or "Voltage" is its HV pack's, negative while it
# charges (MG's SAIC gateway); its on-board charger ("OBC") is the charger.
_CAR_BARE_READING = ((-40, _bare("power", "current", "voltage")),)
_OBC = "obc, on board charger, onboard charger"
# The control pilot is there only while the cable is plugged in (OVMS "Pilot Signal").
_PLUG_WORDS = _words(
    "plug, cable, connector, charging connection, "
    "charger connection, connection status, vehicle connected, "
    "car connected, ev connected, kabel, stecker, pilot"
)

# A reading repeated in another unit ("Odometer in Kilometers", "Odometer in Miles":
# Cupra's, the miles rounded down to whole miles): the one in kilometres first, so
# the twins do not tie.
_IN_MILES = _words("in miles, in mi", whole=True)

# Energy site: every role is a power; which one is said only in words, so a power
# without them (SolarEdge "Current power") is listed, never proposed.
_SITE_NOISE = _words(
    "reactive, apparent, frequency, max, min, limit, peak, rated, nominal, "
    "available, forecast, estimat, average, avg, daily, today, setpoint, target"
)
_SITE_WORDS: Mapping[Role, tuple[str, str]] = {
    # An inverter's "input power" is what its panels deliver (Huawei), and so is its
    # DC power (Sungrow's "Total DC power"; a battery's says "battery").
    Role.SOLAR_POWER: (
        "solar, pv, photovoltaic, production, producing, generation, erzeugung, "
        "input power, dc power",
        "export, import, grid, battery, storage, load, consumption, house, home, "
        "surplus, divert",
    ),
    # A site's "power meter" sits at the grid connection: see _SITE_EXTRA.
    Role.GRID_POWER: (
        "grid, site power, net power, net consumption, netz, utility, mains",
        "services, import, export, feed, from grid, to grid, solar, pv, battery, "
        "storage, generator, load, supplied, absorbed, draw",
    ),
    # SMA's energy meter: power "absorbed" from and "supplied" to the grid.
    Role.GRID_IMPORT_POWER: (
        "import, from grid, purchase, bezug, grid consumption, absorbed",
        "export, feed, solar, pv, battery, storage, generator, services, supplied",
    ),
    Role.GRID_EXPORT_POWER: (
        "export, to grid, feed in, feedin, einspeisung, injection, supplied",
        "import, from grid, solar, pv, battery, storage, generator, services, "
        "absorbed, draw",
    ),
    Role.BATTERY_POWER: (
        "battery, storage, akku, speicher, powerwall, encharge, discharge",
        "solar, pv, grid, load, consumption, house, home, generator, vehicle, car",
    ),
    Role.HOME_LOAD: (
        "load, consumption, house, home, usage, consumer, verbrauch",
        "net, grid, import, export, solar, pv, battery, storage, generat",
    ),
}
# A device named a meter (HomeWizard's "P1 meter", DSMR's "Electricity Meter") is the
# grid connection's: its plain "Power" is the net grid power, its "consumption" and
# "production" what the house imports and exports, and nothing on it is the solar or
# the house load.
# What a device counts besides the grid's two directions: an inverter's yield, a
# battery's charge, a house's load.
_COUNTS_MORE = _counter(
    "solar, pv, photovoltaic, generation, yield, battery, storage, charg, discharg, "
    "load, house, home"
)
# Tibber's Pulse is named for neither, but counts only the meter's registers ("Last
# meter consumption", "Last meter production"): a meter too.
_GRID_METER_DEVICE = _any(
    _device("meter, p1"),
    _all(_counter("meter"), _not(_COUNTS_MORE, "counts nothing else")),
)
# A device that counts only what it produced (OpenDTU's Hoymiles "YieldDay" and
# "YieldTotal") is a solar inverter: its plain "Power" is what its panels make. A
# hybrid also counts its battery, the grid or the house (Deye, Kostal): not this.
_COUNTS_ONLY_YIELD = _all(
    _counter("yield, production, produced, generation, generated"),
    _not(
        _counter(
            "battery, storage, charg, discharg, load, consumption, house, home, "
            "import, export, grid, feed, returned"
        ),
        "counts nothing else",
    ),
)
# On a meter, a plain "Power" beside a "Power production" is the import half (the
# Pulse reports both positive), not the net.
_METER_IMPORT_HALF = _all(
    _GRID_METER_DEVICE,
    _named("power", "active power"),
    _power_beside("production, export, returned, feed in, injection"),
)
# A meter that counts the energy going back as well (Shelly's "Energy returned" beside
# its "Energy", on a device named by its hostname) and counts nothing else sits at the
# grid connection: only the grid sends energy both ways through one meter. Its plain
# "Power" is the net grid power. An inverter also counts what its panels produced
# or its battery stored (GoodWe's "Total Energy (export)" beside its "Total PV
# Generation"), a wallbox what it charged.
_COUNTS_BOTH_WAYS = _all(
    _counter(
        "returned, energy export, exported, feed in, feedin, einspeisung, "
        "injection, injected"
    ),
    _not(_COUNTS_MORE, "counts nothing else"),
    _not(_counter("production, consumption"), "counts no production"),
)
# Ties between a flow and its one-directional twins, settled by meaning: Fronius
# reports the house load negative ("Power load") and positive ("... consumed"), the
# battery net and as a charge and a discharge half.
_SITE_EXTRA: Mapping[Role, tuple[_Rule, ...]] = {
    # One numbered PV input or string is part of the array, never all of it
    # (Growatt "PV1 wattage" beside "All PV wattage").
    Role.SOLAR_POWER: (
        (-20, _words("pv1, pv2, pv3, pv4, pv 1, pv 2, pv 3, pv 4, mppt", whole=True)),
        (-20, _words("string")),
        (-70, _GRID_METER_DEVICE),
        (50, _all(_COUNTS_ONLY_YIELD, _bare("power", "active power", "ac power"))),
        # A sum the integration adds up from the strings ranks below the inverter's
        # own total (Kostal's "Sum power of all PV DC inputs" beside "Solar Power").
        (-5, _words("sum", whole=True)),
    ),
    Role.BATTERY_POWER: (
        (-10, _words("charge, charging, discharge, discharging", whole=True)),
    ),
    Role.HOME_LOAD: (
        (10, _words("consumed, consumption")),
        (-70, _GRID_METER_DEVICE),
        # The load's share from one source is part of it (Kostal's "Home Power from
        # Own" beside "Home Power").
        (-20, _words("from", whole=True)),
    ),
    # The meter an inverter reads sits at the grid connection: Huawei's "Power meter"
    # device (a DTSU666), GoodWe's "Meter Active Power Total". A wallbox's "smart
    # meter" reading (Alfen) does not make it a site; a meter's power that already
    # says "grid" counts once.
    Role.GRID_POWER: (
        (50, _words_unless("meter", "smart meter, grid")),
        (50, _all(_GRID_METER_DEVICE, _bare("power", "active power"))),
        (50, _all(_COUNTS_BOTH_WAYS, _bare("power", "active power"))),
        (-50, _METER_IMPORT_HALF),
    ),
    # An import/export pair read at the grid connection's meter is the grid, more
    # surely than an inverter's own "grid power" (SMA: its AC output).
    Role.GRID_IMPORT_POWER: (
        (50, _all(_GRID_METER_DEVICE, _words("consumption, usage"))),
        (60, _METER_IMPORT_HALF),
        (
            20,
            _all(
                _words("meter, metering"),
                _words(_SITE_WORDS[Role.GRID_IMPORT_POWER][0]),
            ),
        ),
    ),
    Role.GRID_EXPORT_POWER: (
        (50, _all(_GRID_METER_DEVICE, _words("production, delivery"))),
        (
            20,
            _all(
                _words("meter, metering"),
                _words(_SITE_WORDS[Role.GRID_EXPORT_POWER][0]),
            ),
        ),
    ),
}


def _site_power(good: str, bad: str, extra: tuple[_Rule, ...] = ()) -> RoleSpec:
    return RoleSpec(
        domains=frozenset({"sensor"}),
        device_classes=frozenset({"power"}),
        units=POWER_UNITS,
        min_score=50,
        rules=(
            (30, _device_class("power")),
            (10, _state_class("measurement")),
            (50, _words(good)),
            (-70, _words(bad)),
            (-60, _SITE_NOISE),
            (-40, _ANY_PHASE),
            # A numbered flow is one of several (Solax "Grid 1 Power", one phase of
            # the inverter's output beside the meter's "Grid Power").
            (-40, _all(_words("1, 2, 3, 4", whole=True), _not(_ANY_PHASE, "no phase"))),
            *extra,
        ),
    )


SPECS: Mapping[Role, RoleSpec] = {
    Role.BATTERY_LEVEL: RoleSpec(
        domains=frozenset({"sensor"}),
        device_classes=frozenset({"battery"}),
        units=PERCENT_UNITS,
        rules=(
            (40, _device_class("battery")),
            (10, _state_class("measurement")),
            (
                30,
                _words(
                    "battery level, state of charge, soc, charge level, "
                    "battery percent, remaining battery, ladestand, akkustand, "
                    "niveau de charge",
                    whole=True,
                ),
            ),
            (15, _words("battery, batterie, batterij, batteri, akku")),
            (-15, _words("usable")),
            # Stellantis calls the 12 V battery the "service battery".
            (
                -80,
                _words("12v, 12 v, 12 volt, aux, auxiliary, starter, service battery"),
            ),
            (-40, _words("car battery")),
            (-80, _words("health, soh, state of health, degradation")),
            (
                -70,
                _words(
                    "target, limit, max, min, threshold, arrival, destination, "
                    "goal, setpoint, reserve, buffer, departure, lower, upper"
                ),
            ),
            (
                -60,
                _words(
                    "fuel, oil, adblue, tire, tyre, fan, pedal, humidity, signal, "
                    "brightness, phone, key, fob, remote, exhaust, washer, wiper"
                ),
            ),
        ),
    ),
    Role.CHARGING_STATE: RoleSpec(
        domains=frozenset({"sensor", "binary_sensor", "switch"}),
        textual=True,
        rules=(
            (10, _device_class("enum")),
            (45, _options(vocab.charge_state, need=ChargeState.CHARGING)),
            (-40, _options_foreign(vocab.charge_state)),
            (30, _CHARGE_WORDS),
            (15, _STATUS_WORDS),
            # A wallbox's view of the car: go-e "Car state", "Vehicle status".
            (15, _words("car state, car status, vehicle state, vehicle status")),
            (45, _all(_domain("binary_sensor"), _device_class("battery_charging"))),
            (
                -60,
                _all(
                    _domain("binary_sensor"),
                    _not(
                        _device_class(None, "battery_charging", "power", "running"),
                        "device class of something else",
                    ),
                ),
            ),
            # A binary sensor of class battery_charging says it by its class, even in
            # a German compound the word starts miss (openWB's "Autoladestatus").
            (
                -40,
                _all(
                    _domain("binary_sensor", "switch"),
                    _not(_CHARGE_WORDS, "no charging words"),
                    _not(_device_class("battery_charging"), "not battery_charging"),
                ),
            ),
            # A switch is a command; it only reflects charging as a fallback.
            (-15, _domain("switch")),
            (
                -50,
                _words(
                    "mode, type, setting, time, remaining, duration, schedul, "
                    "departure, cable, connected, connecti, port, plug, lock, door, "
                    "flap, "
                    "error, reason, fault, phase, limit, power, current, voltage, "
                    "rate, sentry, bms, powershare, inverter, hvac, climat, heat, "
                    "precondition, request, enable, present, trip, pending, "
                    "energy, speed, dashcam, window, seat, target, level, cost, "
                    "price, smart, allow, authori, paus, slot, model, code, "
                    "station, pilot, wish, unlock, firmware, identifier, serial, "
                    "modus, profil, punkt"
                ),
            ),
            # "Auto" on its own is automatic; in a German compound it is the car.
            (-50, _words("auto", whole=True)),
            # The network link's status (SmartEVSE's "Wifi Status") and a state's
            # number beside its text ("State_id") are not the charging state.
            (-50, _words("wifi, wi fi, wlan, network, rssi, ssid, id", whole=True)),
        ),
        kind_rules={
            # A wallbox's own status (Easee "Status", Wallbox "Status description")
            # is about charging, even as free text without a device class.
            "wallbox": ((20, _all(_domain("sensor"), _STATUS_WORDS)),),
        },
    ),
    Role.PLUGGED: RoleSpec(
        domains=frozenset({"sensor", "binary_sensor"}),
        textual=True,
        rules=(
            (60, _all(_domain("binary_sensor"), _device_class("plug"))),
            (20, _all(_domain("binary_sensor"), _device_class("connectivity"))),
            (30, _PLUG_WORDS),
            (10, _device_class("enum")),
            (30, _options(vocab.plugged, distinct=2)),
            (
                -60,
                _all(
                    _domain("binary_sensor"),
                    _device_class("connectivity"),
                    _not(_PLUG_WORDS, "no plug words"),
                ),
            ),
            (
                -60,
                _all(
                    _domain("binary_sensor"),
                    _not(
                        _device_class(None, "plug", "connectivity"),
                        "device class of something else",
                    ),
                ),
            ),
            (
                -40,
                _all(
                    _not(_PLUG_WORDS, "no plug words"),
                    _not(
                        _all(_domain("binary_sensor"), _device_class("plug")),
                        "no plug device class",
                    ),
                ),
            ),
            (
                -70,
                _words(
                    "lock, unlock, port, door, flap, online, wifi, cellular, gps, "
                    "cloud, internet, api, heat, auto, permanent, type, rating, "
                    "warning, alarm, error, fault, reason, code"
                ),
            ),
        ),
        kind_rules={
            # On a wallbox a bare "Connected" is the car's (evcc's loadpoint): it
            # outweighs the penalties for a connectivity sensor without plug words.
            "wallbox": ((110, _all(_domain("binary_sensor"), _bare("connected"))),),
        },
    ),
    Role.CHARGER_POWER: RoleSpec(
        domains=frozenset({"sensor"}),
        device_classes=frozenset({"power"}),
        units=POWER_UNITS,
        rules=(
            (30, _device_class("power")),
            (10, _state_class("measurement")),
            (
                40,
                _words(
                    "charger power, charging power, charge power, ladeleistung, "
                    f"laadvermogen, puissance de charge, {_OBC}"
                ),
            ),
            (10, _words("power, leistung", whole=True)),
            (
                -60,
                _words(
                    "drive, driving, motor, regen, powershare, inverter, solar, "
                    "photovoltaic, grid, house, home, site, generat, battery power, "
                    "hvac, climat, heat, pv, export, from battery, shaper, "
                    "surplus"
                ),
            ),
            (-60, _words_unless("import", _OCPP_IMPORT)),
            (-60, _words_unless("load", "internal load")),
            (-60, _SMART_METER),
            # A current clamp on the house supply (Hypervolt's "CT Power").
            (-60, _words("ct, clamp", whole=True)),
            (
                -80,
                _words(
                    "max, available, admissible, limit, rated, rating, capacity, "
                    "peak, offered, allowed, nominal, min"
                ),
            ),
            (-40, _words("average, avg, mean, delta")),
            (-30, _ANY_PHASE),
            # OpenEVSE reports a measured and a calculated (volts x amps) power.
            (-10, _words("calculated, estimated, computed")),
        ),
        kind_rules={"vehicle": _CAR_BARE_READING},
    ),
    Role.CHARGER_VOLTAGE: RoleSpec(
        domains=frozenset({"sensor"}),
        device_classes=frozenset({"voltage"}),
        units=VOLTAGE_UNITS,
        rules=(
            (30, _device_class("voltage")),
            (10, _state_class("measurement")),
            (30, _words(f"charg, evse, line voltage, ladespannung, {_OBC}")),
            (10, _words("voltage, spannung", whole=True)),
            (5, _FIRST_PHASE),
            (-5, _OTHER_PHASES),
            # The neutral conductor's reading is never the charger's, even alone.
            (-60, _NEUTRAL),
            # The supply side, where a wallbox also reports its own phases.
            (-10, _words("grid")),
            (-10, _SMART_METER),
            # The control pilot is a signal line (Alfen "Car CP Voltage High").
            (-60, _words("pilot, cp", whole=True)),
            (
                -60,
                _words(
                    "pack, brick, cell, module, vbat, 12v, 12 v, aux, dc dc, "
                    "hv battery, battery voltage, isolation"
                ),
            ),
            # V2C's "Installation voltage" is the supply voltage it was told to assume.
            (-50, _words("max, min, limit, rated, nominal, installation")),
        ),
        kind_rules={"vehicle": _CAR_BARE_READING},
    ),
    Role.CHARGER_CURRENT: RoleSpec(
        domains=frozenset({"sensor"}),
        device_classes=frozenset({"current"}),
        units=CURRENT_UNITS,
        rules=(
            (30, _device_class("current")),
            (10, _state_class("measurement")),
            (30, _words(f"charg, actual current, evse, ladestrom, {_OBC}")),
            (10, _words("current, strom", whole=True)),
            (5, _FIRST_PHASE),
            (-5, _OTHER_PHASES),
            # The neutral conductor's reading is never the charger's, even alone.
            (-60, _NEUTRAL),
            # A current clamp on the house supply (Ohme "CT current").
            (-60, _words("ct, clamp, supply, mains, house, grid", whole=True)),
            (-60, _SMART_METER),
            (-60, _words("export, discharg")),
            (
                -70,
                _words(
                    "limit, max, min, request, setpoint, set, target, offered, "
                    "available, rated, capacity, dynamic, circuit, fuse, allowed, "
                    "pilot, breaker, delta, allocated, soll, vorgabe"
                ),
            ),
            (
                -60,
                _words(
                    "pack, motor, 12v, 12 v, dc dc, battery current, hv battery, module"
                ),
            ),
        ),
        kind_rules={"vehicle": _CAR_BARE_READING},
    ),
    Role.SESSION_ENERGY: RoleSpec(
        domains=frozenset({"sensor"}),
        device_classes=frozenset({"energy"}),
        units=ENERGY_UNITS,
        rules=(
            (30, _device_class("energy")),
            (10, _state_class("total_increasing")),
            (5, _state_class("total")),
            (
                40,
                _words(
                    "energy added, charge energy, charging energy, charged energy, "
                    "energy charged, added energy, session, geladen"
                ),
            ),
            (
                -60,
                _words(
                    "lifetime, total, consum, used, usage, regen, available, "
                    "remaining, left, capacity, storage, trip, drive, driving, "
                    "average, avg, per hour, hour, daily, day, today, week, month, "
                    "year, export, import, solar, grid, home, house, discharg, "
                    "last, previous, cost, price, start, interval"
                ),
            ),
        ),
    ),
    Role.EVSE_ENERGY: RoleSpec(
        domains=frozenset({"sensor"}),
        device_classes=frozenset({"energy"}),
        units=ENERGY_UNITS,
        rules=(
            (30, _device_class("energy")),
            (10, _state_class("total_increasing")),
            (5, _state_class("total")),
            # A lifetime meter never resets: session energy is an exact difference.
            (
                55,
                _words_unless(
                    "lifetime, total energy, energy total, total usage, meter, "
                    "counter, totalizer, import register, total charged, "
                    "totally charged, gesamt",
                    # OCPP's "Energy.Meter.Start": the meter when the session began;
                    # Hypervolt's "Session Energy Total Increasing" names its state
                    # class, and counts the session.
                    "start, total increasing",
                ),
            ),
            # A wallbox's plain, ever-increasing "Energy" is its meter.
            (45, _all(_bare("energy", "energie"), _state_class("total_increasing"))),
            (
                40,
                _words(
                    "session, energy added, charged energy, charging energy, "
                    "charge energy, energy charged"
                ),
            ),
            (
                -60,
                _words(
                    "per hour, hour, daily, day, today, week, month, year, cost, "
                    "price, export, solar, grid, home, house, last, "
                    "previous, average, avg, discharg, regen, completed, card, "
                    "start, interval, reactive, heute, entladen"
                ),
            ),
            (-60, _words_unless("import", _OCPP_IMPORT)),
        ),
    ),
    Role.ODOMETER: RoleSpec(
        domains=frozenset({"sensor"}),
        device_classes=frozenset({"distance"}),
        units=LENGTH_UNITS,
        rules=(
            (20, _device_class("distance")),
            (25, _state_class("total_increasing")),
            (10, _state_class("total")),
            (
                50,
                _words(
                    "odometer, mileage, odo, kilometerstand, kilometrage, "
                    "total distance, total mileage"
                ),
            ),
            (-5, _IN_MILES),
            (
                -70,
                _words(
                    "trip, since, added, range, autonomy, arrival, destination, "
                    "remaining, left, service, inspection, maintenance, next, "
                    "last, daily, today, charge, target, to empty, reichweite, "
                    "distance to"
                ),
            ),
        ),
    ),
    Role.SPEED: RoleSpec(
        domains=frozenset({"sensor"}),
        device_classes=frozenset({"speed"}),
        units=SPEED_UNITS,
        rules=(
            (25, _device_class("speed")),
            (10, _state_class("measurement")),
            (
                30,
                _words(
                    "speed, velocity, geschwindigkeit, vitesse, snelheid, hastighet"
                ),
            ),
            # The car's own speed before one derived from GPS fixes (OVMS has both).
            (-10, _words("gps")),
            (
                -70,
                _words(
                    "charg, rate, range, cruise, set speed, limit, max, average, "
                    "avg, wind, fan, engine, axle, wheel, rpm"
                ),
            ),
        ),
    ),
    Role.SHIFT_STATE: RoleSpec(
        domains=frozenset({"sensor"}),
        textual=True,
        rules=(
            (10, _device_class("enum")),
            (30, _options(vocab.shift_state, distinct=3)),
            (-40, _options_foreign(vocab.shift_state)),
            (50, _words("shift, gear, transmission, drive selector")),
            (
                -60,
                _words("torque, mode, ratio, engine, brake, lamp, light"),
            ),
        ),
    ),
    Role.LOCATION: RoleSpec(
        domains=frozenset({"device_tracker"}),
        rules=(
            (40, _domain("device_tracker")),
            (
                20,
                _words("location, tracker, position, gps, car, vehicle, standort"),
            ),
            (
                -70,
                _words(
                    "route, destination, origin, navigation, nav, charger, "
                    "geofence, phone, key, trip, waypoint"
                ),
            ),
        ),
    ),
    Role.RANGE: RoleSpec(
        domains=frozenset({"sensor"}),
        device_classes=frozenset({"distance"}),
        units=LENGTH_UNITS,
        rules=(
            (20, _device_class("distance")),
            (10, _state_class("measurement")),
            (
                50,
                _words(
                    "range, autonomy, reichweite, autonomie, rekkevidde, rackvidd, "
                    "actieradius, distance to empty, dte, km left, miles left, "
                    "remaining distance, endurance"
                ),
            ),
            # "Electric range" is the car's; "battery cruising range" says the same
            # less plainly, so it ranks just below.
            (20, _words("electric, ev, elec, bev, hv, elveh", whole=True)),
            (-5, _IN_MILES),
            (10, _words("battery", whole=True)),
            (-10, _words("cruising")),
            # Audi's per-engine ranges: a plug-in's primary engine burns fuel.
            (-10, _words("primary engine, secondary engine")),
            (-30, _words("total, combined")),
            # Tesla's "ideal" range assumes a fixed consumption and the "estimated"
            # one the last trips'; the "rated" range is what the car shows.
            (-10, _words("ideal, typical, estimat")),
            (-10, _words("est", whole=True)),
            # Nissan's "Range (AC)": what the range would be with the climate on.
            (-10, _words("ac, climate, hvac, air conditioning", whole=True)),
            # A "charge rate" is range added per hour; a "rated" range is a range.
            (-70, _words("rate", whole=True)),
            (
                -70,
                _words(
                    "fuel, gasoline, petrol, diesel, combustion, ice, lpg, cng, "
                    "gas, tank, liquid, adblue, added, "
                    "at full, full charge, full battery, max, target, "
                    "arrival, destination, trip, odometer, service, "
                    "inspection, maintenance, since, travel, driven, bonus"
                ),
            ),
            # BYD says "endurance mileage" for the range (its key for "Range"), and
            # "total mileage" for the odometer.
            (-70, _words_unless("mileage", "endurance")),
        ),
    ),
    Role.OUTSIDE_TEMP: RoleSpec(
        domains=frozenset({"sensor"}),
        device_classes=frozenset({"temperature"}),
        units=TEMPERATURE_UNITS,
        # Without an "outside" word any temperature is a guess: the cabin, the pack.
        min_score=50,
        rules=(
            (20, _device_class("temperature")),
            (10, _state_class("measurement")),
            (
                50,
                _words(
                    "outside, outdoor, exterior, external, ambient, aussen, "
                    "exterieur, buiten, ute"
                ),
            ),
            (
                -70,
                _words(
                    "inside, interior, cabin, battery, coolant, oil, engine, "
                    "motor, inverter, heatsink, stator, module, cell, set, target, "
                    "setpoint, driver, passenger, request, seat, brake, tire, "
                    "tyre, internal, charger, pack, hvac"
                ),
            ),
        ),
    ),
    Role.CHARGER_TYPE: RoleSpec(
        domains=frozenset({"sensor"}),
        textual=True,
        rules=(
            (10, _device_class("enum")),
            (30, _options(vocab.charger_type)),
            (
                50,
                _words(
                    "charger type, charge type, charging type, connector type, "
                    "current type, charging method, ladeart"
                ),
            ),
            (-50, _words("cable, phase, mode, schedul, plug lock, port")),
        ),
    ),
    **{
        role: _site_power(*words, _SITE_EXTRA.get(role, ()))
        for role, words in _SITE_WORDS.items()
    },
}
