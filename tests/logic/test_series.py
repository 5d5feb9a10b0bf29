"""Minute series in snapshots: the kept text always equals the series (logic.series).

Snapshots are taken every few minutes from the same ledgers; each settled minute is
turned into text once and kept. These tests change the series between snapshots in
every way the ledgers can (and some they cannot: earlier minutes, removals) and check
that the text is always what a fresh ledger would write.
"""

from __future__ import annotations

from itertools import pairwise
import json
import math
from typing import Any

from hypothesis import given, settings, strategies as st

from custom_components.ev_ledger.logic.integrate import (
    IntegrationMethod,
    PowerIntegrator,
)
from custom_components.ev_ledger.logic.model import Reading, Role
from custom_components.ev_ledger.logic.series import JsonText, SeriesText, pairs_from
from custom_components.ev_ledger.logic.site import SiteConfig, SiteLedger

T0 = 1_700_000_000.0


def roundtrip(data: Any) -> Any:
    """As a snapshot file holds it (plain JSON: the text is a string there)."""
    return json.loads(json.dumps(data, allow_nan=False))


def test_text_is_json_of_the_pairs() -> None:
    series = SeriesText()
    data = {5: 0.1, 6: 1e-05, 7: 2.5}
    text = series.text(data, settled=7)
    assert isinstance(text, JsonText)
    # Consecutive minutes share a run; a pair is a run of one (older snapshots).
    assert json.loads(text) == [[5, 0.1, 1e-05, 2.5]]
    assert pairs_from(text) == pairs_from([[5, 0.1], [6, 1e-05], [7, 2.5]])
    assert pairs_from(text) == [(5, 0.1), (6, 1e-05), (7, 2.5)]


def test_runs_break_where_minutes_do_not_follow() -> None:
    data = {3: 1.0, 4: 2.0, 9: 3.0, 10: 4.0, 11: 5.0, 2: 6.0}
    series = SeriesText()
    # Kept up to minute 10, then the rest: the kept head's open run continues.
    assert json.loads(series.text(data, settled=11)) == [
        [3, 1.0, 2.0],
        [9, 3.0, 4.0, 5.0],
        [2, 6.0],
    ]
    data[12] = 7.0
    series.changed = 12
    assert json.loads(series.text(data, settled=13)) == [
        [3, 1.0, 2.0],
        [9, 3.0, 4.0, 5.0],
        [2, 6.0],
        [12, 7.0],
    ]
    assert json.loads(SeriesText().text({}, settled=0)) == []


def test_not_finite_is_null_as_json_writers_write_it() -> None:
    assert json.loads(SeriesText().text({1: math.nan, 2: 1.0}, 0)) == [[1, None, 1.0]]


def test_pairs_from_refuses_what_is_not_a_list_of_runs() -> None:
    for bad in ('{"a": 1}', 3, "[[1]]", "[3]", '[["x", 1.0]]', "[[null, 1.0]]"):
        try:
            pairs_from(bad)
        except (TypeError, ValueError):
            continue
        raise AssertionError(bad)


# A change: set a minute (maybe an earlier one), remove minutes, or take the text.
_op = st.one_of(
    st.tuples(st.just("set"), st.integers(0, 40), st.floats(-5, 5)),
    st.tuples(st.just("prune"), st.integers(0, 40), st.just(0.0)),
    st.tuples(st.just("text"), st.integers(0, 45), st.just(0.0)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_op, max_size=60))
def test_kept_text_equals_the_series_whatever_changes(
    ops: list[tuple[str, int, float]],
) -> None:
    series = SeriesText()
    data: dict[int, float] = {}
    for op, minute, value in ops:
        if op == "set":
            data[minute] = value
            series.changed = min(series.changed, minute)
        elif op == "prune":
            old = [m for m in data if m < minute]
            for m in old:
                del data[m]
            if old:
                series.reset()
        else:
            text = series.text(data, settled=minute)
            assert pairs_from(text) == list(data.items())
            # Runs: each starts where the minutes stop following each other.
            runs = json.loads(text)
            assert sum(len(run) - 1 for run in runs) == len(data)
            assert all(b[0] != a[0] + len(a) - 1 for a, b in pairwise(runs))


# An integrator's life: readings, gaps, pauses, stops, pruning, snapshots between.
_step = st.one_of(
    st.tuples(st.just("feed"), st.floats(0.5, 200), st.floats(0, 22)),
    st.tuples(st.just("pause"), st.floats(0.5, 200), st.just(0.0)),
    st.tuples(st.just("hold"), st.floats(0.5, 200), st.just(0.0)),
    st.tuples(st.just("stop"), st.floats(0.5, 200), st.just(0.0)),
    st.tuples(st.just("prune"), st.floats(0, 600), st.just(0.0)),
    st.tuples(st.just("snapshot"), st.just(0.0), st.just(0.0)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_step, max_size=80), st.sampled_from(list(IntegrationMethod)))
def test_integrator_snapshot_equals_a_fresh_ones(
    steps: list[tuple[str, float, float]], method: IntegrationMethod
) -> None:
    """Snapshots taken along the way write what a just-restored integrator writes,
    and restore to the same minutes."""
    integrator = PowerIntegrator(method, max_gap=300)
    ts = T0
    for op, dt, kw in steps:
        ts += dt
        if op == "feed":
            integrator.feed(ts, kw)
        elif op == "pause":
            integrator.pause(ts)
        elif op == "hold":
            integrator.hold_until(ts)
        elif op == "stop":
            integrator.stop(ts)
        elif op == "prune":
            integrator.prune(int((ts - dt) // 60))
        else:
            data = roundtrip(integrator.to_dict())
            fresh = PowerIntegrator.from_dict(data)
            # Minutes ascend in the dict's order (`drop_before` relies on it).
            assert list(integrator.buckets) == sorted(integrator.buckets)
            assert roundtrip(fresh.to_dict()) == data
            assert fresh.buckets == integrator.buckets
    data = roundtrip(integrator.to_dict())
    assert PowerIntegrator.from_dict(data).buckets == integrator.buckets


_reading = st.tuples(
    st.floats(1, 400),  # seconds since the last reading
    st.sampled_from([Role.SOLAR_POWER, Role.GRID_POWER, Role.HOME_LOAD]),
    st.one_of(st.none(), st.floats(-4, 8)),
    st.booleans(),  # a snapshot after it
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_reading, max_size=120))
def test_site_snapshot_equals_a_fresh_ones(
    readings: list[tuple[float, Role, float | None, bool]],
) -> None:
    config = SiteConfig(site_id="home", max_gap_s=300, retention_minutes=30)
    site = SiteLedger(config)
    ts = T0
    for dt, role, value, snapshot in readings:
        ts += dt
        site.step(Reading(ts, role, value))
        for channel in site._channels.values():
            # Minutes ascend in the dicts' order (`drop_before` relies on it).
            assert list(channel.coverage) == sorted(channel.coverage)
            for integrator in channel.integrators:
                assert list(integrator.buckets) == sorted(integrator.buckets)
        if snapshot:
            data = roundtrip(site.to_dict())
            fresh = SiteLedger.from_dict(config, data)
            assert roundtrip(fresh.to_dict()) == data
    data = roundtrip(site.to_dict())
    fresh = SiteLedger.from_dict(config, data)
    last = int(ts // 60)
    for minute in range(last - 40, last + 1):
        assert fresh.minute(minute) == site.minute(minute)


def test_old_snapshots_with_lists_still_restore() -> None:
    """Snapshots written before the text (pairs as lists) restore the same."""
    integrator = PowerIntegrator(IntegrationMethod.ZOH, max_gap=300)
    for i in range(30):
        integrator.feed(T0 + 37 * i, 3 + i % 4)
    data = roundtrip(integrator.to_dict())
    data["buckets"] = json.loads(data["buckets"])
    assert PowerIntegrator.from_dict(data).buckets == integrator.buckets
