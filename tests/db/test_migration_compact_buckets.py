"""Migration 0012 on a populated ledger: bucket figures equal to the last value, once.

Buckets written before 0012 carry minimum, maximum and mean even where they equal the
last value (every one-sample bucket). The upgrade stores those as NULL, the view
`v_sample_buckets` shows every bucket as it was, and a downgrade gives back the rows
as they were, on both backends.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from custom_components.ev_ledger.db import DbConfig, make_engine
from custom_components.ev_ledger.db.migrate import migrate

BUCKET = 1_764_000_000 - 1_764_000_000 % 300
# (source, role code, ts offset, samples, min, max, mean, last, text)
OLD = [
    (1, 0, 0, 1, 63.0, 63.0, 63.0, 63.0, None),  # one sample: all four the same
    (1, 3, 0, 12, 7.0, 9.0, 8.0, 9.0, None),  # rising: the maximum is the last
    (1, 3, 300, 10, 6.5, 9.0, 7.25, 7.0, None),  # nothing equal to the last
    (1, 1, 0, 2, None, None, None, None, "charging"),  # no values: a text role
    (2, 16, 0, 30, 0.0, 0.0, 0.0, 0.0, None),  # a constant: solar at night
    (2, 17, 0, 30, 0.5, 2.0, 1.0, None, None),  # the last sample had no value
]


def run(config: DbConfig, query: str, **params: Any) -> list[tuple[Any, ...]]:
    engine = make_engine(config, pooled=False)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(query), params)
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()


def stored(config: DbConfig) -> dict[tuple[int, int, int], tuple[Any, ...]]:
    """(source, role code, samples): minimum, maximum, mean, last value, text."""
    rows = run(
        config,
        "SELECT source, role, samples, value_min, value_max, value_mean, value_last,"
        " text_last FROM sample_buckets",
    )
    return {tuple(row[:3]): tuple(row[3:]) for row in rows}


def in_view(config: DbConfig) -> dict[tuple[str, int], tuple[Any, ...]]:
    """(role name, samples): minimum, maximum, mean, last value, text."""
    rows = run(
        config,
        "SELECT role, samples, value_min, value_max, value_mean, value_last,"
        " text_last FROM v_sample_buckets",
    )
    return {tuple(row[:2]): tuple(row[2:]) for row in rows}


@pytest.mark.parametrize("db_config", ["sqlite", "postgresql"], indirect=True)
def test_buckets_are_compacted_and_given_back(db_config: DbConfig) -> None:
    postgresql = db_config.is_postgresql
    migrate(db_config, "0011")
    for source in (1, 2):
        uuid = f"{source:032x}"
        run(
            db_config,
            "INSERT INTO sample_sources (id, source_id) VALUES (:id, :uuid)",
            id=source,
            uuid=uuid if postgresql else bytes.fromhex(uuid),
        )
    for source, role, offset, samples, low, high, mean, last, text_ in OLD:
        moment = datetime.fromtimestamp(BUCKET + offset, UTC)
        run(
            db_config,
            "INSERT INTO sample_buckets (source, role, samples, ts, value_min,"
            " value_max, value_mean, value_last, text_last) VALUES (:source, :role,"
            " :samples, :ts, :low, :high, :mean, :last, :text)",
            source=source,
            role=role,
            samples=samples,
            ts=moment if postgresql else int(moment.timestamp() * 1_000_000),
            low=low,
            high=high,
            mean=mean,
            last=last,
            text=text_,
        )
    before = stored(db_config)
    assert before == {(r[0], r[1], r[3]): tuple(r[4:]) for r in OLD}

    migrate(db_config, "0012")
    compact = {key: row[:3] for key, row in stored(db_config).items()}
    assert compact == {
        (1, 0, 1): (None, None, None),
        (1, 3, 12): (7.0, None, 8.0),
        (1, 3, 10): (6.5, 9.0, 7.25),
        (1, 1, 2): (None, None, None),
        (2, 16, 30): (None, None, None),
        (2, 17, 30): (0.5, 2.0, 1.0),
    }
    names = {0: "battery_level", 1: "charging_state", 3: "charger_power"}
    names |= {16: "solar_power", 17: "grid_power"}
    assert in_view(db_config) == {
        (names[role], samples): row for (_, role, samples), row in before.items()
    }

    migrate(db_config, "0011", downgrade=True)
    assert stored(db_config) == before
    migrate(db_config, "head")
    assert stored(db_config)[(1, 0, 1)][:3] == (None, None, None)
