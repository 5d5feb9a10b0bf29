"""The writer's hold for backups: a still, whole SQLite file; nothing lost meanwhile."""

from __future__ import annotations

from contextlib import closing
import logging
from pathlib import Path
import shutil
import sqlite3
import time
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, func, select

from custom_components.ev_ledger.db import (
    DbConfig,
    Sample,
    WriterStoppedError,
    connect_and_migrate,
    make_engine,
)
from custom_components.ev_ledger.db.models import ChargingSession, Sample as SampleModel

from .conftest import T0, WriterFactory, make_session
from .faults import Outage

if TYPE_CHECKING:
    from collections.abc import Iterator

    from custom_components.ev_ledger.db.writer import Writer


def samples(n: int, start: int = 0) -> list[Sample]:
    return [
        Sample("vehicle-1", "charger_power", T0 + i, 7.0 + i / 1000)
        for i in range(start, start + n)
    ]


def held(writer: Writer) -> bool:
    """Whether the writer holds (a call: mypy would narrow the property)."""
    return writer.held


def rows(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


@pytest.fixture
def sqlite_db(sqlite_config: DbConfig) -> Iterator[tuple[DbConfig, Engine]]:
    connect_and_migrate(sqlite_config)
    engine = make_engine(sqlite_config)
    yield sqlite_config, engine
    engine.dispose()


def copy_like_a_backup(config: DbConfig, target: Path) -> Path:
    """Copy the database file and whatever SQLite keeps beside it, as a tar would."""
    assert config.path is not None
    source = Path(config.path)
    target.mkdir()
    for path in source.parent.glob(source.name + "*"):
        shutil.copy2(path, target / path.name)
    return target / source.name


def test_hold_gives_a_whole_still_file_and_loses_nothing(
    sqlite_db: tuple[DbConfig, Engine], make_writer: WriterFactory, tmp_path: Path
) -> None:
    config, engine = sqlite_db
    # Nothing reaches the database on its own for an hour: only the hold writes it.
    writer = make_writer(config, commit_interval=3600)
    writer.enqueue_samples(samples(3000))
    for index in range(5):
        writer.enqueue_session(make_session(index))
    writer.hold().result(10)
    assert held(writer)
    assert config.path is not None
    wal = Path(config.path + "-wal")
    # Checkpointed and truncated: the database file alone holds everything.
    assert not wal.exists() or wal.stat().st_size == 0
    before = Path(config.path).stat()

    # States keep coming while the backup copies the files.
    writer.enqueue_samples(samples(2000, start=3000))
    writer.enqueue_session(make_session(5))
    copy = copy_like_a_backup(config, tmp_path / "backup")
    time.sleep(0.3)
    after = Path(config.path).stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert rows(engine, SampleModel) == 3000

    # The copy is a consistent ledger of everything enqueued before the hold.
    with closing(sqlite3.connect(copy)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM samples").fetchone() == (3000,)
        assert conn.execute("SELECT count(*) FROM charging_sessions").fetchone() == (5,)

    writer.release()
    writer.flush().result(10)
    assert not held(writer)
    assert rows(engine, SampleModel) == 5000
    assert rows(engine, ChargingSession) == 6


def test_a_hold_never_released_ends_on_its_own(
    sqlite_db: tuple[DbConfig, Engine],
    make_writer: WriterFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    config, engine = sqlite_db
    writer = make_writer(config)
    writer.hold(seconds=0.3).result(10)
    writer.enqueue_samples(samples(100))
    writer.flush().result(10)  # waits out the hold
    assert rows(engine, SampleModel) == 100
    assert not writer.held
    assert any(
        record.levelno == logging.WARNING and "backup held" in record.getMessage()
        for record in caplog.records
    )


def test_stop_while_held_writes_everything(
    sqlite_db: tuple[DbConfig, Engine], make_writer: WriterFactory
) -> None:
    config, engine = sqlite_db
    writer = make_writer(config)
    writer.hold().result(10)
    writer.enqueue_samples(samples(500))
    assert writer.stop(10)
    assert rows(engine, SampleModel) == 500
    # A stopped writer refuses a hold and ignores a release.
    with pytest.raises(WriterStoppedError):
        writer.hold().result(1)
    writer.release()


def test_hold_during_an_outage_journals_what_came_before(
    sqlite_db: tuple[DbConfig, Engine], make_writer: WriterFactory
) -> None:
    config, engine = sqlite_db
    outage = Outage(down=True)
    writer = make_writer(config, engine_factory=outage.factory)
    writer.enqueue_samples(samples(10))
    writer.hold().result(10)  # no checkpoint to make: the records are journaled
    assert writer.health().journaled == 10
    outage.down = False
    writer.release()
    writer.synced().result(10)
    assert rows(engine, SampleModel) == 10


def test_hold_on_postgresql_too(
    pg_config: DbConfig, make_writer: WriterFactory
) -> None:
    connect_and_migrate(pg_config)
    engine = make_engine(pg_config)
    try:
        writer = make_writer(pg_config, commit_interval=3600)
        writer.enqueue_samples(samples(50))
        writer.hold().result(10)
        assert rows(engine, SampleModel) == 50
        writer.enqueue_samples(samples(50, start=50))
        writer.release()
        writer.flush().result(10)
        assert rows(engine, SampleModel) == 100
    finally:
        engine.dispose()
