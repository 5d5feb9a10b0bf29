"""Samples carry a small source id and a role code, on both backends.

A sample's source was a 16-byte UUID in every row and in the key, and on PostgreSQL
its role was text. Now `sample_sources` gives each source a small integer id (4 bytes
on PostgreSQL, 1 or 2 on SQLite), and `samples` and `sample_buckets` carry that id
and the role's code (`db.types.ROLE_CODES`, a SMALLINT), columns ordered so
PostgreSQL packs them without padding. Both backends have the same tables now, so a
query needs no dialect branch for them; the time stays timestamptz on PostgreSQL and
integer microseconds on SQLite (0007). The rows are copied in key order (SQLite:
WITHOUT ROWID again).

A stored sample or bucket whose role has no code cannot be stored any more: it is
moved to `quarantine` (kind "samples" or "sample_buckets", with its values), never
dropped in silence. A downgrade restores the 0008 layout from the new tables; what
went to the quarantine stays there.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 00:00:00
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
import uuid

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

if TYPE_CHECKING:
    from collections.abc import Sequence

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A frozen copy of `db.types.ROLE_CODES` at this revision (scripts never import the
# integration's code).
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
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# The value columns of each table after its key (same names in both layouts).
_VALUES = {
    "samples": ("seq", "value", "text", "latitude", "longitude"),
    "sample_buckets": (
        "samples",
        "value_min",
        "value_max",
        "value_mean",
        "value_last",
        "text_last",
        "latitude",
        "longitude",
    ),
}
_TABLES = tuple(_VALUES)


def _is_sqlite() -> bool:
    return bool(op.get_bind().dialect.name == "sqlite")


def _source_type() -> sa.types.TypeEngine[Any]:
    """The UUID of a source: native on PostgreSQL, its 16 bytes on SQLite (0007)."""
    return sa.LargeBinary(16) if _is_sqlite() else sa.Uuid()


def _time_type() -> sa.types.TypeEngine[Any]:
    return sa.BigInteger() if _is_sqlite() else sa.DateTime(timezone=True)


def _value_columns(table: str) -> list[sa.Column[Any]]:
    if table == "samples":
        return [
            sa.Column("value", sa.Float(), nullable=True),
            sa.Column("text", sa.String(length=200), nullable=True),
            sa.Column("latitude", sa.Float(), nullable=True),
            sa.Column("longitude", sa.Float(), nullable=True),
        ]
    return [
        sa.Column("value_min", sa.Float(), nullable=True),
        sa.Column("value_max", sa.Float(), nullable=True),
        sa.Column("value_mean", sa.Float(), nullable=True),
        sa.Column("value_last", sa.Float(), nullable=True),
        sa.Column("text_last", sa.String(length=200), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
    ]


def _create_new(table: str) -> None:
    """`samples` or `sample_buckets` keyed on (source id, time, role code)."""
    middle = (
        [sa.Column("seq", sa.SmallInteger(), server_default="0", nullable=False)]
        if table == "samples"
        else [sa.Column("samples", sa.Integer(), nullable=False)]
    )
    op.create_table(
        table,
        sa.Column("source", sa.Integer(), nullable=False),
        sa.Column("role", sa.SmallInteger(), nullable=False),
        *middle,
        sa.Column("ts", _time_type(), nullable=False),
        *_value_columns(table),
        sa.PrimaryKeyConstraint("source", "ts", "role", name=f"pk_{table}"),
        sqlite_with_rowid=False,
    )


def _create_old(table: str) -> None:
    """The 0008 layout: the source's UUID, the role by name (PostgreSQL) or code."""
    role: sa.types.TypeEngine[Any] = sa.Integer() if _is_sqlite() else sa.String(32)
    columns = [
        sa.Column("source_id", _source_type(), nullable=False),
        sa.Column("role", role, nullable=False),
        sa.Column("ts", _time_type(), nullable=False),
    ]
    if table == "samples":
        values = _value_columns(table)
        columns += [
            *values[:2],
            sa.Column("seq", sa.SmallInteger(), server_default="0", nullable=False),
            *values[2:],
        ]
    else:
        columns += [
            sa.Column("samples", sa.Integer(), nullable=False),
            *_value_columns(table),
        ]
    op.create_table(
        table,
        *columns,
        sa.PrimaryKeyConstraint("source_id", "ts", "role", name=f"pk_{table}"),
        sqlite_with_rowid=False,
    )


def _set_aside(table: str) -> str:
    """Rename a table (and, on PostgreSQL, its key) out of the way; return its name."""
    old = f"{table}_{revision}_copy"
    op.rename_table(table, old)
    if not _is_sqlite():
        op.execute(f"ALTER INDEX pk_{table} RENAME TO pk_{old}")
    return old


def _codes_sql(column: str) -> str:
    """PostgreSQL: a role's name as its code (NULL for a role without one)."""
    whens = " ".join(
        f"WHEN '{name}' THEN {code}" for code, name in enumerate(_ROLE_CODES)
    )
    return f"CASE {column} {whens} END"


def _names_sql(column: str) -> str:
    """PostgreSQL: a role code as its name."""
    names = ", ".join(f"'{name}'" for name in _ROLE_CODES)
    return f"(ARRAY[{names}]::varchar[])[{column} + 1]"


def _coded(column: str) -> str:
    """The condition that a stored role (0008 layout) has a code."""
    if _is_sqlite():
        return f"typeof({column}) = 'integer'"
    return f"{column} IN ({', '.join(repr(name) for name in _ROLE_CODES)})"


def _quarantine_uncoded(table: str, old: str) -> None:
    """Move the rows whose role has no code to the quarantine, with their values."""
    conn = op.get_bind()
    values = _VALUES[table]
    rows = conn.execute(
        sa.text(
            f"SELECT source_id, role, ts, {', '.join(values)} FROM {old}"  # noqa: S608 - fixed names
            f" WHERE NOT ({_coded('role')})"
        )
    ).all()
    if not rows:
        return
    quarantine = sa.table(
        "quarantine",
        sa.column("kind", sa.String()),
        sa.column("payload", sa.JSON().with_variant(JSONB(), "postgresql")),
        sa.column("error", sa.Text()),
    )
    records = []
    for source, role, ts, *rest in rows:
        key = uuid.UUID(bytes=bytes(source)) if isinstance(source, bytes) else source
        moment = (
            _EPOCH + timedelta(microseconds=int(ts))
            if isinstance(ts, int)
            else ts.astimezone(UTC)
        )
        epoch = (moment - _EPOCH).total_seconds()
        if table == "samples":
            seq, value, text_, latitude, longitude = rest
            payload: Any = [
                [str(key), str(role), epoch, value, text_, seq, latitude, longitude]
            ]
        else:
            payload = {
                "source_id": str(key),
                "role": str(role),
                "ts": epoch,
                **dict(zip(values, rest, strict=True)),
            }
        records.append(
            {
                "kind": table,
                "payload": payload,
                "error": f"role without a code: {role!r} (migration 0009)",
            }
        )
    op.bulk_insert(quarantine, records)


def upgrade() -> None:
    sqlite = _is_sqlite()
    op.create_table(
        "sample_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", _source_type(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sample_sources"),
        sa.UniqueConstraint("source_id", name="uq_sample_sources_source_id"),
    )
    old = {table: _set_aside(table) for table in _TABLES}
    op.execute(
        "INSERT INTO sample_sources (source_id) SELECT source_id FROM"  # noqa: S608
        f" {old['samples']} UNION SELECT source_id FROM {old['sample_buckets']}"
        " ORDER BY 1"
    )
    for table in _TABLES:
        _quarantine_uncoded(table, old[table])
        _create_new(table)
        values = ", ".join(f"o.{column}" for column in _VALUES[table])
        code = "o.role" if sqlite else _codes_sql("o.role")
        op.execute(
            f"INSERT INTO {table} (source, role, ts, {', '.join(_VALUES[table])})"  # noqa: S608
            f" SELECT k.id, {code}, o.ts, {values} FROM {old[table]} o"
            " JOIN sample_sources k ON k.source_id = o.source_id"
            f" WHERE {_coded('o.role')} ORDER BY 1, 3, 2"
        )
        op.drop_table(old[table])


def downgrade() -> None:
    sqlite = _is_sqlite()
    old = {table: _set_aside(table) for table in _TABLES}
    for table in _TABLES:
        _create_old(table)
        values = ", ".join(f"o.{column}" for column in _VALUES[table])
        name = "o.role" if sqlite else _names_sql("o.role")
        op.execute(
            f"INSERT INTO {table} (source_id, role, ts, {', '.join(_VALUES[table])})"  # noqa: S608
            f" SELECT k.source_id, {name}, o.ts, {values} FROM {old[table]} o"
            " JOIN sample_sources k ON k.id = o.source ORDER BY 1, 3, 2"
        )
        op.drop_table(old[table])
    op.drop_table("sample_sources")
