"""One vehicle at runtime: its ledger, the figures its sensors show, its outputs.

States come in through `async_on_state`; the ledger's domain events go out to the
writer, the bus, the event entities and the sensors (through listeners).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
import functools
import logging
import math
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import HomeAssistant, State, callback
from homeassistant.util import dt as dt_util

from .adapter import state_reading, to_sample
from .builders import ZoneSettlement
from .compat import find_device
from .const import DOMAIN, EVENT_SESSION_COMPLETED, EVENT_TRIP_COMPLETED
from .db import entity_uuid
from .logic.integrate import spread
from .logic.model import (
    ChargeState,
    ChargingSession,
    DomainEvent,
    Flag,
    Reading,
    RecordDropped,
    Reject,
    Role,
    SessionCompleted,
    SessionStatus,
    SessionUpdated,
    Trip,
    TripCompleted,
    needs_hold,
)
from .logic.settle import RunningSettlement
from .records import session_dict, trip_dict
from .source_runtime import SourceRuntime, held_json, held_reading

if TYPE_CHECKING:
    from .db import Writer
    from .logic.vehicle import VehicleLedger
    from .samples import SampleBuffer

_LOGGER = logging.getLogger(__name__)

KIND_SESSION: Final = "charging_session"
KIND_TRIP: Final = "trip"
EVENT_TYPE_COMPLETED: Final = "completed"
EVENT_TYPE_INFERRED: Final = "inferred"

type RecordListener = Callable[[str, str, dict[str, Any]], None]
type SessionListener = Callable[[ChargingSession], None]


@dataclass(slots=True)
class Totals:
    """Lifetime and this month's charging figures shown by sensors."""

    energy_kwh: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)
    month_cost: Decimal = Decimal(0)
    month_start: datetime = field(default_factory=lambda: month_start(dt_util.now()))

    def to_dict(self) -> dict[str, str]:
        """Serialise for the snapshot."""
        return {
            "energy_kwh": str(self.energy_kwh),
            "cost": str(self.cost),
            "month_cost": str(self.month_cost),
            "month_start": self.month_start.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Totals:
        """Restore from `to_dict` output."""
        return cls(
            Decimal(data["energy_kwh"]),
            Decimal(data["cost"]),
            Decimal(data["month_cost"]),
            datetime.fromisoformat(data["month_start"]),
        )


def month_start(moment: datetime) -> datetime:
    """Local midnight of the first day of `moment`'s month."""
    local = dt_util.as_local(moment)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


# Completed records remembered as counted, against a replay after a crash.
COUNTED_DAYS: Final = 7

# Unchanged states reported again count as news at most this often per role.
REPORT_INTERVAL_S: Final = 60.0
# The in-progress row of a charging session is rewritten at most this often.
UPSERT_INTERVAL_S: Final = 300.0
# Every sensor is refreshed at least this often (a zone renamed, say); in between,
# a minute tick that moved only the open session's figures refreshes those.
FULL_REFRESH_S: Final = 900.0
# What settling adds to a session's flags (kept when its figures are reused).
_SETTLE_FLAGS: Final = frozenset({Flag.SITE_GAP, Flag.PRICE_GAP})


class VehicleRuntime(SourceRuntime["VehicleLedger"]):
    """Feeds one vehicle's ledger and publishes what it derives."""

    def __init__(
        self,
        hass: HomeAssistant,
        *,
        entry_id: str,
        subentry_id: str,
        name: str,
        roles: dict[Role, str],
        ledger: VehicleLedger,
        writer: Writer,
        samples: SampleBuffer,
        currency: str,
    ) -> None:
        super().__init__(
            hass,
            subentry_id=subentry_id,
            name=name,
            roles=roles,
            ledger=ledger,
            writer=writer,
            samples=samples,
        )
        self.entry_id = entry_id
        self.currency = currency
        # The last completed records, JSON-safe (as on the bus; kept in the snapshot).
        self.last_session: dict[str, Any] | None = None
        self.last_trip: dict[str, Any] | None = None
        self.current: ChargingSession | None = None
        self.totals = Totals()
        self.status = ledger.charge_status
        # Completed records counted in the totals and announced (id → end, epoch s).
        self.counted_sessions: dict[str, float] = {}
        self.counted_trips: dict[str, float] = {}
        # Completed sessions whose energy could not be priced, per reason.
        self.price_gaps: Counter[str] = Counter()
        # The list of states of the enum entities mapped, per role (`state_reading`).
        self.options: dict[Role, tuple[str, ...]] = {}
        # When each role last fed a reported (unchanged) state.
        self._reported: dict[Role, float] = {}
        # Called once a completed record is counted (the runtime saves its snapshot).
        self.on_counted: Callable[[], None] | None = None
        # The running session as last priced, with what its price depended on.
        self._settled: tuple[tuple[Any, ...], ChargingSession] | None = None
        self._running: tuple[tuple[Any, ...], RunningSettlement] | None = None
        # When the in-progress row was last written.
        self._upserted_at = -math.inf
        # The rejection count at the last full refresh of the sensors (`_handle`),
        # and its time.
        self._rejected_shown = 0
        self._refreshed_at = -math.inf
        # The last charger power the ledger took (re-reported by ticks): a state the
        # adapter rejects changes nothing, as in the replay.
        self.held_power: Reading | None = None
        self._record_listeners: list[RecordListener] = []
        self._session_listeners: list[SessionListener] = []

    # Listeners -------------------------------------------------------------------

    @callback
    def async_add_record_listener(self, listener: RecordListener) -> Callable[[], None]:
        """Call `listener(kind, event_type, data)` for each completed record."""
        self._record_listeners.append(listener)
        return lambda: self._record_listeners.remove(listener)

    @callback
    def async_add_session_listener(
        self, listener: SessionListener
    ) -> Callable[[], None]:
        """Call `listener(session)` for each completed session (statistics)."""
        self._session_listeners.append(listener)
        return lambda: self._session_listeners.remove(listener)

    # Input -------------------------------------------------------------------------

    @callback
    def async_on_state(self, role: Role, state: State | None) -> None:
        """Feed a new state of the entity mapped to `role`."""
        if state is None:
            return
        reading = state_reading(role, state, options=self.options.get(role, ()))
        if isinstance(reading, Reject):
            self.adapter_rejected[reading.value] += 1
            self.revision += 1
            return
        self.async_on_reading(reading)

    @callback
    def async_on_current_state(self, role: Role, state: State | None) -> None:
        """The current state of the entity mapped to `role`, fed at start.

        A restored ledger skips a state it has already taken (same time or older):
        fed again at the ledger's later time, an odometer that was unavailable an
        hour ago would flag the trip under way with a gap.
        """
        if state is None:
            return
        reading = state_reading(role, state, options=self.options.get(role, ()))
        if not isinstance(reading, Reject) and self.ledger.seen(role, reading.ts):
            return
        self.async_on_state(role, state)

    @callback
    def async_on_report(self, role: Role, state: State) -> None:
        """The entity mapped to `role` wrote its unchanged state again.

        It is a reading of the same value at the time it was reported (the car is
        online; a parked car's odometer stands still), fed at most once a
        `REPORT_INTERVAL_S` per role: a 1 s stream of reports adds nothing.
        """
        ts = state.last_reported_timestamp
        if ts - self._reported.get(role, -math.inf) < REPORT_INTERVAL_S:
            return
        reading = state_reading(role, state, ts, options=self.options.get(role, ()))
        if isinstance(reading, Reject) or reading.value is None:
            return
        self._reported[role] = ts
        self.async_on_reading(reading)

    @callback
    def async_on_reading(self, reading: Reading) -> None:
        """Step the ledger with an accepted reading (unless the deadband drops it)."""
        if not self.passes(reading):
            return
        self.revision += 1
        if reading.role is Role.CHARGER_POWER:
            self.held_power = reading
        self.samples.add(to_sample(self.subentry_id, reading))
        events = self.ledger.step(reading)
        status = self.ledger.charge_status
        if events or status is not self.status:
            # Only the open session's figures moved: the other sensors (records,
            # totals, counts) wait for the next full refresh, at the latest the
            # minute tick's.
            live_only = status is self.status and all(
                type(event) is SessionUpdated for event in events
            )
            self.status = status
            self._handle(events, reading.ts, live_only=live_only)

    @callback
    def async_tick(self, now: datetime) -> None:
        """Let time pass: timeouts, running figures, month change."""
        ts = now.timestamp()
        events = [*self._hold_power(ts), *self.ledger.advance(ts)]
        if events:
            self.revision += 1
        start = month_start(now)
        new_month = start != self.totals.month_start
        if new_month:
            self.totals.month_start = start
            self.totals.month_cost = Decimal(0)
            self.revision += 1
        status = self.ledger.charge_status
        # The running figures move with the ledger's updates (SessionUpdated, at
        # most once a minute of data, the held power's included). The other sensors
        # change with a record, a status, a month or a refused reading (each
        # refreshes them all), and are refreshed every FULL_REFRESH_S regardless.
        quiet = (
            not new_month
            and status is self.status
            and ts - self._refreshed_at < FULL_REFRESH_S
            and self.rejected_total == self._rejected_shown
        )
        self.status = status
        if quiet and not events:
            return  # nothing moved since the last refresh: it stands
        live_only = quiet and all(type(event) is SessionUpdated for event in events)
        self._handle(events, ts, live_only=live_only)

    def _hold_power(self, ts: float) -> Sequence[DomainEvent]:
        """Re-report the held charger power while charging.

        Home Assistant sends no state change for an unchanged value, so a steady
        11 kW would otherwise count only when it changes; the running figures must
        move every minute. Only when the minute that just ended brought no power
        reading (`needs_hold`, as the replay): otherwise that reading moved them. The
        held power is the last one the ledger took, not the entity's current state:
        a state the adapter rejected changes nothing.
        """
        power = self.held_power
        ledger = self.ledger
        # Not while an unplug waits out its grace: the held power is stale then, and
        # would count as proof the cable is still in.
        if (
            power is None
            or power.value is None
            or not needs_hold(power.ts, ts)
            or ledger.session is None
            or ledger.unplug_pending is not None
        ):
            return ()
        self.revision += 1
        return self.ledger.step(Reading(ts, Role.CHARGER_POWER, power.value))

    @callback
    def _handle(self, events: Any, ts: float, *, live_only: bool = False) -> None:
        for event in events:
            if isinstance(event, SessionCompleted):
                self._on_session(event.session)
            elif isinstance(event, TripCompleted):
                self._on_trip(event.trip)
            elif isinstance(event, RecordDropped) and event.record_id is not None:
                # Too small to keep: its in-progress row (if one was written) is
                # hidden like a deletion, so lists, exports and the SQL views never
                # show a session that is not.
                self.writer.delete_session(event.record_id)
        self._refresh_current(ts)
        if live_only:
            # Readings refused since the last full refresh: their count shows now.
            live_only = self.rejected_total == self._rejected_shown
        if not live_only:
            self._rejected_shown = self.rejected_total
            self._refreshed_at = ts
        self.async_notify(live_only=live_only)

    def _refresh_current(self, ts: float) -> None:
        previous = self.current
        self.current = current = self.ledger.preview(ts)
        if current is None:
            self._settled = self._running = None
            return
        settle = self.ledger.settle
        minutes = self.ledger.measured()
        if minutes is not None and isinstance(settle, ZoneSettlement):
            # Measured energy has exact minutes: each is priced once, as it becomes
            # final, whatever the session's age.
            zone = current.place.zone if current.place is not None else None
            made_of = (id(settle), current.id, id(minutes), settle.running_key(zone))
            running = self._running
            if running is None or running[0] != made_of:
                running = self._running = (
                    made_of,
                    RunningSettlement(settle.settlement(zone), zone),
                )
            running[1](current, minutes, ts)
        elif settle is not None:
            key = self._settle_key(current, settle)
            last = self._settled
            if key is not None and last is not None and last[0] == key:
                # Nothing that prices it changed (a plugged-in car not charging,
                # every minute of a long night): its figures stand, not re-priced.
                settled = last[1]
                current.cost = settled.cost
                current.solar = settled.solar
                current.price_gap = settled.price_gap
                current.flags |= settled.flags & _SETTLE_FLAGS
            else:
                self._settle(current, settle)
                self._settled = None if key is None else (key, current)
        if previous is None or (
            previous.energy_kwh != current.energy_kwh
            and ts - self._upserted_at >= UPSERT_INTERVAL_S
        ):
            # The in-progress row lets SQL users see a session as it happens; at a
            # bounded rate (the completed session is written when it completes).
            self._upserted_at = ts
            self.writer.enqueue_session(current)

    @staticmethod
    def _settle_key(current: ChargingSession, settle: Any) -> tuple[Any, ...] | None:
        """What the running session's price and solar split depend on, or None."""
        if current.energy_by_minute or not isinstance(settle, ZoneSettlement):
            return None
        spans = tuple((w.started_at, w.ended_at) for w in current.windows or ()) or (
            (current.started_at, current.ended_at),
        )
        return (
            id(settle),
            current.id,
            current.energy_kwh,
            spans,
            current.place,
            settle.site_settled(current, spans[-1][1]),
        )

    @staticmethod
    def _settle(current: ChargingSession, settle: Any) -> None:
        if not current.energy_by_minute and current.energy_kwh > 0:
            # Previews carry no per-minute energy (kept cheap by the engine): spread
            # it over the charging time for the running estimate. The completed
            # session is priced from the engine's exact minutes. Without charging
            # time (energy from the battery level, no window) the spans are
            # instants: each takes an equal share, as the engine spreads it for the
            # completed session.
            windows = current.windows or []
            spans = [(w.started_at, w.ended_at) for w in windows] or [
                (current.started_at, current.ended_at)
            ]
            seconds = sum(max(end - start, 0.0) for start, end in spans)
            energy = float(current.energy_kwh)
            for start, end in spans:
                share = (
                    energy * max(end - start, 0.0) / seconds
                    if seconds > 0
                    else energy / len(spans)
                )
                spread(current.energy_by_minute, start, end, share)
        settle(current)

    # Outputs -----------------------------------------------------------------------

    def _device_id(self) -> str | None:
        device = find_device(self.hass, self.entry_id, (DOMAIN, self.subentry_id))
        return device.id if device else None

    def _on_session(self, session: ChargingSession) -> None:
        self.writer.enqueue_session(session)
        if not self._first_time(self.counted_sessions, session.id, session.ended_at):
            return
        self._when_durable(functools.partial(self._count_session, session))

    def _count_session(self, session: ChargingSession) -> None:
        if session.price_gap is not None:
            self.price_gaps[session.price_gap.value] += 1
        totals = self.totals
        totals.energy_kwh += session.energy_kwh
        cost = session.cost
        if cost is not None and cost.currency == self.currency:
            totals.cost += cost.total
            totals.month_cost += cost.total
        learned = self.ledger.learned_capacity_kwh
        if learned is not None:
            self.writer.enqueue_vehicle(
                self.subentry_id,
                learned_capacity_kwh=Decimal(repr(learned)).quantize(Decimal("0.1")),
            )
        self.last_session = data = session_dict(session)
        self._publish(
            KIND_SESSION,
            EVENT_SESSION_COMPLETED,
            session.status is SessionStatus.INFERRED,
            data,
        )
        for listener in list(self._session_listeners):
            listener(session)

    def _on_trip(self, trip: Trip) -> None:
        self.writer.enqueue_trip(trip)
        if not self._first_time(self.counted_trips, trip.id, trip.ended_at):
            return
        self._when_durable(functools.partial(self._count_trip, trip))

    def _count_trip(self, trip: Trip) -> None:
        self.last_trip = data = trip_dict(trip)
        self._publish(
            KIND_TRIP, EVENT_TRIP_COMPLETED, Flag.INFERRED in trip.flags, data
        )

    def _when_durable(self, count: Callable[[], None]) -> None:
        """Count and announce a completed record once the writer has it durably.

        Committed, or journaled on disk while the database is away: a crash before
        then loses the record and its announcement together, and the engine (fed the
        recorder's states again at start) completes it again, once. The totals change
        only after the write succeeded.
        """
        future = self.writer.flush()

        def counted() -> None:
            self.revision += 1
            count()
            self.async_notify()
            if self.on_counted is not None:
                self.on_counted()

        if future.done():
            counted()
            return

        async def wait() -> None:
            with contextlib.suppress(Exception):  # stopped: announced as before
                await asyncio.wrap_future(future)
            counted()

        self.hass.async_create_task(wait(), f"{DOMAIN} record durable")

    @staticmethod
    def _first_time(counted: dict[str, float], record_id: str, ended_at: float) -> bool:
        """Count a completed record once, whatever the engine replays.

        After a crash the engine restarts from an older snapshot and completes the
        same records again (same ids): stored again (idempotent), but the totals,
        the events and the listeners see each record once. The ids of the last
        `COUNTED_DAYS` come from the database at start (`remember_counted`).
        """
        key = str(entity_uuid(record_id))
        if key in counted:
            return False
        counted[key] = ended_at
        horizon = ended_at - COUNTED_DAYS * 86400.0
        for old in [k for k, ts in counted.items() if ts < horizon]:
            del counted[old]
        return True

    def remember_counted(
        self, sessions: dict[str, float], trips: dict[str, float]
    ) -> None:
        """Records already completed and counted (from the database, at start)."""
        self.counted_sessions.update(sessions)
        self.counted_trips.update(trips)

    def _publish(
        self, kind: str, bus_event: str, inferred: bool, data: dict[str, Any]
    ) -> None:
        event_type = EVENT_TYPE_INFERRED if inferred else EVENT_TYPE_COMPLETED
        payload = {
            **data,
            "vehicle": self.name,
            "device_id": self._device_id(),
            "event_type": event_type,
        }
        self.hass.bus.async_fire(bus_event, payload)
        for listener in list(self._record_listeners):
            listener(kind, event_type, payload)

    # Figures -----------------------------------------------------------------------

    @property
    def charge_status(self) -> ChargeState:
        """The charging status sensor's value."""
        return self.status

    def health(self) -> dict[str, Any]:
        """Engine figures for diagnostics."""
        ledger = self.ledger
        return {
            "accepted": ledger.accepted,
            "rejected_by_adapter": dict(self.adapter_rejected),
            "rejected_by_engine": dict(ledger.rejected),
            "dropped": dict(ledger.dropped),
            "inferred": ledger.inferred,
            "charge_status": self.status.value,
            "session_open": ledger.session is not None,
            "trip_open": ledger.trip is not None,
            "learned_capacity_kwh": ledger.learned_capacity_kwh,
            "price_gaps": dict(self.price_gaps),
            "dropped_by_deadband": self.deadband_figures().get("dropped", {}),
        }

    def snapshot(self) -> dict[str, Any]:
        """Everything needed to continue after a restart."""
        return {
            "ledger": self.ledger.to_dict(),
            "totals": self.totals.to_dict(),
            "adapter_rejected": dict(self.adapter_rejected),
            "price_gaps": dict(self.price_gaps),
            "last_session": self.last_session,
            "last_trip": self.last_trip,
            "held_power": held_json(self.held_power),
            "deadband": self.deadband_figures(),
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Take back the figures of `snapshot` (the ledger is restored by its owner)."""
        self.totals = Totals.from_dict(data["totals"])
        self.adapter_rejected = Counter(data.get("adapter_rejected") or {})
        self.price_gaps = Counter(data.get("price_gaps") or {})
        self.last_session = data.get("last_session")
        self.last_trip = data.get("last_trip")
        self.held_power = held_reading(Role.CHARGER_POWER, data.get("held_power"))
        self.status = self.ledger.charge_status
