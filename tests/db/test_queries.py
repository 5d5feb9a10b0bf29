"""Read helpers: latest session, totals per period, paginated lists, samples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from custom_components.ev_ledger.db import DbConfig, Reader, Sample
from custom_components.ev_ledger.logic.model import SessionStatus

from .conftest import T0, WriterFactory, make_session, make_trip

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def reader(migrated: DbConfig, make_writer: WriterFactory) -> Iterator[Reader]:
    writer = make_writer(migrated)
    for index in range(30):  # every 2 h from 2025-04-30 08:00 UTC
        writer.enqueue_session(make_session(index))
        writer.enqueue_trip(make_trip(index))
    writer.enqueue_session(make_session(0, vehicle="vehicle-2"))
    writer.enqueue_session(make_session(100, energy=Decimal("-1")))  # quarantined
    writer.update_session(make_session(3).id, cost_override=Decimal("0"))
    writer.update_session(make_session(5).id, location_override="Work")
    writer.delete_session(make_session(4).id)
    writer.delete_trip(make_trip(4).id)
    writer.enqueue_samples(
        [Sample("vehicle-1", "battery_level", T0 + i * 60, 50.0 + i) for i in range(10)]
        + [Sample("vehicle-1", "charging_state", T0 + 30, None, "charging")]
    )
    writer.synced().result(10)
    read = Reader(migrated)
    yield read
    read.close()


def test_latest_session(reader: Reader) -> None:
    latest = reader.latest_session("vehicle-1")
    assert latest is not None
    assert latest["started_at"] == datetime.fromtimestamp(T0 + 29 * 7200, UTC)
    assert len(latest["windows"]) == 2
    assert latest["effective_location"] == "Home"
    assert isinstance(latest["id"], str)
    assert reader.latest_session("nobody") is None


def test_lists_paginate_and_filter(reader: Reader) -> None:
    page = reader.list_sessions(vehicle="vehicle-1", limit=10)
    assert (page.total, len(page.items), page.has_more) == (29, 10, True)
    starts = [item["started_at"] for item in page.items]
    assert starts == sorted(starts, reverse=True)
    last = reader.list_sessions(vehicle="vehicle-1", offset=20, limit=10)
    assert (len(last.items), last.has_more) == (9, False)
    everything = reader.list_sessions(include_deleted=True, limit=500)
    assert everything.total == 31
    window = reader.list_sessions(
        start=datetime.fromtimestamp(T0, UTC),
        end=datetime.fromtimestamp(T0 + 3 * 7200, UTC),
        status="completed",
    )
    assert window.total == 4  # three of vehicle-1 and one of vehicle-2
    worked = reader.list_sessions(vehicle="vehicle-1", limit=500).items
    assert "Work" in {item["effective_location"] for item in worked}
    trips = reader.list_trips(
        vehicle="vehicle-1",
        start=datetime.fromtimestamp(T0, UTC),
        end=datetime.fromtimestamp(T0 + 10 * 7200, UTC),
    )
    assert trips.total == 9  # one deleted
    assert reader.list_trips(include_deleted=True).total == 30
    with pytest.raises(ValueError, match="limit"):
        reader.list_trips(limit=0)


def test_totals_per_local_period(reader: Reader) -> None:
    start = datetime(2025, 4, 1, tzinfo=UTC)
    end = datetime(2025, 6, 1, tzinfo=UTC)
    daily = reader.totals(start, end, vehicle="vehicle-1", period="day", tz="UTC")
    assert [t.period_start.day for t in daily] == [30, 1, 2]
    assert sum(t.sessions for t in daily) == 29
    assert daily[0].sessions == 7  # 08:00..22:00 on the 30th, one deleted
    monthly = reader.totals(start, end, period="month", tz="Europe/Berlin")
    assert monthly[0].period_start.tzinfo is not None
    total_cost = sum((t.cost for t in monthly), Decimal(0))
    assert total_cost == Decimal("3.1415") * 29  # 30 sessions, one free, one deleted
    assert sum(t.energy_kwh for t in monthly) == Decimal("10.5") * 30  # + vehicle-2
    assert sum(t.trips for t in monthly) == 29
    assert sum(t.distance_km for t in monthly) == Decimal("23.4") * 29
    assert monthly[0].currencies == {"EUR"}
    weekly = reader.totals(start, end, period="week")
    yearly = reader.totals(start, end, period="year")
    assert weekly[0].period_start.weekday() == 0
    assert len(yearly) == 1
    assert sum(t.solar_kwh for t in yearly) == Decimal(4 * 30)


def test_samples_of_a_source(reader: Reader) -> None:
    rows = reader.samples(
        "vehicle-1",
        datetime.fromtimestamp(T0, UTC),
        datetime.fromtimestamp(T0 + 3600, UTC),
    )
    assert len(rows) == 11
    assert rows[0].ts == T0
    only = reader.samples(
        "vehicle-1",
        datetime.fromtimestamp(T0, UTC),
        datetime.fromtimestamp(T0 + 3600, UTC),
        roles=["charging_state"],
    )
    assert [r.text for r in only] == ["charging"]
    start = datetime.fromtimestamp(T0, UTC)
    assert reader.samples("vehicle-2", start, start + timedelta(hours=1)) == []


def test_quarantine_is_visible(reader: Reader) -> None:
    kept = reader.quarantined()
    assert len(kept) == 1
    assert kept[0]["kind"] == "session"
    assert kept[0]["error"]


def test_vehicle_totals_in_one_aggregate(
    migrated: DbConfig, make_writer: WriterFactory
) -> None:
    """Completed sessions summed exactly; deleted and in-progress ones left out."""
    writer = make_writer(migrated)
    energies = [Decimal("10.0001"), Decimal("0.0003"), Decimal("33.3333")] * 10
    for index, energy in enumerate(energies):
        writer.enqueue_session(make_session(index, energy=energy))
    writer.enqueue_session(make_session(40, status=SessionStatus.IN_PROGRESS))
    writer.enqueue_session(make_session(41, energy=Decimal("7")))
    writer.delete_session(make_session(41).id)
    writer.enqueue_session(make_session(0, vehicle="vehicle-2"))
    writer.synced().result(10)
    reader = Reader(migrated)
    try:
        month = datetime.fromtimestamp(T0 + 20 * 7200, UTC)
        totals = reader.vehicle_totals(["vehicle-1", "vehicle-2", "nobody"], month)
    finally:
        reader.close()
    assert totals["vehicle-1"] == (
        sum(energies, Decimal(0)),
        Decimal("3.1415") * 30,
        Decimal("3.1415") * 10,
    )
    assert totals["vehicle-2"] == (Decimal("10.5"), Decimal("3.1415"), Decimal(0))
    assert totals["nobody"] == (Decimal(0), Decimal(0), Decimal(0))
    empty = Reader(migrated)
    try:
        assert empty.vehicle_totals([], month) == {}
    finally:
        empty.close()
