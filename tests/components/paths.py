"""One history, three paths: live, backfill and recompute, without a running hass.

- `Live` runs the integration's own runtime objects (built by
  `EvLedgerRuntime._build`, fed as `_async_started`'s `_feed` does, ticked as
  `_async_tick` does, restarted through the runtime's snapshot and its start-up feed
  of the current states) on a stand-in for Home Assistant that only holds states.
- `backfill` hands the states over as the recorder's history API does (one list per
  entity, each fired state with its `state_id`), merged by `backfill.merge_chunk`,
  six hours at a time.
- `recompute` writes samples to a real database and reads them back a week at a time
  through `Reader.samples_of`, as the action does (`recompute.replay_samples`).

`stored` turns the wire rows of sessions and trips into what the database keeps
(amounts at their column's scale, times to the microsecond), so records compare field
by field as a user would see them.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
import functools
import json
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast
from unittest.mock import patch

from homeassistant.core import State
from sqlalchemy import Date, Table, delete

from custom_components.ev_ledger import backfill, recompute
from custom_components.ev_ledger.db import DbConfig, Reader, make_engine
from custom_components.ev_ledger.db.models import Sample as SampleTable
from custom_components.ev_ledger.db.rows import (
    SESSION_TABLE,
    TRIP_TABLE,
    WINDOW_TABLE,
    Sample,
    SiteDaily,
    WireRow,
    sample_row,
    session_row,
    site_daily_row,
    trip_row,
)
from custom_components.ev_ledger.db.sink import write_batch
from custom_components.ev_ledger.db.types import Amount, UTCDateTime
from custom_components.ev_ledger.logic.model import (
    ChargingSession,
    Flag,
    SessionStatus,
    Trip,
)
from custom_components.ev_ledger.logic.tariff import PriceBook
from custom_components.ev_ledger.replay import Replay, ReplayOutput
from custom_components.ev_ledger.runtime import EvLedgerRuntime

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from datetime import tzinfo

    from homeassistant.config_entries import ConfigEntry

    from custom_components.ev_ledger.db import Writer

type Fired = tuple[float, str, State]

WEEK = timedelta(days=7)
PRICE_RETAIN_S = 7 * 86400


# A stand-in for Home Assistant: states, a bus nobody listens to, a loop without timers.


class _States:
    def __init__(self) -> None:
        self._states: dict[str, State] = {}

    def get(self, entity_id: str) -> State | None:
        return self._states.get(entity_id)

    def set(self, state: State) -> None:
        self._states[state.entity_id] = state


class _Handle:
    def cancel(self) -> None:
        """Nothing scheduled: the samples are flushed by hand."""


class _Loop:
    def call_later(self, _delay: float, _callback: Callable[[], None]) -> _Handle:
        return _Handle()


class _Bus:
    def async_fire(self, *_args: Any, **_kwargs: Any) -> None:
        """Nobody listens."""


class _Hass:
    def __init__(self, data: Any) -> None:
        # Home Assistant's registries (a real hass's `data`), for the runtime's build.
        self.data = data
        self.states = _States()
        self.bus = _Bus()
        self.loop = _Loop()
        self.config = SimpleNamespace(currency="EUR")


@dataclass
class CaptureWriter:
    """The writer's interface, keeping what a live runtime writes (wire rows)."""

    sessions: dict[str, WireRow] = field(default_factory=dict)
    trips: dict[str, WireRow] = field(default_factory=dict)
    samples: list[Sample] = field(default_factory=list)
    site_days: list[SiteDaily] = field(default_factory=list)

    def enqueue_site(self, *_args: Any, **_kwargs: Any) -> None:
        """Not a record."""

    def enqueue_vehicle(self, *_args: Any, **_kwargs: Any) -> None:
        """Not a record."""

    def enqueue_site_daily(self, daily: SiteDaily) -> None:
        """Keep every summary (the last of a day wins, as the upsert does)."""
        self.site_days.append(daily)

    def enqueue_session(self, session: ChargingSession, source: str = "live") -> None:
        """Keep the last snapshot of each session, as the upsert does."""
        self.sessions[session.id] = session_row(session, source)

    def enqueue_trip(self, trip: Trip, source: str = "live") -> None:
        """Keep the last snapshot of each trip."""
        self.trips[trip.id] = trip_row(trip, source)

    def delete_session(self, session_id: str) -> None:
        """A session no longer stored (soft deletes hide it)."""
        self.sessions.pop(session_id, None)

    def delete_trip(self, trip_id: str) -> None:
        """A trip no longer stored."""
        self.trips.pop(trip_id, None)

    def enqueue_samples(self, samples: Iterable[Sample]) -> None:
        """Keep the samples in the order they were handed over."""
        self.samples.extend(samples)

    def flush(self) -> Future[None]:
        """Everything is kept at once: durable now."""
        done: Future[None] = Future()
        done.set_result(None)
        return done


class Live:
    """The runtime's own objects, fed and ticked as `EvLedgerRuntime` does it."""

    def __init__(self, entry: ConfigEntry[Any], data: Any) -> None:
        self.entry = entry
        self.hass = _Hass(data)
        self.writer = CaptureWriter()
        self.runtime = self._build({})
        self.restarts = 0

    def _build(self, snapshot: dict[str, Any]) -> EvLedgerRuntime:
        runtime = EvLedgerRuntime._build(
            cast("Any", self.hass),
            self.entry,
            DbConfig(backend="sqlite", path=":memory:"),
            cast("Writer", self.writer),
            cast("Reader", None),
            cast("Any", None),
            snapshot,
        )
        for vehicle in runtime.vehicles.values():
            vehicle.on_counted = None  # no store here: restarts go through `snapshot`
        # As `_async_started` routes them: vehicles, then sites, then prices.
        routes: dict[str, list[Callable[[State], None]]] = {}
        for vehicle in runtime.vehicles.values():
            for entity_id, role in vehicle.by_entity.items():
                routes.setdefault(entity_id, []).append(
                    functools.partial(vehicle.async_on_state, role)
                )
        for site in runtime.sites.values():
            for entity_id, role in site.by_entity.items():
                routes.setdefault(entity_id, []).append(
                    functools.partial(site.async_on_state, role)
                )
        for entity_id in runtime.price_entities:
            routes.setdefault(entity_id, []).append(
                functools.partial(runtime._async_on_price, entity_id)
            )
        self.routes = routes
        # At start, as `_async_started` feeds the current states: vehicles skip
        # what their restored ledger has taken.
        current: dict[str, list[Callable[[State], None]]] = {}
        for vehicle in runtime.vehicles.values():
            for entity_id, role in vehicle.by_entity.items():
                current.setdefault(entity_id, []).append(
                    functools.partial(vehicle.async_on_current_state, role)
                )
        for site in runtime.sites.values():
            for entity_id, role in site.by_entity.items():
                current.setdefault(entity_id, []).append(
                    functools.partial(site.async_on_state, role)
                )
        for entity_id in runtime.price_entities:
            current.setdefault(entity_id, []).append(
                functools.partial(runtime._async_on_price, entity_id)
            )
        self.current = current
        return runtime

    def _feed(self, entity_id: str, state: State | None) -> None:
        for handler in self.routes.get(entity_id, ()):
            handler(cast("State", state))

    def fire(self, entity_id: str, state: State) -> None:
        """A state change of `entity_id` (Home Assistant sets it, then fires)."""
        self.hass.states.set(state)
        self._feed(entity_id, state)

    def tick(self, ts: float) -> None:
        """The runtime's minute tick at `ts` (`_async_tick`, without its repairs)."""
        now = datetime.fromtimestamp(ts, UTC)
        runtime = self.runtime
        for vehicle in runtime.vehicles.values():
            vehicle.async_tick(now)
        for site in runtime.sites.values():
            site.async_tick(now)
        runtime.prices.prune(ts - PRICE_RETAIN_S)

    def restart(self, *, current_states: bool = True) -> None:
        """Stop (snapshot saved, samples flushed) and start again.

        As after a restart of Home Assistant: the runtime is rebuilt from its
        snapshot (through JSON, as the store keeps it) and, as `_async_started`
        does, fed every mapped entity's current state first (`current_states`).
        """
        self.runtime.samples.flush()
        snapshot = json.loads(json.dumps(self.runtime.snapshot()))
        self.runtime = self._build(snapshot)
        self.restarts += 1
        if not current_states:
            return
        for entity_id, handlers in self.current.items():
            state = self.hass.states.get(entity_id)
            if state is not None:
                for handler in handlers:
                    handler(state)

    def finish(self) -> None:
        """Hand the last samples over."""
        self.runtime.samples.flush()


def run_live(
    entry: ConfigEntry[Any],
    data: Any,
    fired: Sequence[Fired],
    end: float,
    *,
    phase: float = 0.0,
    restarts: Iterable[int] = (),
    current_states: bool = True,
) -> Live:
    """Fire the states in order with the minute tick running; restart before some.

    Ticks fall on `phase` seconds past each minute (Home Assistant's interval timer
    runs from whenever it started); the first is due a minute after the first state.
    `current_states`: whether a restart feeds the current states again (see
    `Live.restart`).
    """
    live = Live(entry, data)
    restart_at = set(restarts)
    next_tick: float | None = None
    # The device registry has no devices here: events carry no device id.
    with patch(
        "custom_components.ev_ledger.vehicle_runtime.find_device", return_value=None
    ):
        for i, (ts, entity_id, state) in enumerate(fired):
            if next_tick is None:
                next_tick = _first_tick(ts, phase)
            while next_tick <= ts:
                live.tick(next_tick)
                next_tick += 60.0
            if i in restart_at:
                live.restart(current_states=current_states)
            live.fire(entity_id, state)
        while next_tick is not None and next_tick <= end:
            live.tick(next_tick)
            next_tick += 60.0
    live.finish()
    return live


def _first_tick(ts: float, phase: float) -> float:
    tick = (ts // 60.0) * 60.0 + phase
    while tick <= ts:
        tick += 60.0
    return tick


# Backfill: the recorder's history, chunk by chunk ----------------------------------


def backfill_states(
    entry: ConfigEntry[Any],
    tz: tzinfo,
    vehicle_ids: list[str],
    site_ids: list[str],
    fired: Sequence[Fired],
    start: float,
    end: float,
    chunk: float = backfill.CHUNK.total_seconds(),
) -> Replay:
    """Replay the states as a backfill of [start, end) reads them from the recorder.

    Each chunk gets what the history API returns (the states of each entity, in time
    order) and the recorder's `state_id`s (the order the states were fired in).
    """
    replay = Replay(entry, tz, vehicle_ids=vehicle_ids, site_ids=site_ids)
    wanted = replay.entity_ids
    state_ids = {(entity_id, ts): i for i, (ts, entity_id, _state) in enumerate(fired)}
    lo = start
    while lo < end:
        hi = min(lo + chunk, end)
        found: dict[str, list[State | dict[str, Any]]] = {e: [] for e in wanted}
        for ts, entity_id, state in sorted(fired, key=lambda f: f[0]):
            if lo <= ts < hi and entity_id in found:
                found[entity_id].append(state)
        states = backfill.merge_chunk(found, wanted, lo, state_ids)
        replay.feed_states(states)
        lo = hi
    replay.finish(end)
    return replay


# Recompute: samples through the database -------------------------------------------


def store_samples(config: DbConfig, samples: Iterable[Sample]) -> None:
    """Replace every stored sample by `samples` (the writer's statement)."""
    engine = make_engine(config, pooled=False)
    try:
        with engine.begin() as conn:
            conn.execute(delete(SampleTable))
            rows = [sample_row(sample) for sample in samples]
            if rows:
                write_batch(conn, [("samples", rows)])
    finally:
        engine.dispose()


def recompute_samples(
    entry: ConfigEntry[Any],
    tz: tzinfo,
    config: DbConfig,
    vehicle_id: str,
    sources: list[str],
    start: float,
    end: float,
    prices: Sequence[Fired] = (),
) -> ReplayOutput:
    """Replay the stored samples of [start, end) as the recompute action does."""
    replay = Replay(entry, tz, vehicle_ids=[vehicle_id], keep_samples=False)
    replay.seed_prices(
        [(ts, e, s) for ts, e, s in prices if e in replay.price_entities], PriceBook()
    )
    reader = Reader(config)
    try:
        recompute.replay_samples(
            replay,
            reader,
            sources,
            datetime.fromtimestamp(start, UTC),
            datetime.fromtimestamp(end, UTC),
            end,
        )
    finally:
        reader.close()
    return replay.take()


# Records as stored ------------------------------------------------------------------


def _column_value(table: Table, key: str, value: Any) -> Any:
    if value is None or key not in table.columns:
        return value
    kind = table.columns[key].type
    if isinstance(kind, UTCDateTime):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(kind, Amount):
        return Decimal(value).quantize(Decimal(1).scaleb(-kind.scale))
    if isinstance(kind, Date):
        return value
    return value


def stored(row: WireRow, *, places: bool = True) -> dict[str, Any]:
    """A session's or trip's wire row as the database keeps it (no source).

    Args:
        row: The wire row (`session_row` or `trip_row`).
        places: False leaves coordinates out (samples keep zones only).
    """
    table = SESSION_TABLE if "energy_method" in row and "status" in row else TRIP_TABLE
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key == "source":
            continue
        if not places and key.endswith(("latitude", "longitude")):
            continue
        if key == "windows":
            out[key] = [
                {k: _column_value(WINDOW_TABLE, k, v) for k, v in window.items()}
                for window in value
            ]
        elif key == "flags":
            out[key] = sorted(set(value) - {Flag.RESTORED.value})
        else:
            out[key] = _column_value(table, key, value)
    return out


def completed_sessions(rows: Iterable[WireRow]) -> list[WireRow]:
    """The sessions a path completed, in time order (open ones are left out)."""
    done = [r for r in rows if r["status"] != SessionStatus.IN_PROGRESS.value]
    return sorted(done, key=lambda r: (r["started_at"], r["id"]))


def records_of(out: ReplayOutput) -> tuple[list[WireRow], list[WireRow]]:
    """Sessions and trips a replay derived, as wire rows."""
    return (
        completed_sessions(session_row(s, "replay") for s in out.sessions),
        sorted(
            (trip_row(t, "replay") for t in out.trips),
            key=lambda r: (r["started_at"], r["id"]),
        ),
    )


def live_records(live: Live) -> tuple[list[WireRow], list[WireRow]]:
    """Sessions and trips the live runtime wrote."""
    return (
        completed_sessions(live.writer.sessions.values()),
        sorted(live.writer.trips.values(), key=lambda r: (r["started_at"], r["id"])),
    )


def as_stored(
    records: tuple[list[WireRow], list[WireRow]], *, places: bool = True
) -> dict[str, list[dict[str, Any]]]:
    """Both kinds of records as stored, for comparison."""
    sessions, trips = records
    return {
        "sessions": [stored(r, places=places) for r in sessions],
        "trips": [stored(r, places=places) for r in trips],
    }


def differences(
    want: dict[str, list[dict[str, Any]]], got: dict[str, list[dict[str, Any]]]
) -> dict[str, dict[str, int]]:
    """Per kind: records added, changed and removed going from `want` to `got`."""
    out: dict[str, dict[str, int]] = {}
    for kind in ("sessions", "trips"):
        before = {r["id"]: r for r in want[kind]}
        after = {r["id"]: r for r in got[kind]}
        out[kind] = {
            "added": len(after.keys() - before.keys()),
            "changed": sum(
                1 for key in before.keys() & after.keys() if before[key] != after[key]
            ),
            "removed": len(before.keys() - after.keys()),
        }
    return out


def field_diff(
    want: dict[str, list[dict[str, Any]]], got: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """What differs, record by record and field by field (empty: nothing)."""
    out: dict[str, Any] = {}
    for kind in ("sessions", "trips"):
        before = {r["id"]: r for r in want[kind]}
        after = {r["id"]: r for r in got[kind]}
        for key in before.keys() | after.keys():
            a, b = before.get(key), after.get(key)
            if a is None or b is None:
                record = a or b
                assert record is not None
                out[f"{kind} {key}"] = (
                    "only in want" if b is None else "only in got",
                    record["started_at"],
                )
            elif a != b:
                out[f"{kind} {key}"] = {
                    k: (a.get(k), b.get(k))
                    for k in a.keys() | b.keys()
                    if a.get(k) != b.get(k)
                }
    return out


def site_days(days: Iterable[SiteDaily]) -> list[WireRow]:
    """Daily summaries as stored: the last of each site and day wins."""
    latest = {(day.site_id, day.day): site_daily_row(day) for day in days}
    return [latest[key] for key in sorted(latest)]
