"""Plausibility of an energy site's sign conventions from one set of readings.

Home energy integrations disagree on signs: a grid meter may count import or export
as positive, a home battery charge or discharge. A wrong choice silently turns solar
attribution upside down, so the flow checks the choice against the current readings
and asks the user to confirm when the readings contradict it; a device's proposal
starts from the conventions the readings support. Pure Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Final

GRID: Final = "grid_sign"
BATTERY: Final = "battery_sign"

# Below this a flow is "nothing"; above EXPORT_KW export without a source is suspect.
IDLE_KW: Final = 0.05
EXPORT_KW: Final = 0.5
BALANCE_KW: Final = 0.3
BALANCE_RATIO: Final = 0.15


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteReadings:
    """Current readings in kW as the entities report them (None: not known).

    `grid` is the net grid meter; with an import/export pair it is their difference
    (import positive) and `grid_net_mapped` is False: its sign is not in question.
    """

    solar: float | None = None
    grid: float | None = None
    grid_net_mapped: bool = False
    battery: float | None = None
    battery_mapped: bool = False
    load: float | None = None


def suspect_signs(
    readings: SiteReadings, *, import_positive: bool, discharge_positive: bool
) -> set[str]:
    """Return the sign settings (GRID, BATTERY) the readings contradict.

    Two checks, the stronger first:

    - Balance: with solar, grid and house load known (and the battery, if mapped),
      load = solar + grid import + battery discharge. When the chosen signs miss that
      balance and flipping a sign meets it, the flipped sign is suspect.
    - Night export: no solar, no battery discharge, yet the grid says "exporting"
      noticeably: the grid sign is suspect.
    """
    r = readings
    grid = None if r.grid is None else (r.grid if import_positive else -r.grid)
    battery = None
    if r.battery is not None:
        battery = r.battery if discharge_positive else -r.battery
    battery_known = battery is not None or not r.battery_mapped
    if (
        r.solar is not None
        and grid is not None
        and r.load is not None
        and battery_known
    ):
        return _balance(r.solar, grid, battery, r.load, r)
    if (
        r.grid_net_mapped
        and r.solar is not None
        and grid is not None
        and r.solar < IDLE_KW
        and grid < -EXPORT_KW
        and battery_known
        and (battery is None or battery <= IDLE_KW)
    ):
        return {GRID}
    return set()


def _balance(
    solar: float, grid: float, battery: float | None, load: float, r: SiteReadings
) -> set[str]:
    grid_flips = (1, -1) if r.grid_net_mapped else (1,)
    battery_flips = (1, -1) if battery is not None else (1,)
    scale = max(abs(solar), abs(grid), abs(battery or 0.0), abs(load))
    tolerance = max(BALANCE_KW, BALANCE_RATIO * scale)

    def residual(flip_grid: int, flip_battery: int) -> float:
        supply = solar + flip_grid * grid + flip_battery * (battery or 0.0)
        return abs(load - supply)

    if residual(1, 1) <= tolerance:
        return set()
    best = min(product(grid_flips, battery_flips), key=lambda f: residual(*f))
    if residual(*best) > tolerance:
        return set()
    suspects = set()
    if best[0] == -1:
        suspects.add(GRID)
    if best[1] == -1:
        suspects.add(BATTERY)
    return suspects


def propose_signs(readings: SiteReadings) -> tuple[bool, bool]:
    """The (import positive, discharge positive) conventions the readings support.

    Most integrations count grid import and battery discharge as positive, so those
    are kept unless the readings contradict them and the flipped sign fits (see
    `suspect_signs`); readings that say nothing keep the defaults.
    """
    suspects = suspect_signs(readings, import_positive=True, discharge_positive=True)
    return GRID not in suspects, BATTERY not in suspects
