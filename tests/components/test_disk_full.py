"""The embedded database's disk fills up under a running ledger, then space is freed.

A Raspberry Pi's SD card fills up (backups, the recorder). The repair says the disk is
full at once (not "unreachable" five minutes later, which it never said either: each
retry connected fine and restarted the outage clock), the journal keeps the charge,
and once space is freed everything is written and the repair goes.
"""

from __future__ import annotations

from pathlib import Path
import sqlite3
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError

from custom_components.ev_ledger import runtime as runtime_module
from custom_components.ev_ledger.const import DOMAIN, EMBEDDED_FILENAME
from custom_components.ev_ledger.db import Backoff, WriterState
from custom_components.ev_ledger.runtime import Tuning
from tests.logic.test_scenarios import T
from tests.logic.trace import hours, minutes

from . import scenario
from .conftest import VEHICLE_ID, Ledger, make_entry
from .test_repairs import wait_synced

if TYPE_CHECKING:
    from collections.abc import Generator

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import issue_registry as ir
    import pytest

ENTRY_ID = "01JENTRY00000000000000001"
FULL = f"database_disk_full_{ENTRY_ID}"
UNREACHABLE = f"database_unreachable_{ENTRY_ID}"


class FullDisk:
    """While `full`, every transaction on the ledger's file fails as SQLite's does.

    The engine, the writer and the runtime are real; SQLite's SQLITE_FULL is raised
    at the transaction's start (`tests/db/test_disk_full.py` makes a real one).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.full = False
        self.refused = 0

    def __call__(self, conn: Any) -> None:
        if self.full and conn.engine.url.database == self.path:
            self.refused += 1
            error = sqlite3.OperationalError("database or disk is full")
            error.sqlite_errorcode = 13
            raise OperationalError("BEGIN", None, error)


def _listening(disk: FullDisk) -> Generator[None]:
    event.listen(Engine, "begin", disk)
    try:
        yield
    finally:
        event.remove(Engine, "begin", disk)


async def test_a_full_disk_is_said_at_once_and_nothing_is_lost(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    embedded_data: dict[str, str],
    issue_registry: ir.IssueRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        runtime_module, "TUNING", Tuning(backoff=Backoff(initial=0.05, maximum=0.2))
    )
    disk = FullDisk(str(Path(hass.config.path(EMBEDDED_FILENAME))))
    listening = _listening(disk)
    next(listening)
    ledger = Ledger(hass, freezer, make_entry(embedded_data))
    try:
        await ledger.at(T - hours(1))
        for reading in scenario.before():
            await ledger.reading(reading)
        await ledger.setup()
        await ledger.synced()

        disk.full = True
        await ledger.replay(scenario.charge())
        await ledger.at(T + hours(3) + minutes(10))
        await ledger.runtime.async_flush()
        health = ledger.runtime.writer.health()
        assert disk.refused > 0
        assert health.state is WriterState.DISCONNECTED
        assert health.disk_full
        assert health.journaled > 0
        issue = issue_registry.async_get_issue(DOMAIN, FULL)
        assert issue is not None
        assert issue.translation_key == "database_disk_full"
        # One repair for one problem: not also "unreachable".
        assert issue_registry.async_get_issue(DOMAIN, UNREACHABLE) is None

        disk.full = False  # space freed
        await wait_synced(hass, freezer, ledger)
        await ledger.at(T + hours(3) + minutes(12))
        assert issue_registry.async_get_issue(DOMAIN, FULL) is None
        page = await ledger.query("list_sessions", vehicle=VEHICLE_ID)
        (row,) = page.items
        assert row["status"] == "completed"
        assert row["energy_kwh"] == scenario.SESSION_KWH
    finally:
        await ledger.unload()
        listening.close()
