"""Session and trip lists in SQL: location and flags filters, sorts, cursor paging.

The location filter matches zones as Home Assistant does ("Home", "home" and
"zone.home" are one place) on a key the writer stores beside the effective location,
so it gives what the actions' old Python filter gave, page by page.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.ev_ledger.db import DbConfig, Reader
from custom_components.ev_ledger.db.queries import BadCursor, Page, SessionSort
from custom_components.ev_ledger.logic.model import Cost, Flag, Place
from custom_components.ev_ledger.logic.tariff import normalize_zone

from .conftest import WriterFactory, make_session, make_trip

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

PLACES = ["Home", "zone.home", "Work Place", "zone.work_place", " HOME ", None, "Gym"]
FLAG_SETS = [set(), {Flag.GAP}, {Flag.PRICE_GAP, Flag.INFERRED}, {Flag.RESTORED}]


@pytest.fixture
def reader(migrated: DbConfig, make_writer: WriterFactory) -> Iterator[Reader]:
    writer = make_writer(migrated)
    for index in range(40):
        place = PLACES[index % len(PLACES)]
        session = replace(
            make_session(index, vehicle="car-a" if index % 3 else "car-b"),
            place=None if place is None else Place(place, 52.5, 13.4),
            flags=FLAG_SETS[index % len(FLAG_SETS)],
            # Ties on energy, and sessions without a cost
            energy_kwh=Decimal(index % 5 + 1),
            cost=None
            if index % 6 == 0
            else Cost(
                total=Decimal(index % 4),
                currency="EUR",
                source=make_session(0).cost.source,  # type: ignore[union-attr]
            ),
        )
        writer.enqueue_session(session)
        trip = make_trip(index, vehicle="car-a")
        writer.enqueue_trip(
            replace(
                trip,
                start_place=Place(PLACES[index % 7], 52.5, 13.4)
                if PLACES[index % 7]
                else None,
                end_place=Place("Gym" if index % 2 else "Shop", 52.5, 13.4),
                flags=FLAG_SETS[index % len(FLAG_SETS)],
            )
        )
    writer.update_session(make_session(2, vehicle="car-a").id, location_override="Home")
    writer.update_session(make_session(1, vehicle="car-a").id, location_override="Gym")
    writer.update_session(make_session(1, vehicle="car-a").id, location_override=None)
    writer.delete_session(make_session(7, vehicle="car-a").id)
    writer.synced().result(10)
    read = Reader(migrated)
    yield read
    read.close()


def everything(list_: Callable[..., Page], **filters: Any) -> list[dict[str, Any]]:
    """Every row of a list, through its cursors; each page at most `limit`."""
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = list_(cursor=cursor, limit=7, **filters)
        assert len(page.items) <= 7
        rows.extend(page.items)
        if page.next_cursor is None:
            assert not page.has_more
            return rows
        assert page.has_more
        cursor = page.next_cursor


def python_location_filter(reader: Reader, location: str) -> list[str]:
    """What `list_sessions(location=…)` of the actions gave before: all pages, then
    the effective locations normalised in Python."""
    wanted = normalize_zone(location)
    return [
        item["id"]
        for item in reader.list_sessions(limit=500).items
        if item.get("effective_location")
        and normalize_zone(item["effective_location"]) == wanted
    ]


@pytest.mark.parametrize("location", ["home", "Home", "zone.home", "work_place", "Gym"])
def test_location_filter_in_sql_equals_the_python_filter(
    reader: Reader, location: str
) -> None:
    page = reader.list_sessions(location=location, limit=500)
    expected = python_location_filter(reader, location)
    assert [item["id"] for item in page.items] == expected
    assert page.total == len(expected) > 0
    # A user's location counts; clearing it gives the engine's place back.
    overridden = make_session(2, vehicle="car-a").id
    cleared = make_session(1, vehicle="car-a").id
    ids = {item["id"] for item in page.items}
    assert (overridden in ids) == (normalize_zone(location) == "home")
    assert (cleared in ids) == (normalize_zone(location) == "home")  # zone.home


def test_location_filter_with_vehicle_and_nothing_matching(reader: Reader) -> None:
    page = reader.list_sessions(vehicle="car-b", location="HOME")
    assert page.items
    assert {item["vehicle_id"] for item in page.items} == {page.items[0]["vehicle_id"]}
    assert all(
        normalize_zone(item["effective_location"]) == "home" for item in page.items
    )
    assert reader.list_sessions(location="nowhere").total == 0
    assert reader.list_sessions(location="   ").total == 0
    assert "location_key" not in page.items[0]


def test_trip_location_matches_start_or_end(reader: Reader) -> None:
    trips = reader.list_trips(location="zone.gym", limit=500).items
    assert trips
    assert all(
        normalize_zone(trip["start_zone"] or "") == "gym"
        or normalize_zone(trip["end_zone"] or "") == "gym"
        for trip in trips
    )
    assert len(trips) == sum(
        1
        for trip in reader.list_trips(limit=500).items
        if "gym"
        in {normalize_zone(z) for z in (trip["start_zone"], trip["end_zone"]) if z}
    )
    assert "start_zone_key" not in trips[0]


def test_flags_filter_any_of(reader: Reader) -> None:
    every = reader.list_sessions(limit=500).items
    for wanted in (["gap"], ["price_gap", "restored"], ["energy_unknown"]):
        page = reader.list_sessions(flags=wanted, limit=500)
        expected = [item["id"] for item in every if set(item["flags"]) & set(wanted)]
        assert [item["id"] for item in page.items] == expected
        assert page.total == len(expected)
    trips = reader.list_trips(flags=["inferred"], limit=500)
    assert trips.total == sum(
        "inferred" in trip["flags"] for trip in reader.list_trips(limit=500).items
    )
    assert reader.list_sessions(flags=[]).total == len(every)  # no filter


@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("sort", ["started_at", "energy_kwh", "cost"])
def test_cursor_paging_visits_every_row_once_in_order(
    reader: Reader, sort: SessionSort, descending: bool
) -> None:
    rows = everything(reader.list_sessions, sort=sort, descending=descending)
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)) == reader.list_sessions().total == 39
    present = [row[sort] for row in rows if row[sort] is not None]
    assert present == sorted(present, reverse=descending)
    # Rows without a value come last either way.
    nulls = [row[sort] is None for row in rows]
    assert nulls == sorted(nulls)
    # The same order as offset paging.
    by_offset = reader.list_sessions(sort=sort, descending=descending, limit=500)
    assert [row["id"] for row in by_offset.items] == ids


def test_cursor_paging_with_filters_and_trips(reader: Reader) -> None:
    rows = everything(reader.list_sessions, location="home", flags=["gap", "restored"])
    expected = reader.list_sessions(
        location="home", flags=["gap", "restored"], limit=500
    )
    assert [r["id"] for r in rows] == [r["id"] for r in expected.items]
    trips = everything(reader.list_trips, sort="distance_km", descending=False)
    assert len({trip["id"] for trip in trips}) == len(trips) == 40


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "nonsense",
        "!!!",
        "e30",
        "W10",
        "WyJhIiwxLDJd",
        "WyJzZXNzaW9ucyIsWyJ4Il0sIjEiXQ",
    ],
)
def test_a_bad_cursor_is_a_clear_error(reader: Reader, cursor: str) -> None:
    with pytest.raises(BadCursor, match="cursor"):
        reader.list_sessions(cursor=cursor)


def test_a_cursor_of_another_sort_or_list_is_refused(reader: Reader) -> None:
    cursor = reader.list_sessions(limit=5).next_cursor
    assert cursor is not None
    assert reader.list_sessions(limit=5, cursor=cursor).items
    with pytest.raises(BadCursor, match="another"):
        reader.list_sessions(cursor=cursor, sort="energy_kwh")
    with pytest.raises(BadCursor, match="another"):
        reader.list_sessions(cursor=cursor, descending=False)
    with pytest.raises(BadCursor, match="another"):
        reader.list_trips(cursor=cursor)
    with pytest.raises(ValueError, match="sort"):
        reader.list_sessions(sort="notes")  # type: ignore[arg-type]
