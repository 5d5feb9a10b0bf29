"""From real seconds since the replay started to scenario seconds.

The replay starts at `start_s` into the scenario, runs `catch_up_s` of scenario time
at `speed * catch_up_factor`, then continues at `speed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

WEEK_S: Final = 7 * 86400
# A simulated week in about ten minutes.
DEFAULT_SPEED: Final = 1008.0
DEFAULT_START_S: Final = 6 * 3600  # Monday 06:00
DEFAULT_CATCH_UP_S: Final = 26 * 3600  # through Tuesday 08:00
DEFAULT_CATCH_UP_FACTOR: Final = 2.0


@dataclass(frozen=True, slots=True)
class SimClock:
    """The replay's pace."""

    speed: float = DEFAULT_SPEED
    start_s: float = DEFAULT_START_S
    catch_up_s: float = DEFAULT_CATCH_UP_S
    catch_up_factor: float = DEFAULT_CATCH_UP_FACTOR

    def __post_init__(self) -> None:
        """Refuse a pace that does not move forward."""
        if self.speed <= 0 or self.catch_up_factor <= 0 or self.catch_up_s < 0:
            raise ValueError("speed and catch-up factor must be positive")

    @property
    def catch_up_real_s(self) -> float:
        """Real seconds the catch-up phase lasts."""
        return self.catch_up_s / (self.speed * self.catch_up_factor)

    def scenario_s(self, real_s: float) -> float:
        """Scenario seconds reached `real_s` real seconds after the replay started."""
        real_s = max(real_s, 0.0)
        fast = min(real_s, self.catch_up_real_s)
        return (
            self.start_s
            + fast * self.speed * self.catch_up_factor
            + (real_s - fast) * self.speed
        )

    def real_s(self, scenario_s: float) -> float:
        """Real seconds after the start at which scenario time `scenario_s` is due."""
        ahead = max(scenario_s - self.start_s, 0.0)
        if ahead <= self.catch_up_s:
            return ahead / (self.speed * self.catch_up_factor)
        return self.catch_up_real_s + (ahead - self.catch_up_s) / self.speed
