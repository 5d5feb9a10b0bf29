"""Engine records to rows, in a JSON-safe "wire" form the journal can store as is.

Wire rows are dicts keyed by column name holding only JSON values: Decimals as strings,
times as float epoch seconds (the engine's own form), ids as strings. `to_params`
turns a wire row into bind parameters for its table (Decimal, aware UTC datetime, UUID),
on the writer thread, so the event loop only pays for a snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple
import uuid

from sqlalchemy import Date, Table, Uuid

from .models import ChargingSession as SessionRow, ChargingWindow, Trip as TripRow
from .types import Amount, UTCDateTime

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from custom_components.ev_ledger.logic.model import ChargingSession, Place, Trip

# Ids that are not UUIDs (for example Home Assistant subentry ULIDs) map to uuid5 in
# this namespace, so the same key always gives the same row id.
NAMESPACE = uuid.UUID("6f1c6a3e-5d0b-4d57-9a57-1f0c2e6b9c11")

type WireRow = dict[str, Any]

SESSION_EXTRA_COLUMNS = frozenset(
    {"location_name", "location_type", "address", "network", "is_free"}
)


class Sample(NamedTuple):
    """One raw measurement for the `samples` table.

    Attributes:
        source_id: Vehicle or energy-site key (UUID string or any stable key).
        role: What was measured (a `Role` value).
        ts: Epoch seconds, UTC.
        value: Numeric value in canonical units (None for text-only states).
        text: Textual state (charging state, shift state, zone), if any.
        seq: Among the samples of one ledger sharing `ts`, the order in which they
            were taken (0 for the first): a replay of the samples takes them in the
            order live did.
        latitude: A location's coordinates, if it had any (its zone is `text`).
        longitude: See `latitude`.
    """

    source_id: str
    role: str
    ts: float
    value: float | None
    text: str | None = None
    seq: int = 0
    latitude: float | None = None
    longitude: float | None = None


@dataclass(slots=True, kw_only=True, frozen=True)
class SiteDaily:
    """One day of an energy site's flows, in kWh (None when unknown)."""

    site_id: str
    day: date
    produced_kwh: Decimal | None = None
    solar_to_home_kwh: Decimal | None = None
    solar_to_battery_kwh: Decimal | None = None
    solar_to_grid_kwh: Decimal | None = None
    battery_to_home_kwh: Decimal | None = None
    grid_imported_kwh: Decimal | None = None
    grid_exported_kwh: Decimal | None = None
    home_consumed_kwh: Decimal | None = None
    ev_charged_kwh: Decimal | None = None
    self_consumption_pct: Decimal | None = None


@lru_cache(maxsize=4096)
def zone_key(name: str | None) -> str | None:
    """Key of an HA zone, as logic.tariff.normalize_zone: "zone.home" is "Home".

    Stored beside a session's effective location and a trip's zones (migration 0008)
    so a location filter is an indexed equality in SQL. None for no place or a name
    with nothing in it.
    """
    if name is None:
        return None
    key = name.strip().casefold().removeprefix("zone.")
    return "_".join(key.replace("-", " ").split()) or None


def entity_uuid(key: str) -> uuid.UUID:
    """Return the row id of a vehicle, site, session or trip key.

    A UUID string is used as is; any other key maps to a stable uuid5.
    """
    try:
        return uuid.UUID(key)
    except ValueError:
        return uuid.uuid5(NAMESPACE, key)


def _num(value: Decimal | float | None) -> str | None:
    if value is None:
        return None
    return str(value) if isinstance(value, Decimal) else repr(float(value))


def _place(place: Place | None, prefix: str) -> WireRow:
    if place is None:
        return {
            f"{prefix}zone": None,
            f"{prefix}latitude": None,
            f"{prefix}longitude": None,
        }
    return {
        f"{prefix}zone": place.zone,
        f"{prefix}latitude": _num(place.latitude),
        f"{prefix}longitude": _num(place.longitude),
    }


def session_row(
    session: ChargingSession, source: str, extra: Mapping[str, Any] | None = None
) -> WireRow:
    """Snapshot an engine session as a wire row (windows under "windows").

    Args:
        session: The engine's record.
        source: live, backfill, recompute, manual or import.
        extra: Optional location details the engine does not know
            (see `SESSION_EXTRA_COLUMNS`).
    """
    cost = session.cost
    solar = session.solar
    place = _place(session.place, "")
    row: WireRow = {
        "id": str(entity_uuid(session.id)),
        "vehicle_id": str(entity_uuid(session.vehicle_id)),
        "status": session.status.value,
        "source": source,
        "charge_type": session.charge_type.value if session.charge_type else None,
        "location_name": place["zone"],
        "zone": place["zone"],
        "latitude": place["latitude"],
        "longitude": place["longitude"],
        "place_source": session.place_source.value if session.place_source else None,
        "voltage_avg": _num(session.avg_voltage),
        "current_avg": _num(session.avg_current),
        "power_avg_kw": _num(session.avg_power_kw),
        "power_max_kw": _num(session.max_power_kw),
        "power_min_kw": _num(session.min_power_kw),
        "plugged_in_at": session.plugged_at,
        "started_at": session.started_at,
        "ended_at": session.ended_at,
        "unplugged_at": session.unplugged_at,
        "charging_seconds": _num(session.charging_seconds),
        "plugged_seconds": _num(session.plugged_seconds),
        "start_level": _num(session.start_level),
        "end_level": _num(session.end_level),
        "energy_kwh": _num(session.energy_kwh),
        "wall_energy_kwh": _num(session.wall_energy_kwh),
        "loss_kwh": _num(session.loss_kwh),
        "range_added_km": _num(session.range_added_km),
        "outside_temp_c": _num(session.outside_temp_c),
        "energy_method": session.energy_method.value,
        "cost_without_overrides": _num(cost.total) if cost else None,
        "estimated_cost": (
            _num(cost.total) if cost and session.status == "in_progress" else None
        ),
        "currency": cost.currency if cost else None,
        "cost_source": cost.source.value if cost else None,
        "is_free": (cost.source == "free") if cost else None,
        "energy_cost": _num(cost.energy_cost) if cost else None,
        "time_cost": _num(cost.time_cost) if cost else None,
        "session_fee": _num(cost.session_fee) if cost else None,
        "idle_fee": _num(cost.idle_fee) if cost else None,
        "solar_value": _num(cost.solar_value) if cost else None,
        "unpriced_kwh": _num(cost.unpriced_kwh) if cost else None,
        "price_gap": session.price_gap.value if session.price_gap else None,
        "tariff": dict(cost.tariff) if cost else None,
        "solar_kwh": _num(solar.solar_kwh) if solar else None,
        "battery_kwh": _num(solar.battery_kwh) if solar else None,
        "grid_kwh": _num(solar.grid_kwh) if solar else None,
        "unattributed_kwh": _num(solar.unattributed_kwh) if solar else None,
        "solar_share": _num(solar.solar_share) if solar else None,
        "flags": sorted(flag.value for flag in session.flags),
        "windows": [
            {
                "started_at": window.started_at,
                "ended_at": window.ended_at,
                "energy_kwh": _num(window.energy_kwh),
            }
            for window in session.windows
        ],
    }
    if extra:
        unknown = set(extra) - SESSION_EXTRA_COLUMNS
        if unknown:
            raise ValueError(f"unknown session columns: {sorted(unknown)}")
        row.update(extra)
    return row


def trip_row(trip: Trip, source: str) -> WireRow:
    """Snapshot an engine trip as a wire row."""
    return {
        "id": str(entity_uuid(trip.id)),
        "vehicle_id": str(entity_uuid(trip.vehicle_id)),
        "source": source,
        "started_at": trip.started_at,
        "ended_at": trip.ended_at,
        "duration_seconds": _num(trip.duration_s),
        "distance_km": _num(trip.distance_km),
        "distance_method": trip.distance_method.value,
        "energy_kwh": _num(trip.energy_kwh),
        "energy_method": trip.energy_method.value if trip.energy_method else None,
        "efficiency_wh_km": _num(trip.efficiency_wh_km),
        "avg_speed_kmh": _num(trip.avg_speed_kmh),
        "max_speed_kmh": _num(trip.max_speed_kmh),
        **_place(trip.start_place, "start_"),
        **_place(trip.end_place, "end_"),
        "start_odometer_km": _num(trip.start_odometer_km),
        "end_odometer_km": _num(trip.end_odometer_km),
        "start_level": _num(trip.start_level),
        "end_level": _num(trip.end_level),
        "avg_outside_temp_c": _num(trip.avg_outside_temp_c),
        "flags": sorted(flag.value for flag in trip.flags),
    }


def site_daily_row(daily: SiteDaily) -> WireRow:
    """Snapshot a daily energy-site summary as a wire row."""
    row: WireRow = {
        "site_id": str(entity_uuid(daily.site_id)),
        "day": daily.day.isoformat(),
    }
    for name in SiteDaily.__dataclass_fields__:
        if name not in row:
            row[name] = _num(getattr(daily, name))
    return row


def sample_row(sample: Sample | tuple[Any, ...]) -> list[Any]:
    """Return a sample as a JSON list [source uuid, role, ts, value, text, ...].

    Then, only when they are set: the sequence number, and a location's latitude
    and longitude (journals written before they existed hold five items).
    """
    text = sample[4] if len(sample) > 4 else None
    seq = int(sample[5]) if len(sample) > 5 else 0
    latitude = sample[6] if len(sample) > 6 else None
    longitude = sample[7] if len(sample) > 7 else None
    value = sample[3]
    row = [
        str(entity_uuid(sample[0])),
        str(sample[1]),
        float(sample[2]),
        None if value is None else float(value),
        text,
    ]
    if latitude is not None or longitude is not None:
        row += [seq, _coordinate(latitude), _coordinate(longitude)]
    elif seq:
        row.append(seq)
    return row


def _coordinate(value: Any) -> float | None:
    return None if value is None else float(value)


def _to_datetime(value: Any) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def _converters(table: Table) -> dict[str, Callable[[Any], Any]]:
    converters: dict[str, Callable[[Any], Any]] = {}
    for column in table.columns:
        kind = column.type
        if isinstance(kind, UTCDateTime):
            converters[column.name] = _to_datetime
        elif isinstance(kind, Amount):
            converters[column.name] = Decimal
        elif isinstance(kind, Uuid):
            converters[column.name] = uuid.UUID
        elif isinstance(kind, Date):
            converters[column.name] = date.fromisoformat
    return converters


@lru_cache(maxsize=16)
def _table_converters(table: Table) -> dict[str, Callable[[Any], Any]]:
    return _converters(table)


def to_params(table: Table, row: Mapping[str, Any]) -> dict[str, Any]:
    """Turn a wire row into bind parameters for `table` (unknown keys are dropped)."""
    converters = _table_converters(table)
    columns = table.columns
    params: dict[str, Any] = {}
    for key, value in row.items():
        if key not in columns:
            continue
        convert = converters.get(key)
        params[key] = value if value is None or convert is None else convert(value)
    return params


SESSION_TABLE: Table = SessionRow.__table__  # type: ignore[assignment]
WINDOW_TABLE: Table = ChargingWindow.__table__  # type: ignore[assignment]
TRIP_TABLE: Table = TripRow.__table__  # type: ignore[assignment]
