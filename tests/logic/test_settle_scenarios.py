"""Scenarios where cost and solar share matter: solar surplus with a home battery,
time-of-use crossing a band, a price entity changing mid-session, location rules and
manual overrides. Expected figures are worked out by hand in each test."""

from __future__ import annotations

from decimal import Decimal

import pytest

from custom_components.ev_ledger.logic.config import VehicleConfig
from custom_components.ev_ledger.logic.model import (
    ChargeState,
    CostSource,
    Flag,
    Place,
    Reading,
    Role,
)
from custom_components.ev_ledger.logic.settle import Settlement, override_cost
from custom_components.ev_ledger.logic.site import SiteConfig, SiteLedger
from custom_components.ev_ledger.logic.tariff import (
    PriceBook,
    SolarValuation,
    Tariff,
    TariffBook,
    TariffKind,
    TouBand,
)

from .trace import BERLIN, Trace, at, hours, minutes, run

HOME = Place("home", 52.52, 13.40)


def fixed(price: str, **kwargs: object) -> Tariff:
    return Tariff(
        kind=TariffKind.FIXED,
        currency="EUR",
        price_per_kwh=Decimal(price),
        **kwargs,  # type: ignore[arg-type]
    )


def home_charge(start: float, end: float, kw: float) -> Trace:
    trace = Trace()
    trace.add(start - 60, Role.LOCATION, HOME)
    trace.add(start, Role.PLUGGED, True)
    trace.add(start, Role.CHARGING_STATE, ChargeState.CHARGING)
    trace.add(start, Role.CHARGER_POWER, kw)
    trace.add(end, Role.CHARGER_POWER, 0.0)
    trace.add(end, Role.CHARGING_STATE, ChargeState.COMPLETE)
    trace.add(end + minutes(5), Role.PLUGGED, False)
    return trace


def test_solar_surplus_charging_with_a_home_battery() -> None:
    """12-13 h: 6 kW sun, 1 kW house, EV 4 kW: all solar (1 kW exported).
    13-14 h: 3 kW sun, 1 kW house, battery gives 1 kW, EV 4 kW: the house takes
    1 kW of sun, the EV 2 kW of sun + 1 kW battery + 1 kW grid.
    EV: 8 kWh = 6 solar + 1 battery + 1 grid; solar share 0.75."""
    noon = at("2026-06-15 12:00")
    site = SiteLedger(SiteConfig(site_id="home", tz=BERLIN))
    for minute in range(126):
        ts = noon + minutes(minute)
        first_hour = minute < 60
        ev = 4.0 if minute < 120 else 0.0
        solar = 6.0 if first_hour else 3.0
        battery = 0.0 if first_hour else 1.0
        load = 1.0 + ev
        for role, value in (
            (Role.SOLAR_POWER, solar),
            (Role.BATTERY_POWER, battery if ev else 0.0),
            (Role.HOME_LOAD, load),
            (Role.GRID_POWER, load - solar - (battery if ev else 0.0)),
        ):
            site.step(Reading(ts, role, value))
    tariff = fixed(
        "0.30", solar_valuation=SolarValuation.FEED_IN, feed_in_price=Decimal("0.08")
    )
    settle = Settlement(
        tariffs=TariffBook(rules={"home": tariff}), tz=BERLIN, site=site
    )
    out = run(
        home_charge(noon, noon + hours(2), 4.0).readings,
        until=noon + hours(3),
        settle=settle,
    )
    (session,) = out.sessions
    assert session.energy_kwh == Decimal("8.000")
    assert session.solar is not None
    assert session.solar.solar_kwh == Decimal("6.000")
    assert session.solar.battery_kwh == Decimal("1.000")
    assert session.solar.grid_kwh == Decimal("1.000")
    assert session.solar.solar_share == Decimal("0.7500")
    assert session.cost is not None
    # 2 kWh (battery + grid) x 0.30 + 6 kWh solar x 0.08 feed-in.
    assert session.cost.energy_cost == Decimal("0.6000")
    assert session.cost.solar_value == Decimal("0.4800")
    assert session.cost.total == Decimal("1.0800")


def test_missing_site_data_means_no_attribution() -> None:
    noon = at("2026-06-15 12:00")
    site = SiteLedger(SiteConfig(site_id="home", tz=BERLIN))
    site.step(Reading(noon, Role.SOLAR_POWER, 5.0))  # one reading, no grid meter
    settle = Settlement(
        tariffs=TariffBook(rules={"home": fixed("0.30")}), tz=BERLIN, site=site
    )
    out = run(
        home_charge(noon, noon + hours(1), 4.0).readings,
        until=noon + hours(2),
        settle=settle,
    )
    (session,) = out.sessions
    assert session.solar is None
    assert Flag.SITE_GAP in session.flags
    assert session.cost is not None
    assert session.cost.total == Decimal("1.2000")  # 4 kWh, all at the grid price


def test_time_of_use_crossing_a_band() -> None:
    """11 kW from 21:30 to 22:30: 5.5 kWh at the day price 0.40, 5.5 at night 0.20."""
    start = at("2026-03-03 21:30")
    night = TouBand(price=Decimal("0.20"), start=22 * 60, end=6 * 60)
    tou = Tariff(
        kind=TariffKind.TIME_OF_USE,
        currency="EUR",
        price_per_kwh=Decimal("0.40"),
        bands=(night,),
    )
    out = run(
        home_charge(start, start + hours(1), 11.0).readings,
        until=start + hours(2),
        settle=Settlement(tariffs=TariffBook(rules={"home": tou}), tz=BERLIN),
    )
    (session,) = out.sessions
    assert session.cost is not None
    assert session.cost.total == Decimal("3.3000")  # 2.20 + 1.10
    assert session.cost.source is CostSource.TARIFF
    assert session.cost.tariff == tou.to_dict()


def test_price_entity_changing_mid_session() -> None:
    """7.4 kW 18:30-19:30; the price entity moves from 0.25 to 0.35 at 19:00."""
    start = at("2026-01-20 18:30")
    prices = PriceBook()
    series = prices.series("sensor.spot_price")
    series.add(at("2026-01-20 18:00"), Decimal("0.25"))
    series.add(at("2026-01-20 19:00"), Decimal("0.35"))
    dynamic = Tariff(
        kind=TariffKind.PRICE_ENTITY,
        currency="EUR",
        price_series_id="sensor.spot_price",
    )
    out = run(
        home_charge(start, start + hours(1), 7.4).readings,
        until=start + hours(2),
        settle=Settlement(
            tariffs=TariffBook(rules={"home": dynamic}), tz=BERLIN, prices=prices
        ),
    )
    (session,) = out.sessions
    assert session.cost is not None
    assert session.cost.total == Decimal("2.2200")  # 3.7 x 0.25 + 3.7 x 0.35
    assert session.cost.source is CostSource.PRICE_ENTITY
    assert Flag.PRICE_GAP not in session.flags


def test_price_entity_without_history_flags_a_price_gap() -> None:
    start = at("2026-01-20 18:30")
    dynamic = Tariff(
        kind=TariffKind.PRICE_ENTITY, currency="EUR", price_series_id="sensor.spot"
    )
    out = run(
        home_charge(start, start + hours(1), 7.4).readings,
        until=start + hours(2),
        settle=Settlement(tariffs=TariffBook(rules={"home": dynamic}), tz=BERLIN),
    )
    (session,) = out.sessions
    assert Flag.PRICE_GAP in session.flags
    assert session.cost is not None
    assert session.cost.unpriced_kwh == Decimal("7.4000")


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("work", Decimal("0.0000")),  # free at work
        ("zone.work", Decimal("0.0000")),
        ("motorway_services", Decimal("30.5000")),  # default: 50 kWh x 0.59 + 1.00
    ],
)
def test_location_rules(zone: str, expected: Decimal) -> None:
    start = at("2026-05-01 10:00")
    trace = Trace()
    trace.add(start - 60, Role.LOCATION, Place(zone, None, None))
    trace.add(start, Role.PLUGGED, True)
    trace.add(start, Role.CHARGER_POWER, 100.0)
    trace.add(start + minutes(30), Role.CHARGER_POWER, 0.0)
    trace.add(start + minutes(35), Role.PLUGGED, False)
    book = TariffBook(
        rules={"work": Tariff(kind=TariffKind.FREE, currency="EUR")},
        default=fixed("0.59", session_fee=Decimal("1.00")),
    )
    out = run(
        trace.readings,
        until=start + hours(1),
        settle=Settlement(tariffs=book, tz=BERLIN),
    )
    (session,) = out.sessions
    assert session.cost is not None
    assert session.cost.total == expected


def test_manual_override_wins_and_keeps_the_computed_cost() -> None:
    start = at("2026-05-01 10:00")
    out = run(
        home_charge(start, start + hours(1), 10.0).readings,
        until=start + hours(2),
        settle=Settlement(tariffs=TariffBook(rules={"home": fixed("0.30")}), tz=BERLIN),
    )
    (session,) = out.sessions
    override_cost(session, Decimal("2.50"), "EUR")
    assert session.cost is not None
    assert session.cost.total == Decimal("2.50")
    assert session.cost.source is CostSource.MANUAL
    assert session.cost.without_override == Decimal("3.0000")
    override_cost(session, Decimal("2.00"), "EUR")  # a second correction
    assert session.cost.without_override == Decimal("3.0000")


def test_override_without_a_tariff() -> None:
    start = at("2026-05-01 10:00")
    out = run(
        home_charge(start, start + hours(1), 10.0).readings, until=start + hours(2)
    )
    assert out.sessions[0].cost is None
    (session,) = out.sessions
    override_cost(session, Decimal("4.20"), "EUR")
    cost = session.cost
    assert cost is not None
    assert cost.total == Decimal("4.20")
    assert cost.without_override is None


def test_vehicle_config_round_trip() -> None:
    config = VehicleConfig(vehicle_id="car", usable_capacity_kwh=77.0, trip_end_s=120.0)
    assert VehicleConfig.from_dict({**config.to_dict(), "future": 1}) == config
