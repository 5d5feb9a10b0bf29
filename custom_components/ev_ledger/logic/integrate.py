"""Energy from power: zero-order hold or trapezoidal integration into minute buckets.

Home Assistant only emits a state change when a value changes, so by default a power
reading holds until the next one (zero-order hold). A source that is polled at intervals
and ramps between polls is better served by the trapezoid rule. Energy is also spread
over UTC minutes, so cost can be settled at the price valid when it flowed and solar
share can be attributed minute by minute.
"""

from __future__ import annotations

from enum import StrEnum
import math
from typing import Any

from .series import SeriesText, drop_before, pairs_from

SECONDS_PER_HOUR = 3600.0
# Less energy than this left in a minute by `trim` is rounding, not energy.
_CRUMB = 1e-9


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


class MinuteEnergy:
    """Energy per UTC minute, with a cheap path for the minute being filled.

    Readings arrive every second on streaming cars; adding to a running float for the
    current minute instead of a dict entry saves most of the bookkeeping per reading.
    The pending part is kept (and serialised) separately, never folded in early, so a
    snapshot/restore sums in exactly the same order as an uninterrupted run.
    """

    __slots__ = (
        "_data",
        "_end",
        "_minute",
        "_pending",
        "_start",
        "_text",
        "last_ts",
    )

    def __init__(self) -> None:
        # The time of the last reading: energy added later never lands before it.
        self.last_ts: float | None = None
        self._data: dict[int, float] = {}
        self._minute = 0
        self._start = math.inf
        self._end = -math.inf
        self._pending = 0.0
        # The snapshot's text of the minutes.
        self._text = SeriesText()

    def _add(self, t0: float, t1: float, kwh: float) -> None:
        if t0 >= self._start and t1 <= self._end:
            self._pending += kwh
            return
        self._fold()
        text = self._text
        text.changed = min(text.changed, int(t0 // 60))
        spread(self._data, t0, t1, kwh)
        minute = int(t1 // 60)
        self._minute = minute
        self._start = minute * 60.0
        self._end = self._start + 60.0

    def _fold(self) -> None:
        if self._pending:
            minute = self._minute
            text = self._text
            text.changed = min(text.changed, minute)
            self._data[minute] = self._data.get(minute, 0.0) + self._pending
            self._pending = 0.0

    @property
    def buckets(self) -> dict[int, float]:
        """Energy per epoch minute (a copy)."""
        data = dict(self._data)
        if self._pending:
            data[self._minute] = data.get(self._minute, 0.0) + self._pending
        return data

    def first_minute(self) -> int | None:
        """The earliest minute that holds energy (None: none yet)."""
        data = self._data
        first = min(data) if data else None
        if self._pending and (first is None or self._minute < first):
            first = self._minute
        return first

    def final_before(self, now: float) -> int:
        """The first minute that may still receive energy; earlier ones are final.

        Energy is added from the last reading onwards (an interval closes at the next
        reading); without one, from the next reading, which is no earlier than `now`.
        """
        last = self.last_ts
        return int((now if last is None else last) // 60)

    def minute_kwh(self, minute: int) -> float:
        """Energy of one epoch minute."""
        value = self._data.get(minute, 0.0)
        if minute == self._minute:
            value += self._pending
        return value

    def prune(self, before: int) -> None:
        """Forget the minutes before `before` (retention)."""
        self._fold()
        if drop_before(self._data, before):
            self._text.reset()

    def minutes(self) -> list[int]:
        """The minutes that hold energy (folding the pending minute in)."""
        self._fold()
        return list(self._data)

    def _buckets_to_dict(self) -> dict[str, object]:
        # Minutes before the last reading's are settled: energy lands after it.
        last = self.last_ts
        settled = self._minute if last is None else min(self._minute, last // 60)
        return {
            "buckets": self._text.text(self._data, settled),
            "pending": [self._minute, self._pending]
            if self._end > self._start
            else None,
        }

    def _buckets_from_dict(self, data: dict[str, Any]) -> None:
        self._data = {int(k): float(v) for k, v in pairs_from(data["buckets"])}
        self._text.reset()
        pending = data.get("pending")
        if pending:
            self._minute = int(pending[0])
            self._start = self._minute * 60.0
            self._end = self._start + 60.0
            self._pending = float(pending[1])


class PowerIntegrator(MinuteEnergy):
    """Integrates a power signal (kW) into kWh, with gaps.

    `max_gap` bounds the interval a single reading may cover: beyond it the interval is
    not integrated and `gaps` is incremented (the caller flags the record). Energy of
    intervals longer than `long_gap` (a reading held across hours without another) is
    also summed in `held`: the session weighs it against the battery level.
    """

    __slots__ = (
        "gaps",
        "held",
        "held_until",
        "kwh",
        "last_kw",
        "long_gap",
        "max_gap",
        "method",
        "zoh",
    )

    def __init__(
        self, method: IntegrationMethod, max_gap: float, long_gap: float = math.inf
    ) -> None:
        super().__init__()
        self.method = method
        self.zoh = method is IntegrationMethod.ZOH
        self.max_gap = max_gap
        self.long_gap = long_gap
        self.last_kw: float | None = None
        self.kwh = 0.0
        self.held = 0.0
        self.held_until = -math.inf  # the end of the last such interval
        self.gaps = 0

    def feed(self, ts: float, kw: float) -> float:
        """Accept a power reading; return the energy added by the interval it closes."""
        last_ts = self.last_ts
        added = 0.0
        if last_ts is not None:
            last_kw: float = self.last_kw  # type: ignore[assignment]  # set with last_ts
            dt = ts - last_ts
            if dt > self.max_gap:
                self.gaps += 1
            elif dt > 0:
                if self.zoh:
                    added = last_kw * dt / SECONDS_PER_HOUR
                else:
                    added = (last_kw + kw) * dt / (2 * SECONDS_PER_HOUR)
                if added:
                    self.kwh += added
                    if dt > self.long_gap:
                        self.held += added
                        self.held_until = ts
                    if last_ts >= self._start and ts <= self._end:
                        self._pending += added
                    else:
                        self._add(last_ts, ts, added)
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
                if dt > self.long_gap:
                    self.held += added
                    self.held_until = ts
                self._add(self.last_ts, ts, added)
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

    def trim(self, kwh: float) -> None:
        """Take back the last `kwh` integrated (latest minutes first).

        For energy that did not flow: power reported after the cable went out.
        """
        if kwh <= 0:
            return
        self._fold()
        data = self._data
        left = min(kwh, self.kwh)
        self.kwh -= left
        for minute in sorted(data, reverse=True):
            if left <= 0:
                break
            take = min(data[minute], left)
            left -= take
            rest = data[minute] - take
            if rest > _CRUMB:
                data[minute] = rest
            else:
                del data[minute]
        self._text.reset()

    def to_dict(self) -> dict[str, object]:
        """Serialise (JSON-safe)."""
        return {
            "method": self.method.value,
            "max_gap": self.max_gap,
            "last_ts": self.last_ts,
            "last_kw": self.last_kw,
            "kwh": self.kwh,
            "gaps": self.gaps,
            "long_gap": None if math.isinf(self.long_gap) else self.long_gap,
            "held": self.held,
            "held_until": None if self.held_until == -math.inf else self.held_until,
            **self._buckets_to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PowerIntegrator:
        """Restore from `to_dict` output."""
        long_gap = data.get("long_gap")  # absent before: nothing was weighed
        obj = cls(
            IntegrationMethod(str(data["method"])),
            float(data["max_gap"]),
            math.inf if long_gap is None else float(long_gap),
        )
        obj.held = float(data.get("held", 0.0))
        held_until = data.get("held_until")
        obj.held_until = -math.inf if held_until is None else float(held_until)
        obj.last_ts = data["last_ts"]
        obj.last_kw = data["last_kw"]
        obj.kwh = float(data["kwh"])
        obj.gaps = int(data["gaps"])
        obj._buckets_from_dict(data)
        return obj
