"""Sample retention: raw samples past the window fold into 5-minute buckets; records stay."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hypothesis import given, settings, strategies as st
import pytest
from sqlalchemy import Engine, func, select, text

from custom_components.ev_ledger.db import (
    DbConfig,
    Reader,
    Sample,
    connect_and_migrate,
    entity_uuid,
    make_engine,
)
from custom_components.ev_ledger.db.models import (
    ChargingSession,
    Sample as SampleModel,
    SampleBucket,
    SampleSourceId,
    Trip,
)
from custom_components.ev_ledger.db.retention import (
    cutoff,
    floor_bucket,
    fold_samples,
    reclaim,
)
from custom_components.ev_ledger.db.sink import write_batch

from .conftest import T0, WriterFactory, make_session, make_trip

if TYPE_CHECKING:
    from collections.abc import Iterable

    from custom_components.ev_ledger.db.writer import Writer

DAY = 86_400.0
CUT = datetime.fromtimestamp(T0 + 2 * DAY, UTC)


def household(days: int = 3) -> list[Sample]:
    """Two cars and a site: power every 5 s for two hours a day, the rest polled."""
    out: list[Sample] = []
    for day in range(days):
        base = T0 + day * DAY
        out.extend(
            Sample("car-1", "charger_power", base + i, 7.0 + (i % 60) / 10)
            for i in range(0, 7200, 5)
        )
        for i in range(0, int(DAY), 30):
            out.append(Sample("car-1", "battery_level", base + i, 50 + i / DAY * 30))
            out.append(
                Sample("car-2", "odometer", base + i, 1000 + day * 30 + i / 3600)
            )
            out.append(Sample("site", "solar_power", base + i, None if i % 90 else 2.5))
        out.extend(
            Sample("car-2", "charging_state", base + i, None, "stopped")
            for i in range(0, int(DAY), 600)
        )
    return out


def expected_buckets(samples: Iterable[Sample], before: datetime) -> dict[Any, Any]:
    """Per (source, role, bucket) what folding must keep, worked out directly."""
    groups: dict[Any, list[Sample]] = defaultdict(list)
    for sample in sorted(samples, key=lambda s: s.ts):
        moment = datetime.fromtimestamp(sample.ts, UTC)
        if moment < before:
            groups[(sample.source_id, sample.role, floor_bucket(moment))].append(sample)
    out = {}
    for key, group in groups.items():
        values = [s.value for s in group if s.value is not None]
        out[key] = (
            len(group),
            min(values) if values else None,
            max(values) if values else None,
            sum(values) / len(values) if values else None,
            group[-1].value,
            group[-1].text,
        )
    return out


def stored_buckets(engine: Engine, sources: list[str]) -> dict[Any, Any]:
    """The buckets' figures, filled in where stored as the last value (0012)."""
    names = {entity_uuid(source): source for source in sources}
    with engine.connect() as conn:
        rows = conn.execute(
            select(SampleSourceId.source_id, *SampleBucket.__table__.c).join(
                SampleSourceId, SampleSourceId.id == SampleBucket.source
            )
        ).all()
    return {
        (names[row.source_id], row.role, row.ts): (
            row.samples,
            filled(row.value_min, row.value_last),
            filled(row.value_max, row.value_last),
            filled(row.value_mean, row.value_last),
            row.value_last,
            row.text_last,
        )
        for row in rows
    }


def filled(figure: float | None, last: float | None) -> float | None:
    return last if figure is None else figure


def count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def same(a: dict[Any, Any], b: dict[Any, Any]) -> bool:
    if a.keys() != b.keys():
        return False
    for key, left in a.items():
        for x, y in zip(left, b[key], strict=True):
            if isinstance(x, float) and isinstance(y, float):
                if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9):
                    return False
            elif x != y:
                return False
    return True


def fill(config: DbConfig, make_writer: WriterFactory, samples: list[Sample]) -> None:
    writer: Writer = make_writer(config)
    for index in range(6):  # two sessions and trips a day
        writer.enqueue_session(make_session(index * 12))
        writer.enqueue_trip(make_trip(index * 12))
    writer.enqueue_samples(samples)
    writer.synced().result(30)


def test_fold_keeps_buckets_and_records(
    migrated: DbConfig, engine: Engine, make_writer: WriterFactory
) -> None:
    samples = household()
    fill(migrated, make_writer, samples)
    records = (count(engine, ChargingSession), count(engine, Trip))
    reader = Reader(migrated)
    try:
        assert reader.folded_until(["car-1", "car-2", "site"]) is None
        result = fold_samples(engine, CUT, window=timedelta(hours=6))
        # PostgreSQL folds whole months (0011): May's first days stay raw.
        edge = CUT if migrated.backend == "sqlite" else datetime(2025, 5, 1, tzinfo=UTC)
        older = [s for s in samples if s.ts < edge.timestamp()]
        assert result.complete
        assert result.folded == len(older)
        assert result.before == CUT
        # Each bucket of each source and role, exactly as worked out directly.
        expected = expected_buckets(samples, edge)
        assert result.buckets == len(expected)
        assert same(stored_buckets(engine, ["car-1", "car-2", "site"]), expected)
        # Newer raw samples untouched; records intact.
        assert count(engine, SampleModel) == len(samples) - len(older)
        assert (count(engine, ChargingSession), count(engine, Trip)) == records
        kept = reader.samples("car-1", CUT, CUT + timedelta(days=1))
        assert len(kept) == sum(
            1 for s in samples if s.source_id == "car-1" and s.ts >= CUT.timestamp()
        )
        assert reader.folded_until(["car-1"]) == edge
        assert reader.folded_until(["nobody"]) is None
        # A second run finds nothing to do.
        again = fold_samples(engine, CUT)
        assert (again.folded, again.buckets, again.windows) == (0, 0, 0)
    finally:
        reader.close()


# The row by row fold; PostgreSQL folds a month at a time (test_partition_retention).
@pytest.mark.parametrize("db_config", ["sqlite"], indirect=True)
def test_late_samples_merge_into_their_bucket(
    migrated: DbConfig, engine: Engine
) -> None:
    minute = T0 - T0 % 300
    first = [Sample("car-1", "charger_power", minute + i, 1.0) for i in (0, 10, 20)]
    late = [Sample("car-1", "charger_power", minute + i, 4.0) for i in (30, 40, 50)]
    with engine.begin() as conn:
        write_batch(conn, [("samples", [list(s) for s in first])])
    before = datetime.fromtimestamp(minute + 300, UTC)
    assert fold_samples(engine, before).folded == 3
    with engine.begin() as conn:  # a backfill writes more of that bucket later
        write_batch(conn, [("samples", [list(s) for s in late])])
    assert fold_samples(engine, before).folded == 3
    ((key, value),) = stored_buckets(engine, ["car-1"]).items()
    assert key[2] == datetime.fromtimestamp(minute, UTC)
    assert value[:4] == (6, 1.0, 4.0, 2.5)
    assert count(engine, SampleModel) == 0


# The row by row fold; PostgreSQL's month fold writes the same rows
# (test_partition_retention compares them).
@pytest.mark.parametrize("db_config", ["sqlite"], indirect=True)
def test_a_figure_equal_to_the_last_value_is_stored_once(
    migrated: DbConfig, engine: Engine
) -> None:
    """A one-sample bucket (most of a polled car's) keeps its value once (0012)."""
    minute = T0 - T0 % 300
    samples = [
        Sample("car-1", "battery_level", minute + 10, 63.0),
        Sample("car-1", "charger_power", minute, 7.0),
        Sample("car-1", "charger_power", minute + 5, 9.5),
        Sample("car-1", "charger_power", minute + 10, 9.0),
        Sample("car-1", "odometer", minute, 1200.0),
        Sample("car-1", "odometer", minute + 30, 1200.0),
        Sample("car-1", "charging_state", minute, None, "charging"),
    ]
    with engine.begin() as conn:
        write_batch(conn, [("samples", [list(s) for s in samples])])
    fold_samples(engine, datetime.fromtimestamp(minute + 300, UTC))
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                SampleBucket.role,
                SampleBucket.value_min,
                SampleBucket.value_max,
                SampleBucket.value_mean,
                SampleBucket.value_last,
            )
        ).all()
        view = conn.execute(
            text(
                "SELECT role, value_min, value_max, value_mean, value_last"
                " FROM v_sample_buckets"
            )
        ).all()
    assert {row[0]: tuple(row[1:]) for row in rows} == {
        "battery_level": (None, None, None, 63.0),
        "charger_power": (7.0, 9.5, 8.5, 9.0),
        "odometer": (None, None, None, 1200.0),
        "charging_state": (None, None, None, None),
    }
    assert {row[0]: tuple(row[1:]) for row in view} == {
        "battery_level": (63.0, 63.0, 63.0, 63.0),
        "charger_power": (7.0, 9.5, 8.5, 9.0),
        "odometer": (1200.0, 1200.0, 1200.0, 1200.0),
        "charging_state": (None, None, None, None),
    }


# The row by row fold; PostgreSQL folds a month at a time (test_partition_retention).
@pytest.mark.parametrize("db_config", ["sqlite"], indirect=True)
def test_deadline_and_stop_leave_whole_windows(
    migrated: DbConfig, engine: Engine, make_writer: WriterFactory
) -> None:
    fill(migrated, make_writer, household(days=1))
    total = count(engine, SampleModel)
    stopped = fold_samples(engine, CUT, should_stop=lambda: True)
    assert (stopped.complete, stopped.folded) == (False, 0)
    late = fold_samples(engine, CUT, max_seconds=0)
    assert (late.complete, late.folded) == (False, 0)
    calls = iter([False, False, True])
    partial = fold_samples(engine, CUT, should_stop=lambda: next(calls))
    assert not partial.complete
    assert partial.windows == 2
    # What was folded is gone from the raw table, nothing else.
    assert count(engine, SampleModel) == total - partial.folded
    with engine.connect() as conn:
        folded = conn.execute(select(func.sum(SampleBucket.samples))).scalar_one()
    assert folded == partial.folded
    rest = fold_samples(engine, CUT)
    assert rest.complete
    assert count(engine, SampleModel) == 0


def test_cutoff_is_on_a_bucket() -> None:
    now = datetime(2026, 12, 6, 3, 17, 42, 123, tzinfo=UTC)
    assert cutoff(now, 396) == datetime(2025, 11, 5, 3, 15, tzinfo=UTC)


def test_sqlite_gives_space_back(tmp_path: Path) -> None:
    config = DbConfig.embedded(tmp_path / "ev_ledger.db")
    connect_and_migrate(config)
    engine = make_engine(config)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA auto_vacuum").scalar_one() == 2
        samples = [
            Sample("car-1", "charger_power", T0 + i, 7.0 + i % 7, "x" * 40)
            for i in range(60_000)
        ]
        with engine.begin() as conn:
            write_batch(conn, [("samples", [list(s) for s in samples])])
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        grown = Path(config.path or "").stat().st_size
        fold_samples(engine, datetime.fromtimestamp(T0 + 60_000, UTC))
        while reclaim(engine):
            pass
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        assert Path(config.path or "").stat().st_size < grown / 4
    finally:
        engine.dispose()


def test_reclaim_does_nothing_elsewhere(pg_config: DbConfig, tmp_path: Path) -> None:
    connect_and_migrate(pg_config)
    engine = make_engine(pg_config)
    try:
        assert reclaim(engine) == 0
    finally:
        engine.dispose()
    # An SQLite file made before incremental auto-vacuum reuses its pages instead.
    config = DbConfig.embedded(tmp_path / "old.db")
    old = make_engine(config)
    try:
        with old.connect() as conn:
            conn.exec_driver_sql("PRAGMA auto_vacuum=NONE")
            conn.exec_driver_sql("VACUUM")
            conn.exec_driver_sql("CREATE TABLE t (x)")
        assert reclaim(old) == 0
    finally:
        old.dispose()


@settings(max_examples=30, deadline=None)
@given(
    points=st.lists(
        st.tuples(
            st.sampled_from(["car-1", "site"]),
            st.sampled_from(["charger_power", "battery_level", "location"]),
            st.integers(min_value=0, max_value=4 * 3600),
            st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)),
        ),
        max_size=120,
        unique_by=lambda p: (p[0], p[1], p[2]),
    ),
    cut=st.integers(min_value=0, max_value=4 * 3600),
    window=st.sampled_from([300, 600, 3600]),
)
def test_folding_keeps_every_minute(
    points: list[tuple[str, str, int, float | None]], cut: int, window: int
) -> None:
    """Any samples, any cut-off, any window: each minute's figures, nothing else."""
    import tempfile

    samples = [Sample(src, role, T0 + t, value) for src, role, t, value in points]
    before = floor_bucket(datetime.fromtimestamp(T0 + cut, UTC))
    with tempfile.TemporaryDirectory() as folder:
        config = DbConfig.embedded(Path(folder) / "ev_ledger.db")
        connect_and_migrate(config)
        engine = make_engine(config)
        try:
            with engine.begin() as conn:
                write_batch(conn, [("samples", [list(s) for s in samples])])
            result = fold_samples(engine, before, window=timedelta(seconds=window))
            expected = expected_buckets(samples, before)
            assert result.folded == sum(v[0] for v in expected.values())
            assert same(stored_buckets(engine, ["car-1", "site"]), expected)
            assert count(engine, SampleModel) == len(samples) - result.folded
        finally:
            engine.dispose()
