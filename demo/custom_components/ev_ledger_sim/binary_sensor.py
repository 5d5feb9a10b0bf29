"""The simulated car's charge cable (device class plug)."""

from __future__ import annotations

from typing import TYPE_CHECKING

# 2026.x re-exports the device classes from binary_sensor.const without marking them.
from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined, unused-ignore]
    BinarySensorDeviceClass,
    BinarySensorEntity,
)

from .entity import SimEntity
from .sim.catalog import ENTITIES, EntitySpec

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from . import SimConfigEntry
    from .replay import Replay


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SimConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One binary sensor per binary_sensor spec."""
    async_add_entities(
        SimBinarySensor(entry.runtime_data, spec)
        for spec in ENTITIES
        if spec.platform == "binary_sensor"
    )


class SimBinarySensor(SimEntity, BinarySensorEntity):
    """On when the scenario says True."""

    def __init__(self, replay: Replay, spec: EntitySpec) -> None:
        """Set the device class of the spec."""
        super().__init__(replay, spec)
        if spec.device_class:
            self._attr_device_class = BinarySensorDeviceClass(spec.device_class)

    @property
    def is_on(self) -> bool | None:
        """The value the replay delivered last."""
        current = self.current
        return None if current is None else bool(current[0])
