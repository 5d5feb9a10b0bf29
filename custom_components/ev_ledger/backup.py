"""Backup platform: the embedded database is still and whole while a backup copies it.

Home Assistant calls `async_pre_backup` before it copies the configuration folder
and `async_post_backup` afterwards (also when the backup failed). The embedded
SQLite ledger (`ev_ledger.db` in the configuration folder) belongs in the backup: it
is the logbook itself. Before the copy every loaded ledger commits what it has,
checkpoints the write-ahead log into the database file and then holds its writes,
so the copy is a consistent ledger; states keep being recorded meanwhile and are
written once the backup is done. A ledger on PostgreSQL only commits what it has
(its journal, a file in the configuration folder, is then as short as it gets): the
database server is backed up on its own.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntryState

from .const import DOMAIN
from .db import WriterStoppedError

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .db import Writer
    from .runtime import EvLedgerConfigEntry

_LOGGER = logging.getLogger(__name__)


def _writers(hass: HomeAssistant) -> list[tuple[Writer, bool]]:
    """The writers of the loaded ledgers, each with whether it is embedded."""
    entries: list[EvLedgerConfigEntry] = hass.config_entries.async_entries(DOMAIN)
    return [
        (entry.runtime_data.writer, not entry.runtime_data.db_config.is_postgresql)
        for entry in entries
        if entry.state is ConfigEntryState.LOADED
    ]


async def _prepare(writer: Writer, embedded: bool) -> None:
    try:
        if embedded:
            await asyncio.wrap_future(writer.hold())
        else:
            await asyncio.wrap_future(writer.flush())
    except WriterStoppedError:
        # The ledger is stopping: it flushes on its own.
        _LOGGER.debug("EV Ledger: writer stopped before the backup")


async def async_pre_backup(hass: HomeAssistant) -> None:
    """Commit what every ledger has and hold the embedded databases still."""
    await asyncio.gather(
        *(_prepare(writer, embedded) for writer, embedded in _writers(hass))
    )


async def async_post_backup(hass: HomeAssistant) -> None:
    """Let the held ledgers write again."""
    for writer, _embedded in _writers(hass):
        writer.release()
