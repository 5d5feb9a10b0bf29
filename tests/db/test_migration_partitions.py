"""Migration 0011 on a populated ledger: `samples` partitioned by month, and back.

On PostgreSQL every sample of a 0010 ledger is in its month's partition after the
upgrade, row for row in key order; the views reading `samples` (0010's `v_samples`,
and a user's, also one reading `v_samples`) still answer as before, and a read-only
role keeps its grants on the table and the views. A downgrade gives the plain 0010
table back with every row. On SQLite both ways change nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import inspect, text

from custom_components.ev_ledger.db import DbConfig, Sample, make_engine
from custom_components.ev_ledger.db.migrate import migrate
from custom_components.ev_ledger.db.sink import write_batch

from .conftest import libpq_url

START = datetime(2025, 11, 20, tzinfo=UTC).timestamp()
SAMPLES = [
    Sample(
        f"car-{n}",
        ("charger_power", "location", "odometer")[i % 3],
        START + i * 3_613.25 + n,
        None if i % 11 == 0 else i / 3,
        "home" if i % 4 == 0 else None,
        i % 2,
        52.5 if i % 4 == 0 else None,
        13.4 if i % 4 == 0 else None,
    )
    for n in range(3)
    for i in range(2_000)  # about 84 days: November to February
]
USER_VIEWS = (
    "CREATE VIEW my_counts AS SELECT source, count(*) AS n FROM samples GROUP BY 1;"
    " CREATE VIEW my_roles AS SELECT role, count(*) AS n FROM v_samples GROUP BY 1"
)


def rows(config: DbConfig, query: str) -> list[tuple[Any, ...]]:
    engine = make_engine(config, pooled=False)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(query))]
    finally:
        engine.dispose()


def everything(config: DbConfig) -> dict[str, list[tuple[Any, ...]]]:
    out = {
        "samples": rows(
            config,
            "SELECT source, role, seq, ts, value, text, latitude, longitude"
            " FROM samples ORDER BY source, ts, role",
        ),
        "v_samples": rows(
            config, "SELECT * FROM v_samples ORDER BY source_id, ts, role"
        ),
    }
    if config.backend == "postgresql":
        out["my_counts"] = rows(config, "SELECT * FROM my_counts ORDER BY 1")
        out["my_roles"] = rows(config, "SELECT * FROM my_roles ORDER BY 1")
    return out


def as_superuser(config: DbConfig, sql: str) -> None:
    with psycopg.connect(
        libpq_url(config.url().render_as_string(False)), autocommit=True
    ) as conn:
        conn.execute("SET search_path = ev_ledger")
        conn.execute(sql)


def read_as_reader(config: DbConfig) -> list[tuple[Any, ...]]:
    url = DbConfig.from_url(config.url().render_as_string(False), user="evl_viewer")
    with psycopg.connect(libpq_url(url.url().render_as_string(False))) as conn:
        return [
            conn.execute(f"SELECT count(*) FROM ev_ledger.{name}").fetchone() or ()  # noqa: S608
            for name in ("samples", "v_samples", "my_counts", "my_roles")
        ]


def layout(config: DbConfig) -> tuple[str, list[str], list[str]]:
    """`samples`' kind (r: plain, p: partitioned), key and partitions."""
    engine = make_engine(config, pooled=False)
    try:
        with engine.connect() as conn:
            key = inspect(conn).get_pk_constraint("samples")["constrained_columns"]
            kind = conn.execute(
                text("SELECT relkind FROM pg_class WHERE oid = 'samples'::regclass")
            ).scalar_one()
            parts = conn.execute(
                text(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c"
                    " ON c.oid = i.inhrelid WHERE i.inhparent = 'samples'::regclass"
                    " ORDER BY 1"
                )
            ).scalars()
            return str(kind), list(key), list(parts)
    finally:
        engine.dispose()


def test_samples_move_into_months_and_back(db_config: DbConfig) -> None:
    migrate(db_config, "0010")
    engine = make_engine(db_config, pooled=False)
    try:
        with engine.begin() as conn:
            write_batch(conn, [("samples", [list(s) for s in SAMPLES])])
    finally:
        engine.dispose()
    postgresql = db_config.backend == "postgresql"
    if postgresql:
        as_superuser(
            db_config,
            "DO $$ BEGIN CREATE ROLE evl_viewer LOGIN; EXCEPTION WHEN"
            f" duplicate_object THEN NULL; END $$; {USER_VIEWS};"
            " GRANT USAGE ON SCHEMA ev_ledger TO evl_viewer;"
            " GRANT SELECT ON ALL TABLES IN SCHEMA ev_ledger TO evl_viewer",
        )
        assert layout(db_config) == ("r", ["source", "ts", "role"], [])
    before = everything(db_config)
    assert len(before["samples"]) == len(SAMPLES)

    migrate(db_config, "0011")
    assert everything(db_config) == before
    if postgresql:
        months = ["samples_2025_11", "samples_2025_12", "samples_2026_01"]
        assert layout(db_config) == (
            "p",
            ["source", "ts", "role"],
            [*months, "samples_2026_02"],
        )
        assert read_as_reader(db_config) == [(len(SAMPLES),)] * 2 + [(3,), (3,)]

    migrate(db_config, "0010", downgrade=True)
    assert everything(db_config) == before
    if postgresql:
        assert layout(db_config) == ("r", ["source", "ts", "role"], [])
        assert read_as_reader(db_config) == [(len(SAMPLES),)] * 2 + [(3,), (3,)]
        tables = rows(
            db_config,
            "SELECT tablename FROM pg_tables WHERE tablename LIKE 'samples%'",
        )
        assert tables == [("samples",)]

    migrate(db_config, "head")
    assert everything(db_config) == before


def test_an_empty_ledger_has_no_months(pg_config: DbConfig) -> None:
    migrate(pg_config, "0011")
    assert layout(pg_config) == ("p", ["source", "ts", "role"], [])
    migrate(pg_config, "0010", downgrade=True)
    assert layout(pg_config) == ("r", ["source", "ts", "role"], [])
