"""The car's week: drives and charging sessions at fixed local times.

Times are minutes since Monday 00:00. A session may end in the next week (the car
stays plugged in from Sunday afternoon until Monday morning); the vehicle model
looks one week back for it from the second week on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .world import (
    CHARGER_NORTH,
    CHARGER_PUTLITZ,
    HAMBURG,
    HOME,
    MINUTES_PER_DAY,
    WORK,
    Place,
)

HOME_AC_KW: Final = 11.0
WORK_AC_KW: Final = 11.0
DC_PEAK_KW: Final = 150.0


def at(day: int, hhmm: str) -> int:
    """Minute of the week of a weekday (0 = Monday, 7 = next Monday) and `HH:MM`."""
    hours, minutes = hhmm.split(":")
    return day * MINUTES_PER_DAY + int(hours) * 60 + int(minutes)


@dataclass(frozen=True, slots=True)
class Drive:
    """A trip: depart at `start`, cover `km` at `avg_kmh` on average."""

    start: int
    origin: Place
    destination: Place
    km: float
    avg_kmh: float
    kwh_per_100km: float

    @property
    def minutes(self) -> int:
        """How long the drive takes, in whole minutes."""
        return max(1, round(self.km / self.avg_kmh * 60))

    @property
    def end(self) -> int:
        """The minute the car is parked again."""
        return self.start + self.minutes


@dataclass(frozen=True, slots=True)
class Charge:
    """Plugged in from `plug` to `unplug`; charging in `windows` up to `target_soc`.

    A window's end of None means "until the target is reached".
    """

    place: Place
    plug: int
    unplug: int
    windows: tuple[tuple[int, int | None], ...]
    target_soc: float
    max_kw: float
    dc: bool = False


def _commute(day: int, out: str, back: str) -> tuple[Drive, Drive]:
    return (
        Drive(at(day, out), HOME, WORK, 25.0, 43.0, 16.5),
        Drive(at(day, back), WORK, HOME, 25.4, 38.0, 17.0),
    )


DRIVES: Final[tuple[Drive, ...]] = (
    *_commute(0, "07:30", "17:15"),
    *_commute(1, "07:20", "17:05"),
    *_commute(2, "07:25", "17:20"),
    *_commute(3, "07:30", "17:10"),
    *_commute(4, "07:25", "16:45"),
    # Saturday: the road trip north, a fast charge on the way.
    Drive(at(5, "08:30"), HOME, CHARGER_NORTH, 215.0, 112.0, 19.5),
    Drive(at(5, "11:05"), CHARGER_NORTH, HAMBURG, 70.0, 75.0, 17.0),
    # Sunday: back home, another fast charge.
    Drive(at(6, "10:00"), HAMBURG, CHARGER_PUTLITZ, 140.0, 110.0, 19.5),
    Drive(at(6, "12:00"), CHARGER_PUTLITZ, HOME, 150.0, 105.0, 19.0),
)

CHARGES: Final[tuple[Charge, ...]] = (
    # Monday evening at home: plug in and charge right away.
    Charge(
        HOME, at(0, "18:00"), at(1, "07:10"), ((at(0, "18:01"), None),), 80, HOME_AC_KW
    ),
    # Wednesday at work: the priced charger, left plugged in after it completes.
    Charge(
        WORK, at(2, "08:05"), at(2, "12:10"), ((at(2, "08:06"), None),), 80, WORK_AC_KW
    ),
    # Thursday: a short top-up, then the scheduled start at 01:00 (two windows).
    Charge(
        HOME,
        at(3, "18:05"),
        at(4, "07:15"),
        ((at(3, "18:06"), at(3, "18:50")), (at(4, "01:00"), None)),
        80,
        HOME_AC_KW,
    ),
    # Friday: plugged in late, scheduled start at 01:00, to 95 % for the road trip.
    Charge(
        HOME, at(4, "21:30"), at(5, "08:25"), ((at(5, "01:00"), None),), 95, HOME_AC_KW
    ),
    # Saturday and Sunday: DC fast charging on the motorway.
    Charge(
        CHARGER_NORTH,
        at(5, "10:30"),
        at(5, "11:00"),
        ((at(5, "10:31"), None),),
        80,
        DC_PEAK_KW,
        dc=True,
    ),
    Charge(
        CHARGER_PUTLITZ,
        at(6, "11:20"),
        at(6, "11:55"),
        ((at(6, "11:21"), None),),
        80,
        DC_PEAK_KW,
        dc=True,
    ),
    # Sunday afternoon at home, in the sun; unplugged on Monday morning.
    Charge(
        HOME, at(6, "13:45"), at(7, "07:20"), ((at(6, "13:46"), None),), 80, HOME_AC_KW
    ),
)
