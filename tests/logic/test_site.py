"""The energy-site ledger: validation, per-minute flows, daily summaries, snapshots."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
import json
import math
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from hypothesis import given, strategies as st
import pytest

from custom_components.ev_ledger.logic.model import Flag, Place, Reading, Reject, Role
from custom_components.ev_ledger.logic.series import pairs_from
from custom_components.ev_ledger.logic.site import (
    SITE_ROLES,
    SiteConfig,
    SiteDailySummary,
    SiteLedger,
    SiteMinute,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

BERLIN = ZoneInfo("Europe/Berlin")
DAY = date(2024, 6, 1)
T0 = datetime(2024, 6, 1, tzinfo=UTC).timestamp()  # a UTC midnight
M0 = int(T0 // 60)
H = 3600.0
ALL_THREE = (Role.SOLAR_POWER, Role.GRID_POWER, Role.BATTERY_POWER)


def ledger(**kwargs: Any) -> SiteLedger:
    return SiteLedger(SiteConfig(site_id="home", **kwargs))


def run(site: SiteLedger, readings: Iterable[Reading]) -> list[SiteDailySummary]:
    out: list[SiteDailySummary] = []
    for reading in readings:
        out.extend(site.step(reading))
    return out


def steady(
    start: float, end: float, step: float, flows: dict[Role, float | None]
) -> list[Reading]:
    """Readings of every role in `flows`, at start, start + step, ... up to end."""
    readings: list[Reading] = []
    ts = start
    while ts <= end:
        readings.extend(Reading(ts, role, kw) for role, kw in flows.items())
        ts += step
    return readings


# Validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "value", "reason"),
    [
        (Role.SOLAR_POWER, "3.2", Reject.NOT_NUMERIC),
        (Role.SOLAR_POWER, True, Reject.NOT_NUMERIC),
        (Role.GRID_POWER, Place(zone="home"), Reject.NOT_NUMERIC),
        (Role.SOLAR_POWER, math.nan, Reject.NOT_FINITE),
        (Role.GRID_POWER, -math.inf, Reject.NOT_FINITE),
        (Role.SOLAR_POWER, 1000.5, Reject.ABSURD),
        (Role.BATTERY_POWER, -5000, Reject.ABSURD),
        (Role.HOME_LOAD, 10**400, Reject.ABSURD),
        (Role.SOLAR_POWER, -0.2, Reject.NEGATIVE),
        (Role.GRID_EXPORT_POWER, -1.0, Reject.NEGATIVE),
        (Role.CHARGER_POWER, 3.0, Reject.UNKNOWN_ROLE),
        ("bogus", 3.0, Reject.UNKNOWN_ROLE),
    ],
)
def test_rejects_without_raising(role: Any, value: Any, reason: Reject) -> None:
    site = ledger()
    assert site.step(Reading(T0, role, value)) == ()
    assert site.rejected == {reason: 1}
    assert site.to_dict()["latest"] is None


@pytest.mark.parametrize(
    ("ts", "reason"), [(math.nan, Reject.NOT_FINITE), ("noon", Reject.NOT_NUMERIC)]
)
def test_rejects_bad_timestamps(ts: Any, reason: Reject) -> None:
    site = ledger()
    site.step(Reading(ts, Role.SOLAR_POWER, 1.0))
    assert site.rejected == {reason: 1}


def test_small_negative_solar_is_idle_noise() -> None:
    site = ledger()
    run(site, steady(T0, T0 + 60, 60, {Role.SOLAR_POWER: -0.04, Role.GRID_POWER: 1}))
    assert site.rejected == {}
    flows = site.minute(M0)
    assert flows is not None
    assert flows.solar == 0.0


def test_stale_reading_is_rejected_per_role() -> None:
    site = ledger()
    run(site, [Reading(T0 + 60, Role.SOLAR_POWER, 1.0)])
    run(site, [Reading(T0, Role.SOLAR_POWER, 2.0)])
    assert site.rejected == {Reject.STALE: 1}
    # Another role has its own clock, and an equal timestamp is not stale.
    run(site, [Reading(T0, Role.GRID_POWER, 1.0)])
    run(site, [Reading(T0 + 60, Role.SOLAR_POWER, None)])
    assert site.rejected == {Reject.STALE: 1}


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="max_gap_s"):
        SiteConfig(site_id="x", max_gap_s=0)
    with pytest.raises(ValueError, match="retention"):
        SiteConfig(site_id="x", retention_minutes=0)


# Per-minute flows --------------------------------------------------------------------


def approx_minute(flows: SiteMinute | None, **expected: float) -> None:
    assert flows is not None
    for name, kwh in expected.items():
        assert getattr(flows, name) == pytest.approx(kwh), name


def test_signed_roles_split_into_directions() -> None:
    site = ledger()
    run(
        site,
        [
            Reading(T0, Role.SOLAR_POWER, 4.0),
            Reading(T0, Role.GRID_POWER, 1.2),
            Reading(T0, Role.BATTERY_POWER, -3.0),
            Reading(T0 + 30, Role.GRID_POWER, -0.6),
            Reading(T0 + 30, Role.BATTERY_POWER, 1.8),
            *steady(T0 + 60, T0 + 60, 1, dict.fromkeys(ALL_THREE, 0.0)),
        ],
    )
    approx_minute(
        site.minute(M0),
        solar=4 / 60,
        grid_import=1.2 / 120,
        grid_export=0.6 / 120,
        battery_discharge=1.8 / 120,
        battery_charge=3.0 / 120,
        # 4 + 1.2/2 - 0.6/2 + 1.8/2 - 3/2 kW on average, derived from the balance.
        home_load=3.7 / 60,
    )


# Which roles are fed (kW, None = unavailable) -> is the minute covered, load measured.
COVERAGE: list[tuple[str, dict[Role, float | None], bool, bool]] = [
    ("solar and grid", {Role.SOLAR_POWER: 3, Role.GRID_POWER: -1}, True, False),
    ("solar only", {Role.SOLAR_POWER: 3}, False, False),
    ("grid only", {Role.GRID_POWER: 1}, False, False),
    ("solar and house load", {Role.SOLAR_POWER: 3, Role.HOME_LOAD: 2}, True, True),
    (
        "house load down, grid derives it",
        {Role.SOLAR_POWER: 3, Role.GRID_POWER: -1, Role.HOME_LOAD: None},
        True,
        False,
    ),
    (
        "battery mapped but unavailable",
        {Role.SOLAR_POWER: 3, Role.GRID_POWER: -1, Role.BATTERY_POWER: None},
        False,
        False,
    ),
    (
        "solar unavailable",
        {Role.SOLAR_POWER: None, Role.GRID_POWER: 1},
        False,
        False,
    ),
    (
        "import sensor only",
        {Role.SOLAR_POWER: 1, Role.GRID_IMPORT_POWER: 1},
        True,
        False,
    ),
    (
        "import/export pair",
        {Role.SOLAR_POWER: 3, Role.GRID_IMPORT_POWER: 0, Role.GRID_EXPORT_POWER: 1},
        True,
        False,
    ),
    (
        "export sensor down",
        {Role.SOLAR_POWER: 3, Role.GRID_IMPORT_POWER: 0, Role.GRID_EXPORT_POWER: None},
        False,
        False,
    ),
]


@pytest.mark.parametrize(
    ("flows", "covered", "measured"),
    [case[1:] for case in COVERAGE],
    ids=[case[0] for case in COVERAGE],
)
def test_coverage(
    flows: dict[Role, float | None], covered: bool, measured: bool
) -> None:
    site = ledger()
    run(site, steady(T0, T0 + 120, 60, flows))
    assert site.covered(M0) is covered
    minute = site.minute(M0)
    assert (minute is not None) is covered
    if minute is not None:
        assert minute.load_measured is measured
        assert minute.home_load == pytest.approx(2 / 60)


def test_unavailable_integrates_up_to_it_then_stops() -> None:
    site = ledger()
    run(site, [Reading(T0, Role.SOLAR_POWER, 6.0), Reading(T0, Role.GRID_POWER, 0.0)])
    run(site, [Reading(T0 + 30, Role.SOLAR_POWER, None)])
    run(site, [Reading(T0 + 90, Role.SOLAR_POWER, 6.0)])
    run(site, steady(T0 + 120, T0 + 180, 60, {Role.SOLAR_POWER: 0, Role.GRID_POWER: 0}))
    assert not site.covered(M0)  # solar covered only its first half
    assert not site.covered(M0 + 1)
    assert site.covered(M0 + 2)
    summary = site.flush_day()
    assert summary is not None
    # 30 s + 30 s of 6 kW; the 60 s while unavailable count nothing.
    assert summary.solar_produced_kwh == Decimal("0.100")
    assert summary.flags == {Flag.GAP}


def test_silence_beyond_max_gap_is_a_gap() -> None:
    site = ledger(max_gap_s=300)
    run(site, steady(T0, T0 + 600, 600, {Role.SOLAR_POWER: 5, Role.GRID_POWER: 0}))
    assert not any(site.covered(M0 + i) for i in range(10))
    run(site, steady(T0 + 900, T0 + 900, 1, {Role.SOLAR_POWER: 5, Role.GRID_POWER: 0}))
    assert all(site.covered(M0 + i) for i in range(10, 15))


def test_minutes_older_than_retention_are_forgotten() -> None:
    site = ledger(retention_minutes=60)
    flows: dict[Role, float | None] = {Role.SOLAR_POWER: 1, Role.GRID_POWER: 0}
    run(site, steady(T0, T0 + 3 * H, 60, flows))
    now = M0 + 180
    assert site.minute(now - 61) is None
    assert site.covered(now - 60)
    # Kept in memory only until the day is summarised; then really dropped.
    run(site, steady(T0 + 24 * H, T0 + 26 * H, 60, flows))
    kept = pairs_from(site.to_dict()["channels"][Role.SOLAR_POWER]["coverage"])
    assert min(m for m, _ in kept) >= M0 + 24 * 60 - 60


# Daily summaries -------------------------------------------------------------------

# kW per block of the day: solar, grid (+import), battery (+discharge).
BLOCKS = [(0.0, 0.5, 0.5), (4.0, -1.0, -2.0), (0.0, 2.0, 0.0)]


def hand_day() -> list[Reading]:
    """Three 8 h blocks; readings every 10 min for solar, grid and battery."""
    readings = []
    for block, (solar, grid, battery) in enumerate(BLOCKS):
        start = T0 + block * 8 * H
        flows: dict[Role, float | None] = {
            Role.SOLAR_POWER: solar,
            Role.GRID_POWER: grid,
            Role.BATTERY_POWER: battery,
        }
        readings += steady(start, start + 8 * H - 600, 600, flows)
    return readings


def test_day_rollover_emits_one_summary_computed_by_hand() -> None:
    site = ledger()
    assert run(site, hand_day()) == []
    midnight = steady(
        T0 + 24 * H,
        T0 + 24 * H,
        1,
        {Role.SOLAR_POWER: 0, Role.GRID_POWER: 1, Role.BATTERY_POWER: 0},
    )
    # The day is settled only once every role has reported past midnight.
    assert run(site, midnight[:2]) == []
    assert run(site, midnight[2:]) == [
        SiteDailySummary(
            site_id="home",
            day=DAY,
            solar_produced_kwh=Decimal("32.000"),  # 4 kW x 8 h
            to_home_kwh=Decimal("8.000"),  # house 4 - 1 - 2 = 1 kW while sunny
            to_battery_kwh=Decimal("16.000"),
            to_grid_kwh=Decimal("8.000"),
            grid_imported_kwh=Decimal("20.000"),  # 0.5 x 8 + 2 x 8
            grid_exported_kwh=Decimal("8.000"),
            battery_charged_kwh=Decimal("16.000"),
            battery_discharged_kwh=Decimal("4.000"),
            home_consumed_kwh=Decimal("32.000"),  # 1 x 8 + 1 x 8 + 2 x 8
            self_consumption_pct=Decimal("75.0"),  # (32 - 8) / 32
            self_sufficiency_pct=Decimal("37.5"),  # 1 - 20 / 32
            flags=set(),
        )
    ]
    assert run(site, steady(T0 + 24 * H + 600, T0 + 30 * H, 600, {})) == []


def test_flush_day_gives_the_partial_day() -> None:
    site = ledger()
    assert site.flush_day() is None
    run(site, [r for r in hand_day() if r.ts <= T0 + 12 * H])
    summary = site.flush_day()
    assert summary is not None
    assert summary.day == DAY
    assert summary.solar_produced_kwh == Decimal("16.000")
    assert summary.to_grid_kwh == Decimal("4.000")
    assert summary.flags == set()  # judged only up to what is settled
    assert site.settled_until == T0 + 12 * H
    assert site.flush_day(DAY + timedelta(days=1)) is None
    # Flushing does not close the day.
    run(site, [r for r in hand_day() if r.ts > T0 + 12 * H])
    closing = steady(T0 + 24 * H, T0 + 24 * H, 1, dict.fromkeys(ALL_THREE, 0.0))
    assert [s.day for s in run(site, closing)] == [DAY]


def test_summary_flags_a_source_gap() -> None:
    site = ledger()
    # The battery goes unavailable from 01:00 to 02:00.
    readings = [
        Reading(r.ts, r.role, None) if r.ts == T0 + H else r
        for r in hand_day()
        if r.role is not Role.BATTERY_POWER or not T0 + H < r.ts < T0 + 2 * H
    ]
    run(site, readings)
    closing = steady(T0 + 24 * H, T0 + 24 * H, 1, dict.fromkeys(ALL_THREE, 0.0))
    (summary,) = run(site, closing)
    assert summary.flags == {Flag.GAP}
    assert summary.battery_discharged_kwh == Decimal("3.500")


def test_a_silent_role_holds_the_day_for_max_gap_only() -> None:
    site = ledger()
    run(site, hand_day())
    # The battery stops reporting at 23:50; solar and grid go on.
    flows: dict[Role, float | None] = {Role.SOLAR_POWER: 0, Role.GRID_POWER: 1}
    assert run(site, steady(T0 + 24 * H, T0 + 24 * H + 300, 300, flows)) == []
    (summary,) = run(site, steady(T0 + 24 * H + 600, T0 + 24 * H + 600, 1, flows))
    assert summary.flags == {Flag.GAP}
    assert summary.grid_imported_kwh == Decimal("20.000")


def test_silent_days_are_skipped_and_partial_days_flagged() -> None:
    site = ledger()
    flows: dict[Role, float | None] = {Role.SOLAR_POWER: 0, Role.HOME_LOAD: 1}
    out = run(site, steady(T0 + 12 * H, T0 + 24 * H, 600, flows))
    out += run(site, steady(T0 + 108 * H, T0 + 120 * H, 600, flows))
    assert [(s.day, s.home_consumed_kwh, s.flags) for s in out] == [
        (DAY, Decimal("12.000"), {Flag.GAP}),
        (DAY + timedelta(days=4), Decimal("12.000"), {Flag.GAP}),
    ]
    # No solar, no grid meter: neither share can be known.
    assert out[0].self_consumption_pct is None
    assert out[0].self_sufficiency_pct is None


def test_data_spilling_into_a_silent_day_gets_its_summary() -> None:
    site = ledger()
    flows: dict[Role, float | None] = {Role.SOLAR_POWER: 0, Role.HOME_LOAD: 1}
    out = run(site, steady(T0 + 23 * H, T0 + 24 * H + 600, 600, flows))
    out += run(site, steady(T0 + 72 * H, T0 + 72 * H, 1, flows))
    assert [(s.day, s.home_consumed_kwh) for s in out] == [
        (DAY, Decimal("1.000")),
        (DAY + timedelta(days=1), Decimal("0.167")),
    ]


@pytest.mark.parametrize(
    ("day", "hours"), [(date(2024, 3, 31), 23), (date(2024, 10, 27), 25)]
)
def test_dst_days_in_berlin(day: date, hours: int) -> None:
    site = ledger(tz=BERLIN)
    start = datetime(day.year, day.month, day.day, tzinfo=BERLIN).timestamp()
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), BERLIN)
    flows: dict[Role, float | None] = {Role.SOLAR_POWER: 0, Role.GRID_POWER: 1}
    (summary,) = run(site, steady(start, end.timestamp(), 900, flows))
    assert summary.day == day
    assert summary.home_consumed_kwh == Decimal(hours).quantize(Decimal("0.001"))
    assert summary.grid_imported_kwh == summary.home_consumed_kwh
    assert summary.self_sufficiency_pct == Decimal("0.0")
    assert summary.flags == set()


# Snapshots and robustness ------------------------------------------------------------


def test_snapshot_refuses_other_versions_and_sites() -> None:
    data = ledger().to_dict()
    with pytest.raises(ValueError, match="another site"):
        SiteLedger.from_dict(SiteConfig(site_id="cabin"), data)
    with pytest.raises(ValueError, match="version"):
        SiteLedger.from_dict(SiteConfig(site_id="home"), {**data, "version": 99})
    channels = dict(data["channels"])
    channels[Role.SOLAR_POWER] = channels[Role.GRID_POWER]
    with pytest.raises(ValueError, match="sign"):
        SiteLedger.from_dict(SiteConfig(site_id="home"), {**data, "channels": channels})


def test_restore_takes_the_configured_max_gap() -> None:
    site = ledger()
    run(site, [Reading(T0, Role.SOLAR_POWER, 1.0), Reading(T0, Role.GRID_POWER, 1.0)])
    restored = SiteLedger.from_dict(
        SiteConfig(site_id="home", max_gap_s=60), site.to_dict()
    )
    run(
        restored,
        steady(T0 + 120, T0 + 120, 1, {Role.SOLAR_POWER: 1, Role.GRID_POWER: 1}),
    )
    assert not restored.covered(M0)


power = st.floats(-12, 12)
junk = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-2000, 2000),
    st.text(max_size=2),
    st.booleans(),
)
# Mostly plausible power, sometimes unavailable, sometimes junk.
values = st.one_of(power, power, power, st.none(), junk)
gaps = st.one_of(
    st.integers(0, 400), st.integers(-90, 2000), st.integers(0, 3 * 86_400)
)
# Each round advances the clock, then some roles report (out of order at times).
rounds = st.tuples(
    gaps,
    st.lists(
        st.tuples(st.sampled_from([*SITE_ROLES, Role.PRICE]), values),
        min_size=1,
        max_size=5,
    ),
)


def mostly[T](common: st.SearchStrategy[T], rare: st.SearchStrategy[Any]) -> Any:
    """`common` nine times in ten (st.one_of would weigh its branches evenly)."""
    return st.integers(0, 9).flatmap(lambda k: rare if k == 0 else common)


# A site reporting regularly, with the odd outage, junk value or long silence.
regular_rounds = st.tuples(
    mostly(st.integers(1, 400), gaps),
    st.tuples(
        mostly(st.floats(0, 10), values),
        mostly(power, values),
        mostly(power, values),
    ).map(lambda reported: list(zip(ALL_THREE, reported, strict=True))),
)
streams = st.one_of(
    st.lists(rounds, max_size=150), st.lists(regular_rounds, max_size=150)
)
configs = st.builds(
    SiteConfig,
    site_id=st.just("home"),
    tz=st.sampled_from([UTC, BERLIN]),
    retention_minutes=st.sampled_from([30, 4320]),
    load_includes_ev=st.booleans(),
)


def as_readings(stream: Sequence[tuple[int, list[tuple[Any, Any]]]]) -> list[Reading]:
    ts = T0 + 79_000  # late evening: day changes come early
    readings: list[Reading] = []
    for gap, reports in stream:
        ts += gap
        readings.extend(Reading(ts, role, value) for role, value in reports)
    return readings


def observe(site: SiteLedger, readings: Sequence[Reading]) -> list[Any]:
    """Everything a user could see: minutes, the flushed day, counters, the state."""
    minutes = {int(r.ts // 60) + d for r in readings for d in (-1, 0)}
    return [
        [site.minute(m) for m in sorted(minutes)],
        site.flush_day(),
        site.settled_until,
        dict(site.rejected),
        json.dumps(site.to_dict(), sort_keys=True),
    ]


@given(configs, streams, st.data())
def test_restore_and_continue_equals_uninterrupted(
    config: SiteConfig,
    stream: list[tuple[int, list[tuple[Any, Any]]]],
    data: st.DataObject,
) -> None:
    readings = as_readings(stream)
    cut = data.draw(st.integers(0, len(readings)), label="cut")
    whole = SiteLedger(config)
    expected = run(whole, readings)
    first = SiteLedger(config)
    got = run(first, readings[:cut])
    snapshot = json.loads(json.dumps(first.to_dict(), allow_nan=False))
    second = SiteLedger.from_dict(config, snapshot)
    got += run(second, readings[cut:])
    assert got == expected
    assert observe(second, readings) == observe(whole, readings)


@given(configs, streams)
def test_random_streams_keep_the_books_sane(
    config: SiteConfig, stream: list[tuple[int, list[tuple[Any, Any]]]]
) -> None:
    readings = as_readings(stream)
    site = SiteLedger(config)
    summaries = run(site, readings)
    days = [s.day for s in summaries]
    assert days == sorted(set(days))
    for summary in [*summaries, site.flush_day()]:
        if summary is None:
            continue
        kwh = [v for v in vars_of(summary) if isinstance(v, Decimal)]
        assert all(v >= 0 for v in kwh)
        solar = summary.solar_produced_kwh
        parts = summary.to_home_kwh + summary.to_battery_kwh + summary.to_grid_kwh
        assert parts <= solar + Decimal("0.003")
        for pct in (summary.self_consumption_pct, summary.self_sufficiency_pct):
            assert pct is None or Decimal(0) <= pct <= Decimal(100)
    for reading in readings:
        flows = site.minute(int(reading.ts // 60))
        if flows is not None:
            assert min(vars_of(flows)) >= 0


def vars_of(obj: Any) -> list[Any]:
    return [getattr(obj, name) for name in obj.__slots__]


def _full_summary(site: SiteLedger) -> SiteDailySummary | None:
    """Today's summary computed over every minute of the day, without the cache."""
    latest = site._latest
    if latest is None:
        return None
    day = site._local_day(latest)
    start_min, end_min, _ = site._day_bounds(day)
    return site._summarise(day, start_min, end_min, site._frontier())


@given(configs, streams, st.integers(1, 4))
def test_running_day_equals_the_full_day_after_every_reading(
    config: SiteConfig, stream: list[tuple[int, list[tuple[Any, Any]]]], every: int
) -> None:
    """flush_day (every minute at runtime) keeps totals of final minutes: same result.

    Compared after every `every`-th reading, as ticks come more or less often than
    readings; equality is exact (the sums are taken in the same order).
    """
    site = SiteLedger(config)
    for i, reading in enumerate(as_readings(stream)):
        site.step(reading)
        if i % every == 0:
            assert site.flush_day() == _full_summary(site)
    assert site.flush_day() == _full_summary(site)
