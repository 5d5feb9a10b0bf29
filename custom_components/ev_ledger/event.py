"""Event entities: a vehicle's charging session and trip completions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.const import ATTR_RESTORED, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, callback

from .entity import EvLedgerEntity
from .vehicle_runtime import (
    EVENT_TYPE_COMPLETED,
    EVENT_TYPE_INFERRED,
    KIND_SESSION,
    KIND_TRIP,
    VehicleRuntime,
)

if TYPE_CHECKING:
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .runtime import EvLedgerConfigEntry

PARALLEL_UPDATES = 0

# What the event entity keeps as attributes: a summary; the bus event has it all.
_SUMMARY: dict[str, tuple[str, ...]] = {
    KIND_SESSION: (
        "id",
        "status",
        "started_at",
        "ended_at",
        "energy_kwh",
        "energy_method",
        "solar_share",
        "flags",
    ),
    KIND_TRIP: (
        "id",
        "started_at",
        "ended_at",
        "distance_km",
        "energy_kwh",
        "efficiency_wh_km",
        "flags",
    ),
}

EVENT_DESCRIPTIONS = (
    EventEntityDescription(
        key=KIND_SESSION,
        translation_key=KIND_SESSION,
        event_types=[EVENT_TYPE_COMPLETED, EVENT_TYPE_INFERRED],
    ),
    EventEntityDescription(
        key=KIND_TRIP,
        translation_key=KIND_TRIP,
        event_types=[EVENT_TYPE_COMPLETED, EVENT_TYPE_INFERRED],
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EvLedgerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """A session and a trip event entity per vehicle."""
    for subentry_id, vehicle in entry.runtime_data.vehicles.items():
        async_add_entities(
            (RecordEvent(vehicle, description) for description in EVENT_DESCRIPTIONS),
            config_subentry_id=subentry_id,
        )


class RecordEvent(EvLedgerEntity, EventEntity):
    """Fires when a record of its kind completes."""

    def __init__(
        self, vehicle: VehicleRuntime, description: EventEntityDescription
    ) -> None:
        """Bind to the vehicle's records of the description's kind."""
        super().__init__(vehicle, description)
        self._vehicle = vehicle

    async def async_added_to_hass(self) -> None:
        """Follow the vehicle's completed records."""
        await super().async_added_to_hass()
        self.async_on_remove(self._vehicle.async_add_record_listener(self._on_record))
        # A reload left the unavailable placeholder that unloading writes. The
        # restored last event written next would follow it as a change, which the
        # logbook lists as the event happening again: the placeholder goes first, so
        # the restored state starts afresh, as it does after a restart.
        state = self.hass.states.get(self.entity_id)
        if (
            state is not None
            and state.state == STATE_UNAVAILABLE
            and state.attributes.get(ATTR_RESTORED)
        ):
            self.hass.states.async_remove(self.entity_id, context=self._context)

    @callback
    def _on_record(self, kind: str, event_type: str, data: dict[str, Any]) -> None:
        if kind != self.entity_description.key:
            return
        cost = data.get("cost")
        attributes = {key: data.get(key) for key in _SUMMARY[kind]}
        if kind == KIND_SESSION:
            attributes["cost"] = cost.get("total") if cost else None
            attributes["currency"] = cost.get("currency") if cost else None
            place = data.get("place")
            attributes["location"] = place.get("zone") if place else None
        self._trigger_event(event_type, attributes)
        self.async_write_ha_state()
