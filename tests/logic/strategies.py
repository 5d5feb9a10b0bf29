"""Hypothesis strategies: plausible vehicle reading streams, garbage, and noise.

`vehicle_streams()` simulates a car (park, drive, charge, offline stretches, plug
flapping) as reported by a random subset of entities, polled at a random interval,
with per-entity timestamp jitter (readings of different roles arrive out of order,
each role stays in order), `None` gaps and, optionally, on-change-only reporting (as
Home Assistant emits state changes). Every reading of such a stream is plausible: the
engine should accept all of them.

`garbage_for()` builds readings the engine must reject (exactly one rejection each),
`anything_readings()` builds fully random readings of any type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import math
from typing import Any

from hypothesis import strategies as st

from custom_components.ev_ledger.logic.model import (
    ChargeState,
    ChargeType,
    Place,
    Reading,
    Role,
    Value,
)

T0 = 1_700_000_000.0
MAX_READINGS = 300

VEHICLE_ROLES = (
    Role.BATTERY_LEVEL,
    Role.CHARGING_STATE,
    Role.PLUGGED,
    Role.CHARGER_POWER,
    Role.CHARGER_VOLTAGE,
    Role.CHARGER_CURRENT,
    Role.SESSION_ENERGY,
    Role.EVSE_ENERGY,
    Role.CHARGER_TYPE,
    Role.ODOMETER,
    Role.SPEED,
    Role.SHIFT_STATE,
    Role.LOCATION,
    Role.RANGE,
    Role.OUTSIDE_TEMP,
    Role.ENERGY_CONSUMED,
)
NUMERIC_ROLES = (
    Role.BATTERY_LEVEL,
    Role.CHARGER_POWER,
    Role.CHARGER_VOLTAGE,
    Role.CHARGER_CURRENT,
    Role.SESSION_ENERGY,
    Role.EVSE_ENERGY,
    Role.ODOMETER,
    Role.SPEED,
    Role.RANGE,
    Role.OUTSIDE_TEMP,
    Role.ENERGY_CONSUMED,
)
ENUM_ROLES = (
    Role.CHARGING_STATE,
    Role.PLUGGED,
    Role.CHARGER_TYPE,
    Role.SHIFT_STATE,
    Role.LOCATION,
)
SITE_ROLES = tuple(r for r in Role if r not in VEHICLE_ROLES)


@dataclass(frozen=True, slots=True)
class Profile:
    """Which entities a car has and how they report."""

    plug: bool
    state: str | None  # None | "enum" | "binary"
    power: bool
    volt_amp: bool
    counter: str | None  # None | "session" | "lifetime" | "zeroing"
    evse: str | None  # None | "session" | "lifetime"
    level: bool
    range: bool
    odometer: bool
    speed: bool
    shift: bool
    location: str | None  # None | "zone" | "coords"
    temp: bool
    consumed: bool
    charger_type: bool
    period: float
    on_change: bool
    jitter: bool

    def roles(self) -> list[Role]:
        """The roles this car reports."""
        out: list[Role] = []
        if self.level:
            out.append(Role.BATTERY_LEVEL)
        if self.state:
            out.append(Role.CHARGING_STATE)
        if self.plug:
            out.append(Role.PLUGGED)
        if self.power:
            out.append(Role.CHARGER_POWER)
        if self.volt_amp:
            out += [Role.CHARGER_VOLTAGE, Role.CHARGER_CURRENT]
        if self.counter:
            out.append(Role.SESSION_ENERGY)
        if self.evse:
            out.append(Role.EVSE_ENERGY)
        if self.charger_type:
            out.append(Role.CHARGER_TYPE)
        if self.odometer:
            out.append(Role.ODOMETER)
        if self.speed:
            out.append(Role.SPEED)
        if self.shift:
            out.append(Role.SHIFT_STATE)
        if self.location:
            out.append(Role.LOCATION)
        if self.range:
            out.append(Role.RANGE)
        if self.temp:
            out.append(Role.OUTSIDE_TEMP)
        if self.consumed:
            out.append(Role.ENERGY_CONSUMED)
        return out


profiles = st.builds(
    Profile,
    plug=st.booleans(),
    state=st.sampled_from([None, "enum", "binary"]),
    power=st.booleans(),
    volt_amp=st.booleans(),
    counter=st.sampled_from([None, "session", "lifetime", "zeroing"]),
    evse=st.sampled_from([None, "session", "lifetime"]),
    level=st.booleans(),
    range=st.booleans(),
    odometer=st.booleans(),
    speed=st.booleans(),
    shift=st.booleans(),
    location=st.sampled_from([None, "zone", "coords"]),
    temp=st.booleans(),
    consumed=st.booleans(),
    charger_type=st.booleans(),
    period=st.sampled_from([1.0, 10.0, 30.0, 60.0, 300.0, 600.0]),
    on_change=st.booleans(),
    jitter=st.booleans(),
)

HOME = Place("home", 52.52, 13.40)
WORK = Place("work", 52.40, 13.05)


@dataclass(slots=True)
class _Car:
    """The simulated car's true state."""

    t: float = T0
    level: float = 50.0
    odo: float = 12_345.0
    counter: float = 0.0
    evse: float = 1_000.0
    consumed: float = 500.0
    plugged: bool = False
    charging: bool = False
    complete: bool = False
    power: float = 0.0
    speed: float = 0.0
    shift: str = "P"
    place: Place = HOME
    dc: bool = False
    temp: float = 12.0


@dataclass(slots=True)
class _Sim:
    profile: Profile
    draw: Any
    car: _Car = field(default_factory=_Car)
    out: list[Reading] = field(default_factory=list)
    last: dict[Role, Value] = field(default_factory=dict)
    last_ts: dict[Role, float] = field(default_factory=dict)

    def full(self) -> bool:
        return len(self.out) >= MAX_READINGS

    def value(self, role: Role) -> Value:
        car, p = self.car, self.profile
        match role:
            case Role.BATTERY_LEVEL:
                return round(car.level, 1)
            case Role.CHARGING_STATE:
                if p.state == "binary":
                    return (
                        ChargeState.CHARGING
                        if car.charging
                        else ChargeState.NOT_CHARGING
                    )
                if car.charging:
                    return ChargeState.CHARGING
                if not car.plugged:
                    return ChargeState.DISCONNECTED
                return ChargeState.COMPLETE if car.complete else ChargeState.PLUGGED
            case Role.PLUGGED:
                return car.plugged
            case Role.CHARGER_POWER:
                return round(car.power, 2)
            case Role.CHARGER_VOLTAGE:
                return (400.0 if car.dc else 230.0) if car.charging else 0.0
            case Role.CHARGER_CURRENT:
                volts = 400.0 if car.dc else 690.0
                return round(car.power * 1000.0 / volts, 1) if car.charging else 0.0
            case Role.SESSION_ENERGY:
                return round(car.counter, 3)
            case Role.EVSE_ENERGY:
                return round(car.evse, 3)
            case Role.CHARGER_TYPE:
                return ChargeType.DC if car.dc else ChargeType.AC
            case Role.ODOMETER:
                return round(car.odo, 1)
            case Role.SPEED:
                return round(car.speed, 1)
            case Role.SHIFT_STATE:
                return car.shift
            case Role.LOCATION:
                if p.location == "zone":
                    return Place(car.place.zone)
                return car.place
            case Role.RANGE:
                return round(car.level * 4.2, 1)
            case Role.OUTSIDE_TEMP:
                return car.temp
            case Role.ENERGY_CONSUMED:
                return round(car.consumed, 3)
        raise AssertionError(role)  # pragma: no cover

    def emit(self, role: Role, value: Value, ts: float) -> None:
        if self.full():
            return
        ts = max(ts, self.last_ts.get(role, -math.inf))
        self.last_ts[role] = ts
        self.last[role] = value
        self.out.append(Reading(ts, role, value))

    def tick(self, *, gaps: bool = True) -> None:
        """Report every role once (subject to on-change, gaps, jitter)."""
        p = self.profile
        roles = p.roles()
        gap = (
            self.draw(st.integers(-2 * len(roles) - 2, len(roles) - 1)) if gaps else -1
        )
        for i, role in enumerate(roles):
            if i == gap:
                if self.last.get(role, 0) is not None:
                    self.emit(role, None, self.car.t)
                continue
            value = self.value(role)
            if p.on_change and role in self.last and self.last[role] == value:
                continue
            ts = self.car.t
            if p.jitter:
                ts += self.draw(st.integers(0, 4)) * p.period / 10.0
            self.emit(role, value, ts)
        self.car.t += p.period

    # Phases -----------------------------------------------------------------------

    def park(self, ticks: int) -> None:
        car = self.car
        car.speed = 0.0
        car.shift = "P"
        for _ in range(ticks):
            self.tick()

    def plug_in(self) -> None:
        car = self.car
        if not car.plugged:
            car.plugged = True
            car.complete = False
            if self.profile.counter == "session":
                car.counter = 0.0
            if self.profile.evse == "session":
                car.evse = 0.0
            self.tick()

    def unplug(self) -> None:
        car = self.car
        if car.plugged:
            car.charging = False
            car.power = 0.0
            car.plugged = False
            if self.profile.counter == "zeroing":
                car.counter = 0.0
            self.tick()

    def charge(self, ticks: int, kw: float, pause: int, reset: int, dc: bool) -> None:
        car = self.car
        self.plug_in()
        car.dc = dc
        p = self.profile
        for i in range(ticks):
            if self.full():
                break
            paused = 0 < pause <= i < pause + 2
            car.charging = not paused and car.level < 100.0
            ramp = min(1.0, (i + 1) / 3.0)
            car.power = kw * ramp if car.charging else 0.0
            if car.charging:
                added = car.power * p.period / 3600.0
                car.counter += added
                car.evse += added * 1.08
                car.level = min(100.0, car.level + added / 0.6)
            elif p.counter == "zeroing":
                car.counter = 0.0
            if reset and i == reset:
                car.counter = 0.0
            self.tick()
        car.charging = False
        car.complete = car.level >= 100.0 or self.draw(st.booleans())
        car.power = 0.0
        if p.counter == "zeroing":
            car.counter = 0.0
        self.tick()

    def drive(self, ticks: int, kmh: float, dest: Place) -> None:
        self.unplug()
        car = self.car
        car.shift = "D"
        p = self.profile
        for i in range(ticks):
            if self.full():
                break
            car.speed = kmh * (0.5 if i == 0 else 1.0)
            km = car.speed * p.period / 3600.0
            car.odo += km
            car.consumed += km * 0.17
            car.level = max(0.0, car.level - km * 0.17 / 0.6)
            if car.place.zone is not None and i >= 1:
                car.place = Place(None, 52.45, 13.2 + 0.001 * i)
            self.tick()
        car.speed = 0.0
        car.shift = "P"
        car.place = dest
        self.tick()

    def offline(self, seconds: float, charge: float, km: float) -> None:
        """All entities unavailable; the car charges or drives meanwhile."""
        for role in self.profile.roles():
            if self.last.get(role, 0) is not None:
                self.emit(role, None, self.car.t)
        car = self.car
        car.t += seconds
        if km:
            # It drove away meanwhile: unplugged first.
            car.plugged = car.charging = False
            car.power = 0.0
            if self.profile.counter == "zeroing":
                car.counter = 0.0
        if charge:
            car.level = min(100.0, car.level + charge)
        if km:
            car.odo += km
            car.consumed += km * 0.17
            car.level = max(0.0, car.level - km * 0.17 / 0.6)
            car.place = WORK if car.place.zone == "home" else HOME
        self.tick()

    def flap(self, seconds: float) -> None:
        """The plug reports out and in again (a flaky cable sensor)."""
        if not self.profile.plug or not self.car.plugged:
            return
        self.emit(Role.PLUGGED, False, self.car.t)
        self.car.t += seconds
        self.emit(Role.PLUGGED, True, self.car.t)
        self.car.t += 1.0

    def unplug_lagging(self, lag: float, kw: float) -> None:
        """Unplugged mid-charge; the car's power and status tell of it `lag` s late.

        Cloud cars poll their roles apart: the plug sensor says "out" while the power
        and the status still say "charging" (stale), until their next poll.
        """
        if not self.profile.plug:
            return
        car = self.car
        self.plug_in()
        car.charging, car.power = True, kw
        self.tick()
        roles = self.profile.roles()
        stale = [
            (role, self.value(role))
            for role in (Role.CHARGER_POWER, Role.CHARGING_STATE)
            if role in roles
        ]
        car.plugged = car.charging = False
        car.power = 0.0
        if self.profile.counter == "zeroing":
            car.counter = 0.0
        self.emit(Role.PLUGGED, False, car.t)
        for role, value in stale:
            self.emit(role, value, car.t + lag)
        car.t += lag + 1.0
        self.tick()


_PHASE = st.sampled_from(
    ["park", "charge", "drive", "offline", "flap", "unplug", "unplug_lagging"]
)


@st.composite
def vehicle_streams(
    draw: st.DrawFn, *, end_unplugged: bool = False, sort: bool | None = None
) -> tuple[Profile, list[Reading]]:
    """A plausible stream (<= MAX_READINGS readings) and the profile that made it."""
    profile = draw(profiles)
    sim = _Sim(profile, draw)
    sim.car.level = draw(st.floats(5.0, 95.0)).__round__(1)
    phases = draw(st.lists(_PHASE, min_size=1, max_size=8))
    for phase in phases:
        if sim.full():
            break
        match phase:
            case "park":
                sim.park(draw(st.integers(1, 6)))
            case "charge":
                sim.charge(
                    draw(st.integers(1, 20)),
                    draw(st.sampled_from([1.4, 3.7, 7.4, 11.0, 50.0, 150.0])),
                    draw(st.integers(0, 10)),
                    draw(st.integers(0, 10)),
                    draw(st.booleans()),
                )
            case "drive":
                sim.drive(
                    draw(st.integers(1, 20)),
                    draw(st.sampled_from([5.0, 30.0, 50.0, 120.0])),
                    draw(st.sampled_from([HOME, WORK, Place("shop")])),
                )
            case "offline":
                sim.offline(
                    draw(st.sampled_from([600.0, 3600.0, 8000.0, 40_000.0])),
                    draw(st.sampled_from([0.0, 0.0, 1.0, 30.0])),
                    draw(st.sampled_from([0.0, 0.0, 0.1, 25.0])),
                )
            case "flap":
                sim.flap(draw(st.sampled_from([5.0, 60.0, 119.0, 121.0, 900.0])))
            case "unplug":
                sim.unplug()
            case "unplug_lagging":
                sim.unplug_lagging(
                    draw(st.sampled_from([5.0, 30.0, 119.0, 300.0])),
                    draw(st.sampled_from([3.7, 11.0, 50.0])),
                )
    if end_unplugged:
        # The last word of every entity: unplugged, not charging, parked.
        sim.out = sim.out[: MAX_READINGS - 20]
        sim.car.plugged = sim.car.charging = False
        sim.car.power = sim.car.speed = 0.0
        sim.car.shift = "P"
        sim.tick(gaps=False)
    readings = sim.out
    if sort is None:
        sort = draw(st.booleans())
    if sort:
        readings = sorted(readings, key=lambda r: r.ts)
    return profile, readings


# Garbage ---------------------------------------------------------------------------

_NUMERIC_BAD: dict[Role, list[Any]] = {
    Role.BATTERY_LEVEL: [100.5, -1.0, 1e9],
    Role.CHARGER_POWER: [-5.0, 5000.0],
    Role.CHARGER_VOLTAGE: [-1.0, 1e6],
    Role.CHARGER_CURRENT: [-3.0, 1e5],
    Role.SESSION_ENERGY: [-1.0, 1e7],
    Role.EVSE_ENERGY: [-1.0, 1e12],
    Role.ODOMETER: [-1.0, 1e8],
    Role.SPEED: [-10.0, 900.0],
    Role.RANGE: [-1.0, 1e5],
    Role.OUTSIDE_TEMP: [-100.0, 200.0],
    Role.ENERGY_CONSUMED: [-1.0, 1e10],
}
_ENUM_BAD: dict[Role, list[Any]] = {
    Role.CHARGING_STATE: ["charging", "on", 1.0, True],
    Role.PLUGGED: ["on", 1.0, 0, "off"],
    Role.CHARGER_TYPE: ["ac", "DC", 3.0],
    Role.SHIFT_STATE: ["X", "drive", 1.0, True],
    Role.LOCATION: ["home", (52.0, 13.0), 1.0],
}


@st.composite
def _garbage_value(draw: st.DrawFn, *, enums: bool) -> tuple[Role, Any]:
    kinds = ["numeric_type", "numeric_range", "site"]
    if enums:
        kinds.append("enum")
    kind = draw(st.sampled_from(kinds))
    if kind == "site":
        return draw(st.sampled_from(SITE_ROLES)), draw(st.floats(0, 10))
    if kind == "enum":
        role = draw(st.sampled_from(ENUM_ROLES))
        return role, draw(st.sampled_from(_ENUM_BAD[role]))
    role = draw(st.sampled_from(NUMERIC_ROLES))
    if kind == "numeric_range":
        return role, draw(st.sampled_from(_NUMERIC_BAD[role]))
    return role, draw(
        st.sampled_from([math.nan, math.inf, -math.inf, "12.5", "unavailable", True])
    )


_BAD_TS: list[Any] = [math.nan, math.inf, -math.inf, "1700000000", True, None]


@st.composite
def with_garbage(
    draw: st.DrawFn, readings: list[Reading], *, enums: bool = True
) -> tuple[list[Reading], int]:
    """Insert readings that must each be rejected exactly once; return them + count.

    A garbage reading is timestamped like its neighbour in the clean stream, so time
    moves exactly as in the clean stream, or carries an invalid timestamp, or is
    older than the last accepted reading of its role (stale).
    """
    if not readings:
        return readings, 0
    count = draw(st.integers(1, 8))
    inserts: dict[int, list[Reading]] = {}
    for _ in range(count):
        pos = draw(st.integers(0, len(readings) - 1))
        kind = draw(st.sampled_from(["value", "value", "ts", "stale"]))
        neighbour = readings[pos]
        if kind == "stale":
            # A copy of the reading before, dated before it: older than the last
            # accepted reading of its role (clean readings are all accepted).
            earlier = [r for r in readings[:pos] if r.role is neighbour.role]
            if pos == 0 or not earlier:
                kind = "ts"
            else:
                last = earlier[-1]
                garbage = Reading(last.ts - 1.0, last.role, last.value)
        if kind == "ts":
            garbage = Reading(
                draw(st.sampled_from(_BAD_TS)),
                draw(st.sampled_from(VEHICLE_ROLES)),
                draw(st.sampled_from([1.0, True, None, "P"])),
            )
        elif kind == "value":
            role, value = draw(_garbage_value(enums=enums))
            garbage = Reading(neighbour.ts, role, value)
        inserts.setdefault(pos, []).append(garbage)
    out: list[Reading] = []
    for i, reading in enumerate(readings):
        out.extend(inserts.get(i, ()))
        out.append(reading)
    return out, count


# Anything --------------------------------------------------------------------------

_floats = st.floats(allow_nan=True, allow_infinity=True)
_any_value: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    _floats,
    st.floats(-10, 1000),
    st.integers(-(10**6), 10**6),
    st.integers(),
    st.text(max_size=5),
    st.sampled_from(list(ChargeState)),
    st.sampled_from(list(ChargeType)),
    st.sampled_from(["P", "D", "R", "N"]),
    st.builds(
        Place,
        st.one_of(st.none(), st.text(max_size=3)),
        st.one_of(st.none(), _floats),
        st.one_of(st.none(), _floats),
    ),
    st.lists(st.integers(), max_size=2),
)
_any_ts: st.SearchStrategy[Any] = st.one_of(
    st.floats(T0, T0 + 1e6),
    st.floats(T0, T0 + 1e6),
    _floats,
    st.integers(),
    st.booleans(),
    st.text(max_size=3),
    st.none(),
)


def anything_readings(max_size: int = 60) -> st.SearchStrategy[list[Reading]]:
    """Fully random readings: any role, any value type, any timestamp type."""
    return st.lists(
        st.builds(Reading, _any_ts, st.sampled_from(list(Role)), _any_value),
        max_size=max_size,
    )


# Energy site ------------------------------------------------------------------------

SITE_STREAM_ROLES = (Role.SOLAR_POWER, Role.GRID_POWER, Role.HOME_LOAD)


@st.composite
def site_streams(draw: st.DrawFn, start: float, end: float) -> list[Reading]:
    """A home energy site's meters over [start, end), polled as the demo's are.

    Every poll reports each meter, unchanged values included (Home Assistant's
    `force_update`), at a poll period and an offset of its own; solar and the house
    load drift, the grid balances them; a meter may be unavailable for a poll.
    """
    period = draw(st.sampled_from([60.0, 300.0, 600.0]))
    offset = draw(st.sampled_from([0.0, 1.0, 20.0, 37.5]))
    solar = draw(st.floats(0.0, 6.0)).__round__(2)
    load = draw(st.floats(0.2, 2.0)).__round__(2)
    out: list[Reading] = []
    t = (start // period) * period + offset
    while t < end and len(out) < MAX_READINGS:
        solar = max(0.0, round(solar + draw(st.sampled_from([-0.5, 0.0, 0.0, 0.7])), 2))
        load = max(0.1, round(load + draw(st.sampled_from([-0.3, 0.0, 0.0, 0.4])), 2))
        values = {
            Role.SOLAR_POWER: solar,
            Role.GRID_POWER: round(load - solar, 2),
            Role.HOME_LOAD: load,
        }
        gap = draw(st.sampled_from([None, None, None, None, *SITE_STREAM_ROLES]))
        out.extend(
            Reading(t, role, None if role is gap else values[role])
            for role in SITE_STREAM_ROLES
        )
        t += period
    return out
