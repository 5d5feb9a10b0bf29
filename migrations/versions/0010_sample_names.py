"""Samples readable by name in SQL: `sample_roles` and the view `v_samples`.

Since 0009 a sample carries its source as a small integer id and its role as a code.
`sample_roles` names the codes (a frozen copy of `db.types.ROLE_CODES` at this
revision; a migration that adds a code adds its row), and `v_samples` shows the raw
samples with the source's UUID and name and the role's name, on both backends. On
SQLite the view's `ts` is UTC text ('YYYY-MM-DD HH:MM:SS.SSS', as the other tables'
times compare), on PostgreSQL the `timestamptz`. Documented in docs/sql.md.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 01:00:00
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic import op
import sqlalchemy as sa

if TYPE_CHECKING:
    from collections.abc import Sequence

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# `db.types.ROLE_CODES` at this revision (scripts never import the integration).
_ROLE_CODES = (
    "battery_level",
    "charging_state",
    "plugged",
    "charger_power",
    "charger_voltage",
    "charger_current",
    "session_energy",
    "evse_energy",
    "charger_type",
    "odometer",
    "speed",
    "shift_state",
    "location",
    "range",
    "outside_temp",
    "energy_consumed",
    "solar_power",
    "grid_power",
    "grid_import_power",
    "grid_export_power",
    "battery_power",
    "home_load",
    "price",
)


def _view(postgresql: bool) -> str:
    if postgresql:
        source, ts = "k.source_id", "s.ts"
    else:
        # SQLite keeps the records' UUIDs as 32 hexadecimal digits, the samples'
        # as their 16 bytes.
        source = "lower(hex(k.source_id))"
        ts = "strftime('%Y-%m-%d %H:%M:%f', s.ts / 1000000.0, 'unixepoch')"
    # A role without a row (a newer code, before its migration) shows its code.
    return f"""
        CREATE VIEW v_samples AS
        SELECT {source} AS source_id,
               COALESCE(v.name, e.name) AS source_name,
               COALESCE(r.name, CAST(s.role AS VARCHAR(32))) AS role,
               {ts} AS ts,
               s.value, s.text, s.latitude, s.longitude, s.seq
        FROM samples AS s
        JOIN sample_sources AS k ON k.id = s.source
        LEFT JOIN sample_roles AS r ON r.code = s.role
        LEFT JOIN vehicles AS v ON v.id = {source}
        LEFT JOIN energy_sites AS e ON e.id = {source}
    """  # noqa: S608 - no user input: fixed expressions only


def upgrade() -> None:
    """Create and fill `sample_roles`; create `v_samples`."""
    roles = op.create_table(
        "sample_roles",
        sa.Column("code", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_sample_roles"),
        sa.UniqueConstraint("name", name="uq_sample_roles_name"),
    )
    op.bulk_insert(
        roles, [{"code": code, "name": name} for code, name in enumerate(_ROLE_CODES)]
    )
    op.execute(_view(op.get_bind().dialect.name == "postgresql"))


def downgrade() -> None:
    """Drop the view and the table."""
    op.execute("DROP VIEW IF EXISTS v_samples")
    op.drop_table("sample_roles")
