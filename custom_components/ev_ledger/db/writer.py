"""The writer: one thread that owns the database connection, and never loses a record.

The event-loop side only snapshots records and puts tasks on a queue (`enqueue_*`).
The thread batches them into idempotent upserts committed at least every
`commit_interval` seconds. When the database is unreachable, batches go to the on-disk
`Journal`, reconnects follow `Backoff` (forever), and once the database is back the
journal is replayed in order before anything new is written directly, so a newer
snapshot of a session is never overwritten by an older one. A batch the database
rejects is bisected until the bad row is isolated and quarantined; the good rows are
committed. `stop()` writes what is left to the database or the journal within a bound.
"""

from __future__ import annotations

from concurrent.futures import Future
from datetime import UTC, datetime
import json
import logging
from pathlib import Path
import queue
import threading
import time
from typing import TYPE_CHECKING, Any, Final

import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
    TimeoutError as PoolTimeoutError,
)

from .backoff import Backoff
from .config import DbConfig, make_engine
from .errors import DatabaseDamaged, DiskFull, InvalidAuth, classify
from .health import WriterHealth, WriterState
from .journal import DEFAULT_MAX_BYTES, Journal, open_private
from .rows import Sample, SiteDaily, entity_uuid, session_row, site_daily_row, trip_row
from .sink import explode, quarantine, weight, write_batch
from .tasks import (
    FlushTask,
    HoldTask,
    RecordsTask,
    ReleaseTask,
    StopTask,
    SyncTask,
    Task,
)
from .vin import validate_vin

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from decimal import Decimal

    from custom_components.ev_ledger.logic.model import ChargingSession, Trip

    from .sink import Record

_LOGGER = logging.getLogger(__name__)

QUARANTINE_FILE = "quarantine.jsonl"
_UNSET: Final = object()
# The longest a backup may hold the writer (Home Assistant's recorder allows as long).
DEFAULT_HOLD_S: Final = 30 * 60.0

_OUTAGE_ERRORS = (
    OperationalError,
    InterfaceError,
    DisconnectionError,
    PoolTimeoutError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    OSError,
)


class WriterStoppedError(RuntimeError):
    """The writer was stopped before the request could complete."""


def is_outage(exc: BaseException) -> bool:
    """Return True when `exc` means "database unreachable", not "bad row"."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, _OUTAGE_ERRORS)


def _num(value: Decimal | float | None) -> str | None:
    return None if value is None else str(value)


class Writer:
    """Writes ledger records to the database from a thread of its own.

    Thread safety: `enqueue_*`, `update_session`, `delete_*`, `flush`, `synced`,
    `health` and `stop` may be called from any thread (the event loop included); none
    of them does I/O. Everything else runs on the writer thread.
    """

    def __init__(
        self,
        config: DbConfig,
        journal_dir: str | Path,
        *,
        batch_rows: int = 20_000,
        commit_interval: float = 1.0,
        journal_max_bytes: int = DEFAULT_MAX_BYTES,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
        engine_factory: Callable[[DbConfig], Engine] = make_engine,
    ) -> None:
        """Prepare a writer; `start()` starts its thread.

        Args:
            config: Where to write.
            journal_dir: A folder of its own for the journal (in Home Assistant, under
                the config folder) and the quarantine file.
            batch_rows: Rows per transaction (samples count one by one).
            commit_interval: Longest time a record waits before its commit.
            journal_max_bytes: Bound on the journal's size.
            backoff: Reconnect delays (default 1 s doubling to 60 s, with jitter).
            clock: Monotonic clock, injectable for tests.
            engine_factory: Builds the engine (tests inject failures).
        """
        self._config = config
        self._journal_dir = Path(journal_dir)
        self._journal_max_bytes = journal_max_bytes
        self._batch_rows = batch_rows
        self._commit_interval = commit_interval
        self._backoff = backoff or Backoff()
        self._clock = clock
        self._engine_factory = engine_factory
        self._queue: queue.SimpleQueue[Task] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._ready: Future[None] = Future()
        self._accepting = False
        # Figures (written by the writer thread, `_pending` also by callers).
        self._pending = 0
        self._written = 0
        self._quarantined = 0
        self._attempts = 0
        self._last_commit: datetime | None = None
        self._last_error: str | None = None
        self._state = WriterState.STARTING
        # When the current outage began (the first failure), None while connected.
        self._down_since: datetime | None = None
        self._auth_failed = False
        self._damaged = False
        self._disk_full = False
        # Writer-thread state.
        self._engine: Engine | None = None
        self._journal: Journal | None = None
        self._buffer: list[Record] = []
        self._buffer_rows = 0
        self._buffer_deadline = 0.0
        self._flush_waiters: list[Future[None]] = []
        self._sync_waiters: list[Future[None]] = []
        self._connected = False
        self._next_attempt = 0.0
        self._stop_deadline: float | None = None
        # While a backup copies the files: no write until this (monotonic) time.
        self._held_until: float | None = None

    # Lifecycle -----------------------------------------------------------------

    def start(self) -> Future[None]:
        """Start the thread; the future resolves once the journal is open."""
        if self._thread is not None:
            raise RuntimeError("writer already started")
        self._accepting = True
        self._thread = threading.Thread(
            target=self._run, name="ev_ledger_writer", daemon=True
        )
        self._thread.start()
        return self._ready

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop the writer: what is left goes to the database or the journal.

        Blocking: call it from an executor in Home Assistant.

        Args:
            timeout: Seconds to wait for the thread to finish.

        Returns:
            True when the thread finished within the timeout.
        """
        thread = self._thread
        if thread is None:
            return True
        self._accepting = False
        self._queue.put(StopTask(self._clock() + timeout * 0.8))
        thread.join(timeout)
        return not thread.is_alive()

    # Enqueueing (any thread) ---------------------------------------------------

    def _put(self, records: list[Record]) -> None:
        if not self._accepting:
            raise WriterStoppedError("the writer is not running")
        rows = sum(weight(r) for r in records)
        with self._lock:
            self._pending += rows
        self._queue.put(RecordsTask(records, rows))

    def enqueue_vehicle(
        self,
        key: str,
        *,
        name: str | None = None,
        vin: str | None = None,
        make: str | None = None,
        model: str | None = None,
        year: int | None = None,
        usable_capacity_kwh: Decimal | None = None,
        learned_capacity_kwh: Decimal | None = None,
    ) -> None:
        """Register or update a vehicle (None leaves a stored value unchanged).

        Raises:
            InvalidVin: The VIN is malformed (checked here, on the caller's side).
        """
        row: dict[str, Any] = {"id": str(entity_uuid(key)), "key": key}
        if vin is not None:
            row["vin"], status = validate_vin(vin)
            row["vin_status"] = status.value
        fields = {
            "name": name,
            "make": make,
            "model": model,
            "year": year,
            "usable_capacity_kwh": _num(usable_capacity_kwh),
            "learned_capacity_kwh": _num(learned_capacity_kwh),
        }
        row.update({column: v for column, v in fields.items() if v is not None})
        self._put([("vehicle", row)])

    def enqueue_site(
        self,
        key: str,
        *,
        name: str | None = None,
        time_zone: str | None = None,
        battery_capacity_kwh: Decimal | None = None,
        solar_capacity_kw: Decimal | None = None,
    ) -> None:
        """Register or update an energy site (None leaves a stored value unchanged)."""
        row: dict[str, Any] = {"id": str(entity_uuid(key)), "key": key}
        fields = {
            "name": name,
            "time_zone": time_zone,
            "battery_capacity_kwh": _num(battery_capacity_kwh),
            "solar_capacity_kw": _num(solar_capacity_kw),
        }
        row.update({column: v for column, v in fields.items() if v is not None})
        self._put([("site", row)])

    def enqueue_session(
        self,
        session: ChargingSession,
        *,
        source: str = "live",
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """Upsert a charging session (snapshot taken now) with its windows."""
        self._put([("session", session_row(session, source, extra))])

    def enqueue_trip(self, trip: Trip, *, source: str = "live") -> None:
        """Upsert a trip (snapshot taken now)."""
        self._put([("trip", trip_row(trip, source))])

    def enqueue_samples(self, samples: Iterable[Sample | tuple[Any, ...]]) -> None:
        """Insert raw samples; a sample already stored is ignored."""
        batch = [list(sample) for sample in samples]
        if batch:
            self._put([("samples", batch)])

    def enqueue_site_daily(self, daily: SiteDaily) -> None:
        """Upsert one day of an energy site's summary."""
        self._put([("site_daily", site_daily_row(daily))])

    def update_session(
        self,
        session_id: str,
        *,
        cost_override: Decimal | None | object = _UNSET,
        location_override: str | None | object = _UNSET,
        notes: str | None | object = _UNSET,
    ) -> None:
        """Record user corrections of a session; the engine's values are kept.

        Pass None to clear a correction; leave an argument out to keep it.
        """
        change: dict[str, Any] = {"id": str(entity_uuid(session_id)), "at": time.time()}
        if cost_override is not _UNSET:
            change["cost_override"] = (
                None if cost_override is None else str(cost_override)
            )
        if location_override is not _UNSET:
            change["location_override"] = location_override
        if notes is not _UNSET:
            change["notes"] = notes
        self._put([("override", change)])

    def delete_session(self, session_id: str) -> None:
        """Soft-delete a session (kept, hidden from reads and totals)."""
        self._delete("session", session_id)

    def delete_trip(self, trip_id: str) -> None:
        """Soft-delete a trip (kept, hidden from reads and totals)."""
        self._delete("trip", trip_id)

    def _delete(self, kind: str, key: str) -> None:
        self._put(
            [("delete", {"kind": kind, "id": str(entity_uuid(key)), "at": time.time()})]
        )

    def flush(self) -> Future[None]:
        """Return a future resolved once everything enqueued so far is durable.

        Durable means committed to the database, or journaled and fsync'd while the
        database is unreachable. In Home Assistant: `await asyncio.wrap_future(...)`.
        """
        return self._control(FlushTask)

    def synced(self) -> Future[None]:
        """Return a future resolved once everything enqueued so far is in the database.

        Stays pending during an outage; fails with `WriterStoppedError` on stop.
        """
        return self._control(SyncTask)

    def hold(self, seconds: float = DEFAULT_HOLD_S) -> Future[None]:
        """Hold the database still while a backup copies it.

        Everything enqueued so far is committed (or journaled while the database is
        unreachable), an SQLite write-ahead log is checkpointed into the database file
        and truncated, and then nothing is written until `release()`, or until
        `seconds` have passed (a backup that never reports its end must not stop the
        ledger for good). Records enqueued meanwhile wait in memory and are written
        after the hold. The future resolves once the hold has begun.
        """
        future: Future[None] = Future()
        if not self._accepting:
            future.set_exception(WriterStoppedError("the writer is not running"))
            return future
        self._queue.put(HoldTask(future, seconds))
        return future

    def release(self) -> None:
        """End a hold begun by `hold()` (nothing happens when there is none)."""
        if self._accepting:
            self._queue.put(ReleaseTask())

    @property
    def held(self) -> bool:
        """Whether a hold is in force."""
        return self._held_until is not None

    def _control(self, task: type[FlushTask | SyncTask]) -> Future[None]:
        future: Future[None] = Future()
        if not self._accepting:
            future.set_exception(WriterStoppedError("the writer is not running"))
            return future
        self._queue.put(task(future))
        return future

    def health(self) -> WriterHealth:
        """Return a snapshot of the figures (no I/O)."""
        journal = self._journal
        with self._lock:
            pending = self._pending
        last_error = self._last_error
        if journal and journal.dropped:
            # The one error that means data was lost stays in front until restart.
            last_error = (
                f"journal full ({journal.max_bytes} bytes): {journal.dropped} rows "
                f"dropped while the database was unreachable; last error: {last_error}"
            )
        return WriterHealth(
            state=self._state,
            pending=pending,
            journaled=journal.pending if journal else 0,
            journal_bytes=journal.size if journal else 0,
            written=self._written,
            quarantined=self._quarantined,
            dropped=journal.dropped if journal else 0,
            reconnect_attempts=self._attempts,
            down_since=self._down_since,
            auth_failed=self._auth_failed,
            damaged=self._damaged,
            disk_full=self._disk_full,
            last_commit=self._last_commit,
            last_error=last_error,
            journal_full=bool(journal and journal.dropped),
        )

    # Called by tasks on the writer thread ---------------------------------------

    def buffer_records(self, records: list[Record], rows: int) -> None:
        """Add records to the current batch."""
        if not self._buffer:
            self._buffer_deadline = self._clock() + self._commit_interval
        self._buffer.extend(records)
        self._buffer_rows += rows

    def add_flush_waiter(self, future: Future[None]) -> None:
        """Resolve `future` after the next write."""
        self._flush_waiters.append(future)

    def add_sync_waiter(self, future: Future[None]) -> None:
        """Resolve `future` once the buffer and the journal are in the database."""
        self._flush_waiters.append(Future())
        self._sync_waiters.append(future)

    def begin_hold(self, future: Future[None], seconds: float) -> None:
        """Write the buffer, checkpoint SQLite, then hold (see `hold`)."""
        if self._buffer:
            self._write_buffer()
        if self._connected and self._config.backend == "sqlite":
            self._checkpoint()
        self._held_until = self._clock() + seconds
        _LOGGER.debug("EV Ledger writer: held for a backup (at most %.0f s)", seconds)
        if not future.done():
            future.set_result(None)

    def end_hold(self) -> None:
        """End the hold; the buffer is written at the next step."""
        if self._held_until is not None:
            self._held_until = None
            _LOGGER.debug("EV Ledger writer: hold released")

    def _checkpoint(self) -> None:
        """Move an SQLite write-ahead log into the database file and truncate it."""
        assert self._engine is not None
        try:
            with self._engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        except Exception as exc:  # noqa: BLE001 - a backup copies the -wal file too
            self._note_error(f"checkpoint failed: {exc}")
            _LOGGER.warning("EV Ledger: checkpoint before a backup failed: %s", exc)

    def request_stop(self, deadline: float) -> None:
        """Begin the shutdown."""
        self._stop_deadline = deadline

    # The thread ----------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._journal = Journal(
                self._journal_dir, max_bytes=self._journal_max_bytes
            )
            self._engine = self._engine_factory(self._config)
            self._try_connect()
        except Exception as exc:  # noqa: BLE001 - reported through the future
            self._accepting = False
            self._ready.set_exception(exc)
            self._state = WriterState.STOPPED
            return
        self._ready.set_result(None)
        while self._stop_deadline is None:
            try:
                self._step()
            except Exception:  # the loop must never die
                _LOGGER.exception("EV Ledger writer: unexpected error")
                self._note_error("unexpected error in the writer; see the log")
        self._shutdown()

    def _timeout(self) -> float | None:
        now = self._clock()
        if self._held_until is not None:
            return max(0.0, self._held_until - now)
        waits: list[float] = []
        if self._buffer:
            waits.append(self._buffer_deadline - now)
        if not self._connected:
            waits.append(self._next_attempt - now)
        elif self._journal is not None and not self._journal.empty:
            waits.append(0.0)
        return max(0.0, min(waits)) if waits else None

    def _drain_queue(self, timeout: float | None) -> None:
        try:
            task = self._queue.get(timeout=timeout) if timeout != 0 else None
            if task is None:
                task = self._queue.get_nowait()
        except queue.Empty:
            return
        task.run(self)
        while self._buffer_rows < self._batch_rows and self._stop_deadline is None:
            try:
                task = self._queue.get_nowait()
            except queue.Empty:
                return
            task.run(self)

    def _step(self) -> None:
        self._drain_queue(self._timeout())
        if self._held_until is not None:
            if self._stop_deadline is None and self._clock() < self._held_until:
                return
            if self._stop_deadline is None:
                _LOGGER.warning(
                    "EV Ledger: a backup held the database longer than expected;"
                    " writing again"
                )
            self._held_until = None
        if not self._connected and self._clock() >= self._next_attempt:
            self._try_connect()
        if self._buffer and (
            self._flush_waiters
            or self._sync_waiters
            or self._stop_deadline is not None
            or self._buffer_rows >= self._batch_rows
            or self._clock() >= self._buffer_deadline
        ):
            self._write_buffer()
        if self._connected and self._journal is not None and not self._journal.empty:
            self._replay_chunk()
        self._resolve_waiters()

    def _resolve_waiters(self) -> None:
        if self._buffer:
            return
        for future in self._flush_waiters:
            if not future.done():
                future.set_result(None)
        self._flush_waiters.clear()
        assert self._journal is not None
        if self._connected and self._journal.empty:
            for future in self._sync_waiters:
                if not future.done():
                    future.set_result(None)
            self._sync_waiters.clear()

    def _take_buffer(self) -> tuple[list[Record], int]:
        records, rows = self._buffer, self._buffer_rows
        self._buffer, self._buffer_rows = [], 0
        return records, rows

    def _done(self, rows: int) -> None:
        with self._lock:
            self._pending -= rows

    def _write_buffer(self) -> None:
        records, rows = self._take_buffer()
        assert self._journal is not None
        if self._connected and self._journal.empty:
            try:
                self._write(records)
            except Exception as exc:
                if is_outage(exc):
                    self._went_away(exc)
                else:
                    _LOGGER.exception("EV Ledger writer: batch failed, journaling it")
                    self._note_error(f"batch failed: {exc}")
            else:
                self._done(rows)
                return
        self._to_journal(records)
        self._done(rows)

    def _to_journal(self, records: list[Record]) -> None:
        assert self._journal is not None
        try:
            _, dropped = self._journal.append(records)
        except OSError as exc:
            dropped = sum(weight(r) for r in records)
            self._journal.dropped += dropped
            self._note_error(f"journal not writable: {exc}")
            _LOGGER.error(
                "EV Ledger: journal not writable, %d rows lost: %s", dropped, exc
            )
            return
        if dropped:
            self._note_error(
                f"journal full ({self._journal.max_bytes} bytes): "
                f"{self._journal.dropped} rows dropped while the database is unreachable"
            )
            _LOGGER.error("EV Ledger: journal full, %d rows dropped", dropped)

    def _write(self, records: list[Record]) -> None:
        """Commit `records`, bisecting around rows the database rejects.

        Raises:
            Exception: An outage (`is_outage`); nothing of `records` is lost, since
                the caller journals them (re-writing committed ones is idempotent).
        """
        assert self._engine is not None
        try:
            with self._engine.begin() as conn:
                write_batch(conn, records)
        except Exception as exc:
            if is_outage(exc):
                raise
            self._bisect(records, exc)
            return
        self._committed(sum(weight(r) for r in records))

    def _bisect(self, records: list[Record], exc: Exception) -> None:
        parts = explode(records) if len(records) == 1 else records
        if len(parts) == 1:
            self._quarantine(parts[0], exc)
            return
        middle = len(parts) // 2
        self._write(parts[:middle])
        self._write(parts[middle:])

    def _quarantine(self, record: Record, exc: Exception) -> None:
        message = self._config.redact(str(getattr(exc, "orig", None) or exc))
        assert self._engine is not None
        rows = weight(record)
        self._quarantined += rows
        _LOGGER.warning(
            "EV Ledger: %s record rejected, quarantined: %s", record[0], message
        )
        self._note_error(f"{record[0]} record quarantined: {message}")
        try:
            with self._engine.begin() as conn:
                quarantine(conn, record, message)
        except Exception as qexc:
            if is_outage(qexc):
                raise
            line = json.dumps({"record": record, "error": message}, default=str)
            with open_private(self._journal_dir / QUARANTINE_FILE, "a") as handle:
                handle.write(line + "\n")

    def _committed(self, rows: int) -> None:
        self._written += rows
        self._last_commit = datetime.now(UTC)

    def _replay_chunk(self) -> None:
        assert self._journal is not None
        self._state = WriterState.REPLAYING
        chunk = self._journal.read(self._batch_rows)
        try:
            self._write(chunk.records)
        except Exception as exc:
            if not is_outage(exc):
                raise
            self._went_away(exc)
            return
        self._journal.commit(chunk)
        if self._journal.empty:
            _LOGGER.info("EV Ledger: journal replayed")
            self._state = WriterState.CONNECTED
            self._outage_over()

    def _try_connect(self) -> None:
        assert self._engine is not None
        try:
            with self._engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any failure means "not yet"
            self._went_away(exc)
            return
        self._connected = True
        assert self._journal is not None
        if self._journal.empty:
            self._state = WriterState.CONNECTED
            self._outage_over()
        else:
            # The outage is over once the journal is written: a database that takes
            # a connection but no write (a full disk, a read-only file) stays down,
            # its outage clock running and the next attempt backed off.
            self._state = WriterState.REPLAYING

    def _outage_over(self) -> None:
        if self._attempts:
            _LOGGER.info("EV Ledger: database reachable again")
        self._attempts = 0
        self._down_since = None
        self._auth_failed = False
        self._damaged = False
        self._disk_full = False

    def _went_away(self, exc: BaseException) -> None:
        message = self._config.redact(str(exc))
        if self._down_since is None:  # once an outage, not at every retry of it
            _LOGGER.warning(
                "EV Ledger: database unreachable, journaling until it is back: %s",
                message,
            )
        self._connected = False
        # A refused password is no outage: the user must act (reauth); nor is a
        # damaged database file (restore it from a backup).
        kind = classify(exc, [self._config.password])
        self._auth_failed = isinstance(kind, InvalidAuth)
        self._damaged = isinstance(kind, DatabaseDamaged)
        self._disk_full = isinstance(kind, DiskFull)
        if self._down_since is None:
            self._down_since = datetime.now(UTC)
        self._state = WriterState.DISCONNECTED
        self._note_error(message)
        delay = self._backoff.delay(self._attempts)
        self._attempts += 1
        self._next_attempt = self._clock() + delay
        if self._engine is not None:
            self._engine.dispose()

    def _note_error(self, message: str) -> None:
        self._last_error = self._config.redact(message)[:1000]

    def _shutdown(self) -> None:
        assert self._stop_deadline is not None
        assert self._journal is not None
        assert self._engine is not None
        while True:  # take what was enqueued before the stop
            try:
                self._queue.get_nowait().run(self)
            except queue.Empty:
                break
        if self._buffer:
            self._write_buffer()
        try:
            while (
                self._connected
                and not self._journal.empty
                and self._clock() < self._stop_deadline
            ):
                self._replay_chunk()
        except Exception:  # the journal keeps the rest for the next start
            _LOGGER.exception("EV Ledger writer: error while replaying at stop")
        self._resolve_waiters()
        for future in self._sync_waiters:
            if not future.done():
                future.set_exception(WriterStoppedError("stopped before the database"))
        self._sync_waiters.clear()
        self._journal.close()
        self._engine.dispose()
        self._state = WriterState.STOPPED
