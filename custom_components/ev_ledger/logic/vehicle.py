"""The per-vehicle ledger: readings in, domain events out.

`VehicleLedger.step(reading)` validates a reading (rejections are counted, never
raised), advances the session and trip state machines, and returns the domain events
that reading caused. Time only moves with the readings' own timestamps (and `advance`),
so a replay of history gives exactly what live operation gave.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
import math
from typing import TYPE_CHECKING, Any

from .efficiency import CapacityLearner, RollingEfficiency
from .ids import record_id
from .model import (
    ChargeState,
    ChargeType,
    ChargingSession,
    DomainEvent,
    Flag,
    Place,
    Reading,
    RecordDropped,
    Reject,
    Role,
    SessionCompleted,
    SessionStarted,
    SessionStatus,
    SessionUpdated,
    Trip,
    TripCompleted,
    TripStarted,
)
from .session import OpenSession
from .trip import OpenTrip

if TYPE_CHECKING:
    from .config import VehicleConfig
    from .integrate import MinuteEnergy

EMPTY: tuple[DomainEvent, ...] = ()
INF = math.inf
SNAPSHOT_VERSION = 1

# Plausibility bounds per numeric role: (min, max). Outside: rejected with a reason.
_BOUNDS: dict[Role, tuple[float, float]] = {
    Role.BATTERY_LEVEL: (0.0, 100.0),
    Role.CHARGER_POWER: (-0.05, 1000.0),
    Role.CHARGER_VOLTAGE: (0.0, 1500.0),
    Role.CHARGER_CURRENT: (-0.5, 1000.0),
    Role.SESSION_ENERGY: (0.0, 10_000.0),
    Role.EVSE_ENERGY: (0.0, 1e9),
    Role.ODOMETER: (0.0, 5e6),
    Role.SPEED: (-0.5, 500.0),
    Role.RANGE: (0.0, 5000.0),
    Role.OUTSIDE_TEMP: (-80.0, 80.0),
    Role.ENERGY_CONSUMED: (0.0, 1e9),
}
_PERCENT_ROLES = {Role.BATTERY_LEVEL}
# What `VehicleConfig.charging_negative` negates.
_CHARGING_SIGNED: frozenset[Role] = frozenset(
    {Role.CHARGER_POWER, Role.CHARGER_CURRENT}
)
_SHIFTS = frozenset({"P", "D", "R", "N"})
# Validators of the non-numeric roles' values.
_CHECKS: dict[Role, Callable[[Any], bool]] = {
    Role.CHARGING_STATE: lambda v: isinstance(v, ChargeState),
    Role.PLUGGED: lambda v: v.__class__ is bool,
    Role.CHARGER_TYPE: lambda v: isinstance(v, ChargeType),
    Role.SHIFT_STATE: lambda v: v.__class__ is str and v in _SHIFTS,
    Role.LOCATION: lambda v: isinstance(v, Place) and _valid_place(v),
}


def _valid_place(place: Place) -> bool:
    zone, lat, lon = place
    return (
        (zone is None or zone.__class__ is str)
        and (lat is None or (lat.__class__ in (float, int) and -90 <= lat <= 90))
        and (lon is None or (lon.__class__ in (float, int) and -180 <= lon <= 180))
    )


def _bad_value(valid: Callable[[Any], bool]) -> Callable[[Any], Reject | None]:
    return lambda value: None if valid(value) else Reject.BAD_VALUE


_MOTION_KMH = 0.5
_ODOMETER_NOISE_KM = 0.05
# No car drives faster than the speed bound: an odometer that rose further since its
# last reading (beyond a margin for coarse odometers and late timestamps) is held until
# the next reading says whether it was a glitch or a real jump.
_FASTEST_KMH = _BOUNDS[Role.SPEED][1]
_ODOMETER_SLACK_KM = 5.0
# For trips seen only through the odometer: an average speed few drives exceed.
_FASTEST_AVERAGE_KMH = 60.0
_DRIVE_SHIFTS = {"D", "R", "N"}
_PLUG_AWARE_STATES = {
    ChargeState.DISCONNECTED,
    ChargeState.PLUGGED,
    ChargeState.COMPLETE,
}

type Settle = Callable[[ChargingSession], None]


class VehicleLedger:
    """Derives charging sessions and trips for one vehicle."""

    def __init__(self, config: VehicleConfig, settle: Settle | None = None) -> None:
        self.config = config
        self.settle = settle
        self.now = -INF
        self._update_interval = config.update_interval_s
        self.accepted = 0
        self.rejected: Counter[str] = Counter()
        self.dropped: Counter[str] = Counter()
        self.inferred = 0
        # Latest known values (None = never seen or in a gap).
        self.level: float | None = None
        self.level_ts = -INF
        self.level_gap = False
        # The last time the car said anything at all (any role, a value, not a gap):
        # a polled car reports its plug and charge state while its odometer stands.
        self.news_ts = -INF
        self.session_since_level = False
        self.range_km: float | None = None
        self.place: Place | None = None
        self.odometer: float | None = None
        self.odometer_ts = -INF
        self.odometer_rest = 0.0  # odometer when the car last stood still
        self.odometer_gap = False
        # A jump held as suspect: [km, last time it was read, readings held].
        self.odometer_suspect: list[float] | None = None
        self.consumed: float | None = None
        self.temp: float | None = None
        self.plugged: bool | None = None
        self.plug_known = False
        self.plug_role_seen = False
        self.has_state = False
        self.state_has_plug = False
        self.has_shift = False
        self.has_speed = False
        self.state: ChargeState | None = None
        self.power_kw: float | None = None
        self.charger_type: ChargeType | None = None
        # Counter readings [ts, kWh] seen outside a session, for the next baseline.
        self.vehicle_recent: list[list[float]] = []
        self.evse_recent: list[list[float]] = []
        # Session lifecycle.
        self.session: OpenSession | None = None
        self.unplug_pending: float | None = None
        self.last_session_end = -INF
        self.last_trip_end = -INF
        # (start second, count) per record kind: ids of records that start in the
        # same second get a sequence number.
        self._id_seq: dict[str, list[int]] = {}
        self.idle_since: float | None = None
        self.complete = False
        self.last_update = -INF
        # Trip lifecycle.
        self.trip: OpenTrip | None = None
        self.parked_since: float | None = None
        self.deadline = INF
        self.efficiency = RollingEfficiency(config.efficiency_window_s)
        self.capacity = CapacityLearner(config.capacity_min_level_delta)
        self._out: list[DomainEvent] = []
        handlers: dict[Role, Callable[[float, Any], None]] = {
            Role.BATTERY_LEVEL: self._on_level,
            Role.CHARGING_STATE: self._on_state,
            Role.PLUGGED: self._on_plugged,
            Role.CHARGER_POWER: self._on_power,
            Role.CHARGER_VOLTAGE: self._on_voltage,
            Role.CHARGER_CURRENT: self._on_current,
            Role.SESSION_ENERGY: self._on_vehicle_counter,
            Role.EVSE_ENERGY: self._on_evse_counter,
            Role.CHARGER_TYPE: self._on_charger_type,
            Role.ODOMETER: self._on_odometer,
            Role.SPEED: self._on_speed,
            Role.SHIFT_STATE: self._on_shift,
            Role.LOCATION: self._on_location,
            Role.RANGE: self._on_range,
            Role.OUTSIDE_TEMP: self._on_temp,
            Role.ENERGY_CONSUMED: self._on_consumed,
        }
        self._table: dict[Role, _Spec] = {
            role: _Spec(
                handler,
                *_BOUNDS.get(role, (0.0, 0.0)),
                _bad_value(_CHECKS[role]) if role in _CHECKS else None,
            )
            for role, handler in handlers.items()
        }
        self._table[Role.ODOMETER].check = self._odometer_backwards
        # Roles reported with the opposite sign (`config.charging_negative`): a low
        # bound of INF sends each of their readings to `_number`, which negates it, so
        # the hot loop has no test of its own for this.
        self._negated = (
            _CHARGING_SIGNED if config.charging_negative else frozenset[Role]()
        )
        for role in self._negated:
            self._table[role].low = INF
        # Power readings below zero while a session charges: a sign the other way
        # round (`charging_negative` not set); the runtime raises a repair on them.
        self.negative_charging = 0
        charger = set(config.charger_roles) if config.charger_zone else set()
        self._charger_power = Role.CHARGER_POWER.value in charger
        self._charger_state = Role.CHARGING_STATE.value in charger
        self._charger_plug = Role.PLUGGED.value in charger

    # Public API ----------------------------------------------------------------------

    def step(self, reading: Reading) -> Sequence[DomainEvent]:
        """Process one reading; return the events it caused."""
        self._run((reading,))
        if self._out:
            return self._flush()
        return EMPTY

    def replay(self, readings: Iterable[Reading]) -> list[DomainEvent]:
        """Process many readings (backfill, recompute); return all their events."""
        self._run(readings)
        out = self._out
        self._out = []
        return out

    def _run(self, readings: Iterable[Reading]) -> None:
        # The hot loop: one implementation for step and replay, with lookups hoisted
        # out of the loop because this runs for every state change of every entity.
        table_get = self._table.get
        rejected = self.rejected
        now = self.now  # handlers get the time as `ts`; written back at the end
        accepted = 0
        for ts, role, value in readings:
            entry = table_get(role)
            if entry is None:
                rejected[Reject.UNKNOWN_ROLE] += 1
                continue
            if ts.__class__ is not float or not -INF < ts < INF:
                if isinstance(ts, bool) or not isinstance(ts, int | float):
                    rejected[Reject.BAD_VALUE] += 1
                    continue
                try:
                    ts = float(ts)
                except OverflowError:
                    ts = INF
                if not -INF < ts < INF:
                    rejected[Reject.BAD_VALUE] += 1
                    continue
            if ts < entry.last:
                rejected[Reject.STALE] += 1
                continue
            if value is not None:
                if entry.high:
                    # Fast path for the common case; NaN fails the comparison.
                    if value.__class__ is float and entry.low <= value <= entry.high:  # type: ignore[operator]
                        if value < 0.0:  # type: ignore[operator]  # noqa: PLR1730 (no call on the hot path)
                            value = 0.0
                    else:
                        value = self._number(role, value, entry.low, entry.high)
                        if value is None:
                            continue
                if entry.check is not None:
                    # Checked before time moves on: a rejected reading changes nothing.
                    reason = entry.check(value)
                    if reason is not None:
                        rejected[reason] += 1
                        continue
            entry.last = ts
            # Roles are reported by independent pollers; a reading slightly behind
            # another role's is processed at the ledger's time, so that time never
            # runs backwards.
            if ts < now:
                ts = now
            else:
                now = ts
            if ts >= self.deadline:
                self._expire(ts)
            accepted += 1
            entry.handler(ts, value)
            if value is not None:
                self.news_ts = ts
        self.now = now
        self.accepted += accepted

    def seen(self, role: Role, ts: float) -> bool:
        """Whether a reading of `role` at `ts` is no newer than the last one taken.

        After a restart the current states are fed again; one the restored ledger
        already took must not be taken a second time at the ledger's later time.
        """
        entry = self._table.get(role)
        return entry is not None and ts <= entry.last

    def advance(self, ts: float) -> Sequence[DomainEvent]:
        """Let data time pass without a reading (timeouts: unplug grace, parking)."""
        if ts > self.now:
            self.now = ts
            if ts >= self.deadline:
                self._expire(ts)
        return self._flush()

    def preview(self, ts: float) -> ChargingSession | None:
        """The in-progress session as a record (for live sensors), or None."""
        session = self.session
        if session is None:
            return None
        return session.build(
            self.config.vehicle_id,
            max(ts, session.started_at),
            None,
            *self._capacity(),
            SessionStatus.IN_PROGRESS,
            self.config,
            final=False,
        )

    def measured(self) -> MinuteEnergy | None:
        """The minute buckets of the open session's energy, as a preview's (or None).

        A live view of the session's own measurement (not a copy): minutes before its
        `final_before` never change again, so a running price takes each once.
        """
        session = self.session
        measured = None if session is None else session.measured()
        return None if measured is None else measured[1]

    @property
    def plug_out(self) -> bool:
        """Whether the plug (its sensor, or the charging state) last said "out"."""
        return self.plug_known and not self.plugged

    @property
    def charge_status(self) -> ChargeState:
        """What a user's "charging status" sensor shows."""
        session = self.session
        if session is None:
            return ChargeState.PLUGGED if self.plugged else ChargeState.DISCONNECTED
        if session.charging:
            return ChargeState.CHARGING
        if self.complete:
            return ChargeState.COMPLETE
        return ChargeState.PLUGGED

    @property
    def learned_capacity_kwh(self) -> float | None:
        """Usable capacity learned from sessions (None until one qualifies)."""
        return self.capacity.value()

    # Validation ----------------------------------------------------------------------

    def _number(self, role: Role, raw: Any, low: float, high: float) -> float | None:
        value: float
        if raw.__class__ is float:
            value = raw
        else:
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                self.rejected[Reject.NOT_NUMERIC] += 1
                return None
            try:
                value = float(raw)
            except OverflowError:  # an int too large for a float
                self.rejected[Reject.ABSURD] += 1
                return None
        if not math.isfinite(value):
            self.rejected[Reject.NOT_FINITE] += 1
            return None
        if low == INF:  # a role of `_negated`: charging is reported below zero
            # The other direction is the pack discharging (driving): no charging.
            value = -value if value < 0.0 else 0.0
            low, high = _BOUNDS[role]
        if value < low:
            session = self.session
            if (
                role is Role.CHARGER_POWER
                and session is not None
                and session.charging
                and value < -self.config.charging_threshold_kw
            ):
                self.negative_charging += 1
            self.rejected[
                Reject.OUT_OF_RANGE if role in _PERCENT_ROLES else Reject.NEGATIVE
            ] += 1
            return None
        if value > high:
            self.rejected[
                Reject.OUT_OF_RANGE if role in _PERCENT_ROLES else Reject.ABSURD
            ] += 1
            return None
        return value if value > 0.0 else 0.0

    def _odometer_backwards(self, value: float) -> Reject | None:
        previous = self.odometer
        if previous is not None and value < previous - _ODOMETER_NOISE_KM:
            return Reject.BACKWARDS
        return None

    # Handlers: charging --------------------------------------------------------------

    def _on_level(self, ts: float, value: float | None) -> None:
        if value is None:
            self.level_gap = True
            self._session_gap()
            return
        previous = self.level
        if (
            previous is not None
            and self.session is None
            and not self.session_since_level
            and (self.level_gap or ts - self.level_ts > self.config.offline_after_s)
            and value - previous >= self.config.offline_min_level_delta
        ):
            self._infer_offline_session(self.level_ts, ts, previous, value)
        self.level = value
        self.level_ts = ts
        self.level_gap = False
        self.session_since_level = self.session is not None
        if self.session is not None:
            self.session.on_level(value, ts)
        trip = self.trip
        if trip is not None:
            if trip.level_start is None:
                trip.level_start = value
            trip.level_end = value

    def _on_state(self, ts: float, value: Any) -> None:
        if value is None:
            self.state = None
            self._session_gap()
            self._evidence_lost(ts)
            return
        self.has_state = True
        self.state = value
        if (
            self._charger_state
            and self.session is not None
            and value is ChargeState.CHARGING
        ):
            self.session.via_charger = True
        if value in _PLUG_AWARE_STATES:
            # Only an enum that can say "disconnected"/"plugged" carries plug status;
            # a binary charging sensor's "charging" says nothing about unplugging.
            self.state_has_plug = True
        if self.state_has_plug and not self.plug_role_seen:
            if value is ChargeState.DISCONNECTED:
                self._set_plugged(ts, plugged=False)
            elif value is not ChargeState.NOT_CHARGING:
                self._set_plugged(ts, plugged=True)
        self._set_charging(ts, charging=value is ChargeState.CHARGING)
        # The status sensor follows the car: "complete", then "stopped", is plugged.
        self.complete = value is ChargeState.COMPLETE and self.session is not None

    def _on_plugged(self, ts: float, value: Any) -> None:
        if value is None:
            self._session_gap()
            return
        self.plug_role_seen = True
        self._set_plugged(ts, plugged=value)
        if self._charger_plug and value and self.session is not None:
            self.session.via_charger = True

    def _on_power(self, ts: float, value: float | None) -> None:
        session = self.session
        if value is None:
            self.power_kw = None
            if session is not None:
                session.power.pause(ts)
                session.flags.add(Flag.GAP)
                if not self.has_state:
                    self._evidence_lost(ts)
            return
        self.power_kw = value
        if not self.has_state:
            self._set_charging(ts, charging=value > self.config.charging_threshold_kw)
            session = self.session
        if session is not None:
            if (
                session.windows
                and not session.charging
                and self.has_state
                and self.state is not None
            ):
                # The charging state ended the charge ("complete", "stopped"): power
                # reported after it (a stale sensor, or the last value fed again at
                # the minute tick) adds nothing until the state says charging.
                session.power.feed(ts, 0.0)
                return
            session.power.feed(ts, value)
            if self._charger_power and value > self.config.charging_threshold_kw:
                session.via_charger = True
            if value > 0:
                if session.max_kw is None or value > session.max_kw:
                    session.max_kw = value
                if session.charging_since is not None and (
                    session.min_kw is None or value < session.min_kw
                ):
                    session.min_kw = value

    def _on_voltage(self, ts: float, value: float | None) -> None:
        session = self.session
        if value and session is not None and session.charging_since is not None:
            session.voltage_sum += value
            session.voltage_n += 1

    def _on_current(self, ts: float, value: float | None) -> None:
        session = self.session
        if value and session is not None and session.charging_since is not None:
            session.current_sum += value
            session.current_n += 1

    def _on_vehicle_counter(self, ts: float, value: float | None) -> None:
        session = self.session
        if session is not None and value is not None:
            session.vehicle.feed(ts, value)  # the hot path while charging
        else:
            self._on_counter(ts, value, self.vehicle_recent, vehicle=True)

    def _on_evse_counter(self, ts: float, value: float | None) -> None:
        self._on_counter(ts, value, self.evse_recent, vehicle=False)

    def _on_counter(
        self,
        ts: float,
        value: float | None,
        recent: list[list[float]],
        *,
        vehicle: bool,
    ) -> None:
        session = self.session
        if session is not None:
            tracker = session.vehicle if vehicle else session.evse
            if value is None:
                tracker.pause()
            else:
                tracker.feed(ts, value)
            return
        if value is None:
            recent.clear()
            return
        # Outside a session keep the readings of the last grace period (and one
        # before it): a counter often reports the new session before the plug does.
        recent.append([ts, value])
        horizon = ts - self.config.session_grace_s
        while len(recent) > 2 and recent[1][0] < horizon:
            del recent[0]

    def _on_charger_type(self, ts: float, value: Any) -> None:
        if value is None:
            return
        self.charger_type = value
        if self.session is not None:
            self.session.charge_type = value

    def _on_range(self, ts: float, value: float | None) -> None:
        if value is None:
            return
        self.range_km = value
        if self.session is not None:
            self.session.on_range(value)

    def _on_temp(self, ts: float, value: float | None) -> None:
        if value is None:
            return
        self.temp = value
        if self.session is not None:
            self.session.on_temp(value)
        if self.trip is not None:
            self.trip.on_temp(value)

    # Session lifecycle ---------------------------------------------------------------

    def _session_gap(self) -> None:
        if self.session is not None:
            self.session.flags.add(Flag.GAP)

    def _evidence_lost(self, ts: float) -> None:
        """What told of charging went unavailable.

        Where the car's own plug sensor says "out" (a stale "charging" after the
        unplug opened the session, or the plug sensor never saw the charge), nothing
        says the charge goes on: the session ends after the activity gap unless
        charging shows again or the plug says "in". Elsewhere the open window waits
        for news: a home wallbox's plug says "out" while the car charges away, where
        a car often loses its connection (a garage) and charges on meanwhile.
        """
        session = self.session
        if (
            session is not None
            and session.charging
            and self.plug_out
            and not self._charger_plug
            and self.unplug_pending is None
            and self.idle_since is None
        ):
            self.idle_since = ts
            self._reschedule()

    def _set_plugged(self, ts: float, *, plugged: bool) -> None:
        self.plug_known = True
        self.plugged = plugged
        session = self.session
        if plugged:
            if session is None:
                self._open_session(ts, plugged=True)
            else:
                if self.unplug_pending is not None or self.idle_since is not None:
                    # Back within the grace period: flapping, same session. Or the
                    # plug now says "in": the unplug will end the session.
                    self.unplug_pending = None
                    session.unplug_power = None
                    self.idle_since = None
                    self._reschedule()
                if session.plugged_at is None:
                    session.plugged_at = min(ts, session.started_at)
        elif session is not None and self.unplug_pending is None:
            # The window stays open until the unplug is confirmed: a plug that bounces
            # back within the grace period must not have stopped the charge.
            self.unplug_pending = ts
            session.mark_unplug(ts)
            self.idle_since = None
            self._reschedule()

    def _set_charging(self, ts: float, *, charging: bool) -> None:
        session = self.session
        if charging:
            if session is None:
                session = self._open_session(ts, plugged=self.plug_known)
            elif self.unplug_pending is not None and not self.plug_role_seen:
                # Charging proves the plug is in when only the charging state tells
                # of the plug: the unplug was a flap. A plug sensor that said "out"
                # is believed until it says "in" again: a car's power or status often
                # lags the cable by a poll, and such a stale "charging" kept the
                # session open until the next unplug, merging two charges.
                self.unplug_pending = None
                session.unplug_power = None
            if not session.charging:
                session.window_start(ts)
                if self.trip is not None:
                    self._close_trip(min(ts, self._trip_end_estimate()))
            if self.idle_since is not None:
                self.idle_since = None
            self._reschedule()
        elif session is not None and session.charging:
            session.window_stop(ts)
            if not self.plug_known or self.plug_out:
                # No plug to tell the end, or one that says "out" (a plug sensor that
                # never saw this charge: the home wallbox's while charging away, or
                # one polled too rarely or stuck): the session ends after the
                # activity gap unless it charges again or the plug says "in".
                self.idle_since = ts
                self._reschedule()

    def _open_session(self, ts: float, *, plugged: bool) -> OpenSession:
        session = OpenSession(
            self.config,
            ts,
            record_id=self._new_id("session", ts),
            plugged=plugged,
            evse_history=self.evse_recent,
            vehicle_history=self.vehicle_recent,
            level=self.level,
            range_km=self.range_km,
            place=self.place,
        )
        if self.charger_type is not None:
            session.charge_type = self.charger_type
        if self.power_kw is not None:
            session.power.feed(ts, self.power_kw)
        self.session = session
        self.session_since_level = True
        self.complete = False
        self.last_update = ts
        self._reschedule()  # the in-progress update timer starts now
        self._out.append(SessionStarted(session.record_id, ts))
        return session

    def _close_session(
        self, ended_at: float, unplugged_at: float | None, status: SessionStatus
    ) -> None:
        session = self.session
        if session is None:
            return
        self.session = None
        self.unplug_pending = None
        self.idle_since = None
        self.complete = False
        # The next session's counters continue from where this one's ended.
        for tracker, recent in (
            (session.vehicle, self.vehicle_recent),
            (session.evse, self.evse_recent),
        ):
            recent.clear()
            if tracker.last_value is not None and tracker.last_ts is not None:
                recent.append([tracker.last_ts, tracker.last_value])
        record = session.build(
            self.config.vehicle_id,
            ended_at,
            unplugged_at,
            *self._capacity(),
            status,
            self.config,
        )
        # What the record says, not the argument: build() may settle on an earlier end.
        self.last_session_end = max(
            record.ended_at,
            record.unplugged_at if record.unplugged_at is not None else record.ended_at,
        )
        self._reschedule()
        self._complete_session(record)

    def _complete_session(self, record: ChargingSession) -> None:
        config = self.config
        inferred = record.status is SessionStatus.INFERRED
        if Flag.ENERGY_UNKNOWN in record.flags:
            delta = (
                record.end_level - record.start_level
                if record.end_level is not None and record.start_level is not None
                else 0.0
            )
            too_small = delta < 1.0
        else:
            too_small = float(record.energy_kwh) < config.min_session_kwh or (
                not inferred and record.charging_seconds < config.min_session_s
            )
        if too_small:
            self.dropped["session"] += 1
            self._out.append(
                RecordDropped("session", "too_small", record.ended_at, record.id)
            )
            return
        if inferred:
            self.inferred += 1
        elif self.config.usable_capacity_kwh is None:
            self.capacity.learn(record)
        if self.settle is not None:
            self.settle(record)
        self._out.append(SessionCompleted(record))

    def _infer_offline_session(
        self, since: float, until: float, level_from: float, level_to: float
    ) -> None:
        session = OpenSession(
            self.config,
            since,
            record_id=self._new_id("session", since),
            plugged=False,
            evse_history=(),
            vehicle_history=(),
            level=level_from,
            range_km=None,
            place=self.place,
        )
        session.on_level(level_to)
        session.flags.update((Flag.INFERRED, Flag.GAP))
        record = session.build(
            self.config.vehicle_id,
            until,
            None,
            *self._capacity(),
            SessionStatus.INFERRED,
            self.config,
        )
        record.ended_at = until
        self._complete_session(record)

    def _new_id(self, kind: str, ts: float) -> str:
        second = round(ts)
        previous = self._id_seq.get(kind)
        seq = previous[1] + 1 if previous is not None and previous[0] == second else 0
        self._id_seq[kind] = [second, seq]
        return record_id(self.config.vehicle_id, kind, ts, seq)

    def _capacity(self) -> tuple[float | None, bool]:
        if self.config.usable_capacity_kwh:
            return self.config.usable_capacity_kwh, False
        learned = self.capacity.value()
        return learned, learned is not None

    # Handlers: driving ---------------------------------------------------------------

    def _on_odometer(self, ts: float, value: float | None) -> None:
        if value is None:
            self.odometer_gap = True
            if self.trip is not None:
                self.trip.flags.add(Flag.GAP)
            return
        previous = self.odometer
        if previous is None:
            self.odometer_rest = value
        elif value < previous:
            value = previous  # within the noise margin (_odometer_backwards)
        elif self._odometer_held(ts, value):
            return
        else:
            previous = self.odometer  # rebased by a jump that proved real
        trip = self.trip
        if trip is not None:
            if previous is not None and value > previous:
                self._drive(ts)
            if trip.odo_start is None:
                trip.odo_start = value
            trip.odo_end = value
        elif value - self.odometer_rest > _ODOMETER_NOISE_KM:
            # Compared with the odometer at rest, not the previous reading: a 1 s
            # stream rises by less than the noise margin between two readings.
            # Offline means no news from the car at all: an odometer that stood
            # still all day while the plug and charge state kept reporting is a
            # parked car, not a car that was out of reach.
            offline = (
                self.odometer_gap or ts - self.news_ts > self.config.offline_after_s
            )
            # A sensor that reports on change last spoke when the car parked, maybe
            # the evening before: the drive began no earlier than the distance takes
            # at a brisk average speed.
            since = max(
                self.odometer_ts,
                ts - (value - self.odometer_rest) / _FASTEST_AVERAGE_KMH * 3600.0,
            )
            if offline:
                self._infer_offline_trip(since, ts, self.odometer_rest, value)
                self.odometer_rest = value
            else:
                trip = self._drive(ts, started_hint=since)
                trip.odo_start = self.odometer_rest
                trip.odo_end = value
        self.odometer = value
        self.odometer_ts = ts
        self.odometer_gap = False

    def _odometer_held(self, ts: float, value: float) -> bool:
        """Hold a rise no car could drive until the next reading tells what it was.

        A reading that continues from before the jump proves it a glitch: rejected and
        counted. One that moves on from the jump proves it real (a replaced instrument
        cluster, a re-mapped sensor): the odometer starts from there and the jump is no
        trip. Returns True when `value` is held.
        """
        suspect = self.odometer_suspect
        assert self.odometer is not None
        if _drivable(self.odometer, self.odometer_ts, value, ts):
            if suspect is not None:
                self._drop_odometer_suspect()
            return False
        if suspect is not None:
            held, held_ts, count = suspect
            if abs(value - held) <= _ODOMETER_NOISE_KM:
                # Standing at the jump's value: not evidence either way yet.
                self.odometer_suspect = [held, ts, count + 1]
                return True
            if value > held and _drivable(held, held_ts, value, ts):
                self._rebase_odometer(held, held_ts)
                return False
            self._drop_odometer_suspect()
        self.odometer_suspect = [value, ts, 1]
        return True

    def _drop_odometer_suspect(self) -> None:
        assert self.odometer_suspect is not None
        count = int(self.odometer_suspect[2])
        self.odometer_suspect = None
        self.rejected[Reject.SPIKE] += count
        # Held readings were counted as accepted when they came.
        self.accepted -= count

    def _rebase_odometer(self, km: float, ts: float) -> None:
        """The odometer really jumped: the trip so far ends, the next starts there."""
        self.odometer_suspect = None
        if self.trip is not None:
            self._close_trip(self._trip_end_estimate())
        self.odometer = km
        self.odometer_ts = ts
        self.odometer_rest = km

    def _on_speed(self, ts: float, value: float | None) -> None:
        if value is None:
            return
        self.has_speed = True
        if value > _MOTION_KMH:
            self._drive(ts)
            if self.trip is not None:
                self.trip.on_speed(value)
        elif not self.has_shift:
            self._park(ts)

    def _on_shift(self, ts: float, value: Any) -> None:
        if value is None:
            return
        self.has_shift = True
        if value in _DRIVE_SHIFTS:
            self._drive(ts)
        else:
            self._park(ts)

    def _on_location(self, ts: float, value: Any) -> None:
        if value is None:
            return
        previous = self.place
        self.place = value
        session = self.session
        if session is not None and session.place is None:
            # The first location heard during the session is where it is.
            session.place = value
        if self.trip is not None:
            self.trip.on_place(value)
        elif (
            # Not while a session is open: tracker jitter at a zone's edge must not
            # end a charging session.
            self.session is None
            and previous is not None
            and previous.zone is not None
            and value.zone is not None
            and previous.zone != value.zone
        ):
            # Leaving (or arriving in) a zone is drive evidence.
            trip = self._drive(ts)
            trip.place_start = previous
            trip.on_place(value)

    def _on_consumed(self, ts: float, value: float | None) -> None:
        if value is None:
            return
        self.consumed = value
        trip = self.trip
        if trip is not None:
            if trip.consumed_start is None:
                trip.consumed_start = value
            trip.consumed_end = value

    def _drive(self, ts: float, started_hint: float | None = None) -> OpenTrip:
        trip = self.trip
        if trip is not None and self.session is None and self.parked_since is None:
            # Hot path while driving. The deadline is left as a lower bound: _expire
            # re-checks the real one.
            trip.last_motion = ts
            return trip
        if self.session is not None:
            # A car that moves is unplugged, whatever the plug sensor last said.
            unplugged = self.unplug_pending if self.unplug_pending is not None else ts
            if self.unplug_pending is None and self.plug_known:
                self.session.flags.add(Flag.GAP)
            self._close_session(
                self.session.end_estimate(unplugged),
                unplugged if self.plug_known else None,
                SessionStatus.COMPLETED,
            )
        if trip is None:
            start = ts
            if started_hint is not None and started_hint > -INF:
                # The car left at some point after the hint, but not before it last
                # stopped charging.
                start = max(
                    started_hint,
                    ts - self.config.offline_after_s,
                    self.last_session_end,
                    self.last_trip_end,
                )
            trip = OpenTrip(
                start,
                record_id=self._new_id("trip", start),
                odometer=self.odometer,
                level=self.level,
                place=self.place,
                consumed=self.consumed,
            )
            self.trip = trip
            self._out.append(TripStarted(trip.record_id, start))
        trip.last_motion = ts
        if self.parked_since is not None:
            self.parked_since = None
        self._reschedule()
        return trip

    def _park(self, ts: float) -> None:
        if self.trip is not None and self.parked_since is None:
            self.parked_since = ts
            self._reschedule()

    def _trip_end_estimate(self) -> float:
        assert self.trip is not None
        return (
            self.parked_since
            if self.parked_since is not None
            else self.trip.last_motion
        )

    def _close_trip(self, ended_at: float) -> None:
        trip = self.trip
        if trip is None:
            return
        self.trip = None
        self.parked_since = None
        self.last_trip_end = ended_at
        if trip.odo_end is not None:
            self.odometer_rest = trip.odo_end
        record = trip.build(self.config.vehicle_id, ended_at, *self._capacity())
        self._reschedule()
        self._complete_trip(record)

    def _complete_trip(self, record: Trip) -> None:
        if float(record.distance_km) < self.config.min_trip_km:
            self.dropped["trip"] += 1
            self._out.append(RecordDropped("trip", "too_short", record.ended_at))
            return
        if Flag.INFERRED in record.flags:
            self.inferred += 1
        self.efficiency.add(record)
        self._out.append(TripCompleted(record))

    def _infer_offline_trip(
        self, since: float, until: float, odo_from: float, odo_to: float
    ) -> None:
        session = self.session
        if session is not None:
            # It drove, so the session ended; when is unknown: at the last sign of
            # charging we have, never before its own last window began.
            last_start = (
                session.windows[-1][0] if session.windows else session.started_at
            )
            self._close_session(
                max(last_start, session.end_estimate(since)),
                None,
                SessionStatus.COMPLETED,
            )
        # Not before the last record ended, and never after its own end.
        start = min(max(since, self.last_session_end, self.last_trip_end), until)
        trip = OpenTrip(
            start,
            record_id=self._new_id("trip", start),
            odometer=odo_from,
            level=self.level,
            place=self.place,
            consumed=None,
        )
        trip.odo_end = odo_to
        trip.flags.update((Flag.INFERRED, Flag.GAP))
        self._complete_trip(
            trip.build(self.config.vehicle_id, until, *self._capacity())
        )

    # Timeouts ------------------------------------------------------------------------

    def _reschedule(self) -> None:
        deadline = INF
        config = self.config
        if self.unplug_pending is not None:
            deadline = self.unplug_pending + config.session_grace_s
        if self.idle_since is not None:
            deadline = min(deadline, self.idle_since + config.activity_gap_s)
        if self.session is not None:
            # In-progress updates ride on the same timer as the timeouts.
            deadline = min(deadline, self.last_update + self._update_interval)
        self.deadline = min(deadline, self._trip_deadline())

    def _trip_deadline(self) -> float:
        trip = self.trip
        if trip is None:
            return INF
        if self.parked_since is not None:
            return self.parked_since + self.config.trip_close_s
        if self.has_shift or self.has_speed:
            # Motion signals exist but none said "parked": a sleeping car.
            return trip.last_motion + self.config.offline_after_s
        return trip.last_motion + self.config.trip_close_s

    def _expire(self, ts: float) -> None:
        config = self.config
        if (
            self.unplug_pending is not None
            and ts >= self.unplug_pending + config.session_grace_s
            and self.session is not None
        ):
            unplugged = self.unplug_pending
            self._close_session(
                self.session.end_estimate(unplugged), unplugged, SessionStatus.COMPLETED
            )
        if (
            self.idle_since is not None
            and ts >= self.idle_since + config.activity_gap_s
            and self.session is not None
        ):
            self._close_session(self.idle_since, None, SessionStatus.COMPLETED)
        # Strictly after: a 10-minute poller lands exactly on a 10-minute deadline, and
        # its reading (which may show motion) must count before the trip ends.
        if self.trip is not None and ts > self._trip_deadline():
            self._close_trip(self._trip_end_estimate())
        session = self.session
        if session is not None and ts >= self.last_update + self._update_interval:
            self.last_update = ts
            self._out.append(
                SessionUpdated(
                    session.record_id,
                    ts,
                    session.energy_so_far(),
                    session.charging_seconds(ts),
                    self.power_kw,
                    self.level,
                )
            )
        self._reschedule()

    def _flush(self) -> Sequence[DomainEvent]:
        if not self._out:
            return EMPTY
        out = tuple(self._out)
        self._out.clear()
        return out

    # Snapshot ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Serialise the whole in-progress state (JSON-safe) for a restart."""
        return {
            "version": SNAPSHOT_VERSION,
            "now": _f(self.now),
            "last_ts": {
                role.value: spec.last
                for role, spec in self._table.items()
                if spec.last > -INF
            },
            "accepted": self.accepted,
            "rejected": dict(self.rejected),
            "dropped": dict(self.dropped),
            "inferred": self.inferred,
            "level": [self.level, _f(self.level_ts), self.level_gap],
            "news_ts": _f(self.news_ts),
            "session_since_level": self.session_since_level,
            "range_km": self.range_km,
            "place": list(self.place) if self.place else None,
            "odometer": [
                self.odometer,
                _f(self.odometer_ts),
                self.odometer_gap,
                self.odometer_rest,
            ],
            "odometer_suspect": self.odometer_suspect,
            "consumed": self.consumed,
            "temp": self.temp,
            "plug": [self.plugged, self.plug_known, self.plug_role_seen],
            "signals": [
                self.has_state,
                self.has_shift,
                self.has_speed,
                self.state_has_plug,
            ],
            "state": self.state.value if self.state else None,
            "power_kw": self.power_kw,
            "charger_type": self.charger_type.value if self.charger_type else None,
            "vehicle_recent": self.vehicle_recent,
            "evse_recent": self.evse_recent,
            "session": self.session.to_dict() if self.session else None,
            "unplug_pending": self.unplug_pending,
            "last_session_end": _f(self.last_session_end),
            "last_trip_end": _f(self.last_trip_end),
            "id_seq": self._id_seq,
            "idle_since": self.idle_since,
            "complete": self.complete,
            "last_update": _f(self.last_update),
            "trip": self.trip.to_dict() if self.trip else None,
            "parked_since": self.parked_since,
            "efficiency": self.efficiency.to_dict(),
            "capacity": self.capacity.to_dict(),
        }

    @classmethod
    def from_dict(
        cls, config: VehicleConfig, data: dict[str, Any], settle: Settle | None = None
    ) -> VehicleLedger:
        """Restore a ledger from `to_dict` output (config may have changed)."""
        if data.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"unsupported snapshot version {data.get('version')!r}")
        obj = cls(config, settle)
        obj.now = _unf(data["now"])
        for key, last in data["last_ts"].items():
            obj._table[Role(key)].last = last
        obj.accepted = data["accepted"]
        obj.rejected = Counter(data["rejected"])
        obj.dropped = Counter(data["dropped"])
        obj.inferred = data["inferred"]
        obj.level, level_ts, obj.level_gap = data["level"]
        obj.level_ts = _unf(level_ts)
        # Older snapshots lack it: the last reading of any role is news as well.
        obj.news_ts = (
            _unf(data["news_ts"])
            if "news_ts" in data
            else max(spec.last for spec in obj._table.values())
        )
        obj.session_since_level = data["session_since_level"]
        obj.range_km = data["range_km"]
        obj.place = Place(*data["place"]) if data["place"] else None
        (obj.odometer, odometer_ts, obj.odometer_gap, obj.odometer_rest) = data[
            "odometer"
        ]
        obj.odometer_ts = _unf(odometer_ts)
        obj.odometer_suspect = data.get("odometer_suspect")
        obj.consumed = data["consumed"]
        obj.temp = data["temp"]
        obj.plugged, obj.plug_known, obj.plug_role_seen = data["plug"]
        (obj.has_state, obj.has_shift, obj.has_speed, obj.state_has_plug) = data[
            "signals"
        ]
        obj.state = ChargeState(data["state"]) if data["state"] else None
        obj.power_kw = data["power_kw"]
        obj.charger_type = (
            ChargeType(data["charger_type"]) if data["charger_type"] else None
        )
        obj.vehicle_recent = [list(r) for r in data["vehicle_recent"]]
        obj.evse_recent = [list(r) for r in data["evse_recent"]]
        obj.session = (
            OpenSession.from_dict(config, data["session"]) if data["session"] else None
        )
        obj.unplug_pending = data["unplug_pending"]
        obj.last_session_end = _unf(data["last_session_end"])
        obj.last_trip_end = _unf(data["last_trip_end"])
        obj._id_seq = {k: list(v) for k, v in data["id_seq"].items()}
        obj.idle_since = data["idle_since"]
        obj.complete = data["complete"]
        obj.last_update = _unf(data["last_update"])
        obj.trip = OpenTrip.from_dict(data["trip"]) if data["trip"] else None
        obj.parked_since = data["parked_since"]
        obj.efficiency = RollingEfficiency.from_dict(data["efficiency"])
        obj.capacity = CapacityLearner.from_dict(data["capacity"])
        obj._reschedule()
        return obj


def _drivable(km: float, ts: float, value: float, value_ts: float) -> bool:
    """Whether a car could drive from `km` at `ts` to `value` by `value_ts`."""
    hours = max(0.0, value_ts - ts) / 3600.0
    return value - km <= _ODOMETER_SLACK_KM + _FASTEST_KMH * hours


def _f(value: float) -> float | None:
    """JSON has no infinity: encode -inf ("never") as None."""
    return None if value == -INF else value


def _unf(value: float | None) -> float:
    return -INF if value is None else value


class _Spec:
    """How one role is handled: its handler, plausible bounds, last reading time."""

    __slots__ = ("check", "handler", "high", "last", "low")

    def __init__(
        self,
        handler: Callable[[float, Any], None],
        low: float,
        high: float,
        check: Callable[[Any], Reject | None] | None,
    ) -> None:
        self.handler = handler
        self.low = low
        self.high = high  # 0 marks a non-numeric role
        self.check = check  # validator of a non-numeric role's values
        self.last = -INF
