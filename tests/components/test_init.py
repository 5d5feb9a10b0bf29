"""Setting up, failing to set up, unloading and reloading a ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState, ConfigSubentry
import pytest

from custom_components.ev_ledger.compat import find_device
from custom_components.ev_ledger.const import (
    BACKEND_POSTGRESQL,
    CONF_BACKEND,
    CONF_DATABASE,
    CONF_SSLMODE,
    CONF_SSLROOTCERT,
    DOMAIN,
)
from custom_components.ev_ledger.db import (
    CannotConnect,
    DbError,
    InvalidAuth,
    MigrationError,
    MissingPrivilege,
    SchemaTooNew,
    TlsError,
)
from custom_components.ev_ledger.logic.model import Role

from .conftest import (
    VEHICLE_ID,
    Ledger,
    device_of,
    get_state,
    make_entry,
    vehicle_subentry,
)

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import (
        device_registry as dr,
        entity_registry as er,
        issue_registry as ir,
    )

SECOND_ID = "01JVEHICLE0000000000000002"
PG_FIELDS = {
    CONF_BACKEND: BACKEND_POSTGRESQL,
    "host": "127.0.0.1",
    "port": 1,
    CONF_DATABASE: "ha",
    "username": "ev",
    "password": "secret",
    CONF_SSLMODE: "disable",
    CONF_SSLROOTCERT: None,
}


async def test_setup_and_unload(
    hass: HomeAssistant, ledger: Ledger, device_registry: dr.DeviceRegistry
) -> None:
    """A vehicle device with its entities; unloading stops the writer thread."""
    await ledger.setup()
    # The entry's own device (found among the entry's devices).
    device = find_device(hass, ledger.entry.entry_id, (DOMAIN, VEHICLE_ID))
    assert device is not None
    assert device.name == "Model Y"
    writer = ledger.runtime.writer
    await ledger.unload()
    assert ledger.entry.state is ConfigEntryState.NOT_LOADED
    assert writer.health().state == "stopped"
    assert get_state(hass, "sensor.model_y_energy_charged").state == "unavailable"


@pytest.mark.parametrize(
    ("error", "state"),
    [
        (CannotConnect("refused"), ConfigEntryState.SETUP_RETRY),
        (TlsError("bad certificate"), ConfigEntryState.SETUP_RETRY),
        (InvalidAuth("password"), ConfigEntryState.SETUP_ERROR),
        (SchemaTooNew("f00d", "c0de"), ConfigEntryState.SETUP_ERROR),
        (MissingPrivilege("create"), ConfigEntryState.SETUP_ERROR),
        (MigrationError("broken"), ConfigEntryState.SETUP_ERROR),
    ],
)
async def test_setup_errors(
    hass: HomeAssistant,
    error: DbError,
    state: ConfigEntryState,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Each storage failure maps to retry, reauth or a stopped entry."""
    entry = make_entry(PG_FIELDS)
    entry.add_to_hass(hass)
    with patch("custom_components.ev_ledger.connect_and_migrate", side_effect=error):
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    assert entry.state is state
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert bool([f for f in flows if f["context"]["source"] == "reauth"]) == (
        isinstance(error, InvalidAuth)
    )
    issue = issue_registry.async_get_issue(DOMAIN, f"schema_too_new_{entry.entry_id}")
    assert (issue is not None) == isinstance(error, SchemaTooNew)


async def test_schema_issue_cleared_on_success(
    hass: HomeAssistant, ledger: Ledger, issue_registry: ir.IssueRegistry
) -> None:
    """Once the schema is usable again, the repair issue goes away."""
    ledger.entry.add_to_hass(hass)
    with patch(
        "custom_components.ev_ledger.connect_and_migrate",
        side_effect=SchemaTooNew("f00d", "c0de"),
    ):
        await hass.config_entries.async_setup(ledger.entry.entry_id)
    issue_id = f"schema_too_new_{ledger.entry.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id)
    await hass.config_entries.async_unload(ledger.entry.entry_id)
    await ledger.setup()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_unreachable_postgresql_retries(hass: HomeAssistant) -> None:
    """A server that does not answer: set-up is retried later."""
    entry = make_entry(PG_FIELDS)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_subentry_added_and_removed_at_runtime(
    hass: HomeAssistant,
    ledger: Ledger,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A new vehicle gets its device and sensors without restarting Home Assistant."""
    await ledger.setup()
    data = vehicle_subentry(
        {Role.BATTERY_LEVEL: "sensor.ioniq_battery"},
        subentry_id=SECOND_ID,
        title="Ioniq",
    )
    subentry = ConfigSubentry(
        data=data["data"],
        subentry_id=SECOND_ID,
        subentry_type=data["subentry_type"],
        title="Ioniq",
        unique_id=SECOND_ID,
    )
    hass.config_entries.async_add_subentry(ledger.entry, subentry)
    await hass.async_block_till_done()
    assert ledger.entry.state is ConfigEntryState.LOADED
    assert SECOND_ID in ledger.runtime.vehicles
    assert hass.states.get("sensor.ioniq_energy_charged") is not None
    entity = entity_registry.async_get("sensor.ioniq_energy_charged")
    assert entity is not None
    assert entity.config_subentry_id == SECOND_ID

    hass.config_entries.async_remove_subentry(ledger.entry, SECOND_ID)
    await hass.async_block_till_done()
    assert SECOND_ID not in ledger.runtime.vehicles
    assert entity_registry.async_get("sensor.ioniq_energy_charged") is None
    assert device_of(hass, SECOND_ID) is None


async def test_unchanged_update_does_not_reload(
    hass: HomeAssistant, ledger: Ledger
) -> None:
    """An update that changes nothing the runtime uses keeps it running."""
    await ledger.setup()
    runtime = ledger.runtime
    hass.config_entries.async_update_entry(ledger.entry, title="Renamed")
    await hass.async_block_till_done()
    assert ledger.runtime is runtime
