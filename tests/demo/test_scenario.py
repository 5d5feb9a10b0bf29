"""The demo simulator's week: deterministic, complete and physically plausible."""

from __future__ import annotations

from collections import defaultdict
import itertools
from typing import TYPE_CHECKING

import pytest

from demo.custom_components.ev_ledger_sim.sim import catalog as c, plan, world
from demo.custom_components.ev_ledger_sim.sim.clock import WEEK_S, SimClock
from demo.custom_components.ev_ledger_sim.sim.scenario import SimEvent, timeline, week

if TYPE_CHECKING:
    from collections.abc import Iterator

DAY = 86400


@pytest.fixture(scope="module")
def events() -> list[SimEvent]:
    return week()


def series(events: list[SimEvent], key: str) -> list[SimEvent]:
    return [e for e in events if e.key == key]


def value_at(events: list[SimEvent], key: str, offset: int) -> object:
    """The value a key holds at `offset` (its last report at or before)."""
    found = None
    for event in series(events, key):
        if event.offset > offset:
            break
        found = event.value
    return found


def plug_intervals(events: list[SimEvent]) -> list[tuple[int, int]]:
    """(plug-in, unplug) offsets; an open session ends at the week's end."""
    intervals: list[tuple[int, int]] = []
    start: int | None = None
    for event in series(events, c.PLUG):
        if event.value and start is None:
            start = event.offset
        elif not event.value and start is not None:
            intervals.append((start, event.offset))
            start = None
    if start is not None:
        intervals.append((start, WEEK_S))
    return intervals


def trips(events: list[SimEvent]) -> list[tuple[int, int, float]]:
    """(start, end, km) of each drive, from the shift state and the odometer."""
    result = []
    start: int | None = None
    for event in series(events, c.SHIFT_STATE):
        if event.value == "D":
            start = event.offset
        elif event.value == "P" and start is not None:
            km = float(value_at(events, c.ODOMETER, event.offset)) - float(  # type: ignore[arg-type]
                value_at(events, c.ODOMETER, start - 60)  # type: ignore[arg-type]
            )
            result.append((start, event.offset, km))
            start = None
    return result


def test_deterministic_and_ordered(events: list[SimEvent]) -> None:
    assert week() == events
    assert week(seed=8) != events
    offsets = [e.offset for e in events]
    assert offsets == sorted(offsets)
    assert offsets[-1] < WEEK_S


def test_first_minute_is_a_complete_snapshot(events: list[SimEvent]) -> None:
    first = {e.key for e in events if e.offset <= 60}
    assert first == set(c.SPECS)


def test_every_key_is_a_catalog_entity_with_valid_values(
    events: list[SimEvent],
) -> None:
    for event in events:
        spec = c.SPECS[event.key]
        if spec.options:
            assert event.value in spec.options
        elif spec.platform == "binary_sensor":
            assert isinstance(event.value, bool)
        elif spec.platform == "sensor":
            assert isinstance(event.value, int | float)
    for key in (c.BATTERY_LEVEL, c.BATTERY_12V, c.CHARGE_LIMIT, c.HOME_BATTERY_LEVEL):
        assert all(0 <= float(e.value) <= 100 for e in series(events, key))


def test_fourteen_trips_commutes_and_a_road_trip(events: list[SimEvent]) -> None:
    found = trips(events)
    assert len(found) == 14
    commutes = [km for start, _end, km in found if start < 5 * DAY]
    assert len(commutes) == 10
    assert all(24.5 <= km <= 26 for km in commutes)
    road = [km for start, _end, km in found if start >= 5 * DAY]
    assert sum(road) == pytest.approx(575, abs=2)
    odometer = [float(e.value) for e in series(events, c.ODOMETER)]
    assert odometer == sorted(odometer)


def test_trips_move_the_car_between_zones(events: list[SimEvent]) -> None:
    for start, end, _km in trips(events)[:10]:
        before = value_at(events, c.LOCATION, start - 60)
        during = value_at(events, c.LOCATION, start + 600)
        after = value_at(events, c.LOCATION, end)
        assert during == "not_home"
        assert {before, after} == {"home", "work"}
    speeds = [float(e.value) for e in series(events, c.SPEED)]
    assert max(speeds) < 180
    assert 0 in speeds


def test_zone_coordinates_match_the_zone_labels(events: list[SimEvent]) -> None:
    centres = {"home": world.HOME, "work": world.WORK}
    for event in series(events, c.LOCATION):
        if event.value in centres:
            place = centres[str(event.value)]
            distance = world.distance_m(
                float(event.attributes["latitude"]),
                float(event.attributes["longitude"]),
                place.latitude,
                place.longitude,
            )
            assert distance <= world.ZONE_RADIUS_M[str(event.value)]


def test_sessions_home_work_and_fast_charging(events: list[SimEvent]) -> None:
    intervals = plug_intervals(events)
    assert len(intervals) == 7
    places = [value_at(events, c.LOCATION, start) for start, _ in intervals]
    assert places == ["home", "work", "home", "home", "not_home", "not_home", "home"]
    for start, end in intervals:
        energy = [
            float(e.value)
            for e in series(events, c.SESSION_ENERGY)
            if start <= e.offset < end
        ]
        # The counter resets at plug-in and only grows during a session.
        assert value_at(events, c.SESSION_ENERGY, start) == 0
        assert energy == sorted(energy)
        assert energy[-1] > 5


def test_home_charging_at_11_kw_tapers_near_the_end(events: list[SimEvent]) -> None:
    start, end = plug_intervals(events)[0]
    power = [
        float(e.value)
        for e in series(events, c.CHARGER_POWER)
        if start <= e.offset < end and float(e.value) > 0
    ]
    assert max(power) <= 11.1
    assert sorted(power)[len(power) // 2] == pytest.approx(11, abs=0.1)
    assert power[-1] < 5
    assert value_at(events, c.CHARGING_STATE, end - 60) == "complete"


def test_scheduled_night_has_two_windows(events: list[SimEvent]) -> None:
    start, end = plug_intervals(events)[2]  # Thursday evening
    states = [
        e.value for e in series(events, c.CHARGING_STATE) if start <= e.offset < end
    ]
    assert states == ["stopped", "charging", "stopped", "charging", "complete"]
    resumed = [
        e.offset
        for e in series(events, c.CHARGING_STATE)
        if start <= e.offset < end and e.value == "charging"
    ][1]
    assert resumed == 4 * DAY + 3600  # Friday 01:00


def test_dc_fast_charging_peaks_and_tapers(events: list[SimEvent]) -> None:
    start, end = plug_intervals(events)[4]
    power = [
        float(e.value)
        for e in series(events, c.CHARGER_POWER)
        if start <= e.offset < end and float(e.value) > 0
    ]
    assert 140 <= max(power) <= 152
    assert power[-1] < 40
    assert end - start < 3600


def test_solar_bell_and_home_battery(events: list[SimEvent]) -> None:
    solar = series(events, c.SOLAR_POWER)
    noon = [float(e.value) for e in solar if 12 <= (e.offset % DAY) / 3600 < 14]
    night = [float(e.value) for e in solar if (e.offset % DAY) / 3600 < 4]
    assert 5000 < max(noon) <= 8000
    assert set(night) == {0.0}
    battery = series(events, c.BATTERY_POWER)
    midday = [float(e.value) for e in battery if 10 <= (e.offset % DAY) / 3600 < 15]
    evening = [float(e.value) for e in battery if 19 <= (e.offset % DAY) / 3600 < 23]
    assert min(midday) < -2  # charging from the surplus
    assert max(evening) > 0.5  # covering the house


def test_site_balances_at_every_report(events: list[SimEvent]) -> None:
    latest: dict[str, float] = {}
    by_offset: dict[int, list[SimEvent]] = defaultdict(list)
    for event in events:
        if c.SPECS[event.key].device == c.SITE:
            by_offset[event.offset].append(event)
    for offset in sorted(by_offset):
        latest.update({e.key: float(e.value) for e in by_offset[offset]})
        solar = latest[c.SOLAR_POWER] / 1000
        grid = latest[c.GRID_POWER] / 1000
        battery = latest[c.BATTERY_POWER]
        load = latest[c.HOME_LOAD] / 1000
        assert load == pytest.approx(solar + grid + battery, abs=0.02), offset


def test_house_load_includes_the_car_charging_at_home(events: list[SimEvent]) -> None:
    start, _ = plug_intervals(events)[0]
    offset = start + 3600 + 20  # a site report during Monday's session
    assert float(value_at(events, c.HOME_LOAD, offset)) > 11_000  # type: ignore[arg-type]


def test_price_changes_hourly(events: list[SimEvent]) -> None:
    prices = series(events, c.PRICE)
    assert len(prices) >= 160
    assert all(e.offset % 3600 == 0 for e in prices)
    values = [float(e.value) for e in prices]
    assert 0.1 < min(values) < max(values) < 0.5


def test_the_week_repeats_with_continuity() -> None:
    two = week(weeks=2)
    second = [e for e in two if e.offset >= WEEK_S]
    departures = [e for e in second if e.key == c.SHIFT_STATE and e.value == "D"]
    assert len(departures) == 14
    odometer = [float(e.value) for e in two if e.key == c.ODOMETER]
    assert odometer == sorted(odometer)
    # Sunday's home session ends on Monday morning of the second week.
    unplug = next(e for e in second if e.key == c.PLUG)
    assert unplug.value is False
    assert unplug.offset == WEEK_S + 7 * 3600 + 20 * 60


def test_timeline_is_lazy_and_fast() -> None:
    stream: Iterator[SimEvent] = timeline()
    assert len(list(itertools.islice(stream, 100))) == 100


def test_plan_has_no_overlaps() -> None:
    spans = sorted(
        [(d.start, d.end) for d in plan.DRIVES]
        + [(ch.plug, ch.unplug) for ch in plan.CHARGES]
    )
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end <= start


def test_clock_catch_up_then_normal_speed() -> None:
    clock = SimClock()
    assert clock.scenario_s(0) == 6 * 3600
    assert clock.catch_up_real_s == pytest.approx(26 * 3600 / 2016)
    # The first full day (commutes, a home session, solar) within a minute.
    assert clock.real_s(DAY + 8 * 3600) < 60
    # The whole week within about ten minutes.
    assert 500 < clock.real_s(WEEK_S) < 620
    for real in (0.0, 10.0, 46.4, 100.0, 500.0):
        assert clock.real_s(clock.scenario_s(real)) == pytest.approx(real)
    with pytest.raises(ValueError, match="positive"):
        SimClock(speed=0)


def test_site_meters_report_every_poll_unchanged_values_included(
    events: list[SimEvent],
) -> None:
    # EV Ledger needs a reading at least every 15 minutes per role; its own re-report
    # of unchanged states follows the wall clock, behind the simulated time.
    for key in (c.SOLAR_POWER, c.GRID_POWER, c.BATTERY_POWER, c.HOME_LOAD):
        assert c.SPECS[key].polled
        offsets = [e.offset for e in series(events, key)]
        assert len(offsets) == WEEK_S // 300
        assert {b - a for a, b in itertools.pairwise(offsets)} <= {
            300,
            320,
        }  # the first poll is not delayed


def test_departure_reports_the_shift_before_the_odometer(
    events: list[SimEvent],
) -> None:
    departures = {e.offset for e in series(events, c.SHIFT_STATE) if e.value == "D"}
    assert len(departures) == 14
    for offset in departures:
        keys = [e.key for e in events if e.offset == offset]
        assert keys.index(c.SHIFT_STATE) < keys.index(c.ODOMETER)
