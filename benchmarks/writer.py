"""Writer benchmark: throughput against raw COPY, session upserts, a compressed outage.

Run: .venv/bin/python -m benchmarks.writer [--samples N]
Starts its own throwaway PostgreSQL cluster (tests.pgcluster). Prints figures and
ratios against the baseline measured in the same run (raw psycopg COPY of the same
rows into the same table), and checks the targets of issue 3.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
import random
import resource
import sys
import tempfile
import time
import tracemalloc

import psycopg

from custom_components.ev_ledger.db import (
    Backoff,
    DbConfig,
    Sample,
    Writer,
    connect_and_migrate,
    entity_uuid,
)
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
            "SELECT count(*), count(DISTINCT (source_id, role, ts)) FROM samples"
        ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])


def truncate(config: DbConfig) -> None:
    """Empty the samples table."""
    with psycopg.connect(conninfo(config), options="-c search_path=ev_ledger") as conn:
        conn.execute("TRUNCATE samples")


def bench_copy(config: DbConfig, samples: list[Sample]) -> float:
    """Raw psycopg COPY of the rows straight into `samples`; rows per second."""
    source = entity_uuid(samples[0].source_id)
    prepared = [
        (source, s.role, datetime.fromtimestamp(s.ts, UTC), s.value, s.text)
        for s in samples
    ]
    with psycopg.connect(conninfo(config), options="-c search_path=ev_ledger") as conn:
        start = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY samples (source_id, role, ts, value, text) FROM STDIN"
            ) as copy,
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
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
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
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stored, distinct = count_samples(config)
    drain_rate = total / drain_elapsed
    return {
        "total": total,
        "journaled": journaled,
        "lost": total - distinct,
        "duplicates": stored - distinct,
        "dropped": health.dropped,
        "peak_mib": (peak - base) / 2**20,
        "rss_growth_mib": (rss_after - rss_before) / 1024,
        "ingest_s": ingest_elapsed,
        "drain_s": drain_elapsed,
        "drain_rate": drain_rate,
        "drain_multiple": drain_rate / OUTAGE_RATE,
    }


def main(argv: list[str]) -> int:
    """Run every benchmark and check the targets."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=300_000)
    parser.add_argument("--sessions", type=int, default=5_000)
    args = parser.parse_args(argv)
    cluster = new_cluster()
    try:
        config = DbConfig.from_url(cluster.url)
        connect_and_migrate(config)
        samples = rows(args.samples, T0)
        bench_copy(config, samples[:10_000])  # warm-up
        truncate(config)
        copy_rate = bench_copy(config, samples)
        truncate(config)
        bench_writer(config, rows(10_000, T0 - 1e6))  # warm-up
        truncate(config)
        writer_rate = bench_writer(config, samples)
        stored, distinct = count_samples(config)
        assert stored == distinct == len(samples), (stored, distinct)
        truncate(config)
        insert_rate, update_rate = bench_sessions(config, args.sessions)
        outage = bench_outage(config)
    finally:
        cluster.destroy()
    ratio = writer_rate / copy_rate
    checks = {
        f"writer >= {TARGET_RATE} samples/s": writer_rate >= TARGET_RATE,
        f"writer >= {TARGET_RATIO} x COPY": ratio >= TARGET_RATIO,
        "outage: 0 lost": outage["lost"] == 0,
        "outage: 0 duplicates": outage["duplicates"] == 0,
        f"outage: memory growth <= {TARGET_MEMORY_MIB} MiB": (
            max(outage["peak_mib"], outage["rss_growth_mib"]) <= TARGET_MEMORY_MIB
        ),
        f"outage: drain >= {TARGET_DRAIN} x ingest": (
            outage["drain_multiple"] >= TARGET_DRAIN
        ),
    }
    print(f"samples                      {len(samples):>12,}")
    print(f"raw psycopg COPY (baseline)  {copy_rate:>12,.0f} rows/s")
    print(
        f"through the writer           {writer_rate:>12,.0f} rows/s  ({ratio:.2f} x COPY)"
    )
    print(f"sessions inserted            {insert_rate:>12,.0f} /s")
    print(f"sessions upserted again      {update_rate:>12,.0f} /s")
    print(
        f"outage: {OUTAGE_SECONDS} s at {OUTAGE_RATE}/s = {outage['total']:,.0f} samples,"
        f" ingested in {outage['ingest_s']:.1f} s, journaled {outage['journaled']:,.0f}"
    )
    print(
        f"outage: lost {outage['lost']:.0f}, duplicates {outage['duplicates']:.0f},"
        f" dropped {outage['dropped']:.0f}"
    )
    print(
        f"outage: peak traced memory growth {outage['peak_mib']:.1f} MiB,"
        f" max RSS growth {outage['rss_growth_mib']:.1f} MiB"
    )
    print(
        f"outage: drained in {outage['drain_s']:.1f} s = {outage['drain_rate']:,.0f}"
        f" rows/s = {outage['drain_multiple']:,.0f} x ingest"
    )
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
