"""A full disk under the database: told apart, journaled, one outage, then written.

SQLite's own limit (`PRAGMA max_page_count`) makes a real SQLITE_FULL ("database or
disk is full"): the file takes a connection but no write, as on a full SD card.
Before, each retry connected, called the outage over, failed the write again and
logged another warning; its clock restarted, so the "unreachable" repair never came.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from sqlalchemy import Engine, event, func, select

from custom_components.ev_ledger.db import (
    CannotConnect,
    DatabaseDamaged,
    DbConfig,
    DiskFull,
    WriterState,
    connect_and_migrate,
    make_engine,
)
from custom_components.ev_ledger.db.errors import classify
from custom_components.ev_ledger.db.models import Sample as SampleModel

from .test_writer import samples

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import WriterFactory


class FullDisk:
    """Engines whose SQLite file may not grow while `full` is True."""

    def __init__(self) -> None:
        self.full = False

    def _limit(self, conn: Any) -> None:
        dbapi = conn.connection.driver_connection
        pages = dbapi.execute("PRAGMA page_count").fetchone()[0]
        # SQLite's default maximum when space is free again.
        dbapi.execute(f"PRAGMA max_page_count = {pages if self.full else 1073741823}")

    def factory(self, config: DbConfig) -> Engine:
        engine = make_engine(config)
        event.listen(engine, "begin", self._limit)
        return engine


@pytest.mark.parametrize(
    ("error", "full"),
    [
        (sqlite3.OperationalError("database or disk is full"), True),
        (
            psycopg.errors.DiskFull("could not extend file: No space left on device"),
            True,
        ),
        (OSError(errno.ENOSPC, "No space left on device"), True),
        (sqlite3.OperationalError("database is locked"), False),
        (psycopg.OperationalError("connection refused"), False),
    ],
)
def test_a_full_disk_is_told_from_an_outage(error: Exception, full: bool) -> None:
    kind = classify(error)
    assert isinstance(kind, CannotConnect)
    assert isinstance(kind, DiskFull) is full
    assert not isinstance(kind, DatabaseDamaged)


def test_sqlite_full_result_code() -> None:
    err = sqlite3.OperationalError("some message")
    err.sqlite_errorcode = 13
    assert isinstance(classify(err), DiskFull)


def test_a_full_disk_journals_as_one_outage_then_writes_everything(
    sqlite_config: DbConfig,
    make_writer: WriterFactory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    connect_and_migrate(sqlite_config)
    disk = FullDisk()
    writer = make_writer(sqlite_config, engine_factory=disk.factory)
    writer.enqueue_samples(samples("vehicle-1", 100))
    writer.synced().result(10)

    disk.full = True
    with caplog.at_level(logging.WARNING):
        writer.enqueue_samples(samples("vehicle-1", 20_000, start=100))
        writer.flush().result(10)
        health = writer.health()
        assert health.state is WriterState.DISCONNECTED
        assert health.disk_full
        assert not health.damaged
        assert health.journaled + health.pending > 0
        down_since = health.down_since
        # The writer retries (connects fine, fails to write) without a new outage.
        attempts = health.reconnect_attempts
        while writer.health().reconnect_attempts < attempts + 3:
            writer.flush().result(5)
        health = writer.health()
        assert health.down_since == down_since
        assert health.disk_full
    warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(warnings) == 1

    disk.full = False  # space freed
    writer.synced().result(20)
    health = writer.health()
    assert health.state is WriterState.CONNECTED
    assert not health.disk_full
    assert health.down_since is None
    assert health.reconnect_attempts == 0
    engine = make_engine(sqlite_config, pooled=False)
    try:
        with engine.connect() as conn:
            stored = conn.execute(
                select(func.count()).select_from(SampleModel)
            ).scalar_one()
    finally:
        engine.dispose()
    assert stored == 20_100
