"""Acceptance (issue 3): server killed mid-stream, writer process killed mid-batch."""

from __future__ import annotations

from datetime import UTC, datetime
import os
from pathlib import Path
import select as io_select
import signal
import subprocess
import sys
import threading
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from custom_components.ev_ledger.db import (
    Backoff,
    DbConfig,
    WriterState,
    connect_and_migrate,
    make_engine,
)
from custom_components.ev_ledger.db.models import ChargingSession, Sample as SampleModel
from tests.pgcluster import start_cluster

from .conftest import WriterFactory, make_session
from .writer_child import BATCH, batch

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.pgcluster import PgCluster

ROOT = Path(__file__).resolve().parents[2]
# Children are not measured by pytest-cov (their partial data would not combine).
CHILD_ENV = {k: v for k, v in os.environ.items() if not k.startswith("COV_CORE")}


@pytest.fixture
def own_cluster() -> Iterator[PgCluster]:
    """A cluster of this test's own, which it may stop and start.

    Durable settings: the shared test clusters run with fsync and synchronous_commit
    off, and then a crash (stop -m immediate) loses commits the server acknowledged.
    """
    cluster = start_cluster("fsync = on\nsynchronous_commit = on\n")
    yield cluster
    cluster.destroy()


def counts(config: DbConfig) -> tuple[int, int, int]:
    """Samples, distinct sample keys, sessions."""
    engine = make_engine(config, pooled=False)
    with Session(engine) as session:
        total = session.scalar(select(func.count()).select_from(SampleModel))
        distinct = session.scalar(
            select(func.count()).select_from(
                select(SampleModel.source, SampleModel.role, SampleModel.ts)
                .distinct()
                .subquery()
            )
        )
        sessions = session.scalar(select(func.count()).select_from(ChargingSession))
    engine.dispose()
    return int(total or 0), int(distinct or 0), int(sessions or 0)


def test_server_killed_mid_stream_loses_and_duplicates_nothing(
    own_cluster: PgCluster, make_writer: WriterFactory
) -> None:
    config = DbConfig.from_url(own_cluster.url)
    connect_and_migrate(config)
    writer = make_writer(
        config,
        backoff=Backoff(initial=0.05, maximum=0.5),
        commit_interval=0.02,
        batch_rows=5000,
    )
    batches = 350  # ~10 ms apart: about four seconds of stream
    progress: list[threading.Event] = [threading.Event() for _ in range(batches)]
    states: set[WriterState] = set()
    pace = threading.Event()

    def produce() -> None:
        for index in range(batches):
            writer.enqueue_samples(batch(index))
            writer.enqueue_session(make_session(index % 50))  # updates of 50 sessions
            states.add(writer.health().state)
            progress[index].set()
            pace.wait(0.01)

    producer = threading.Thread(target=produce)
    producer.start()
    assert progress[50].wait(30)
    own_cluster.stop("immediate")  # crash: no shutdown checkpoint, sockets cut
    assert progress[320].wait(60)  # several seconds of writes against a dead server
    own_cluster.start()
    producer.join(60)
    writer.synced().result(60)
    health = writer.health()
    assert WriterState.DISCONNECTED in states
    assert health.state is WriterState.CONNECTED
    assert (health.pending, health.journaled, health.dropped) == (0, 0, 0)
    assert health.quarantined == 0
    assert counts(config) == (batches * BATCH, batches * BATCH, 50)


def _run_child_and_kill(url: str, journal: Path, mode: str) -> int:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.db.writer_child", url, str(journal), mode],
        cwd=ROOT,
        env=CHILD_ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    durable = -1
    try:
        assert child.stdout is not None
        while durable < 40:
            ready, _, _ = io_select.select([child.stdout], [], [], 60)
            assert ready, "the child stopped reporting progress"
            line = child.stdout.readline()
            assert line, child.stderr.read() if child.stderr else "child died"
            durable = int(line.split()[1])
        os.kill(child.pid, signal.SIGKILL)  # mid-batch: it never stops streaming
    finally:
        child.kill()
        child.wait(10)
        for stream in (child.stdout, child.stderr):
            if stream:
                stream.close()
    return durable


@pytest.mark.parametrize("mode", ["down", "up"])
def test_writer_process_killed_mid_batch_replays_exactly_once(
    migrated: DbConfig, make_writer: WriterFactory, tmp_path: Path, mode: str
) -> None:
    journal = tmp_path / "child-journal"
    url = migrated.url().render_as_string(hide_password=False)
    durable = _run_child_and_kill(url, journal, mode)
    if mode == "down":
        assert list(journal.glob("*.jnl")), "the child journaled while 'unreachable'"
    writer = make_writer(migrated, journal)
    writer.synced().result(60)
    health = writer.health()
    assert (health.journaled, health.dropped, health.quarantined) == (0, 0, 0)
    total, distinct, sessions = counts(migrated)
    assert total == distinct  # nothing twice
    assert total >= (durable + 1) * BATCH  # everything made durable is there
    assert total % BATCH == 0  # a batch is journaled or committed whole
    assert sessions >= durable + 1
    start = datetime.fromtimestamp(batch(0)[0].ts, UTC)
    end = datetime.fromtimestamp(batch(durable + 1)[0].ts, UTC)
    engine = make_engine(migrated, pooled=False)
    with Session(engine) as session:
        durable_rows = session.scalar(
            select(func.count())
            .select_from(SampleModel)
            .where(SampleModel.ts >= start, SampleModel.ts < end)
        )
    engine.dispose()
    assert durable_rows == (durable + 1) * BATCH
