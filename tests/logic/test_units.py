"""Unit normalisation: every unit Home Assistant writes, and what must be refused."""

from __future__ import annotations

from collections.abc import Callable
import math

from hypothesis import given, strategies as st
import pytest

from custom_components.ev_ledger.logic.model import Reject
from custom_components.ev_ledger.logic.units import (
    CURRENT,
    ENERGY,
    LENGTH,
    PERCENT,
    POWER,
    SPEED,
    TEMPERATURE,
    VOLTAGE,
    UnitTable,
    parse_float,
    parse_number,
    to_amperes,
    to_celsius,
    to_km,
    to_kmh,
    to_kw,
    to_kwh,
    to_percent,
    to_volts,
)

type Converter = Callable[[float, str | None, str | None], float | None]

ALL_TABLES = [POWER, ENERGY, LENGTH, SPEED, TEMPERATURE, PERCENT, VOLTAGE, CURRENT]

# (converter, value, unit, expected canonical value), written from the definitions.
CASES: list[tuple[Converter, float, str, float]] = [
    (to_kw, 11_000.0, "W", 11.0),
    (to_kw, 11.0, "kW", 11.0),
    (to_kw, 0.011, "MW", 11.0),
    (to_kw, 11_000_000.0, "mW", 11.0),
    (to_kw, 2.0, "GW", 2_000_000.0),
    (to_kw, 1.0, "TW", 1e9),
    (to_kwh, 500.0, "Wh", 0.5),
    (to_kwh, 42.5, "kWh", 42.5),
    (to_kwh, 2.0, "MWh", 2_000.0),
    (to_kwh, 1.0, "GWh", 1e6),
    (to_kwh, 1.0, "TWh", 1e9),
    (to_kwh, 5_000_000.0, "mWh", 5.0),
    (to_kwh, 3_600_000.0, "J", 1.0),
    (to_kwh, 7_200.0, "kJ", 2.0),
    (to_kwh, 36.0, "MJ", 10.0),
    (to_kwh, 3.6, "GJ", 1_000.0),
    (to_km, 1_500.0, "m", 1.5),
    (to_km, 12.0, "km", 12.0),
    (to_km, 1.0, "mi", 1.609344),
    (to_km, 5_280.0, "ft", 1.609344),
    (to_km, 1_760.0, "yd", 1.609344),
    (to_km, 63_360.0, "in", 1.609344),
    (to_km, 250_000.0, "cm", 2.5),
    (to_km, 1_000_000.0, "mm", 1.0),
    (to_km, 1.0, "nmi", 1.852),
    (to_kmh, 50.0, "km/h", 50.0),
    (to_kmh, 10.0, "mph", 16.09344),
    (to_kmh, 10.0, "m/s", 36.0),
    (to_kmh, 10.0, "kn", 18.52),
    (to_kmh, 10.0, "ft/s", 10.9728),
    (to_kmh, 10.0, "in/s", 0.9144),
    (to_kmh, 1_000.0, "mm/s", 3.6),
    (to_celsius, 21.5, "°C", 21.5),
    (to_celsius, 212.0, "°F", 100.0),
    (to_celsius, 32.0, "°F", 0.0),
    (to_celsius, -40.0, "°F", -40.0),
    (to_celsius, 273.15, "K", 0.0),
    (to_celsius, 0.0, "K", -273.15),
    (to_celsius, 20.0, "ºC", 20.0),
    (to_celsius, 50.0, "ºF", 10.0),
    (to_celsius, 20.0, "℃", 20.0),
    (to_celsius, 50.0, "℉", 10.0),
    (to_percent, 80.0, "%", 80.0),
    (to_volts, 230.0, "V", 230.0),
    (to_volts, 230_000.0, "mV", 230.0),
    (to_volts, 0.4, "kV", 400.0),
    (to_amperes, 16.0, "A", 16.0),
    (to_amperes, 16_000.0, "mA", 16.0),
]


@pytest.mark.parametrize(("convert", "value", "unit", "expected"), CASES)
def test_every_unit_converts(
    convert: Converter, value: float, unit: str, expected: float
) -> None:
    result = convert(value, unit, None)
    assert result is not None
    assert result == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_cases_cover_every_unit_of_every_table() -> None:
    by_table: dict[object, UnitTable] = {
        to_kw: POWER,
        to_kwh: ENERGY,
        to_km: LENGTH,
        to_kmh: SPEED,
        to_celsius: TEMPERATURE,
        to_percent: PERCENT,
        to_volts: VOLTAGE,
        to_amperes: CURRENT,
    }
    covered = {(by_table[convert].canonical, unit) for convert, _, unit, _ in CASES}
    every = {(table.canonical, unit) for table in ALL_TABLES for unit in table.units}
    assert covered == every


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [(1.0, "mi", 1.609344), (1.0, "ft", 0.0003048), (1.0, "in", 0.0000254)],
)
def test_imperial_lengths_are_exact(value: float, unit: str, expected: float) -> None:
    assert to_km(value, unit) == expected


def test_mph_is_exactly_a_mile_per_hour() -> None:
    assert to_kmh(1.0, "mph") == to_km(1.0, "mi") == 1.609344


@pytest.mark.parametrize(
    ("unit", "expected"),
    [("mW", 0.007), ("MW", 7_000.0), ("W", 7.0)],
)
def test_milli_and_mega_watt_are_not_confused(unit: str, expected: float) -> None:
    assert to_kw({"mW": 7_000.0, "MW": 7.0, "W": 7_000.0}[unit], unit) == expected


@pytest.mark.parametrize(
    ("convert", "unit", "expected"),
    [
        (to_kw, "kw", 2.0),
        (to_kw, "KW", 2.0),
        (to_kw, " kW ", 2.0),
        (to_kw, "w", 0.002),
        (to_kw, "gw", 2_000_000.0),
        (to_kwh, "KWH", 2.0),
        (to_kwh, "wh", 0.002),
        (to_km, "KM", 2.0),
        (to_km, "MI", 3.218688),
        (to_kmh, "KM/H", 2.0),
        (to_kmh, "MPH", 3.218688),
        (to_celsius, "°c", 2.0),
        (to_volts, "v", 2.0),
    ],
)
def test_unambiguous_case_variants_are_accepted(
    convert: Converter, unit: str, expected: float
) -> None:
    assert convert(2.0, unit, None) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("convert", "unit"),
    [
        (to_kw, "mw"),  # mW or MW?
        (to_kw, "Mw"),
        (to_kw, "MW "),  # trimmed, then folded: still ambiguous
        (to_kwh, "mwh"),
        (to_kwh, "MWH"),
        (to_kwh, "mj"),  # mJ or MJ?
        (to_km, "MM"),  # mm or Mm?
        (to_kmh, "MM/S"),
        (to_volts, "MV"),
        (to_amperes, "MA"),
    ],
)
def test_ambiguous_case_variants_are_refused(convert: Converter, unit: str) -> None:
    assert convert(2.0, unit, None) is None


@pytest.mark.parametrize(
    ("convert", "unit"),
    [
        (to_kw, "kWh"),  # energy is not power
        (to_kw, "BTU/h"),
        (to_kw, "hp"),
        (to_kwh, "kW"),
        (to_kwh, "cal"),
        (to_km, "km/h"),
        (to_km, "au"),
        (to_kmh, "Beaufort"),
        (to_kmh, "km"),
        (to_celsius, "C"),
        (to_celsius, "°R"),
        (to_percent, "%%"),
        (to_percent, "kWh"),
        (to_kw, " "),
    ],
)
def test_unknown_units_are_refused(convert: Converter, unit: str) -> None:
    assert convert(1.0, unit, None) is None


@pytest.mark.parametrize("missing", [None, ""])
def test_missing_unit_is_refused_unless_a_default_is_configured(
    missing: str | None,
) -> None:
    assert to_kw(7_400.0, missing) is None
    assert to_kw(7_400.0, missing, default="W") == 7.4
    assert to_percent(55.0, missing, default="%") == 55.0


def test_default_never_overrides_a_stated_unit() -> None:
    assert to_kw(7.4, "kW", default="W") == 7.4
    assert to_kw(7.4, "furlongs", default="kW") is None


def test_default_must_itself_be_a_known_unit() -> None:
    assert to_kw(1.0, None, default="horsepower") is None


def test_a_table_reports_its_canonical_unit_and_units() -> None:
    assert POWER.canonical == "kW"
    assert {"mW", "W", "kW", "MW", "GW"} <= POWER.units
    assert POWER.scale("W") == (1, 1_000, 0.0)
    assert POWER.scale(None) is None


def test_a_custom_table_folds_only_unique_spellings() -> None:
    table = UnitTable("x", {"Ab": (1, 1, 0.0), "aB": (2, 1, 0.0), "Cd": (3, 1, 0.0)})  # type: ignore[dict-item]
    assert table.convert(1.0, "ab") is None
    assert table.convert(1.0, "Ab") == 1.0
    assert table.convert(1.0, "aB") == 2.0
    assert table.convert(1.0, "CD") == 3.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.5", 12.5),
        ("1e3", 1000.0),
        (" 7 ", 7.0),
        ("-3", -3.0),
        ("0", 0.0),
        ("+4.25", 4.25),
        ("\t8\n", 8.0),
        (3, 3.0),
        (2.5, 2.5),
        ("nan", Reject.NOT_FINITE),
        ("NaN", Reject.NOT_FINITE),
        ("inf", Reject.NOT_FINITE),
        ("-Infinity", Reject.NOT_FINITE),
        (math.inf, Reject.NOT_FINITE),
        ("1e999", Reject.NOT_FINITE),  # overflows to inf
        ("", Reject.NOT_NUMERIC),
        ("   ", Reject.NOT_NUMERIC),
        ("unknown", Reject.NOT_NUMERIC),
        ("unavailable", Reject.NOT_NUMERIC),
        ("on", Reject.NOT_NUMERIC),
        ("off", Reject.NOT_NUMERIC),
        ("12,5", Reject.NOT_NUMERIC),
        ("12 kW", Reject.NOT_NUMERIC),
        (True, Reject.NOT_NUMERIC),
        (None, Reject.NOT_NUMERIC),
    ],
)
def test_parse_float_says_why(text: str | float, expected: float | Reject) -> None:
    result = parse_float(text)
    assert result == expected
    assert type(result) is type(expected)
    assert parse_number(text) == (None if isinstance(expected, Reject) else expected)


# Properties ----------------------------------------------------------------------

realistic = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False)


@given(realistic)
def test_watts_are_thousandths_of_a_kilowatt(x: float) -> None:
    assert to_kw(x, "W") == x / 1000
    assert to_kwh(x, "Wh") == x / 1000
    assert to_km(x, "m") == x / 1000


@given(realistic, realistic)
@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda t: t.canonical)
def test_conversion_is_monotonic(table: UnitTable, a: float, b: float) -> None:
    lo, hi = min(a, b), max(a, b)
    for unit in table.units:
        low, high = table.convert(lo, unit), table.convert(hi, unit)
        assert low is not None
        assert high is not None
        assert low <= high


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_fahrenheit_round_trip(celsius: float) -> None:
    fahrenheit = celsius * 9 / 5 + 32
    result = to_celsius(fahrenheit, "°F")
    assert result is not None
    assert result == pytest.approx(celsius, rel=1e-9, abs=1e-9)


@given(
    st.from_regex(r"\A[ \t\n]*[-+]?\d{1,9}(\.\d{1,6})?([eE][-+]?\d{1,2})?[ \t\n]*\Z")
)
def test_numeric_text_always_parses(text: str) -> None:
    assert parse_number(text) == float(text)


@given(st.text())
def test_parse_number_never_raises_and_is_finite(text: str) -> None:
    result = parse_number(text)
    assert result is None or math.isfinite(result)
