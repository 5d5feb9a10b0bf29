"""EV Ledger: charging sessions, trips, cost and efficiency for any electric vehicle."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from homeassistant.const import Platform
from homeassistant.core import callback
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryError,
    ConfigEntryNotReady,
)
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.storage import Store

from . import issues, panel, renames, statistics, websocket_api
from .builders import db_config
from .const import DOMAIN, EMBEDDED_FILENAME
from .db import (
    CannotConnect,
    DatabaseDamaged,
    InvalidAuth,
    MigrationError,
    MigrationsMissing,
    MissingPrivilege,
    SchemaTooNew,
    TlsError,
    connect_and_migrate,
    head_revision,
)
from .housekeeping import Housekeeping
from .runtime import EvLedgerConfigEntry, EvLedgerRuntime, snapshot_store
from .services import async_setup_services

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.typing import ConfigType

__all__ = ["EvLedgerConfigEntry", "EvLedgerRuntime"]

PLATFORMS: list[Platform] = [Platform.EVENT, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
_LOGGER = logging.getLogger(__name__)


def schema_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """The schema revision the entry's database had at its last successful start."""
    return Store(hass, 1, f"{DOMAIN}.{entry_id}.schema")


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions (they validate their config entry themselves)."""
    async_setup_services(hass)
    websocket_api.async_register(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: EvLedgerConfigEntry) -> bool:
    """Connect (migrating the schema), start the writer and the ledgers."""
    config = db_config(entry.data, hass.config.path(EMBEDDED_FILENAME))
    placeholders = {"target": config.describe()}
    schema = schema_store(hass, entry.entry_id)
    try:
        result = await hass.async_add_executor_job(connect_and_migrate, config)
    except CannotConnect as err:
        # A restart while the server is down: when the database already has this
        # code's schema, the ledgers start at once and the writer journals until
        # the server is back, so nothing of that time is lost. A schema that still
        # needs a migration has to wait for the server.
        known = await schema.async_load() or {}
        head = await hass.async_add_executor_job(head_revision)
        damaged = isinstance(err, DatabaseDamaged)
        if damaged:
            # Waiting does not mend a damaged file; the user restores it or moves it
            # aside. With this code's schema the ledgers still run, journaling.
            issues.async_db_damaged(
                hass, entry.entry_id, entry.title, config.describe(), str(err)
            )
        if known.get("revision") != head:
            if damaged:
                raise ConfigEntryError(
                    translation_domain=DOMAIN,
                    translation_key="database_damaged",
                    translation_placeholders={**placeholders, "error": str(err)},
                ) from err
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key="cannot_connect",
                translation_placeholders={**placeholders, "error": str(err)},
            ) from err
        _LOGGER.warning(
            "EV Ledger: %s is unreachable; recording into the journal until it is back",
            config.describe(),
        )
    except InvalidAuth as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="invalid_auth",
            translation_placeholders=placeholders,
        ) from err
    except TlsError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={**placeholders, "error": str(err)},
        ) from err
    except SchemaTooNew as err:
        issues.async_schema_too_new(hass, entry.entry_id, entry.title)
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="schema_too_new",
            translation_placeholders=placeholders,
        ) from err
    except MigrationsMissing as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="migrations_missing",
            translation_placeholders={"folder": err.folder},
        ) from err
    except (MissingPrivilege, MigrationError) as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="migration_failed",
            translation_placeholders={**placeholders, "error": str(err)},
        ) from err
    else:
        # Remembered for a restart while the server is down (see above).
        if (await schema.async_load() or {}).get("revision") != result.after:
            await schema.async_save({"revision": result.after})
        issues.async_clear_db_damaged(hass, entry.entry_id)
    issues.async_clear_schema_too_new(hass, entry.entry_id)
    await statistics.async_prune(hass)
    runtime = await EvLedgerRuntime.async_create(hass, entry, config)
    entry.runtime_data = runtime
    entry.async_on_unload(runtime.async_shutdown)
    entry.async_on_unload(entry.add_update_listener(_async_update_listener))
    entry.async_on_unload(renames.async_follow_renames(hass, entry))
    # Subentries added or changed while the runtime was created had no listener yet.
    _async_apply_changes(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    runtime.async_start()
    Housekeeping(hass, entry, config).async_start()
    await panel.async_setup_frontend(hass)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: EvLedgerConfigEntry) -> bool:
    """Unload platforms; the runtime stops through `async_on_unload`."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        panel.async_remove_panel_if_last(hass, entry.entry_id)
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: EvLedgerConfigEntry) -> None:
    """The entry is deleted: drop its snapshot and its vehicles' statistics bookkeeping.

    The ledger itself (database, journal) and the `ev_ledger:` statistics stay.
    """
    await snapshot_store(hass, entry.entry_id).async_remove()
    await schema_store(hass, entry.entry_id).async_remove()
    await statistics.async_prune(hass)


async def _async_update_listener(
    hass: HomeAssistant, entry: EvLedgerConfigEntry
) -> None:
    """A subentry was added, changed or removed: apply it."""
    _async_apply_changes(hass, entry)


@callback
def _async_apply_changes(hass: HomeAssistant, entry: EvLedgerConfigEntry) -> None:
    """Locations change in place; anything else rebuilds the runtime (a reload)."""
    if entry.runtime_data.async_config_changed(entry):
        hass.config_entries.async_schedule_reload(entry.entry_id)
