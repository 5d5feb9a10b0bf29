"""Hour buckets of a session: exact splits of energy, cost and solar energy."""

from __future__ import annotations

from decimal import Decimal

import pytest

from custom_components.ev_ledger.logic.hourly import (
    Contributions,
    add_hours,
    apportion,
    hour_start,
    minutes_by_hour,
    running_sums,
    session_hours,
)
from custom_components.ev_ledger.logic.model import (
    ChargingSession,
    ChargingWindow,
    Cost,
    CostSource,
    EnergyMethod,
    SessionStatus,
    SolarSplit,
)

H = 1_772_470_800  # 2026-03-02 17:00 UTC
M = H // 60


def _session(**kwargs: object) -> ChargingSession:
    fields: dict[str, object] = {
        "id": "s",
        "vehicle_id": "car",
        "status": SessionStatus.COMPLETED,
        "plugged_at": H,
        "started_at": float(H),
        "ended_at": H + 7200.0,
        "unplugged_at": H + 7200.0,
        "charging_seconds": 7200.0,
        "plugged_seconds": 7200.0,
        "energy_kwh": Decimal("19.500"),
        "energy_method": EnergyMethod.POWER_INTEGRATION,
    }
    fields.update(kwargs)
    return ChargingSession(**fields)  # type: ignore[arg-type]


def test_hour_start_and_minutes_by_hour() -> None:
    assert hour_start(H + 3599.9) == H
    assert hour_start(H + 3600) == H + 3600
    assert minutes_by_hour({M: 1.0, M + 59: 2.0, M + 60: 4.0}) == {
        H: 3.0,
        H + 3600: 4.0,
    }


def test_apportion_is_exact() -> None:
    # Thirds of 1.00: the remainder cent goes to the earliest of the ties.
    parts = apportion(Decimal("1.00"), {3: 1.0, 1: 1.0, 2: 1.0})
    assert parts == {1: Decimal("0.34"), 2: Decimal("0.33"), 3: Decimal("0.33")}
    assert apportion(Decimal("-1.0"), {1: 1.0, 2: 4.0}) == {
        1: Decimal("-0.2"),
        2: Decimal("-0.8"),
    }
    assert apportion(Decimal(5), {1: 0.0, 2: -1.0}) == {}
    assert apportion(Decimal("0.00"), {1: 1.0}) == {1: Decimal("0.00")}
    assert apportion(Decimal("1E+1"), {1: 1.0, 2: 1.0}) == {
        1: Decimal("1E+1"),
        2: Decimal("0E+1"),
    }


def test_session_over_two_hours() -> None:
    """The taper: 11 kWh, then 8.5 kWh; 4 kW of free solar; a 1.00 fee."""
    by_minute = {M + i: 11.0 / 60 for i in range(60)}
    by_minute.update({M + 60 + i: 8.5 / 60 for i in range(60)})
    solar_by_minute = {M + i: 4.0 / 60 for i in range(120)}
    session = _session(
        energy_by_minute=by_minute,
        solar=SolarSplit(
            solar_kwh=Decimal("8.000"),
            battery_kwh=Decimal(0),
            grid_kwh=Decimal("11.500"),
            solar_by_minute=solar_by_minute,
        ),
        cost=Cost(
            total=Decimal("4.4500"),
            currency="EUR",
            source=CostSource.TARIFF,
            energy_cost=Decimal("3.4500"),
            session_fee=Decimal("1.0000"),
        ),
    )
    hours = session_hours(session)
    assert hours.energy_kwh == {H: Decimal("11.000"), H + 3600: Decimal("8.500")}
    assert hours.solar_kwh == {H: Decimal("4.000"), H + 3600: Decimal("4.000")}
    assert hours.currency == "EUR"
    # Grid energy 7 and 4.5 kWh at 0.30; the fee follows the energy (11 : 8.5).
    assert hours.cost == {H: Decimal("2.6641"), H + 3600: Decimal("1.7859")}
    assert sum(hours.cost.values()) == Decimal("4.4500")


def test_manual_cost_and_missing_minutes() -> None:
    """No per-minute energy: even over the windows; a manual cost follows it."""
    session = _session(
        energy_kwh=Decimal("3.000"),
        windows=[
            ChargingWindow(
                started_at=H + 1800, ended_at=H + 3600, energy_kwh=Decimal(1)
            ),
            ChargingWindow(
                started_at=H + 3600, ended_at=H + 7200, energy_kwh=Decimal(2)
            ),
        ],
        cost=Cost(total=Decimal("3.00"), currency="EUR", source=CostSource.MANUAL),
        solar=SolarSplit(
            solar_kwh=Decimal("1.500"), battery_kwh=Decimal(0), grid_kwh=Decimal(0)
        ),
    )
    hours = session_hours(session)
    assert hours.energy_kwh == {H: Decimal("1.000"), H + 3600: Decimal("2.000")}
    assert hours.cost == {H: Decimal("1.00"), H + 3600: Decimal("2.00")}
    # No solar per minute: the solar energy follows the energy.
    assert hours.solar_kwh == {H: Decimal("0.500"), H + 3600: Decimal("1.000")}


def test_fee_only_session() -> None:
    """Nothing charged, a session fee: the fee lands in the starting hour."""
    session = _session(
        energy_kwh=Decimal("0.000"),
        started_at=H + 600.0,
        ended_at=H + 600.0,
        # A window that ends before it starts adds no weight.
        windows=[
            ChargingWindow(started_at=H + 600, ended_at=H + 900, energy_kwh=Decimal(0)),
            ChargingWindow(started_at=H + 999, ended_at=H + 990, energy_kwh=Decimal(0)),
        ],
        cost=Cost(total=Decimal("2.00"), currency="EUR", source=CostSource.MANUAL),
    )
    hours = session_hours(session)
    assert hours.energy_kwh == {H: Decimal("0.000")}
    assert hours.cost == {H: Decimal("2.00")}
    assert hours.solar_kwh is None
    uncosted = session_hours(_session(cost=None))
    assert uncosted.currency is None
    assert uncosted.cost == {}


def test_sums() -> None:
    merged = add_hours([{H: Decimal(1)}, {H: Decimal(2), H + 3600: Decimal(3)}])
    assert merged == {H: Decimal(3), H + 3600: Decimal(3)}
    assert running_sums(Decimal(10), {H + 3600: Decimal(3), H: Decimal(3)}) == [
        (H, Decimal(3), Decimal(13)),
        (H + 3600, Decimal(3), Decimal(16)),
    ]


E = "ev_ledger:car_energy_charged"
C = "ev_ledger:car_charging_cost"


def test_contributions_replace_remove_and_prune() -> None:
    ledger = Contributions()
    touched: dict[str, set[int]] = {}
    ledger.put("a", {E: {H: Decimal("1.0")}, C: {H: Decimal("0.30")}}, H, touched)
    ledger.put(
        "b", {E: {H: Decimal("2.0"), H + 3600: Decimal("1.0")}}, H + 3600, touched
    )
    assert touched == {E: {H, H + 3600}, C: {H}}
    assert ledger.amounts(E, [H, H + 3600, H + 7200]) == {
        H: Decimal("3.0"),
        H + 3600: Decimal("1.0"),
        H + 7200: Decimal(0),
    }
    # Again, moved an hour on: both its old and its new hours are touched, and the
    # statistic it no longer has (an empty one touches nothing).
    touched = {}
    ledger.put("a", {E: {H + 7200: Decimal("1.5")}, C: {}}, H + 7200, touched)
    assert touched == {E: {H, H + 7200}, C: {H}}
    assert ledger.amounts(E, [H, H + 7200]) == {
        H: Decimal("2.0"),
        H + 7200: Decimal("1.5"),
    }
    assert ledger.amounts(C, [H]) == {H: Decimal(0)}
    assert ledger.statistic_ids() == {E, C}

    touched = {}
    assert ledger.remove("b", touched)
    assert touched == {E: {H, H + 3600}}
    assert not ledger.remove("b", touched)
    assert set(ledger.sessions) == set(ledger.last_hour) == {"a"}

    # Kept: within a day of the newest hour, or of the last batch.
    day = 86400
    for name, last in (("old", H - 3 * day), ("batch", H - 5 * day), ("new", H + day)):
        ledger.put(name, {E: {last: Decimal(1)}}, last, {})
    ledger.prune(day, H - 5 * day)
    assert set(ledger.sessions) == set(ledger.last_hour) == {"a", "batch", "new"}
    ledger.prune(day, H + day)
    assert set(ledger.sessions) == {"a", "new"}
    Contributions().prune(day, H)  # nothing to prune


def test_contributions_to_and_from_json() -> None:
    ledger = Contributions()
    ledger.put("a", {E: {H: Decimal("1.000"), H + 3600: Decimal("-0.5")}}, H + 3600, {})
    ledger.put("b", {}, H, {})
    raw = ledger.to_json()
    assert raw == {
        "a": {
            "last_hour": H + 3600,
            "hours": {E: {str(H): "1.000", str(H + 3600): "-0.5"}},
        },
        "b": {"last_hour": H, "hours": {}},
    }
    back = Contributions.from_json(raw)
    assert back == ledger
    # Exact: the amounts keep their precision.
    assert str(back.sessions["a"][E][H]) == "1.000"


def _stored(hours: object = None, last_hour: object = H) -> dict[str, object]:
    return {
        "s": {
            "last_hour": last_hour,
            "hours": {E: {str(H): "1.0"}} if hours is None else hours,
        }
    }


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (None, TypeError),
        (["s"], TypeError),
        ({1: {}}, TypeError),
        ({"s": "x"}, TypeError),
        (_stored(last_hour=None), TypeError),
        (_stored(last_hour=True), TypeError),
        (_stored(last_hour=H + 1), ValueError),
        (_stored(last_hour="x"), ValueError),
        (_stored(hours=[]), TypeError),
        (_stored(hours={E: []}), TypeError),
        (_stored(hours={E: {"x": "1"}}), ValueError),
        (_stored(hours={E: {str(H): 1}}), TypeError),
        (_stored(hours={E: {str(H): "one"}}), ValueError),
        (_stored(hours={E: {str(H): "NaN"}}), ValueError),
        (_stored(hours={E: {str(H): "-Infinity"}}), ValueError),
    ],
)
def test_contributions_from_bad_json(raw: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        Contributions.from_json(raw)
