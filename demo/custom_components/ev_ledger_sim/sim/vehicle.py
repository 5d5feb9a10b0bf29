"""The car, minute by minute: driving, parked, plugged in, charging."""

from __future__ import annotations

from dataclasses import dataclass, field
import math
import random
from typing import Final

from .plan import CHARGES, DRIVES, Charge, Drive
from .world import HOME, MINUTES_PER_WEEK, Place, interpolate

CAPACITY_KWH: Final = 75.0
AC_EFFICIENCY: Final = 0.91
DC_EFFICIENCY: Final = 0.95
RANGE_KWH_PER_100KM: Final = 17.0
TAPER_SOC: Final = 4.0  # AC power tapers over the last few percent


def ac_power_kw(max_kw: float, soc: float, target: float) -> float:
    """AC charging power: flat, tapering over the last percent before the target."""
    left = target - soc
    if left <= 0:
        return 0.0
    if left >= TAPER_SOC:
        return max_kw
    return max_kw * max(0.2, left / TAPER_SOC)


def dc_power_kw(peak_kw: float, soc: float, minutes_in: int) -> float:
    """DC fast-charging curve: a short ramp-up, the peak, then a long taper."""
    ramp = min(1.0, 0.35 + 0.3 * minutes_in)
    if soc <= 45:
        curve = peak_kw
    else:
        curve = max(22.0, peak_kw - (soc - 45) * 3.6)
    return curve * ramp


@dataclass(slots=True)
class VehicleState:
    """What the car reports; charging_state is one of the enum options."""

    soc: float = 62.0
    odometer_km: float = 12_345.6
    speed_kmh: float = 0.0
    shift: str = "P"
    place: Place | None = HOME
    latitude: float = HOME.latitude
    longitude: float = HOME.longitude
    plugged: bool = False
    charging_state: str = "disconnected"
    power_kw: float = 0.0
    session_kwh: float = 0.0
    charge_limit: float = 80.0
    rng: random.Random = field(default_factory=lambda: random.Random(1))

    @property
    def range_km(self) -> float:
        """Estimated range from the state of charge."""
        return self.soc / 100 * CAPACITY_KWH / RANGE_KWH_PER_100KM * 100


def _active[T: (Drive, Charge)](
    items: tuple[T, ...], minute: int, start: str, end: str
) -> tuple[T, int] | None:
    """The item active at `minute`, and the minute in the item's own week frame."""
    week, minute_of_week = divmod(minute, MINUTES_PER_WEEK)
    frames = [minute_of_week]
    if week > 0:
        frames.append(minute_of_week + MINUTES_PER_WEEK)
    for item in items:
        for frame in frames:
            if getattr(item, start) <= frame < getattr(item, end):
                return item, frame
    return None


def step(state: VehicleState, minute: int) -> None:
    """Advance the car by one minute (the minute starting at `minute`)."""
    if (found := _active(DRIVES, minute, "start", "end")) is not None:
        _drive(state, *found)
        return
    state.speed_kmh = 0.0
    state.shift = "P"
    charge = _active(CHARGES, minute, "plug", "unplug")
    if charge is None:
        state.plugged = False
        state.charging_state = "disconnected"
        state.power_kw = 0.0
        state.charge_limit = 80.0
        return
    _charge(state, *charge)


def _drive(state: VehicleState, drive: Drive, frame: int) -> None:
    elapsed = frame - drive.start
    km = drive.km / drive.minutes
    state.plugged = False
    state.charging_state = "disconnected"
    state.power_kw = 0.0
    state.odometer_km += km
    state.soc -= km * drive.kwh_per_100km / 100 / CAPACITY_KWH * 100
    last = elapsed == drive.minutes - 1
    if last:
        state.speed_kmh, state.shift = 0.0, "P"
        state.place = drive.destination
        state.latitude, state.longitude = (
            drive.destination.latitude,
            drive.destination.longitude,
        )
        return
    wave = 1 + 0.25 * math.sin(2 * math.pi * elapsed / 7)
    state.speed_kmh = max(5.0, drive.avg_kmh * wave + state.rng.uniform(-6, 6))
    state.shift = "D"
    state.place = None
    state.latitude, state.longitude = interpolate(
        drive.origin, drive.destination, (elapsed + 1) / drive.minutes
    )


def _charge(state: VehicleState, charge: Charge, frame: int) -> None:
    if not state.plugged or frame == charge.plug:
        state.session_kwh = 0.0
    state.plugged = True
    state.place = charge.place
    state.charge_limit = charge.target_soc
    in_window = next(
        (
            start
            for start, end in charge.windows
            if start <= frame and (end is None or frame < end)
        ),
        None,
    )
    if in_window is None or state.soc >= charge.target_soc:
        state.power_kw = 0.0
        state.charging_state = (
            "complete" if state.soc >= charge.target_soc else "stopped"
        )
        return
    if charge.dc:
        power = dc_power_kw(charge.max_kw, state.soc, frame - in_window)
        efficiency = DC_EFFICIENCY
    else:
        power = ac_power_kw(charge.max_kw, state.soc, charge.target_soc)
        efficiency = AC_EFFICIENCY
    power = max(0.0, power + state.rng.uniform(-0.04, 0.04) * power / 10)
    energy = power / 60
    state.power_kw = power
    state.charging_state = "charging"
    state.session_kwh += energy
    state.soc = min(
        charge.target_soc, state.soc + energy * efficiency / CAPACITY_KWH * 100
    )
