"""A damaged embedded database file: said at once, nothing lost, never overwritten.

SD cards and power cuts damage files. Waiting does not mend a damaged SQLite file, so
it is no outage to wait out: a repair says so at once, the file is left as it is (it
holds the older records), and with this code's schema the ledgers go on, journaling,
until the user restores the file; the journal is then written to it.
"""

from __future__ import annotations

from pathlib import Path
import shutil
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntryState

from custom_components.ev_ledger import runtime as runtime_module
from custom_components.ev_ledger.const import DOMAIN, EMBEDDED_FILENAME
from custom_components.ev_ledger.db import Backoff, WriterState
from custom_components.ev_ledger.runtime import Tuning
from tests.db.test_damaged_file import garble
from tests.logic.test_scenarios import T
from tests.logic.trace import hours, minutes

from . import scenario
from .conftest import VEHICLE_ID, Ledger, make_entry
from .test_repairs import wait_synced

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import issue_registry as ir
    import pytest

ENTRY_ID = "01JENTRY00000000000000001"
DAMAGED = f"database_damaged_{ENTRY_ID}"
UNREACHABLE = f"database_unreachable_{ENTRY_ID}"


async def test_a_new_entry_on_a_damaged_file_fails_with_a_repair(
    hass: HomeAssistant, embedded_data: dict[str, str], issue_registry: ir.IssueRegistry
) -> None:
    path = Path(hass.config.path(EMBEDDED_FILENAME))
    path.write_bytes(b"not a database " * 300)
    before = path.read_bytes()
    entry = make_entry(embedded_data)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    # No endless "retrying setup": waiting does not mend it.
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason is not None
    assert "damaged" in entry.reason
    issue = issue_registry.async_get_issue(DOMAIN, DAMAGED)
    assert issue is not None
    assert issue.translation_key == "database_damaged"
    assert path.read_bytes() == before


async def test_a_file_damaged_under_a_ledger_journals_until_restored(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    embedded_data: dict[str, str],
    issue_registry: ir.IssueRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Damaged while stopped; restored from the backup later: one session, all of it."""
    monkeypatch.setattr(
        runtime_module, "TUNING", Tuning(backoff=Backoff(initial=0.05, maximum=0.2))
    )
    ledger = Ledger(hass, freezer, make_entry(embedded_data))
    await ledger.at(T - hours(1))
    for reading in scenario.before():
        await ledger.reading(reading)
    await ledger.setup()
    await ledger.synced()
    await ledger.unload()
    path = Path(hass.config.path(EMBEDDED_FILENAME))
    backup = path.with_suffix(".backup")
    await hass.async_add_executor_job(shutil.copyfile, path, backup)
    await hass.async_add_executor_job(garble, path)

    await ledger.setup()
    try:
        assert ledger.entry.state is ConfigEntryState.LOADED
        await ledger.replay(scenario.charge())
        await ledger.at(T + hours(3) + minutes(10))
        await ledger.runtime.async_flush()
        writer = ledger.runtime.writer
        assert writer.health().state is WriterState.DISCONNECTED
        assert writer.health().damaged
        assert writer.health().journaled > 0
        issue = issue_registry.async_get_issue(DOMAIN, DAMAGED)
        assert issue is not None
        assert issue.translation_placeholders is not None
        assert "malformed" in issue.translation_placeholders["error"]
        # One repair for one problem: not also "unreachable".
        assert issue_registry.async_get_issue(DOMAIN, UNREACHABLE) is None

        await hass.async_add_executor_job(shutil.copyfile, backup, path)
        await wait_synced(hass, freezer, ledger)
        await ledger.at(T + hours(3) + minutes(12))
        assert issue_registry.async_get_issue(DOMAIN, DAMAGED) is None
        page = await ledger.query("list_sessions", vehicle=VEHICLE_ID)
        (row,) = page.items
        assert row["status"] == "completed"
        assert row["energy_kwh"] == scenario.SESSION_KWH
    finally:
        await ledger.unload()
