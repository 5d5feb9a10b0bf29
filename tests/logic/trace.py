"""A tiny DSL for realistic reading traces, in local wall-clock terms."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from custom_components.ev_ledger.logic.config import VehicleConfig
from custom_components.ev_ledger.logic.model import (
    ChargingSession,
    DomainEvent,
    Reading,
    RecordDropped,
    Role,
    SessionCompleted,
    Trip,
    TripCompleted,
    Value,
)
from custom_components.ev_ledger.logic.vehicle import Settle, VehicleLedger

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str, tz: ZoneInfo = BERLIN) -> float:
    """Epoch seconds of a local time like '2026-03-02 18:00'."""
    return datetime.fromisoformat(text).replace(tzinfo=tz).timestamp()


@dataclass
class Trace:
    """Readings in the order a ledger receives them."""

    readings: list[Reading] = field(default_factory=list)

    def add(self, ts: float, role: Role, value: Value) -> Trace:
        """One reading."""
        self.readings.append(Reading(ts, role, value))
        return self

    def series(
        self,
        start: float,
        end: float,
        every: float,
        role: Role,
        value: Callable[[float], Value],
    ) -> Trace:
        """A reading every `every` seconds in [start, end); value(t - start)."""
        t = start
        while t < end:
            self.add(t, role, value(t - start))
            t += every
        return self

    def sorted(self) -> list[Reading]:
        """Readings in time order (stable for equal timestamps)."""
        return sorted(self.readings, key=lambda r: r.ts)


@dataclass
class Outcome:
    """What a ledger produced from a trace."""

    ledger: VehicleLedger
    events: list[DomainEvent]

    @property
    def sessions(self) -> list[ChargingSession]:
        """Completed (and inferred) sessions."""
        return [e.session for e in self.events if isinstance(e, SessionCompleted)]

    @property
    def trips(self) -> list[Trip]:
        """Completed trips."""
        return [e.trip for e in self.events if isinstance(e, TripCompleted)]

    @property
    def dropped(self) -> list[RecordDropped]:
        """Records dropped as too small."""
        return [e for e in self.events if isinstance(e, RecordDropped)]


def run(
    readings: Iterable[Reading],
    config: VehicleConfig | None = None,
    *,
    until: float | None = None,
    settle: Settle | None = None,
) -> Outcome:
    """Replay readings into a fresh ledger; then let time pass to `until`."""
    ledger = VehicleLedger(config or VehicleConfig(vehicle_id="car"), settle)
    events = list(ledger.replay(readings))
    if until is not None:
        events.extend(ledger.advance(until))
    return Outcome(ledger, events)


def hours(n: float) -> float:
    """Seconds in n hours."""
    return n * 3600.0


def minutes(n: float) -> float:
    """Seconds in n minutes."""
    return n * 60.0


DAY = timedelta(days=1).total_seconds()
