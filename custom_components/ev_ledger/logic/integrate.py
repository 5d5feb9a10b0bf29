"""Energy from power: zero-order hold or trapezoidal integration into minute buckets.

Home Assistant only emits a state change when a value changes, so by default a power
reading holds until the next one (zero-order hold). A source that is polled at intervals
and ramps between polls is better served by the trapezoid rule. Energy is also spread
over UTC minutes, so cost can be settled at the price valid when it flowed and solar
share can be attributed minute by minute.
"""

from __future__ import annotations

from enum import StrEnum

SECONDS_PER_HOUR = 3600.0


class IntegrationMethod(StrEnum):
    """How to integrate power between two readings."""

    ZOH = "zoh"
    TRAPEZOID = "trapezoid"


def spread(buckets: dict[int, float], t0: float, t1: float, kwh: float) -> None:
    """Add `kwh`, which flowed uniformly over [t0, t1), to per-minute buckets."""
    m0 = int(t0 // 60)
    if t1 <= t0 or int(t1 // 60) == m0:
        buckets[m0] = buckets.get(m0, 0.0) + kwh
        return
    m1 = int(t1 // 60)
    rate = kwh / (t1 - t0)
    start = t0
    for minute in range(m0, m1):
        edge = (minute + 1) * 60.0
        buckets[minute] = buckets.get(minute, 0.0) + rate * (edge - start)
        start = edge
    if t1 > start:
        buckets[m1] = buckets.get(m1, 0.0) + rate * (t1 - start)


class PowerIntegrator:
    """Integrates a power signal (kW) into kWh, with gaps.

    `max_gap` bounds the interval a single reading may cover: beyond it the interval is
    not integrated and `gaps` is incremented (the caller flags the record).
    """

    __slots__ = ("buckets", "gaps", "kwh", "last_kw", "last_ts", "max_gap", "method")

    def __init__(self, method: IntegrationMethod, max_gap: float) -> None:
        self.method = method
        self.max_gap = max_gap
        self.last_ts: float | None = None
        self.last_kw: float | None = None
        self.kwh = 0.0
        self.gaps = 0
        self.buckets: dict[int, float] = {}

    def feed(self, ts: float, kw: float) -> float:
        """Accept a power reading; return the energy added by the interval it closes."""
        last_ts = self.last_ts
        last_kw = self.last_kw
        added = 0.0
        if last_ts is not None and last_kw is not None:
            dt = ts - last_ts
            if dt > self.max_gap:
                self.gaps += 1
            elif dt > 0:
                if self.method is IntegrationMethod.ZOH:
                    added = last_kw * dt / SECONDS_PER_HOUR
                else:
                    added = (last_kw + kw) * dt / (2 * SECONDS_PER_HOUR)
                if added:
                    self.kwh += added
                    minute = int(last_ts // 60)
                    buckets = self.buckets
                    if int(ts // 60) == minute:
                        buckets[minute] = buckets.get(minute, 0.0) + added
                    else:
                        spread(buckets, last_ts, ts, added)
        self.last_ts = ts
        self.last_kw = kw
        return added

    def hold_until(self, ts: float) -> float:
        """Close the open interval at `ts` (end of session or start of a gap).

        Zero-order hold integrates the last value up to `ts`; the trapezoid rule has no
        second point, so it holds too (the best estimate available).
        """
        if self.last_ts is None or self.last_kw is None:
            return 0.0
        dt = ts - self.last_ts
        added = 0.0
        if 0 < dt <= self.max_gap:
            added = self.last_kw * dt / SECONDS_PER_HOUR
            if added:
                self.kwh += added
                spread(self.buckets, self.last_ts, ts, added)
        elif dt > self.max_gap:
            self.gaps += 1
        self.last_ts = ts
        return added

    def stop(self, ts: float) -> None:
        """Charging stopped at `ts`: integrate up to it, then hold zero."""
        self.hold_until(ts)
        if self.last_ts is not None:
            self.last_kw = 0.0

    def pause(self, ts: float) -> None:
        """Source became unavailable at `ts`: integrate up to it, then stop."""
        self.hold_until(ts)
        self.last_ts = None
        self.last_kw = None

    def to_dict(self) -> dict[str, object]:
        """Serialise (JSON-safe)."""
        return {
            "method": self.method.value,
            "max_gap": self.max_gap,
            "last_ts": self.last_ts,
            "last_kw": self.last_kw,
            "kwh": self.kwh,
            "gaps": self.gaps,
            "buckets": [[k, v] for k, v in self.buckets.items()],
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> PowerIntegrator:
        """Restore from `to_dict` output."""
        obj = cls(IntegrationMethod(str(data["method"])), float(data["max_gap"]))  # type: ignore[arg-type]
        obj.last_ts = data["last_ts"]  # type: ignore[assignment]
        obj.last_kw = data["last_kw"]  # type: ignore[assignment]
        obj.kwh = float(data["kwh"])  # type: ignore[arg-type]
        obj.gaps = int(data["gaps"])  # type: ignore[call-overload]
        obj.buckets = {int(k): float(v) for k, v in data["buckets"]}  # type: ignore[attr-defined]
        return obj
