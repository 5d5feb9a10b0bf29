"""Storage benchmark: bytes per sample by layout, and retention over three years.

Run: .venv/bin/python -m benchmarks.storage [--samples N] [--runs 3] [--months 36]

1. Bytes per stored sample, indexes included, for the sample layout before migration
   0006 (key source, role, time plus a time index; SQLite with rowid, hex sources,
   text times, role names) and the current one (key source, time, role, nothing else;
   SQLite WITHOUT ROWID with 16-byte sources, integer microseconds and role codes),
   on the embedded SQLite file and on PostgreSQL. The same samples are measured in
   both: written at the current revision, then downgraded (the migrations convert
   every row back) and compacted. The same household samples (a car polled every 30 s
   with its charger's power every 5 s while charging, an energy site every 10 s) go
   through EV Ledger's writer, the path users hit. The old layout, measured in the
   same run, is the baseline.
2. Retention: 36 months in compressed time (a month is one day of the same
   household, written on the month's first day, the window 13 months) written month
   by month, with the nightly job's fold into five-minute buckets at each month's
   end. The size after month 36 is compared with the size after month 14, when the
   window had filled; every session written is still there. Records are compressed
   alike: the household charges once a night, so a month (one day of it) adds one
   session. Thirty a month, a real month's, would grow the records thirty times
   faster against the samples than a real ledger's do. On PostgreSQL a month
   is folded when it is wholly past the window and its partition dropped (migration
   0011): the run prints how many were dropped. A plain VACUUM after each fold stands
   in for autovacuum.

3. Folding real samples: one week of the demo simulator (a car polled and streamed
   as a real integration reports it, a home site; `benchmarks.deadband`'s weeks, seed
   = run), its samples as the replay takes them, written, then folded whole. Most
   of its buckets hold one sample; the bytes of the buckets against those of the raw
   samples they replace, each table compacted, show that folding shrinks a real
   ledger (before migration 0012 it grew it: 1.31 x on SQLite).

4. SQLite insert cost per sample: the writer's fast path (sqlite3's executemany with
   the columns' own bind conversions) against SQLAlchemy's insert of the same rows
   (what the sink did before), both into a fresh file in the same run.

Every figure is the median of `--runs` runs with its min and max; the last lines are
one per target.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
import statistics
import tempfile
import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, func, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from benchmarks.report import target
from custom_components.ev_ledger.db import (
    DbConfig,
    Sample,
    Writer,
    connect_and_migrate,
    make_engine,
)
from custom_components.ev_ledger.db.migrate import migrate
from custom_components.ev_ledger.db.models import ChargingSession, Sample as SampleModel
from custom_components.ev_ledger.db.retention import fold_samples, reclaim
from custom_components.ev_ledger.db.sink import source_ids, write_batch
from tests.db.conftest import make_session
from tests.pgcluster import new_cluster

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

T0 = 1_746_000_000.0  # 2025-04-30 08:00 UTC
DAY = 86_400
OLD_LAYOUT = "0005"
TARGET_PG_BYTES = 100
TARGET_SQLITE_BYTES = 60
TARGET_GROWTH = 1.10
# The retention window: 13 months (of one day of samples each).
# Sessions a compressed month adds: its one day's nightly charge.
SESSIONS_PER_MONTH = 1
WINDOW_MONTHS = 13
MONTH0 = datetime(2023, 1, 1, tzinfo=UTC)
# The samples' bytes on PostgreSQL: the table, or its month partitions (0011).
PG_SAMPLES_SIZE = (
    "pg_total_relation_size('samples') + (SELECT coalesce(sum("
    "pg_total_relation_size(inhrelid)), 0) FROM pg_inherits"
    " WHERE inhparent = 'samples'::regclass)"
)


def household(start: float, seconds: int) -> Iterator[Sample]:
    """A car and a site: polls, a nightly charge streamed, the site's meters."""
    poll, site, power = 30, 10, 5
    for t in range(0, seconds, poll):
        ts = start + t
        yield Sample("car", "battery_level", ts, 40 + (t % DAY) / DAY * 40)
        yield Sample("car", "odometer", ts, 10_000 + t / 3600)
        yield Sample("car", "location", ts, None, "home", 0, 52.52, 13.40)
    for day in range(seconds // DAY):
        night = start + day * DAY + 3600
        for t in range(0, 2 * 3600, power):
            yield Sample("car", "charger_power", night + t, 11.0 - t / 7200)
    for t in range(0, seconds, site):
        ts = start + t
        yield Sample(
            "site", "solar_power", ts, max(0.0, 5 - abs((t % DAY) - 43_200) / 8640)
        )
        yield Sample("site", "grid_power", ts, 0.4 + (t % 97) / 100)


def write(
    config: DbConfig,
    samples: Iterator[Sample],
    sessions: int = 0,
    first_session: int = 0,
) -> int:
    """Write through EV Ledger's writer; return how many samples were given."""
    with tempfile.TemporaryDirectory() as journal:
        writer = Writer(config, journal, commit_interval=0.2)
        writer.start().result(30)
        count = 0
        batch: list[Sample] = []
        for sample in samples:
            batch.append(sample)
            if len(batch) == 5000:
                writer.enqueue_samples(batch)
                count += len(batch)
                batch = []
        writer.enqueue_samples(batch)
        count += len(batch)
        for index in range(first_session, first_session + sessions):
            writer.enqueue_session(make_session(index))
        writer.synced().result(600)
        writer.stop(30)
    return count


def checkpoint(config: DbConfig) -> None:
    engine = make_engine(config, pooled=False)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()


def size_of(config: DbConfig) -> int:
    """Bytes the samples take: the SQLite file, or PostgreSQL's sample tables.

    On PostgreSQL `sample_sources` counts too (migration 0009), where it exists.
    """
    if config.backend == "sqlite":
        checkpoint(config)
        return Path(config.path or "").stat().st_size
    engine = make_engine(config, pooled=False)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        f"SELECT {PG_SAMPLES_SIZE}"
                        " + pg_total_relation_size('sample_buckets')"
                        " + coalesce(pg_total_relation_size("
                        "to_regclass('sample_sources')), 0)"
                    )
                ).scalar_one()
            )
    finally:
        engine.dispose()


def raw_size_of(config: DbConfig) -> int:
    """Bytes of the raw samples table alone (its key included)."""
    engine = make_engine(config, pooled=False)
    try:
        with engine.connect() as conn:
            query = (
                "SELECT sum(pgsize) FROM dbstat WHERE name = 'samples'"
                if config.backend == "sqlite"
                else f"SELECT {PG_SAMPLES_SIZE}"
            )
            return int(conn.execute(text(query)).scalar_one() or 0)
    finally:
        engine.dispose()


@dataclass(slots=True)
class Backend:
    name: str
    fresh: Callable[[], DbConfig]


def compact(config: DbConfig) -> None:
    """Rewrite the files without free space (after a downgrade copied the tables)."""
    engine = make_engine(config, pooled=False)
    try:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM FULL" if config.is_postgresql else "VACUUM"
            )
    finally:
        engine.dispose()


def bytes_per_sample(backend: Backend, samples: int) -> dict[str, float]:
    """Bytes per sample of the same samples in the current and the old layout.

    The samples go through the writer at the current revision; then the database is
    downgraded to the old layout (the migrations convert every row back) and
    compacted. Each figure is net of an empty database of its revision.
    """
    empty: dict[str, int] = {}
    for layout in (OLD_LAYOUT, "head"):
        blank = backend.fresh()
        migrate(blank, layout)
        compact(blank)
        empty[layout] = size_of(blank)
    config = backend.fresh()
    migrate(config, "head")
    seconds = int(samples / (3 / 30 + 2 / 10 + 1440 / DAY))
    given = write(config, household(T0, seconds))
    compact(config)
    out = {"head": (size_of(config) - empty["head"]) / given}
    migrate(config, OLD_LAYOUT, downgrade=True)
    compact(config)
    out[OLD_LAYOUT] = (size_of(config) - empty[OLD_LAYOUT]) / given
    return out


def month_start(month: int) -> datetime:
    """The first instant of the benchmark's month (0: January 2023)."""
    return MONTH0.replace(year=MONTH0.year + month // 12, month=month % 12 + 1)


def retention(backend: Backend, months: int) -> tuple[float, float, bool, int]:
    """Growth from month 14 to the last: the whole database, raw samples; records.

    Compressed time: a month has one day of the dense household, on its first
    day, and the window is 13 months, so the balance of raw samples and buckets is
    a real one's. Also returns the month partitions dropped (PostgreSQL).
    """
    config = backend.fresh()
    connect_and_migrate(config)
    sizes: list[int] = []
    raw: list[int] = []
    dropped = 0
    engine = make_engine(config, pooled=False)
    try:
        for month in range(months):
            start = month_start(month).timestamp()
            write(
                config,
                household(start, DAY),
                sessions=SESSIONS_PER_MONTH,
                first_session=month * SESSIONS_PER_MONTH,
            )
            before = month_start(month - WINDOW_MONTHS) + timedelta(days=1)
            result = fold_samples(engine, before, window=timedelta(hours=6))
            dropped += result.partitions
            if config.backend == "sqlite":
                while reclaim(engine, pages=100_000):
                    pass
            else:
                with engine.connect() as conn:
                    conn.execution_options(
                        isolation_level="AUTOCOMMIT"
                    ).exec_driver_sql("VACUUM samples, sample_buckets")
            sizes.append(size_of(config))
            raw.append(raw_size_of(config))
        with engine.connect() as conn:
            kept = conn.execute(
                select(func.count()).select_from(ChargingSession)
            ).scalar_one()
    finally:
        engine.dispose()
    return (
        sizes[-1] / sizes[WINDOW_MONTHS],
        raw[-1] / raw[WINDOW_MONTHS],
        kept == months * SESSIONS_PER_MONTH,
        dropped,
    )


def demo_samples(seed: int) -> list[Sample]:
    """The samples of one demo week, as the replay (and live) takes them."""
    from benchmarks import deadband  # Home Assistant's test harness: only here

    return list(
        deadband.replay(deadband.fired(seed), deadband=True, counter=True).samples
    )


def table_bytes(config: DbConfig, table: str) -> int:
    """A compacted table's bytes, its key included (PostgreSQL: its partitions too)."""
    compact(config)
    engine = make_engine(config, pooled=False)
    try:
        with engine.connect() as conn:
            if config.backend == "sqlite":
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                query = "SELECT sum(pgsize) FROM dbstat WHERE name = :table"
            elif table == "samples":
                query = f"SELECT {PG_SAMPLES_SIZE}"
            else:
                query = "SELECT pg_total_relation_size(CAST(:table AS regclass))"
            return int(conn.execute(text(query), {"table": table}).scalar_one() or 0)
    finally:
        engine.dispose()


def demo_fold(backend: Backend, samples: list[Sample]) -> tuple[float, int, int]:
    """Bytes of a demo week's buckets over its raw samples; samples, buckets."""
    config = backend.fresh()
    connect_and_migrate(config)
    write(config, iter(samples))
    raw = table_bytes(config, "samples")
    # Past every month of the week (PostgreSQL folds whole months).
    before = datetime.fromtimestamp(max(s.ts for s in samples), UTC) + timedelta(
        days=62
    )
    engine = make_engine(config, pooled=False)
    try:
        result = fold_samples(engine, before)
    finally:
        engine.dispose()
    assert result.complete
    assert result.folded == len(samples)
    return table_bytes(config, "sample_buckets") / raw, len(samples), result.buckets


def insert_cost(work: Path, count: int) -> tuple[float, float]:
    """Microseconds per sample: the fast path, SQLAlchemy's insert (SQLite)."""
    rows: list[list[Any]] = [list(s) for s in household(T0, DAY)][:count]
    table: Table = SampleModel.__table__  # type: ignore[assignment]
    out = []
    for name in ("fast", "sqlalchemy"):
        config = DbConfig.embedded(work / f"insert-{name}-{time.monotonic_ns()}.db")
        connect_and_migrate(config)
        engine = make_engine(config, pooled=False)
        try:
            started = time.perf_counter()
            with engine.begin() as conn:
                if name == "fast":
                    write_batch(conn, [("samples", rows)])
                else:
                    ids = source_ids(conn, [r[0] for r in rows])
                    conn.execute(
                        sqlite_insert(table).on_conflict_do_nothing(),
                        [
                            {
                                "source": ids[r[0]],
                                "role": r[1],
                                "ts": datetime.fromtimestamp(r[2], UTC),
                                "value": r[3],
                                "text": r[4],
                                "seq": r[5],
                                "latitude": r[6],
                                "longitude": r[7],
                            }
                            for r in rows
                        ],
                    )
            out.append((time.perf_counter() - started) / len(rows) * 1e6)
        finally:
            engine.dispose()
    return out[0], out[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--months", type=int, default=36)
    args = parser.parse_args()

    cluster = new_cluster()
    work = Path(tempfile.mkdtemp(prefix="evl-storage-"))
    counter = iter(range(1_000_000))

    def fresh_sqlite() -> DbConfig:
        return DbConfig.embedded(work / f"db{next(counter)}" / "ev_ledger.db")

    def fresh_pg() -> DbConfig:
        name = f"bench_{next(counter)}"
        engine = make_engine(DbConfig.from_url(cluster.url), pooled=False)
        try:
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    f"CREATE DATABASE {name}"
                )
        finally:
            engine.dispose()
        return DbConfig.from_url(cluster.url.rsplit("/", 1)[0] + f"/{name}")

    backends = [Backend("sqlite", fresh_sqlite), Backend("postgresql", fresh_pg)]
    demo = [demo_samples(seed) for seed in range(1, args.runs + 1)]
    results: dict[str, list[float]] = {}
    try:
        for run in range(args.runs):
            for backend in backends:
                figures = bytes_per_sample(backend, args.samples)
                for layout in (OLD_LAYOUT, "head"):
                    figure = figures[layout]
                    results.setdefault(f"{backend.name}/{layout}", []).append(figure)
                    print(
                        f"run {run + 1} {backend.name:10} layout {layout:5}"
                        f" {figure:7.1f} B/sample",
                        flush=True,
                    )
                if backend.name == "sqlite":
                    fast, orm = insert_cost(work, args.samples)
                    results.setdefault("insert/fast", []).append(fast)
                    results.setdefault("insert/ratio", []).append(fast / orm)
                    print(
                        f"run {run + 1} sqlite     insert: fast path {fast:.2f} us,"
                        f" SQLAlchemy {orm:.2f} us per sample",
                        flush=True,
                    )
                ratio, given, buckets = demo_fold(backend, demo[run])
                results.setdefault(f"{backend.name}/demo", []).append(ratio)
                print(
                    f"run {run + 1} {backend.name:10} demo week (seed {run + 1}):"
                    f" {given} samples folded into {buckets} buckets,"
                    f" {ratio:.2f} x their bytes",
                    flush=True,
                )
                growth, raw_growth, intact, dropped = retention(backend, args.months)
                results.setdefault(f"{backend.name}/growth", []).append(growth)
                results.setdefault(f"{backend.name}/raw", []).append(raw_growth)
                results.setdefault(f"{backend.name}/intact", []).append(float(intact))
                results.setdefault(f"{backend.name}/dropped", []).append(dropped)
                print(
                    f"run {run + 1} {backend.name:10} retention: size month"
                    f" {args.months} / month 14 = {growth:.3f} (raw samples"
                    f" {raw_growth:.3f}), records intact:"
                    f" {intact}, month partitions dropped: {dropped}",
                    flush=True,
                )
    finally:
        cluster.destroy()
    targets = []
    for name, limit in (
        ("postgresql", TARGET_PG_BYTES),
        ("sqlite", TARGET_SQLITE_BYTES),
    ):
        new, old = results[f"{name}/head"], results[f"{name}/{OLD_LAYOUT}"]
        print(
            f"{name}: old layout {statistics.median(old):.1f} B/sample"
            f" [{min(old):.1f}..{max(old):.1f}], new {statistics.median(new):.1f}"
        )
        targets.append(target(f"{name}_bytes_per_sample", new, "B", "<=", limit))
        ratios = [n / o for n, o in zip(new, old, strict=True)]
        targets.append(target(f"{name}_layout_vs_old", ratios, "x", "<=", 1.0))
        targets.append(
            target(
                f"{name}_retention_raw_growth", results[f"{name}/raw"], "x", "<=", 1.05
            )
        )
        targets.append(
            target(
                f"{name}_retention_growth",
                results[f"{name}/growth"],
                "x",
                "<=",
                TARGET_GROWTH,
            )
        )
        targets.append(
            target(f"{name}_records_intact", results[f"{name}/intact"], "", ">=", 1)
        )
        targets.append(
            target(
                f"{name}_demo_buckets_vs_raw", results[f"{name}/demo"], "x", "<=", 1.0
            )
        )
    # Every month wholly past the window by the last run went as a partition.
    targets.append(
        target(
            "postgresql_retention_partitions_dropped",
            results["postgresql/dropped"],
            "",
            ">=",
            args.months - WINDOW_MONTHS - 1,
        )
    )
    targets.append(
        target("sqlite_insert_us_per_sample", results["insert/fast"], "us", "<=", 5.0)
    )
    targets.append(
        target("sqlite_insert_vs_sqlalchemy", results["insert/ratio"], "x", "<=", 0.6)
    )
    for line in targets:
        print(line)


if __name__ == "__main__":
    main()
