"""Samples keyed on (source, time, role), with no other index.

A source's samples of a time range (recompute, retention) were read through the key
(source, role, time), which scans every role's whole history, or through a separate
index on the time alone, which reads every source's rows. Keyed on (source, time,
role) both are one range scan of the key, and the time index goes (less to store and
to update per sample). On SQLite the table becomes WITHOUT ROWID, so the key is the
table itself: the rows are copied into the new table in key order, which a large
ledger's first start after the update spends some time on (about a minute per ten
million samples here).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 00:00:00
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic import op

if TYPE_CHECKING:
    from collections.abc import Sequence

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sqlite_table(name: str, key: str, rowid: bool) -> str:
    return f"""
        CREATE TABLE {name} (
            source_id CHAR(32) NOT NULL,
            role VARCHAR(32) NOT NULL,
            ts DATETIME NOT NULL,
            value FLOAT,
            text VARCHAR(200),
            seq SMALLINT DEFAULT '0' NOT NULL,
            latitude FLOAT,
            longitude FLOAT,
            CONSTRAINT pk_samples PRIMARY KEY ({key})
        ){"" if rowid else " WITHOUT ROWID"}
    """


# The copy, in the new key's order (constants only: no input reaches these).
_COPY = {
    "source_id, ts, role": (
        "INSERT INTO samples_rebuilt (source_id, role, ts, value, text, seq, latitude,"
        " longitude) SELECT source_id, role, ts, value, text, seq, latitude, longitude"
        " FROM samples ORDER BY source_id, ts, role"
    ),
    "source_id, role, ts": (
        "INSERT INTO samples_rebuilt (source_id, role, ts, value, text, seq, latitude,"
        " longitude) SELECT source_id, role, ts, value, text, seq, latitude, longitude"
        " FROM samples ORDER BY source_id, role, ts"
    ),
}


def _sqlite_rebuild(key: str, rowid: bool) -> None:
    op.execute(_sqlite_table("samples_rebuilt", key, rowid))
    op.execute(_COPY[key])
    op.execute("DROP TABLE samples")
    op.execute("ALTER TABLE samples_rebuilt RENAME TO samples")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild("source_id, ts, role", rowid=False)
        return
    op.drop_index("ix_samples_ts", table_name="samples")
    op.execute(
        "ALTER TABLE samples DROP CONSTRAINT pk_samples, "
        "ADD CONSTRAINT pk_samples PRIMARY KEY (source_id, ts, role)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild("source_id, role, ts", rowid=True)
        op.create_index("ix_samples_ts", "samples", ["ts"])
        return
    op.execute(
        "ALTER TABLE samples DROP CONSTRAINT pk_samples, "
        "ADD CONSTRAINT pk_samples PRIMARY KEY (source_id, role, ts)"
    )
    op.create_index("ix_samples_ts", "samples", ["ts"])
