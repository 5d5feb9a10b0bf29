"""The writer on both backends: round trips, idempotence, quarantine, journal."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
import logging
from typing import TYPE_CHECKING, Any
import uuid

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from custom_components.ev_ledger.db import (
    DbConfig,
    InvalidVin,
    Sample,
    SiteDaily,
    WriterState,
    WriterStoppedError,
    entity_uuid,
)
from custom_components.ev_ledger.db.models import (
    ChargingSession,
    ChargingWindow,
    EnergySite,
    EnergySiteDaily,
    Quarantine,
    Sample as SampleModel,
    Trip,
    Vehicle,
)
from custom_components.ev_ledger.db.writer import Writer, is_outage
from custom_components.ev_ledger.logic.model import SessionStatus

from .conftest import T0, WriterFactory, make_session, make_trip
from .faults import Outage

if TYPE_CHECKING:
    from pathlib import Path


def count(engine: Engine, model: type, *where: Any) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(model).where(*where)
            ).scalar_one()
        )


def samples(source: str, n: int, start: int = 0) -> list[Sample]:
    return [
        Sample(source, "charger_power", T0 + i, 7.0 + i / 1000)
        for i in range(start, start + n)
    ]


def test_session_round_trip(
    migrated: DbConfig, engine: Engine, make_writer: WriterFactory
) -> None:
    writer = make_writer(migrated)
    session = make_session(0)
    writer.enqueue_session(session, extra={"address": "Main St 1", "network": "home"})
    writer.enqueue_trip(make_trip(0))
    writer.synced().result(10)
    with Session(engine) as conn:
        row = conn.execute(select(ChargingSession)).scalar_one()
        windows = conn.execute(select(ChargingWindow)).scalars().all()
        vehicle = conn.execute(select(Vehicle)).scalar_one()
        trip = conn.execute(select(Trip)).scalar_one()
    assert row.id == uuid.UUID(session.id)
    assert row.vehicle_id == vehicle.id == entity_uuid("vehicle-1")
    assert row.started_at == datetime.fromtimestamp(T0, UTC)
    assert row.started_at.tzinfo is UTC
    assert row.energy_kwh == Decimal("10.5000")
    assert row.cost == row.cost_without_overrides == Decimal("3.1415")
    assert row.tariff == {"kind": "fixed", "price": "0.30"}
    assert sorted(row.flags) == ["counter_reset", "gap"]
    assert row.solar_share == Decimal("0.3810")
    assert row.latitude == Decimal("52.5200000")
    assert (row.address, row.network, row.location_name) == (
        "Main St 1",
        "home",
        "Home",
    )
    assert [w.energy_kwh for w in windows] == [Decimal("5.25"), Decimal("5.25")]
    assert trip.distance_km == Decimal("23.400")
    assert trip.end_zone is None
    assert trip.flags == ["inferred"]
    assert writer.health().written == 2
    assert writer.health().last_commit is not None


def test_upserts_are_idempotent_and_keep_corrections(
    migrated: DbConfig, engine: Engine, make_writer: WriterFactory
) -> None:
    writer = make_writer(migrated)
    session = make_session(0)
    writer.enqueue_session(session)
    writer.enqueue_session(session)  # same batch: deduplicated
    writer.flush().result(10)
    writer.update_session(session.id, cost_override=Decimal("0"), notes="free day")
    writer.flush().result(10)
    session.energy_kwh = Decimal("12")
    session.windows = session.windows[:1]
    writer.enqueue_session(session, source="recompute")  # a recompute: new figures
    writer.delete_session(make_session(1).id)  # unknown id: harmless
    writer.synced().result(10)
    with Session(engine) as conn:
        row = conn.execute(select(ChargingSession)).scalar_one()
    assert count(engine, ChargingSession) == 1
    assert count(engine, ChargingWindow) == 1
    assert row.energy_kwh == Decimal("12")
    assert row.source == "recompute"
    assert row.cost == Decimal("0")  # the correction wins
    assert row.cost_without_overrides == Decimal("3.1415")  # the original is kept
    assert row.notes == "free day"
    assert row.overridden_at is not None
    writer.update_session(session.id, cost_override=None, location_override="Work")
    writer.delete_session(session.id)
    writer.delete_trip(make_trip(0).id)
    writer.synced().result(10)
    with Session(engine) as conn:
        row = conn.execute(select(ChargingSession)).scalar_one()
    assert row.cost == Decimal("3.1415")
    assert row.location_override == "Work"
    assert row.deleted_at is not None


def test_vehicles_sites_daily_and_samples(
    migrated: DbConfig, engine: Engine, make_writer: WriterFactory
) -> None:
    writer = make_writer(migrated)
    writer.enqueue_vehicle(
        "vehicle-1",
        name="Model Y",
        vin="5YJ3E1EA2KF317000",
        make="Tesla",
        model="Y",
        year=2024,
        usable_capacity_kwh=Decimal("75"),
    )
    writer.enqueue_vehicle("vehicle-1", learned_capacity_kwh=Decimal("72.5"))
    writer.enqueue_vehicle("vehicle-2", vin="WVWZZZ1JZXW000001")
    writer.enqueue_site("site-1", name="Roof", time_zone="Europe/Berlin")
    daily = SiteDaily(
        site_id="site-1",
        day=datetime(2025, 5, 1, tzinfo=UTC).date(),
        produced_kwh=Decimal("30.5"),
        self_consumption_pct=Decimal("61.25"),
    )
    writer.enqueue_site_daily(daily)
    writer.enqueue_site_daily(daily)
    writer.enqueue_samples(samples("vehicle-1", 500))
    writer.enqueue_samples(samples("vehicle-1", 500, start=250))  # overlap ignored
    writer.enqueue_samples([("site-1", "solar_power", T0, None, "unavailable")])
    writer.enqueue_samples([])
    writer.synced().result(10)
    with Session(engine) as conn:
        vehicles = {v.key: v for v in conn.execute(select(Vehicle)).scalars()}
        day = conn.execute(select(EnergySiteDaily)).scalar_one()
        site = conn.execute(select(EnergySite)).scalar_one()
        text_sample = conn.execute(
            select(SampleModel).where(SampleModel.role == "solar_power")
        ).scalar_one()
    assert vehicles["vehicle-1"].name == "Model Y"
    assert vehicles["vehicle-1"].learned_capacity_kwh == Decimal("72.500")
    assert vehicles["vehicle-1"].usable_capacity_kwh == Decimal("75.000")
    assert vehicles["vehicle-1"].vin_status == "valid"
    assert vehicles["vehicle-2"].vin_status == "unverified"
    assert site.time_zone == "Europe/Berlin"
    assert day.produced_kwh == Decimal("30.5")
    assert day.self_consumption_pct == Decimal("61.25")
    assert count(engine, SampleModel) == 751
    assert text_sample.value is None
    assert text_sample.text == "unavailable"
    assert text_sample.ts == datetime.fromtimestamp(T0, UTC)
    with pytest.raises(InvalidVin):
        writer.enqueue_vehicle("vehicle-3", vin="1HGCM82633A00435I")


def test_rejected_rows_are_quarantined_not_the_batch(
    migrated: DbConfig, engine: Engine, make_writer: WriterFactory
) -> None:
    writer = make_writer(migrated, commit_interval=60)
    for index in range(10):
        writer.enqueue_session(make_session(index))
        if index == 6:
            writer.enqueue_session(make_session(100, energy=Decimal("-1")))  # CHECK
    writer.enqueue_samples(samples("vehicle-1", 100))
    writer.enqueue_samples([("vehicle-1", "x" * 40, T0, 1.0)])  # role too long on PG
    writer.synced().result(10)
    health = writer.health()
    assert count(engine, ChargingSession) == 10
    assert count(engine, SampleModel) >= 100
    assert health.quarantined >= 1
    assert "quarantined" in (health.last_error or "")
    with Session(engine) as conn:
        kept = conn.execute(select(Quarantine)).scalars().all()
    assert kept[0].kind == "session"
    assert kept[0].payload["energy_kwh"] == "-1"
    assert "energy" in kept[0].error


def test_journal_while_unreachable_then_replay_in_order(
    migrated: DbConfig, engine: Engine, make_writer: WriterFactory
) -> None:
    outage = Outage()
    writer = make_writer(migrated, engine_factory=outage.factory)
    writer.enqueue_session(make_session(0))
    writer.synced().result(10)
    outage.down = True
    session = make_session(1, status=SessionStatus.IN_PROGRESS)
    writer.enqueue_session(session)
    writer.enqueue_samples(samples("vehicle-1", 300))
    writer.flush().result(10)  # durable: journaled
    health = writer.health()
    assert health.state is WriterState.DISCONNECTED
    assert health.journaled == 301
    assert health.pending == 0
    session.status = SessionStatus.COMPLETED
    session.energy_kwh = Decimal("20")
    writer.enqueue_session(session)  # a newer snapshot, behind the older one
    writer.flush().result(10)
    assert outage.refused >= 1
    synced = writer.synced()
    assert not synced.done()
    outage.down = False
    synced.result(10)
    health = writer.health()
    assert health.journaled == 0
    assert health.state is WriterState.CONNECTED
    assert health.reconnect_attempts == 0
    assert count(engine, SampleModel) == 300
    with Session(engine) as conn:
        row = conn.execute(
            select(ChargingSession).where(ChargingSession.id == uuid.UUID(session.id))
        ).scalar_one()
    assert (row.status, row.energy_kwh) == ("completed", Decimal("20"))
    assert not list((writer._journal_dir).glob("*.jnl"))


def test_journal_survives_a_restart(
    migrated: DbConfig, engine: Engine, make_writer: WriterFactory, tmp_path: Path
) -> None:
    outage = Outage(down=True)
    first = make_writer(migrated, engine_factory=outage.factory)
    assert first.health().state is WriterState.DISCONNECTED
    first.enqueue_samples(samples("vehicle-1", 1000))
    first.enqueue_trip(make_trip(3))
    synced = first.synced()
    assert first.stop(5)
    with pytest.raises(WriterStoppedError):
        synced.result(1)
    with pytest.raises(WriterStoppedError):
        first.enqueue_trip(make_trip(4))
    with pytest.raises(WriterStoppedError):
        first.flush().result(1)
    second = make_writer(migrated)
    assert second.health().journaled == 1001
    second.synced().result(10)
    assert count(engine, SampleModel) == 1000
    assert count(engine, Trip) == 1


def test_stop_flushes_to_the_database(
    migrated: DbConfig, engine: Engine, make_writer: WriterFactory
) -> None:
    writer = make_writer(migrated, commit_interval=3600)
    writer.enqueue_samples(samples("vehicle-1", 2000))
    for index in range(20):
        writer.enqueue_session(make_session(index))
    assert writer.stop(10)
    assert count(engine, SampleModel) == 2000
    assert count(engine, ChargingSession) == 20
    assert writer.health().state is WriterState.STOPPED


def test_full_journal_counts_drops_and_says_so(
    migrated: DbConfig, make_writer: WriterFactory
) -> None:
    outage = Outage(down=True)
    writer = make_writer(
        migrated, engine_factory=outage.factory, journal_max_bytes=20_000
    )
    for index in range(50):
        writer.enqueue_session(make_session(index))
    writer.flush().result(10)
    health = writer.health()
    assert health.journal_full
    assert health.dropped > 0
    assert health.journaled + health.dropped == 50
    assert health.journal_bytes <= 20_000
    assert "journal full" in (health.last_error or "")
    assert health.as_dict()["state"] == "disconnected"


def test_reconnects_forever_with_backoff(
    migrated: DbConfig, make_writer: WriterFactory
) -> None:
    outage = Outage(down=True)
    writer = make_writer(migrated, engine_factory=outage.factory)
    writer.enqueue_trip(make_trip(0))
    synced = writer.synced()
    while outage.refused < 6:  # attempts keep coming, ~10-50 ms apart
        assert not synced.done()
        writer.flush().result(5)
    assert writer.health().reconnect_attempts >= 5
    outage.down = False
    synced.result(10)


def test_outage_classification() -> None:
    assert is_outage(ConnectionResetError())
    assert not is_outage(ValueError("bad row"))


def test_writer_refuses_double_start_and_reports_start_failure(
    sqlite_config: DbConfig, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    writer = Writer(sqlite_config, blocker)
    with pytest.raises(FileExistsError):
        writer.start().result(5)
    with pytest.raises(RuntimeError):
        writer.start()
    assert writer.stop(1)
    assert Writer(sqlite_config, tmp_path).stop(1)


def test_password_never_in_errors_logs_or_repr(
    tmp_path: Path, make_writer: WriterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "S3cr3t-pa55word"
    config = DbConfig(host="127.0.0.1", port=1, user="u", password=secret)
    assert secret not in repr(config)
    assert secret not in str(config)
    assert secret not in str(config.url())
    assert secret not in repr(config.url())
    caplog.set_level(logging.DEBUG)
    writer = make_writer(config)
    writer.enqueue_trip(make_trip(0))
    writer.flush().result(10)
    health = writer.health()
    assert health.state is WriterState.DISCONNECTED
    assert health.last_error
    assert secret not in repr(health)
    assert secret not in caplog.text
    assert "unreachable" in caplog.text


def test_sqlite_times_round_trip_as_utc(sqlite_config: DbConfig) -> None:
    from custom_components.ev_ledger.db import make_engine
    from custom_components.ev_ledger.db.migrate import connect_and_migrate

    connect_and_migrate(sqlite_config)
    eng = make_engine(sqlite_config)
    with eng.begin() as conn:
        conn.execute(
            text("INSERT INTO samples (source, role, ts, value) VALUES (1, 0, :t, 1)"),
            # Samples' times are integer microseconds on SQLite (migration 0007).
            {"t": 1_746_100_800_000_000},
        )
        stored = conn.execute(select(SampleModel.ts)).scalar_one()
        with pytest.raises(Exception, match="naive"):
            conn.execute(
                SampleModel.__table__.insert(),  # type: ignore[attr-defined]
                {"source": 2, "role": "odometer", "ts": datetime(2025, 1, 1)},
            )
    eng.dispose()
    assert stored == datetime(2025, 5, 1, 12, tzinfo=UTC)
