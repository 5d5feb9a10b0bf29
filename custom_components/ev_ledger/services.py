"""Actions: list, correct and export records. Registered once in `async_setup`."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
import logging
from pathlib import Path
import re
from typing import TYPE_CHECKING, Any, Final
import uuid

from homeassistant.auth.permissions.const import POLICY_CONTROL
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    Context,
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
)
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.util import dt as dt_util
from sqlalchemy.exc import SQLAlchemyError
import voluptuous as vol

from . import backfill, recompute
from .const import DOMAIN
from .db import (
    DbError,
    Report,
    WriterStoppedError,
    export_sessions_csv,
    export_trips_csv,
    home_charging_report_csv,
)
from .db.journal import PRIVATE_FILE, private_dir
from .logic.ids import record_id
from .logic.integrate import spread
from .logic.model import (
    ChargingSession,
    ChargingWindow,
    Cost,
    CostSource,
    EnergyMethod,
    Place,
    SessionStatus,
)
from .records import row_dict

if TYPE_CHECKING:
    from .db import Page
    from .runtime import EvLedgerRuntime
    from .vehicle_runtime import VehicleRuntime

SERVICE_LIST_SESSIONS: Final = "list_sessions"
SERVICE_LIST_TRIPS: Final = "list_trips"
SERVICE_UPDATE_SESSION: Final = "update_session"
SERVICE_DELETE_SESSION: Final = "delete_session"
SERVICE_ADD_SESSION: Final = "add_session"
SERVICE_EXPORT: Final = "export"
SERVICE_HOME_CHARGING_REPORT: Final = "home_charging_report"
SERVICE_BACKFILL: Final = "backfill"
SERVICE_CANCEL_BACKFILL: Final = "cancel_backfill"
SERVICE_RECOMPUTE: Final = "recompute"

# Any user may read the ledger (as the panel's lists); whatever changes it, writes a
# file or reads history into it is for administrators, as the websocket's edits.
READ_SERVICES: Final = frozenset({SERVICE_LIST_SESSIONS, SERVICE_LIST_TRIPS})

ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_VEHICLE: Final = "vehicle"
ATTR_START: Final = "start"
ATTR_END: Final = "end"
ATTR_LOCATION: Final = "location"
ATTR_LIMIT: Final = "limit"
ATTR_OFFSET: Final = "offset"
ATTR_SESSION_ID: Final = "session_id"
ATTR_COST: Final = "cost"
ATTR_NOTES: Final = "notes"
ATTR_ENERGY: Final = "energy"
ATTR_KIND: Final = "kind"
ATTR_HOME_ZONE: Final = "home_zone"

KIND_SESSIONS: Final = "sessions"
KIND_TRIPS: Final = "trips"
KIND_ALL: Final = "all"

_LOGGER = logging.getLogger(__name__)

MAX_LIMIT: Final = 500
MAX_OFFSET: Final = 1_000_000
# What an action accepts is what the database can store, and what a charge can be:
# amounts within their NUMERIC columns (cost 14,4; energy 12,4), text within its
# column, times within years that a ledger can hold.
MAX_COST: Final = Decimal(1_000_000_000)  # a charge in any currency (IDR, KRW…)
MAX_ENERGY_KWH: Final = Decimal(1000)  # a manual charge (the selector's bound)
MAX_LOCATION_CHARS: Final = 200  # the zone and location columns
MAX_NOTES_CHARS: Final = 10_000
MAX_ID_CHARS: Final = 255
FIRST_YEAR: Final = 2000
LAST_YEAR: Final = 2100
# A manual session is one charge: plugged in for a week at most.
MAX_SESSION: Final = timedelta(days=7)
# Rows an export returns in its response; the file always holds every row.
MAX_RESPONSE_ROWS: Final = 500
EXPORT_FOLDER: Final = ("ev_ledger", "exports")
# Exports the folder keeps: an automation that exports every few minutes must not fill
# the disk. Writing one removes the oldest beyond these (EV Ledger's own files only).
EXPORTS_KEPT: Final = 100
_EXPORT_NAME: Final = re.compile(
    r"(?:sessions|trips|home_charging)_\d{8}T\d{6}(?:_\d+)?\.csv"
)

type _Handler = Callable[
    [HomeAssistant, ServiceCall], Coroutine[Any, Any, ServiceResponse]
]
_MONEY: Final = Decimal("0.0001")  # the scale of the cost columns
_ENERGY: Final = Decimal("0.0001")  # the scale of the energy columns
# Larger integers are beyond every bound: kept at this size, never built digit by digit.
_HUGE: Final = 10**19

_TEXT_LIMITS: Final[Mapping[str, int]] = {
    ATTR_CONFIG_ENTRY_ID: MAX_ID_CHARS,
    ATTR_VEHICLE: MAX_ID_CHARS,
    ATTR_LOCATION: MAX_LOCATION_CHARS,
    ATTR_HOME_ZONE: MAX_LOCATION_CHARS,
    ATTR_NOTES: MAX_NOTES_CHARS,
}
_NUMBER_LIMITS: Final[Mapping[str, tuple[int | Decimal, int | Decimal]]] = {
    ATTR_COST: (0, MAX_COST),
    ATTR_ENERGY: (0, MAX_ENERGY_KWH),
    ATTR_LIMIT: (1, MAX_LIMIT),
    ATTR_OFFSET: (0, MAX_OFFSET),
}


def _decimal(value: Any) -> Decimal:
    """A finite number (its bounds are checked with a translated error)."""
    if isinstance(value, bool):
        raise vol.Invalid("not a number")
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError as err:
        raise vol.Invalid("not a number") from err
    if not number.is_finite():
        raise vol.Invalid("must be a finite number")
    return number


def _whole(value: Any) -> int:
    """A whole number (its bounds are checked with a translated error)."""
    number = _decimal(value)
    if number != number.to_integral_value():
        raise vol.Invalid("not a whole number")
    if number.adjusted() >= len(str(_HUGE)):
        return _HUGE if number > 0 else -_HUGE
    return int(number)


def _uuid(value: Any) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError as err:
        raise vol.Invalid("not a record id") from err


_ENTRY: dict[vol.Marker, Any] = {vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string}
_FILTERS: dict[vol.Marker, Any] = {
    vol.Optional(ATTR_VEHICLE): cv.string,
    vol.Optional(ATTR_START): cv.datetime,
    vol.Optional(ATTR_END): cv.datetime,
}
_PAGE: dict[vol.Marker, Any] = {
    **_FILTERS,
    vol.Optional(ATTR_LIMIT, default=50): _whole,
    vol.Optional(ATTR_OFFSET, default=0): _whole,
}
LIST_SESSIONS_SCHEMA = vol.Schema(
    {**_ENTRY, **_PAGE, vol.Optional(ATTR_LOCATION): cv.string}
)
LIST_TRIPS_SCHEMA = vol.Schema({**_ENTRY, **_PAGE})
UPDATE_SESSION_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Required(ATTR_SESSION_ID): _uuid,
        vol.Optional(ATTR_COST): vol.Any(None, _decimal),
        vol.Optional(ATTR_LOCATION): vol.Any(None, cv.string),
        vol.Optional(ATTR_NOTES): vol.Any(None, cv.string),
    }
)
DELETE_SESSION_SCHEMA = vol.Schema({**_ENTRY, vol.Required(ATTR_SESSION_ID): _uuid})
ADD_SESSION_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Required(ATTR_VEHICLE): cv.string,
        vol.Required(ATTR_START): cv.datetime,
        vol.Required(ATTR_END): cv.datetime,
        vol.Required(ATTR_ENERGY): _decimal,
        vol.Optional(ATTR_COST): _decimal,
        vol.Optional(ATTR_LOCATION): cv.string,
    }
)
EXPORT_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        **_FILTERS,
        vol.Optional(ATTR_KIND, default=KIND_ALL): vol.In(
            [KIND_SESSIONS, KIND_TRIPS, KIND_ALL]
        ),
        vol.Optional(ATTR_LOCATION): cv.string,
    }
)
HOME_CHARGING_REPORT_SCHEMA = vol.Schema(
    {**_ENTRY, **_FILTERS, vol.Optional(ATTR_HOME_ZONE, default="home"): cv.string}
)

BACKFILL_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Optional(ATTR_VEHICLE): cv.string,
        vol.Optional(ATTR_START): cv.datetime,
        vol.Optional(ATTR_END): cv.datetime,
    }
)
CANCEL_BACKFILL_SCHEMA = vol.Schema(_ENTRY)
RECOMPUTE_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Required(ATTR_VEHICLE): cv.string,
        vol.Required(ATTR_START): cv.datetime,
        vol.Optional(ATTR_END): cv.datetime,
    }
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register EV Ledger's actions."""
    handlers: tuple[
        tuple[str, _Handler, vol.Schema, SupportsResponse],
        ...,
    ] = (
        (
            SERVICE_LIST_SESSIONS,
            _list_sessions,
            LIST_SESSIONS_SCHEMA,
            SupportsResponse.ONLY,
        ),
        (SERVICE_LIST_TRIPS, _list_trips, LIST_TRIPS_SCHEMA, SupportsResponse.ONLY),
        (
            SERVICE_UPDATE_SESSION,
            _update_session,
            UPDATE_SESSION_SCHEMA,
            SupportsResponse.NONE,
        ),
        (
            SERVICE_DELETE_SESSION,
            _delete_session,
            DELETE_SESSION_SCHEMA,
            SupportsResponse.NONE,
        ),
        (
            SERVICE_ADD_SESSION,
            _add_session,
            ADD_SESSION_SCHEMA,
            SupportsResponse.OPTIONAL,
        ),
        (SERVICE_EXPORT, _export, EXPORT_SCHEMA, SupportsResponse.OPTIONAL),
        (
            SERVICE_HOME_CHARGING_REPORT,
            _home_charging_report,
            HOME_CHARGING_REPORT_SCHEMA,
            SupportsResponse.OPTIONAL,
        ),
        (SERVICE_BACKFILL, _backfill, BACKFILL_SCHEMA, SupportsResponse.OPTIONAL),
        (
            SERVICE_CANCEL_BACKFILL,
            _cancel_backfill,
            CANCEL_BACKFILL_SCHEMA,
            SupportsResponse.OPTIONAL,
        ),
        (SERVICE_RECOMPUTE, _recompute, RECOMPUTE_SCHEMA, SupportsResponse.OPTIONAL),
    )
    for name, handler, schema, supports in handlers:
        hass.services.async_register(
            DOMAIN,
            name,
            partial(_checked, handler, hass, admin=name not in READ_SERVICES),
            schema=schema,
            supports_response=supports,
        )


# Validation --------------------------------------------------------------------------


async def _checked(
    handler: _Handler, hass: HomeAssistant, call: ServiceCall, *, admin: bool
) -> ServiceResponse:
    """Refuse a user who may not run the action, and what the ledger cannot store."""
    if admin:
        await _require_admin(hass, call)
    check_input(call.data)
    return await handler(hass, call)


async def _require_admin(hass: HomeAssistant, call: ServiceCall) -> None:
    """Refuse a call by a user who is not an administrator (as core's admin actions).

    A call without a user (an automation, a script) is Home Assistant's own.

    Raises:
        AdminRequiredError: The call's user is not an administrator (or is
            unknown).
    """
    if not call.context.user_id:
        return
    user = await hass.auth.async_get_user(call.context.user_id)
    if user is None or not user.is_admin:
        raise AdminRequiredError(
            call.context,
            HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="admin_required",
                translation_placeholders={"action": f"{call.domain}.{call.service}"},
            ),
        )


class AdminRequiredError(Unauthorized, ServiceValidationError):
    """Core's refusal of a user who is not an administrator, with its message.

    Unauthorized, as core's admin actions (401 over HTTP); a validation error too,
    so a refused call is the user's error, not logged as an unexpected exception.
    """

    def __init__(self, context: Context, message: HomeAssistantError) -> None:
        """Refuse the context's user, explained by `message` (translated)."""
        super().__init__(context=context, permission=POLICY_CONTROL)
        self.translation_domain = message.translation_domain
        self.translation_key = message.translation_key
        self.translation_placeholders = message.translation_placeholders
        self.generate_message = True


def check_input(data: Mapping[str, Any]) -> None:
    """Refuse text, numbers and times the database cannot store.

    The schemas check the types; this checks the bounds, with translated errors.

    Raises:
        ServiceValidationError: A NUL character, text longer than its column, a
            number beyond its bounds, or a time outside FIRST_YEAR..LAST_YEAR.
    """
    for field, value in data.items():
        if isinstance(value, str):
            _check_text(field, value)
        elif isinstance(value, datetime):
            # The year as given: converting year 1 or 9999 to UTC may overflow.
            if not FIRST_YEAR <= value.year <= LAST_YEAR:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="time_out_of_range",
                    translation_placeholders={
                        "field": field,
                        "min": str(FIRST_YEAR),
                        "max": str(LAST_YEAR),
                    },
                )
        elif field in _NUMBER_LIMITS and value is not None:
            low, high = _NUMBER_LIMITS[field]
            if not low <= value <= high:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="number_out_of_range",
                    translation_placeholders={
                        "field": field,
                        "min": str(low),
                        "max": str(high),
                    },
                )


def _check_text(field: str, value: str) -> None:
    if "\x00" in value:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="text_with_nul",
            translation_placeholders={"field": field},
        )
    limit = _TEXT_LIMITS.get(field)
    if limit is not None and len(value) > limit:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="text_too_long",
            translation_placeholders={"field": field, "max": str(limit)},
        )


def _runtime(hass: HomeAssistant, call: ServiceCall) -> EvLedgerRuntime:
    entry_id = call.data[ATTR_CONFIG_ENTRY_ID]
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"title": entry.title},
        )
    runtime: EvLedgerRuntime = entry.runtime_data
    return runtime


def vehicle_runtime_of(
    hass: HomeAssistant, runtime: EvLedgerRuntime, device_or_subentry: str
) -> VehicleRuntime:
    """A vehicle by its device id (or its subentry id)."""
    if device_or_subentry in runtime.vehicles:
        return runtime.vehicles[device_or_subentry]
    device = dr.async_get(hass).async_get(device_or_subentry)
    if device is not None:
        for domain, identifier in device.identifiers:
            if domain == DOMAIN and identifier in runtime.vehicles:
                return runtime.vehicles[identifier]
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="vehicle_not_found",
        translation_placeholders={"vehicle": device_or_subentry},
    )


def _vehicle_key(
    hass: HomeAssistant, runtime: EvLedgerRuntime, call: ServiceCall
) -> str | None:
    """The key of the call's optional `vehicle` filter (its subentry id)."""
    vehicle = call.data.get(ATTR_VEHICLE)
    return vehicle_runtime_of(hass, runtime, vehicle).subentry_id if vehicle else None


def _range(
    call: ServiceCall, *, until_now: bool = False
) -> tuple[datetime | None, datetime | None]:
    """The call's start and end (UTC); with `until_now` the end defaults to now."""
    start = call.data.get(ATTR_START)
    end = call.data.get(ATTR_END)
    start = dt_util.as_utc(start) if start else None
    end = dt_util.as_utc(end) if end else None
    if end is None and until_now:
        end = dt_util.utcnow()
    if start is not None and end is not None and end <= start:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="invalid_time_range"
        )
    return start, end


def _database_error(runtime: EvLedgerRuntime, err: Exception) -> HomeAssistantError:
    # Driver messages may quote the connection string: never show its password.
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="database_error",
        translation_placeholders={"error": runtime.db_config.redact(str(err))},
    )


def _writer_stopped(err: Exception) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="writer_stopped",
        translation_placeholders={"error": str(err)},
    )


async def _flushed(runtime: EvLedgerRuntime) -> None:
    """Wait until what is on its way to the database is durable.

    Raises:
        HomeAssistantError: The writer stopped (Home Assistant is stopping).
    """
    try:
        await runtime.async_flush()
    except WriterStoppedError as err:
        raise _writer_stopped(err) from err


# Queries -----------------------------------------------------------------------------


def page_response(key: str, page: Page) -> dict[str, Any]:
    """A page of records, JSON-safe (actions and the websocket API)."""
    return {
        key: [row_dict(item) for item in page.items],
        "total": page.total,
        "offset": page.offset,
        "limit": page.limit,
        "has_more": page.has_more,
    }


async def _list_sessions(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    runtime = _runtime(hass, call)
    key = _vehicle_key(hass, runtime, call)
    start, end = _range(call)
    location = _place(call.data.get(ATTR_LOCATION))  # blank: no filter
    offset, limit = call.data[ATTR_OFFSET], call.data[ATTR_LIMIT]
    reader = runtime.reader

    def query() -> Page:
        # Zones match as Home Assistant's do ("Home" is "zone.home"), in SQL.
        return reader.list_sessions(
            vehicle=key,
            start=start,
            end=end,
            location=location,
            offset=offset,
            limit=limit,
        )

    await _flushed(runtime)
    try:
        page = await hass.async_add_executor_job(query)
    except (SQLAlchemyError, DbError) as err:
        raise _database_error(runtime, err) from err
    return page_response("sessions", page)


async def _list_trips(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    runtime = _runtime(hass, call)
    key = _vehicle_key(hass, runtime, call)
    start, end = _range(call)
    await _flushed(runtime)
    try:
        page = await hass.async_add_executor_job(
            partial(
                runtime.reader.list_trips,
                vehicle=key,
                start=start,
                end=end,
                offset=call.data[ATTR_OFFSET],
                limit=call.data[ATTR_LIMIT],
            )
        )
    except (SQLAlchemyError, DbError) as err:
        raise _database_error(runtime, err) from err
    return page_response("trips", page)


# Corrections -------------------------------------------------------------------------


def _place(location: str | None) -> str | None:
    """A location as given; a blank one is none (a cleared field, an empty template).

    Stored, a blank correction took the session out of its place's lists and totals
    while its details still named the place; as a filter, it matched nothing (the
    websocket's lists take it as no filter).
    """
    return location if location and location.strip() else None


async def _update_session(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    runtime = _runtime(hass, call)
    changes: dict[str, Any] = {}
    if ATTR_COST in call.data:
        cost = call.data[ATTR_COST]
        changes["cost_override"] = None if cost is None else cost.quantize(_MONEY)
    if ATTR_LOCATION in call.data:
        changes["location_override"] = _place(call.data[ATTR_LOCATION])
    if ATTR_NOTES in call.data:
        changes["notes"] = call.data[ATTR_NOTES]
    if not changes:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="nothing_to_update"
        )
    await _require_session(hass, runtime, call.data[ATTR_SESSION_ID])
    try:
        runtime.writer.update_session(call.data[ATTR_SESSION_ID], **changes)
    except WriterStoppedError as err:
        raise _writer_stopped(err) from err
    await runtime.async_refresh_totals()
    return None


async def _delete_session(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    runtime = _runtime(hass, call)
    session_id = call.data[ATTR_SESSION_ID]
    _refuse_in_progress(runtime, session_id)
    await _require_session(hass, runtime, session_id)
    try:
        runtime.writer.delete_session(call.data[ATTR_SESSION_ID])
    except WriterStoppedError as err:
        raise _writer_stopped(err) from err
    await runtime.async_refresh_totals()
    return None


def _refuse_in_progress(runtime: EvLedgerRuntime, session_id: str) -> None:
    """Refuse deleting a session still in progress.

    The engine goes on with it: once complete, its cost went into the cost sensors
    and its completion was announced, while the ledger held it deleted.
    """
    for vehicle in runtime.vehicles.values():
        session = vehicle.ledger.session
        if session is not None and session.record_id == session_id:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="session_in_progress",
                translation_placeholders={
                    "session_id": session_id,
                    "vehicle": vehicle.name,
                },
            )


async def _require_session(
    hass: HomeAssistant, runtime: EvLedgerRuntime, session_id: str
) -> None:
    """Refuse a correction of a session that is not in the ledger."""
    try:
        # A session completed a moment ago may still be on its way to the database.
        await _flushed(runtime)
        exists = await hass.async_add_executor_job(
            runtime.reader.session_exists, session_id
        )
    except (SQLAlchemyError, DbError) as err:
        raise _database_error(runtime, err) from err
    if not exists:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="session_not_found",
            translation_placeholders={"session_id": session_id},
        )


def _manual_session(
    vehicle_id: str, t0: float, t1: float, energy: Decimal, location: str | None
) -> ChargingSession:
    """A manual session, its energy spread over its minutes (runs in the executor)."""
    by_minute: dict[int, float] = {}
    spread(by_minute, t0, t1, float(energy))
    return ChargingSession(
        id=record_id(vehicle_id, "session", t0),
        vehicle_id=vehicle_id,
        status=SessionStatus.COMPLETED,
        plugged_at=t0,
        started_at=t0,
        ended_at=t1,
        unplugged_at=t1,
        charging_seconds=t1 - t0,
        plugged_seconds=t1 - t0,
        energy_kwh=energy,
        energy_method=EnergyMethod.MANUAL,
        place=Place(zone=location) if location else None,
        windows=[ChargingWindow(started_at=t0, ended_at=t1, energy_kwh=energy)],
        energy_by_minute=by_minute,
    )


# Manual sessions being added, checked and not yet enqueued: id -> (vehicle, start,
# end in epoch seconds).
_ADDING: Final[dict[str, tuple[str, float, float]]] = {}


async def _require_new_session(
    hass: HomeAssistant,
    runtime: EvLedgerRuntime,
    vehicle: VehicleRuntime,
    session_id: str,
    start: datetime,
    end: datetime,
) -> None:
    """Refuse a manual session that a stored or open session would clash with.

    Its id taken by a stored session (deleted ones too): ids are the vehicle and the
    start to the second, so the upsert would replace a recorded or an earlier manual
    session, and a deleted one stays deleted, the new session lost while the energy
    sensor counted it. Its time overlapping a session that is not deleted, or the
    one charging now: a car charges one session at a time, and its energy would count
    twice.
    """
    reader = runtime.reader
    vehicle_id = vehicle.subentry_id

    def stored() -> tuple[list[Any], list[Any]]:
        # The id's second (rounded) lies within a second of the start.
        near = reader.record_spans(
            KIND_SESSIONS,
            vehicle_id,
            start - timedelta(seconds=2),
            end + timedelta(seconds=2),
        )
        return near, reader.record_spans(
            KIND_SESSIONS, vehicle_id, start, end, deleted=False
        )

    try:
        await _flushed(runtime)
        near, overlapping = await hass.async_add_executor_job(stored)
    except (SQLAlchemyError, DbError) as err:
        raise _database_error(runtime, err) from err
    if any(stored_id == session_id for stored_id, _, _ in near):
        raise _session_exists(vehicle, start)
    for stored_id, other_start, other_end in overlapping:
        if stored_id != session_id:
            raise _session_overlaps(vehicle, other_start, other_end)
    open_session = vehicle.ledger.session
    if open_session is not None and open_session.started_at < end.timestamp():
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="session_in_progress_overlaps",
            translation_placeholders={
                "vehicle": vehicle.name,
                "start": dt_util.utc_from_timestamp(
                    open_session.started_at
                ).isoformat(),
            },
        )


def _session_overlaps(
    vehicle: VehicleRuntime, start: datetime, end: datetime | None
) -> ServiceValidationError:
    """A stored session overlaps (`end` None: a session stored while in progress)."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="session_overlaps",
        translation_placeholders={
            "vehicle": vehicle.name,
            "start": dt_util.as_utc(start).isoformat(),
            "end": "…" if end is None else dt_util.as_utc(end).isoformat(),
        },
    )


def _adding_clash(vehicle_id: str, session_id: str, start: float, end: float) -> bool:
    """Whether a call running at the same time adds this session or one it overlaps."""
    return any(
        other_id == session_id or (vehicle == vehicle_id and s < end and start < e)
        for other_id, (vehicle, s, e) in _ADDING.items()
    )


def _session_exists(vehicle: VehicleRuntime, start: datetime) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="session_exists",
        translation_placeholders={"vehicle": vehicle.name, "start": start.isoformat()},
    )


async def _add_session(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    runtime = _runtime(hass, call)
    vehicle = vehicle_runtime_of(hass, runtime, call.data[ATTR_VEHICLE])
    start, end = _range(call)
    assert start is not None  # required by the schema
    assert end is not None
    if end - start > MAX_SESSION:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="session_too_long",
            translation_placeholders={"max_days": str(MAX_SESSION.days)},
        )
    # Stored to the column's scale: the energy sensor adds what the row holds.
    energy: Decimal = call.data[ATTR_ENERGY].quantize(_ENERGY)
    session = await hass.async_add_executor_job(
        _manual_session,
        vehicle.subentry_id,
        start.timestamp(),
        end.timestamp(),
        energy,
        _place(call.data.get(ATTR_LOCATION)),
    )
    span = (start.timestamp(), end.timestamp())
    if _adding_clash(vehicle.subentry_id, session.id, *span):
        # The same session, or one it overlaps, on its way in from a call running at
        # the same time.
        raise _session_exists(vehicle, start)
    _ADDING[session.id] = (vehicle.subentry_id, *span)
    try:
        await _require_new_session(hass, runtime, vehicle, session.id, start, end)
        if ATTR_COST in call.data:
            session.cost = Cost(
                total=call.data[ATTR_COST].quantize(_MONEY),
                currency=hass.config.currency,
                source=CostSource.MANUAL,
            )
        elif vehicle.ledger.settle is not None:
            # Priced like a live session at that place and time.
            vehicle.ledger.settle(session)
        try:
            runtime.writer.enqueue_session(session, source="manual")
        except WriterStoppedError as err:
            raise _writer_stopped(err) from err
    finally:
        # Enqueued, the next call's check finds it (it flushes first).
        _ADDING.pop(session.id, None)
    vehicle.totals.energy_kwh += energy
    await runtime.async_refresh_totals()
    return {"session_id": session.id}


# Exports and reports -----------------------------------------------------------------


def _new_file(folder: Path, stem: str) -> Path:
    """Claim `stem.csv` in `folder` (created); a name already taken gets a suffix.

    Creating the file exclusively keeps two exports in the same second apart; the
    report then replaces it atomically with the CSV.
    """
    private_dir(folder)  # exports hold places and costs: 0700, files 0600
    path, number = folder / f"{stem}.csv", 1
    while True:
        try:
            path.touch(mode=PRIVATE_FILE, exist_ok=False)
        except FileExistsError:
            number += 1
            path = folder / f"{stem}_{number}.csv"
        else:
            return path


def _prune_exports(folder: Path, keep: int = EXPORTS_KEPT) -> int:
    """Remove EV Ledger's oldest exports beyond the newest `keep`; how many went.

    Only files named as the actions name them; anything else in the folder is the
    user's. Oldest by modification time (a second's files by name). A file that is
    already gone, or cannot be removed, is left to the next export.
    """
    exports = []
    for path in folder.iterdir():
        if not _EXPORT_NAME.fullmatch(path.name):
            continue
        try:
            exports.append((path.stat().st_mtime, path.name, path))
        except OSError:
            continue
    exports.sort(reverse=True)
    removed = 0
    for _mtime, _name, path in exports[keep:]:
        try:
            path.unlink()
        except OSError:
            continue
        removed += 1
    if removed:
        _LOGGER.info("Removed %d old export(s) from %s", removed, folder)
    return removed


def _write_report(folder: Path, stem: str, write: Callable[[Path], Report]) -> Report:
    """Write a report into a new file; on failure, remove the file claimed."""
    path = _new_file(folder, stem)
    try:
        return write(path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


async def _run_report[T](
    hass: HomeAssistant, runtime: EvLedgerRuntime, job: Callable[[], T]
) -> T:
    """Run a blocking export in the executor, its failures translated."""
    # A session completed a moment ago may still be on its way to the database.
    await _flushed(runtime)
    try:
        return await hass.async_add_executor_job(job)
    except (SQLAlchemyError, DbError) as err:
        raise _database_error(runtime, err) from err
    except OSError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="export_failed",
            translation_placeholders={"error": runtime.db_config.redact(str(err))},
        ) from err


def _export_folder(hass: HomeAssistant) -> Path:
    return Path(hass.config.path(*EXPORT_FOLDER))


def _stamp() -> str:
    return dt_util.now().strftime("%Y%m%dT%H%M%S")


def _export_response(report: Report) -> dict[str, Any]:
    shown = Report(report.path, report.rows[:MAX_RESPONSE_ROWS])
    return {
        "path": str(report.path),
        "count": len(report.rows),
        "rows": shown.json_rows(),
        "truncated": len(report.rows) > MAX_RESPONSE_ROWS,
    }


async def _export(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    runtime = _runtime(hass, call)
    key = _vehicle_key(hass, runtime, call)
    start, end = _range(call)
    location = _place(call.data.get(ATTR_LOCATION))  # blank: no filter
    wanted = call.data[ATTR_KIND]
    kinds = [KIND_SESSIONS, KIND_TRIPS] if wanted == KIND_ALL else [wanted]
    folder, stamp, reader = _export_folder(hass), _stamp(), runtime.reader

    def export(kind: str) -> dict[str, Any]:
        write = export_sessions_csv if kind == KIND_SESSIONS else export_trips_csv
        report = _write_report(
            folder,
            f"{kind}_{stamp}",
            partial(
                write, reader, start=start, end=end, vehicle=key, location=location
            ),
        )
        return _export_response(report)

    def job() -> dict[str, Any]:
        done: dict[str, Any] = {}
        try:
            for kind in kinds:
                done[kind] = export(kind)
        except BaseException:
            # All or nothing: no sessions file beside a trips export that failed.
            for response in done.values():
                Path(response["path"]).unlink(missing_ok=True)
            raise
        _prune_exports(folder)
        return done

    return await _run_report(hass, runtime, job)


async def _home_charging_report(
    hass: HomeAssistant, call: ServiceCall
) -> ServiceResponse:
    runtime = _runtime(hass, call)
    key = _vehicle_key(hass, runtime, call)
    start, end = _range(call)
    folder, stamp = _export_folder(hass), _stamp()
    report_of = partial(
        home_charging_report_csv,
        runtime.reader,
        start=start,
        end=end,
        vehicle=key,
        # Blank (an empty template): home, as when the field is left out.
        home_zone=_place(call.data[ATTR_HOME_ZONE]) or "home",
        tz=hass.config.time_zone,
    )

    def job() -> dict[str, Any]:
        report = _write_report(folder, f"home_charging_{stamp}", report_of)
        _prune_exports(folder)
        rows = report.json_rows()
        return {"path": str(report.path), "rows": rows, "count": len(rows)}

    return await _run_report(hass, runtime, job)


# History -----------------------------------------------------------------------------


async def _backfill(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    """Read the recorder's history of a vehicle (default: all vehicles and sites)."""
    runtime = _runtime(hass, call)
    vehicle = call.data.get(ATTR_VEHICLE)
    start, end = _range(call, until_now=True)
    # The recorder holds nothing after now.
    end = min(end, dt_util.utcnow()) if end is not None else None
    if start is not None and end is not None and end <= start:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="invalid_time_range"
        )
    if not backfill.recorder_loaded(hass):
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="recorder_not_loaded"
        )
    if vehicle:
        vehicles, sites = [vehicle_runtime_of(hass, runtime, vehicle).subentry_id], []
    else:
        vehicles, sites = list(runtime.vehicles), list(runtime.sites)
    if runtime.backfill is not None and runtime.backfill.running:
        # One at a time per ledger: refused, rather than queued behind it unseen.
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="backfill_running"
        )
    try:
        run = await runtime.async_backfill(
            vehicle_ids=vehicles, site_ids=sites, start=start, end=end
        )
    except (SQLAlchemyError, DbError) as err:
        raise _database_error(runtime, err) from err
    except WriterStoppedError as err:
        raise _writer_stopped(err) from err
    return run.result.as_dict()


async def _cancel_backfill(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    """Stop the ledger's backfill after its current chunk; what it wrote stays."""
    runtime = _runtime(hass, call)
    run = await runtime.async_cancel_backfill()
    if run is None:
        return {"running": False, "cancelled": False}
    # `cancelled` is false when the run reached its end before it saw the request.
    return run.result.as_dict()


async def _recompute(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    """Re-derive a vehicle's records in a range from the stored samples."""
    runtime = _runtime(hass, call)
    vehicle = vehicle_runtime_of(hass, runtime, call.data[ATTR_VEHICLE])
    start, end = _range(call, until_now=True)
    assert start is not None  # required by the schema
    assert end is not None
    try:
        async with runtime.backfill_lock:
            return await recompute.async_recompute(hass, runtime, vehicle, start, end)
    except (SQLAlchemyError, DbError) as err:
        raise _database_error(runtime, err) from err
    except WriterStoppedError as err:
        raise _writer_stopped(err) from err
