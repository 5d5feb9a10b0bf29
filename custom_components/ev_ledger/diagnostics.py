"""Diagnostics: configuration (secrets redacted), mappings, engine and writer health."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME

from .const import CONF_URL, CONF_VIN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .runtime import EvLedgerConfigEntry

TO_REDACT = {CONF_PASSWORD, CONF_URL, CONF_USERNAME, CONF_VIN}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: EvLedgerConfigEntry
) -> dict[str, Any]:
    """What a maintainer needs to understand a user's ledger."""
    runtime = entry.runtime_data
    return {
        "entry": {
            "title": entry.title,
            "data": async_redact_data(dict(entry.data), TO_REDACT),
        },
        "database": runtime.db_config.redact(runtime.db_config.describe()),
        "subentries": [
            {
                "subentry_id": subentry.subentry_id,
                "type": subentry.subentry_type,
                "title": subentry.title,
                "data": async_redact_data(dict(subentry.data), TO_REDACT),
            }
            for subentry in entry.subentries.values()
        ],
        "vehicles": {
            key: {
                "name": vehicle.name,
                "mapping": {role.value: e for role, e in vehicle.roles.items()},
                "engine": vehicle.health(),
            }
            for key, vehicle in runtime.vehicles.items()
        },
        "energy_sites": {
            key: {
                "name": site.name,
                "mapping": {role.value: e for role, e in site.roles.items()},
                "engine": site.health(),
            }
            for key, site in runtime.sites.items()
        },
        "price_entities": sorted(runtime.price_entities),
        "writer": runtime.writer.health().as_dict(),
        # The last (or running) backfill: progress, counts, skipped records.
        "backfill": runtime.backfill.as_dict() if runtime.backfill else None,
    }
