"""The simulated car's GPS location; Home Assistant derives the zone from it."""

from __future__ import annotations

from typing import TYPE_CHECKING

# Not marked as re-exported in either release (2026.x moved it to .entity).
from homeassistant.components.device_tracker import (  # type: ignore[attr-defined, unused-ignore]
    TrackerEntity,
)
from homeassistant.components.device_tracker.const import SourceType

from .entity import SimEntity
from .sim.catalog import ENTITIES

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from . import SimConfigEntry


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SimConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One tracker per device_tracker spec."""
    async_add_entities(
        SimTracker(entry.runtime_data, spec)
        for spec in ENTITIES
        if spec.platform == "device_tracker"
    )


class SimTracker(SimEntity, TrackerEntity):
    """Latitude and longitude from the scenario's location attributes."""

    _attr_source_type = SourceType.GPS

    def _coordinate(self, name: str) -> float | None:
        current = self.current
        if current is None:
            return None
        value = current[1].get(name)
        return float(value) if value is not None else None

    @property
    def latitude(self) -> float | None:
        """Latitude of the car."""
        return self._coordinate("latitude")

    @property
    def longitude(self) -> float | None:
        """Longitude of the car."""
        return self._coordinate("longitude")

    @property
    def location_accuracy(self) -> int:
        """GPS accuracy in metres."""
        return round(self._coordinate("gps_accuracy") or 0)
