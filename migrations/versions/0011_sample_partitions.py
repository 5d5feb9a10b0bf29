"""PostgreSQL: `samples` partitioned by month, so retention drops a month.

`samples` becomes `PARTITION BY RANGE (ts)` with one partition per UTC calendar
month, `samples_YYYY_MM`, created here for every month that has rows; the rows are
moved in key order. Same columns, same key (source, ts, role): the time is in the
key, as partitioning requires. There is no default partition: it would make every
later partition's creation scan it. The writer creates the months it needs
(`db.partitions`), and retention folds a month past the window into
`sample_buckets` and drops it (`db.retention`).

Views that read `samples` (`v_samples`, 0010, or a user's) are dropped and created
again around the swap, and the grants on the table and the views are given again,
so read-only roles keep reading through the parent. A downgrade restores the plain
0010 table with every row. On SQLite nothing changes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 02:00:00
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from alembic import op
import sqlalchemy as sa

if TYPE_CHECKING:
    from collections.abc import Sequence

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COPY = f"samples_{revision}_copy"
_COLUMNS = "source, role, seq, ts, value, text, latitude, longitude"
# The 0009 layout of `samples` (frozen: scripts never import the integration).
_TABLE = """
    CREATE TABLE samples (
        source integer NOT NULL,
        role smallint NOT NULL,
        seq smallint DEFAULT 0 NOT NULL,
        ts timestamp with time zone NOT NULL,
        value double precision,
        text varchar(200),
        latitude double precision,
        longitude double precision,
        CONSTRAINT pk_samples PRIMARY KEY (source, ts, role)
    )
"""

# Views reading `samples`, directly or through another view, nearest first.
_VIEWS = sa.text(
    """
    WITH RECURSIVE deps(oid, depth) AS (
        SELECT DISTINCT r.ev_class, 1
        FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
        WHERE d.classid = 'pg_rewrite'::regclass
          AND d.refobjid = to_regclass('samples') AND r.ev_class <> d.refobjid
        UNION
        SELECT r.ev_class, deps.depth + 1
        FROM deps JOIN pg_depend d ON d.refobjid = deps.oid
        JOIN pg_rewrite r ON r.oid = d.objid
        WHERE d.classid = 'pg_rewrite'::regclass AND r.ev_class <> d.refobjid
    )
    SELECT n.nspname, c.relname, c.relkind, pg_get_viewdef(c.oid), max(depth)
    FROM deps JOIN pg_class c ON c.oid = deps.oid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    GROUP BY c.oid, n.nspname, c.relname, c.relkind
    ORDER BY max(depth)
    """
)
_GRANTS = sa.text(
    """
    SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
           a.privilege_type, a.is_grantable
    FROM pg_class c, aclexplode(c.relacl) a
    WHERE c.oid = to_regclass(:name) AND a.grantee <> c.relowner
    """
)


def _quoted(*parts: str) -> str:
    return ".".join('"{}"'.format(part.replace('"', '""')) for part in parts)


def _grants(name: str) -> list[tuple[str, str, bool]]:
    """What others hold on `name`: (grantee, privilege, grantable)."""
    rows = op.get_bind().execute(_GRANTS, {"name": name}).all()
    return [(str(g), str(p), bool(o)) for g, p, o in rows]


def _give(grants: list[tuple[str, str, bool]], name: str) -> None:
    for grantee, privilege, grantable in grants:
        option = " WITH GRANT OPTION" if grantable else ""
        op.execute(f"GRANT {privilege} ON {name} TO {grantee}{option}")


type _View = tuple[str, str, list[tuple[str, str, bool]]]


def _set_views_aside() -> list[_View]:
    """Drop the views reading `samples`; return how to create them again."""
    views = op.get_bind().execute(_VIEWS).all()
    out = []
    for schema, name, kind, definition, _depth in views:
        qualified = _quoted(schema, name)
        kind_sql = "MATERIALIZED VIEW" if kind == "m" else "VIEW"
        create = f"CREATE {kind_sql} {qualified} AS {definition}"
        out.append((create, qualified, _grants(qualified)))
    for schema, name, kind, *_ in reversed(views):
        kind_sql = "MATERIALIZED VIEW" if kind == "m" else "VIEW"
        op.execute(f"DROP {kind_sql} {_quoted(schema, name)}")
    return out


def _restore_views(views: list[_View]) -> None:
    for create, qualified, grants in views:
        op.execute(create)
        _give(grants, qualified)


def _partition_name(month: datetime) -> str:
    return f"samples_{month.year:04d}_{month.month:02d}"


def _next_month(month: datetime) -> datetime:
    if month.month == 12:
        return month.replace(year=month.year + 1, month=1)
    return month.replace(month=month.month + 1)


def _swap(create: Any) -> None:
    """Replace `samples` with a new table made by `create`, with every row."""
    conn = op.get_bind()
    grants = _grants("samples")
    views = _set_views_aside()
    op.execute(f"ALTER TABLE samples RENAME TO {_COPY}")
    op.execute(f"ALTER INDEX pk_samples RENAME TO pk_{_COPY}")
    create(conn)
    op.execute(
        f"INSERT INTO samples ({_COLUMNS}) SELECT {_COLUMNS} FROM {_COPY}"  # noqa: S608 - fixed names
        " ORDER BY source, ts, role"
    )
    op.execute(f"DROP TABLE {_COPY}")
    _give(grants, "samples")
    _restore_views(views)


def _create_partitioned(conn: sa.Connection) -> None:
    op.execute(_TABLE + " PARTITION BY RANGE (ts)")
    months = conn.execute(
        sa.text(
            f"SELECT DISTINCT date_trunc('month', ts AT TIME ZONE 'UTC') FROM {_COPY}"  # noqa: S608 - fixed name
        )
    ).scalars()
    for naive in sorted(months):
        month = naive.replace(tzinfo=UTC)
        op.execute(
            f"CREATE TABLE {_partition_name(month)} PARTITION OF samples"
            f" FOR VALUES FROM ('{month.isoformat()}')"
            f" TO ('{_next_month(month).isoformat()}')"
        )


def _create_plain(_conn: sa.Connection) -> None:
    op.execute(_TABLE)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _swap(_create_partitioned)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # The partitions go with the partitioned table (DROP TABLE of the copy).
    _swap(_create_plain)
