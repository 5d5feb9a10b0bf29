"""Migration 0009 on a populated database: every sample and bucket moves, and back.

Samples and buckets stored in the 0008 layout (the source's UUID in every row; on
PostgreSQL the role by name) are all there after the upgrade, value for value, time
for time, keyed on (source id, time, role code) with `sample_sources` holding each
source once; a role without a code goes to the quarantine with its values; a
downgrade gives the 0008 layout and the same values back.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
import uuid

from sqlalchemy import inspect, select, text

from custom_components.ev_ledger.db import (
    DbConfig,
    Reader,
    Sample,
    entity_uuid,
    make_engine,
)
from custom_components.ev_ledger.db.migrate import migrate
from custom_components.ev_ledger.db.models import Quarantine, SampleBucket
from custom_components.ev_ledger.db.sink import write_batch
from custom_components.ev_ledger.db.types import ROLE_CODES, micros

from .conftest import T0

SOURCES = [f"car-{n}" for n in range(12)] + ["site", str(uuid.UUID(int=7))]
ROLES = ["charger_power", "location", "odometer", "solar_power", "price"]
UNCODED = "some_future_role"
SAMPLES = [
    Sample(
        source,
        ROLES[(n + i) % len(ROLES)],
        T0 + i * 13 + n * 0.25 + (i % 4) * 0.125,
        None if i % 17 == 0 else i / 7 + n,
        "home" if i % 5 == 0 else None,
        i % 4,
        52.5 + i / 1e4 if i % 5 == 0 else None,
        13.4 - i / 1e4 if i % 5 == 0 else None,
    )
    for n, source in enumerate(SOURCES)
    for i in range(300)
]
ODD = [Sample("site", UNCODED, T0 + i * 60, float(i)) for i in range(5)]
BUCKETS = [
    (
        source,
        role,
        T0 - 86_400 + k * 300,
        k + 1,
        None if k % 3 == 0 else k * 1.5,
        k * 2.5,
        k * 2.0,
        k * 2.25,
        "away" if k % 2 else None,
        48.1 if k % 2 else None,
        11.6 if k % 2 else None,
    )
    for source in SOURCES[:5]
    for role in (*ROLES[:3], UNCODED)
    for k in range(40)
]


def _stored_role(config: DbConfig, role: str) -> Any:
    if config.backend == "sqlite" and role in ROLE_CODES:
        return ROLE_CODES.index(role)
    return role


def _source(config: DbConfig, key: str) -> Any:
    source = entity_uuid(key)
    return source.bytes if config.backend == "sqlite" else source


def _time(config: DbConfig, ts: float) -> Any:
    moment = datetime.fromtimestamp(ts, UTC)
    return micros(moment) if config.backend == "sqlite" else moment


def insert_0008(config: DbConfig) -> None:
    """Store SAMPLES, ODD and BUCKETS as the 0008 layout stored them."""
    samples = [
        {
            "s": _source(config, s.source_id),
            "r": _stored_role(config, s.role),
            "t": _time(config, s.ts),
            "v": s.value,
            "x": s.text,
            "q": s.seq,
            "a": s.latitude,
            "o": s.longitude,
        }
        for s in [*SAMPLES, *ODD]
    ]
    buckets = [
        {
            "s": _source(config, b[0]),
            "r": _stored_role(config, b[1]),
            "t": _time(config, b[2]),
            "n": b[3],
            "lo": b[4],
            "hi": b[5],
            "me": b[6],
            "la": b[7],
            "x": b[8],
            "a": b[9],
            "o": b[10],
        }
        for b in BUCKETS
    ]
    engine = make_engine(config, pooled=False)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO samples (source_id, role, ts, value, text, seq,"
                    " latitude, longitude) VALUES (:s, :r, :t, :v, :x, :q, :a, :o)"
                ),
                samples,
            )
            conn.execute(
                text(
                    "INSERT INTO sample_buckets (source_id, role, ts, samples,"
                    " value_min, value_max, value_mean, value_last, text_last,"
                    " latitude, longitude)"
                    " VALUES (:s, :r, :t, :n, :lo, :hi, :me, :la, :x, :a, :o)"
                ),
                buckets,
            )
    finally:
        engine.dispose()


def stored_0008(
    config: DbConfig,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Both tables' values as the 0008 layout stores them, in key order."""
    engine = make_engine(config, pooled=False)
    try:
        with engine.connect() as conn:
            samples = conn.execute(
                text(
                    "SELECT source_id, role, ts, value, text, seq, latitude,"
                    " longitude FROM samples ORDER BY source_id, ts, role"
                )
            ).all()
            buckets = conn.execute(
                text(
                    "SELECT source_id, role, ts, samples, value_min, value_max,"
                    " value_mean, value_last, text_last, latitude, longitude"
                    " FROM sample_buckets ORDER BY source_id, ts, role"
                )
            ).all()
    finally:
        engine.dispose()
    return [tuple(r) for r in samples], [tuple(r) for r in buckets]


def read_samples(config: DbConfig) -> list[tuple[Any, ...]]:
    """Every sample as EV Ledger reads it."""
    reader = Reader(config)
    try:
        rows = reader.samples_of(
            SOURCES,
            datetime.fromtimestamp(T0, UTC),
            datetime.fromtimestamp(T0, UTC) + timedelta(days=2),
        )
    finally:
        reader.close()
    return sorted(tuple(r) for r in rows)


def read_buckets(config: DbConfig) -> list[tuple[Any, ...]]:
    """Every bucket as the ORM reads it, with its source's key."""
    keys = {entity_uuid(source): source for source in SOURCES}
    engine = make_engine(config, pooled=False)
    try:
        with engine.connect() as conn:
            sources: dict[int, Any] = {
                int(row[0]): row[1]
                for row in conn.execute(
                    text("SELECT id, source_id FROM sample_sources")
                )
            }
            rows = conn.execute(select(*SampleBucket.__table__.c)).all()
    finally:
        engine.dispose()

    def key(stored: Any) -> str:
        value = uuid.UUID(bytes=stored) if isinstance(stored, bytes) else stored
        return keys[value]

    return sorted(
        (key(sources[r.source]), r.role, r.ts.timestamp(), *r[2:3], *r[4:])
        for r in rows
    )


def layout(config: DbConfig, table: str) -> tuple[list[str], list[str], str]:
    engine = make_engine(config, pooled=False)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            key = inspector.get_pk_constraint(table)["constrained_columns"]
            indexes = [str(index["name"]) for index in inspector.get_indexes(table)]
            ddl = ""
            if config.backend == "sqlite":
                ddl = conn.execute(
                    text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table}
                ).scalar_one()
    finally:
        engine.dispose()
    return key, indexes, ddl


def test_samples_and_buckets_move_to_source_ids_and_back(db_config: DbConfig) -> None:
    migrate(db_config, "0008")
    insert_0008(db_config)
    samples_before, buckets_before = stored_0008(db_config)
    assert len(samples_before) == len(SAMPLES) + len(ODD)
    assert len(buckets_before) == len(BUCKETS)

    migrate(db_config, "0009")
    for table in ("samples", "sample_buckets"):
        key, indexes, ddl = layout(db_config, table)
        assert key == ["source", "ts", "role"]
        assert indexes == []
        if db_config.backend == "sqlite":
            assert "WITHOUT ROWID" in ddl
    # Every sample, field by field, as EV Ledger reads it.
    assert read_samples(db_config) == sorted(tuple(s) for s in SAMPLES)
    coded = [b for b in BUCKETS if b[1] != UNCODED]
    assert read_buckets(db_config) == sorted(
        (b[0], b[1], b[2], b[3], *b[4:]) for b in coded
    )
    engine = make_engine(db_config, pooled=False)
    try:
        with engine.connect() as conn:
            sources = conn.execute(text("SELECT count(*) FROM sample_sources"))
            assert sources.scalar_one() == len(SOURCES)
            kept = conn.execute(select(Quarantine.kind, Quarantine.payload)).all()
        # Roles without a code: quarantined with their values, not dropped.
        odd = sorted(p[0][2:4] for kind, p in kept if kind == "samples")
        assert odd == sorted([s.ts, s.value] for s in ODD)
        folded = [p for kind, p in kept if kind == "sample_buckets"]
        assert len(folded) == len(BUCKETS) - len(coded)
        assert {p["role"] for p in folded} == {UNCODED}

        # Writing goes on: a new sample in, one stored twice kept once.
        with engine.begin() as conn:
            more = [Sample("car-3", "charger_power", T0 + 0.5, 1.0), SAMPLES[0]]
            write_batch(conn, [("samples", [list(row) for row in more])])
    finally:
        engine.dispose()
    assert len(read_samples(db_config)) == len(SAMPLES) + 1

    migrate(db_config, "0008", downgrade=True)
    for table in ("samples", "sample_buckets"):
        key, indexes, ddl = layout(db_config, table)
        assert key == ["source_id", "ts", "role"]
        assert indexes == []
        if db_config.backend == "sqlite":
            assert "WITHOUT ROWID" in ddl
    samples_after, buckets_after = stored_0008(db_config)
    uncoded = _stored_role(db_config, UNCODED)
    assert {r for r in samples_before if r[1] != uncoded} | {
        (
            _source(db_config, "car-3"),
            _stored_role(db_config, "charger_power"),
            _time(db_config, T0 + 0.5),
            1.0,
            None,
            0,
            None,
            None,
        )
    } == set(samples_after)
    assert [r for r in buckets_before if r[1] != uncoded] == buckets_after
    assert not inspect_tables(db_config) & {"sample_sources"}


def inspect_tables(config: DbConfig) -> set[str]:
    engine = make_engine(config, pooled=False)
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_an_empty_ledger_migrates_both_ways(db_config: DbConfig) -> None:
    migrate(db_config, "0009")
    assert "sample_sources" in inspect_tables(db_config)
    migrate(db_config, "0008", downgrade=True)
    assert stored_0008(db_config) == ([], [])
    migrate(db_config, "head")
