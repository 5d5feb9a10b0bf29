"""SQLite's sample fast path stores exactly what SQLAlchemy would, and ignores repeats."""

from __future__ import annotations

from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
import sqlite3

from hypothesis import given, settings, strategies as st
from sqlalchemy import insert

from custom_components.ev_ledger.db import DbConfig, connect_and_migrate, make_engine
from custom_components.ev_ledger.db.models import Sample as SampleModel
from custom_components.ev_ledger.db.sink import source_ids, write_batch

from .conftest import T0


def raw_rows(path: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT * FROM samples ORDER BY 1, 4, 2").fetchall()


def store_both(
    folder: Path, samples: list[list[object]]
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    fast = DbConfig.embedded(folder / "fast" / "ev_ledger.db")
    slow = DbConfig.embedded(folder / "slow" / "ev_ledger.db")
    for config in (fast, slow):
        connect_and_migrate(config)
    engine = make_engine(fast, pooled=False)
    try:
        with engine.begin() as conn:
            write_batch(conn, [("samples", samples)])
            write_batch(conn, [("samples", samples[:3])])  # repeats: ignored
    finally:
        engine.dispose()
    engine = make_engine(slow, pooled=False)
    try:
        with engine.begin() as conn:
            # The same sources in the same order: the same ids.
            ids = source_ids(conn, [str(s[0]) for s in samples])
            conn.execute(
                insert(SampleModel).prefix_with("OR IGNORE"),
                [
                    {
                        "source": ids[str(s[0])],
                        "role": s[1],
                        "ts": datetime.fromtimestamp(float(s[2]), UTC),  # type: ignore[arg-type]
                        "value": s[3],
                        "text": s[4] if len(s) > 4 else None,
                        "seq": s[5] if len(s) > 5 else 0,
                        "latitude": s[6] if len(s) > 6 else None,
                        "longitude": s[7] if len(s) > 7 else None,
                    }
                    for s in samples
                ],
            )
    finally:
        engine.dispose()
    return raw_rows(str(fast.path)), raw_rows(str(slow.path))


@settings(max_examples=20, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["car", "site", "0190f3c5-7c1e-7a3b-9d40-5b0f3a9c2e11"]),
            st.sampled_from(["charger_power", "location", "odometer"]),
            st.integers(min_value=0, max_value=4 * 10**15),  # microseconds
            st.one_of(st.none(), st.floats(-1e9, 1e9, allow_nan=False)),
            st.one_of(st.none(), st.text(max_size=20)),
            st.integers(min_value=0, max_value=5),
            st.one_of(st.none(), st.floats(-90, 90)),
        ),
        min_size=1,
        max_size=40,
        unique_by=lambda s: (s[0], s[1], s[2]),
    )
)
def test_fast_path_equals_sqlalchemy(
    rows: list[tuple[str, str, int, float | None, str | None, int, float | None]],
) -> None:
    import tempfile

    samples: list[list[object]] = [
        [src, role, us / 1e6, value, text, seq, lat, None if lat is None else 13.4]
        for src, role, us, value, text, seq, lat in rows
    ]
    with tempfile.TemporaryDirectory() as folder:
        fast, slow = store_both(Path(folder), samples)
    assert fast == slow
    assert len(fast) == len(samples)


def test_short_rows_of_old_journals(tmp_path: Path) -> None:
    """Journals written before seq and coordinates hold five items."""
    fast, slow = store_both(
        tmp_path, [["car", "odometer", T0 + i, 1000.0 + i, None] for i in range(10)]
    )
    assert fast == slow
    assert {row[2] for row in fast} == {0}  # seq
