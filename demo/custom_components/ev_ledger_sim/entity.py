"""The base of every simulated entity: a device, a key, pushed updates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import EntityCategory
from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity

from .const import DOMAIN, MANUFACTURER
from .sim.catalog import DEVICES, EntitySpec

if TYPE_CHECKING:
    from .replay import Replay
    from .sim.scenario import Attributes, Value


def device_info(device_key: str) -> DeviceInfo:
    """The device of a simulated car, site or tariff."""
    spec = DEVICES[device_key]
    return DeviceInfo(
        identifiers={(DOMAIN, spec.key)},
        name=spec.name,
        manufacturer=MANUFACTURER,
        model=spec.model,
        sw_version="0.1.0",
    )


class SimEntity(Entity):
    """An entity whose value is pushed by the replay under its spec's key."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, replay: Replay, spec: EntitySpec) -> None:
        """Describe the entity from its spec, as the real integration would."""
        self._replay = replay
        self._key = spec.key
        self._attr_unique_id = f"{DOMAIN}_{spec.device}_{spec.key}"
        self._attr_name = spec.name
        self._attr_device_info = device_info(spec.device)
        self._attr_force_update = spec.polled
        if spec.icon:
            self._attr_icon = spec.icon
        if spec.diagnostic:
            self._attr_entity_category = EntityCategory.DIAGNOSTIC

    @property
    def current(self) -> tuple[Value, Attributes] | None:
        """The key's current value and attributes."""
        return self._replay.value(self._key)

    @property
    def available(self) -> bool:
        """Unavailable until the scenario reported the key."""
        return self.current is not None

    async def async_added_to_hass(self) -> None:
        """Write the state whenever the replay delivers the key."""
        self.async_on_remove(self._replay.listen(self._key, self._on_update))

    @callback
    def _on_update(self) -> None:
        """Write the state with its simulated timestamp, not the wall clock's.

        `async_write_ha_state` always stamps the wall clock; the entity still
        computes its state and attributes (registry name, device class, unit...).
        """
        if self.registry_entry is not None and self.registry_entry.disabled_by:
            return
        calculated = self._async_calculate_state()
        self.hass.states.async_set(
            self.entity_id,
            calculated.state,
            calculated.attributes,
            self.force_update,
            state_info=self._state_info,
            timestamp=self._replay.stamp(self._key),
        )
