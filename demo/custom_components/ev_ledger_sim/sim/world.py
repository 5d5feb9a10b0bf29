"""Places, and the weather, house and price curves of the simulated world.

All functions take the minute since the scenario start (Monday 00:00 local time)
and are deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Final

MINUTES_PER_DAY: Final = 1440
MINUTES_PER_WEEK: Final = 7 * MINUTES_PER_DAY


@dataclass(frozen=True, slots=True)
class Place:
    """A point the car visits; `zone` is the HA zone it lies in, if any."""

    name: str
    latitude: float
    longitude: float
    zone: str | None = None


# HA's home zone is the `homeassistant:` latitude/longitude of the demo config and
# the Work zone is declared next to it (demo/config/configuration.yaml).
HOME: Final = Place("Home", 52.5200, 13.4050, zone="home")
WORK: Final = Place("Work", 52.3906, 13.0645, zone="work")
CHARGER_NORTH: Final = Place("Autobahn charger Zarrentin", 53.5480, 10.9170)
HAMBURG: Final = Place("Hamburg", 53.5511, 9.9937)
CHARGER_PUTLITZ: Final = Place("Autobahn charger Putlitz", 53.2460, 12.0440)
ZONE_RADIUS_M: Final = {"home": 100.0, "work": 150.0}

# Per weekday: how clear the sky is (1 = clear) and the temperature offset in °C.
CLEAR_SKY: Final = (0.95, 0.55, 0.9, 0.35, 0.8, 0.97, 0.9)
TEMPERATURE_OFFSET: Final = (0.0, -1.5, 1.0, -3.0, 0.5, 2.5, 1.5)

SOLAR_PEAK_KW: Final = 8.0
SUNRISE_H: Final = 5.25
SUNSET_H: Final = 21.0


def day_and_hour(minute: int) -> tuple[int, float]:
    """Return the weekday (0 = Monday) and the hour of the day (fractional)."""
    day, minute_of_day = divmod(minute % MINUTES_PER_WEEK, MINUTES_PER_DAY)
    return day, minute_of_day / 60


def solar_kw(minute: int, flicker: float = 0.0) -> float:
    """Solar production of the 8 kWp roof: a bell curve damped by clouds.

    Args:
        minute: Minutes since the scenario start.
        flicker: 0..1, a passing cloud (scaled by how cloudy the day is).
    """
    day, hour = day_and_hour(minute)
    if not SUNRISE_H < hour < SUNSET_H:
        return 0.0
    x = (hour - SUNRISE_H) / (SUNSET_H - SUNRISE_H)
    clear = CLEAR_SKY[day]
    bell = math.pow(math.sin(math.pi * x), 1.6)
    cloud = 1.0 - (1.0 - clear) * 0.6 - flicker * (1.0 - clear) * 0.5
    return SOLAR_PEAK_KW * 0.85 * bell * max(cloud, 0.05)


def house_kw(minute: int, noise: float = 0.0) -> float:
    """House consumption without the car: base load, mornings, cooking, evenings."""
    day, hour = day_and_hour(minute)
    load = 0.32 + noise
    weekend = day >= 5
    if not weekend and 6.5 <= hour < 7.75:
        load += 1.3
    if weekend and 8.5 <= hour < 10:
        load += 0.9
    if weekend and 12 <= hour < 13:
        load += 1.1
    if 18 <= hour < 22.5:
        load += 0.7
    if 18.5 <= hour < 19.25:
        load += 1.9
    return load


def outside_temp_c(minute: int) -> float:
    """Outside temperature: coldest around 04:00, warmest around 16:00."""
    day, hour = day_and_hour(minute)
    return (
        13.0 + TEMPERATURE_OFFSET[day] + 6.0 * math.sin(2 * math.pi * (hour - 10) / 24)
    )


def price_eur_kwh(hour_index: int, noise: float = 0.0) -> float:
    """Hourly dynamic electricity price in EUR/kWh (cheap at night and midday)."""
    day, _ = day_and_hour(hour_index * 60)
    hour = hour_index % 24
    price = 0.29 + noise
    if hour < 5:
        price -= 0.07
    elif 11 <= hour < 15:
        price -= 0.05 + 0.03 * CLEAR_SKY[day]
    elif 17 <= hour < 21:
        price += 0.09
    if day >= 5:
        price -= 0.02
    return max(price, 0.05)


def interpolate(
    origin: Place, destination: Place, fraction: float
) -> tuple[float, float]:
    """Latitude and longitude a fraction of the way (0..1) along a straight line."""
    fraction = min(max(fraction, 0.0), 1.0)
    return (
        origin.latitude + (destination.latitude - origin.latitude) * fraction,
        origin.longitude + (destination.longitude - origin.longitude) * fraction,
    )


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    radius = 6_371_000.0
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = (
        math.sin(dphi / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    )
    return 2 * radius * math.asin(math.sqrt(a))
