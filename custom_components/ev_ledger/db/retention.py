"""Sample retention: raw samples older than a window are folded into 5-minute buckets.

Raw samples are most of a ledger's size, and only `ev_ledger.recompute` reads them.
Past the retention window (default 13 months) each source's samples are folded into
one `sample_buckets` row per role and five minutes (count, minimum, maximum, mean, last
value, text and coordinates) and deleted. A minimum, maximum or mean equal to the last
value is stored as NULL (migration 0012; `v_sample_buckets` fills them in): most
buckets of a polled car hold one sample, which is then stored once, not four times. Records (sessions, trips, site days) are
never touched.

The job works source by source through the oldest samples, in windows of whole
buckets read along the samples' key (source, time, role), one short transaction per
window, so the writer and readers are never blocked for long and an
interrupted run leaves nothing half done: each window's aggregates and its delete
commit together. A bucket folded before and then given more raw samples (a late
backfill) is merged into its aggregate. On an SQLite file created with incremental
auto-vacuum the freed pages are then given back a few at a time (`reclaim`).

On PostgreSQL `samples` has a partition per UTC month (migration 0011,
`db.partitions`). A month that ends before the cut-off is folded in SQL, with the
same figures as the row by row fold here, merged with the buckets already stored,
and its partition dropped, in one transaction per month: an interrupted run leaves
the month raw or folded, never both and never neither. Raw samples of the month the
cut-off falls in stay raw until that month is over: on PostgreSQL raw samples are
kept up to a month past the window. A backfill into a dropped month creates its
partition again, and the next run folds it into the stored buckets. The drop waits
at most `DROP_LOCK_TIMEOUT` for readers of `samples`; a busy reader delays the rest
of the run to the next night instead of stalling the writer behind the drop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import time
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import and_, delete, func, insert, select, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from . import partitions
from .models import Sample, SampleBucket

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Connection, Engine

DEFAULT_RETENTION_DAYS: Final = 396  # 13 months
# Five minutes: a streaming car's or site's samples shrink 30-300 fold, and a charging
# curve years back keeps its shape.
BUCKET: Final = timedelta(minutes=5)
_BUCKET_S: Final = int(BUCKET.total_seconds())
# A window of raw samples folded in one transaction.
WINDOW: Final = timedelta(hours=1)
# Pages given back to the file system per reclaim step (4 MiB of 4 KiB pages).
RECLAIM_PAGES: Final = 1024
# The longest a month's fold waits for a lock (PostgreSQL), the drop's above all.
DROP_LOCK_TIMEOUT: Final = "2s"

# (source id in `sample_sources`, role, bucket start)
type _Key = tuple[int, str, datetime]


@dataclass(slots=True)
class _Bucket:
    samples: int = 0
    value_min: float | None = None
    value_max: float | None = None
    value_sum: float = 0.0
    values: int = 0
    value_last: float | None = None
    text_last: str | None = None
    latitude: float | None = None
    longitude: float | None = None

    def add(
        self,
        value: float | None,
        text_: str | None,
        latitude: float | None,
        longitude: float | None,
    ) -> None:
        self.samples += 1
        if value is not None:
            self.value_min = (
                value if self.value_min is None else min(self.value_min, value)
            )
            self.value_max = (
                value if self.value_max is None else max(self.value_max, value)
            )
            self.value_sum += value
            self.values += 1
        self.value_last = value
        self.text_last = text_
        self.latitude = latitude
        self.longitude = longitude

    def merge_stored(self, row: Any) -> None:
        """Fold an aggregate stored before (its samples came earlier).

        Its minimum, maximum or mean is NULL where it equals its last value (0012).
        """
        stored = int(row.samples)
        last = row.value_last
        mean = last if row.value_mean is None else row.value_mean
        if mean is not None:
            # The stored mean is over its valued samples; they are at most `stored`.
            self.value_sum += mean * stored
            self.values += stored
        for bound in (
            last if row.value_min is None else row.value_min,
            last if row.value_max is None else row.value_max,
        ):
            if bound is not None:
                self.value_min = (
                    bound if self.value_min is None else min(self.value_min, bound)
                )
                self.value_max = (
                    bound if self.value_max is None else max(self.value_max, bound)
                )
        self.samples += stored

    def row(self, key: _Key) -> dict[str, Any]:
        """The bucket's row, its figures equal to the last value NULL (0012).

        A one-sample bucket stores its value once, not four times.
        """
        source, role, ts = key
        last = self.value_last
        mean = self.value_sum / self.values if self.values else None
        return {
            "source": source,
            "role": role,
            "ts": ts,
            "samples": self.samples,
            "value_min": _unless_last(self.value_min, last),
            "value_max": _unless_last(self.value_max, last),
            "value_mean": _unless_last(mean, last),
            "value_last": last,
            "text_last": self.text_last,
            "latitude": self.latitude,
            "longitude": self.longitude,
        }


def _unless_last(figure: float | None, last: float | None) -> float | None:
    """A bucket's figure as stored: NULL where it equals the last value."""
    return None if figure == last else figure


@dataclass(slots=True)
class FoldResult:
    """What a retention run did."""

    before: datetime
    folded: int = 0
    buckets: int = 0
    # Transactions that folded samples: windows, or on PostgreSQL months.
    windows: int = 0
    complete: bool = True
    seconds: float = 0.0
    # PostgreSQL: month partitions folded and dropped.
    partitions: int = 0


def floor_bucket(moment: datetime) -> datetime:
    """The start of `moment`'s five-minute bucket (UTC)."""
    moment = moment.astimezone(UTC).replace(second=0, microsecond=0)
    return moment - timedelta(minutes=moment.minute % (_BUCKET_S // 60))


def cutoff(now: datetime, retention_days: int) -> datetime:
    """Samples before this are folded: `retention_days` before now, on a bucket."""
    return floor_bucket(now - timedelta(days=retention_days))


def fold_samples(
    engine: Engine,
    before: datetime,
    *,
    window: timedelta = WINDOW,
    max_seconds: float | None = None,
    should_stop: Callable[[], bool] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> FoldResult:
    """Fold every raw sample older than `before` into buckets and delete it.

    On PostgreSQL (`samples` partitioned, migration 0011) whole months are folded
    and their partitions dropped; samples of the month `before` falls in stay raw.

    Args:
        engine: The ledger's database.
        before: Samples before this moment are folded (floored to a bucket).
        window: Raw time folded per transaction (SQLite; PostgreSQL: a month).
        max_seconds: No new window or month starts after this long (the rest is
            done by the next run; `complete` is then False).
        should_stop: Asked before each window or month; True stops the run.
        clock: Monotonic clock.
    """
    started = clock()
    deadline = None if max_seconds is None else started + max_seconds
    before = floor_bucket(before)
    result = FoldResult(before=before)

    def stop() -> bool:
        return (deadline is not None and clock() >= deadline) or (
            should_stop is not None and should_stop()
        )

    with engine.connect() as conn:
        catalog = (
            partitions.read_catalog(conn)
            if engine.dialect.name == "postgresql"
            else None
        )
        sources = [] if catalog and catalog.partitioned else _sources(conn)
    if catalog is not None and catalog.partitioned:
        _fold_months(engine, catalog, result, stop)
        result.seconds = clock() - started
        return result
    for source in sources:
        cursor: datetime | None = None
        while True:
            if stop():
                result.complete = False
                result.seconds = clock() - started
                return result
            with engine.begin() as conn:
                # One seek on the key (source, ts, role).
                query = select(func.min(Sample.ts)).where(
                    Sample.source == source, Sample.ts < before
                )
                if cursor is not None:
                    query = query.where(Sample.ts >= cursor)
                oldest = conn.execute(query).scalar_one_or_none()
                if oldest is None:
                    break
                start = floor_bucket(oldest)
                end = min(start + window, before)
                folded, buckets = _fold_window(conn, source, start, end)
            result.folded += folded
            result.buckets += buckets
            result.windows += 1
            cursor = end
    result.seconds = clock() - started
    return result


def _fold_months(
    engine: Engine,
    catalog: partitions.Catalog,
    result: FoldResult,
    stop: Callable[[], bool],
) -> None:
    """PostgreSQL: fold and drop each month partition that ends before the cut-off."""
    for month in sorted(catalog.months):
        if partitions.month_start(month + 1) > result.before:
            break
        if stop():
            result.complete = False
            return
        name = partitions.qualified(catalog.schema, partitions.partition_name(month))
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{DROP_LOCK_TIMEOUT}'")
                # Writers of this month wait (a late backfill), readers go on; a
                # second run of this job waits too.
                conn.exec_driver_sql(f"LOCK TABLE {name} IN SHARE ROW EXCLUSIVE MODE")
                folded, buckets = conn.execute(
                    text(_FOLD_MONTH.format(partition=name))
                ).one()
                conn.exec_driver_sql(f"DROP TABLE {name}")
        except ProgrammingError as exc:
            if getattr(exc.orig, "sqlstate", None) != "42P01":  # undefined_table
                raise
            continue  # a concurrent run (another instance) dropped it meanwhile
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != "55P03":  # lock_not_available
                raise
            # A reader holds `samples`: the month stays raw until the next run.
            result.complete = False
            return
        partitions.forget_months([month])
        result.folded += int(folded)
        result.buckets += int(buckets)
        result.windows += 1
        result.partitions += 1


# A month's raw samples as `_Bucket` folds them: count, minimum, maximum, the mean
# (values summed in the samples' order, as Python adds them), the last sample's
# value, text and coordinates by (ts, seq); a bucket stored before is merged as
# `_Bucket.merge_stored` does. Returns (samples folded, buckets written).
_FOLD_MONTH = """
WITH agg AS (
    SELECT s.source, s.role,
           to_timestamp(floor(extract(epoch FROM s.ts) / 300) * 300) AS bucket,
           count(*) AS samples,
           min(s.value) AS value_min,
           max(s.value) AS value_max,
           sum(s.value ORDER BY s.ts, s.seq) AS value_sum,
           count(s.value) AS valued,
           (array_agg(s.value ORDER BY s.ts DESC, s.seq DESC))[1] AS value_last,
           (array_agg(s.text ORDER BY s.ts DESC, s.seq DESC))[1] AS text_last,
           (array_agg(s.latitude ORDER BY s.ts DESC, s.seq DESC))[1] AS latitude,
           (array_agg(s.longitude ORDER BY s.ts DESC, s.seq DESC))[1] AS longitude
    FROM {partition} AS s
    GROUP BY 1, 2, 3
), merged AS (
    SELECT a.source, a.role, a.bucket, a.samples + coalesce(b.samples, 0) AS samples,
           least(a.value_min, b.value_min, b.value_max) AS value_min,
           greatest(a.value_max, b.value_min, b.value_max) AS value_max,
           CASE WHEN b.value_mean IS NULL THEN a.value_sum
                ELSE coalesce(a.value_sum, 0) + b.value_mean * b.samples
           END AS value_sum,
           a.valued + CASE WHEN b.value_mean IS NULL THEN 0 ELSE b.samples END
               AS valued,
           a.value_last, a.text_last, a.latitude, a.longitude
    FROM agg AS a
    LEFT JOIN (
        -- A stored figure equal to its last value is NULL (0012): filled in again.
        SELECT source, ts, role, samples,
               coalesce(value_min, value_last) AS value_min,
               coalesce(value_max, value_last) AS value_max,
               coalesce(value_mean, value_last) AS value_mean
        FROM sample_buckets
    ) AS b
        ON b.source = a.source AND b.ts = a.bucket AND b.role = a.role
), folded AS (
    SELECT source, role, samples, bucket, value_min, value_max,
           CASE WHEN valued > 0 THEN value_sum / valued END AS value_mean,
           value_last, text_last, latitude, longitude
    FROM merged
), written AS (
    INSERT INTO sample_buckets (source, role, samples, ts, value_min, value_max,
                                value_mean, value_last, text_last, latitude, longitude)
    SELECT source, role, samples, bucket,
           nullif(value_min, value_last), nullif(value_max, value_last),
           nullif(value_mean, value_last),
           value_last, text_last, latitude, longitude
    FROM folded
    ON CONFLICT (source, ts, role) DO UPDATE SET
        samples = EXCLUDED.samples, value_min = EXCLUDED.value_min,
        value_max = EXCLUDED.value_max, value_mean = EXCLUDED.value_mean,
        value_last = EXCLUDED.value_last, text_last = EXCLUDED.text_last,
        latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude
    RETURNING 1
)
SELECT (SELECT coalesce(sum(samples), 0) FROM agg), (SELECT count(*) FROM written)
"""


def _sources(conn: Connection) -> list[int]:
    """The sources that have raw samples: a walk along the key, one seek each."""
    column = Sample.__table__.c.source
    found: list[int] = []
    query = select(column).order_by(column).limit(1)
    first = conn.execute(query).scalar_one_or_none()
    while first is not None:
        found.append(first)
        first = conn.execute(query.where(column > first)).scalar_one_or_none()
    return found


def _fold_window(
    conn: Connection, source: int, start: datetime, end: datetime
) -> tuple[int, int]:
    """Fold a source's raw samples in [start, end) (whole buckets).

    Returns (samples, buckets).
    """
    rows = conn.execute(
        select(
            Sample.role,
            Sample.ts,
            Sample.value,
            Sample.text,
            Sample.latitude,
            Sample.longitude,
        )
        .where(Sample.source == source, Sample.ts >= start, Sample.ts < end)
        .order_by(Sample.ts, Sample.seq)
    ).all()
    buckets: dict[_Key, _Bucket] = {}
    for role, ts, value, text_, latitude, longitude in rows:
        key = (source, role, floor_bucket(ts))
        bucket = buckets.get(key)
        if bucket is None:
            bucket = buckets[key] = _Bucket()
        bucket.add(value, text_, latitude, longitude)
    if not buckets:
        return 0, 0
    # Minutes folded by an earlier run (late samples): merged, then rewritten.
    table = SampleBucket.__table__
    stored = conn.execute(
        select(*table.c).where(
            SampleBucket.source == source,
            SampleBucket.ts >= start,
            SampleBucket.ts < end,
        )
    ).all()
    replaced: list[_Key] = []
    for row in stored:
        key = (row.source, row.role, row.ts)
        if key in buckets:
            buckets[key].merge_stored(row)
            replaced.append(key)
    for _, role, ts in replaced:
        conn.execute(
            delete(SampleBucket).where(
                and_(
                    SampleBucket.source == source,
                    SampleBucket.role == role,
                    SampleBucket.ts == ts,
                )
            )
        )
    conn.execute(
        insert(SampleBucket), [bucket.row(key) for key, bucket in buckets.items()]
    )
    conn.execute(
        delete(Sample).where(
            Sample.source == source, Sample.ts >= start, Sample.ts < end
        )
    )
    return len(rows), len(buckets)


def reclaim(engine: Engine, pages: int = RECLAIM_PAGES) -> int:
    """Give up to `pages` free pages of an SQLite file back; return how many were free.

    Only a file created with incremental auto-vacuum (every file EV Ledger created
    since retention exists) can shrink; in an older file the free pages are reused
    by new samples, so it stops growing instead. Nothing to do on PostgreSQL, whose
    autovacuum makes the space reusable.
    """
    if engine.dialect.name != "sqlite":
        return 0
    with engine.connect() as conn:
        if conn.execute(text("PRAGMA auto_vacuum")).scalar_one() != 2:  # incremental
            return 0
        free = int(conn.execute(text("PRAGMA freelist_count")).scalar_one())
        if free:
            conn.execute(text(f"PRAGMA incremental_vacuum({int(pages)})"))
        conn.commit()
    return free
