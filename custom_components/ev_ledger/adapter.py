"""Home Assistant states to engine readings, at the edge.

Units come from the entity's `unit_of_measurement`, never from the magnitude of a
value; `unknown`/`unavailable` become a gap reading (value None); anything that cannot
be converted is returned as a `Reject` reason for the caller to count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Final

from homeassistant.const import (
    ATTR_LATITUDE,
    ATTR_LONGITUDE,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_NOT_HOME,
)
from homeassistant.helpers import entity_registry as er

from .const import BATTERY_CHARGE_POSITIVE, GRID_EXPORT_POSITIVE
from .db import Sample
from .logic import units, vocab
from .logic.model import Place, Reading, Reject, Role, Value

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant, State

type Converter = Callable[[float, str | None, str | None], float | None]
type TextParser = Callable[[str], Value]

# Numeric roles: the converter and the unit assumed when the entity declares none
# (only where a unit-less value is unambiguous).
_NUMERIC: Final[dict[Role, tuple[Converter, str | None]]] = {
    Role.BATTERY_LEVEL: (units.to_percent, "%"),
    Role.CHARGER_POWER: (units.to_kw, None),
    Role.CHARGER_VOLTAGE: (units.to_volts, "V"),
    Role.CHARGER_CURRENT: (units.to_amperes, "A"),
    Role.SESSION_ENERGY: (units.to_kwh, None),
    Role.EVSE_ENERGY: (units.to_kwh, None),
    Role.ENERGY_CONSUMED: (units.to_kwh, None),
    Role.ODOMETER: (units.to_km, None),
    Role.RANGE: (units.to_km, None),
    Role.SPEED: (units.to_kmh, None),
    Role.OUTSIDE_TEMP: (units.to_celsius, None),
    Role.SOLAR_POWER: (units.to_kw, None),
    Role.GRID_POWER: (units.to_kw, None),
    Role.GRID_IMPORT_POWER: (units.to_kw, None),
    Role.GRID_EXPORT_POWER: (units.to_kw, None),
    Role.BATTERY_POWER: (units.to_kw, None),
    Role.HOME_LOAD: (units.to_kw, None),
}

# Roles whose words an entity's own list of states can change the meaning of.
_IN_CONTEXT: Final = frozenset({Role.CHARGING_STATE, Role.PLUGGED})

_TEXT: Final[dict[Role, TextParser]] = {
    Role.CHARGING_STATE: vocab.charge_state,
    Role.PLUGGED: vocab.plugged,
    Role.SHIFT_STATE: vocab.shift_state,
    Role.CHARGER_TYPE: vocab.charger_type,
}

# Zone names are stored in columns of 200 characters (sessions, trips, samples); Home
# Assistant allows 255 in a state. Cut here, so sensors and records say the same.
ZONE_MAX_CHARS: Final = 200

# Price units: what one unit of the entity's value is in currency per kWh.
_PRICE_PER_MWH: Final = Decimal("0.001")
_PRICE_CENTS: Final = Decimal("0.01")
_CENT_PREFIXES: Final = ("ct/", "c/", "cent/", "cents/", "p/", "öre/", "ore/", "øre/")


def state_reading(
    role: Role,
    state: State,
    ts: float | None = None,
    *,
    options: Sequence[str] = (),
) -> Reading | Reject:
    """Convert a state into a reading of `role`, or say why it cannot be.

    Args:
        role: What the entity measures for EV Ledger.
        state: The Home Assistant state.
        ts: Timestamp to use (default: when the state last changed).
        options: The entity's list of states (an enum's, from the entity registry:
            the recorder does not keep a sensor's `options` attribute), to read an
            ambiguous word the way this entity means it (`vocab.in_context`).
    """
    when = state.last_updated_timestamp if ts is None else ts
    text = state.state
    numeric = _NUMERIC.get(role)
    if numeric is not None:
        # A number first (the common case): no gap spelling parses as one.
        value = units.parse_float(text)
        if isinstance(value, Reject):
            return Reading(when, role, None) if vocab.is_gap(text) else value
        converter, default = numeric
        converted = converter(
            value, state.attributes.get(ATTR_UNIT_OF_MEASUREMENT), default
        )
        if converted is None:
            return Reject.BAD_UNIT
        return Reading(when, role, converted)
    if vocab.is_gap(text):
        return Reading(when, role, None)
    parser = _TEXT.get(role)
    if parser is not None:
        if options and role in _IN_CONTEXT:
            text = vocab.in_context(text, options)
        parsed = parser(text)
        if parsed is None:
            return Reject.BAD_VALUE
        return Reading(when, role, parsed)
    if role is Role.LOCATION:
        return Reading(when, role, _place(state))
    return Reject.UNKNOWN_ROLE


def _place(state: State) -> Place:
    zone = None if state.state == STATE_NOT_HOME else state.state
    # Not `state.domain`: the recorder's history states (LazyState) lack it.
    if not state.entity_id.startswith("device_tracker.") and zone is not None:
        # A sensor carrying coordinates: its state is not a zone.
        zone = None
    if zone is not None:
        # A zone of nothing but NULs is no zone (the sample would store "not_home").
        zone = _zone_text(zone) or None
    return Place(
        zone,
        _coordinate(state.attributes.get(ATTR_LATITUDE)),
        _coordinate(state.attributes.get(ATTR_LONGITUDE)),
    )


def _zone_text(zone: str) -> str:
    """A zone name as the database can hold it: no NUL, at most 200 characters."""
    return zone.replace("\x00", "")[:ZONE_MAX_CHARS]


def _coordinate(raw: object) -> float | None:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    return None


def site_reading(
    role: Role,
    state: State,
    *,
    grid_sign: str,
    battery_sign: str,
    ts: float | None = None,
) -> Reading | Reject:
    """Convert an energy-site state, applying the site's sign conventions.

    The engine's signs are grid + import and battery + discharge; a site configured
    the other way round is negated here.
    """
    reading = state_reading(role, state, ts)
    if isinstance(reading, Reject) or reading.value is None:
        return reading
    assert isinstance(reading.value, float)
    if (role is Role.GRID_POWER and grid_sign == GRID_EXPORT_POSITIVE) or (
        role is Role.BATTERY_POWER and battery_sign == BATTERY_CHARGE_POSITIVE
    ):
        return Reading(reading.ts, role, -reading.value)
    return reading


def state_price(state: State) -> Decimal | None | Reject:
    """Price per kWh from a price entity (None: unknown from now on)."""
    if vocab.is_gap(state.state):
        return None
    try:
        price = Decimal(state.state.strip())
    except InvalidOperation:
        return Reject.NOT_NUMERIC
    if not price.is_finite():
        return Reject.NOT_FINITE
    unit = str(state.attributes.get(ATTR_UNIT_OF_MEASUREMENT) or "").strip().casefold()
    if unit.endswith("/mwh"):
        price *= _PRICE_PER_MWH
    if unit.startswith(_CENT_PREFIXES):
        price *= _PRICE_CENTS
    return price


def to_sample(source: str, reading: Reading) -> Sample:
    """The raw-sample row of an accepted reading."""
    value = reading.value
    if value is None:
        return Sample(source, reading.role.value, reading.ts, None, "unavailable")
    if isinstance(value, bool):
        return Sample(source, reading.role.value, reading.ts, float(value), None)
    if isinstance(value, float | int):
        return Sample(source, reading.role.value, reading.ts, float(value), None)
    if isinstance(value, Place):
        zone = _zone_text(value.zone) if value.zone else STATE_NOT_HOME
        # The coordinates too: a trip measured along them is derived again from
        # the samples (recompute).
        return Sample(
            source,
            reading.role.value,
            reading.ts,
            None,
            zone,
            latitude=value.latitude,
            longitude=value.longitude,
        )
    return Sample(source, reading.role.value, reading.ts, None, str(value)[:200])


def enum_options(
    hass: HomeAssistant, entity_ids: Iterable[str]
) -> dict[str, tuple[str, ...]]:
    """Entity id → its list of states, for the enum sensors among `entity_ids`.

    From the entity registry (capabilities), the same for live and for a backfill.
    """
    registry = er.async_get(hass)
    found: dict[str, tuple[str, ...]] = {}
    for entity_id in entity_ids:
        entry = registry.async_get(entity_id)
        options = (entry.capabilities or {}).get("options") if entry else None
        if isinstance(options, list) and all(isinstance(o, str) for o in options):
            found[entity_id] = tuple(options)
    return found
