"""Migrations 0006 and 0007 on a populated database: every sample moves, and back.

Samples stored in the layout before 0006 (key source, role, time with a time index;
on SQLite the source as hex, the time as text, the role by name) are all there after
the upgrade, field by field as EV Ledger reads them, under the key (source, time,
role) with no other index (on SQLite a WITHOUT ROWID table of 16-byte sources,
integer microseconds and role codes); writing goes on as before; a downgrade gives
the old layout and the same stored values back.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import inspect, text

from custom_components.ev_ledger.db import (
    DbConfig,
    Reader,
    Sample,
    entity_uuid,
    make_engine,
)
from custom_components.ev_ledger.db.migrate import migrate
from custom_components.ev_ledger.db.sink import write_batch

from .conftest import T0

SOURCES = ("car-1", "car-2", "site")
ROWS = [
    Sample(source, role, T0 + i * 7 + offset + 0.25, float(i), text_, i % 3, lat, lon)
    for offset, (source, role, text_, lat, lon) in enumerate(
        [
            ("car-1", "charger_power", None, None, None),
            ("car-1", "location", "home", 52.5, 13.4),
            ("car-2", "odometer", None, None, None),
            ("site", "solar_power", None, None, None),
            ("site", "some_future_role", None, None, None),  # no role code
        ]
    )
    for i in range(2000)
]


def insert_old(config: DbConfig) -> None:
    """Store ROWS as the layout before 0006/0007 stored them."""
    sqlite = config.backend == "sqlite"
    params = []
    for s in ROWS:
        moment = datetime.fromtimestamp(s.ts, UTC)
        params.append(
            {
                "s": entity_uuid(s.source_id).hex
                if sqlite
                else entity_uuid(s.source_id),
                "r": s.role,
                "t": moment.replace(tzinfo=None).isoformat(" ", "microseconds")
                if sqlite
                else moment,
                "v": s.value,
                "x": s.text,
                "q": s.seq,
                "a": s.latitude,
                "o": s.longitude,
            }
        )
    engine = make_engine(config, pooled=False)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO samples (source_id, role, ts, value, text, seq,"
                    " latitude, longitude) VALUES (:s, :r, :t, :v, :x, :q, :a, :o)"
                ),
                params,
            )
    finally:
        engine.dispose()


def stored(config: DbConfig) -> list[tuple[Any, ...]]:
    """The table's values as stored, in key order."""
    engine = make_engine(config, pooled=False)
    try:
        with engine.connect() as conn:
            return [
                tuple(row)
                for row in conn.execute(
                    text(
                        "SELECT source_id, role, ts, value, text, seq, latitude,"
                        " longitude FROM samples ORDER BY source_id, role, ts"
                    )
                ).all()
            ]
    finally:
        engine.dispose()


def read(config: DbConfig) -> list[tuple[Any, ...]]:
    """Every sample as EV Ledger reads it."""
    reader = Reader(config)
    try:
        rows = reader.samples_of(
            list(SOURCES),
            datetime.fromtimestamp(T0, UTC),
            datetime.fromtimestamp(T0, UTC) + timedelta(days=2),
        )
    finally:
        reader.close()
    return sorted(
        (r.source_id, r.role, r.ts, r.value, r.text, r.seq, r.latitude, r.longitude)
        for r in rows
    )


def layout(config: DbConfig) -> tuple[list[str], list[str], str]:
    engine = make_engine(config, pooled=False)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            key = inspector.get_pk_constraint("samples")["constrained_columns"]
            indexes = [str(index["name"]) for index in inspector.get_indexes("samples")]
            ddl = ""
            if config.backend == "sqlite":
                ddl = conn.execute(
                    text("SELECT sql FROM sqlite_master WHERE name = 'samples'")
                ).scalar_one()
    finally:
        engine.dispose()
    return key, indexes, ddl


def test_samples_move_to_the_new_layout_and_back(db_config: DbConfig) -> None:
    migrate(db_config, "0005")
    assert layout(db_config)[:2] == (["source_id", "role", "ts"], ["ix_samples_ts"])
    insert_old(db_config)
    before = stored(db_config)
    assert len(before) == len(ROWS)
    # A role without a code cannot be stored from 0009 on: it goes to the quarantine.
    expected = sorted(
        (s.source_id, s.role, s.ts, s.value, s.text, s.seq, s.latitude, s.longitude)
        for s in ROWS
        if s.role != "some_future_role"
    )

    migrate(db_config, "0008")
    key, indexes, ddl = layout(db_config)
    assert key == ["source_id", "ts", "role"]
    assert indexes == []
    if db_config.backend == "sqlite":
        assert "WITHOUT ROWID" in ddl
        assert "BLOB" in ddl
    assert len(stored(db_config)) == len(ROWS)
    migrate(db_config, "head")
    assert read(db_config) == expected

    # Writing goes on as before: a new row in, a sample stored twice kept once.
    engine = make_engine(db_config, pooled=False)
    try:
        with engine.begin() as conn:
            more = [Sample("car-1", "charger_power", T0 + 0.5, 1.0), ROWS[0]]
            write_batch(conn, [("samples", [list(row) for row in more])])
    finally:
        engine.dispose()
    after = read(db_config)
    assert len(after) == len(expected) + 1

    migrate(db_config, "0005", downgrade=True)
    assert layout(db_config)[:2] == (["source_id", "role", "ts"], ["ix_samples_ts"])
    old_again = stored(db_config)
    assert len(old_again) == len(expected) + 1
    assert {row for row in before if row[1] != "some_future_role"} <= set(old_again)
