"""Work items for the writer thread: small slotted dataclasses with `run(writer)`.

The event-loop side builds a task and `put_nowait`s it; only the writer thread runs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from concurrent.futures import Future

    from .sink import Record
    from .writer import Writer


@dataclass(slots=True)
class RecordsTask:
    """Records to write."""

    records: list[Record]
    rows: int

    def run(self, writer: Writer) -> None:
        """Add the records to the writer's buffer."""
        writer.buffer_records(self.records, self.rows)


@dataclass(slots=True)
class FlushTask:
    """Resolve `future` once everything enqueued before is committed or journaled."""

    future: Future[None]

    def run(self, writer: Writer) -> None:
        """Ask for a write now and wait for it."""
        writer.add_flush_waiter(self.future)


@dataclass(slots=True)
class SyncTask:
    """Resolve `future` once everything enqueued before is in the database."""

    future: Future[None]

    def run(self, writer: Writer) -> None:
        """Ask for a write now and wait until the journal is replayed too."""
        writer.add_sync_waiter(self.future)


@dataclass(slots=True)
class StopTask:
    """Stop the writer, flushing to the database or the journal."""

    deadline: float

    def run(self, writer: Writer) -> None:
        """Begin the shutdown."""
        writer.request_stop(self.deadline)


@dataclass(slots=True)
class HoldTask:
    """Write what came before, checkpoint, then hold the database still (a backup)."""

    future: Future[None]
    seconds: float

    def run(self, writer: Writer) -> None:
        """Begin the hold; `future` resolves once the database files are still."""
        writer.begin_hold(self.future, self.seconds)


@dataclass(slots=True)
class ReleaseTask:
    """End a hold: what was buffered meanwhile is written."""

    def run(self, writer: Writer) -> None:
        """End the hold."""
        writer.end_hold()


type Task = RecordsTask | FlushTask | SyncTask | StopTask | HoldTask | ReleaseTask
