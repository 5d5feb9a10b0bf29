"""Retention on PostgreSQL: a month past the window is folded in SQL and dropped.

The same samples folded on SQLite (row by row, in Python) and on PostgreSQL (a
month partition at a time, in SQL, then dropped) give the same buckets, figure for
figure, also when a late backfill into a dropped month is folded into the buckets
stored before. A month the cut-off falls in stays raw until it is over. A fold that
cannot drop its month (a reader holds `samples`), or whose connection is cut while
it waits to, leaves the month raw and no bucket of it; a stop between months leaves
whole months.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import random
import threading
import time
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from custom_components.ev_ledger.db import (
    DbConfig,
    Sample,
    connect_and_migrate,
    entity_uuid,
    make_engine,
)
from custom_components.ev_ledger.db.models import (
    Sample as SampleModel,
    SampleBucket,
    SampleSourceId,
)
from custom_components.ev_ledger.db.retention import FoldResult, fold_samples

from .conftest import libpq_url, partition_names, write_samples

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Engine

SOURCES = ["car-1", "car-2", "site"]
ROLES = ["charger_power", "battery_level", "location", "charging_state"]
JAN = datetime(2025, 1, 1, tzinfo=UTC)
MARCH = datetime(2025, 3, 1, tzinfo=UTC)


def household(seed: int, start: datetime, days: int) -> list[Sample]:
    """Samples of three sources: values, gaps (None), texts, places, shared instants."""
    rng = random.Random(seed)
    out: dict[tuple[str, str, float], Sample] = {}
    t0 = start.timestamp()
    for _ in range(days * 400):
        source = rng.choice(SOURCES)
        role = rng.choice(ROLES)
        ts = t0 + rng.randrange(days * 86_400 * 4) / 4 + rng.choice([0, 0.123456])
        value = None if rng.random() < 0.1 else rng.uniform(-50, 500)
        text_ = rng.choice([None, "home", "charging", "away"])
        place = rng.random() < 0.3
        out[(source, role, ts)] = Sample(
            source,
            role,
            ts,
            value,
            text_,
            rng.randrange(3),
            rng.uniform(-90, 90) if place else None,
            rng.uniform(-180, 180) if place else None,
        )
    return list(out.values())


@pytest.fixture
def pg(pg_config: DbConfig) -> Iterator[Engine]:
    connect_and_migrate(pg_config)
    engine = make_engine(pg_config)
    yield engine
    engine.dispose()


@pytest.fixture
def lite(sqlite_config: DbConfig) -> Iterator[Engine]:
    connect_and_migrate(sqlite_config)
    engine = make_engine(sqlite_config)
    yield engine
    engine.dispose()


def buckets(engine: Engine) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    names = {entity_uuid(source): source for source in SOURCES}
    with engine.connect() as conn:
        rows = conn.execute(
            select(SampleSourceId.source_id, *SampleBucket.__table__.c).join(
                SampleSourceId, SampleSourceId.id == SampleBucket.source
            )
        ).all()
    return {
        (names[r.source_id], r.role, r.ts): (
            r.samples,
            r.value_min,
            r.value_max,
            r.value_mean,
            r.value_last,
            r.text_last,
            r.latitude,
            r.longitude,
        )
        for r in rows
    }


def raw_count(engine: Engine) -> int:
    with engine.connect() as conn:
        query = select(func.count()).select_from(SampleModel)
        return int(conn.execute(query).scalar_one())


def test_folding_a_month_in_sql_matches_the_python_fold(
    pg: Engine, lite: Engine
) -> None:
    samples = household(1, JAN + timedelta(days=10), 60)  # Jan 11 .. Mar 11
    for engine in (pg, lite):
        write_samples(engine, samples)
    assert partition_names(pg) == [
        "samples_2025_01",
        "samples_2025_02",
        "samples_2025_03",
    ]
    sql = fold_samples(pg, MARCH)
    python = fold_samples(lite, MARCH)
    assert sql.complete
    assert sql.partitions == 2
    assert sql.windows == 2
    assert (sql.folded, sql.buckets) == (python.folded, python.buckets)
    assert sql.folded == sum(1 for s in samples if s.ts < MARCH.timestamp())
    assert buckets(pg) == buckets(lite)
    assert partition_names(pg) == ["samples_2025_03"]
    assert raw_count(pg) == raw_count(lite) == len(samples) - sql.folded

    # A late backfill into the dropped February (and new buckets of January):
    # its partition is made again, and the next run merges it into the buckets.
    late = [
        s._replace(ts=s.ts + 0.5)
        for s in household(2, JAN + timedelta(days=25), 10)
        if s.ts < MARCH.timestamp()
    ]
    for engine in (pg, lite):
        write_samples(engine, late)
    assert partition_names(pg) == [
        "samples_2025_01",
        "samples_2025_02",
        "samples_2025_03",
    ]
    sql = fold_samples(pg, MARCH)
    python = fold_samples(lite, MARCH)
    assert (sql.folded, sql.buckets) == (python.folded, python.buckets)
    assert sql.folded == len(late)
    assert buckets(pg) == buckets(lite)
    assert partition_names(pg) == ["samples_2025_03"]


def test_the_month_of_the_cutoff_stays_raw(pg: Engine) -> None:
    samples = household(3, JAN + timedelta(days=20), 50)  # Jan 21 .. Mar 11
    write_samples(pg, samples)
    cut = MARCH + timedelta(days=5, hours=7)
    result = fold_samples(pg, cut)
    assert result.complete
    assert result.partitions == 2
    assert result.folded == sum(1 for s in samples if s.ts < MARCH.timestamp())
    # March's samples before the cut-off wait for March to be past the window.
    assert raw_count(pg) == sum(1 for s in samples if s.ts >= MARCH.timestamp())
    assert partition_names(pg) == ["samples_2025_03"]
    assert fold_samples(pg, cut).folded == 0
    # Once the window has passed all of March, it goes too.
    assert fold_samples(pg, datetime(2025, 4, 2, tzinfo=UTC)).partitions == 1
    assert raw_count(pg) == 0
    assert partition_names(pg) == []


def test_a_busy_reader_delays_the_drop_and_nothing_is_half_done(
    pg: Engine, pg_config: DbConfig
) -> None:
    samples = household(4, JAN, 59)  # January and February
    write_samples(pg, samples)
    reader = psycopg.connect(libpq_url(pg_config.url().render_as_string(False)))
    try:
        reader.execute("SELECT count(*) FROM ev_ledger.samples").fetchone()
        started = datetime.now(UTC)
        blocked = fold_samples(pg, MARCH)
        # The reader's lock on `samples` made the drop give up: the month stays
        # raw and none of its buckets was kept.
        assert datetime.now(UTC) - started < timedelta(seconds=20)
        assert not blocked.complete
        assert (blocked.folded, blocked.buckets, blocked.partitions) == (0, 0, 0)
        assert buckets(pg) == {}
        # (February's last day made March's partition too: see `sample_months`.)
        assert partition_names(pg) == [
            "samples_2025_01",
            "samples_2025_02",
            "samples_2025_03",
        ]
        assert raw_count(pg) == len(samples)
    finally:
        reader.rollback()
        reader.close()
    done = fold_samples(pg, MARCH)
    assert done.complete
    assert done.partitions == 2
    assert done.folded == len(samples)
    assert raw_count(pg) == 0


def test_a_stop_or_deadline_leaves_whole_months(pg: Engine) -> None:
    samples = household(5, JAN, 59)
    write_samples(pg, samples)
    assert not fold_samples(pg, MARCH, max_seconds=0).complete
    calls = iter([False, True])
    first = fold_samples(pg, MARCH, should_stop=lambda: next(calls))
    assert not first.complete
    assert first.partitions == 1
    january = sum(
        1 for s in samples if s.ts < datetime(2025, 2, 1, tzinfo=UTC).timestamp()
    )
    assert first.folded == january
    assert partition_names(pg) == ["samples_2025_02", "samples_2025_03"]
    assert raw_count(pg) == len(samples) - january
    rest = fold_samples(pg, MARCH)
    assert (rest.complete, rest.partitions) == (True, 1)
    assert sum(v[0] for v in buckets(pg).values()) == len(samples)


def test_a_fold_cut_off_mid_month_leaves_the_month_raw(
    pg: Engine, pg_config: DbConfig
) -> None:
    """The server ends the fold's connection while it waits to drop: all undone."""
    samples = household(6, JAN, 20)
    write_samples(pg, samples)
    url = libpq_url(pg_config.url().render_as_string(False))
    outcome: list[BaseException | FoldResult] = []
    with psycopg.connect(url) as reader, psycopg.connect(url, autocommit=True) as admin:
        reader.execute("SELECT count(*) FROM ev_ledger.samples").fetchone()

        def run() -> None:
            try:
                outcome.append(fold_samples(pg, MARCH))
            except BaseException as exc:  # noqa: BLE001 - asserted below
                outcome.append(exc)

        folding = threading.Thread(target=run)
        folding.start()
        waiting = None
        for _ in range(200):  # the fold has its buckets and waits for the drop
            waiting = admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND query LIKE 'DROP TABLE%'"
            ).fetchone()
            if waiting:
                break
            time.sleep(0.01)
        assert waiting is not None
        admin.execute("SELECT pg_terminate_backend(%s)", waiting)
        folding.join(30)
        reader.rollback()
    assert len(outcome) == 1
    assert isinstance(outcome[0], OperationalError)
    assert buckets(pg) == {}
    assert partition_names(pg) == ["samples_2025_01"]
    assert raw_count(pg) == len(samples)
    assert fold_samples(pg, MARCH).folded == len(samples)


def test_a_month_another_run_dropped_meanwhile_is_passed_over(
    pg: Engine, pg_config: DbConfig
) -> None:
    """Two instances fold at once: the second finds January gone and goes on."""
    samples = household(7, JAN + timedelta(days=3), 40)  # January and February
    write_samples(pg, samples)
    url = libpq_url(pg_config.url().render_as_string(False))
    outcome: list[FoldResult] = []
    with psycopg.connect(url) as other, psycopg.connect(url, autocommit=True) as admin:
        other.execute(
            "LOCK TABLE ev_ledger.samples_2025_01 IN SHARE ROW EXCLUSIVE MODE"
        )
        folding = threading.Thread(
            target=lambda: outcome.append(fold_samples(pg, MARCH))
        )
        folding.start()
        for _ in range(200):  # this run waits for January
            if admin.execute(
                "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND query LIKE 'LOCK TABLE%'"
            ).fetchone():
                break
            time.sleep(0.01)
        other.execute("DROP TABLE ev_ledger.samples_2025_01")
        other.commit()
        folding.join(30)
    (result,) = outcome
    assert (result.complete, result.partitions) == (True, 1)
    february = [
        s for s in samples if s.ts >= datetime(2025, 2, 1, tzinfo=UTC).timestamp()
    ]
    assert result.folded == len(february)
    assert partition_names(pg) == []
