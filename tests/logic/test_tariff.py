"""Tariffs: cost settled at the price valid when the energy flowed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
import json
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, strategies as st
import pytest

from custom_components.ev_ledger.logic.model import (
    ChargingSession,
    ChargingWindow,
    CostSource,
    EnergyMethod,
    SessionStatus,
    SolarSplit,
)
from custom_components.ev_ledger.logic.pricing import CostInput, price_at, price_session
from custom_components.ev_ledger.logic.tariff import (
    MinuteBasis,
    PriceBook,
    PriceSeries,
    SolarValuation,
    Tariff,
    TariffBook,
    TariffError,
    TariffKind,
    TouBand,
    normalize_zone,
)

BERLIN = ZoneInfo("Europe/Berlin")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")  # DST shifts by 30 minutes
KATHMANDU = ZoneInfo("Asia/Kathmandu")  # UTC+05:45
NEW_YORK = ZoneInfo("America/New_York")
D = Decimal
WEEKDAYS = frozenset(range(5))
WEEKEND = frozenset({5, 6})


def minute(moment: datetime) -> int:
    return int(moment.timestamp() // 60)


def ts(moment: datetime) -> float:
    return moment.timestamp()


def steady(start: datetime, end: datetime, kw: float) -> dict[int, float]:
    """Energy per UTC minute of a constant power from start to end."""
    return dict.fromkeys(range(minute(start), minute(end)), kw / 60)


def fixed(price: str = "0.30", **kwargs: Any) -> Tariff:
    return Tariff(
        kind=TariffKind.FIXED, currency="EUR", price_per_kwh=D(price), **kwargs
    )


def tou(*bands: TouBand, fallback: str = "0.30", **kwargs: Any) -> Tariff:
    return Tariff(
        kind=TariffKind.TIME_OF_USE,
        currency="EUR",
        price_per_kwh=D(fallback),
        bands=bands,
        **kwargs,
    )


def series_tariff(series_id: str = "sensor.nordpool", **kwargs: Any) -> Tariff:
    return Tariff(
        kind=TariffKind.PRICE_ENTITY,
        currency="EUR",
        price_series_id=series_id,
        **kwargs,
    )


def energy_only(energy: dict[int, float], **kwargs: Any) -> CostInput:
    return CostInput(energy_by_minute=energy, **kwargs)


NO_PRICES = PriceBook()


# Fixed price -----------------------------------------------------------------------


def test_fixed_price_settles_every_kwh_at_one_price() -> None:
    start = datetime(2024, 5, 6, 18, 0, tzinfo=UTC)
    inp = energy_only(steady(start, start + timedelta(hours=1), 11.0))
    tariff = fixed("0.30", name="Home")

    cost = price_session(inp, tariff, BERLIN, NO_PRICES)

    # 11 kW for one hour is 11 kWh; at 0.30 EUR/kWh that is 3.30 EUR.
    assert cost.total == D("3.3000")
    assert cost.energy_cost == D("3.3000")
    assert cost.currency == "EUR"
    assert cost.source is CostSource.TARIFF
    assert cost.unpriced_kwh == 0
    assert (cost.time_cost, cost.session_fee, cost.idle_fee, cost.solar_value) == (
        (D(0),) * 4
    )
    assert cost.tariff == tariff.to_dict()
    assert Tariff.from_dict(cost.tariff) == tariff


def test_money_is_rounded_once_at_the_end_not_per_minute() -> None:
    # 100 minutes of 0.00004 EUR each: rounding per minute would give 0 or 0.01.
    inp = energy_only(dict.fromkeys(range(100), 0.0001))
    cost = price_session(inp, fixed("0.4"), UTC, NO_PRICES)
    assert cost.total == D("0.0040")


def test_an_empty_session_costs_only_its_fees() -> None:
    cost = price_session(energy_only({}), fixed(session_fee=D("0.5")), UTC, NO_PRICES)
    assert cost.total == D("0.5000")
    assert cost.energy_cost == 0


# Time of use -----------------------------------------------------------------------


def test_tou_crossing_a_band_boundary_mid_session() -> None:
    # Tuesday 16 January 2024, 21:30 to 22:30 in Berlin at 11 kW; night price from
    # 22:00. Half an hour at each price: 5.5 kWh at 0.40 and 5.5 kWh at 0.20.
    night = TouBand(price=D("0.20"), start=22 * 60, end=6 * 60)
    start = datetime(2024, 1, 16, 21, 30, tzinfo=BERLIN)
    inp = energy_only(steady(start, start + timedelta(hours=1), 11.0))

    cost = price_session(inp, tou(night, fallback="0.40"), BERLIN, NO_PRICES)

    assert cost.energy_cost == D("5.5") * D("0.40") + D("5.5") * D("0.20")
    assert cost.total == D("3.3000")
    assert cost.source is CostSource.TARIFF


def test_tou_is_judged_in_the_callers_time_zone() -> None:
    # The same UTC hour (20:30-21:30 UTC) is 21:30-22:30 in Berlin but 15:30-16:30 in
    # New York, where it is all at the day price.
    night = TouBand(price=D("0.20"), start=22 * 60, end=6 * 60)
    start = datetime(2024, 1, 16, 20, 30, tzinfo=UTC)
    inp = energy_only(steady(start, start + timedelta(hours=1), 11.0))
    tariff = tou(night, fallback="0.40")
    assert price_session(inp, tariff, BERLIN, NO_PRICES).total == D("3.3000")
    assert price_session(inp, tariff, NEW_YORK, NO_PRICES).total == D("4.4000")


NIGHT = TouBand(price=D("0.10"), start=23 * 60, end=6 * 60)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2024, 1, 16, 22, 59), "0.30"),
        (datetime(2024, 1, 16, 23, 0), "0.10"),
        (datetime(2024, 1, 16, 23, 59, 59), "0.10"),
        (datetime(2024, 1, 17, 0, 0), "0.10"),
        (datetime(2024, 1, 17, 5, 59), "0.10"),
        (datetime(2024, 1, 17, 6, 0), "0.30"),
        (datetime(2024, 1, 17, 12, 0), "0.30"),
    ],
)
def test_band_wrapping_midnight(local: datetime, expected: str) -> None:
    when = local.replace(tzinfo=BERLIN)
    assert price_at(tou(NIGHT), ts(when), BERLIN, NO_PRICES) == D(expected)


def test_a_session_through_a_wrapping_band() -> None:
    # 22:00 to 07:00 at 1 kW: 1 h day, 7 h night, 1 h day.
    start = datetime(2024, 1, 16, 22, 0, tzinfo=BERLIN)
    inp = energy_only(steady(start, start + timedelta(hours=9), 1.0))
    cost = price_session(inp, tou(NIGHT), BERLIN, NO_PRICES)
    assert cost.total == 2 * D("0.30") + 7 * D("0.10")


WEEKDAY_PEAK = TouBand(price=D("0.40"), start=7 * 60, end=22 * 60, weekdays=WEEKDAYS)
WEEKEND_ALL_DAY = TouBand(price=D("0.25"), weekdays=WEEKEND)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2024, 1, 15, 12, 0), "0.40"),  # Monday midday: peak
        (datetime(2024, 1, 15, 6, 59), "0.30"),  # Monday before peak
        (datetime(2024, 1, 15, 22, 0), "0.30"),  # Monday after peak
        (datetime(2024, 1, 19, 21, 59), "0.40"),  # Friday evening, still peak
        (datetime(2024, 1, 19, 23, 0), "0.30"),  # Friday night
        (datetime(2024, 1, 20, 0, 0), "0.25"),  # Saturday starts at midnight
        (datetime(2024, 1, 20, 12, 0), "0.25"),  # Saturday midday
        (datetime(2024, 1, 21, 23, 59), "0.25"),  # Sunday night
        (datetime(2024, 1, 22, 0, 0), "0.30"),  # Monday small hours
    ],
)
def test_weekday_and_weekend_bands(local: datetime, expected: str) -> None:
    tariff = tou(WEEKDAY_PEAK, WEEKEND_ALL_DAY)
    assert price_at(tariff, ts(local.replace(tzinfo=BERLIN)), BERLIN, NO_PRICES) == D(
        expected
    )


def test_weekdays_follow_the_local_calendar_day_of_a_wrapping_band() -> None:
    weekday_nights = TouBand(
        price=D("0.10"), start=22 * 60, end=6 * 60, weekdays=WEEKDAYS
    )
    tariff = tou(weekday_nights)

    def at(local: datetime) -> Decimal | None:
        return price_at(tariff, ts(local.replace(tzinfo=BERLIN)), BERLIN, NO_PRICES)

    assert at(datetime(2024, 1, 15, 3, 0)) == D("0.10")  # Monday small hours
    assert at(datetime(2024, 1, 19, 23, 0)) == D("0.10")  # Friday late
    assert at(datetime(2024, 1, 20, 3, 0)) == D("0.30")  # Saturday small hours


SUMMER = TouBand(price=D("0.20"), months=frozenset({6, 7, 8}))
WINTER_EVENING = TouBand(
    price=D("0.50"), start=17 * 60, end=20 * 60, months=frozenset({12, 1, 2})
)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2024, 7, 10, 18, 0, tzinfo=BERLIN), "0.20"),
        (datetime(2024, 1, 10, 18, 0, tzinfo=BERLIN), "0.50"),
        (datetime(2024, 1, 10, 12, 0, tzinfo=BERLIN), "0.30"),
        (datetime(2024, 4, 10, 18, 0, tzinfo=BERLIN), "0.30"),
        # 22:30 UTC on 31 May is already 00:30 on 1 June in Berlin: summer.
        (datetime(2024, 5, 31, 22, 30, tzinfo=UTC), "0.20"),
        (datetime(2024, 5, 31, 21, 30, tzinfo=UTC), "0.30"),
    ],
)
def test_seasonal_bands_use_the_local_month(moment: datetime, expected: str) -> None:
    tariff = tou(SUMMER, WINTER_EVENING)
    assert price_at(tariff, ts(moment), BERLIN, NO_PRICES) == D(expected)


def test_first_matching_band_wins() -> None:
    special = TouBand(price=D("0.05"), start=12 * 60, end=13 * 60)
    tariff = tou(special, TouBand(price=D("0.20")))
    noon = datetime(2024, 1, 10, 12, 30, tzinfo=BERLIN)
    assert price_at(tariff, ts(noon), BERLIN, NO_PRICES) == D("0.05")
    assert price_at(tariff, ts(noon + timedelta(hours=1)), BERLIN, NO_PRICES) == D(
        "0.20"
    )


def test_dst_spring_forward_night_in_berlin() -> None:
    # 31 March 2024: at 01:00 UTC the clocks jump from 02:00 CET to 03:00 CEST.
    # Band 03:00-05:00 local is 01:00-03:00 UTC that night. Charging 00:30-02:30 UTC
    # at 6 kW (0.1 kWh per minute): 30 min at the day price, 90 min in the band.
    band = TouBand(price=D("0.10"), start=3 * 60, end=5 * 60)
    start = datetime(2024, 3, 31, 0, 30, tzinfo=UTC)
    inp = energy_only(steady(start, start + timedelta(hours=2), 6.0))
    cost = price_session(inp, tou(band), BERLIN, NO_PRICES)
    assert cost.total == D(3) * D("0.30") + D(9) * D("0.10")


def test_dst_fall_back_night_in_berlin() -> None:
    # 27 October 2024: at 01:00 UTC the clocks go back from 03:00 CEST to 02:00 CET,
    # so 02:00-03:00 local happens twice (00:00-02:00 UTC) and the band is two hours
    # long. Charging 23:30-02:30 UTC at 6 kW: 1 h at the day price, 2 h in the band.
    band = TouBand(price=D("0.10"), start=2 * 60, end=3 * 60)
    start = datetime(2024, 10, 26, 23, 30, tzinfo=UTC)
    inp = energy_only(steady(start, start + timedelta(hours=3), 6.0))
    cost = price_session(inp, tou(band), BERLIN, NO_PRICES)
    assert cost.total == D(6) * D("0.30") + D(12) * D("0.10")


def test_dst_shift_at_a_half_hour_on_lord_howe_island() -> None:
    # Lord Howe Island moves from UTC+10:30 to UTC+11 on 6 October 2024 at 02:00
    # local standard time, which is 15:30 UTC the day before: inside a UTC hour.
    band = TouBand(price=D("0.10"), start=2 * 60 + 30, end=3 * 60)
    shift = datetime(2024, 10, 5, 15, 30, tzinfo=UTC)
    before = shift - timedelta(minutes=1)
    assert before.astimezone(LORD_HOWE).strftime("%H:%M %z") == "01:59 +1030"
    assert shift.astimezone(LORD_HOWE).strftime("%H:%M %z") == "02:30 +1100"
    # 02:00-02:30 never happens that night.
    tariff = tou(band)
    assert price_at(tariff, ts(before), LORD_HOWE, NO_PRICES) == D("0.30")
    assert price_at(tariff, ts(shift), LORD_HOWE, NO_PRICES) == D("0.10")


def reference_tou_cost(energy: dict[int, float], tariff: Tariff, tz: tzinfo) -> Decimal:
    """Price minute by minute with a full datetime each time: slow but obvious."""
    total = D(0)
    for m, kwh in energy.items():
        local = datetime.fromtimestamp(m * 60, tz)
        price = next(
            (
                band.price
                for band in tariff.bands
                if band.matches(
                    local.weekday(), local.month, local.hour * 60 + local.minute
                )
            ),
            tariff.price_per_kwh,
        )
        total += price * D(repr(kwh))
    return total.quantize(D("0.0001"))


money = st.decimals(min_value=0, max_value=2, places=4)
bands = st.builds(
    TouBand,
    price=money,
    start=st.integers(0, 1439),
    end=st.integers(0, 1440),
    weekdays=st.frozensets(st.integers(0, 6), max_size=3),
    months=st.frozensets(st.integers(1, 12), max_size=4),
)
# Instants near DST transitions and month ends in the zones below.
INTERESTING = [
    datetime(2024, 3, 31, 1, 0, tzinfo=UTC),
    datetime(2024, 10, 27, 1, 0, tzinfo=UTC),
    datetime(2024, 10, 5, 15, 30, tzinfo=UTC),
    datetime(2024, 4, 6, 15, 0, tzinfo=UTC),
    datetime(2024, 3, 10, 7, 0, tzinfo=UTC),
    datetime(2024, 12, 31, 18, 15, tzinfo=UTC),
]
# Energies in 1/64 kWh are exact binary fractions, so sums do not depend on order.
sixty_fourths = st.integers(0, 64).map(lambda k: k / 64)


@given(
    tz=st.sampled_from([BERLIN, LORD_HOWE, KATHMANDU, NEW_YORK, UTC]),
    anchor=st.sampled_from(INTERESTING),
    shift=st.integers(-3000, 3000),
    length=st.integers(1, 1000),
    kwh=sixty_fourths,
    band_list=st.lists(bands, min_size=1, max_size=3),
    fallback=money,
)
def test_tou_matches_a_minute_by_minute_reference(
    tz: tzinfo,
    anchor: datetime,
    shift: int,
    length: int,
    kwh: float,
    band_list: list[TouBand],
    fallback: Decimal,
) -> None:
    first = minute(anchor) + shift
    energy = dict.fromkeys(range(first, first + length), kwh)
    tariff = Tariff(
        kind=TariffKind.TIME_OF_USE,
        currency="EUR",
        price_per_kwh=fallback,
        bands=tuple(band_list),
    )
    cost = price_session(energy_only(energy), tariff, tz, NO_PRICES)
    assert cost.energy_cost == reference_tou_cost(energy, tariff, tz)


# Price entity ----------------------------------------------------------------------

T0 = datetime(2024, 6, 3, 12, 0, tzinfo=UTC)


def book_with(
    *points: tuple[datetime, str | None], key: str = "sensor.nordpool"
) -> PriceBook:
    book = PriceBook()
    for moment, price in points:
        assert book.series(key).add(ts(moment), None if price is None else D(price))
    return book


def test_price_series_changing_mid_session() -> None:
    # 6 kW for an hour; the price drops from 0.30 to 0.10 at half time.
    book = book_with(
        (T0 - timedelta(hours=1), "0.30"), (T0 + timedelta(minutes=30), "0.10")
    )
    inp = energy_only(steady(T0, T0 + timedelta(hours=1), 6.0))
    cost = price_session(inp, series_tariff(), BERLIN, book)
    assert cost.total == D(3) * D("0.30") + D(3) * D("0.10")
    assert cost.source is CostSource.PRICE_ENTITY
    assert cost.unpriced_kwh == 0


def test_price_change_inside_a_minute_applies_from_the_next_minute() -> None:
    book = book_with((T0, "0.30"), (T0 + timedelta(seconds=90), "0.10"))
    inp = energy_only({minute(T0): 1.0, minute(T0) + 1: 1.0, minute(T0) + 2: 1.0})
    cost = price_session(inp, series_tariff(), UTC, book)
    assert cost.total == D("0.30") + D("0.30") + D("0.10")


def test_negative_dynamic_prices_earn_money() -> None:
    book = book_with((T0, "-0.05"))
    inp = energy_only(steady(T0, T0 + timedelta(hours=1), 10.0))
    assert price_session(inp, series_tariff(), UTC, book).total == D("-0.5000")


def test_missing_price_counts_as_unpriced_energy() -> None:
    # Prices known from 12:20; unknown again from 12:40 (entity unavailable).
    book = book_with(
        (T0 + timedelta(minutes=20), "0.30"), (T0 + timedelta(minutes=40), None)
    )
    inp = energy_only(steady(T0, T0 + timedelta(hours=1), 6.0))
    cost = price_session(inp, series_tariff(), UTC, book)
    assert cost.energy_cost == D(2) * D("0.30")
    assert cost.unpriced_kwh == D("4.0000")
    assert cost.total == D("0.6000")


def test_a_series_nobody_recorded_leaves_everything_unpriced() -> None:
    inp = energy_only(steady(T0, T0 + timedelta(hours=1), 6.0))
    cost = price_session(inp, series_tariff("sensor.never_seen"), UTC, PriceBook())
    assert cost.total == 0
    assert cost.unpriced_kwh == D("6.0000")


# Fees ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("basis", "kwargs", "expected_minutes"),
    [
        (MinuteBasis.CHARGING, {"charging_seconds": 3600.0}, 60),
        (MinuteBasis.CHARGING, {"charging_seconds": 90.0}, D("1.5")),
        (
            MinuteBasis.PLUGGED,
            {"plugged_at": ts(T0), "unplugged_at": ts(T0 + timedelta(hours=2))},
            120,
        ),
        # No plug signal: the span of the charging windows.
        (
            MinuteBasis.PLUGGED,
            {
                "windows": [
                    (ts(T0), ts(T0 + timedelta(minutes=20))),
                    (ts(T0 + timedelta(minutes=50)), ts(T0 + timedelta(minutes=80))),
                ],
                "charging_seconds": 3000.0,
            },
            80,
        ),
        # Only the plug-in time known (session in progress): up to the last window.
        (
            MinuteBasis.PLUGGED,
            {
                "plugged_at": ts(T0 - timedelta(minutes=10)),
                "windows": [(ts(T0), ts(T0 + timedelta(minutes=20)))],
            },
            30,
        ),
        # Nothing but the charging time.
        (MinuteBasis.PLUGGED, {"charging_seconds": 600.0}, 10),
    ],
)
def test_per_minute_fee(
    basis: MinuteBasis, kwargs: dict[str, Any], expected_minutes: Decimal
) -> None:
    tariff = fixed("0", per_minute=D("0.05"), per_minute_basis=basis)
    cost = price_session(energy_only({}, **kwargs), tariff, UTC, NO_PRICES)
    assert cost.time_cost == D("0.05") * expected_minutes
    assert cost.total == cost.time_cost


def test_session_fee_is_added_once() -> None:
    inp = energy_only(steady(T0, T0 + timedelta(hours=1), 11.0))
    cost = price_session(inp, fixed("0.30", session_fee=D("1.50")), UTC, NO_PRICES)
    assert cost.session_fee == D("1.5000")
    assert cost.total == D("3.30") + D("1.50")


def at(minutes: float) -> float:
    return ts(T0 + timedelta(minutes=minutes))


def test_idle_fee_bills_each_idle_stretch_beyond_the_grace() -> None:
    # Plugged 0-180 min; charging 10-60 and 105-150. Idle stretches: 10 min before,
    # 45 min between and 30 min after the windows. With 15 min grace each: 0 + 30 + 15.
    inp = energy_only(
        {},
        plugged_at=at(0),
        unplugged_at=at(180),
        windows=[(at(105), at(150)), (at(10), at(60))],
    )
    tariff = fixed("0", idle_fee_per_minute=D("0.10"), idle_grace_minutes=15)
    cost = price_session(inp, tariff, UTC, NO_PRICES)
    assert cost.idle_fee == D("0.10") * 45
    assert cost.total == D("4.5000")


@pytest.mark.parametrize(
    ("kwargs", "expected_minutes"),
    [
        # No plug signal: only the gap between windows is known to be idle.
        ({"windows": [(at(0), at(30)), (at(90), at(100))]}, 60),
        # Overlapping and touching windows merge: no idle time between them.
        (
            {
                "plugged_at": at(0),
                "unplugged_at": at(100),
                "windows": [(at(0), at(50)), (at(40), at(60)), (at(60), at(100))],
            },
            0,
        ),
        # Plugged in, never charged.
        ({"plugged_at": at(0), "unplugged_at": at(45)}, 45),
        # Windows reaching outside the plugged time are clipped to it.
        (
            {
                "plugged_at": at(0),
                "unplugged_at": at(100),
                "windows": [(at(-30), at(20)), (at(70), at(130)), (at(150), at(160))],
            },
            50,
        ),
        # Empty windows are ignored.
        (
            {"plugged_at": at(0), "unplugged_at": at(10), "windows": [(at(5), at(5))]},
            10,
        ),
        # In progress: idle after the last window is not known yet.
        ({"plugged_at": at(0), "windows": [(at(20), at(30))]}, 20),
    ],
)
def test_idle_stretches(kwargs: dict[str, Any], expected_minutes: int) -> None:
    tariff = fixed("0", idle_fee_per_minute=D("1"))
    cost = price_session(energy_only({}, **kwargs), tariff, UTC, NO_PRICES)
    assert cost.idle_fee == expected_minutes


def test_free_tariff_costs_nothing_whatever_its_fees() -> None:
    tariff = Tariff(
        kind=TariffKind.FREE,
        currency="EUR",
        session_fee=D("5"),
        per_minute=D("1"),
        name="Supermarket",
    )
    inp = energy_only(steady(T0, T0 + timedelta(hours=1), 11.0), charging_seconds=3600)
    cost = price_session(inp, tariff, UTC, NO_PRICES)
    assert cost.total == 0
    assert cost.source is CostSource.FREE
    assert cost.tariff["name"] == "Supermarket"
    assert price_at(tariff, ts(T0), UTC, NO_PRICES) == 0


# Solar -----------------------------------------------------------------------------


def solar_input() -> CostInput:
    # 6 kWh over an hour, a third of it from the sun.
    energy = steady(T0, T0 + timedelta(hours=1), 6.0)
    return CostInput(
        energy_by_minute=energy, solar_by_minute=dict.fromkeys(energy, 2.0 / 60)
    )


def test_solar_valued_at_the_feed_in_price() -> None:
    tariff = fixed(
        "0.30", solar_valuation=SolarValuation.FEED_IN, feed_in_price=D("0.08")
    )
    cost = price_session(solar_input(), tariff, UTC, NO_PRICES)
    assert cost.energy_cost == D(4) * D("0.30")
    assert cost.solar_value == D(2) * D("0.08")
    assert cost.total == D("1.3600")


def test_solar_valued_as_free() -> None:
    cost = price_session(solar_input(), fixed("0.30"), UTC, NO_PRICES)
    assert cost.energy_cost == D("1.2000")
    assert cost.solar_value == 0
    assert cost.total == D("1.2000")


def test_solar_at_a_feed_in_series_with_a_gap() -> None:
    # Feed-in price known only for the second half hour: 1 kWh of solar is unpriced.
    book = book_with((T0 + timedelta(minutes=30), "0.06"), key="sensor.feed_in")
    tariff = fixed(
        "0.30",
        solar_valuation=SolarValuation.FEED_IN,
        feed_in_series_id="sensor.feed_in",
    )
    cost = price_session(solar_input(), tariff, UTC, book)
    assert cost.solar_value == D("0.06")
    assert cost.unpriced_kwh == D("1.0000")
    assert cost.total == D("1.2600")


@pytest.mark.parametrize(
    ("solar", "expected_grid_kwh", "expected_solar_kwh"),
    [(5.0, 0, 1), (-1.0, 1, 0), (0.5, D("0.5"), D("0.5"))],
)
def test_solar_share_of_a_minute_is_clamped_to_its_energy(
    solar: float, expected_grid_kwh: Decimal, expected_solar_kwh: Decimal
) -> None:
    inp = CostInput(energy_by_minute={0: 1.0}, solar_by_minute={0: solar})
    tariff = fixed("1", solar_valuation=SolarValuation.FEED_IN, feed_in_price=D("10"))
    cost = price_session(inp, tariff, UTC, NO_PRICES)
    assert cost.energy_cost == expected_grid_kwh
    assert cost.solar_value == 10 * expected_solar_kwh


# price_at --------------------------------------------------------------------------


def test_price_at_for_each_kind() -> None:
    book = book_with((T0, "0.25"))
    assert price_at(fixed("0.31"), ts(T0), UTC, book) == D("0.31")
    assert price_at(series_tariff(), ts(T0), UTC, book) == D("0.25")
    assert price_at(series_tariff(), ts(T0) - 1, UTC, book) is None
    assert price_at(tou(NIGHT), ts(T0), UTC, book) == D("0.30")


def test_price_at_uses_the_minute_start_like_settlement() -> None:
    book = book_with((T0, "0.30"), (T0 + timedelta(seconds=30), "0.10"))
    assert price_at(series_tariff(), ts(T0) + 45, UTC, book) == D("0.30")


# Session records -------------------------------------------------------------------


def test_cost_input_from_a_session_record() -> None:
    session = ChargingSession(
        id="s1",
        vehicle_id="car",
        status=SessionStatus.COMPLETED,
        plugged_at=at(0),
        started_at=at(5),
        ended_at=at(65),
        unplugged_at=at(90),
        charging_seconds=3600.0,
        plugged_seconds=5400.0,
        energy_kwh=D("6"),
        energy_method=EnergyMethod.POWER_INTEGRATION,
        windows=[ChargingWindow(started_at=at(5), ended_at=at(65), energy_kwh=D(6))],
        energy_by_minute={1: 1.0},
        solar=SolarSplit(
            solar_kwh=D(1), battery_kwh=D(0), grid_kwh=D(0), solar_by_minute={1: 1.0}
        ),
    )
    inp = CostInput.from_session(session)
    assert inp == CostInput(
        energy_by_minute={1: 1.0},
        solar_by_minute={1: 1.0},
        plugged_at=at(0),
        unplugged_at=at(90),
        windows=[(at(5), at(65))],
        charging_seconds=3600.0,
    )
    session.solar = None
    assert CostInput.from_session(session).solar_by_minute is None


# Price series ----------------------------------------------------------------------


def test_price_series_is_a_step_function() -> None:
    series = PriceSeries()
    assert series.price_at(100.0) is None
    assert series.add(100.0, D("0.30"))
    assert series.add(200.0, D("0.10"))
    assert series.add(300.0, None)
    assert series.add(400.0, D("0.20"))
    assert [
        series.price_at(t) for t in (99.9, 100.0, 199.9, 200.0, 350.0, 400.0, 1e9)
    ] == [
        None,
        D("0.30"),
        D("0.30"),
        D("0.10"),
        None,
        D("0.20"),
        D("0.20"),
    ]


def test_price_series_refuses_the_past_and_non_numbers() -> None:
    series = PriceSeries()
    assert series.add(100.0, D("0.30"))
    assert not series.add(99.0, D("0.50"))
    assert not series.add(150.0, D("NaN"))
    assert not series.add(150.0, D("Infinity"))
    assert not series.add(float("nan"), D("0.1"))
    assert not series.add(float("inf"), D("0.1"))
    assert series.points() == [(100.0, D("0.30"))]


def test_price_series_stores_changes_only() -> None:
    series = PriceSeries()
    assert series.add(100.0, D("0.30"))
    assert series.add(200.0, D("0.30"))  # repeated: accepted, not stored
    assert series.add(300.0, D("0.10"))
    assert series.points() == [(100.0, D("0.30")), (300.0, D("0.10"))]
    # A correction at the same instant replaces the value...
    assert series.add(300.0, D("0.12"))
    assert series.points() == [(100.0, D("0.30")), (300.0, D("0.12"))]
    # ...and one that restores the previous price removes the change.
    assert series.add(300.0, D("0.30"))
    assert series.points() == [(100.0, D("0.30"))]
    assert len(series) == 1
    assert series.add(100.0, None)
    assert series.points() == [(100.0, None)]


def test_price_series_prune_keeps_the_price_valid_at_the_cut() -> None:
    series = PriceSeries()
    for t, p in [(100.0, "0.1"), (200.0, "0.2"), (300.0, "0.3"), (400.0, "0.4")]:
        series.add(t, D(p))
    series.prune(50.0)
    assert len(series) == 4
    series.prune(350.0)
    assert series.points() == [(300.0, D("0.3")), (400.0, D("0.4"))]
    assert series.price_at(350.0) == D("0.3")
    series.prune(400.0)
    assert series.points() == [(400.0, D("0.4"))]


prices = st.one_of(st.none(), st.decimals(allow_nan=False, allow_infinity=False))


@given(st.lists(st.tuples(st.floats(0, 2e9), prices)))
def test_price_series_round_trip(points: list[tuple[float, Decimal | None]]) -> None:
    series = PriceSeries()
    for t, p in points:
        series.add(t, p)
    restored = PriceSeries.from_dict(json.loads(json.dumps(series.to_dict())))
    assert restored.points() == series.points()
    assert [str(p) for _, p in restored.points()] == [
        str(p) for _, p in series.points()
    ]


def _series(points: list[tuple[float, Decimal | None]]) -> PriceSeries:
    series = PriceSeries()
    for t, p in sorted(points, key=lambda point: point[0]):
        series.add(t, p)
    return series


def test_price_book_merge() -> None:
    """A backfill's prices join the live ones; at the same instant the live win."""
    live = PriceBook({"sensor.price": _series([(100.0, D("0.35")), (200.0, D("0.4"))])})
    history = PriceBook(
        {
            "sensor.price": _series([(0.0, D("0.25")), (100.0, D("0.3"))]),
            "sensor.feed_in": _series([(0.0, D("0.08"))]),
        }
    )
    live.merge(history)
    assert live.series("sensor.price").points() == [
        (0.0, D("0.25")),
        (100.0, D("0.35")),
        (200.0, D("0.4")),
    ]
    assert live.series("sensor.feed_in").points() == [(0.0, D("0.08"))]


points_lists = st.lists(
    st.tuples(st.integers(0, 50).map(float), st.sampled_from([None, D("0.1"), D("2")]))
)


@given(points_lists, points_lists, st.integers(-1, 51))
def test_price_book_merge_is_the_newest_point(
    ours: list[tuple[float, Decimal | None]],
    theirs: list[tuple[float, Decimal | None]],
    at: int,
) -> None:
    """After a merge the price at any time is that of the newest point before it.

    Among both books' points (as each series kept them); ours win ties.
    """
    mine, other = _series(ours), _series(theirs)
    book = PriceBook({"p": mine})
    book.merge(PriceBook({"p": other}))
    candidates = [(t, 1, p) for t, p in mine.points() if t <= at] + [
        (t, 0, p) for t, p in other.points() if t <= at
    ]
    expected = max(candidates, key=lambda c: (c[0], c[1]))[2] if candidates else None
    assert book.series("p").price_at(at) == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"points": [[10, "0.1"], [5, "0.2"]]}, "out of order"),
        ({}, "malformed"),
        ({"points": [[1]]}, "malformed"),
        ({"points": [["x", "0.1"]]}, "malformed"),
        ({"points": [[1, "abc"]]}, "not a number"),
        ({"points": [[1, 0.5]]}, None),  # a float price is read by its repr
    ],
)
def test_price_series_from_bad_dicts(data: dict[str, Any], message: str | None) -> None:
    if message is None:
        assert PriceSeries.from_dict(data).price_at(1) == D("0.5")
        return
    with pytest.raises(TariffError, match=message):
        PriceSeries.from_dict(data)


def test_price_book() -> None:
    book = PriceBook()
    assert "sensor.a" not in book
    assert book.get("sensor.a") is None
    assert book.get(None) is None
    series = book.series("sensor.a")
    assert book.series("sensor.a") is series
    assert "sensor.a" in book
    assert book.get("sensor.a") is series
    series.add(100.0, D("0.1"))
    series.add(200.0, D("0.2"))
    restored = PriceBook.from_dict(json.loads(json.dumps(book.to_dict())))
    assert restored.series("sensor.a").points() == series.points()
    book.prune(250.0)
    assert series.points() == [(200.0, D("0.2"))]


# Tariff serialisation and validation -----------------------------------------------

any_decimal = st.decimals(
    min_value=0, max_value=10**6, allow_nan=False, allow_infinity=False
)
ids = st.text(min_size=1, max_size=20)


@st.composite
def tariffs(draw: st.DrawFn) -> Tariff:
    kind = draw(st.sampled_from(TariffKind))
    valuation = draw(st.sampled_from(SolarValuation))
    feed_in_price = draw(st.none() | any_decimal)
    feed_in_series_id = None
    if valuation is SolarValuation.FEED_IN and feed_in_price is None:
        feed_in_series_id = draw(ids)
    return Tariff(
        kind=kind,
        currency=draw(st.sampled_from(["EUR", "SEK", "GBP", "USD"])),
        price_per_kwh=draw(any_decimal),
        bands=tuple(
            draw(st.lists(bands, min_size=kind is TariffKind.TIME_OF_USE, max_size=3))
        ),
        price_series_id=draw(
            ids if kind is TariffKind.PRICE_ENTITY else st.none() | ids
        ),
        per_minute=draw(any_decimal),
        per_minute_basis=draw(st.sampled_from(MinuteBasis)),
        session_fee=draw(any_decimal),
        idle_fee_per_minute=draw(any_decimal),
        idle_grace_minutes=draw(st.integers(0, 10_000)),
        solar_valuation=valuation,
        feed_in_price=feed_in_price,
        feed_in_series_id=feed_in_series_id,
        name=draw(st.text(max_size=30)),
    )


@given(tariffs())
def test_tariff_round_trip_is_lossless(tariff: Tariff) -> None:
    stored = json.loads(json.dumps(tariff.to_dict()))
    restored = Tariff.from_dict(stored)
    assert restored == tariff
    assert restored.to_dict() == stored


@given(
    st.dictionaries(st.sampled_from(["home", "zone.work", "Gym"]), tariffs()),
    st.none() | tariffs(),
)
def test_tariff_book_round_trip(
    rules: dict[str, Tariff], default: Tariff | None
) -> None:
    book = TariffBook(rules=rules, default=default)
    restored = TariffBook.from_dict(json.loads(json.dumps(book.to_dict())))
    assert restored == book


def test_a_minimal_hand_written_tariff() -> None:
    tariff = Tariff.from_dict(
        {"kind": "fixed", "currency": "EUR", "price_per_kwh": 0.3}
    )
    assert tariff.price_per_kwh == D("0.3")
    assert tariff.solar_valuation is SolarValuation.FREE
    band = TouBand.from_dict({"price": "0.1"})
    assert (band.start, band.end, band.weekdays, band.months) == (
        0,
        0,
        frozenset(),
        frozenset(),
    )


def tariff_dict(**changes: Any) -> dict[str, Any]:
    data = fixed().to_dict()
    data.update(changes)
    return data


def band_dict(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"price": "0.1", "start": 0, "end": 60}
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (tariff_dict(currency="eur"), "ISO 4217"),
        (tariff_dict(currency="EURO"), "ISO 4217"),
        (tariff_dict(currency="ÄÖÜ"), "ISO 4217"),
        (tariff_dict(currency=978), "currency must be a string"),
        (tariff_dict(price_per_kwh="-0.01"), "price_per_kwh must not be negative"),
        (tariff_dict(price_per_kwh="abc"), "price_per_kwh is not a number"),
        (tariff_dict(price_per_kwh="NaN"), "price_per_kwh must be finite"),
        (tariff_dict(price_per_kwh=True), "price_per_kwh must be a number"),
        (tariff_dict(price_per_kwh=None), "price_per_kwh must be a number"),
        (tariff_dict(per_minute="-1"), "per_minute must not be negative"),
        (tariff_dict(session_fee="-1"), "session_fee must not be negative"),
        (tariff_dict(idle_fee_per_minute="-1"), "idle_fee_per_minute must not be"),
        (tariff_dict(idle_grace_minutes=-5), "idle_grace_minutes must be 0 or more"),
        (tariff_dict(idle_grace_minutes=1.5), "idle_grace_minutes must be an integer"),
        (tariff_dict(idle_grace_minutes=True), "idle_grace_minutes must be an integer"),
        (tariff_dict(kind="time_of_use"), "at least one band"),
        (tariff_dict(kind="price_entity"), "needs price_series_id"),
        (tariff_dict(kind="price_entity", price_series_id=""), "needs price_series_id"),
        (tariff_dict(price_series_id=5), "price_series_id must be a string"),
        (tariff_dict(kind="cheap"), "malformed tariff"),
        (tariff_dict(per_minute_basis="forever"), "malformed tariff"),
        (tariff_dict(solar_valuation="feed_in"), "exactly one of feed_in_price"),
        (
            tariff_dict(
                solar_valuation="feed_in", feed_in_price="0.1", feed_in_series_id="s"
            ),
            "exactly one of feed_in_price",
        ),
        (tariff_dict(feed_in_price="-0.01"), "feed_in_price must not be negative"),
        (tariff_dict(name=5), "name must be a string"),
        (tariff_dict(price="0.3"), r"unknown tariff keys: \['price'\]"),
        (tariff_dict(version=2), "unsupported tariff format version 2"),
        ({"currency": "EUR"}, "malformed tariff"),
        ({"kind": "fixed"}, "malformed tariff"),
        (tariff_dict(bands=[band_dict(start=1440)]), "band start must be a minute"),
        (tariff_dict(bands=[band_dict(start=-1)]), "band start must be a minute"),
        (tariff_dict(bands=[band_dict(end=1441)]), "band end must be a minute"),
        (tariff_dict(bands=[band_dict(weekdays=[7])]), "band weekdays must be 0..6"),
        (tariff_dict(bands=[band_dict(months=[0])]), r"band months must be 1\.\.12"),
        (tariff_dict(bands=[band_dict(months=5)]), "months must be a list"),
        (
            tariff_dict(bands=[band_dict(weekdays=["mon"])]),
            "weekdays must be an integer",
        ),
        (
            tariff_dict(bands=[band_dict(price="-0.1")]),
            "band price must not be negative",
        ),
        (tariff_dict(bands=[{"start": 0}]), "a band needs a price"),
    ],
)
def test_tariff_validation(data: dict[str, Any], message: str) -> None:
    with pytest.raises(TariffError, match=message):
        Tariff.from_dict(data)


def test_invalid_tariffs_cannot_be_constructed() -> None:
    with pytest.raises(TariffError, match="price_per_kwh must not be negative"):
        fixed("-0.30")
    with pytest.raises(TariffError, match="finite Decimal"):
        Tariff(kind=TariffKind.FIXED, currency="EUR", price_per_kwh=0.3)  # type: ignore[arg-type]
    with pytest.raises(TariffError, match="band end"):
        TouBand(price=D(1), end=2000)
    assert isinstance(TariffError("x"), ValueError)


def test_negative_fixed_fees_are_refused_but_series_tariffs_are_fine() -> None:
    # Negative prices only ever come from the series, never from the tariff itself.
    tariff = series_tariff(session_fee=D("0.35"))
    assert tariff.kind is TariffKind.PRICE_ENTITY
    with pytest.raises(TariffError, match="session_fee must not be negative"):
        series_tariff(session_fee=D("-0.35"))


# Tariff book -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "key"),
    [
        ("home", "home"),
        ("zone.home", "home"),
        ("Home", "home"),
        (" zone.Home ", "home"),
        ("Work Place", "work_place"),
        ("zone.work_place", "work_place"),
        ("work-place", "work_place"),
    ],
)
def test_normalize_zone(zone: str, key: str) -> None:
    assert normalize_zone(zone) == key


def test_tariff_book_picks_by_zone_then_default() -> None:
    home = fixed("0.30", name="Home")
    work = Tariff(kind=TariffKind.FREE, currency="EUR", name="Work")
    public = fixed("0.59", name="Public")
    book = TariffBook(rules={"zone.home": home, "Work": work}, default=public)
    assert book.for_zone("home") is home
    assert book.for_zone("zone.home") is home
    assert book.for_zone("zone.work") is work
    assert book.for_zone("not_home") is public
    assert book.for_zone(None) is public
    assert TariffBook(rules={"home": home}).for_zone("elsewhere") is None


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"home": fixed(), "zone.home": fixed()}, "two tariff rules for the same zone"),
        ({"  ": fixed()}, "needs a zone name"),
    ],
)
def test_tariff_book_rules_are_checked(rules: dict[str, Tariff], message: str) -> None:
    with pytest.raises(TariffError, match=message):
        TariffBook(rules=rules)


def test_tariff_book_from_bad_dict() -> None:
    with pytest.raises(TariffError, match="malformed tariff book"):
        TariffBook.from_dict({"rules": []})
    assert TariffBook.from_dict({}) == TariffBook()


# Properties ------------------------------------------------------------------------

kwh_values = st.floats(min_value=0, max_value=2, allow_nan=False)
sessions = st.dictionaries(
    st.integers(28_000_000, 28_010_000), kwh_values, max_size=300
)


@given(sessions, st.sets(st.integers(28_000_000, 28_010_000)), money)
def test_fixed_cost_is_additive_over_a_split_of_the_minutes(
    energy: dict[int, float], part: set[int], price: Decimal
) -> None:
    tariff = fixed(str(price))
    a = {m: v for m, v in energy.items() if m in part}
    b = {m: v for m, v in energy.items() if m not in part}

    def total(e: dict[int, float]) -> Decimal:
        return price_session(energy_only(e), tariff, UTC, NO_PRICES).total

    # Each total is rounded once to 0.0001, so the parts may differ by that much.
    assert abs(total(a) + total(b) - total(energy)) <= D("0.0001")


@given(
    sessions,
    st.dictionaries(st.integers(28_000_000, 28_010_000), kwh_values),
    st.lists(bands, max_size=3),
    money,
    st.sampled_from(SolarValuation),
    st.integers(0, 30),
)
def test_cost_is_never_negative_with_non_negative_prices(
    energy: dict[int, float],
    solar: dict[int, float],
    band_list: list[TouBand],
    price: Decimal,
    valuation: SolarValuation,
    grace: int,
) -> None:
    tariff = Tariff(
        kind=TariffKind.TIME_OF_USE if band_list else TariffKind.FIXED,
        currency="EUR",
        price_per_kwh=price,
        bands=tuple(band_list),
        per_minute=price,
        per_minute_basis=MinuteBasis.PLUGGED,
        session_fee=price,
        idle_fee_per_minute=price,
        idle_grace_minutes=grace,
        solar_valuation=valuation,
        feed_in_price=price,
    )
    first = min(energy, default=28_000_000) * 60.0
    inp = CostInput(
        energy_by_minute=energy,
        solar_by_minute=solar,
        plugged_at=first,
        unplugged_at=first + 7200,
        windows=[(first + 600, first + 1200)],
        charging_seconds=600.0,
    )
    cost = price_session(inp, tariff, BERLIN, NO_PRICES)
    parts = [
        cost.energy_cost,
        cost.time_cost,
        cost.session_fee,
        cost.idle_fee,
        cost.solar_value,
    ]
    assert all(p >= 0 for p in parts)
    assert cost.total == sum(parts)
    assert cost.unpriced_kwh == 0
