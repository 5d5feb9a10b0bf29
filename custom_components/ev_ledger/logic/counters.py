"""Energy counters that reset: per-session vehicle counters and wallbox meters."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .integrate import MinuteEnergy

if TYPE_CHECKING:
    from collections.abc import Sequence

# Counters jitter by a rounding step; a drop smaller than this is noise, not a reset.
RESET_TOLERANCE_KWH = 0.05


class CounterTracker(MinuteEnergy):
    """Accumulates the increments of an energy counter inside one session.

    Works for lifetime meters (baseline = last value before the session), counters that
    count from plug-in (they reset: a drop restarts counting from zero) and counters
    that drop to 0 whenever charging pauses.
    """

    __slots__ = ("floor", "kwh", "last_value", "resets")

    def __init__(
        self, baseline: float | None = None, baseline_ts: float | None = None
    ) -> None:
        super().__init__()
        self.last_value = baseline
        self.last_ts = baseline_ts
        self.kwh = 0.0
        self.resets = 0
        # Energy is never placed before this time (the session's start).
        self.floor = -math.inf

    @classmethod
    def from_history(
        cls, history: Sequence[Sequence[float]], horizon: float, floor: float
    ) -> CounterTracker:
        """Start a session's tracker from the readings seen before it opened.

        The last reading before `horizon` is the baseline; later ones (the counter
        reported the new session before the plug did) are counted into the session.
        """
        older = [r for r in history if r[0] < horizon]
        tracker = cls(older[-1][1], older[-1][0]) if older else cls()
        tracker.floor = floor
        for ts, value in history[len(older) :]:
            tracker.feed(ts, value)
        return tracker

    def feed(self, ts: float, value: float) -> float:
        """Accept a counter value; return the energy it adds."""
        last = self.last_value
        if last is None:
            added = 0.0
        elif value >= last:
            added = value - last
        elif value < last - RESET_TOLERANCE_KWH:
            # Restarted from zero: everything it shows now was added since the reset.
            if self.kwh > 0:
                self.resets += 1
            added = value
        else:
            # Jitter below the last value: keep the higher baseline.
            return 0.0
        if added > 0:
            self.kwh += added
            start = self.last_ts if self.last_ts is not None else ts
            end = ts
            if start < self.floor:
                # Energy seen before the session began (a stale baseline, or the
                # counter reporting before the plug did) belongs to its start.
                start = self.floor
                end = max(ts, start)
            if start >= self._start and end <= self._end:
                self._pending += added
            else:
                self._add(start, end, added)
        self.last_value = value
        self.last_ts = ts
        return added

    def pause(self) -> None:
        """The counter became unavailable: the next value re-bases the counting."""
        # A value after a gap may include energy from the gap; keeping the baseline
        # counts it (the counter is authoritative), so nothing to do but forget time.
        self.last_ts = None

    def to_dict(self) -> dict[str, object]:
        """Serialise (JSON-safe)."""
        return {
            "last_value": self.last_value,
            "last_ts": self.last_ts,
            "kwh": self.kwh,
            "resets": self.resets,
            "floor": None if self.floor == -math.inf else self.floor,
            **self._buckets_to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CounterTracker:
        """Restore from `to_dict` output."""
        obj = cls(data["last_value"], data["last_ts"])
        obj.kwh = float(data["kwh"])
        obj.resets = int(data["resets"])
        obj.floor = -math.inf if data["floor"] is None else float(data["floor"])
        obj._buckets_from_dict(data)
        return obj
