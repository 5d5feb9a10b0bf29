"""Follow a mapped entity's new entity id when the user renames it.

Users rename entities all the time (Settings → Entities → Entity ID). A vehicle's or
energy site's roles, a location's zone and a tariff's price entities are stored as
entity ids in the subentries; without this, a renamed entity would simply stop
feeding the ledger (and a repair would say it no longer exists). As Home Assistant's
own helpers do, the subentries are updated to the new id; the update applies it (the
runtime is rebuilt from its snapshot, nothing of a session in progress is lost).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

_LOGGER = logging.getLogger(__name__)


def replace_entity_id(data: Any, old: str, new: str) -> Any:
    """`data` with every string equal to `old` replaced by `new` (nested)."""
    if isinstance(data, str):
        return new if data == old else data
    if isinstance(data, dict):
        return {key: replace_entity_id(value, old, new) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return type(data)(replace_entity_id(value, old, new) for value in data)
    return data


@callback
def async_follow_renames(hass: HomeAssistant, entry: ConfigEntry[Any]) -> Any:
    """Listen for renamed entities for `entry`; return the remover."""

    @callback
    def renamed(event: Event[er.EventEntityRegistryUpdatedData]) -> None:
        data = event.data
        if data["action"] != "update" or "old_entity_id" not in data:
            return
        old, new = data["old_entity_id"], data["entity_id"]
        current = hass.config_entries.async_get_entry(entry.entry_id)
        if current is None:
            return
        for subentry in list(current.subentries.values()):
            updated = replace_entity_id(dict(subentry.data), old, new)
            if updated != subentry.data:
                _LOGGER.info(
                    "EV Ledger: %s was renamed to %s; %s now uses the new id",
                    old,
                    new,
                    subentry.title,
                )
                hass.config_entries.async_update_subentry(
                    current, subentry, data=updated
                )

    return hass.bus.async_listen(er.EVENT_ENTITY_REGISTRY_UPDATED, renamed)
