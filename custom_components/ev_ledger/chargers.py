"""Which mapped entities belong to a wallbox, and where that wallbox stands.

A charging location may name the wallbox devices that stand in its zone. A vehicle
whose mapping uses one of their entities (the wallbox's power, status, plug or meter)
is then placed there for every session that wallbox delivers: the answer for cars
without a location entity and for wallbox-only setups.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.helpers import entity_registry as er

from .const import CONF_CHARGERS, CONF_ZONE, LOCATION_DEFAULT, SUBENTRY_LOCATION

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant


def charger_zones(hass: HomeAssistant, entry: ConfigEntry[Any]) -> dict[str, str]:
    """Entity id → zone, for every entity of a wallbox that a location names."""
    zones: dict[str, str] = {}
    registry = er.async_get(hass)
    for subentry in entry.subentries.values():
        zone = subentry.data.get(CONF_ZONE)
        if subentry.subentry_type != SUBENTRY_LOCATION or zone in (
            None,
            LOCATION_DEFAULT,
        ):
            continue
        for device_id in subentry.data.get(CONF_CHARGERS) or ():
            for entity in er.async_entries_for_device(
                registry, device_id, include_disabled_entities=True
            ):
                zones[entity.entity_id] = str(zone)
    return zones
