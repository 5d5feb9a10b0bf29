"""An in-progress trip and how it becomes a record."""

from __future__ import annotations

from decimal import Decimal
import math
from typing import Any

from .model import DistanceMethod, EnergyMethod, Flag, Place, Trip

KM = Decimal("0.001")
EARTH_RADIUS_KM = 6371.0088


def haversine_km(a: Place, b: Place) -> float:
    """Great-circle distance between two places with coordinates."""
    assert a.latitude is not None
    assert a.longitude is not None
    assert b.latitude is not None
    assert b.longitude is not None
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = (
        math.sin(dlat / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _dec(value: float, step: Decimal) -> Decimal:
    return Decimal(repr(value)).quantize(step)


class OpenTrip:
    """State of a trip that has not been closed yet."""

    __slots__ = (
        "consumed_end",
        "consumed_start",
        "flags",
        "last_motion",
        "level_end",
        "level_start",
        "max_speed",
        "odo_end",
        "odo_start",
        "path_km",
        "path_last",
        "place_end",
        "place_start",
        "record_id",
        "started_at",
        "temp_n",
        "temp_sum",
    )

    def __init__(
        self,
        started_at: float,
        *,
        record_id: str,
        odometer: float | None,
        level: float | None,
        place: Place | None,
        consumed: float | None,
    ) -> None:
        self.record_id = record_id
        self.started_at = started_at
        self.last_motion = started_at
        self.odo_start = odometer
        self.odo_end = odometer
        self.level_start = level
        self.level_end = level
        self.place_start = place
        self.place_end = place
        self.path_last = (
            place if place is not None and place.latitude is not None else None
        )
        self.path_km = 0.0
        self.consumed_start = consumed
        self.consumed_end = consumed
        self.max_speed: float | None = None
        self.temp_sum = 0.0
        self.temp_n = 0
        self.flags: set[Flag] = set()

    def on_place(self, place: Place) -> None:
        """A location reading during the trip (also builds the path)."""
        self.place_end = place
        if place.latitude is not None and place.longitude is not None:
            if self.path_last is not None:
                self.path_km += haversine_km(self.path_last, place)
            self.path_last = place

    def on_speed(self, kmh: float) -> None:
        """A speed reading during the trip."""
        if self.max_speed is None or kmh > self.max_speed:
            self.max_speed = kmh

    def on_temp(self, celsius: float) -> None:
        """An outside temperature reading during the trip."""
        self.temp_sum += celsius
        self.temp_n += 1

    def build(
        self,
        vehicle_id: str,
        ended_at: float,
        capacity_kwh: float | None,
        learned: bool,
    ) -> Trip:
        """Turn the trip into a record."""
        flags = set(self.flags)
        if self.odo_start is not None and self.odo_end is not None:
            distance = max(0.0, self.odo_end - self.odo_start)
            distance_method = DistanceMethod.ODOMETER
        else:
            distance = self.path_km
            distance_method = DistanceMethod.LOCATION_PATH
        energy: float | None = None
        energy_method: EnergyMethod | None = None
        if (
            self.consumed_start is not None
            and self.consumed_end is not None
            and self.consumed_end > self.consumed_start
        ):
            energy = self.consumed_end - self.consumed_start
            energy_method = EnergyMethod.VEHICLE_COUNTER
        elif (
            self.level_start is not None
            and self.level_end is not None
            and capacity_kwh
            and self.level_start > self.level_end
        ):
            energy = (self.level_start - self.level_end) / 100.0 * capacity_kwh
            energy_method = EnergyMethod.BATTERY_DELTA
            if learned:
                flags.add(Flag.CAPACITY_ESTIMATED)
        duration = max(0.0, ended_at - self.started_at)
        distance_d = _dec(distance, KM)
        efficiency = (
            (Decimal(repr(energy * 1000.0)) / distance_d).quantize(Decimal("0.1"))
            if energy is not None and distance_d > 0
            else None
        )
        return Trip(
            id=self.record_id,
            vehicle_id=vehicle_id,
            started_at=self.started_at,
            ended_at=ended_at,
            distance_km=distance_d,
            distance_method=distance_method,
            energy_kwh=_dec(energy, KM) if energy is not None else None,
            energy_method=energy_method,
            efficiency_wh_km=efficiency,
            duration_s=duration,
            avg_speed_kmh=distance / (duration / 3600.0) if duration > 0 else None,
            max_speed_kmh=self.max_speed,
            start_place=self.place_start,
            end_place=self.place_end,
            start_odometer_km=self.odo_start,
            end_odometer_km=self.odo_end,
            start_level=self.level_start,
            end_level=self.level_end,
            avg_outside_temp_c=self.temp_sum / self.temp_n if self.temp_n else None,
            flags=flags,
        )

    def to_dict(self) -> dict[str, Any]:
        """Serialise (JSON-safe)."""
        return {
            "record_id": self.record_id,
            "started_at": self.started_at,
            "last_motion": self.last_motion,
            "odo": [self.odo_start, self.odo_end],
            "level": [self.level_start, self.level_end],
            "place": [
                list(self.place_start) if self.place_start else None,
                list(self.place_end) if self.place_end else None,
                list(self.path_last) if self.path_last else None,
            ],
            "path_km": self.path_km,
            "consumed": [self.consumed_start, self.consumed_end],
            "max_speed": self.max_speed,
            "temp": [self.temp_sum, self.temp_n],
            "flags": sorted(self.flags),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OpenTrip:
        """Restore from `to_dict` output."""
        obj = cls(
            data["started_at"],
            record_id=data["record_id"],
            odometer=None,
            level=None,
            place=None,
            consumed=None,
        )
        obj.last_motion = data["last_motion"]
        obj.odo_start, obj.odo_end = data["odo"]
        obj.level_start, obj.level_end = data["level"]
        start, end, last = data["place"]
        obj.place_start = Place(*start) if start else None
        obj.place_end = Place(*end) if end else None
        obj.path_last = Place(*last) if last else None
        obj.path_km = data["path_km"]
        obj.consumed_start, obj.consumed_end = data["consumed"]
        obj.max_speed = data["max_speed"]
        obj.temp_sum, obj.temp_n = data["temp"]
        obj.flags = {Flag(f) for f in data["flags"]}
        return obj
