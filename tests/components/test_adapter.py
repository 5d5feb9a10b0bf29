"""The adapter: HA states to readings, at the edge (units, gaps, signs, prices)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from homeassistant.core import State
import pytest

from custom_components.ev_ledger.adapter import (
    site_reading,
    state_price,
    state_reading,
    to_sample,
)
from custom_components.ev_ledger.builders import db_config, tariff_book
from custom_components.ev_ledger.const import (
    BATTERY_CHARGE_POSITIVE,
    BATTERY_DISCHARGE_POSITIVE,
    GRID_EXPORT_POSITIVE,
    GRID_IMPORT_POSITIVE,
)
from custom_components.ev_ledger.logic.model import (
    ChargeState,
    Place,
    Reading,
    Reject,
    Role,
)


def _state(entity_id: str, value: str, **attributes: Any) -> State:
    return State(entity_id, value, attributes)


@pytest.mark.parametrize(
    ("role", "state", "expected"),
    [
        (Role.CHARGER_POWER, _state("sensor.p", "7400", unit_of_measurement="W"), 7.4),
        (Role.CHARGER_POWER, _state("sensor.p", "7.4", unit_of_measurement="kW"), 7.4),
        (Role.ODOMETER, _state("sensor.o", "10", unit_of_measurement="mi"), 16.09344),
        (Role.BATTERY_LEVEL, _state("sensor.b", "55"), 55.0),
        (Role.CHARGER_POWER, _state("sensor.p", "unavailable"), None),
        (Role.CHARGER_POWER, _state("sensor.p", "7"), Reject.BAD_UNIT),
        (
            Role.CHARGER_POWER,
            _state("sensor.p", "x", unit_of_measurement="kW"),
            Reject.NOT_NUMERIC,
        ),
        (
            Role.CHARGING_STATE,
            _state("sensor.c", "Smart Charging"),
            ChargeState.CHARGING,
        ),
        (Role.CHARGING_STATE, _state("sensor.c", "banana"), Reject.BAD_VALUE),
        (Role.PLUGGED, _state("binary_sensor.p", "on"), True),
        (Role.SHIFT_STATE, _state("sensor.s", "Drive"), "D"),
        (
            Role.LOCATION,
            _state("device_tracker.car", "not_home", latitude=52.5, longitude=13.4),
            Place(None, 52.5, 13.4),
        ),
        (Role.LOCATION, _state("device_tracker.car", "home"), Place("home")),
        # NULs cannot be stored: a zone of nothing else is no zone.
        (Role.LOCATION, _state("device_tracker.car", "\x00\x00"), Place(None)),
        (Role.LOCATION, _state("device_tracker.car", "wo\x00rk"), Place("work")),
        (Role.LOCATION, _state("sensor.where", "Berlin", latitude=1), Place(None, 1.0)),
        (Role.PRICE, _state("sensor.price", "0.3"), Reject.UNKNOWN_ROLE),
    ],
)
def test_state_reading(role: Role, state: State, expected: Any) -> None:
    """Units by the entity's unit, gaps as None, text through the vocabulary."""
    result = state_reading(role, state, 100.0)
    if isinstance(expected, Reject):
        assert result == expected
    else:
        assert result == Reading(100.0, role, expected)


@pytest.mark.parametrize(
    ("role", "grid", "battery", "expected"),
    [
        (Role.GRID_POWER, GRID_IMPORT_POSITIVE, BATTERY_DISCHARGE_POSITIVE, 2.0),
        (Role.GRID_POWER, GRID_EXPORT_POSITIVE, BATTERY_DISCHARGE_POSITIVE, -2.0),
        (Role.BATTERY_POWER, GRID_IMPORT_POSITIVE, BATTERY_CHARGE_POSITIVE, -2.0),
        (Role.SOLAR_POWER, GRID_EXPORT_POSITIVE, BATTERY_CHARGE_POSITIVE, 2.0),
    ],
)
def test_site_signs(role: Role, grid: str, battery: str, expected: float) -> None:
    """Site readings are turned into the engine's sign convention."""
    state = _state("sensor.x", "2000", unit_of_measurement="W")
    reading = site_reading(role, state, grid_sign=grid, battery_sign=battery, ts=1.0)
    assert reading == Reading(1.0, role, expected)
    gap = site_reading(
        role, _state("sensor.x", "unknown"), grid_sign=grid, battery_sign=battery
    )
    assert isinstance(gap, Reading)
    assert gap.value is None


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        ("0.30", "EUR/kWh", Decimal("0.30")),
        ("30", "ct/kWh", Decimal("0.30")),
        ("300", "EUR/MWh", Decimal("0.300")),
        ("unavailable", "EUR/kWh", None),
        ("cheap", "EUR/kWh", Reject.NOT_NUMERIC),
        ("nan", "EUR/kWh", Reject.NOT_FINITE),
    ],
)
def test_state_price(value: str, unit: str, expected: Any) -> None:
    """Prices per kWh from the entity's unit (cents and per-MWh included)."""
    assert (
        state_price(_state("sensor.price", value, unit_of_measurement=unit)) == expected
    )


def test_samples() -> None:
    """Every kind of value has a sample row."""
    assert to_sample("car", Reading(1.0, Role.PLUGGED, True)).value == 1.0
    assert to_sample("car", Reading(1.0, Role.PLUGGED, None)).text == "unavailable"
    assert to_sample("car", Reading(1.0, Role.LOCATION, Place(None))).text == "not_home"
    assert (
        to_sample("car", Reading(1.0, Role.CHARGING_STATE, ChargeState.PLUGGED)).text
        == "plugged"
    )


def test_postgresql_fields_and_bad_tariff() -> None:
    """Entry fields make a PostgreSQL config; an unreadable tariff is left out."""
    config = db_config(
        {
            "backend": "postgresql",
            "host": "192.0.2.1",
            "port": 5433,
            "database": "ha",
            "username": "ev",
            "password": "pw",
            "sslmode": "verify-full",
            "sslrootcert": "/config/ca.pem",
        },
        "/config/ev_ledger.db",
    )
    assert (config.host, config.port, config.user, config.sslmode) == (
        "192.0.2.1",
        5433,
        "ev",
        "verify-full",
    )
    assert config.sslrootcert == "/config/ca.pem"

    class Sub:
        title = "Broken"
        data: dict[str, Any] = {"zone": "zone.work", "tariff": {"kind": "nope"}}

    assert tariff_book([Sub()]).rules == {}  # type: ignore[list-item]
