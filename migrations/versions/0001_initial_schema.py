"""Initial schema: vehicles, sites, sessions, windows, trips, daily, samples.

Revision ID: 0001
Revises:
Create Date: 2025-05-01 00:00:00
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

if TYPE_CHECKING:
    from collections.abc import Sequence

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "energy_sites",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        sa.Column(
            "battery_capacity_kwh", sa.Numeric(precision=8, scale=3), nullable=True
        ),
        sa.Column("solar_capacity_kw", sa.Numeric(precision=8, scale=3), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_energy_sites")),
        sa.UniqueConstraint("key", name=op.f("uq_energy_sites_key")),
    )
    op.create_table(
        "quarantine",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
    )
    op.create_table(
        "samples",
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("text", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("source_id", "role", "ts", name=op.f("pk_samples")),
    )
    op.create_index(op.f("ix_samples_ts"), "samples", ["ts"], unique=False)
    op.create_table(
        "vehicles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("vin", sa.String(length=17), nullable=True),
        sa.Column("vin_status", sa.String(length=24), nullable=True),
        sa.Column("make", sa.String(length=50), nullable=True),
        sa.Column("model", sa.String(length=50), nullable=True),
        sa.Column("year", sa.SmallInteger(), nullable=True),
        sa.Column(
            "usable_capacity_kwh", sa.Numeric(precision=8, scale=3), nullable=True
        ),
        sa.Column(
            "learned_capacity_kwh", sa.Numeric(precision=8, scale=3), nullable=True
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "vin IS NULL OR length(vin) = 17", name=op.f("ck_vehicles_vin_length")
        ),
        sa.CheckConstraint(
            "year IS NULL OR year BETWEEN 1886 AND 2200", name=op.f("ck_vehicles_year")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicles")),
        sa.UniqueConstraint("key", name=op.f("uq_vehicles_key")),
    )
    op.create_table(
        "charging_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("vehicle_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "source", sa.String(length=16), server_default="live", nullable=False
        ),
        sa.Column("charge_type", sa.String(length=8), nullable=True),
        sa.Column("location_name", sa.String(length=200), nullable=True),
        sa.Column("location_type", sa.String(length=32), nullable=True),
        sa.Column("zone", sa.String(length=200), nullable=True),
        sa.Column("latitude", sa.Numeric(precision=10, scale=7), nullable=True),
        sa.Column("longitude", sa.Numeric(precision=10, scale=7), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("network", sa.String(length=100), nullable=True),
        sa.Column("is_free", sa.Boolean(), nullable=True),
        sa.Column("voltage_avg", sa.Numeric(precision=8, scale=2), nullable=True),
        sa.Column("current_avg", sa.Numeric(precision=8, scale=2), nullable=True),
        sa.Column("power_avg_kw", sa.Numeric(precision=10, scale=3), nullable=True),
        sa.Column("power_max_kw", sa.Numeric(precision=10, scale=3), nullable=True),
        sa.Column("power_min_kw", sa.Numeric(precision=10, scale=3), nullable=True),
        sa.Column("plugged_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unplugged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "ingested_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("charging_seconds", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column("plugged_seconds", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column("start_level", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("end_level", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("energy_kwh", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("wall_energy_kwh", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("loss_kwh", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("range_added_km", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("outside_temp_c", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("energy_method", sa.String(length=24), nullable=False),
        sa.Column("cost", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("cost_source", sa.String(length=16), nullable=True),
        sa.Column("estimated_cost", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column(
            "cost_without_overrides", sa.Numeric(precision=14, scale=4), nullable=True
        ),
        sa.Column("energy_cost", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("time_cost", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("session_fee", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("idle_fee", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("solar_value", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("unpriced_kwh", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column(
            "tariff",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            nullable=True,
        ),
        sa.Column("solar_kwh", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("battery_kwh", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("grid_kwh", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("unattributed_kwh", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("solar_share", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column(
            "flags",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("cost_override", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("location_override", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("overridden_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('in_progress', 'completed', 'inferred')",
            name=op.f("ck_charging_sessions_status"),
        ),
        sa.CheckConstraint(
            "energy_kwh >= 0", name=op.f("ck_charging_sessions_energy_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicles.id"],
            name=op.f("fk_charging_sessions_vehicle_id_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charging_sessions")),
    )
    op.create_index(
        op.f("ix_charging_sessions_started_at"),
        "charging_sessions",
        ["started_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_charging_sessions_vehicle_id_started_at"),
        "charging_sessions",
        ["vehicle_id", "started_at"],
        unique=False,
    )
    op.create_table(
        "energy_site_daily",
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("produced_kwh", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column(
            "solar_to_home_kwh", sa.Numeric(precision=12, scale=4), nullable=True
        ),
        sa.Column(
            "solar_to_battery_kwh", sa.Numeric(precision=12, scale=4), nullable=True
        ),
        sa.Column(
            "solar_to_grid_kwh", sa.Numeric(precision=12, scale=4), nullable=True
        ),
        sa.Column(
            "battery_to_home_kwh", sa.Numeric(precision=12, scale=4), nullable=True
        ),
        sa.Column(
            "grid_imported_kwh", sa.Numeric(precision=12, scale=4), nullable=True
        ),
        sa.Column(
            "grid_exported_kwh", sa.Numeric(precision=12, scale=4), nullable=True
        ),
        sa.Column(
            "home_consumed_kwh", sa.Numeric(precision=12, scale=4), nullable=True
        ),
        sa.Column("ev_charged_kwh", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column(
            "self_consumption_pct", sa.Numeric(precision=5, scale=2), nullable=True
        ),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["energy_sites.id"],
            name=op.f("fk_energy_site_daily_site_id_energy_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("site_id", "day", name=op.f("pk_energy_site_daily")),
    )
    op.create_table(
        "trips",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("vehicle_id", sa.Uuid(), nullable=False),
        sa.Column(
            "source", sa.String(length=16), server_default="live", nullable=False
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_seconds", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column("distance_km", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column("distance_method", sa.String(length=24), nullable=False),
        sa.Column("energy_kwh", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("energy_method", sa.String(length=24), nullable=True),
        sa.Column("efficiency_wh_km", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("avg_speed_kmh", sa.Numeric(precision=7, scale=2), nullable=True),
        sa.Column("max_speed_kmh", sa.Numeric(precision=7, scale=2), nullable=True),
        sa.Column("start_zone", sa.String(length=200), nullable=True),
        sa.Column("start_latitude", sa.Numeric(precision=10, scale=7), nullable=True),
        sa.Column("start_longitude", sa.Numeric(precision=10, scale=7), nullable=True),
        sa.Column("end_zone", sa.String(length=200), nullable=True),
        sa.Column("end_latitude", sa.Numeric(precision=10, scale=7), nullable=True),
        sa.Column("end_longitude", sa.Numeric(precision=10, scale=7), nullable=True),
        sa.Column(
            "start_odometer_km", sa.Numeric(precision=12, scale=3), nullable=True
        ),
        sa.Column("end_odometer_km", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column("start_level", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("end_level", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column(
            "avg_outside_temp_c", sa.Numeric(precision=5, scale=2), nullable=True
        ),
        sa.Column(
            "flags",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "ingested_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "distance_km >= 0", name=op.f("ck_trips_distance_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicles.id"],
            name=op.f("fk_trips_vehicle_id_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trips")),
    )
    op.create_index(op.f("ix_trips_started_at"), "trips", ["started_at"], unique=False)
    op.create_index(
        op.f("ix_trips_vehicle_id_started_at"),
        "trips",
        ["vehicle_id", "started_at"],
        unique=False,
    )
    op.create_table(
        "charging_windows",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("energy_kwh", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["charging_sessions.id"],
            name=op.f("fk_charging_windows_session_id_charging_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "session_id", "started_at", name=op.f("pk_charging_windows")
        ),
    )

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # Retention for SQL users and pg_cron: SELECT ev_ledger.purge_samples(ts).
        schema = bind.execute(sa.text("SELECT current_schema()")).scalar_one()
        op.execute(
            f"""
            CREATE FUNCTION "{schema}".purge_samples(before timestamptz)
            RETURNS bigint LANGUAGE sql SET search_path = "{schema}" AS $$
                WITH gone AS (DELETE FROM samples WHERE ts < before RETURNING 1)
                SELECT count(*) FROM gone
            $$
            """  # noqa: S608 - schema name from current_schema()
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS purge_samples(timestamptz)")
    op.drop_table("charging_windows")
    op.drop_index(op.f("ix_trips_vehicle_id_started_at"), table_name="trips")
    op.drop_index(op.f("ix_trips_started_at"), table_name="trips")
    op.drop_table("trips")
    op.drop_table("energy_site_daily")
    op.drop_index(
        op.f("ix_charging_sessions_vehicle_id_started_at"),
        table_name="charging_sessions",
    )
    op.drop_index(
        op.f("ix_charging_sessions_started_at"), table_name="charging_sessions"
    )
    op.drop_table("charging_sessions")
    op.drop_table("vehicles")
    op.drop_index(op.f("ix_samples_ts"), table_name="samples")
    op.drop_table("samples")
    op.drop_table("quarantine")
    op.drop_table("energy_sites")
