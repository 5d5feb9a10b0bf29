"""Base entity: one device per vehicle or energy site (its subentry)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription

from .const import DOMAIN
from .vehicle_runtime import VehicleRuntime

if TYPE_CHECKING:
    from .site_runtime import SiteRuntime


class EvLedgerEntity(Entity):
    """An entity of a vehicle's or an energy site's device."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self, source: VehicleRuntime | SiteRuntime, description: EntityDescription
    ) -> None:
        """Attach the entity to its subentry's device."""
        self.entity_description = description
        self._attr_unique_id = f"{source.subentry_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, source.subentry_id)},
            name=source.name,
            manufacturer="EV Ledger",
            model="Vehicle" if isinstance(source, VehicleRuntime) else "Energy site",
            entry_type=DeviceEntryType.SERVICE,
        )
