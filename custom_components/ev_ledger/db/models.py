"""Typed SQLAlchemy models: the ledger's tables.

The same metadata serves PostgreSQL (in schema `ev_ledger`, selected through the
connection's `search_path`) and SQLite (no schema). Amounts are NUMERIC (`Amount`),
times are aware UTC (`UTCDateTime`), every foreign key says what happens on delete and
every constraint and index is named by the convention below, so migrations are stable.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
import uuid

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .types import Amount, SampleRole, SampleSource, SampleTime, UTCDateTime, json_doc

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Zone keys the writer derives from other columns (migration 0008): an index path for
# the location filters, never shown in a record or an export.
DERIVED_COLUMNS = frozenset({"location_key", "start_zone_key", "end_zone_key"})


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {
        datetime: UTCDateTime(),
        Decimal: Amount(),
        uuid.UUID: Uuid(),
    }


def _created() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), server_default=func.current_timestamp())


def _updated() -> Mapped[datetime]:
    return mapped_column(
        UTCDateTime(), server_default=func.current_timestamp(), onupdate=func.now()
    )


class Vehicle(Base):
    """A vehicle. Soft-deleted (`deleted_at`) so its history stays queryable."""

    __tablename__ = "vehicles"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(100))
    vin: Mapped[str | None] = mapped_column(String(17))
    vin_status: Mapped[str | None] = mapped_column(String(24))
    make: Mapped[str | None] = mapped_column(String(50))
    model: Mapped[str | None] = mapped_column(String(50))
    year: Mapped[int | None] = mapped_column(SmallInteger)
    usable_capacity_kwh: Mapped[Decimal | None] = mapped_column(Amount(8, 3))
    learned_capacity_kwh: Mapped[Decimal | None] = mapped_column(Amount(8, 3))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()
    deleted_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint("vin IS NULL OR length(vin) = 17", name="vin_length"),
        CheckConstraint("year IS NULL OR year BETWEEN 1886 AND 2200", name="year"),
    )


_KEPT: dict[str, Any] = {
    "sqlite_where": text("deleted_at IS NULL"),
    "postgresql_where": text("deleted_at IS NULL"),
}


class ChargingSession(Base):
    """A charging session (LightningROD field set, plus overrides that keep originals).

    `cost` is the effective cost: `cost_override` when the user set one, else the
    engine's `cost_without_overrides`. The writer never touches the override columns,
    `notes` or `deleted_at`, so a backfill or recompute keeps the user's corrections.
    """

    __tablename__ = "charging_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    vehicle_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("vehicles.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16), server_default="live")
    charge_type: Mapped[str | None] = mapped_column(String(8))
    # Location
    location_name: Mapped[str | None] = mapped_column(String(200))
    location_type: Mapped[str | None] = mapped_column(String(32))
    zone: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[Decimal | None] = mapped_column(Amount(10, 7))
    longitude: Mapped[Decimal | None] = mapped_column(Amount(10, 7))
    address: Mapped[str | None] = mapped_column(String(500))
    network: Mapped[str | None] = mapped_column(String(100))
    is_free: Mapped[bool | None] = mapped_column(Boolean)
    # The effective location's zone key (`rows.zone_key` of the override, else of
    # location_name), kept by the writer, so a location filter is indexed (0008)
    location_key: Mapped[str | None] = mapped_column(String(200))
    # tracker / charger / assumed (migration 0003)
    place_source: Mapped[str | None] = mapped_column(String(16))
    # Power
    voltage_avg: Mapped[Decimal | None] = mapped_column(Amount(8, 2))
    current_avg: Mapped[Decimal | None] = mapped_column(Amount(8, 2))
    power_avg_kw: Mapped[Decimal | None] = mapped_column(Amount(10, 3))
    power_max_kw: Mapped[Decimal | None] = mapped_column(Amount(10, 3))
    power_min_kw: Mapped[Decimal | None] = mapped_column(Amount(10, 3))
    # Timestamps
    plugged_in_at: Mapped[datetime | None]
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    unplugged_at: Mapped[datetime | None]
    ingested_at: Mapped[datetime] = _created()
    recorded_at: Mapped[datetime] = _updated()
    # Durations
    charging_seconds: Mapped[Decimal | None] = mapped_column(Amount(12, 3))
    plugged_seconds: Mapped[Decimal | None] = mapped_column(Amount(12, 3))
    # Energy and battery
    start_level: Mapped[Decimal | None] = mapped_column(Amount(5, 2))
    end_level: Mapped[Decimal | None] = mapped_column(Amount(5, 2))
    energy_kwh: Mapped[Decimal] = mapped_column(Amount(12, 4))
    wall_energy_kwh: Mapped[Decimal | None] = mapped_column(Amount(12, 4))
    loss_kwh: Mapped[Decimal | None] = mapped_column(Amount(12, 4))
    range_added_km: Mapped[Decimal | None] = mapped_column(Amount(10, 2))
    outside_temp_c: Mapped[Decimal | None] = mapped_column(Amount(5, 2))
    energy_method: Mapped[str] = mapped_column(String(24))
    # Cost
    cost: Mapped[Decimal | None] = mapped_column(Amount(14, 4))
    currency: Mapped[str | None] = mapped_column(String(3))
    cost_source: Mapped[str | None] = mapped_column(String(16))
    estimated_cost: Mapped[Decimal | None] = mapped_column(Amount(14, 4))
    cost_without_overrides: Mapped[Decimal | None] = mapped_column(Amount(14, 4))
    energy_cost: Mapped[Decimal | None] = mapped_column(Amount(14, 4))
    time_cost: Mapped[Decimal | None] = mapped_column(Amount(14, 4))
    session_fee: Mapped[Decimal | None] = mapped_column(Amount(14, 4))
    idle_fee: Mapped[Decimal | None] = mapped_column(Amount(14, 4))
    solar_value: Mapped[Decimal | None] = mapped_column(Amount(14, 4))
    unpriced_kwh: Mapped[Decimal | None] = mapped_column(Amount(12, 4))
    # Why energy is unpriced, with the price_gap flag (migration 0003)
    price_gap: Mapped[str | None] = mapped_column(String(16))
    tariff: Mapped[dict[str, Any] | None] = mapped_column(json_doc())
    # Solar attribution
    solar_kwh: Mapped[Decimal | None] = mapped_column(Amount(12, 4))
    battery_kwh: Mapped[Decimal | None] = mapped_column(Amount(12, 4))
    grid_kwh: Mapped[Decimal | None] = mapped_column(Amount(12, 4))
    unattributed_kwh: Mapped[Decimal | None] = mapped_column(Amount(12, 4))
    solar_share: Mapped[Decimal | None] = mapped_column(Amount(5, 4))
    # Quality
    flags: Mapped[list[str]] = mapped_column(json_doc())
    # User corrections (never written by the engine's upserts)
    cost_override: Mapped[Decimal | None] = mapped_column(Amount(14, 4))
    location_override: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    overridden_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]

    __table_args__ = (
        Index(None, "vehicle_id", "started_at"),
        Index(None, "started_at"),
        # Lists and their counts read the kept (not deleted) sessions: partial
        # indexes cover them, so a page and its total do not touch older rows (0008).
        Index("ix_charging_sessions_kept", "vehicle_id", "started_at", **_KEPT),
        Index(
            "ix_charging_sessions_kept_location",
            "vehicle_id",
            "location_key",
            "started_at",
            **_KEPT,
        ),
        CheckConstraint("energy_kwh >= 0", name="energy_not_negative"),
        CheckConstraint(
            "status IN ('in_progress', 'completed', 'inferred')", name="status"
        ),
    )


class ChargingWindow(Base):
    """A stretch of active charging inside a session."""

    __tablename__ = "charging_windows"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("charging_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    started_at: Mapped[datetime] = mapped_column(primary_key=True)
    ended_at: Mapped[datetime]
    energy_kwh: Mapped[Decimal] = mapped_column(Amount(12, 4))


class Trip(Base):
    """A drive from parking to parking."""

    __tablename__ = "trips"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    vehicle_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("vehicles.id", ondelete="CASCADE")
    )
    source: Mapped[str] = mapped_column(String(16), server_default="live")
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    duration_seconds: Mapped[Decimal | None] = mapped_column(Amount(12, 3))
    distance_km: Mapped[Decimal] = mapped_column(Amount(12, 3))
    distance_method: Mapped[str] = mapped_column(String(24))
    energy_kwh: Mapped[Decimal | None] = mapped_column(Amount(12, 4))
    energy_method: Mapped[str | None] = mapped_column(String(24))
    efficiency_wh_km: Mapped[Decimal | None] = mapped_column(Amount(10, 2))
    avg_speed_kmh: Mapped[Decimal | None] = mapped_column(Amount(7, 2))
    max_speed_kmh: Mapped[Decimal | None] = mapped_column(Amount(7, 2))
    start_zone: Mapped[str | None] = mapped_column(String(200))
    start_latitude: Mapped[Decimal | None] = mapped_column(Amount(10, 7))
    start_longitude: Mapped[Decimal | None] = mapped_column(Amount(10, 7))
    end_zone: Mapped[str | None] = mapped_column(String(200))
    # The zones' keys (`rows.zone_key`), kept by the writer (migration 0008)
    start_zone_key: Mapped[str | None] = mapped_column(String(200))
    end_zone_key: Mapped[str | None] = mapped_column(String(200))
    end_latitude: Mapped[Decimal | None] = mapped_column(Amount(10, 7))
    end_longitude: Mapped[Decimal | None] = mapped_column(Amount(10, 7))
    start_odometer_km: Mapped[Decimal | None] = mapped_column(Amount(12, 3))
    end_odometer_km: Mapped[Decimal | None] = mapped_column(Amount(12, 3))
    start_level: Mapped[Decimal | None] = mapped_column(Amount(5, 2))
    end_level: Mapped[Decimal | None] = mapped_column(Amount(5, 2))
    avg_outside_temp_c: Mapped[Decimal | None] = mapped_column(Amount(5, 2))
    flags: Mapped[list[str]] = mapped_column(json_doc())
    notes: Mapped[str | None] = mapped_column(Text)
    ingested_at: Mapped[datetime] = _created()
    recorded_at: Mapped[datetime] = _updated()
    deleted_at: Mapped[datetime | None]

    __table_args__ = (
        Index(None, "vehicle_id", "started_at"),
        Index(None, "started_at"),
        Index("ix_trips_kept", "vehicle_id", "started_at", **_KEPT),  # 0008
        CheckConstraint("distance_km >= 0", name="distance_not_negative"),
    )


class EnergySite(Base):
    """A home energy site (solar, battery, grid meter). Soft-deleted."""

    __tablename__ = "energy_sites"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(100))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    battery_capacity_kwh: Mapped[Decimal | None] = mapped_column(Amount(8, 3))
    solar_capacity_kw: Mapped[Decimal | None] = mapped_column(Amount(8, 3))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()
    deleted_at: Mapped[datetime | None]


class EnergySiteDaily(Base):
    """Daily energy-site summary (Tessie Stats' energy_daily), one row per local day."""

    __tablename__ = "energy_site_daily"

    site_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("energy_sites.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    produced_kwh: Mapped[Decimal | None] = mapped_column(Amount(12, 4))
    solar_to_home_kwh: Mapped[Decimal | None] = mapped_column(Amount(12, 4))
    solar_to_battery_kwh: Mapped[Decimal | None] = mapped_column(Amount(12, 4))
    solar_to_grid_kwh: Mapped[Decimal | None] = mapped_column(Amount(12, 4))
    battery_to_home_kwh: Mapped[Decimal | None] = mapped_column(Amount(12, 4))
    grid_imported_kwh: Mapped[Decimal | None] = mapped_column(Amount(12, 4))
    grid_exported_kwh: Mapped[Decimal | None] = mapped_column(Amount(12, 4))
    home_consumed_kwh: Mapped[Decimal | None] = mapped_column(Amount(12, 4))
    ev_charged_kwh: Mapped[Decimal | None] = mapped_column(Amount(12, 4))
    self_consumption_pct: Mapped[Decimal | None] = mapped_column(Amount(5, 2))
    recorded_at: Mapped[datetime] = _updated()


class SampleSourceId(Base):
    """The small integer id the sample tables carry for a source's UUID (0009).

    A vehicle's or energy site's UUID is 16 bytes; the id is 4 on PostgreSQL and one
    or two on SQLite, in every sample and bucket and their key. The writer adds a
    source the first time it stores one of its samples; an id never changes. The
    sample tables carry no foreign key to it: a source is never deleted, and the
    check would cost every insert.
    """

    __tablename__ = "sample_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[uuid.UUID] = mapped_column(SampleSource(), unique=True)


class SampleRoleName(Base):
    """The name of a sample role's code, for SQL users (`v_samples`, migration 0010).

    The integration reads codes through `db.types.ROLE_CODES`; a migration that
    appends a code there adds its row here (a test holds the two equal).
    """

    __tablename__ = "sample_roles"

    code: Mapped[int] = mapped_column(
        SmallInteger, primary_key=True, autoincrement=False
    )
    name: Mapped[str] = mapped_column(String(32), unique=True)


class Sample(Base):
    """A raw measurement: narrow, keyed on (source, time, role).

    The key leads with the source and the time, so a source's samples of a time
    range (recompute, retention) are one range scan of the key; there is no other
    index. `source` is the source's id in `sample_sources` and `role` its code
    (`db.types.ROLE_CODES`) (migration 0009), the columns ordered so PostgreSQL
    packs them without padding (4 + 2 + 2 + 8 + 8 bytes before the nullable ones).
    On SQLite the table is WITHOUT ROWID: the key is the table (migration 0006), and
    the time integer microseconds (migration 0007, `db.types`). `seq` orders the
    samples of one ledger that share a timestamp as live took them; a location keeps
    its coordinates beside its zone (`text`) (migration 0004). Raw samples older than
    the retention window are folded into `sample_buckets`. On PostgreSQL the table
    is partitioned by month of `ts` (migration 0011): retention drops a month.
    """

    __tablename__ = "samples"

    source: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(SampleRole())
    seq: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    ts: Mapped[datetime] = mapped_column(SampleTime())
    value: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (
        PrimaryKeyConstraint("source", "ts", "role"),
        # PostgreSQL: one partition per UTC month (migration 0011, `db.partitions`).
        {"sqlite_with_rowid": False, "postgresql_partition_by": "RANGE (ts)"},
    )


class SampleBucket(Base):
    """Samples older than the retention window, folded per source, role and five minutes.

    `ts` is the bucket's start. `value_mean` is the plain mean of the bucket's values,
    `value_last`, `text_last` and the coordinates those of its last sample; `samples`
    counts what was folded (migration 0005). Source and role as in `samples` (0009).
    `value_min`, `value_max` and `value_mean` are NULL where they equal `value_last`
    (0012; the view `v_sample_buckets` fills them in).
    """

    __tablename__ = "sample_buckets"

    source: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(SampleRole())
    samples: Mapped[int] = mapped_column(Integer)
    ts: Mapped[datetime] = mapped_column(SampleTime())
    value_min: Mapped[float | None] = mapped_column(Float)
    value_max: Mapped[float | None] = mapped_column(Float)
    value_mean: Mapped[float | None] = mapped_column(Float)
    value_last: Mapped[float | None] = mapped_column(Float)
    text_last: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (
        PrimaryKeyConstraint("source", "ts", "role"),
        {"sqlite_with_rowid": False},
    )


class Quarantine(Base):
    """A record the database rejected, kept with the reason, for a human to look at."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[Any] = mapped_column(json_doc())
    error: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()
