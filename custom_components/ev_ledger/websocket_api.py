"""The websocket API the panel and the card read the ledger through (issue 13).

Commands (Home Assistant's authentication; edits for administrators only):

- `ev_ledger/sessions`, `ev_ledger/trips`: a page of records, newest first, filtered
  by vehicle, period, location (a zone) and flags (any of), sorted by start, energy,
  cost or distance either way, paged by `cursor` (`next_cursor`) or `offset`
  (`total`, `has_more`);
- `ev_ledger/session`: one session with its charging windows and the samples for its
  charging curve (power, battery level);
- `ev_ledger/trip`: one trip with its route (the location samples with coordinates);
- `ev_ledger/summary`: totals per local month (sessions, energy, solar, cost, trips,
  distance), per location and per energy source (solar, home battery, grid) of a
  vehicle or of the whole ledger, over a period;
- `ev_ledger/session/update`, `ev_ledger/session/delete`: a correction or deletion,
  through the same validation and logic as the actions.

Queries run in the executor, on the indexed paths the actions use.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Final, Literal

from homeassistant.components.websocket_api import async_register_command
from homeassistant.components.websocket_api.decorators import (
    async_response,
    require_admin,
    websocket_command,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.util import dt as dt_util
from sqlalchemy.exc import SQLAlchemyError
import voluptuous as vol

from .const import DOMAIN
from .db import DbError, WriterStoppedError, entity_uuid
from .db.queries import SORTS, BadCursor, Breakdown, check_cursor
from .logbook import place_name
from .logic.model import Flag, Role
from .records import json_value, row_dict
from .services import check_input, page_response

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.components.websocket_api.connection import ActiveConnection

    from .db import Reader, Sample
    from .db.queries import Totals
    from .runtime import EvLedgerRuntime

MAX_PAGE: Final = 200
# Roles drawn in a session's charging curve.
CURVE_ROLES: Final = [Role.CHARGER_POWER.value, Role.BATTERY_LEVEL.value]
# Samples of a curve are read around the session by this much.
CURVE_MARGIN: Final = timedelta(minutes=5)
# Points sent per role of a curve and per route: more than a chart can show.
MAX_CURVE_POINTS: Final = 1000
MAX_ROUTE_POINTS: Final = 2000

MAX_CURSOR: Final = 1000
# The filters checked as the actions check theirs.
_FILTERS: Final = ("vehicle", "location", "start", "end")


def _count(value: Any) -> int:
    """A whole number as JSON sends it (`true` is not one, though Python's bool is)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise vol.Invalid("expected a whole number")


def _amount(value: Any) -> float | int | str:
    """A number as JSON sends it, or its text (`true` is not one)."""
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        return value
    raise vol.Invalid("expected a number")


_LIST: dict[vol.Marker | str, Any] = {
    vol.Required("entry_id"): cv.string,
    vol.Optional("vehicle"): cv.string,
    vol.Optional("start"): cv.datetime,
    vol.Optional("end"): cv.datetime,
    vol.Optional("location"): vol.All(cv.string, vol.Length(max=200)),
    vol.Optional("flags"): vol.All(
        cv.ensure_list, [vol.In([flag.value for flag in Flag])]
    ),
    vol.Optional("order", default="desc"): vol.In(["asc", "desc"]),
    vol.Optional("cursor"): vol.All(cv.string, vol.Length(max=MAX_CURSOR)),
    vol.Optional("offset", default=0): vol.All(_count, vol.Range(min=0, max=10**7)),
    vol.Optional("limit", default=50): vol.All(_count, vol.Range(min=1, max=MAX_PAGE)),
}


@callback
def async_register(hass: HomeAssistant) -> None:
    """Register the commands (once, with the actions)."""
    for command in (
        ws_sessions,
        ws_trips,
        ws_session,
        ws_trip,
        ws_summary,
        ws_update_session,
        ws_delete_session,
    ):
        async_register_command(hass, command)


def _runtime(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> EvLedgerRuntime | None:
    """The loaded entry's runtime, or None after sending the error."""
    entry = hass.config_entries.async_get_entry(msg["entry_id"])
    if entry is None or entry.domain != DOMAIN:
        connection.send_error(msg["id"], "not_found", "No such EV Ledger entry")
        return None
    if entry.state is not ConfigEntryState.LOADED:
        connection.send_error(
            msg["id"], "not_loaded", "The EV Ledger entry is not loaded"
        )
        return None
    runtime: EvLedgerRuntime = entry.runtime_data
    return runtime


def _vehicle(
    runtime: EvLedgerRuntime,
    connection: ActiveConnection,
    msg: dict[str, Any],
) -> tuple[bool, str | None]:
    """The optional vehicle filter (subentry id); (False, None) after an error."""
    vehicle = msg.get("vehicle")
    if vehicle is None:
        return True, None
    if vehicle in runtime.vehicles:
        return True, vehicle
    device = dr.async_get(runtime.hass).async_get(vehicle)
    if device is not None:
        for domain, identifier in device.identifiers:
            if domain == DOMAIN and identifier in runtime.vehicles:
                return True, identifier
    connection.send_error(msg["id"], "not_found", "No such vehicle in this ledger")
    return False, None


def _checked(connection: ActiveConnection, msg: dict[str, Any]) -> bool:
    """Whether the filters are what the ledger can hold; False after the error.

    As the actions: a year such as 1 or 9999 overflows on the way to UTC, and a
    NUL character is refused by PostgreSQL (the answer was a database error).
    """
    try:
        check_input({key: msg[key] for key in _FILTERS if key in msg})
    except ServiceValidationError as err:
        _send_refusal(connection, msg, "invalid_format", err)
        return False
    return True


def _period(
    connection: ActiveConnection, msg: dict[str, Any]
) -> tuple[bool, datetime | None, datetime | None]:
    start = msg.get("start")
    end = msg.get("end")
    start = dt_util.as_utc(start) if start else None
    end = dt_util.as_utc(end) if end else None
    if start is not None and end is not None and end <= start:
        connection.send_error(
            msg["id"], "invalid_format", "The end is not after the start"
        )
        return False, None, None
    return True, start, end


def _send_refusal(
    connection: ActiveConnection,
    msg: dict[str, Any],
    code: str,
    err: HomeAssistantError,
) -> None:
    """Send a translated refusal as a websocket error."""
    connection.send_error(
        msg["id"],
        code,
        str(err),
        translation_key=err.translation_key,
        translation_domain=err.translation_domain,
        translation_placeholders=err.translation_placeholders,
    )


async def _read[T](
    hass: HomeAssistant,
    connection: ActiveConnection,
    msg: dict[str, Any],
    runtime: EvLedgerRuntime,
    job: Callable[[], T],
) -> tuple[bool, T | None]:
    """Flush, then run `job` in the executor; (False, None) after a database error."""
    try:
        await runtime.async_flush()
        return True, await hass.async_add_executor_job(job)
    except (SQLAlchemyError, DbError, ValueError) as err:
        connection.send_error(
            msg["id"], "database_error", runtime.db_config.redact(str(err))
        )
    except WriterStoppedError as err:
        # Home Assistant is stopping: the ledger is closed.
        stopped = HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="writer_stopped",
            translation_placeholders={"error": str(err)},
        )
        _send_refusal(connection, msg, "writer_stopped", stopped)
    return False, None


async def _list(
    hass: HomeAssistant,
    connection: ActiveConnection,
    msg: dict[str, Any],
    kind: Literal["sessions", "trips"],
) -> None:
    runtime = _runtime(hass, connection, msg)
    if runtime is None or not _checked(connection, msg):
        return
    ok, vehicle = _vehicle(runtime, connection, msg)
    if not ok:
        return
    ok, start, end = _period(connection, msg)
    if not ok:
        return
    descending = msg["order"] == "desc"
    cursor = msg.get("cursor")
    if cursor is not None:
        try:
            check_cursor(kind, msg["sort"], descending, cursor)
        except BadCursor as err:
            connection.send_error(msg["id"], "invalid_format", str(err))
            return
    reader = runtime.reader
    method = reader.list_sessions if kind == "sessions" else reader.list_trips
    ok, page = await _read(
        hass,
        connection,
        msg,
        runtime,
        partial(
            method,
            vehicle=vehicle,
            start=start,
            end=end,
            # An empty field (a cleared filter in a form) is no filter.
            location=msg.get("location") or None,
            flags=msg.get("flags") or None,
            sort=msg["sort"],
            descending=descending,
            cursor=cursor,
            offset=msg["offset"],
            limit=msg["limit"],
        ),
    )
    if not ok or page is None:
        return
    answer = page_response(kind, page)
    for item in answer[kind]:
        _name_places(hass, item, msg["entry_id"])
    connection.send_result(msg["id"], {**answer, "next_cursor": page.next_cursor})


def _name_places(hass: HomeAssistant, record: dict[str, Any], entry_id: str) -> None:
    """Add the names a record's places are shown by (as the logbook and sensors).

    A session's place: the user's correction as typed, else its location's
    configured name, else the zone's name in Home Assistant; a trip's start and end
    zones likewise.
    """

    def name(zone: Any) -> str | None:
        if not isinstance(zone, str):
            return None
        return place_name(hass, {"zone": zone}, entry_id)

    if "start_zone" in record or "end_zone" in record:
        record["start_place_name"] = name(record.get("start_zone"))
        record["end_place_name"] = name(record.get("end_zone"))
    else:
        record["place_name"] = record.get("location_override") or name(
            record.get("location_name") or record.get("zone")
        )


@websocket_command(
    {
        vol.Required("type"): "ev_ledger/sessions",
        **_LIST,
        vol.Optional("sort", default="started_at"): vol.In(SORTS["sessions"]),
    }
)
@async_response
async def ws_sessions(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """A page of charging sessions."""
    await _list(hass, connection, msg, "sessions")


@websocket_command(
    {
        vol.Required("type"): "ev_ledger/trips",
        **_LIST,
        vol.Optional("sort", default="started_at"): vol.In(SORTS["trips"]),
    }
)
@async_response
async def ws_trips(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """A page of trips."""
    await _list(hass, connection, msg, "trips")


@websocket_command(
    {
        vol.Required("type"): "ev_ledger/session",
        vol.Required("entry_id"): cv.string,
        vol.Required("session_id"): cv.string,
    }
)
@async_response
async def ws_session(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """One session, its windows and the samples of its charging curve."""
    await _one(hass, connection, msg, "session", msg["session_id"], "samples", _curve)


@websocket_command(
    {
        vol.Required("type"): "ev_ledger/trip",
        vol.Required("entry_id"): cv.string,
        vol.Required("trip_id"): cv.string,
    }
)
@async_response
async def ws_trip(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """One trip and its route (where coordinates were recorded)."""
    await _one(hass, connection, msg, "trip", msg["trip_id"], "route", _route)


def _curve(reader: Reader, source: str, session: dict[str, Any]) -> list[Any]:
    """The power and battery level samples around a session (its charging curve).

    At most MAX_CURVE_POINTS per role: a streaming car records a sample a second,
    and a long session would be sent whole to every browser that opens it.
    """
    started, ended = session["started_at"], session["ended_at"]
    if started is None:
        return []
    samples = reader.samples(
        source,
        started - CURVE_MARGIN,
        (ended or started) + CURVE_MARGIN,
        roles=CURVE_ROLES,
        folded=True,  # an old session's, from its five-minute buckets
    )
    kept = {
        id(sample)
        for role in CURVE_ROLES
        for sample in _thinned(
            [sample for sample in samples if sample.role == role], MAX_CURVE_POINTS
        )
    }
    return [
        {"ts": sample.ts, "role": sample.role, "value": json_value(sample.value)}
        for sample in samples
        if id(sample) in kept
    ]


def _thinned(samples: list[Sample], limit: int) -> list[Sample]:
    """At most `limit` samples in time order, the curve's shape kept.

    The first and the last, and in each of equal runs between them the lowest and
    the highest (a peak of power stays a peak).
    """
    if len(samples) <= limit:
        return samples
    inner, runs = samples[1:-1], (limit - 2) // 2
    kept = [samples[0]]
    for run in range(runs):
        chunk = inner[run * len(inner) // runs : (run + 1) * len(inner) // runs]
        if not chunk:
            continue
        low = min(range(len(chunk)), key=lambda i: _level(chunk[i]))
        high = max(range(len(chunk)), key=lambda i: _level(chunk[i]))
        kept.extend(chunk[i] for i in sorted({low, high}))
    kept.append(samples[-1])
    return kept


def _level(sample: Sample) -> float:
    return float("-inf") if sample.value is None else float(sample.value)


def _route(reader: Reader, source: str, trip: dict[str, Any]) -> list[Any]:
    """The coordinates recorded during a trip, in time order.

    At most MAX_ROUTE_POINTS, evenly spread, the start and the end kept (a day's
    drive recorded every second would be sent whole).
    """
    points = [
        [sample.ts, sample.latitude, sample.longitude]
        for sample in reader.samples(
            source,
            trip["started_at"],
            trip["ended_at"] + timedelta(seconds=1),
            roles=[Role.LOCATION.value],
            folded=True,
        )
        if sample.latitude is not None and sample.longitude is not None
    ]
    if len(points) <= MAX_ROUTE_POINTS:
        return points
    last = len(points) - 1
    steps = MAX_ROUTE_POINTS - 1
    return [points[step * last // steps] for step in range(steps + 1)]


async def _one(
    hass: HomeAssistant,
    connection: ActiveConnection,
    msg: dict[str, Any],
    kind: Literal["session", "trip"],
    record_id: str,
    key: str,
    samples: Callable[[Reader, str, dict[str, Any]], list[Any]],
) -> None:
    """Answer one record with its samples under `key` (none for an unknown car)."""
    runtime = _runtime(hass, connection, msg)
    if runtime is None:
        return
    # The rows' vehicle ids (uuids, as text in a plain row) → the vehicles' keys.
    sources = {str(entity_uuid(vehicle)): vehicle for vehicle in runtime.vehicles}
    reader = runtime.reader
    get = reader.get_session if kind == "session" else reader.get_trip

    def read() -> dict[str, Any] | None:
        row = get(record_id)
        if row is None:
            return None
        source = sources.get(str(row["vehicle_id"]))
        found = [] if source is None else samples(reader, source, row)
        record = row_dict(row)
        record[key] = found
        return record

    ok, record = await _read(hass, connection, msg, runtime, read)
    if not ok:
        return
    if record is None:
        connection.send_error(msg["id"], "not_found", f"No such {kind}")
        return
    _name_places(hass, record, msg["entry_id"])
    connection.send_result(msg["id"], {kind: record})


@websocket_command(
    {
        vol.Required("type"): "ev_ledger/summary",
        vol.Required("entry_id"): cv.string,
        vol.Optional("vehicle"): cv.string,
        vol.Optional("start"): cv.datetime,
        vol.Optional("end"): cv.datetime,
    }
)
@async_response
async def ws_summary(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Totals per local month (default: the last 12 months up to now)."""
    runtime = _runtime(hass, connection, msg)
    if runtime is None or not _checked(connection, msg):
        return
    ok, vehicle = _vehicle(runtime, connection, msg)
    if not ok:
        return
    ok, start, end = _period(connection, msg)
    if not ok:
        return
    end = end or dt_util.utcnow()
    start = start or end - timedelta(days=366)
    if end <= start:
        connection.send_error(
            msg["id"], "invalid_format", "The end is not after the start"
        )
        return
    reader = runtime.reader
    tz = hass.config.time_zone

    def read() -> tuple[list[Totals], Breakdown]:
        months = reader.totals(start, end, vehicle=vehicle, period="month", tz=tz)
        return months, reader.breakdown(start, end, vehicle=vehicle)

    ok, result = await _read(hass, connection, msg, runtime, read)
    if not ok or result is None:
        return
    months, breakdown = result
    sources = breakdown.sources
    connection.send_result(
        msg["id"],
        {
            "currency": hass.config.currency,
            "locations": [
                {
                    "location": place.key,
                    # As the lists name it: configured location, else zone name.
                    "name": place_name(hass, {"zone": place.name}, msg["entry_id"])
                    or place.name,
                    "sessions": place.sessions,
                    "energy_kwh": json_value(place.energy_kwh),
                    "solar_kwh": json_value(place.solar_kwh),
                    "cost": json_value(place.cost),
                    "currencies": sorted(place.currencies),
                }
                for place in breakdown.locations
            ],
            "sources": {
                "solar_kwh": json_value(sources.solar_kwh),
                "battery_kwh": json_value(sources.battery_kwh),
                "grid_kwh": json_value(sources.grid_kwh),
                "unattributed_kwh": json_value(sources.unattributed_kwh),
                "energy_kwh": json_value(sources.energy_kwh),
                "grid_priced_cost": json_value(sources.grid_priced_cost),
                "solar_cost": json_value(sources.solar_cost),
                "fees": json_value(sources.fees),
                "cost": json_value(sources.cost),
            },
            "months": [
                {
                    "month": month.period_start.date().isoformat(),
                    "sessions": month.sessions,
                    "energy_kwh": json_value(month.energy_kwh),
                    "solar_kwh": json_value(month.solar_kwh),
                    "battery_kwh": json_value(month.battery_kwh),
                    # The rest: from the grid, or not attributed to a source.
                    "grid_kwh": json_value(
                        month.energy_kwh - month.solar_kwh - month.battery_kwh
                    ),
                    "cost": json_value(month.cost),
                    "currencies": sorted(month.currencies),
                    "trips": month.trips,
                    "distance_km": json_value(month.distance_km),
                    "trip_energy_kwh": json_value(month.trip_energy_kwh),
                }
                for month in months
            ],
        },
    )


async def _action(
    hass: HomeAssistant,
    connection: ActiveConnection,
    msg: dict[str, Any],
    service: str,
    data: dict[str, Any],
) -> None:
    """Run the action behind an edit, as the connection's user."""
    if _runtime(hass, connection, msg) is None:
        return
    try:
        await hass.services.async_call(
            DOMAIN,
            service,
            {"config_entry_id": msg["entry_id"], **data},
            blocking=True,
            context=connection.context(msg),
        )
    except vol.Invalid as err:
        connection.send_error(msg["id"], "invalid_format", str(err))
        return
    except HomeAssistantError as err:
        _send_refusal(
            connection, msg, err.translation_key or "home_assistant_error", err
        )
        return
    connection.send_result(msg["id"])


@require_admin
@websocket_command(
    {
        vol.Required("type"): "ev_ledger/session/update",
        vol.Required("entry_id"): cv.string,
        vol.Required("session_id"): cv.string,
        # As typed (a number or its text): the action checks it (`true` is no cost).
        vol.Optional("cost"): vol.Any(None, _amount),
        vol.Optional("location"): vol.Any(None, cv.string),
        vol.Optional("notes"): vol.Any(None, cv.string),
    }
)
@async_response
async def ws_update_session(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Correct a session's cost, location or notes (administrators)."""
    data = {
        key: msg[key]
        for key in ("session_id", "cost", "location", "notes")
        if key in msg
    }
    await _action(hass, connection, msg, "update_session", data)


@require_admin
@websocket_command(
    {
        vol.Required("type"): "ev_ledger/session/delete",
        vol.Required("entry_id"): cv.string,
        vol.Required("session_id"): cv.string,
    }
)
@async_response
async def ws_delete_session(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Delete a session (administrators)."""
    await _action(
        hass, connection, msg, "delete_session", {"session_id": msg["session_id"]}
    )
