"""Fixtures of the storage tests: fresh databases on both backends, fast writers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
import logging
import random
from typing import TYPE_CHECKING
import uuid

import psycopg
import pytest
from sqlalchemy import text

from custom_components.ev_ledger.db import Backoff, DbConfig, Writer, make_engine
from custom_components.ev_ledger.db.migrate import connect_and_migrate
from custom_components.ev_ledger.db.sink import write_batch
from custom_components.ev_ledger.logic.model import (
    ChargeType,
    ChargingSession,
    ChargingWindow,
    Cost,
    CostSource,
    DistanceMethod,
    EnergyMethod,
    Flag,
    Place,
    SessionStatus,
    SolarSplit,
    Trip,
)

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy import Engine

    from custom_components.ev_ledger.db import Sample

T0 = 1_746_000_000.0  # 2025-04-30 08:00 UTC

# The test harness logs at DEBUG; SQL echo would drown the output and slow the runs.
logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)


def libpq_url(url: str) -> str:
    """Return a psycopg URL from a SQLAlchemy one."""
    return url.replace("postgresql+psycopg://", "postgresql://")


def create_database(server_url: str) -> str:
    """Create a fresh database on the server; return its SQLAlchemy URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{server_url.rsplit('/', 1)[0]}/{name}"


def drop_database(server_url: str, url: str) -> None:
    """Drop a database created by `create_database`."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def pg_config(pg_server_url: str) -> Iterator[DbConfig]:
    """A fresh, empty PostgreSQL database."""
    url = create_database(pg_server_url)
    yield DbConfig.from_url(url)
    drop_database(pg_server_url, url)


@pytest.fixture
def sqlite_config(tmp_path: Path) -> DbConfig:
    """A fresh, empty SQLite file."""
    return DbConfig.embedded(tmp_path / "db" / "ev_ledger.db")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_config(request: pytest.FixtureRequest) -> DbConfig:
    """A fresh, empty database of each backend."""
    name = "sqlite_config" if request.param == "sqlite" else "pg_config"
    config: DbConfig = request.getfixturevalue(name)
    return config


@pytest.fixture
def migrated(db_config: DbConfig) -> DbConfig:
    """A database of each backend at the head revision."""
    connect_and_migrate(db_config)
    return db_config


@pytest.fixture
def engine(migrated: DbConfig) -> Iterator[Engine]:
    """An engine on the migrated database, for assertions."""
    eng = make_engine(migrated)
    yield eng
    eng.dispose()


def fast_backoff() -> Backoff:
    """Reconnect quickly in tests."""
    return Backoff(initial=0.01, maximum=0.05, rng=random.Random(7))


type WriterFactory = Callable[..., Writer]


@pytest.fixture
def make_writer(tmp_path: Path) -> Iterator[WriterFactory]:
    """Build started writers; every one is stopped when the test ends."""
    writers: list[Writer] = []

    def factory(
        config: DbConfig, journal: Path | None = None, **kwargs: object
    ) -> Writer:
        kwargs.setdefault("backoff", fast_backoff())
        kwargs.setdefault("commit_interval", 0.05)
        writer = Writer(config, journal or tmp_path / "journal", **kwargs)  # type: ignore[arg-type]
        writer.start().result(10)
        writers.append(writer)
        return writer

    yield factory
    for writer in writers:
        assert writer.stop(10)


def make_session(
    index: int,
    *,
    vehicle: str = "vehicle-1",
    energy: Decimal = Decimal("10.5"),
    status: SessionStatus = SessionStatus.COMPLETED,
) -> ChargingSession:
    """An engine session with every optional part filled."""
    start = T0 + index * 7200
    return ChargingSession(
        id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{vehicle}/{start}")),
        vehicle_id=vehicle,
        status=status,
        plugged_at=start - 60,
        started_at=start,
        ended_at=start + 3600,
        unplugged_at=start + 3700,
        charging_seconds=3600.0,
        plugged_seconds=3760.0,
        energy_kwh=energy,
        energy_method=EnergyMethod.VEHICLE_COUNTER,
        wall_energy_kwh=energy + Decimal("1"),
        loss_kwh=Decimal("1"),
        start_level=20.0,
        end_level=40.5,
        range_added_km=70.2,
        max_power_kw=11.0,
        min_power_kw=3.5,
        avg_power_kw=10.5,
        avg_voltage=230.0,
        avg_current=16.0,
        charge_type=ChargeType.AC,
        place=Place("Home", 52.52, 13.405),
        outside_temp_c=12.5,
        windows=[
            ChargingWindow(
                started_at=start, ended_at=start + 1800, energy_kwh=energy / 2
            ),
            ChargingWindow(
                started_at=start + 1800, ended_at=start + 3600, energy_kwh=energy / 2
            ),
        ],
        flags={Flag.GAP, Flag.COUNTER_RESET},
        cost=Cost(
            total=Decimal("3.1415"),
            currency="EUR",
            source=CostSource.TARIFF,
            energy_cost=Decimal("3.1415"),
            tariff={"kind": "fixed", "price": "0.30"},
        ),
        solar=SolarSplit(
            solar_kwh=Decimal("4"), battery_kwh=Decimal("1"), grid_kwh=Decimal("5.5")
        ),
    )


def make_trip(index: int, *, vehicle: str = "vehicle-1") -> Trip:
    """An engine trip with every optional part filled."""
    start = T0 + index * 7200 + 4000
    return Trip(
        id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"trip/{vehicle}/{start}")),
        vehicle_id=vehicle,
        started_at=start,
        ended_at=start + 1200,
        distance_km=Decimal("23.4"),
        distance_method=DistanceMethod.ODOMETER,
        energy_kwh=Decimal("3.9"),
        energy_method=EnergyMethod.BATTERY_DELTA,
        efficiency_wh_km=Decimal("166.67"),
        duration_s=1200.0,
        avg_speed_kmh=70.2,
        max_speed_kmh=120.0,
        start_place=Place("Home", 52.52, 13.405),
        end_place=Place(None, 52.4, 13.1),
        start_odometer_km=1000.0,
        end_odometer_km=1023.4,
        start_level=40.0,
        end_level=35.0,
        avg_outside_temp_c=11.0,
        flags={Flag.INFERRED},
    )


def write_samples(engine: Engine, samples: list[Sample]) -> None:
    """Store samples through the sink, in one transaction."""
    with engine.begin() as conn:
        write_batch(conn, [("samples", [list(s) for s in samples])])


def partition_names(engine: Engine) -> list[str]:
    """The month partitions of `samples` on PostgreSQL, by name."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c"
                " ON c.oid = i.inhrelid WHERE i.inhparent = 'samples'::regclass"
                " ORDER BY 1"
            )
        )
        return [str(r[0]) for r in rows]
