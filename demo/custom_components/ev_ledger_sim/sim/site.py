"""The home energy site, minute by minute: solar, house, home battery, grid.

Signs as a typical integration reports them: grid positive when importing, home
battery positive when discharging. The battery charges from solar surplus and
covers the house (not the car) in the evening.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import random
from typing import Final

from .world import house_kw, solar_kw

BATTERY_KWH: Final = 10.0
BATTERY_MAX_KW: Final = 5.0
BATTERY_RESERVE: Final = 0.1


@dataclass(slots=True)
class SiteState:
    """The site's current flows in kW and the home battery's charge (0..1)."""

    solar_kw: float = 0.0
    house_kw: float = 0.3
    ev_kw: float = 0.0
    battery_kw: float = 0.0
    grid_kw: float = 0.3
    battery_soc: float = 0.45
    rng: random.Random = field(default_factory=lambda: random.Random(2))

    @property
    def load_kw(self) -> float:
        """The house load as the meter sees it, the car included."""
        return self.house_kw + self.ev_kw


def step(state: SiteState, minute: int, ev_kw: float) -> None:
    """Advance the site by one minute with the car drawing `ev_kw` at home."""
    flicker = state.rng.random() if state.rng.random() < 0.3 else 0.0
    state.solar_kw = solar_kw(minute, flicker)
    state.house_kw = house_kw(minute, state.rng.uniform(0.0, 0.12))
    state.ev_kw = ev_kw
    surplus = state.solar_kw - state.house_kw - ev_kw
    if surplus > 0:
        room = (1.0 - state.battery_soc) * BATTERY_KWH * 60
        battery = -min(surplus, BATTERY_MAX_KW, room)
    else:
        deficit = max(state.house_kw - state.solar_kw, 0.0)
        available = max(state.battery_soc - BATTERY_RESERVE, 0.0) * BATTERY_KWH * 60
        battery = min(deficit, BATTERY_MAX_KW, available)
    state.battery_kw = battery
    state.battery_soc -= battery / 60 / BATTERY_KWH
    state.grid_kw = state.load_kw - state.solar_kw - battery
