"""Samples come back as live took them: in order within an instant, with coordinates.

Migration 0004 added `samples.seq` (the order within an instant) and a location's
`latitude`/`longitude`. Written through the writer (PostgreSQL's COPY, SQLite's
insert, the journal) and read back by `Reader.samples_of` / `Reader.samples`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from typing import TYPE_CHECKING

from alembic import command
from sqlalchemy import text

from custom_components.ev_ledger.db import DbConfig, Reader, Sample, make_engine
from custom_components.ev_ledger.db.migrate import alembic_config, migrate
from custom_components.ev_ledger.db.rows import sample_row

from .conftest import T0, WriterFactory

if TYPE_CHECKING:
    from pathlib import Path

CAR = "vehicle-1"
SITE = "site-1"
START = datetime.fromtimestamp(T0 - 60, UTC)
END = START + timedelta(hours=1)

# One instant, taken in an order neither the roles nor the sources sort into.
INSTANT = [
    Sample(CAR, "shift_state", T0, None, "D", 0),
    Sample(SITE, "solar_power", T0, 3.5, None, 1),
    Sample(CAR, "odometer", T0, 1000.7, None, 2),
    Sample(CAR, "location", T0, None, "not_home", 3, 52.5163, 13.39527),
]
LATER = [
    Sample(CAR, "location", T0 + 60, None, "work", 0, 52.3906, 13.0645),
    Sample(CAR, "battery_level", T0 + 60, 76.0, None, 1),
]


def test_samples_of_keep_the_order_within_an_instant(
    migrated: DbConfig, make_writer: WriterFactory
) -> None:
    writer = make_writer(migrated)
    # Handed over out of order: the order within an instant is in the rows.
    writer.enqueue_samples([*reversed(LATER), *reversed(INSTANT)])
    writer.synced().result(10)
    reader = Reader(migrated)
    try:
        got = reader.samples_of([CAR, SITE], START, END)
        only_car = reader.samples(CAR, START, END)
    finally:
        reader.close()
    assert got == [*INSTANT, *LATER]
    assert only_car == [s for s in [*INSTANT, *LATER] if s.source_id == CAR]


def test_sample_rows_are_short_unless_needed() -> None:
    """The journal keeps five items a sample, more only for an order or a place."""
    rows = [sample_row(sample) for sample in [*INSTANT, *LATER]]
    assert [len(row) for row in rows] == [5, 6, 6, 8, 8, 6]
    assert json.loads(json.dumps(rows)) == rows


def test_journal_written_before_0004_replays(
    migrated: DbConfig, make_writer: WriterFactory, tmp_path: Path
) -> None:
    """Five-item sample rows (an older journal) are stored with seq 0, no place."""
    writer = make_writer(migrated)
    writer.enqueue_samples([(CAR, "odometer", T0, 1000.0, None)])
    writer.synced().result(10)
    reader = Reader(migrated)
    try:
        [sample] = reader.samples(CAR, START, END)
    finally:
        reader.close()
    assert sample == Sample(CAR, "odometer", T0, 1000.0, None, 0, None, None)


def test_upgrade_from_0003_keeps_samples(db_config: DbConfig) -> None:
    """Samples stored before 0004 read as the first of their instant, without place."""
    migrate(db_config, "0003")
    engine = make_engine(db_config, pooled=False)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO samples (source_id, role, ts, value, text)"
                    " VALUES (:source, 'odometer', :ts, 1000.0, NULL)"
                ),
                {
                    "source": "6c4b1d9e-0f1a-4d8e-9b1a-2c3d4e5f6a7b"
                    if db_config.is_postgresql
                    else "6c4b1d9e0f1a4d8e9b1a2c3d4e5f6a7b",
                    "ts": START + timedelta(minutes=1)
                    if db_config.is_postgresql
                    else "2025-04-30 07:59:00.000000",
                },
            )
        migrate(db_config, "head")
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT seq, latitude, longitude FROM samples")
            ).one()
            assert tuple(row) == (0, None, None)
            command.check(alembic_config(conn))  # the models match the schema
        migrate(db_config, "0003", downgrade=True)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM samples")).scalar() == 1
    finally:
        engine.dispose()
