"""Backfill: the recorder's history of the mapped entities, run through the ledgers.

A newly added vehicle or energy site starts from what Home Assistant's recorder
already holds, and the `ev_ledger.backfill` action re-reads any range on demand. The
history is read in chunks on the recorder's database executor, replayed (`Replay`) in
an executor thread, and written with source `backfill`; never on the event loop.

Idempotent and seamless with live recording:

- Record ids are derived from the vehicle and the start time, so the same history
  gives the same ids. A derived record whose id is already stored, or that overlaps a
  stored record of the vehicle (live, manual, an earlier backfill; deleted ones too),
  is skipped and counted: a backfill never duplicates, splits or overwrites a record,
  and running it twice changes nothing.
- A newly added source's initial backfill runs up to the moment it started, while its
  live states are held back; then the backfilled ledger takes over live recording (a
  session in progress continues as one) and the held-back states follow.
- An energy site's day already summarised is never overwritten.

Progress shows in a persistent notification while it runs, in diagnostics, and the
action's response carries the result. Between chunks the backfill waits while the
recorder's own queue is long, and for its writes to be durable (bounded memory); the
next chunk is read while one is replayed and written.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
import heapq
import logging
import sys
import time
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components import persistent_notification
from homeassistant.components.recorder import history
from homeassistant.components.recorder.db_schema import States, StatesMeta
from homeassistant.core import State
from homeassistant.helpers.recorder import get_instance, session_scope
from homeassistant.util import dt as dt_util
from sqlalchemy import func, select

from . import statistics
from .adapter import enum_options
from .builders import roles
from .chargers import charger_zones
from .const import DOMAIN
from .db import entity_uuid
from .logic.model import ChargingSession, Trip
from .records import session_dict, trip_dict
from .replay import Replay

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence, Set as AbstractSet

    from homeassistant.core import HomeAssistant

    from .db import Reader, SiteDaily
    from .runtime import EvLedgerRuntime

_LOGGER = logging.getLogger(__name__)

# A chunk of history: (timestamp, entity id, state) in time order.
type Chunk = list[tuple[float, str, State]]

SOURCE: Final = "backfill"
RECORDER: Final = "recorder"
CHUNK: Final = timedelta(hours=6)
# The recorder's queue may hold this many tasks before the backfill pauses.
MAX_RECORDER_BACKLOG: Final = 1000
BACKLOG_PAUSE_S: Final = 0.5
# At most a minute per chunk: a stuck recorder must not stall the backfill forever.
MAX_PAUSES: Final = 120
_EPSILON: Final = timedelta(microseconds=1)
_OLDEST_MARGIN: Final = timedelta(seconds=1)
# Timestamps per query for the recorder's state ids (SQLite binds at most 999).
_INSTANTS_PER_QUERY: Final = 500
_UNKNOWN_ID: Final = sys.maxsize


@dataclass(slots=True)
class BackfillResult:
    """What a backfill did (the action's response, diagnostics)."""

    start: datetime
    end: datetime
    # What was asked; `start` is later when the recorder cannot hold that far back.
    requested_start: datetime | None = None
    clamped: bool = False
    vehicles: list[str] = field(default_factory=list)
    sites: list[str] = field(default_factory=list)
    chunks: int = 0
    chunks_done: int = 0
    states: int = 0
    accepted: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    sessions_added: int = 0
    trips_added: int = 0
    sessions_skipped: int = 0
    trips_skipped: int = 0
    # Records the database rejected before (in its quarantine): not written again.
    quarantined_skipped: int = 0
    site_days_added: int = 0
    samples: int = 0
    seconds: float = 0.0
    running: bool = True
    # Stopped before `end` (ev_ledger.cancel_backfill, or the entry unloading): what
    # was written stays, a record still open at the stop is not written.
    cancelled: bool = False

    @property
    def progress(self) -> float:
        """The share of chunks done, 0 to 1."""
        return self.chunks_done / self.chunks if self.chunks else 1.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe (service response, diagnostics)."""
        data = asdict(self)
        data["start"] = self.start.isoformat()
        data["end"] = self.end.isoformat()
        data["requested_start"] = (self.requested_start or self.start).isoformat()
        data["seconds"] = round(self.seconds, 3)
        data["progress"] = round(self.progress, 4)
        return data


def notification_id(entry_id: str) -> str:
    """The persistent notification shown while a backfill runs."""
    return f"{DOMAIN}_backfill_{entry_id}"


def recorder_loaded(hass: HomeAssistant) -> bool:
    """Whether the recorder is there to read history from."""
    return RECORDER in hass.config.components


def default_start(hass: HomeAssistant, end: datetime) -> datetime:
    """How far back the recorder keeps states (its `purge_keep_days`)."""
    return end - timedelta(days=get_instance(hass).keep_days)


def oldest_state(hass: HomeAssistant, entity_ids: list[str]) -> datetime | None:
    """The time of the oldest state the recorder holds of `entity_ids` (executor).

    One aggregate over the recorder's (metadata_id, last_updated_ts) index.
    """
    if not entity_ids:
        return None
    with session_scope(hass=hass, read_only=True) as session:
        oldest = session.execute(
            select(func.min(States.last_updated_ts))
            .join(StatesMeta, States.metadata_id == StatesMeta.metadata_id)
            .where(StatesMeta.entity_id.in_(entity_ids))
        ).scalar()
    return None if oldest is None else datetime.fromtimestamp(oldest, UTC)


def clamped_start(
    hass: HomeAssistant, start: datetime, end: datetime, oldest: datetime | None
) -> datetime:
    """The later of `start`, the recorder's retention and its oldest state.

    Never after `end`: a range the recorder holds nothing of is empty.
    """
    # The retention counts back from now, as the recorder purges.
    bound = max(start, default_start(hass, dt_util.utcnow()))
    if oldest is None:
        # Nothing recorded of these entities: nothing to read.
        return end
    # A second before the oldest state: the history API's bounds are exclusive, and
    # the oldest state must be read (as the start's state) like any other.
    return min(max(bound, oldest - _OLDEST_MARGIN), end)


def chunk_count(start: datetime, end: datetime) -> int:
    """How many chunks [start, end) is read in (none when empty)."""
    return max(0, -(-(end - start) // CHUNK))


# Reading ---------------------------------------------------------------------------


def read_history(
    hass: HomeAssistant,
    entity_ids: list[str],
    start: datetime,
    end: datetime,
    *,
    first: bool,
) -> dict[str, list[State | dict[str, Any]]]:
    """The recorder's history API, as the backfill calls it (recorder executor).

    The first chunk includes each entity's state at `start`; the API's bounds are
    exclusive, so later chunks read from just before `start`.
    """
    return history.get_significant_states(
        hass,
        start if first else start - _EPSILON,
        end,
        entity_ids,
        None,
        include_start_time_state=first,
        significant_changes_only=False,
        minimal_response=False,
        no_attributes=False,
    )


def read_chunk(
    hass: HomeAssistant,
    entity_ids: list[str],
    start: datetime,
    end: datetime,
    *,
    first: bool,
) -> Chunk:
    """The states of `entity_ids` in [start, end), merged in time order.

    Runs on the recorder's executor; see `read_history` for the bounds.
    """
    found = read_history(hass, entity_ids, start, end, first=first)
    since = start.timestamp()
    fired = state_ids(hass, entity_ids, shared_instants(found, since))
    return merge_chunk(found, entity_ids, since, fired)


def shared_instants(
    found: dict[str, list[State | dict[str, Any]]], since: float
) -> set[float]:
    """The timestamps that states of more than one entity share."""
    seen: set[float] = set()
    shared: set[float] = set()
    for states in found.values():
        for state in states:
            if isinstance(state, State):
                ts = state.last_updated_timestamp
                if ts >= since:
                    (shared if ts in seen else seen).add(ts)
    return shared


def state_ids(
    hass: HomeAssistant, entity_ids: list[str], instants: set[float]
) -> dict[tuple[str, float], int]:
    """The recorder's state ids of the entities' states at `instants` (executor).

    The recorder numbers states in the order Home Assistant fired them, which is the
    order live recording took them; the history API does not say it.
    """
    found: dict[tuple[str, float], int] = {}
    if not instants:
        return found
    ordered = sorted(instants)
    with session_scope(hass=hass, read_only=True) as session:
        for first in range(0, len(ordered), _INSTANTS_PER_QUERY):
            batch = ordered[first : first + _INSTANTS_PER_QUERY]
            rows = session.execute(
                select(StatesMeta.entity_id, States.last_updated_ts, States.state_id)
                .join(StatesMeta, States.metadata_id == StatesMeta.metadata_id)
                .where(
                    StatesMeta.entity_id.in_(entity_ids),
                    States.last_updated_ts.in_(batch),
                )
            )
            for entity_id, ts, state_id in rows:
                found[entity_id, ts] = state_id
    return found


def merge_chunk(
    found: dict[str, list[State | dict[str, Any]]],
    entity_ids: list[str],
    since: float,
    fired: dict[tuple[str, float], int],
) -> Chunk:
    """The history API's states (a list per entity) in the order they were fired.

    Time order; states of several entities that share a timestamp in the order of
    their recorder state ids (`fired`), as Home Assistant fired them (those without
    an id, such as the state at the start of the range, in `entity_ids` order).
    """
    order = {entity_id: i for i, entity_id in enumerate(entity_ids)}
    streams: list[list[tuple[float, int, int, str, State]]] = [
        [
            (
                state.last_updated_timestamp,
                fired.get((entity_id, state.last_updated_timestamp), _UNKNOWN_ID),
                order[entity_id],
                entity_id,
                state,
            )
            for state in states
            if isinstance(state, State) and state.last_updated_timestamp >= since
        ]
        for entity_id, states in found.items()
        if entity_id in order
    ]
    return [
        (ts, entity_id, state)
        for ts, _, _, entity_id, state in heapq.merge(*streams, key=_merge_key)
    ]


def _merge_key(item: tuple[float, int, int, str, State]) -> tuple[float, int, int]:
    return item[0], item[1], item[2]


# Writing ---------------------------------------------------------------------------


def _overlaps(
    start: float, end: float | None, spans: Sequence[tuple[float, float]]
) -> bool:
    """Whether [start, end] overlaps a span (records starting together always do)."""
    stop = end if end is not None else start
    for s, e in spans:
        if s == start or (s < stop and start < e) or (start == stop and s <= start < e):
            return True
    return False


def _new_records[R: (ChargingSession, Trip)](
    reader: Reader,
    kind: str,
    vehicle: str,
    records: list[R],
    quarantined: AbstractSet[str] = frozenset(),
) -> tuple[list[R], int]:
    """The records neither stored already nor overlapping a stored one (executor).

    A record the database rejected before (its id in `quarantined`) is not new
    either: written again, it would be rejected again.
    """
    records = [r for r in records if str(entity_uuid(r.id)) not in quarantined]
    if not records:
        return [], 0
    first = min(r.started_at for r in records)
    last = max((r.ended_at or r.started_at) for r in records)
    spans = reader.record_spans(
        "sessions" if kind == "session" else "trips",
        vehicle,
        datetime.fromtimestamp(first, UTC) - _EPSILON,
        datetime.fromtimestamp(last, UTC) + _EPSILON,
    )
    ids = {span[0] for span in spans}
    intervals = [
        (s.timestamp(), e.timestamp() if e is not None else float("inf"))
        for _, s, e in spans
    ]
    keep: list[R] = []
    for record in records:
        if record.id in ids or _overlaps(record.started_at, record.ended_at, intervals):
            continue
        keep.append(record)
        intervals.append((record.started_at, record.ended_at or record.started_at))
    return keep, len(records) - len(keep)


def _new_days(reader: Reader, days: list[SiteDaily]) -> list[SiteDaily]:
    """The site days not summarised yet (the last summary of a day wins) (executor)."""
    latest: dict[tuple[str, Any], SiteDaily] = {}
    for day in days:
        latest[day.site_id, day.day] = day
    keep: list[SiteDaily] = []
    by_site: dict[str, list[SiteDaily]] = {}
    for day in latest.values():
        by_site.setdefault(day.site_id, []).append(day)
    for site, items in by_site.items():
        stored = reader.site_days(
            site, min(d.day for d in items), max(d.day for d in items)
        )
        keep.extend(d for d in items if d.day not in stored)
    return keep


class Backfill:
    """One backfill run of some of a runtime's vehicles and sites."""

    def __init__(
        self,
        hass: HomeAssistant,
        runtime: EvLedgerRuntime,
        *,
        vehicle_ids: list[str],
        site_ids: list[str],
        start: datetime,
        end: datetime,
    ) -> None:
        """Prepare the replay (nothing is read yet)."""
        entry = hass.config_entries.async_get_entry(runtime.entry_id)
        assert entry is not None
        self.hass = hass
        self.runtime = runtime
        self.replay = Replay(
            entry,
            dt_util.get_default_time_zone(),
            chargers=charger_zones(hass, entry),
            options=enum_options(
                hass,
                [e for sub in entry.subentries.values() for e in roles(sub).values()],
            ),
            vehicle_ids=vehicle_ids,
            site_ids=site_ids,
        )
        self.result = BackfillResult(
            start=start,
            end=end,
            requested_start=start,
            vehicles=list(vehicle_ids),
            sites=list(site_ids),
            chunks=chunk_count(start, end),
        )
        self.sessions: dict[str, list[ChargingSession]] = {}
        self._last_records: dict[str, tuple[ChargingSession | None, Trip | None]] = {}
        self._flushed = False
        self._quarantined: dict[str, set[str]] | None = None
        self._cancel = asyncio.Event()

    def cancel(self) -> None:
        """Stop after the chunk under way (its records are written first)."""
        self._cancel.set()

    @property
    def cancelling(self) -> bool:
        """Whether `cancel` was called."""
        return self._cancel.is_set()

    async def async_run(self) -> BackfillResult:
        """Read, replay and write every chunk; return the result."""
        hass, result = self.hass, self.result
        recorder = get_instance(hass)
        began = time.monotonic()
        # States up to `end` must be in the recorder's database before it is read.
        await recorder.async_block_till_done()
        entity_ids = self.replay.entity_ids
        # Never read before what the recorder can hold (a start in year 2 would be
        # millions of empty chunks).
        oldest = await recorder.async_add_executor_job(oldest_state, hass, entity_ids)
        start = clamped_start(hass, result.start, result.end, oldest)
        if start != result.start:
            result.start, result.clamped = start, True
            result.chunks = chunk_count(start, result.end)

        def read(start: datetime, first: bool) -> asyncio.Future[Chunk]:
            end = min(start + CHUNK, result.end)
            return recorder.async_add_executor_job(
                lambda: read_chunk(hass, entity_ids, start, end, first=first)
            )

        # The next chunk is read while this one is replayed and written.
        chunk_start = result.start
        pending: asyncio.Future[Chunk] | None = None
        if chunk_start < result.end:
            pending = read(chunk_start, True)
        try:
            while pending is not None:
                if self._cancel.is_set():
                    break
                states = await pending
                chunk_start += CHUNK
                pending = None
                await _async_wait_for_recorder(lambda: recorder.backlog)
                if chunk_start < result.end:
                    pending = read(chunk_start, False)
                result.states += len(states)
                await hass.async_add_executor_job(self.replay.feed_states, states)
                await self._async_write()
                result.chunks_done += 1
                self._notify()
            if self._cancel.is_set():
                # Not replayed to the end: records still open stay unwritten.
                result.cancelled = True
                if pending is not None:
                    _discard(pending)
            else:
                self.replay.finish(result.end.timestamp())
                await self._async_write()
        except BaseException:
            if pending is not None:
                _discard(pending)
            raise
        finally:
            result.running = False
            result.seconds = time.monotonic() - began
            result.accepted = self.replay.accepted
            result.rejected = dict(self.replay.rejected)
            persistent_notification.async_dismiss(
                hass, notification_id(self.runtime.entry_id)
            )
        await self._async_publish()
        return result

    async def _async_write(self) -> None:
        """Write what the replay produced since the last chunk, and wait for it.

        (Letting the writes become durable while the next chunk is replayed was
        measured slower: the writer and the replay contend for the GIL.)
        """
        out = self.replay.take()
        runtime, result = self.runtime, self.result
        reader = runtime.reader
        writer = runtime.writer
        by_vehicle: dict[str, tuple[list[ChargingSession], list[Trip]]] = {}
        for session in out.sessions:
            by_vehicle.setdefault(session.vehicle_id, ([], []))[0].append(session)
        for trip in out.trips:
            by_vehicle.setdefault(trip.vehicle_id, ([], []))[1].append(trip)
        if by_vehicle and not self._flushed:
            # Live records queued before must be stored before the first overlap
            # check; each chunk's own writes are waited for at its end.
            await asyncio.wrap_future(writer.flush())
            self._flushed = True

        def check() -> tuple[
            dict[str, tuple[list[ChargingSession], list[Trip]]],
            int,
            int,
            int,
            list[Any],
        ]:
            if self._quarantined is None:
                # Read once a run: the quarantine is small and only grows.
                self._quarantined = {
                    kind: reader.quarantined_ids(kind) for kind in ("session", "trip")
                }
            quarantined = self._quarantined
            kept: dict[str, tuple[list[ChargingSession], list[Trip]]] = {}
            skipped_s = skipped_t = skipped_q = 0
            for vehicle, (sessions, trips) in by_vehicle.items():
                new_s, n_s = _new_records(
                    reader, "session", vehicle, sessions, quarantined["session"]
                )
                new_t, n_t = _new_records(
                    reader, "trip", vehicle, trips, quarantined["trip"]
                )
                q_s = sum(
                    str(entity_uuid(r.id)) in quarantined["session"] for r in sessions
                )
                q_t = sum(str(entity_uuid(r.id)) in quarantined["trip"] for r in trips)
                kept[vehicle] = (new_s, new_t)
                skipped_s += n_s
                skipped_t += n_t
                skipped_q += q_s + q_t
            return (
                kept,
                skipped_s,
                skipped_t,
                skipped_q,
                _new_days(reader, out.site_days),
            )

        (
            kept,
            skipped_s,
            skipped_t,
            skipped_q,
            days,
        ) = await self.hass.async_add_executor_job(check)
        result.sessions_skipped += skipped_s
        result.trips_skipped += skipped_t
        result.quarantined_skipped += skipped_q
        if out.samples:
            writer.enqueue_samples(out.samples)
            result.samples += len(out.samples)
        for vehicle, (sessions, trips) in kept.items():
            for session in sessions:
                writer.enqueue_session(session, source=SOURCE)
            for trip in trips:
                writer.enqueue_trip(trip, source=SOURCE)
            result.sessions_added += len(sessions)
            result.trips_added += len(trips)
            self.sessions.setdefault(vehicle, []).extend(sessions)
            last_s, last_t = self._last_records.get(vehicle, (None, None))
            self._last_records[vehicle] = (
                sessions[-1] if sessions else last_s,
                trips[-1] if trips else last_t,
            )
        for day in days:
            writer.enqueue_site_daily(day)
        result.site_days_added += len(days)
        await asyncio.wrap_future(writer.flush())

    async def _async_publish(self) -> None:
        """Long-term statistics of the backfilled sessions; sensors' last records."""
        runtime = self.runtime
        for vehicle_id, sessions in self.sessions.items():
            vehicle = runtime.vehicles.get(vehicle_id)
            if vehicle is None or not sessions:
                continue
            await statistics.async_publish_sessions(self.hass, vehicle, sessions)
        for vehicle_id, (session, trip) in self._last_records.items():
            vehicle = runtime.vehicles.get(vehicle_id)
            if vehicle is None:
                continue
            if session is not None and _older(vehicle.last_session, session.ended_at):
                vehicle.last_session = session_dict(session)
            if trip is not None and _older(vehicle.last_trip, trip.ended_at):
                vehicle.last_trip = trip_dict(trip)
        await runtime.async_refresh_totals()

    def _notify(self) -> None:
        result = self.result
        names = [
            source.name
            for source in (
                *(self.runtime.vehicles.get(v) for v in result.vehicles),
                *(self.runtime.sites.get(s) for s in result.sites),
            )
            if source is not None
        ]
        persistent_notification.async_create(
            self.hass,
            (
                f"Reading the recorder's history of {', '.join(names) or 'EV Ledger'}"
                f" since {dt_util.as_local(result.start):%Y-%m-%d %H:%M}:"
                f" {result.progress:.0%} done, {result.states} states,"
                f" {result.sessions_added} charging sessions and"
                f" {result.trips_added} trips added so far. To stop it (what it"
                " wrote stays), run the action EV Ledger: Cancel backfill"
                " (ev_ledger.cancel_backfill)."
            ),
            title="EV Ledger backfill",
            notification_id=notification_id(self.runtime.entry_id),
        )


def _discard(future: asyncio.Future[Any]) -> None:
    """Drop a read no one will wait for (its error, if any, is not logged twice)."""
    if not future.cancel() and not future.cancelled():
        future.exception()


async def _async_wait_for_recorder(backlog: Callable[[], int]) -> None:
    """Pause while the recorder's own queue is long (it must not grow unbounded)."""
    for _ in range(MAX_PAUSES):
        if backlog() <= MAX_RECORDER_BACKLOG:
            return
        await asyncio.sleep(BACKLOG_PAUSE_S)


def _older(record: dict[str, Any] | None, ended_at: float | None) -> bool:
    """Whether a sensor's last record is missing or older than `ended_at`."""
    if record is None:
        return True
    if ended_at is None:
        return False
    known = record.get("ended_at")
    if not known:
        return True
    return bool(datetime.fromisoformat(str(known)).timestamp() < ended_at)
