"""How soon after PostgreSQL returns the journaled records are in the database.

A throwaway cluster (the server's default durability), the ledger's own writer with
its default backoff (1 s doubling, at most 5 s between probes). Each round: the server
stops, records are enqueued for `--down` seconds (journaled), the server starts again,
and the time from the moment it accepts connections to the moment every record is
in the database is measured. The baseline, in the same round, is the time a fresh
connection to the returned server takes (what an ideal writer, probing continuously,
would need at least). Median of `--rounds` (>= 3) rounds with min..max.

Usage: python -m benchmarks.reconnect [--down S] [--rounds R]
Target (issue 15): records in the database <= 10 s after the server is back.
"""

from __future__ import annotations

import argparse
from pathlib import Path
import sys
import tempfile
import time

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg

from benchmarks import report
from custom_components.ev_ledger.db import DbConfig, Writer
from custom_components.ev_ledger.db.migrate import connect_and_migrate
from tests.db.conftest import make_trip
from tests.pgcluster import start_cluster


def spread(values: list[float]) -> str:
    """Median [min..max]."""
    return report.spread(values)


def main() -> None:
    """Run the rounds and print the figures and the target line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--down", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    cluster = start_cluster("synchronous_commit = on\n")
    try:
        url = cluster.url.replace("postgresql+psycopg://", "postgresql://")
        config = DbConfig(host="127.0.0.1", port=cluster.port, user="postgres")
        connect_and_migrate(config)
        journal = Path(tempfile.mkdtemp(prefix="evl-reconnect-"))
        writer = Writer(config, journal)
        writer.start().result(30)
        writer.enqueue_vehicle("bench", name="Bench")
        writer.synced().result(30)
        back: list[float] = []
        connect: list[float] = []
        n = 0
        for _ in range(max(3, args.rounds)):
            cluster.stop()
            began = time.monotonic()
            while time.monotonic() - began < args.down:
                writer.enqueue_trip(make_trip(n, vehicle="bench"))
                n += 1
                writer.flush().result(30)  # journaled while the server is down
                time.sleep(1.0)
            synced = writer.synced()
            cluster.start()
            up = time.monotonic()
            with psycopg.connect(url, connect_timeout=10):
                connect.append(time.monotonic() - up)
            synced.result(120)
            back.append(time.monotonic() - up)
        writer.stop(10)
    finally:
        cluster.destroy()
    print(f"{len(back)} outages of {args.down:.0f} s, {n} records journaled")
    print(f"  a fresh connection to the returned server {spread(connect)} s")
    print(f"  journaled records in the database         {spread(back)} s")
    print(report.target("reconnect_after_return", back, "s", "<=", 10))


if __name__ == "__main__":
    main()
