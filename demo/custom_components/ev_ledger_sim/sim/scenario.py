"""The timeline: what each simulated entity reports, and when.

The car and the site are stepped minute by minute; each entity reports at its own
cadence (the car streams while driving, the site polls every five minutes, the
price changes hourly) and only when its value changed, as real integrations do;
the site's meters report every poll, unchanged values included (`polled` specs,
Home Assistant's `force_update`). Within one instant, a departing car reports its
shift state before the odometer that moved, as a streaming car does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
import itertools
import math
import random
from typing import Final

from . import catalog as c, site as site_model, vehicle as vehicle_model
from .clock import WEEK_S
from .site import SiteState
from .vehicle import VehicleState
from .world import HOME, outside_temp_c, price_eur_kwh

type Value = float | int | str | bool
type Attributes = Mapping[str, float | str]

SITE_EVERY_MIN: Final = 5
TEMP_EVERY_MIN: Final = 15
SITE_DELAY_S: Final = 20  # the site is polled a little after the car streams
GPS_ACCURACY_M: Final = 8


@dataclass(frozen=True, slots=True)
class SimEvent:
    """One state an entity reports at `offset` seconds after Monday 00:00."""

    offset: int
    key: str
    value: Value
    attributes: Attributes = field(default_factory=dict)


def _location(car: VehicleState) -> tuple[Value, Attributes]:
    zone = car.place.zone if car.place is not None else None
    return zone or "not_home", {
        "latitude": round(car.latitude, 5),
        "longitude": round(car.longitude, 5),
        "gps_accuracy": GPS_ACCURACY_M,
    }


def _plain(value: Value) -> tuple[Value, Attributes]:
    return value, {}


VEHICLE_REPORTS: Final[
    dict[str, Callable[[VehicleState], tuple[Value, Attributes]]]
] = {
    c.PLUG: lambda car: _plain(car.plugged),
    c.CHARGING_STATE: lambda car: _plain(car.charging_state),
    c.CHARGER_POWER: lambda car: _plain(round(car.power_kw, 2)),
    c.SESSION_ENERGY: lambda car: _plain(round(car.session_kwh, 2)),
    c.BATTERY_LEVEL: lambda car: _plain(round(car.soc)),
    c.RANGE: lambda car: _plain(round(car.range_km)),
    c.ODOMETER: lambda car: _plain(round(car.odometer_km, 1)),
    c.SPEED: lambda car: _plain(round(car.speed_kmh)),
    c.LOCATION: _location,
    c.SHIFT_STATE: lambda car: _plain(car.shift),
    c.CHARGE_LIMIT: lambda car: _plain(round(car.charge_limit)),
}

SITE_REPORTS: Final[dict[str, Callable[[SiteState], Value]]] = {
    c.SOLAR_POWER: lambda s: round(s.solar_kw * 1000),
    c.GRID_POWER: lambda s: round(s.grid_kw * 1000),
    c.BATTERY_POWER: lambda s: round(s.battery_kw, 2),
    c.HOME_LOAD: lambda s: round(s.load_kw * 1000),
    c.HOME_BATTERY_LEVEL: lambda s: round(s.battery_soc * 100),
}


class _Reporter:
    """Emits a key's value only when it differs from the last one emitted."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[Value, Attributes]] = {}

    def report(
        self, offset: int, key: str, value: Value, attributes: Attributes
    ) -> SimEvent | None:
        if self._last.get(key) == (value, attributes) and not c.SPECS[key].polled:
            return None
        self._last[key] = (value, attributes)
        return SimEvent(offset, key, value, attributes)


def timeline(seed: int = 7) -> Iterator[SimEvent]:
    """Yield the scenario's events forever, in time order (the week repeats).

    The first minute reports every entity, so offset 0 is a complete snapshot.
    """
    car = VehicleState(rng=random.Random(seed))
    home = SiteState(rng=random.Random(seed + 1))
    price_noise = random.Random(seed + 2)
    reporter = _Reporter()
    for minute in itertools.count():
        vehicle_model.step(car, minute)
        at_home_kw = car.power_kw if car.plugged and car.place is HOME else 0.0
        site_model.step(home, minute, at_home_kw)
        offset = minute * 60
        candidates: list[tuple[int, str, Value, Attributes]] = [
            (offset, key, *report(car)) for key, report in VEHICLE_REPORTS.items()
        ]
        if car.shift != "P":
            # Shifting out of park precedes the distance driven in that minute.
            candidates.sort(key=lambda candidate: candidate[1] != c.SHIFT_STATE)
        if minute % 60 == 0:
            noise = price_noise.uniform(-0.02, 0.02)
            price = round(price_eur_kwh(minute // 60, noise), 4)
            candidates.append((offset, c.PRICE, price, {}))
            hour = (minute // 60) % 24
            battery_12v = round(88 + 1.5 * math.sin(2 * math.pi * hour / 24))
            candidates.append((offset, c.BATTERY_12V, battery_12v, {}))
        if minute % TEMP_EVERY_MIN == 0:
            temp = round(outside_temp_c(minute), 1)
            candidates.append((offset, c.OUTSIDE_TEMP, temp, {}))
        if minute % SITE_EVERY_MIN == 0:
            site_offset = offset + (SITE_DELAY_S if minute else 0)
            candidates.extend(
                (site_offset, key, report(home), {})
                for key, report in SITE_REPORTS.items()
            )
        for candidate in candidates:
            if (event := reporter.report(*candidate)) is not None:
                yield event


def week(seed: int = 7, weeks: int = 1) -> list[SimEvent]:
    """The events of the first `weeks` weeks, as a list."""
    end = weeks * WEEK_S
    return list(itertools.takewhile(lambda e: e.offset < end, timeline(seed)))
