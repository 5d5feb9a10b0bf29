"""Compact sample buckets: a bound or mean equal to the last value is not stored again.

Most buckets of a real ledger hold one sample (a polled car's value, a site's meter
between its reports): minimum, maximum, mean and last value are then the same number,
stored four times, and the bucket was bigger than the raw sample it replaced. From
here `value_min`, `value_max` and `value_mean` are NULL where they equal `value_last`
(in a bucket without values all four are NULL, as before), which the fold writes
(`db.retention`) and this migration applies to the buckets stored before; nothing is
lost. The view `v_sample_buckets` shows the buckets with every figure filled in, the
source's UUID and name and the role's name, on both backends (as `v_samples` shows
the raw samples, 0010). A downgrade fills the figures in again and drops the view.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 19:00:00
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic import op

if TYPE_CHECKING:
    from collections.abc import Sequence

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FIGURES = ("value_min", "value_max", "value_mean")


def _view(postgresql: bool) -> str:
    if postgresql:
        source, ts = "k.source_id", "b.ts"
    else:
        # As `v_samples` (0010): the records' UUIDs are 32 hexadecimal digits there.
        source = "lower(hex(k.source_id))"
        ts = "strftime('%Y-%m-%d %H:%M:%f', b.ts / 1000000.0, 'unixepoch')"
    filled = ", ".join(
        f"COALESCE(b.{name}, b.value_last) AS {name}" for name in _FIGURES
    )
    return f"""
        CREATE VIEW v_sample_buckets AS
        SELECT {source} AS source_id,
               COALESCE(v.name, e.name) AS source_name,
               COALESCE(r.name, CAST(b.role AS VARCHAR(32))) AS role,
               {ts} AS ts,
               b.samples, {filled}, b.value_last, b.text_last,
               b.latitude, b.longitude
        FROM sample_buckets AS b
        JOIN sample_sources AS k ON k.id = b.source
        LEFT JOIN sample_roles AS r ON r.code = b.role
        LEFT JOIN vehicles AS v ON v.id = {source}
        LEFT JOIN energy_sites AS e ON e.id = {source}
    """  # noqa: S608 - no user input: fixed expressions only


def upgrade() -> None:
    """Clear the figures equal to the last value; create `v_sample_buckets`."""
    for name in _FIGURES:
        op.execute(
            f"UPDATE sample_buckets SET {name} = NULL WHERE {name} = value_last"  # noqa: S608
        )
    op.execute(_view(op.get_bind().dialect.name == "postgresql"))


def downgrade() -> None:
    """Drop the view; fill every figure in again."""
    op.execute("DROP VIEW IF EXISTS v_sample_buckets")
    for name in _FIGURES:
        op.execute(
            f"UPDATE sample_buckets SET {name} = value_last"  # noqa: S608
            f" WHERE {name} IS NULL AND value_last IS NOT NULL"
        )
