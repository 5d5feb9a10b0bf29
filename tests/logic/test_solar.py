"""Solar attribution: how much of a session came from the sun, the home battery, the grid."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, strategies as st
import pytest

from custom_components.ev_ledger.logic.model import Reading, Role, SolarSplit
from custom_components.ev_ledger.logic.site import SiteConfig, SiteLedger
from custom_components.ev_ledger.logic.solar import AttributionPolicy, attribute

T0 = datetime(2024, 6, 1, 13, 0, tzinfo=UTC).timestamp()
M0 = int(T0 // 60)
HOUSE_FIRST = AttributionPolicy.HOUSE_FIRST
EV_FIRST = AttributionPolicy.EV_FIRST


def site_with(
    minutes: int, flows: dict[Role, float | None], *, includes_ev: bool = True
) -> SiteLedger:
    """A site whose roles hold constant kW over `minutes` minutes from T0."""
    site = SiteLedger(SiteConfig(site_id="home", load_includes_ev=includes_ev))
    for i in range(minutes + 1):
        for role, kw in flows.items():
            site.step(Reading(T0 + 60 * i, role, kw))
    return site


def ev_at(kw: float, minutes: int = 60) -> dict[int, float]:
    return {M0 + i: kw / 60 for i in range(minutes)}


def kwh(split: SolarSplit | None) -> tuple[str, str, str, str]:
    assert split is not None
    return (
        str(split.solar_kwh),
        str(split.battery_kwh),
        str(split.grid_kwh),
        str(split.unattributed_kwh),
    )


SOLAR, GRID, BATTERY, LOAD = (
    Role.SOLAR_POWER,
    Role.GRID_POWER,
    Role.BATTERY_POWER,
    Role.HOME_LOAD,
)

# One hour of steady flows (kW). The house's other load is 1 kW and the EV draws 3.7 kW
# unless said otherwise; grid = load + EV - solar - battery. Expected kWh worked out
# from the definitions: (solar, battery, grid).
SCENARIOS: list[
    tuple[str, dict[Role, float | None], bool, AttributionPolicy, tuple[str, str, str]]
] = [
    (
        "sunny afternoon: all solar, surplus exported",
        {SOLAR: 5, GRID: -0.3},
        True,
        HOUSE_FIRST,
        ("3.700", "0.000", "0.000"),
    ),
    (
        "clouds: the surplus over the house covers part",
        {SOLAR: 2, GRID: 2.7},
        True,
        HOUSE_FIRST,
        ("1.000", "0.000", "2.700"),
    ),
    (
        "night: the home battery serves the house, then the EV",
        {SOLAR: 0, BATTERY: 3, GRID: 1.7},
        True,
        HOUSE_FIRST,
        ("0.000", "2.000", "1.700"),
    ),
    (
        "exporting while charging",
        {SOLAR: 6, GRID: -1.3},
        True,
        HOUSE_FIRST,
        ("3.700", "0.000", "0.000"),
    ),
    (
        "house first: 3 kW solar, 1 kW to the house",
        {SOLAR: 3, GRID: 1.7},
        True,
        HOUSE_FIRST,
        ("2.000", "0.000", "1.700"),
    ),
    (
        "EV first: the EV takes all 3 kW",
        {SOLAR: 3, GRID: 1.7},
        True,
        EV_FIRST,
        ("3.000", "0.000", "0.700"),
    ),
    (
        "house first with battery: solar to the house, battery to the EV",
        {SOLAR: 1, BATTERY: 2, GRID: 1.7},
        True,
        HOUSE_FIRST,
        ("0.000", "2.000", "1.700"),
    ),
    (
        "EV first with battery: solar then battery to the EV",
        {SOLAR: 1, BATTERY: 2, GRID: 1.7},
        True,
        EV_FIRST,
        ("1.000", "2.000", "0.700"),
    ),
    (
        "battery charging does not take solar from the EV",
        {SOLAR: 5, BATTERY: -1, GRID: 0.7},
        True,
        HOUSE_FIRST,
        ("3.700", "0.000", "0.000"),
    ),
    (
        "house load sensor includes the EV",
        {SOLAR: 3, LOAD: 4.7},
        True,
        HOUSE_FIRST,
        ("2.000", "0.000", "1.700"),
    ),
    (
        "house load sensor excludes the EV",
        {SOLAR: 3, LOAD: 1},
        False,
        HOUSE_FIRST,
        ("2.000", "0.000", "1.700"),
    ),
    (
        "sensor excludes the EV but configured as including it: overstated",
        {SOLAR: 3, LOAD: 1},
        True,
        HOUSE_FIRST,
        ("3.000", "0.000", "0.700"),
    ),
    (
        "a load derived from the meters always includes the EV",
        {SOLAR: 3, GRID: 1.7},
        False,
        HOUSE_FIRST,
        ("2.000", "0.000", "1.700"),
    ),
    (
        "load sensor down: derived from the grid meter instead",
        {SOLAR: 3, GRID: 1.7, LOAD: None},
        False,
        HOUSE_FIRST,
        ("2.000", "0.000", "1.700"),
    ),
]


@pytest.mark.parametrize(
    ("flows", "includes_ev", "policy", "expected"),
    [case[1:] for case in SCENARIOS],
    ids=[case[0] for case in SCENARIOS],
)
def test_scenarios(
    flows: dict[Role, float | None],
    includes_ev: bool,
    policy: AttributionPolicy,
    expected: tuple[str, str, str],
) -> None:
    site = site_with(60, flows, includes_ev=includes_ev)
    split = attribute(ev_at(3.7), site, policy)
    assert kwh(split) == (*expected, "0.000")


def test_per_minute_detail_keeps_only_minutes_with_energy() -> None:
    site = site_with(60, {SOLAR: 2, GRID: 2.7})
    split = attribute(ev_at(3.7), site)
    assert split is not None
    assert split.solar_by_minute == pytest.approx(ev_at(1.0))
    assert split.battery_by_minute == {}
    assert split.solar_share == Decimal("0.2703")  # 1 / 3.7


def test_missing_grid_data_means_no_attribution() -> None:
    site = site_with(60, {SOLAR: 5})
    assert attribute(ev_at(3.7), site) is None


@pytest.mark.parametrize(
    ("covered_minutes", "min_coverage", "expected"),
    [
        (60, 0.95, ("0.000", "0.000", "3.700", "0.000")),
        # 2 of 60 minutes uncovered: 96.7 % covered, the rest is unattributed.
        (58, 0.95, ("0.000", "0.000", "3.577", "0.123")),
        (50, 0.95, None),
        (50, 0.8, ("0.000", "0.000", "3.083", "0.617")),
        (0, 0.0, ("0.000", "0.000", "0.000", "3.700")),
    ],
)
def test_partial_site_coverage(
    covered_minutes: int,
    min_coverage: float,
    expected: tuple[str, str, str, str] | None,
) -> None:
    site = site_with(covered_minutes, {SOLAR: 0, GRID: 4.7})
    split = attribute(ev_at(3.7), site, min_coverage=min_coverage)
    assert (None if split is None else kwh(split)) == expected


def test_empty_and_non_positive_energy() -> None:
    site = site_with(60, {SOLAR: 5, GRID: -0.3})
    assert kwh(attribute({}, site)) == ("0.000", "0.000", "0.000", "0.000")
    split = attribute({M0: 0.0, M0 + 1: -0.5, M0 + 2: 0.05}, site)
    assert kwh(split) == ("0.050", "0.000", "0.000", "0.000")
    assert split is not None
    assert list(split.solar_by_minute) == [M0 + 2]


@pytest.mark.parametrize("min_coverage", [-0.1, 1.5])
def test_min_coverage_is_a_share(min_coverage: float) -> None:
    with pytest.raises(ValueError, match="min_coverage"):
        attribute({}, site_with(1, {SOLAR: 1}), min_coverage=min_coverage)


# Properties ----------------------------------------------------------------------------

kw = st.one_of(st.none(), st.floats(-3, 12))
site_minutes = st.lists(
    st.fixed_dictionaries({SOLAR: kw, GRID: st.floats(-12, 12), BATTERY: kw}),
    min_size=1,
    max_size=40,
)
ev_energy = st.dictionaries(
    st.integers(M0 - 5, M0 + 45),
    st.one_of(st.floats(0, 0.2), st.floats(-0.1, 0.0), st.sampled_from([0.0005, 1e-9])),
    max_size=50,
)


def q(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal("0.001"), ROUND_HALF_UP)


@given(
    site_minutes,
    ev_energy,
    st.sampled_from(AttributionPolicy),
    st.booleans(),
    st.floats(0, 1),
)
def test_attribution_invariants(
    minutes: list[dict[Role, float | None]],
    ev: dict[int, float],
    policy: AttributionPolicy,
    includes_ev: bool,
    min_coverage: float,
) -> None:
    site = SiteLedger(SiteConfig(site_id="home", load_includes_ev=includes_ev))
    for i, flows in enumerate([*minutes, minutes[-1]]):
        for role, value in flows.items():
            site.step(Reading(T0 + 60 * i, role, value))
    split = attribute(ev, site, policy, min_coverage)
    total = sum(e for e in ev.values() if e > 0)
    covered = sum(e for m, e in ev.items() if e > 0 and site.covered(m))
    if split is None:
        assert covered / total < min_coverage
        return
    parts = (split.solar_kwh, split.battery_kwh, split.grid_kwh, split.unattributed_kwh)
    assert all(part >= 0 for part in parts)
    assert sum(parts) == q(total)
    assert abs(split.unattributed_kwh - q(total - covered)) <= Decimal("0.002")
    for m, solar in split.solar_by_minute.items():
        site_minute = site.minute(m)
        assert site_minute is not None
        assert 0 < solar <= site_minute.solar
        assert solar + split.battery_by_minute.get(m, 0.0) <= ev[m] * (1 + 1e-12)
    for m, battery in split.battery_by_minute.items():
        site_minute = site.minute(m)
        assert site_minute is not None
        assert 0 < battery <= site_minute.battery_discharge


@given(site_minutes, ev_energy)
def test_ev_first_never_gives_less_solar(
    minutes: list[dict[Role, float | None]], ev: dict[int, float]
) -> None:
    site = SiteLedger(SiteConfig(site_id="home"))
    for i, flows in enumerate([*minutes, minutes[-1]]):
        for role, value in flows.items():
            site.step(Reading(T0 + 60 * i, role, value))
    house = attribute(ev, site, HOUSE_FIRST, 0.0)
    ev_first = attribute(ev, site, EV_FIRST, 0.0)
    assert house is not None
    assert ev_first is not None
    for m, solar in house.solar_by_minute.items():
        assert solar <= ev_first.solar_by_minute[m]
