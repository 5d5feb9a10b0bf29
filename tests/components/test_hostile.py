"""What a careless or hostile Home Assistant user can ask of the ledger.

Through the surfaces a user reaches (the websocket, the actions), as a read-only user
and as an administrator: every refusal is a clear error, never an unhandled exception,
and nothing the user may not change is changed.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.core import Context
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
)
import pytest

from custom_components.ev_ledger.const import DOMAIN
from custom_components.ev_ledger.db import Sample
from custom_components.ev_ledger.logic.model import ChargeState, Place, Reading, Role
from custom_components.ev_ledger.services import READ_SERVICES
from custom_components.ev_ledger.websocket_api import MAX_CURVE_POINTS, MAX_ROUTE_POINTS
from tests.db.conftest import make_trip
from tests.logic.test_scenarios import T
from tests.logic.trace import hours, minutes

from .conftest import VEHICLE_ID, Ledger, get_state
from .test_services import _call, _iso
from .test_websocket import _add, _ask, _stored

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
    from pytest_homeassistant_custom_component.typing import (
        ClientSessionGenerator,
        MockHAClientWebSocket,
    )

    from custom_components.ev_ledger.runtime import EvLedgerRuntime

    WsClient = Callable[..., Awaitable[MockHAClientWebSocket]]


async def test_only_administrators_change_export_or_backfill(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    hass_ws_client: WsClient,
    hass_read_only_user: MockUser,
    hass_read_only_access_token: str,
) -> None:
    """A read-only user reads the ledger; every other action refuses them.

    The websocket's edits were for administrators, but the actions behind them were
    not: a read-only user deleted a session with `call_service`.
    """
    entry_id = loaded.entry_id
    session_id = await _add(hass, loaded, T)
    when = {"start": _iso(T + hours(24)), "end": _iso(T + hours(25))}
    calls: dict[str, dict[str, Any]] = {
        "update_session": {"session_id": session_id, "notes": "mine now"},
        "delete_session": {"session_id": session_id},
        "add_session": {"vehicle": VEHICLE_ID, **when, "energy": 5},
        "export": {},
        "home_charging_report": {},
        "backfill": {},
        "cancel_backfill": {},
        "recompute": {"vehicle": VEHICLE_ID, **when},
    }
    services = set(hass.services.async_services_for_domain(DOMAIN))
    assert set(calls) == services - READ_SERVICES

    reader = await hass_ws_client(hass, hass_read_only_access_token)
    for service, data in calls.items():
        answer = await _ask(
            reader,
            type="call_service",
            domain=DOMAIN,
            service=service,
            service_data={"config_entry_id": entry_id, **data},
            return_response=service not in {"update_session", "delete_session"},
        )
        assert not answer["success"], (service, answer)
        error = answer["error"]
        # A user's error (no traceback in the log), translated.
        assert error["code"] == "service_validation_error", (service, answer)
        assert error["translation_key"] == "admin_required", (service, answer)
        assert error["message"].endswith(
            f"Only an administrator may run the EV Ledger action {DOMAIN}.{service}"
        )
    for service in sorted(READ_SERVICES):
        answer = await _ask(
            reader,
            type="call_service",
            domain=DOMAIN,
            service=service,
            service_data={"config_entry_id": entry_id},
            return_response=True,
        )
        assert answer["success"], (service, answer)
    # Unauthorized, as core's admin actions (HTTP answers it with 401).
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            "delete_session",
            {"config_entry_id": entry_id, "session_id": session_id},
            blocking=True,
            context=Context(user_id=hass_read_only_user.id),
        )
    # Nothing changed, and no file was written.
    [row] = await _stored(hass, loaded)
    assert str(row["id"]) == session_id
    assert row["notes"] is None
    exports = Path(hass.config.path("ev_ledger", "exports"))
    assert not exports.exists() or not any(exports.iterdir())

    # An administrator may.
    admin = await hass_ws_client(hass)
    answer = await _ask(
        admin,
        type="call_service",
        domain=DOMAIN,
        service="delete_session",
        service_data={"config_entry_id": entry_id, "session_id": session_id},
    )
    assert answer["success"], answer
    assert await _stored(hass, loaded) == []


@pytest.mark.parametrize(
    ("kind", "period"),
    [
        ("sessions", {"start": "0001-01-01T00:00:00+05:00"}),
        ("trips", {"end": "9999-12-31T23:00:00-05:00"}),
        ("summary", {"end": "0001-01-02T00:00:00+00:00"}),
        ("summary", {"start": "1999-12-31T00:00:00+00:00"}),
        ("sessions", {"start": "2000-01-01T00:00:00+00:00", "end": "2101-01-01T00:00"}),
    ],
)
async def test_times_out_of_range_are_refused(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    hass_ws_client: WsClient,
    hass_read_only_access_token: str,
    kind: str,
    period: dict[str, str],
) -> None:
    """A year a ledger cannot hold is refused as the actions refuse it.

    The year 1 or 9999 overflowed on the way to UTC (or a year back from the end):
    the command failed with "Unknown error" and a traceback in the log.
    """
    ws = await hass_ws_client(hass, hass_read_only_access_token)
    answer = await _ask(
        ws, type=f"ev_ledger/{kind}", entry_id=loaded.entry_id, **period
    )
    assert not answer["success"], answer
    error = answer["error"]
    assert error["code"] == "invalid_format"
    assert error["translation_key"] == "time_out_of_range"
    field = next(iter(period)) if len(period) == 1 else "end"
    assert error["message"] == f"{field} must be in the years 2000 to 2100"
    # The edges are a ledger's.
    edges = {"start": "2000-01-01T00:00:00+00:00", "end": "2100-12-31T00:00:00+00:00"}
    answer = await _ask(ws, type=f"ev_ledger/{kind}", entry_id=loaded.entry_id, **edges)
    assert answer["success"], answer


async def test_filters_the_ledger_cannot_hold_are_refused(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    hass_ws_client: WsClient,
    hass_read_only_access_token: str,
) -> None:
    """A NUL in a filter, or `true` for a number, is a clear error.

    On PostgreSQL a NUL in the location answered a database error quoting the SQL;
    `limit: true` was taken as a page of 1, answered with `"limit": true`.
    """
    ws = await hass_ws_client(hass, hass_read_only_access_token)
    entry_id = loaded.entry_id
    for kind in ("sessions", "trips"):
        answer = await _ask(
            ws, type=f"ev_ledger/{kind}", entry_id=entry_id, location="Ho\x00me"
        )
        assert not answer["success"], answer
        assert answer["error"]["code"] == "invalid_format"
        assert answer["error"]["translation_key"] == "text_with_nul"
        assert answer["error"]["message"] == (
            "location contains a NUL character, which cannot be stored"
        )
    answer = await _ask(ws, type="ev_ledger/summary", entry_id=entry_id, vehicle="\x00")
    assert answer["error"]["translation_key"] == "text_with_nul"
    for field in ("limit", "offset"):
        answer = await _ask(
            ws, type="ev_ledger/sessions", entry_id=entry_id, **{field: True}
        )
        assert not answer["success"], answer
        assert answer["error"]["code"] == "invalid_format"
    # Unicode of any plane and direction is a place name like any other.
    answer = await _ask(
        ws, type="ev_ledger/trips", entry_id=entry_id, location="\u202e😀" * 100
    )
    assert answer["success"], answer
    assert answer["result"]["total"] == 0


async def test_a_manual_session_never_replaces_a_stored_one(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    """A session starting in the second of a stored one (deleted too) is refused.

    Ids are the vehicle and the start to the second: a second `add_session` in that
    second replaced the first session (its energy and paid cost lost, its notes kept),
    and after a deletion the new session stayed deleted; the energy sensor counted
    both.
    """
    entry_id = loaded.entry_id
    one_hour = {"start": _iso(T), "end": _iso(T + hours(1))}
    base = {"config_entry_id": entry_id, "vehicle": VEHICLE_ID}
    first = await _call(
        hass, "add_session", {**base, **one_hour, "energy": 20, "cost": 5}
    )
    session_id = first["session_id"]
    await _call(
        hass,
        "update_session",
        {"config_entry_id": entry_id, "session_id": session_id, "notes": "receipt 42"},
        response=False,
    )
    energy = "sensor.model_y_energy_charged"
    same_second = {"start": _iso(T + 0.4), "end": _iso(T + hours(2))}
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "add_session", {**base, **same_second, "energy": 3})
    assert err.value.translation_key == "session_exists"
    assert err.value.translation_placeholders == {
        "vehicle": "Model Y",
        "start": _iso(T + 0.4),
    }
    [row] = await _stored(hass, loaded)
    assert (row["energy_kwh"], row["cost"], row["notes"]) == (
        Decimal(20),
        Decimal(5),
        "receipt 42",
    )
    assert Decimal(get_state(hass, energy).state) == 20

    # Deleted, its second stays taken: the new session would stay deleted.
    await _call(
        hass,
        "delete_session",
        {"config_entry_id": entry_id, "session_id": session_id},
        response=False,
    )
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "add_session", {**base, **one_hour, "energy": 7})
    assert err.value.translation_key == "session_exists"
    # A second later is another session.
    later = {"start": _iso(T + 1), "end": _iso(T + hours(1))}
    added = await _call(hass, "add_session", {**base, **later, "energy": 7})
    [row] = await _stored(hass, loaded)
    assert str(row["id"]) == added["session_id"] != session_id
    assert row["energy_kwh"] == 7


async def test_a_curve_or_a_route_is_sent_thinned(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    hass_ws_client: WsClient,
    hass_read_only_access_token: str,
) -> None:
    """A session or trip recorded every second is sent in at most so many points.

    The whole record was sent: any user opening a long session received every
    sample (a streaming car records one a second, for days when left plugged in).
    The curve keeps its ends and its peaks; the route its start and end.
    """
    runtime: EvLedgerRuntime = loaded.runtime_data
    session_id = await _add(hass, loaded, T)  # an hour
    seconds = range(3601)
    power = [7.0 + (k % 7) / 10 for k in seconds]
    power[1234] = 22.0  # a peak between two kept points of an even thinning
    power[2345] = 0.5  # and a dip
    runtime.writer.enqueue_samples(
        [Sample(VEHICLE_ID, "charger_power", T + k, power[k]) for k in seconds]
        + [Sample(VEHICLE_ID, "battery_level", T + k, 20 + k / 60) for k in seconds]
    )
    trip = make_trip(0, vehicle=VEHICLE_ID)  # 20 minutes
    runtime.writer.enqueue_trip(trip)
    moments = [trip.started_at + k / 4 for k in range(4801)]
    runtime.writer.enqueue_samples(
        [
            Sample(VEHICLE_ID, "location", ts, None, None, 0, 52 + k / 1e4, 13.4)
            for k, ts in enumerate(moments)
        ]
    )
    ws = await hass_ws_client(hass, hass_read_only_access_token)
    answer = await _ask(
        ws, type="ev_ledger/session", entry_id=loaded.entry_id, session_id=session_id
    )
    assert answer["success"], answer
    curve = answer["result"]["session"]["samples"]
    for role in ("charger_power", "battery_level"):
        points = points_of(curve, role)
        assert 900 <= len(points) <= MAX_CURVE_POINTS, role
        assert [ts for ts, _ in points] == sorted(ts for ts, _ in points)
        assert points[0][0] == T
        assert points[-1][0] == T + 3600
    shown_power = {value for _, value in points_of(curve, "charger_power")}
    assert {22.0, 0.5} <= shown_power

    answer = await _ask(
        ws, type="ev_ledger/trip", entry_id=loaded.entry_id, trip_id=trip.id
    )
    route = answer["result"]["trip"]["route"]
    assert len(route) == MAX_ROUTE_POINTS
    assert route[0] == [moments[0], 52, 13.4]
    assert route[-1] == [moments[-1], 52 + 4800 / 1e4, 13.4]
    assert [point[0] for point in route] == sorted(point[0] for point in route)


def points_of(curve: list[dict[str, Any]], role: str) -> list[tuple[float, float]]:
    return [(s["ts"], s["value"]) for s in curve if s["role"] == role]


async def test_an_edit_takes_a_cost_as_a_number_only(
    hass: HomeAssistant, loaded: MockConfigEntry, hass_ws_client: WsClient
) -> None:
    """`cost: true` is refused; a number, as JSON or as text, is a cost.

    The command coerced the cost to a float first: `true` became a cost of 1.
    """
    session_id = await _add(hass, loaded, T)
    ws = await hass_ws_client(hass)
    edit = {
        "type": "ev_ledger/session/update",
        "entry_id": loaded.entry_id,
        "session_id": session_id,
    }
    for wrong in (True, [1], {"total": 1}, "NaN"):
        answer = await _ask(ws, **edit, cost=wrong)
        assert not answer["success"], (wrong, answer)
        assert answer["error"]["code"] == "invalid_format", (wrong, answer)
    answer = await _ask(ws, **edit, cost="1e400")
    assert answer["error"]["code"] == "number_out_of_range"
    [row] = await _stored(hass, loaded)
    assert row["cost_override"] is None
    for given, stored in ((12.5, Decimal("12.5")), ("0.3", Decimal("0.3")), (2, 2)):
        answer = await _ask(ws, **edit, cost=given)
        assert answer["success"], answer
        [row] = await _stored(hass, loaded)
        assert row["cost_override"] == stored


async def test_two_calls_adding_one_session_at_once_add_it_once(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    """Two `add_session` calls for the same second running at once (a script's
    parallel actions, a double tap): one is added, the other refused.

    Both passed the check before either was written, and the second replaced the
    first while the energy sensor counted both.
    """
    base = {
        "config_entry_id": loaded.entry_id,
        "vehicle": VEHICLE_ID,
        "start": _iso(T),
        "end": _iso(T + hours(1)),
    }
    results = await asyncio.gather(
        _call(hass, "add_session", {**base, "energy": 20}),
        _call(hass, "add_session", {**base, "energy": 3}),
        return_exceptions=True,
    )
    added = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, ServiceValidationError)]
    assert len(added) == 1, results
    assert [err.translation_key for err in refused] == ["session_exists"]
    # Whichever came first; the ledger and the energy sensor agree on it.
    kept = 20 if isinstance(results[0], dict) else 3
    [row] = await _stored(hass, loaded)
    assert row["energy_kwh"] == kept
    energy = get_state(hass, "sensor.model_y_energy_charged").state
    assert Decimal(energy) == kept


async def test_a_ledger_shutting_down_answers_clearly(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    hass_ws_client: WsClient,
    hass_client: ClientSessionGenerator,
) -> None:
    """While Home Assistant stops, the entry is loaded but its writer is stopped.

    Every read and edit failed with "Unknown error" (the download with a 500 and a
    traceback): each now says that EV Ledger is shutting down.
    """
    entry_id = loaded.entry_id
    session_id = await _add(hass, loaded, T)
    ws = await hass_ws_client(hass)
    runtime: EvLedgerRuntime = loaded.runtime_data
    await runtime.async_shutdown()
    for msg in (
        {"type": "ev_ledger/sessions"},
        {"type": "ev_ledger/trips"},
        {"type": "ev_ledger/summary"},
        {"type": "ev_ledger/session", "session_id": session_id},
        {"type": "ev_ledger/session/update", "session_id": session_id, "notes": "x"},
        {"type": "ev_ledger/session/delete", "session_id": session_id},
    ):
        answer = await _ask(ws, entry_id=entry_id, **msg)
        assert not answer["success"], (msg, answer)
        assert answer["error"]["code"] == "writer_stopped", (msg, answer)
        assert answer["error"]["translation_key"] == "writer_stopped"
    add = {"vehicle": VEHICLE_ID, "start": _iso(T + 7200), "end": _iso(T + 9000)}
    for service, data in (
        ("list_sessions", {}),
        ("list_trips", {}),
        ("export", {}),
        ("home_charging_report", {}),
        ("add_session", {**add, "energy": 1}),
    ):
        with pytest.raises(HomeAssistantError) as err:
            await _call(hass, service, {"config_entry_id": entry_id, **data})
        assert err.value.translation_key == "writer_stopped", service
    client = await hass_client()
    response = await client.get(f"/api/ev_ledger/{entry_id}/sessions.csv")
    assert response.status == 503
    assert (await response.json())["message"] == "EV Ledger is shutting down"


async def test_a_blank_location_clears_the_correction(
    hass: HomeAssistant, loaded: MockConfigEntry, hass_ws_client: WsClient
) -> None:
    """`location: ""` (a cleared field, a template that rendered empty) is no place.

    Stored as the correction, it took the session out of its place's list and
    summary (a location without a name) while the session's details still said Home.
    """
    entry_id = loaded.entry_id
    base = {"config_entry_id": entry_id, "vehicle": VEHICLE_ID}
    period = {"start": _iso(T), "end": _iso(T + hours(1))}
    added = await _call(
        hass, "add_session", {**base, **period, "energy": 5, "location": "home"}
    )
    session_id = added["session_id"]
    ws = await hass_ws_client(hass)
    for blank in ("", "  "):
        await _call(
            hass,
            "update_session",
            {"config_entry_id": entry_id, "session_id": session_id, "location": blank},
            response=False,
        )
        home = await _call(
            hass, "list_sessions", {"config_entry_id": entry_id, "location": "home"}
        )
        assert [s["id"] for s in home["sessions"]] == [session_id], repr(blank)
        assert home["sessions"][0]["location_override"] is None
        summary = await _ask(
            ws,
            type="ev_ledger/summary",
            entry_id=entry_id,
            start="2026-01-01T00:00:00+00:00",
            end="2027-01-01T00:00:00+00:00",
        )
        places = [(p["location"], p["name"]) for p in summary["result"]["locations"]]
        assert places == [("home", "Home")], repr(blank)
    # A blank filter is no filter, as in the websocket's lists.
    listed = await _call(
        hass, "list_sessions", {"config_entry_id": entry_id, "location": " "}
    )
    assert listed["total"] == 1
    exported = await _call(
        hass,
        "export",
        {"config_entry_id": entry_id, "kind": "sessions", "location": ""},
    )
    assert exported["sessions"]["count"] == 1
    # The home of a report: left blank, it is home (as when left out).
    report = await _call(
        hass, "home_charging_report", {"config_entry_id": entry_id, "home_zone": ""}
    )
    [month] = report["rows"]
    assert (int(month["sessions"]), Decimal(month["energy_kwh"])) == (1, Decimal(5))
    # A manual session at a blank place has none.
    later = {"start": _iso(T + hours(2)), "end": _iso(T + hours(3))}
    added = await _call(
        hass, "add_session", {**base, **later, "energy": 1, "location": " "}
    )
    listed = await _call(hass, "list_sessions", {"config_entry_id": entry_id})
    [row] = [s for s in listed["sessions"] if s["id"] == added["session_id"]]
    assert row["zone"] is None


async def test_a_session_in_progress_is_not_deleted(
    hass: HomeAssistant, ledger: Ledger
) -> None:
    """Deleting a session while the car still charges is refused; once ended, fine.

    The engine went on with it: on completion its 3.30 EUR went into the cost sensor
    and its completion event fired, while the ledger listed nothing.
    """
    await ledger.setup()
    entry_id = ledger.entry.entry_id
    start = T + hours(30)
    await ledger.replay(
        [
            Reading(start, Role.LOCATION, Place("home", 52.5, 13.4)),
            Reading(start, Role.PLUGGED, True),
            Reading(start, Role.CHARGING_STATE, ChargeState.CHARGING),
            Reading(start, Role.CHARGER_POWER, 11.0),
            Reading(start + minutes(30), Role.CHARGER_POWER, 11.0),
        ]
    )
    listed = await _call(hass, "list_sessions", {"config_entry_id": entry_id})
    [session] = listed["sessions"]
    assert session["status"] == "in_progress"
    delete = {"config_entry_id": entry_id, "session_id": session["id"]}
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "delete_session", delete, response=False)
    assert err.value.translation_key == "session_in_progress"
    assert err.value.translation_placeholders == {
        "session_id": session["id"],
        "vehicle": "Model Y",
    }

    await ledger.replay(
        [
            Reading(start + hours(1), Role.CHARGER_POWER, 0.0),
            Reading(start + hours(1), Role.CHARGING_STATE, ChargeState.COMPLETE),
            Reading(start + hours(1) + minutes(5), Role.PLUGGED, False),
        ]
    )
    await ledger.at(start + hours(1) + minutes(10))
    cost = "sensor.model_y_charging_cost"
    assert Decimal(get_state(hass, cost).state) == Decimal("3.3")  # 11 kWh at 0.30
    await _call(hass, "delete_session", delete, response=False)
    assert Decimal(get_state(hass, cost).state) == 0
    listed = await _call(hass, "list_sessions", {"config_entry_id": entry_id})
    assert listed["sessions"] == []


async def test_a_manual_session_never_overlaps_another(
    hass: HomeAssistant, ledger: Ledger
) -> None:
    """A car charges one session at a time: a manual session overlapping a stored
    one that is not deleted, or the one charging now, is refused (its energy counted
    twice). Touching is no overlap, and a deleted session's time is free."""
    await ledger.setup()
    entry_id = ledger.entry.entry_id
    base = {"config_entry_id": entry_id, "vehicle": VEHICLE_ID}
    energy = "sensor.model_y_energy_charged"

    def span(start: float, end: float, kwh: float) -> dict[str, Any]:
        return {**base, "start": _iso(start), "end": _iso(end), "energy": kwh}

    first = await _call(hass, "add_session", span(T, T + hours(2), 20))
    for start, end in ((T + hours(1), T + hours(3)), (T - hours(1), T + hours(4))):
        with pytest.raises(ServiceValidationError) as err:
            await _call(hass, "add_session", span(start, end, 5))
        assert err.value.translation_key == "session_overlaps"
        assert err.value.translation_placeholders == {
            "vehicle": "Model Y",
            "start": _iso(T),
            "end": _iso(T + hours(2)),
        }
    await _call(hass, "add_session", span(T + hours(2), T + hours(3), 5))
    assert Decimal(get_state(hass, energy).state) == 25

    await _call(
        hass,
        "delete_session",
        {"config_entry_id": entry_id, "session_id": first["session_id"]},
        response=False,
    )
    await _call(hass, "add_session", span(T + minutes(30), T + hours(1), 2))
    # A lifetime total: the deleted session's energy stays counted (as before).
    assert Decimal(get_state(hass, energy).state) == 27

    # The car charges now: the time since its session began is taken.
    start = T + hours(30)
    await ledger.replay(
        [
            Reading(start, Role.PLUGGED, True),
            Reading(start, Role.CHARGING_STATE, ChargeState.CHARGING),
            Reading(start, Role.CHARGER_POWER, 11.0),
            Reading(start + minutes(30), Role.CHARGER_POWER, 11.0),
        ]
    )
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "add_session", span(start - hours(1), start + 60, 3))
    assert err.value.translation_key in (
        "session_overlaps",  # its in-progress row, stored
        "session_in_progress_overlaps",
    )
    await _call(hass, "add_session", span(start - hours(2), start - hours(1), 3))
    listed = await _call(hass, "list_sessions", {"config_entry_id": entry_id})
    assert len(listed["sessions"]) == 4  # two manual, one after the deleted, live
