"""A writer in a process of its own, killed by test_acceptance mid-stream.

Usage: python -m tests.db.writer_child URL JOURNAL_DIR up|down
Streams samples and sessions forever; after each flush prints "durable N": every
batch up to N is committed or journaled.
"""

from __future__ import annotations

import sys

from custom_components.ev_ledger.db import DbConfig, Sample, Writer
from tests.db.conftest import T0, fast_backoff, make_session
from tests.db.faults import Outage

BATCH = 500


def batch(index: int) -> list[Sample]:
    """The samples of batch `index` (distinct timestamps)."""
    return [
        Sample("vehicle-1", "charger_power", T0 + index * BATCH + i, float(i))
        for i in range(BATCH)
    ]


def main(url: str, journal: str, mode: str) -> None:
    """Stream until killed."""
    outage = Outage(down=mode == "down")
    writer = Writer(
        DbConfig.from_url(url),
        journal,
        backoff=fast_backoff(),
        commit_interval=0.01,
        batch_rows=2000,
        engine_factory=outage.factory,
    )
    writer.start().result(10)
    index = 0
    while True:
        writer.enqueue_samples(batch(index))
        writer.enqueue_session(make_session(index))
        if index % 5 == 4:
            writer.flush().result(30)
            print(f"durable {index}", flush=True)  # noqa: T201 - read by the test
        index += 1


if __name__ == "__main__":
    main(*sys.argv[1:4])
