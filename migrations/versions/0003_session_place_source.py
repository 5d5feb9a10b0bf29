"""Where a session's place came from, and why its energy could not be priced.

`place_source`: tracker (the vehicle's location entity), charger (the wallbox that
delivered stands at a configured location) or assumed (the vehicle's usual charging
location). `price_gap`: no_tariff, no_place or no_price, set with the price_gap flag.
Both stay NULL for sessions recorded before this revision.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 00:00:00
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic import op
import sqlalchemy as sa

if TYPE_CHECKING:
    from collections.abc import Sequence

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "charging_sessions", sa.Column("place_source", sa.String(16), nullable=True)
    )
    op.add_column(
        "charging_sessions", sa.Column("price_gap", sa.String(16), nullable=True)
    )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy of the table would break the
    # report views that read it.
    for column in ("price_gap", "place_source"):
        op.execute(f"ALTER TABLE charging_sessions DROP COLUMN {column}")
