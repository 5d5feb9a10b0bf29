"""Monthly partitions of `samples` on PostgreSQL (migration 0011).

On PostgreSQL `samples` is partitioned by range of `ts`, one partition per UTC
calendar month, named `samples_YYYY_MM`, without a default partition (a default
partition would make every later partition's creation scan it). Retention then drops
a whole month (`db.retention`) instead of deleting its rows one by one.

The writer creates the months a batch needs before it inserts (`ensure_months`). It
keeps, per engine, the months it knows to exist, so a batch of known months costs no
query. A partition is created in a short transaction of its own, committed before the
batch's rows go in: a batch that rolls back later leaves the partition behind, so the
cache never claims a month that is not there. Only when the batch's transaction
already wrote samples (a second connection would wait for it) is the partition
created inside it, and then not cached. Any failure of a sample write forgets the
engine's months (`forget`), and retention forgets the months it drops, so a month
dropped by another process is found missing and created again on the next try.

SQLite keeps one plain table; nothing here runs there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
import re
import threading
from typing import TYPE_CHECKING, Final
import weakref

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, ProgrammingError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy import Connection, Engine

PARENT: Final = "samples"
_NAME = re.compile(r"^samples_(\d{4})_(\d{2})$")
_EPOCH_DAY: Final = date(1970, 1, 1)
_DAY_S: Final = 86_400

# The parent's state, its schema, its monthly partitions, and whether this
# transaction already holds a lock on it (it wrote samples).
_CATALOG = text(
    """
    SELECT c.relkind = 'p', n.nspname,
           ARRAY(SELECT p.relname::text FROM pg_inherits i
                 JOIN pg_class p ON p.oid = i.inhrelid WHERE i.inhparent = c.oid),
           EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = pg_backend_pid()
                   AND l.locktype = 'relation' AND l.relation = c.oid)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = to_regclass(:parent)
    """
)

_lock = threading.Lock()
# Per engine, the months known to have a partition (month index, see `month_index`).
_known: weakref.WeakKeyDictionary[Engine, set[int]] = weakref.WeakKeyDictionary()


def month_index(year: int, month: int) -> int:
    """A month as one integer: months since year 0."""
    return year * 12 + month - 1


def month_start(index: int) -> datetime:
    """The first instant (UTC) of a month index."""
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def partition_name(index: int) -> str:
    """The partition of a month: `samples_YYYY_MM`."""
    return f"{PARENT}_{index // 12:04d}_{index % 12 + 1:02d}"


def month_of_name(name: str) -> int | None:
    """The month index of a partition's name (None: not a monthly partition)."""
    match = _NAME.match(name)
    if match is None:
        return None
    return month_index(int(match[1]), int(match[2]))


def sample_months(stamps: Iterable[float]) -> set[int]:
    """The months a batch's times (epoch seconds) fall in.

    A time in a month's last day also claims the next month: PostgreSQL rounds
    the time to microseconds, which can carry 23:59:59.9999996 over into it.

    Raises:
        ValueError, TypeError, OverflowError: A time that is no finite number of a
            storable date; the writer isolates and quarantines its sample.
    """
    months: set[int] = set()
    for day in {int(ts // _DAY_S) for ts in stamps}:
        moment = _EPOCH_DAY + timedelta(days=day)
        index = month_index(moment.year, moment.month)
        months.add(index)
        if (moment + timedelta(days=1)).month != moment.month:
            months.add(index + 1)
    return months


@dataclass(slots=True)
class Catalog:
    """What the database says about `samples` now."""

    partitioned: bool
    schema: str
    months: set[int]
    locked: bool


def read_catalog(conn: Connection) -> Catalog | None:
    """The parent's partitions (None: no `samples` table on this search path)."""
    row = conn.execute(_CATALOG, {"parent": PARENT}).one_or_none()
    if row is None:
        return None
    partitioned, schema, names, locked = row
    months = {m for m in map(month_of_name, names) if m is not None}
    return Catalog(bool(partitioned), str(schema), months, bool(locked))


def qualified(schema: str, name: str) -> str:
    """A quoted, schema-qualified name."""
    return '"{}"."{}"'.format(schema.replace('"', '""'), name.replace('"', '""'))


def _create(conn: Connection, schema: str, index: int) -> None:
    start, end = month_start(index), month_start(index + 1)
    conn.exec_driver_sql(
        f"CREATE TABLE IF NOT EXISTS {qualified(schema, partition_name(index))}"
        f" PARTITION OF {qualified(schema, PARENT)}"
        f" FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
    )


def _create_committed(engine: Engine, schema: str, index: int) -> None:
    """Create a month in a transaction of its own; a concurrent creator is fine."""
    try:
        with engine.begin() as own:
            _create(own, schema, index)
    except (IntegrityError, ProgrammingError) as exc:
        # Two creators passed IF NOT EXISTS at once: the other one's is there.
        code = getattr(exc.orig, "sqlstate", None)
        if code not in {"23505", "42P07"}:
            raise


def ensure_months(conn: Connection, months: set[int]) -> None:
    """Make sure `samples` has a partition for each month (PostgreSQL).

    A no-op when every month is known to this engine, or when `samples` is not
    partitioned (a database before migration 0011).
    """
    engine = conn.engine
    with _lock:
        known = _known.get(engine)
        if known is not None and months <= known:
            return
    catalog = read_catalog(conn)
    if catalog is None or not catalog.partitioned:
        return
    missing = sorted(months - catalog.months)
    if catalog.locked:
        # This transaction wrote samples: a second connection would wait for it.
        # Created inside it, and only cached once a later read finds it committed.
        for index in missing:
            _create(conn, catalog.schema, index)
        created: list[int] = []
    else:
        for index in missing:
            _create_committed(engine, catalog.schema, index)
        created = missing
    with _lock:
        _known[engine] = catalog.months | set(created)


def forget(engine: Engine) -> None:
    """Forget the months an engine knows: its next batch reads the catalog again."""
    with _lock:
        _known.pop(engine, None)


def forget_months(months: Iterable[int]) -> None:
    """Forget months in every engine of this process (retention dropped them)."""
    gone = set(months)
    with _lock:
        for known in _known.values():
            known -= gone


def known_months(engine: Engine) -> set[int] | None:
    """The months an engine believes exist (None: it has not looked yet)."""
    with _lock:
        known = _known.get(engine)
        return None if known is None else set(known)
