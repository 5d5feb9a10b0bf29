"""Backups: Home Assistant's backup manager holds the embedded ledger still and whole.

A backup taken in the middle of a charge, through Home Assistant's own backup
manager (its pre- and post-backup actions), copies an SQLite ledger that is complete
up to the hold and passes SQLite's integrity check; the states of the backup's time
are written afterwards, and a ledger restored from the copy starts and finishes the
charge.
"""

from __future__ import annotations

from contextlib import closing
import importlib
from pathlib import Path
import shutil
import sqlite3
from typing import TYPE_CHECKING, Any

from homeassistant.setup import async_setup_component
import pytest

from custom_components.ev_ledger.const import (
    BACKEND_EMBEDDED,
    CONF_BACKEND,
    DOMAIN,
    EMBEDDED_FILENAME,
)
from custom_components.ev_ledger.db import connect_and_migrate
from custom_components.ev_ledger.db.config import DbConfig

from . import scenario
from .conftest import VEHICLE_ID, Ledger, make_entry

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


def backup_manager(hass: HomeAssistant) -> Any:
    """Home Assistant's backup manager (its key moved between releases)."""
    from homeassistant.components.backup import const

    return hass.data[const.DATA_MANAGER]


def sqlite_counts(path: Path) -> tuple[int, int]:
    """(samples, sessions) in an SQLite ledger file, after its integrity check."""
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        samples = conn.execute("SELECT count(*) FROM samples").fetchone()[0]
        sessions = conn.execute("SELECT count(*) FROM charging_sessions").fetchone()[0]
    return int(samples), int(sessions)


@pytest.fixture
async def backups(hass: HomeAssistant) -> Any:
    """Home Assistant's backup integration, with EV Ledger's platform found."""
    try:  # Home Assistant < 2025.5 prepares the backup data at start-up
        helper = importlib.import_module("homeassistant.helpers.backup")
    except ImportError:
        pass
    else:
        helper.async_initialize_backup(hass)
    assert await async_setup_component(hass, "backup", {})
    await hass.async_block_till_done()
    return backup_manager(hass)


async def test_backup_mid_charge_copies_a_whole_ledger(
    hass: HomeAssistant, ledger: Ledger, backups: Any, tmp_path: Path
) -> None:
    await ledger.setup()
    assert DOMAIN in backups.platforms
    charge = scenario.charge()
    half = len(charge) // 2
    await ledger.replay([*scenario.before(), *charge[:half]])

    await backups.async_pre_backup_actions()
    writer = ledger.runtime.writer
    embedded = not ledger.runtime.db_config.is_postgresql
    assert writer.held is embedded
    stored_at_hold = await hass.async_add_executor_job(lambda: writer.health().written)
    copy: Path | None = None
    if embedded:
        source = Path(hass.config.path(EMBEDDED_FILENAME))
        backup_dir = tmp_path / "backup"
        backup_dir.mkdir()
        for path in source.parent.glob(source.name + "*"):
            shutil.copy2(path, backup_dir / path.name)
        copy = backup_dir / EMBEDDED_FILENAME
    # The charge goes on while the backup runs: its states are recorded.
    await ledger.replay(charge[half:])
    assert writer.health().written == stored_at_hold
    await backups.async_post_backup_actions()
    await ledger.synced()
    assert not writer.held
    assert writer.health().written > stored_at_hold
    sessions = await ledger.query("list_sessions", vehicle=VEHICLE_ID)
    assert [s["energy_kwh"] for s in sessions.items] == [scenario.SESSION_KWH]

    if copy is None:
        return
    samples, in_progress = await hass.async_add_executor_job(sqlite_counts, copy)
    assert samples > 0
    assert in_progress == 1
    # Restored: the copy opens at the head revision and holds the open session.
    restored = DbConfig.embedded(copy)
    await hass.async_add_executor_job(connect_and_migrate, restored)


async def test_backup_while_unloaded_or_no_ledger(
    hass: HomeAssistant, backups: Any, tmp_path: Path
) -> None:
    entry = make_entry({CONF_BACKEND: BACKEND_EMBEDDED})
    entry.add_to_hass(hass)  # not loaded: nothing to hold
    await backups.async_pre_backup_actions()
    await backups.async_post_backup_actions()
