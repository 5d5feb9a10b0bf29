"""Exponential reconnect backoff with jitter: 1 s, 2 s, 4 s… capped at 60 s."""

from __future__ import annotations

from dataclasses import dataclass, field
import random


@dataclass(slots=True)
class Backoff:
    """Delays between reconnect attempts.

    The n-th delay is `min(maximum, initial * factor**n)`, scaled by a random factor in
    `[1 - jitter, 1]` so many clients do not reconnect in lockstep, and never below
    `initial`. Tests inject small values and a seeded `rng`.
    """

    initial: float = 1.0
    # Short: a journal waits, and the server should be found within seconds of its
    # return. A probe is one connection attempt.
    maximum: float = 5.0
    factor: float = 2.0
    jitter: float = 0.2
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int) -> float:
        """Return the delay before retry number `attempt` (0-based)."""
        base = min(self.maximum, self.initial * self.factor ** min(attempt, 64))
        return max(self.initial, base * (1.0 - self.jitter * self.rng.random()))
