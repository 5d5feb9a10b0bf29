"""PostgreSQL's monthly sample partitions: made on demand, known per engine, readable.

The writer creates the month partitions a batch needs, across month boundaries and
years back, in a short transaction of its own; an engine remembers them, so the
next batch of those months reads no catalog. A rolled-back batch never leaves the
engine believing in a month that is not there, a month dropped by someone else is
created again instead of costing the batch, and a bad sample is still quarantined
alone. The least-privilege role (schema owner, no superuser) creates partitions,
and a SELECT-only role reads every month through the parent.
"""

from __future__ import annotations

from datetime import UTC, datetime
import threading
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from sqlalchemy import event, text

from custom_components.ev_ledger.db import (
    DbConfig,
    Reader,
    Sample,
    connect_and_migrate,
    make_engine,
)
from custom_components.ev_ledger.db.errors import MissingPrivilege
from custom_components.ev_ledger.db.partitions import (
    ensure_months,
    forget,
    known_months,
    month_index,
    month_of_name,
    partition_name,
    sample_months,
)
from custom_components.ev_ledger.db.sink import write_batch

from .conftest import WriterFactory, libpq_url, partition_names, write_samples

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Engine


def at(text_: str) -> float:
    """Epoch seconds of an ISO time in UTC."""
    return datetime.fromisoformat(text_).replace(tzinfo=UTC).timestamp()


@pytest.fixture
def pg(pg_config: DbConfig) -> Iterator[tuple[DbConfig, Engine]]:
    """A PostgreSQL ledger at the head revision, and an engine on it."""
    connect_and_migrate(pg_config)
    engine = make_engine(pg_config)
    yield pg_config, engine
    engine.dispose()


def partitions_of(engine: Engine) -> set[str]:
    return set(partition_names(engine))


def catalog_reads(engine: Engine) -> list[str]:
    """Collect the catalog reads of the partitions made on `engine` from now on."""
    seen: list[str] = []

    def spy(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "pg_locks" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", spy)
    return seen


def stored(config: DbConfig, sources: list[str]) -> list[tuple[Any, ...]]:
    reader = Reader(config)
    try:
        rows = reader.samples_of(
            sources, datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
        )
    finally:
        reader.close()
    return sorted(tuple(r) for r in rows)


def test_month_names_and_the_months_of_a_batch() -> None:
    assert partition_name(month_index(2026, 12)) == "samples_2026_12"
    assert month_of_name("samples_2026_01") == month_index(2026, 1)
    assert month_of_name("samples_2026_01_old") is None
    assert sample_months([at("2026-03-15T12:00:00")]) == {month_index(2026, 3)}
    # The month's last day claims the next one too: PostgreSQL rounds the time to
    # microseconds, so 23:59:59.9999996 lands in April.
    assert sample_months([at("2026-03-31T23:59:59") + 0.9999996]) == {
        month_index(2026, 3),
        month_index(2026, 4),
    }
    for bad in (float("nan"), float("inf"), 1e300):
        with pytest.raises((ValueError, OverflowError)):
            sample_months([bad])


def test_partitions_are_made_on_demand_across_months_and_years_back(
    pg: tuple[DbConfig, Engine],
) -> None:
    config, engine = pg
    assert partitions_of(engine) == set()
    reads = catalog_reads(engine)
    # One batch across New Year's Eve, and a backfill three years back.
    batch = [
        Sample("car-1", "charger_power", at("2025-12-31T23:59:30") + i * 10, float(i))
        for i in range(12)
    ]
    old = [Sample("car-1", "odometer", at("2022-06-10T08:00:00"), 1000.0)]
    write_samples(engine, batch + old)
    assert partitions_of(engine) == {"samples_2022_06"} | {
        "samples_2025_12",
        "samples_2026_01",
    }
    assert len(reads) == 1
    assert known_months(engine) == {month_of_name(n) for n in partitions_of(engine)}
    # The rows are where their months say.
    with engine.connect() as conn:
        january = conn.execute(text("SELECT count(*) FROM samples_2026_01"))
        assert january.scalar_one() == 9
    # Known months: the next batch reads no catalog.
    write_samples(engine, [Sample("car-2", "odometer", at("2026-01-05T00:00:00"), 5.0)])
    assert len(reads) == 1
    assert stored(config, ["car-1", "car-2"]) == sorted(
        tuple(s)
        for s in [*batch, *old, Sample("car-2", "odometer", at("2026-01-05"), 5.0)]
    )


def test_a_rolled_back_batch_leaves_no_false_month(
    pg: tuple[DbConfig, Engine],
) -> None:
    config, engine = pg
    march = [Sample("car-1", "odometer", at("2026-03-02T10:00:00"), 1.0)]
    # Created in a transaction of its own: it outlives the batch's rollback.
    with engine.connect() as conn:
        batch = conn.begin()
        write_batch(conn, [("samples", [list(s) for s in march])])
        batch.rollback()  # the batch fails after its samples
    assert "samples_2026_03" in partitions_of(engine)
    assert month_index(2026, 3) in (known_months(engine) or set())
    assert stored(config, ["car-1"]) == []

    # A transaction that already wrote samples creates the month inside itself (a
    # second connection would wait for it): rolled back, the month is gone and the
    # engine does not claim it.
    may = [Sample("car-1", "odometer", at("2026-05-02T10:00:00"), 2.0)]
    with engine.connect() as conn:
        batch = conn.begin()
        write_batch(conn, [("samples", [list(s) for s in march])])
        write_batch(conn, [("samples", [list(s) for s in may])])
        batch.rollback()
    assert "samples_2026_05" not in partitions_of(engine)
    assert month_index(2026, 5) not in (known_months(engine) or set())
    write_samples(engine, march + may)
    assert stored(config, ["car-1"]) == sorted(tuple(s) for s in march + may)
    assert "samples_2026_05" in partitions_of(engine)


def test_a_month_dropped_elsewhere_is_made_again_and_bad_samples_quarantined(
    pg: tuple[DbConfig, Engine], make_writer: WriterFactory
) -> None:
    config, engine = pg
    writer = make_writer(config)
    first = [
        Sample("car-1", "odometer", at("2026-02-10T10:00:00") + i, i) for i in range(5)
    ]
    writer.enqueue_samples(first)
    writer.synced().result(30)
    # Another process (retention elsewhere) drops February behind the writer's back.
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE samples_2026_02"))
    late = [
        Sample("car-1", "odometer", at("2026-02-11T10:00:00") + i, i) for i in range(5)
    ]
    writer.enqueue_samples(late)
    writer.synced().result(30)
    assert writer.health().quarantined == 0
    assert stored(config, ["car-1"]) == sorted(tuple(s) for s in late)
    assert "samples_2026_02" in partitions_of(engine)
    # A time no month holds is the one sample quarantined; its batch goes in.
    bad = Sample("car-1", "speed", float("nan"), 3.0)
    more = [
        Sample("car-1", "speed", at("2026-03-01T00:00:00") + i, i) for i in range(3)
    ]
    writer.enqueue_samples([*more, bad])
    writer.synced().result(30)
    assert writer.health().quarantined == 1
    assert stored(config, ["car-1"]) == sorted(tuple(s) for s in late + more)


def test_concurrent_creators_of_a_month_both_succeed(
    pg: tuple[DbConfig, Engine],
) -> None:
    config, engine = pg
    month = month_index(2024, 2)
    engines = [make_engine(config, pooled=False) for _ in range(3)]
    errors: list[BaseException] = []
    # The parent is held, so both creators queue behind the lock together.
    holder = psycopg.connect(libpq_url(config.url().render_as_string(False)))
    holder.execute("SET search_path = ev_ledger")
    holder.execute("LOCK TABLE samples IN ACCESS EXCLUSIVE MODE")

    def create(eng: Engine) -> None:
        try:
            with eng.begin() as conn:
                ensure_months(conn, {month})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    threading.Event().wait(0.5)
    holder.rollback()
    holder.close()
    for thread in threads:
        thread.join(30)
    for eng in engines:
        assert known_months(eng) == {month}
        forget(eng)
        assert known_months(eng) is None
        eng.dispose()
    assert errors == []
    assert partitions_of(engine) == {"samples_2024_02"}


def _as_superuser(config: DbConfig, sql: str) -> None:
    with psycopg.connect(
        libpq_url(config.url().render_as_string(False)), autocommit=True
    ) as conn:
        conn.execute(sql)


def test_the_least_privilege_role_makes_months_and_a_reader_reads_them(
    pg_config: DbConfig,
) -> None:
    _as_superuser(
        pg_config,
        "DO $$ BEGIN CREATE ROLE evl_owner LOGIN; EXCEPTION WHEN duplicate_object"
        " THEN NULL; END $$; DO $$ BEGIN CREATE ROLE evl_grafana LOGIN; EXCEPTION"
        " WHEN duplicate_object THEN NULL; END $$;"
        f" REVOKE CREATE ON DATABASE {pg_config.database} FROM PUBLIC;"
        " CREATE SCHEMA ev_ledger AUTHORIZATION evl_owner",
    )
    url = pg_config.url().render_as_string(False)
    owner = DbConfig.from_url(url, user="evl_owner")
    connect_and_migrate(owner)
    engine = make_engine(owner)
    try:
        write_samples(
            engine, [Sample("car-1", "odometer", at("2026-01-10T00:00:00"), 1.0)]
        )
        # The documented read-only grants, before the next month exists.
        _as_superuser(
            pg_config,
            "GRANT USAGE ON SCHEMA ev_ledger TO evl_grafana;"
            " GRANT SELECT ON ALL TABLES IN SCHEMA ev_ledger TO evl_grafana",
        )
        write_samples(
            engine, [Sample("car-1", "odometer", at("2026-02-10T00:00:00"), 2.0)]
        )
        with engine.connect() as conn:
            owners = conn.execute(
                text(
                    "SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_inherits i"
                    " JOIN pg_class c ON c.oid = i.inhrelid"
                    " WHERE i.inhparent = 'samples'::regclass"
                )
            ).scalars()
            assert set(owners) == {"evl_owner"}
        assert {"samples_2026_01", "samples_2026_02"} <= partitions_of(engine)
    finally:
        engine.dispose()
    reader_url = libpq_url(
        DbConfig.from_url(url, user="evl_grafana").url().render_as_string(False)
    )
    with psycopg.connect(reader_url) as conn:
        count = conn.execute("SELECT count(*) FROM ev_ledger.samples").fetchone()
        named = conn.execute(
            "SELECT role, value FROM ev_ledger.v_samples ORDER BY ts"
        ).fetchall()
    assert count == (2,)
    assert named == [("odometer", 1.0), ("odometer", 2.0)]


def test_a_role_that_does_not_own_samples_is_refused_by_name(
    pg_config: DbConfig,
) -> None:
    """Rights on every table, but not the owner: it could not make a month."""
    connect_and_migrate(pg_config)  # migrated by the superuser
    _as_superuser(
        pg_config,
        "DO $$ BEGIN CREATE ROLE evl_tenant LOGIN; EXCEPTION WHEN duplicate_object"
        " THEN NULL; END $$; GRANT USAGE ON SCHEMA ev_ledger TO evl_tenant;"
        " GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ev_ledger"
        " TO evl_tenant",
    )
    tenant = DbConfig.from_url(
        pg_config.url().render_as_string(False), user="evl_tenant"
    )
    with pytest.raises(MissingPrivilege, match=r"ownership of ev_ledger\.samples"):
        connect_and_migrate(tenant)
