"""Zone keys beside sessions' and trips' places, for location filters in SQL.

`charging_sessions.location_key` is the zone key of the session's effective location
(the user's `location_override`, else `location_name`); `trips.start_zone_key` and
`end_zone_key` those of the trip's zones. A key is what `logic.tariff.normalize_zone`
makes of a name ("zone.home", "home" and " Home " are `home`), NULL for no place. The
writer keeps them; this revision computes them for the rows already stored. Partial
indexes over the records not deleted, sessions' (vehicle, start) and (vehicle,
location key, start) and trips' (vehicle, start), serve a list's page and its count
without reading older rows.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 21:00:00
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from alembic import op
import sqlalchemy as sa

if TYPE_CHECKING:
    from collections.abc import Sequence

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000
# Partial: lists and their counts read the kept (not deleted) sessions.
INDEXES = {
    "ix_charging_sessions_kept": ("charging_sessions", ["vehicle_id", "started_at"]),
    "ix_charging_sessions_kept_location": (
        "charging_sessions",
        ["vehicle_id", "location_key", "started_at"],
    ),
    "ix_trips_kept": ("trips", ["vehicle_id", "started_at"]),
}


def zone_key(name: str | None) -> str | None:
    """A frozen copy of `db.rows.zone_key` at this revision."""
    if name is None:
        return None
    key = name.strip().casefold().removeprefix("zone.")
    return "_".join(key.replace("-", " ").split()) or None


def _fill(table: str, select: str, keys: Any) -> None:
    """Set the key columns of every stored row, a batch at a time."""
    conn = op.get_bind()
    rows = conn.execute(sa.text(select)).all()
    columns = list(keys(None, None).keys()) if rows else []
    if not rows:
        return
    update = sa.text(
        f"UPDATE {table} SET "  # noqa: S608 - fixed names of this revision
        + ", ".join(f"{column} = :{column}" for column in columns)
        + " WHERE id = :id"
    )
    params = [{"id": row[0], **keys(row[1], row[2])} for row in rows]
    for first in range(0, len(params), BATCH):
        conn.execute(update, params[first : first + BATCH])


def upgrade() -> None:
    op.add_column(
        "charging_sessions", sa.Column("location_key", sa.String(200), nullable=True)
    )
    op.add_column("trips", sa.Column("start_zone_key", sa.String(200), nullable=True))
    op.add_column("trips", sa.Column("end_zone_key", sa.String(200), nullable=True))
    _fill(
        "charging_sessions",
        "SELECT id, location_override, location_name FROM charging_sessions",
        lambda override, name: {
            "location_key": zone_key(override if override is not None else name)
        },
    )
    _fill(
        "trips",
        "SELECT id, start_zone, end_zone FROM trips",
        lambda start, end: {
            "start_zone_key": zone_key(start),
            "end_zone_key": zone_key(end),
        },
    )
    for name, (table, columns) in INDEXES.items():
        op.create_index(
            name,
            table,
            columns,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )


def downgrade() -> None:
    for name, (table, _) in INDEXES.items():
        op.drop_index(name, table_name=table)
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy of the table would break the
    # report views that read it.
    op.execute("ALTER TABLE trips DROP COLUMN end_zone_key")
    op.execute("ALTER TABLE trips DROP COLUMN start_zone_key")
    op.execute("ALTER TABLE charging_sessions DROP COLUMN location_key")
