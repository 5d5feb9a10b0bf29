"""The websocket API (issue 13): lists, one session, edits for administrators.

Against both backends, through a real websocket connection with Home Assistant's
authentication: an administrator and a read-only user.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.ev_ledger.const import DOMAIN
from custom_components.ev_ledger.db import Reader, Sample, make_engine
from custom_components.ev_ledger.db.retention import fold_samples
from custom_components.ev_ledger.logic.model import ChargingSession, Flag, Place
from tests.db.conftest import make_session, make_trip
from tests.logic.test_scenarios import T
from tests.logic.trace import hours

from .conftest import VEHICLE_ID, device_of
from .test_services import _iso

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import MockHAClientWebSocket

    from custom_components.ev_ledger.runtime import EvLedgerRuntime

    WsClient = Callable[..., Awaitable[MockHAClientWebSocket]]

_ids = iter(range(1, 10**6))


async def _add(hass: HomeAssistant, entry: MockConfigEntry, start: float) -> str:
    result = await hass.services.async_call(
        DOMAIN,
        "add_session",
        {
            "config_entry_id": entry.entry_id,
            "vehicle": VEHICLE_ID,
            "start": _iso(start),
            "end": _iso(start + hours(1)),
            "energy": 20,
        },
        blocking=True,
        return_response=True,
    )
    assert result is not None
    return str(result["session_id"])


async def _stored(hass: HomeAssistant, entry: MockConfigEntry) -> list[dict[str, Any]]:
    runtime: EvLedgerRuntime = entry.runtime_data
    await runtime.async_flush()
    await asyncio.wrap_future(runtime.writer.synced())
    reader = Reader(runtime.db_config)
    try:
        page = await hass.async_add_executor_job(
            lambda: reader.list_sessions(vehicle=VEHICLE_ID, limit=10)
        )
    finally:
        await hass.async_add_executor_job(reader.close)
    return list(page.items)


async def _ask(ws: MockHAClientWebSocket, **msg: Any) -> dict[str, Any]:
    await ws.send_json({"id": next(_ids), **msg})
    answer: dict[str, Any] = await ws.receive_json()
    return answer


async def test_lists_paging_filters_and_one_session(
    hass: HomeAssistant, loaded: MockConfigEntry, hass_ws_client: WsClient
) -> None:
    entry_id = loaded.entry_id
    ids = [await _add(hass, loaded, T + i * hours(24)) for i in range(5)]
    ws = await hass_ws_client(hass)

    first = await _ask(ws, type="ev_ledger/sessions", entry_id=entry_id, limit=2)
    assert first["success"], first
    page = first["result"]
    assert page["total"] == 5
    assert page["has_more"] is True
    assert [s["id"] for s in page["sessions"]] == [ids[4], ids[3]]  # newest first
    last = await _ask(
        ws, type="ev_ledger/sessions", entry_id=entry_id, offset=4, limit=2
    )
    assert [s["id"] for s in last["result"]["sessions"]] == [ids[0]]
    assert last["result"]["has_more"] is False

    # By vehicle (its device id too) and period.
    device = device_of(hass, VEHICLE_ID)
    assert device is not None
    period = await _ask(
        ws,
        type="ev_ledger/sessions",
        entry_id=entry_id,
        vehicle=device.id,
        start="2026-03-03T00:00:00+00:00",
        end="2026-03-05T00:00:00+00:00",
    )
    assert period["success"], period
    assert period["result"]["total"] == 2
    nobody = await _ask(
        ws, type="ev_ledger/sessions", entry_id=entry_id, vehicle="nobody"
    )
    assert nobody["error"]["code"] == "not_found"
    backwards = await _ask(
        ws,
        type="ev_ledger/trips",
        entry_id=entry_id,
        start="2026-03-05T00:00:00+00:00",
        end="2026-03-03T00:00:00+00:00",
    )
    assert backwards["error"]["code"] == "invalid_format"
    trips = await _ask(ws, type="ev_ledger/trips", entry_id=entry_id)
    assert trips["result"]["trips"] == []
    too_many = await _ask(ws, type="ev_ledger/sessions", entry_id=entry_id, limit=201)
    assert too_many["error"]["code"] == "invalid_format"

    summary = await _ask(
        ws,
        type="ev_ledger/summary",
        entry_id=entry_id,
        start="2026-01-01T00:00:00+00:00",
        end="2027-01-01T00:00:00+00:00",
    )
    assert summary["success"], summary
    [march] = summary["result"]["months"]
    assert march["month"] == "2026-03-01"
    assert march["sessions"] == 5
    assert Decimal(march["energy_kwh"]) == Decimal(100)
    assert Decimal(march["grid_kwh"]) == Decimal(100)
    assert summary["result"]["currency"] == hass.config.currency

    # The curve: the power and battery level recorded during the session.
    runtime: EvLedgerRuntime = loaded.runtime_data
    during = T + hours(48) + 600
    runtime.writer.enqueue_samples(
        [
            Sample(VEHICLE_ID, "charger_power", during, 7.2),
            Sample(VEHICLE_ID, "battery_level", during, 55.0),
            Sample(VEHICLE_ID, "speed", during, 0.0),  # not part of a curve
        ]
    )
    one = await _ask(ws, type="ev_ledger/session", entry_id=entry_id, session_id=ids[2])
    assert one["success"], one
    session = one["result"]["session"]
    assert session["id"] == ids[2]
    assert Decimal(session["energy_kwh"]) == Decimal(20)
    assert isinstance(session["windows"], list)
    assert sorted(
        (sample["role"], sample["value"]) for sample in session["samples"]
    ) == [("battery_level", 55.0), ("charger_power", 7.2)]
    gone = await _ask(
        ws,
        type="ev_ledger/session",
        entry_id=entry_id,
        session_id="6f1c6a3e-5d0b-4d57-9a57-1f0c2e6b9c11",
    )
    assert gone["error"]["code"] == "not_found"
    missing = await _ask(ws, type="ev_ledger/sessions", entry_id="no-such-entry")
    assert missing["error"]["code"] == "not_found"
    assert await hass.config_entries.async_unload(entry_id)
    unloaded = await _ask(ws, type="ev_ledger/sessions", entry_id=entry_id)
    assert unloaded["error"]["code"] == "not_loaded"


async def test_edits_are_for_administrators(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    hass_ws_client: WsClient,
    hass_read_only_access_token: str,
) -> None:
    entry_id = loaded.entry_id
    session_id = await _add(hass, loaded, T)
    reader = await hass_ws_client(hass, hass_read_only_access_token)
    refused = await _ask(
        reader,
        type="ev_ledger/session/update",
        entry_id=entry_id,
        session_id=session_id,
        notes="mine",
    )
    assert refused["error"]["code"] == "unauthorized"
    # Reading is for everyone.
    listed = await _ask(reader, type="ev_ledger/sessions", entry_id=entry_id)
    assert listed["result"]["total"] == 1

    admin = await hass_ws_client(hass)
    updated = await _ask(
        admin,
        type="ev_ledger/session/update",
        entry_id=entry_id,
        session_id=session_id,
        notes="Charged at the office",
        cost=4.5,
    )
    assert updated["success"], updated
    [stored] = await _stored(hass, loaded)
    assert stored["notes"] == "Charged at the office"
    assert stored["cost"] == Decimal("4.5")
    # The action's validation applies: a NUL is refused, with its translation key.
    bad = await _ask(
        admin,
        type="ev_ledger/session/update",
        entry_id=entry_id,
        session_id=session_id,
        notes="a\x00b",
    )
    assert bad["success"] is False
    nothing = await _ask(
        admin,
        type="ev_ledger/session/update",
        entry_id=entry_id,
        session_id=session_id,
    )
    assert nothing["error"]["code"] == "nothing_to_update"

    deleted = await _ask(
        admin, type="ev_ledger/session/delete", entry_id=entry_id, session_id=session_id
    )
    assert deleted["success"], deleted
    listed = await _ask(admin, type="ev_ledger/sessions", entry_id=entry_id)
    assert listed["result"]["total"] == 0
    again = await _ask(
        admin, type="ev_ledger/session/delete", entry_id=entry_id, session_id=session_id
    )
    assert again["error"]["code"] == "session_not_found"


async def test_one_trip_with_its_route(
    hass: HomeAssistant, loaded: MockConfigEntry, hass_ws_client: WsClient
) -> None:
    """A stored trip and the coordinates recorded during it, in time order."""
    runtime: EvLedgerRuntime = loaded.runtime_data
    trip = make_trip(0, vehicle=VEHICLE_ID)
    inside = [trip.started_at + k * 300 for k in range(5)]
    runtime.writer.enqueue_trip(trip)
    runtime.writer.enqueue_samples(
        [
            Sample(VEHICLE_ID, "location", ts, None, None, 0, 52.5 + k / 100, 13.4)
            for k, ts in enumerate(inside)
        ]
        # Before the trip, and a zone without coordinates: not on the route.
        + [
            Sample(VEHICLE_ID, "location", trip.started_at - 600, None, None, 0, 1, 1),
            Sample(VEHICLE_ID, "location", trip.started_at + 1, None, "home", 0),
        ]
    )
    ws = await hass_ws_client(hass)
    answer = await _ask(
        ws, type="ev_ledger/trip", entry_id=loaded.entry_id, trip_id=trip.id
    )
    assert answer["success"], answer
    shown = answer["result"]["trip"]
    assert shown["id"] == trip.id
    assert Decimal(shown["distance_km"]) == trip.distance_km
    assert shown["route"] == [[ts, 52.5 + k / 100, 13.4] for k, ts in enumerate(inside)]
    gone = await _ask(
        ws, type="ev_ledger/trip", entry_id=loaded.entry_id, trip_id=ids_missing()
    )
    assert gone["error"]["code"] == "not_found"


def ids_missing() -> str:
    """An id no record has."""
    return "6f1c6a3e-5d0b-4d57-9a57-1f0c2e6b9c11"


async def _seed(loaded: MockConfigEntry) -> list[ChargingSession]:
    """Twelve stored sessions at three places, with flags, ties and missing costs."""
    runtime: EvLedgerRuntime = loaded.runtime_data
    places = ["Home", "zone.home", "Work Place", None]
    flag_sets = [set(), {Flag.GAP}, {Flag.PRICE_GAP}]
    sessions = []
    for index in range(12):
        base = make_session(index, vehicle=VEHICLE_ID)
        place = places[index % 4]
        session = replace(
            base,
            place=None if place is None else Place(place, 52.5, 13.4),
            flags=flag_sets[index % 3],
            energy_kwh=Decimal(index % 3 + 10),
            cost=None if index % 5 == 0 else base.cost,
        )
        runtime.writer.enqueue_session(session)
        runtime.writer.enqueue_trip(
            replace(make_trip(index, vehicle=VEHICLE_ID), end_place=Place(place))
        )
        sessions.append(session)
    await runtime.async_flush()
    await asyncio.wrap_future(runtime.writer.synced())
    return sessions


def _at_home(session: ChargingSession) -> bool:
    return session.place is not None and session.place.zone in {"Home", "zone.home"}


async def _all_pages(
    ws: MockHAClientWebSocket, kind: str, **msg: Any
) -> list[dict[str, Any]]:
    """Every row through the cursors, pages of 5."""
    rows: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        extra = {} if cursor is None else {"cursor": cursor}
        answer = await _ask(ws, type=f"ev_ledger/{kind}", limit=5, **msg, **extra)
        assert answer["success"], answer
        page = answer["result"]
        rows.extend(page[kind])
        cursor = page["next_cursor"]
        assert page["has_more"] is (cursor is not None)
        if cursor is None:
            return rows


async def test_filters_sorts_and_cursor_paging(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    hass_ws_client: WsClient,
    hass_read_only_access_token: str,
) -> None:
    entry_id = loaded.entry_id
    sessions = await _seed(loaded)
    # Reading, filters and cursors included, is for every user.
    ws = await hass_ws_client(hass, hass_read_only_access_token)

    home = await _all_pages(ws, "sessions", entry_id=entry_id, location="HOME")
    expected = [s.id for s in reversed(sessions) if _at_home(s)]
    assert [row["id"] for row in home] == expected
    work = await _ask(
        ws, type="ev_ledger/sessions", entry_id=entry_id, location="zone.work_place"
    )
    assert work["result"]["total"] == 3
    flagged = await _all_pages(
        ws, "sessions", entry_id=entry_id, flags=["gap", "price_gap"]
    )
    assert sorted(row["id"] for row in flagged) == sorted(
        s.id for s in sessions if s.flags
    )
    # Energy, smallest first (ties by id), every row exactly once across the pages.
    by_energy = await _all_pages(
        ws, "sessions", entry_id=entry_id, sort="energy_kwh", order="asc"
    )
    assert sorted(row["id"] for row in by_energy) == sorted(s.id for s in sessions)
    energies = [Decimal(row["energy_kwh"]) for row in by_energy]
    assert energies == sorted(energies)
    # Cost, largest first, the sessions without one last.
    by_cost = await _all_pages(ws, "sessions", entry_id=entry_id, sort="cost")
    assert len({row["id"] for row in by_cost}) == 12
    assert [row["cost"] is None for row in by_cost] == [False] * 9 + [True] * 3
    trips = await _all_pages(
        ws, "trips", entry_id=entry_id, location="home", sort="distance_km"
    )
    assert len(trips) == 12  # every trip starts at home
    assert (
        await _ask(ws, type="ev_ledger/trips", entry_id=entry_id, location="work_place")
    )["result"]["total"] == 3

    # Offset paging still works beside the cursor.
    offset = await _ask(ws, type="ev_ledger/sessions", entry_id=entry_id, offset=10)
    assert offset["result"]["offset"] == 10
    assert len(offset["result"]["sessions"]) == 2
    assert offset["result"]["next_cursor"] is None
    # Cleared filters (an empty location, no flags) filter nothing.
    cleared = await _ask(
        ws, type="ev_ledger/sessions", entry_id=entry_id, location="", flags=[]
    )
    assert cleared["result"]["total"] == 12


@pytest.mark.parametrize(
    ("msg", "message"),
    [
        ({"cursor": "not a cursor"}, "Not a page cursor"),
        ({"cursor": "W10"}, "Not a page cursor"),
        ({"cursor": "x" * 1001}, "length"),
        ({"sort": "notes"}, "sort"),
        ({"order": "up"}, "order"),
        ({"flags": ["shiny"]}, "flags"),
        ({"location": "x" * 201}, "location"),
    ],
)
async def test_bad_list_input_is_a_clear_error(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    hass_ws_client: WsClient,
    msg: dict[str, Any],
    message: str,
) -> None:
    await _seed(loaded)
    ws = await hass_ws_client(hass)
    answer = await _ask(ws, type="ev_ledger/sessions", entry_id=loaded.entry_id, **msg)
    assert answer["success"] is False
    assert answer["error"]["code"] == "invalid_format"
    assert message in answer["error"]["message"]


async def test_a_cursor_of_another_order_is_refused(
    hass: HomeAssistant, loaded: MockConfigEntry, hass_ws_client: WsClient
) -> None:
    await _seed(loaded)
    ws = await hass_ws_client(hass)
    first = await _ask(ws, type="ev_ledger/sessions", entry_id=loaded.entry_id, limit=3)
    cursor = first["result"]["next_cursor"]
    for other in ({"sort": "cost"}, {"order": "asc"}):
        answer = await _ask(
            ws,
            type="ev_ledger/sessions",
            entry_id=loaded.entry_id,
            cursor=cursor,
            **other,
        )
        assert answer["error"]["code"] == "invalid_format"
        assert "another list or sort" in answer["error"]["message"]
    trips = await _ask(
        ws, type="ev_ledger/trips", entry_id=loaded.entry_id, cursor=cursor
    )
    assert trips["error"]["code"] == "invalid_format"


async def test_summary_per_location_and_source(
    hass: HomeAssistant, loaded: MockConfigEntry, hass_ws_client: WsClient
) -> None:
    sessions = await _seed(loaded)
    ws = await hass_ws_client(hass)
    answer = await _ask(
        ws,
        type="ev_ledger/summary",
        entry_id=loaded.entry_id,
        start="2025-01-01T00:00:00+00:00",
        end="2026-01-01T00:00:00+00:00",
    )
    assert answer["success"], answer
    result = answer["result"]
    places = {place["location"]: place for place in result["locations"]}
    assert set(places) == {"home", "work_place", None}
    assert places["home"]["sessions"] == 6
    # By the names the lists give: the configured location's, else the zone's.
    assert places["home"]["name"] == "Home"
    assert places["work_place"]["name"] == "Work Place"
    assert places[None]["name"] is None
    assert Decimal(places["home"]["energy_kwh"]) == sum(
        s.energy_kwh for s in sessions if _at_home(s)
    )
    assert places["home"]["currencies"] == ["EUR"]
    sources = result["sources"]
    # make_session: 4 kWh solar, 1 from the home battery, 5.5 from the grid each.
    assert Decimal(sources["solar_kwh"]) == 48
    assert Decimal(sources["battery_kwh"]) == 12
    assert Decimal(sources["grid_kwh"]) == 66
    assert Decimal(sources["energy_kwh"]) == sum(s.energy_kwh for s in sessions)
    costs = [s.cost.total for s in sessions if s.cost is not None]
    assert Decimal(sources["cost"]) == sum(costs)
    assert Decimal(sources["grid_priced_cost"]) == sum(
        s.cost.energy_cost for s in sessions if s.cost is not None
    )
    months = result["months"]
    assert sum(month["sessions"] for month in months) == 12
    # Each month split the same way: solar, home battery, and the rest.
    assert sum(Decimal(month["solar_kwh"]) for month in months) == 48
    assert sum(Decimal(month["battery_kwh"]) for month in months) == 12
    for month in months:
        assert Decimal(month["grid_kwh"]) == Decimal(month["energy_kwh"]) - Decimal(
            month["solar_kwh"]
        ) - Decimal(month["battery_kwh"])


async def test_places_are_named_as_the_user_knows_them(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    hass_ws_client: WsClient,
    hass_read_only_access_token: str,
) -> None:
    """A charging location by its configured name, else the zone's name, else None."""
    hass.states.async_set("zone.work_place", "0", {"friendly_name": "The Office"})
    await _seed(loaded)
    ws = await hass_ws_client(hass, hass_read_only_access_token)
    answer = await _ask(
        ws, type="ev_ledger/sessions", entry_id=loaded.entry_id, limit=12
    )
    names = {
        (row["location_name"], row["place_name"])
        for row in answer["result"]["sessions"]
    }
    # "Home" and "zone.home" are the location configured as "Home" (its title).
    assert names == {
        ("Home", "Home"),
        ("zone.home", "Home"),
        ("Work Place", "The Office"),
        (None, None),
    }
    trips = await _ask(ws, type="ev_ledger/trips", entry_id=loaded.entry_id, limit=12)
    ends = {row["end_place_name"] for row in trips["result"]["trips"]}
    assert ends == {"Home", "The Office", None}
    one = answer["result"]["sessions"][0]
    detail = await _ask(
        ws, type="ev_ledger/session", entry_id=loaded.entry_id, session_id=one["id"]
    )
    assert detail["result"]["session"]["place_name"] == one["place_name"]


async def test_an_old_records_curve_and_route_come_from_its_buckets(
    hass: HomeAssistant, loaded: MockConfigEntry, hass_ws_client: WsClient
) -> None:
    """Retention folded the raw samples: the curve and route are five-minute points.

    The buckets are kept as long as the records, so a session's charging curve and a
    trip's route stay in the panel after the raw samples are gone, coarser: a bucket
    is one point at its middle, with its mean value (its last coordinates).
    """
    runtime: EvLedgerRuntime = loaded.runtime_data
    session = make_session(0, vehicle=VEHICLE_ID)
    trip = make_trip(0, vehicle=VEHICLE_ID)
    runtime.writer.enqueue_session(session)
    runtime.writer.enqueue_trip(trip)
    minutes = range(int(session.started_at), int(session.ended_at) - 60, 60)
    power = {ts: 7.0 + (ts - session.started_at) / 600 for ts in minutes}
    route = {
        ts: (52.5 + k / 1000, 13.4)
        for k, ts in enumerate(range(int(trip.started_at), int(trip.ended_at), 60))
    }
    runtime.writer.enqueue_samples(
        [Sample(VEHICLE_ID, "charger_power", ts, kw) for ts, kw in power.items()]
        + [
            Sample(VEHICLE_ID, "location", ts, None, None, 0, lat, lon)
            for ts, (lat, lon) in route.items()
        ]
    )
    await runtime.async_flush()
    await asyncio.wrap_future(runtime.writer.synced())
    # Two months later everything before this month is folded (PostgreSQL folds
    # whole months).
    later = datetime.fromtimestamp(session.started_at, UTC) + timedelta(days=62)
    engine = make_engine(runtime.db_config, pooled=False)
    try:
        await hass.async_add_executor_job(
            lambda: fold_samples(engine, later.replace(day=1, hour=0, minute=0))
        )
    finally:
        await hass.async_add_executor_job(engine.dispose)
    reader = runtime.reader
    raw = await hass.async_add_executor_job(
        lambda: reader.samples(
            VEHICLE_ID,
            datetime.fromtimestamp(session.started_at - 3600, UTC),
            datetime.fromtimestamp(trip.ended_at + 3600, UTC),
        )
    )
    assert raw == []  # folded

    def by_bucket(points: Mapping[int, Any]) -> dict[int, list[Any]]:
        grouped: dict[int, list[Any]] = {}
        for ts, value in points.items():
            grouped.setdefault(ts // 300 * 300 + 150, []).append(value)
        return grouped

    ws = await hass_ws_client(hass)
    one = await _ask(
        ws, type="ev_ledger/session", entry_id=loaded.entry_id, session_id=session.id
    )
    assert one["success"], one
    curve = [
        (s["ts"], s["value"])
        for s in one["result"]["session"]["samples"]
        if s["role"] == "charger_power"
    ]
    expected = [
        (middle, sum(values) / len(values))
        for middle, values in sorted(by_bucket(power).items())
    ]
    assert [ts for ts, _ in curve] == [ts for ts, _ in expected]
    assert [kw for _, kw in curve] == pytest.approx([kw for _, kw in expected])
    shown = await _ask(
        ws, type="ev_ledger/trip", entry_id=loaded.entry_id, trip_id=trip.id
    )
    assert shown["success"], shown
    assert shown["result"]["trip"]["route"] == [
        [middle, *points[-1]] for middle, points in sorted(by_bucket(route).items())
    ]
