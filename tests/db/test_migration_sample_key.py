"""Migration 0006 on a populated database: every sample moves to the new key, and back.

Samples written in the old layout (key source, role, time, with a time index) are
all there after the upgrade, field by field, under the key (source, time, role) with
no other index (on SQLite a WITHOUT ROWID table); the writer's inserts and a second
insert of the same sample behave as before; a downgrade gives the old layout back
with the same rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import inspect, text

from custom_components.ev_ledger.db import DbConfig, Sample, make_engine
from custom_components.ev_ledger.db.migrate import migrate
from custom_components.ev_ledger.db.sink import write_batch

from .conftest import T0

ROWS = [
    Sample(source, role, T0 + i * 7 + offset, float(i), text_, i % 3, lat, lon)
    for offset, (source, role, text_, lat, lon) in enumerate(
        [
            ("car-1", "charger_power", None, None, None),
            ("car-1", "location", "home", 52.5, 13.4),
            ("car-2", "odometer", None, None, None),
            ("site", "solar_power", None, None, None),
        ]
    )
    for i in range(2500)
]


def contents(config: DbConfig) -> list[tuple[Any, ...]]:
    engine = make_engine(config, pooled=False)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT source_id, role, ts, value, text, seq, latitude, longitude"
                    " FROM samples"
                )
            ).all()
    finally:
        engine.dispose()
    out = []
    for row in rows:
        moment = row[2]
        if isinstance(moment, str):  # SQLite keeps the time as text
            moment = datetime.fromisoformat(moment)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        out.append((str(row[0]).replace("-", ""), row[1], moment, *row[3:]))
    return sorted(out)


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


def test_samples_move_to_the_new_key_and_back(db_config: DbConfig) -> None:
    migrate(db_config, "0005")
    assert layout(db_config)[:2] == (["source_id", "role", "ts"], ["ix_samples_ts"])
    engine = make_engine(db_config, pooled=False)
    try:
        with engine.begin() as conn:
            write_batch(conn, [("samples", [list(row) for row in ROWS])])
    finally:
        engine.dispose()
    before = contents(db_config)
    assert len(before) == len(ROWS)

    migrate(db_config, "head")
    key, indexes, ddl = layout(db_config)
    assert key == ["source_id", "ts", "role"]
    assert indexes == []
    if db_config.backend == "sqlite":
        assert "WITHOUT ROWID" in ddl
    assert contents(db_config) == before

    # Writing goes on as before: new rows in, a sample stored twice kept once.
    engine = make_engine(db_config, pooled=False)
    try:
        with engine.begin() as conn:
            more = [Sample("car-1", "charger_power", T0 - 60, 1.0), ROWS[0]]
            write_batch(conn, [("samples", [list(row) for row in more])])
    finally:
        engine.dispose()
    after = contents(db_config)
    assert len(after) == len(ROWS) + 1

    migrate(db_config, "0005", downgrade=True)
    assert layout(db_config)[:2] == (["source_id", "role", "ts"], ["ix_samples_ts"])
    assert contents(db_config) == after
