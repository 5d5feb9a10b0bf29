"""Sample retention: raw samples older than the window are folded per five minutes.

`sample_buckets` keeps, per source, role and five minutes, how many samples were folded,
their minimum, maximum and mean value and the last value, text and coordinates. The
retention job (`db.retention.fold_samples`) moves raw samples older than the window
here; records (sessions, trips, site days) are never purged.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 00:00:00
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic import op
import sqlalchemy as sa

if TYPE_CHECKING:
    from collections.abc import Sequence

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sample_buckets",
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("value_min", sa.Float(), nullable=True),
        sa.Column("value_max", sa.Float(), nullable=True),
        sa.Column("value_mean", sa.Float(), nullable=True),
        sa.Column("value_last", sa.Float(), nullable=True),
        sa.Column("text_last", sa.String(length=200), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint(
            "source_id", "ts", "role", name=op.f("pk_sample_buckets")
        ),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("sample_buckets")
