"""Migration 0008 on a populated database: zone keys for the rows already stored.

Sessions and trips stored before 0008 (no key columns) get the keys the writer would
have given them: a session's from its user's location first, else the engine's place.
The location filter then finds what the old Python filter found; a downgrade drops the
columns and keeps the rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
import uuid

from sqlalchemy import Table, insert, inspect

from custom_components.ev_ledger.db import DbConfig, Reader, make_engine
from custom_components.ev_ledger.db.migrate import migrate
from custom_components.ev_ledger.db.models import ChargingSession, Trip, Vehicle
from custom_components.ev_ledger.logic.tariff import normalize_zone

from .conftest import T0

SESSIONS: Table = ChargingSession.__table__  # type: ignore[assignment]
TRIPS: Table = Trip.__table__  # type: ignore[assignment]
VEHICLES: Table = Vehicle.__table__  # type: ignore[assignment]
CAR = uuid.uuid5(uuid.NAMESPACE_URL, "car")
PLACES = ["Home", "zone.home", "Work-Place", None, "  work place ", "", "Gym"]
OVERRIDES = [None, None, "zone.gym", None, None, "Home", None, None, None]
COUNT = 600


def insert_old(config: DbConfig) -> None:
    """Sessions and trips as a 0007 database stored them (no key columns)."""
    start = datetime.fromtimestamp(T0, UTC)
    engine = make_engine(config, pooled=False)
    try:
        with engine.begin() as conn:
            conn.execute(insert(VEHICLES), [{"id": CAR}])
            conn.execute(
                insert(SESSIONS),
                [
                    {
                        "id": uuid.uuid5(CAR, f"s{i}"),
                        "vehicle_id": CAR,
                        "status": "completed",
                        "started_at": start + timedelta(hours=i),
                        "energy_kwh": Decimal(i % 9),
                        "energy_method": "vehicle_counter",
                        "flags": ["gap"] if i % 2 else [],
                        "location_name": PLACES[i % len(PLACES)],
                        "location_override": OVERRIDES[i % len(OVERRIDES)],
                    }
                    for i in range(COUNT)
                ],
            )
            conn.execute(
                insert(TRIPS),
                [
                    {
                        "id": uuid.uuid5(CAR, f"t{i}"),
                        "vehicle_id": CAR,
                        "started_at": start + timedelta(hours=i, minutes=30),
                        "ended_at": start + timedelta(hours=i, minutes=50),
                        "distance_km": Decimal(12),
                        "distance_method": "odometer",
                        "flags": [],
                        "start_zone": PLACES[i % len(PLACES)],
                        "end_zone": PLACES[(i + 3) % len(PLACES)],
                    }
                    for i in range(COUNT)
                ],
            )
    finally:
        engine.dispose()


def columns(config: DbConfig, table: str) -> set[str]:
    engine = make_engine(config, pooled=False)
    try:
        with engine.connect() as conn:
            return {column["name"] for column in inspect(conn).get_columns(table)}
    finally:
        engine.dispose()


def old_filter(rows: list[dict[str, Any]], location: str, *places: str) -> list[str]:
    wanted = normalize_zone(location)
    return [
        row["id"]
        for row in rows
        if any(row[p] and normalize_zone(row[p]) == wanted for p in places)
    ]


def test_stored_rows_get_their_zone_keys_and_lose_them_again(
    db_config: DbConfig,
) -> None:
    migrate(db_config, "0007")
    insert_old(db_config)
    assert "location_key" not in columns(db_config, "charging_sessions")

    migrate(db_config, "head")
    reader = Reader(db_config)
    try:
        sessions = reader.list_sessions(limit=500).items
        sessions += reader.list_sessions(offset=500, limit=500).items
        trips = reader.list_trips(limit=500).items
        trips += reader.list_trips(offset=500, limit=500).items
        assert len(sessions) == len(trips) == COUNT
        for location in ("home", "Zone.Home", "work_place", "gym", "nowhere"):
            page = reader.list_sessions(location=location, limit=500)
            rest = reader.list_sessions(location=location, offset=500, limit=500)
            found = [row["id"] for row in page.items + rest.items]
            assert found == old_filter(sessions, location, "effective_location")
            trip_page = reader.list_trips(location=location, limit=500)
            trip_rest = reader.list_trips(location=location, offset=500, limit=500)
            assert [row["id"] for row in trip_page.items + trip_rest.items] == (
                old_filter(trips, location, "start_zone", "end_zone")
            )
        # A user's location wins over the engine's place.
        gym = {
            row["id"] for row in reader.list_sessions(location="gym", limit=500).items
        }
        assert str(uuid.uuid5(CAR, "s2")) in gym  # "Work-Place", moved to the gym
        assert reader.list_sessions(location="work_place").total > 0
    finally:
        reader.close()

    migrate(db_config, "0007", downgrade=True)
    assert "location_key" not in columns(db_config, "charging_sessions")
    assert not {"start_zone_key", "end_zone_key"} & columns(db_config, "trips")
    migrate(db_config, "head")
