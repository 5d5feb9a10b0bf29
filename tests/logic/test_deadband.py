"""The deadband (`logic.deadband`): what it keeps, and what it can cost."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.ev_ledger.logic.deadband import BANDS, Band, Deadband
from custom_components.ev_ledger.logic.model import Reading, Role

P = Role.CHARGER_POWER
BAND = BANDS[P]


def kept(readings: list[Reading], deadband: Deadband | None = None) -> list[Reading]:
    band = Deadband() if deadband is None else deadband
    return [r for r in readings if band.keep(r)]


def power(*pairs: tuple[float, float | None]) -> list[Reading]:
    return [Reading(ts, P, value) for ts, value in pairs]


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        # Within 1 W or 0.1 % (7 W of 7 kW): dropped; measured from the kept one.
        ([(0, 7.0), (10, 7.005), (20, 7.0069), (30, 7.008)], [0, 30]),
        ([(0, 7.0), (10, 6.995), (20, 6.992)], [0, 20]),
        # Small values: the 1 W floor.
        ([(0, 0.5), (10, 0.5009), (20, 0.502)], [0, 20]),
        # A charge that stops, and starts again: zero is its own sign.
        ([(0, 0.0004), (10, 0.0), (20, 0.0), (30, 0.0003)], [0, 10, 30]),
        # A gap is kept, and the band starts again after it.
        ([(0, 7.0), (10, None), (20, 7.0), (30, 7.0)], [0, 10, 20]),
        # The hold: a reading 15 minutes after the kept one is kept, unchanged or not.
        ([(0, 7.0), (600, 7.0), (900, 7.0), (1000, 7.0)], [0, 900]),
        # Older than the kept one: passed on for the ledger to refuse (stale).
        ([(100, 7.0), (50, 7.0), (110, 7.0)], [100, 50]),
    ],
)
def test_what_is_kept(
    stream: list[tuple[float, float | None]], expected: list[float]
) -> None:
    assert [r.ts for r in kept(power(*stream))] == expected


def test_signs_of_a_site_are_kept() -> None:
    """Import to export, charge to discharge: a sign change is never dropped."""
    band = Deadband()
    grid = [
        Reading(t, Role.GRID_POWER, v)
        for t, v in [
            (0, 0.0),
            (60, 0.0),
            (120, -0.0),
            (180, 1.2),
            (240, 1.2),
            (300, 1.201),
        ]
    ]
    assert [r.ts for r in grid if band.keep(r)] == [0, 180, 300]


def test_unbanded_roles_and_values_pass() -> None:
    band = Deadband()
    readings = [
        Reading(0, Role.SESSION_ENERGY, 1.0),
        Reading(1, Role.SESSION_ENERGY, 1.0),
        Reading(2, Role.ODOMETER, 5.0),
        Reading(3, Role.PLUGGED, True),
        Reading(4, Role.PLUGGED, True),
    ]
    assert kept(readings, band) == readings
    assert not band.dropped


def test_counts_what_it_drops() -> None:
    band = Deadband()
    kept(power((0, 7.0), (1, 7.0), (2, 7.0)), band)
    kept([Reading(t, Role.HOME_LOAD, 0.3) for t in range(3)], band)
    assert band.dropped == {P: 2, Role.HOME_LOAD: 2}


def test_the_same_state_fed_again_is_counted_once() -> None:
    """After a restart the entity's current state is fed again: if it was dropped
    before the restart, it is dropped again but not counted twice."""
    band = Deadband()
    kept(power((0, 7.0), (10, 7.0005)), band)
    again = Deadband()
    again.restore(json.loads(json.dumps(band.to_dict())))
    assert kept(power((10, 7.0005), (20, 7.0008)), again) == []
    assert again.dropped == {P: 2}


def test_snapshot_continues_an_unbroken_stream() -> None:
    stream = power(*[(t * 10.0, 7.0 + (t % 7) * 0.002) for t in range(200)])
    unbroken = Deadband()
    whole = kept(stream, unbroken)
    first = Deadband()
    part = kept(stream[:77], first)
    second = Deadband()
    second.restore(first.to_dict())
    assert part + kept(stream[77:], second) == whole
    assert second.dropped == unbroken.dropped
    assert sum(unbroken.dropped.values()) == len(stream) - len(whole) > 0


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {"kept": "x", "dropped": 3},
        {"kept": {"nope": [1, 2], "charger_power": [1]}, "dropped": {"nope": 1}},
        {"kept": {"charger_power": ["a", 1]}, "dropped": {"charger_power": -1}},
        {"kept": {"charger_power": [1, math.nan]}, "dropped": {"charger_power": True}},
        {"kept": {"charger_power": [1, math.inf]}},
        {"last_dropped": {"charger_power": "x", "nope": 3.0}},
        {"last_dropped": [1]},
    ],
)
def test_restore_skips_what_is_malformed(data: Any) -> None:
    band = Deadband()
    band.restore(data)
    assert band.to_dict() == {"kept": {}, "dropped": {}, "last_dropped": {}}


values = st.one_of(
    st.none(),
    st.floats(-50, 50, allow_nan=False),
    st.sampled_from([0.0, 7.0, 7.001, 7.02, -0.001]),
)
streams = st.lists(
    st.tuples(st.floats(0, 2000, allow_nan=False), values), max_size=80
).map(lambda pairs: power(*sorted(pairs, key=lambda p: p[0])))


@settings(max_examples=300, deadline=None)
@given(streams)
def test_filtering_again_keeps_everything(stream: list[Reading]) -> None:
    """What was kept (the stored samples) passes the deadband unchanged: a recompute
    need not filter again, and filtering again would change nothing."""
    once = kept(stream)
    assert kept(once) == once


@settings(max_examples=300, deadline=None)
@given(streams)
def test_every_dropped_reading_is_close_and_recent(stream: list[Reading]) -> None:
    band = Deadband()
    last: Reading | None = None
    for reading in stream:
        if band.keep(reading):
            if last is None or reading.ts >= last.ts:
                last = reading if reading.value is not None else None
            continue
        assert last is not None
        assert isinstance(reading.value, float)
        assert isinstance(last.value, float)
        assert reading.ts - last.ts < BAND.hold_s
        assert (reading.value > 0) == (last.value > 0)
        assert (reading.value < 0) == (last.value < 0)
        assert abs(reading.value - last.value) <= max(
            BAND.absolute, BAND.relative * abs(last.value)
        )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0.5, 30.0), st.floats(0.0, 22.0, allow_nan=False)),
        min_size=1,
        max_size=100,
    )
)
def test_energy_error_is_bounded_by_the_band(steps: list[tuple[float, float]]) -> None:
    """Held values (zero-order hold) of the kept readings against all of them: the
    energy differs by at most the band times the time held."""
    ts, stream = 0.0, []
    for dt, value in steps:
        stream.append(Reading(ts, P, value))
        ts += dt
    end = ts

    def kw(reading: Reading) -> float:
        assert isinstance(reading.value, float)
        return reading.value

    def held(readings: list[Reading]) -> list[tuple[float, float]]:
        """(kW, hours held) of each reading."""
        ends = [*(r.ts for r in readings[1:]), end]
        return [(kw(r), (e - r.ts) / 3600) for r, e in zip(readings, ends, strict=True)]

    taken = kept(stream)
    energy_all = sum(v * h for v, h in held(stream))
    energy_kept = sum(v * h for v, h in held(taken))
    bound = sum(max(BAND.absolute, BAND.relative * abs(v)) * h for v, h in held(taken))
    assert abs(energy_kept - energy_all) <= bound + 1e-9


def test_bands_are_per_role() -> None:
    custom = Deadband({Role.OUTSIDE_TEMP: Band(0.5, 0.0, 600.0)})
    temps = [
        Reading(t, Role.OUTSIDE_TEMP, v) for t, v in [(0, 5.0), (60, 5.4), (120, 5.6)]
    ]
    assert [r.ts for r in temps if custom.keep(r)] == [0, 120]
    assert custom.keep(Reading(0, P, 7.0))
    assert custom.keep(Reading(1, P, 7.0))
