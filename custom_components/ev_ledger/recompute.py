"""Recompute: re-derive a vehicle's sessions and trips from the ledger's own samples.

After a tariff or threshold change, `ev_ledger.recompute` replays the stored samples of
a vehicle (and of every energy site, for the solar split) through fresh ledgers built
from the current configuration, and compares what they derive with what is stored for
records that started in the range:

- a derived record that is not stored is added (source `recompute`);
- a stored record derived again with other figures is rewritten (its source kept);
- a stored record no longer derived is deleted (soft), unless the user corrected it
  (cost, location or notes): then it is kept and counted as such.

The writer never touches the override columns, so manual corrections survive, and
manual sessions (`add_session`) are never touched. The samples start a day before the
range so that a record starting early in it is seen whole; records that start outside
the range, and the session the live ledger has open, are left alone. Tariffs never
rewrite history by themselves: only this action does.

Samples are replayed in the order live took them (`Reader.samples_of`: time, then the
order within an instant), so unchanged settings give live's records again. A location
sample keeps its zone and, since migration 0004, its coordinates; samples recorded
without them give a record that carries its zone only.

Samples older than the retention window are folded into five-minute buckets (`db.retention`) and
cannot be replayed: a range reaching back there is clamped to start a margin after the
folded buckets (the response says `requested_start`, `start` and `raw_samples_from`),
so the records before are never touched.

Dynamic prices (a price entity) come from the recorder's history of the price entities
and from the live ledger's price book (its last 7 days). A session that would have
energy without a known price where the stored one had none (its prices are older than
both) is left as it is and counted as `kept_unpriced`: a recompute never turns a known
cost into an unknown one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util

from . import backfill, statistics
from .chargers import charger_zones
from .logic.model import ChargingSession, SessionStatus, Trip
from .replay import Replay

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .db import Reader
    from .runtime import EvLedgerRuntime
    from .vehicle_runtime import VehicleRuntime

SOURCE: Final = "recompute"
MARGIN: Final = timedelta(days=1)
# Samples are read a week at a time: memory stays bounded over a long range.
SAMPLE_CHUNK: Final = timedelta(days=7)
_MONEY: Final = Decimal("0.0001")
_ENERGY: Final = Decimal("0.0001")
_ZERO: Final = Decimal(0)


@dataclass(slots=True)
class Changes:
    """What a recompute did to one kind of record."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    kept_corrected: int = 0
    ids: dict[str, list[str]] = field(
        default_factory=lambda: {"added": [], "changed": [], "removed": []}
    )

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe."""
        return {
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "kept_corrected": self.kept_corrected,
            "ids": self.ids,
        }


def _q(value: Any, step: Decimal) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(step)


def _ts(value: datetime | None) -> int | None:
    return None if value is None else round(value.timestamp())


def _session_key(session: ChargingSession) -> tuple[Any, ...]:
    cost = session.cost
    return (
        session.status.value,
        round(session.started_at),
        None if session.ended_at is None else round(session.ended_at),
        _q(session.energy_kwh, _ENERGY),
        None if cost is None else _q(cost.total, _MONEY),
        None if cost is None else cost.currency,
        _q(session.solar.solar_kwh, _ENERGY) if session.solar is not None else None,
        session.place.zone if session.place is not None else None,
    )


def _stored_session_key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (
        row["status"],
        _ts(row["started_at"]),
        _ts(row["ended_at"]),
        _q(row["energy_kwh"], _ENERGY),
        _q(row["cost_without_overrides"], _MONEY),
        row["currency"] if row["cost_without_overrides"] is not None else None,
        _q(row["solar_kwh"], _ENERGY),
        row["zone"],
    )


def _trip_key(trip: Trip) -> tuple[Any, ...]:
    return (
        round(trip.started_at),
        round(trip.ended_at),
        _q(trip.distance_km, Decimal("0.001")),
        _q(trip.energy_kwh, _ENERGY),
    )


def _stored_trip_key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (
        _ts(row["started_at"]),
        _ts(row["ended_at"]),
        _q(row["distance_km"], Decimal("0.001")),
        _q(row["energy_kwh"], _ENERGY),
    )


def _lost_prices(row: dict[str, Any], session: ChargingSession) -> bool:
    """Whether the session re-derived has energy without a price the stored had."""
    if session.cost is None or row["cost_without_overrides"] is None:
        return False
    stored = _q(row.get("unpriced_kwh"), _ENERGY) or _ZERO
    return (_q(session.cost.unpriced_kwh, _ENERGY) or _ZERO) > stored


def _corrected(row: dict[str, Any]) -> bool:
    return any(
        row.get(column) is not None
        for column in ("cost_override", "location_override", "notes")
    )


def _effective(row: dict[str, Any] | None, session: ChargingSession | None) -> Decimal:
    """The cost a user sees: their correction, else the engine's."""
    if row is not None and row.get("cost_override") is not None:
        return Decimal(str(row["cost_override"]))
    if session is not None:
        return session.cost.total if session.cost is not None else _ZERO
    if row is not None and row.get("cost_without_overrides") is not None:
        return Decimal(str(row["cost_without_overrides"]))
    return _ZERO


def replay_samples(
    replay: Replay,
    reader: Reader,
    sources: list[str],
    start: datetime,
    end: datetime,
    now: float,
) -> int:
    """Feed the stored samples of [start - MARGIN, end) a week at a time (executor).

    Time passes until `end` (or `now`, if earlier); returns how many samples were read.
    """
    count = 0
    chunk_start = start - MARGIN
    while chunk_start < end:
        chunk_end = min(chunk_start + SAMPLE_CHUNK, end)
        samples = reader.samples_of(sources, chunk_start, chunk_end)
        replay.feed_samples(samples)
        count += len(samples)
        chunk_start = chunk_end
    replay.finish(min(end.timestamp(), now))
    return count


async def async_recompute(
    hass: HomeAssistant,
    runtime: EvLedgerRuntime,
    vehicle: VehicleRuntime,
    start: datetime,
    end: datetime,
) -> dict[str, Any]:
    """Re-derive the vehicle's records that started in [start, end); report changes."""
    entry = hass.config_entries.async_get_entry(runtime.entry_id)
    assert entry is not None
    replay = Replay(
        entry,
        dt_util.get_default_time_zone(),
        chargers=charger_zones(hass, entry),
        vehicle_ids=[vehicle.subentry_id],
        keep_samples=False,
    )
    prices = sorted(replay.price_entities)
    price_states: backfill.Chunk = []
    if prices and backfill.recorder_loaded(hass):
        price_states = await get_instance(hass).async_add_executor_job(
            lambda: backfill.read_chunk(hass, prices, start - MARGIN, end, first=True)
        )
    replay.seed_prices(price_states, runtime.prices)
    await runtime.async_flush()
    reader = runtime.reader
    sources = [vehicle.subentry_id, *runtime.sites]
    # Raw samples folded by the retention job cannot be replayed: only records that
    # start a margin after the folded buckets are re-derived; older ones stay.
    requested = start
    folded_until = await hass.async_add_executor_job(reader.folded_until, sources)
    if folded_until is not None and start - MARGIN < folded_until:
        start = min(folded_until + MARGIN, end)
    t0, t1 = start.timestamp(), end.timestamp()

    def derive() -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
        count = replay_samples(
            replay, reader, sources, start, end, dt_util.utcnow().timestamp()
        )
        return (
            reader.ledger_records("sessions", vehicle.subentry_id, start, end),
            reader.ledger_records("trips", vehicle.subentry_id, start, end),
            count,
        )

    stored_sessions, stored_trips, samples = await hass.async_add_executor_job(derive)
    out = replay.take()
    live = vehicle.ledger.session
    open_id = live.record_id if live is not None else None
    sessions = [s for s in out.sessions if t0 <= s.started_at < t1 and s.id != open_id]
    trips = [t for t in out.trips if t0 <= t.started_at < t1]
    writer = runtime.writer
    currency = vehicle.currency

    # Sessions ------------------------------------------------------------------
    session_changes = Changes()
    kept_unpriced = 0
    cost_delta = _ZERO
    stored = {
        str(row["id"]): row
        for row in stored_sessions
        if row["source"] != "manual"
        and row["status"] != SessionStatus.IN_PROGRESS.value
        and str(row["id"]) != open_id
    }
    published: list[ChargingSession] = []
    for session in sessions:
        row = stored.pop(session.id, None)
        if row is not None and row["deleted_at"] is not None:
            continue  # deleted by the user: stays deleted
        if row is not None and _stored_session_key(row) == _session_key(session):
            session_changes.unchanged += 1
            continue
        if row is not None and _lost_prices(row, session):
            kept_unpriced += 1
            continue
        writer.enqueue_session(
            session, source=row["source"] if row is not None else SOURCE
        )
        published.append(session)
        kind = "changed" if row is not None else "added"
        setattr(session_changes, kind, getattr(session_changes, kind) + 1)
        session_changes.ids[kind].append(session.id)
        if session.cost is None or session.cost.currency == currency:
            cost_delta += _effective(row, session) - (
                _effective(row, None) if row is not None else _ZERO
            )
    removed: list[str] = []
    for session_id, row in stored.items():
        if row["deleted_at"] is not None:
            continue
        if _corrected(row):
            session_changes.kept_corrected += 1
            continue
        writer.delete_session(session_id)
        removed.append(session_id)
        session_changes.removed += 1
        session_changes.ids["removed"].append(session_id)
        if row["currency"] in (None, currency):
            cost_delta -= _effective(row, None)

    # Trips ---------------------------------------------------------------------
    trip_changes = Changes()
    stored_t = {str(row["id"]): row for row in stored_trips}
    for trip in trips:
        row = stored_t.pop(trip.id, None)
        if row is not None and row["deleted_at"] is not None:
            continue
        if row is not None and _stored_trip_key(row) == _trip_key(trip):
            trip_changes.unchanged += 1
            continue
        writer.enqueue_trip(trip, source=row["source"] if row is not None else SOURCE)
        kind = "changed" if row is not None else "added"
        setattr(trip_changes, kind, getattr(trip_changes, kind) + 1)
        trip_changes.ids[kind].append(trip.id)
    for trip_id, row in stored_t.items():
        if row["deleted_at"] is not None:
            continue
        if row.get("notes") is not None:
            trip_changes.kept_corrected += 1
            continue
        writer.delete_trip(trip_id)
        trip_changes.removed += 1
        trip_changes.ids["removed"].append(trip_id)

    await runtime.async_flush()
    if published:
        await statistics.async_publish_sessions(hass, vehicle, published)
    if removed:
        await statistics.async_forget_sessions(hass, vehicle, removed)
    await runtime.async_refresh_totals()
    return {
        "vehicle": vehicle.name,
        "start": start.astimezone(UTC).isoformat(),
        "end": end.astimezone(UTC).isoformat(),
        "requested_start": requested.astimezone(UTC).isoformat(),
        "raw_samples_from": (
            None if folded_until is None else folded_until.astimezone(UTC).isoformat()
        ),
        "samples": samples,
        "sessions": {**session_changes.as_dict(), "kept_unpriced": kept_unpriced},
        "trips": trip_changes.as_dict(),
        "cost_delta": str(cost_delta.quantize(_MONEY)),
        "currency": currency,
    }
