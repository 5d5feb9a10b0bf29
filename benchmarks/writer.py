"""Writer benchmark: throughput against raw COPY, session upserts, a compressed outage.

Run: .venv/bin/python -m benchmarks.writer [--samples N] [--rounds R]
Starts its own throwaway PostgreSQL cluster (tests.pgcluster). Each round measures
raw psycopg COPY of the rows into the same table (the baseline), the same rows through
the writer, session upserts, and an hour's outage compressed in time: the journal's
ingest rate and the drain after it are both measured, and memory is the traced peak
(tracemalloc) of the ingest. Every figure is the median of `--rounds` (>= 3) rounds
with min..max; the last lines are one per target (issue 3, issue 14).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
import random
import sys
import tempfile
import time
import tracemalloc

import psycopg

from benchmarks import report
from custom_components.ev_ledger.db import (
    Backoff,
    DbConfig,
    Sample,
    Writer,
    connect_and_migrate,
    make_engine,
    partitions,
)
from custom_components.ev_ledger.db.types import role_code
from tests.db.conftest import make_session
from tests.db.faults import Outage
from tests.pgcluster import new_cluster

T0 = 1_746_000_000.0
CHUNK = 1000
TARGET_RATE = 30_000
TARGET_RATIO = 0.3
TARGET_MEMORY_MIB = 64
TARGET_DRAIN = 10
OUTAGE_RATE = 50  # samples per second during the simulated outage
OUTAGE_SECONDS = 3600


def rows(n: int, offset: float, source: str = "vehicle-1") -> list[Sample]:
    """N distinct samples, one per 10 ms."""
    return [
        Sample(source, "charger_power", offset + i * 0.01, 7.0 + (i % 100) / 10)
        for i in range(n)
    ]


def conninfo(config: DbConfig) -> str:
    """libpq URL of a config (the benchmark cluster has no password)."""
    return f"postgresql://{config.user}@{config.host}:{config.port}/{config.database}"


def count_samples(config: DbConfig) -> tuple[int, int]:
    """Samples stored and distinct keys."""
    with psycopg.connect(conninfo(config), options="-c search_path=ev_ledger") as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT (source, role, ts)) FROM samples"
        ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])


def truncate(config: DbConfig) -> None:
    """Empty the samples table."""
    with psycopg.connect(conninfo(config), options="-c search_path=ev_ledger") as conn:
        conn.execute("TRUNCATE samples")


def bench_copy(config: DbConfig, samples: list[Sample]) -> float:
    """Raw psycopg COPY of the rows straight into `samples`; rows per second.

    The rows carry a source id and role codes as stored (migration 0009), converted
    before the clock starts, and the months they fall in have their partitions
    (migration 0011; the writer creates them itself, once).
    """
    engine = make_engine(config)
    with engine.begin() as conn:
        partitions.ensure_months(conn, partitions.sample_months(s.ts for s in samples))
    engine.dispose()
    prepared = [
        (1, role_code(s.role), datetime.fromtimestamp(s.ts, UTC), s.value, s.text)
        for s in samples
    ]
    with psycopg.connect(conninfo(config), options="-c search_path=ev_ledger") as conn:
        start = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy("COPY samples (source, role, ts, value, text) FROM STDIN") as copy,
        ):
            for row in prepared:
                copy.write_row(row)
        conn.commit()
        elapsed = time.perf_counter() - start
    return len(samples) / elapsed


def bench_writer(config: DbConfig, samples: list[Sample]) -> float:
    """Samples through the writer (enqueue to commit); rows per second."""
    writer = Writer(config, tempfile.mkdtemp(prefix="evl-bench-"))
    writer.start().result(10)
    start = time.perf_counter()
    for i in range(0, len(samples), CHUNK):
        writer.enqueue_samples(samples[i : i + CHUNK])
    writer.synced().result(600)
    elapsed = time.perf_counter() - start
    writer.stop(30)
    return len(samples) / elapsed


def bench_sessions(config: DbConfig, n: int) -> tuple[float, float]:
    """Sessions inserted per second, then updated (upserted again) per second."""
    writer = Writer(config, tempfile.mkdtemp(prefix="evl-bench-"))
    writer.start().result(10)
    sessions = [make_session(i, vehicle=f"car-{i % 3}") for i in range(n)]
    rates = []
    for _ in range(2):
        start = time.perf_counter()
        for session in sessions:
            writer.enqueue_session(session)
        writer.synced().result(600)
        rates.append(n / (time.perf_counter() - start))
    writer.stop(30)
    return rates[0], rates[1]


def bench_outage(config: DbConfig) -> dict[str, float]:
    """One hour at 50 samples/s while the database is down, compressed in time."""
    outage = Outage(down=True)
    writer = Writer(
        config,
        tempfile.mkdtemp(prefix="evl-bench-"),
        backoff=Backoff(initial=0.05, maximum=0.2, rng=random.Random(1)),
        engine_factory=outage.factory,
    )
    writer.start().result(10)
    total = OUTAGE_RATE * OUTAGE_SECONDS
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    start = time.perf_counter()
    for second in range(OUTAGE_SECONDS):
        writer.enqueue_samples(rows(OUTAGE_RATE, T0 + 1e6 + second, "site-1"))
    writer.flush().result(600)
    ingest_elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    journaled = writer.health().journaled
    outage.down = False
    start = time.perf_counter()
    writer.synced().result(600)
    drain_elapsed = time.perf_counter() - start
    health = writer.health()
    writer.stop(30)
    stored, distinct = count_samples(config)
    drain_rate = total / drain_elapsed
    return {
        "total": total,
        "journaled": journaled,
        "lost": total - distinct,
        "duplicates": stored - distinct,
        "dropped": health.dropped,
        "peak_mib": (peak - base) / 2**20,
        "ingest_s": ingest_elapsed,
        "ingest_rate": total / ingest_elapsed,
        "drain_s": drain_elapsed,
        "drain_rate": drain_rate,
        "drain_vs_ingest": drain_rate / (total / ingest_elapsed),
        "drain_multiple": drain_rate / OUTAGE_RATE,
    }


def spread(values: list[float]) -> str:
    """Median [min..max] of a rate."""
    return report.spread(values, "{:,.0f}")


def target(
    name: str, values: list[float], unit: str, op: str, limit: float, fmt: str
) -> tuple[str, bool]:
    """One target line and whether it passed."""
    return report.target(name, values, unit, op, limit, fmt), report.met(
        values, op, limit
    )


def main(argv: list[str]) -> int:
    """Run every benchmark `--rounds` times and check the targets."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=300_000)
    parser.add_argument("--sessions", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    rounds = max(3, args.rounds)
    figures: dict[str, list[float]] = {}

    def keep(name: str, value: float) -> None:
        figures.setdefault(name, []).append(value)

    cluster = new_cluster()
    try:
        config = DbConfig.from_url(cluster.url)
        connect_and_migrate(config)
        samples = rows(args.samples, T0)
        bench_copy(config, samples[:10_000])  # warm-up
        truncate(config)
        bench_writer(config, rows(10_000, T0 - 1e6))  # warm-up
        truncate(config)
        for round_ in range(rounds):
            copy_rate = bench_copy(config, samples)
            truncate(config)
            writer_rate = bench_writer(config, samples)
            stored, distinct = count_samples(config)
            assert stored == distinct == len(samples), (stored, distinct)
            truncate(config)
            insert_rate, update_rate = bench_sessions(config, args.sessions)
            outage = bench_outage(config)
            truncate(config)
            keep("copy", copy_rate)
            keep("writer", writer_rate)
            keep("ratio", writer_rate / copy_rate)
            keep("insert", insert_rate)
            keep("update", update_rate)
            for key in ("lost", "duplicates", "dropped", "peak_mib", "ingest_rate"):
                keep(key, outage[key])
            for key in ("drain_rate", "drain_vs_ingest", "drain_multiple"):
                keep(key, outage[key])
            print(
                f"round {round_ + 1}: COPY {copy_rate:,.0f}/s, writer"
                f" {writer_rate:,.0f}/s ({writer_rate / copy_rate:.2f} x),"
                f" sessions {insert_rate:,.0f}/s then {update_rate:,.0f}/s; outage:"
                f" journaled at {outage['ingest_rate']:,.0f}/s, drained at"
                f" {outage['drain_rate']:,.0f}/s, lost {outage['lost']:.0f},"
                f" duplicates {outage['duplicates']:.0f}, peak"
                f" {outage['peak_mib']:.1f} MiB",
                flush=True,
            )
    finally:
        cluster.destroy()
    print(f"samples per round            {len(samples):>12,}")
    print(f"raw psycopg COPY (baseline)  {spread(figures['copy'])} rows/s")
    print(f"through the writer           {spread(figures['writer'])} rows/s")
    print(f"sessions inserted            {spread(figures['insert'])} /s")
    print(f"sessions upserted again      {spread(figures['update'])} /s")
    print(
        f"outage: {OUTAGE_SECONDS} s at {OUTAGE_RATE}/s ="
        f" {OUTAGE_RATE * OUTAGE_SECONDS:,} samples; journal ingest"
        f" {spread(figures['ingest_rate'])} /s, drain {spread(figures['drain_rate'])} /s"
    )
    results = [
        target(
            "writer_rate", figures["writer"], "rows/s", ">=", TARGET_RATE, "{:,.0f}"
        ),
        target("writer_vs_copy", figures["ratio"], "x", ">=", TARGET_RATIO, "{:.2f}"),
        target("outage_lost", figures["lost"], "rows", "<=", 0, "{:.0f}"),
        target("outage_duplicates", figures["duplicates"], "rows", "<=", 0, "{:.0f}"),
        target(
            "outage_peak_memory",
            figures["peak_mib"],
            "MiB",
            "<=",
            TARGET_MEMORY_MIB,
            "{:.1f}",
        ),
        target(
            "outage_drain_vs_measured_ingest",
            figures["drain_vs_ingest"],
            "x",
            ">=",
            1.0,
            "{:.2f}",
        ),
        target(
            "outage_drain_vs_nominal_rate",
            figures["drain_multiple"],
            "x",
            ">=",
            TARGET_DRAIN,
            "{:,.0f}",
        ),
    ]
    for line, _ in results:
        print(line)
    return 0 if all(ok for _, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
