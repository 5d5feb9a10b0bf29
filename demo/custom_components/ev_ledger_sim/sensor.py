"""Sensors of the simulated car, site and tariff, plus the simulated clock."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorStateClass,
)

from .entity import SimEntity
from .replay import SIM_TIME_KEY
from .sim.catalog import ENTITIES, TARIFF, EntitySpec

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from . import SimConfigEntry
    from .replay import Replay

SIM_TIME_SPEC = EntitySpec(
    key=SIM_TIME_KEY, device=TARIFF, name="Simulated time", icon="mdi:clock-fast"
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SimConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One sensor per sensor spec."""
    replay = entry.runtime_data
    entities: list[SimSensor] = [
        SimSensor(replay, spec) for spec in ENTITIES if spec.platform == "sensor"
    ]
    entities.append(SimClockSensor(replay, SIM_TIME_SPEC))
    async_add_entities(entities)


class SimSensor(SimEntity, SensorEntity):
    """A numeric or enum sensor."""

    def __init__(self, replay: Replay, spec: EntitySpec) -> None:
        """Set the device class, unit, state class and options of the spec."""
        super().__init__(replay, spec)
        if spec.device_class:
            self._attr_device_class = SensorDeviceClass(spec.device_class)
        if spec.state_class:
            self._attr_state_class = SensorStateClass(spec.state_class)
        self._attr_native_unit_of_measurement = spec.unit
        if spec.options:
            self._attr_options = list(spec.options)

    @property
    def native_value(self) -> str | int | float | None:
        """The value the replay delivered last."""
        current = self.current
        if current is None:
            return None
        value = current[0]
        return value if not isinstance(value, bool) else str(value).lower()


class SimClockSensor(SimSensor):
    """Where the replay is in the simulated week (`Tue 14:30`)."""

    @property
    def extra_state_attributes(self) -> dict[str, float]:
        """The replay's pace and progress."""
        return {
            "speed": self._replay.clock.speed,
            "scenario_seconds": round(self._replay.scenario_s),
            "events_delivered": self._replay.delivered,
        }
