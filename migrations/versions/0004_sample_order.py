"""Samples replay as live took them: their order within an instant, coordinates.

`samples.seq`: among the samples of one ledger taken at the same instant, the order
in which the ledger took them (0 for the first). A recompute replays them in that
order: a car that reports its shift state and its odometer in the same instant gives
the same trip again. Samples stored before this revision read as 0.

`samples.latitude`/`longitude`: a location's coordinates beside its zone (`text`),
so a trip measured along its path, or a place known by coordinates only, is derived
again. NULL for every other role, and for samples stored before this revision.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 00:00:00
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic import op
import sqlalchemy as sa

if TYPE_CHECKING:
    from collections.abc import Sequence

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "samples",
        sa.Column("seq", sa.SmallInteger(), server_default="0", nullable=False),
    )
    op.add_column("samples", sa.Column("latitude", sa.Float(), nullable=True))
    op.add_column("samples", sa.Column("longitude", sa.Float(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), as 0003 does.
    for column in ("longitude", "latitude", "seq"):
        op.execute(f"ALTER TABLE samples DROP COLUMN {column}")
