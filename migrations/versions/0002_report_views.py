"""SQL views for Grafana and SQL users: sessions per month, cost per location, efficiency.

Views are not part of the model metadata (the integration never writes through them),
so `alembic check` does not compare them. Months are calendar months in UTC: a
`date` (the first of the month) on PostgreSQL, 'YYYY-MM-01' text on SQLite. Every view
leaves soft-deleted sessions and trips out and uses the effective (override-aware)
cost and location of a session. Documented in docs/sql.md.

Revision ID: 0002
Revises: 0001
Create Date: 2025-06-01 00:00:00
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic import op

if TYPE_CHECKING:
    from collections.abc import Sequence

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VIEWS = ("v_sessions_per_month", "v_cost_per_location", "v_efficiency_per_month")

# The session's location as the user sees it: their correction first.
LOCATION = "COALESCE(s.location_override, s.location_name)"
COST = "COALESCE(s.cost_override, s.cost)"
# Home Assistant's device trackers report the home zone as the state "home".
HOME = f"lower({LOCATION}) IN ('home', 'zone.home')"


class Dialect:
    """The few expressions that differ between PostgreSQL and SQLite."""

    def __init__(self, name: str) -> None:
        self.postgresql = name == "postgresql"

    def month(self, column: str) -> str:
        """First day of the UTC month of an aware timestamp."""
        if self.postgresql:
            return f"CAST(date_trunc('month', {column} AT TIME ZONE 'UTC') AS date)"
        # SQLite stores naive UTC text ('YYYY-MM-DD HH:MM:SS.ffffff').
        return f"strftime('%Y-%m-01', {column})"

    def total(self, expression: str) -> str:
        """An exact sum (NUMERIC on PostgreSQL; rounded to 4 places on SQLite)."""
        if self.postgresql:
            return f"sum({expression})"
        return f"round(sum({expression}), 4)"

    def ratio(self, numerator: str, denominator: str, places: int) -> str:
        """numerator / denominator rounded, NULL when the denominator is 0 or NULL."""
        if self.postgresql:
            return f"round({numerator} / NULLIF({denominator}, 0), {places})"
        return f"round(1.0 * {numerator} / NULLIF({denominator}, 0), {places})"


def sessions_per_month(d: Dialect) -> str:
    """SQL of v_sessions_per_month."""
    month = d.month("s.started_at")
    return f"""
        SELECT
            s.vehicle_id AS vehicle_id,
            v.key AS vehicle_key,
            v.name AS vehicle_name,
            {month} AS month,
            s.currency AS currency,
            count(*) AS sessions,
            {d.total("s.energy_kwh")} AS energy_kwh,
            {d.total(COST)} AS cost,
            {d.total("COALESCE(s.solar_kwh, 0)")} AS solar_kwh,
            sum(CASE WHEN {HOME} THEN 1 ELSE 0 END) AS home_sessions,
            {d.total(f"CASE WHEN {HOME} THEN s.energy_kwh ELSE 0 END")}
                AS home_energy_kwh,
            {d.total(f"CASE WHEN {HOME} THEN {COST} END")} AS home_cost,
            sum(CASE WHEN {HOME} THEN 0 ELSE 1 END) AS away_sessions,
            {d.total(f"CASE WHEN {HOME} THEN 0 ELSE s.energy_kwh END")}
                AS away_energy_kwh,
            {d.total(f"CASE WHEN {HOME} THEN NULL ELSE {COST} END")} AS away_cost
        FROM charging_sessions AS s
        LEFT JOIN vehicles AS v ON v.id = s.vehicle_id
        WHERE s.deleted_at IS NULL
        GROUP BY s.vehicle_id, v.key, v.name, {month}, s.currency
    """  # noqa: S608 - no user input: fixed expressions only


def cost_per_location(d: Dialect) -> str:
    """SQL of v_cost_per_location."""
    priced_energy = f"CASE WHEN {COST} IS NOT NULL THEN s.energy_kwh END"
    return f"""
        SELECT
            s.vehicle_id AS vehicle_id,
            v.key AS vehicle_key,
            v.name AS vehicle_name,
            {LOCATION} AS location,
            s.currency AS currency,
            count(*) AS sessions,
            {d.total("s.energy_kwh")} AS energy_kwh,
            {d.total(COST)} AS cost,
            {d.ratio(f"sum({COST})", f"sum({priced_energy})", 4)}
                AS avg_cost_per_kwh,
            min(s.started_at) AS first_session_at,
            max(s.started_at) AS last_session_at
        FROM charging_sessions AS s
        LEFT JOIN vehicles AS v ON v.id = s.vehicle_id
        WHERE s.deleted_at IS NULL
        GROUP BY s.vehicle_id, v.key, v.name, {LOCATION}, s.currency
    """  # noqa: S608 - no user input: fixed expressions only


def efficiency_per_month(d: Dialect) -> str:
    """SQL of v_efficiency_per_month."""
    month = d.month("t.started_at")
    # Efficiency only over the trips whose energy is known.
    measured_km = "sum(CASE WHEN t.energy_kwh IS NOT NULL THEN t.distance_km END)"
    return f"""
        SELECT
            t.vehicle_id AS vehicle_id,
            v.key AS vehicle_key,
            v.name AS vehicle_name,
            {month} AS month,
            count(*) AS trips,
            {d.total("t.distance_km")} AS distance_km,
            {d.total("t.energy_kwh")} AS energy_kwh,
            {d.ratio("1000 * sum(t.energy_kwh)", measured_km, 1)} AS wh_per_km,
            {d.ratio("100 * sum(t.energy_kwh)", measured_km, 2)} AS kwh_per_100km,
            round(avg(t.avg_outside_temp_c), 1) AS avg_outside_temp_c
        FROM trips AS t
        LEFT JOIN vehicles AS v ON v.id = t.vehicle_id
        WHERE t.deleted_at IS NULL
        GROUP BY t.vehicle_id, v.key, v.name, {month}
    """  # noqa: S608 - no user input: fixed expressions only


def upgrade() -> None:
    dialect = Dialect(op.get_bind().dialect.name)
    for name, build in zip(
        VIEWS,
        (sessions_per_month, cost_per_location, efficiency_per_month),
        strict=True,
    ):
        op.execute(f"CREATE VIEW {name} AS {build(dialect)}")


def downgrade() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {name}")
