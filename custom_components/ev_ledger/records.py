"""Records as JSON-safe dicts for bus events and service responses.

Times become ISO 8601 strings (UTC), Decimals strings (exact), enums their values, flag
sets sorted lists. Per-minute energy maps are internal to pricing and left out: they
would bloat every recorded event.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from .logic.model import ChargingSession, Cost, Place, SolarSplit, Trip, to_datetime

_SESSION_TIMES = ("plugged_at", "started_at", "ended_at", "unplugged_at")
_TRIP_TIMES = ("started_at", "ended_at")
_INTERNAL = frozenset({"energy_by_minute", "solar_by_minute", "battery_by_minute"})


def json_value(value: Any) -> Any:
    """One value in JSON-safe form."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Place):
        return {
            "zone": value.zone,
            "latitude": value.latitude,
            "longitude": value.longitude,
        }
    if isinstance(value, set | frozenset):
        return sorted(json_value(v) for v in value)
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, Cost | SolarSplit):
        return _fields(value)
    return str(value)


def _fields(obj: Any, times: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in obj.__slots__:
        if name in _INTERNAL:
            continue
        value = getattr(obj, name)
        if name in times and isinstance(value, float):
            out[name] = to_datetime(value).isoformat()
        else:
            out[name] = json_value(value)
    return out


def session_dict(session: ChargingSession) -> dict[str, Any]:
    """A charging session, whole (except per-minute maps), JSON-safe."""
    data = _fields(session, _SESSION_TIMES)
    data["windows"] = [
        {
            "started_at": to_datetime(w.started_at).isoformat(),
            "ended_at": to_datetime(w.ended_at).isoformat(),
            "energy_kwh": str(w.energy_kwh),
        }
        for w in session.windows
    ]
    if session.solar is not None:
        data["solar_share"] = json_value(session.solar.solar_share)
    return data


def trip_dict(trip: Trip) -> dict[str, Any]:
    """A trip, whole, JSON-safe."""
    return _fields(trip, _TRIP_TIMES)


def row_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    """A database row (from `Reader`), JSON-safe."""
    return {key: json_value(value) for key, value in row.items()}
