"""Rolling driving efficiency and learned usable battery capacity."""

from __future__ import annotations

from collections import deque
from decimal import Decimal
import statistics
from typing import Any

from .model import ChargingSession, EnergyMethod, Flag, Trip

# Only measured energy teaches the capacity; inferred energy would teach itself.
_MEASURED = {EnergyMethod.VEHICLE_COUNTER, EnergyMethod.POWER_INTEGRATION}
_DISQUALIFYING = {Flag.GAP, Flag.INFERRED, Flag.COUNTER_RESET, Flag.EVSE_MISMATCH}
CAPACITY_SAMPLES = 10
# A learned capacity outside this band is a measurement error, not a battery.
CAPACITY_BOUNDS_KWH = (5.0, 250.0)


class RollingEfficiency:
    """Wh/km over the trips of the last `window_s` seconds of data time."""

    __slots__ = ("trips", "window_s")

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self.trips: deque[tuple[float, float, float]] = deque()  # (ended, km, kWh)

    def add(self, trip: Trip) -> None:
        """Count a completed trip that has both distance and energy."""
        if trip.energy_kwh is None or trip.distance_km <= 0:
            return
        self.trips.append(
            (trip.ended_at, float(trip.distance_km), float(trip.energy_kwh))
        )
        self._expire(trip.ended_at)

    def _expire(self, now: float) -> None:
        horizon = now - self.window_s
        while self.trips and self.trips[0][0] < horizon:
            self.trips.popleft()

    def value(self) -> Decimal | None:
        """Rolling efficiency in Wh/km, None without trips."""
        km = sum(t[1] for t in self.trips)
        if km <= 0:
            return None
        wh = sum(t[2] for t in self.trips) * 1000.0
        return Decimal(repr(wh / km)).quantize(Decimal("0.1"))

    def to_dict(self) -> dict[str, Any]:
        """Serialise (JSON-safe)."""
        return {"window_s": self.window_s, "trips": [list(t) for t in self.trips]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RollingEfficiency:
        """Restore from `to_dict` output."""
        obj = cls(data["window_s"])
        obj.trips = deque((t[0], t[1], t[2]) for t in data["trips"])
        return obj


class CapacityLearner:
    """Usable capacity from sessions: measured energy over battery-level rise."""

    __slots__ = ("min_delta", "samples")

    def __init__(self, min_delta: float) -> None:
        self.min_delta = min_delta
        self.samples: deque[float] = deque(maxlen=CAPACITY_SAMPLES)

    def learn(self, session: ChargingSession) -> bool:
        """Learn from a completed session if it qualifies; return whether it did."""
        if (
            session.energy_method not in _MEASURED
            or session.flags & _DISQUALIFYING
            or session.start_level is None
            or session.end_level is None
        ):
            return False
        delta = session.end_level - session.start_level
        if delta < self.min_delta:
            return False
        capacity = float(session.energy_kwh) / (delta / 100.0)
        if not CAPACITY_BOUNDS_KWH[0] <= capacity <= CAPACITY_BOUNDS_KWH[1]:
            return False
        self.samples.append(capacity)
        return True

    def value(self) -> float | None:
        """Median of the recent samples (robust to one bad session)."""
        if not self.samples:
            return None
        return float(statistics.median(self.samples))

    def to_dict(self) -> dict[str, Any]:
        """Serialise (JSON-safe)."""
        return {"min_delta": self.min_delta, "samples": list(self.samples)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CapacityLearner:
        """Restore from `to_dict` output."""
        obj = cls(data["min_delta"])
        obj.samples.extend(data["samples"])
        return obj
