"""End to end: states in Home Assistant → rows in the database, sensors and events."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.ev_ledger.const import (
    EVENT_SESSION_COMPLETED,
    EVENT_TRIP_COMPLETED,
)
from custom_components.ev_ledger.logic.model import Flag
from tests.logic.test_scenarios import T
from tests.logic.trace import hours, minutes

from . import scenario
from .conftest import VEHICLE_ID, Ledger, get_state

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


async def _set_before(ledger: Ledger) -> None:
    await ledger.at(T - hours(1))
    for reading in scenario.before():
        await ledger.reading(reading)


async def test_scenario_end_to_end(hass: HomeAssistant, ledger: Ledger) -> None:
    """A charge at home and a trip: rows, sensors, event entities and bus events."""
    sessions_fired = async_capture_events(hass, EVENT_SESSION_COMPLETED)
    trips_fired = async_capture_events(hass, EVENT_TRIP_COMPLETED)
    await _set_before(ledger)
    await ledger.setup()
    assert get_state(hass, "sensor.model_y_charging_status").state == "disconnected"

    await ledger.replay(scenario.charge()[:3])
    assert get_state(hass, "sensor.model_y_charging_status").state == "charging"
    await ledger.replay(scenario.charge()[3:])
    await ledger.replay(scenario.trip())
    await ledger.at(scenario.END)

    engine = scenario.expected()
    (engine_session,) = engine.sessions
    (engine_trip,) = engine.trips
    assert engine_session.energy_kwh == scenario.SESSION_KWH

    page = await ledger.query("list_sessions", vehicle=VEHICLE_ID)
    (row,) = page.items
    assert row["id"] == engine_session.id
    assert row["status"] == "completed"
    assert row["energy_kwh"] == scenario.SESSION_KWH
    assert row["cost"] == scenario.SESSION_COST
    assert row["currency"] == "EUR"
    assert row["effective_location"] == "home"
    assert row["energy_method"] == "power_integration"
    trips = await ledger.query("list_trips", vehicle=VEHICLE_ID)
    (trip_row,) = trips.items
    assert trip_row["id"] == engine_trip.id
    assert trip_row["distance_km"] == scenario.TRIP_KM
    assert trip_row["energy_kwh"] == scenario.TRIP_KWH
    samples = await ledger.query(
        "samples",
        source=VEHICLE_ID,
        start=_dt(T - hours(2)),
        end=_dt(scenario.END + 1),
    )
    assert {s.role for s in samples} >= {"charger_power", "plugged", "odometer"}

    def value(key: str) -> str:
        state = hass.states.get(f"sensor.model_y_{key}")
        assert state is not None, key
        return state.state

    assert value("charging_status") == "disconnected"
    assert Decimal(value("last_session_energy")) == scenario.SESSION_KWH
    assert Decimal(value("last_session_cost")) == scenario.SESSION_COST
    assert Decimal(value("last_session_cost_per_kwh")) == Decimal("0.3")
    # By the configured charging location's name, not the raw zone.
    assert value("last_session_location") == "Home"
    assert Decimal(value("energy_charged")) == scenario.SESSION_KWH
    assert Decimal(value("charging_cost")) == scenario.SESSION_COST
    assert Decimal(value("charging_cost_this_month")) == scenario.SESSION_COST
    assert Decimal(value("last_trip_distance")) == scenario.TRIP_KM
    assert Decimal(value("last_trip_energy")) == scenario.TRIP_KWH
    assert Decimal(value("last_trip_efficiency")) == Decimal("12.5")
    assert Decimal(value("efficiency")) == Decimal("12.5")
    # 12.5 kWh/100 km at 0.30 EUR/kWh.
    assert Decimal(value("cost_per_100_km")) == Decimal("3.75")
    # No session open: 0, not unknown.
    assert float(value("current_session_energy")) == 0.0
    assert float(value("current_session_duration")) == 0.0
    assert float(value("current_session_cost")) == 0.0
    assert float(value("charging_power")) == 0.0
    assert (
        get_state(hass, "sensor.model_y_charging_cost").attributes[
            "unit_of_measurement"
        ]
        == "EUR"
    )

    session_event = hass.states.get("event.model_y_charging_session")
    assert session_event is not None
    assert session_event.attributes["event_type"] == "completed"
    assert session_event.attributes["energy_kwh"] == "19.500"
    assert Decimal(session_event.attributes["cost"]) == scenario.SESSION_COST
    assert session_event.attributes["location"] == "home"
    trip_event = hass.states.get("event.model_y_trip")
    assert trip_event is not None
    assert trip_event.attributes["event_type"] == "completed"
    assert Decimal(trip_event.attributes["distance_km"]) == scenario.TRIP_KM

    (fired,) = sessions_fired
    payload = fired.data
    assert payload["id"] == engine_session.id
    assert payload["vehicle"] == "Model Y"
    assert payload["device_id"] is not None
    assert payload["energy_kwh"] == "19.500"
    assert Decimal(payload["cost"]["total"]) == scenario.SESSION_COST
    assert payload["started_at"] == _dt(T).isoformat()
    assert payload["windows"][0]["energy_kwh"]
    assert "energy_by_minute" not in payload
    (trip_fired,) = trips_fired
    assert Decimal(trip_fired.data["distance_km"]) == scenario.TRIP_KM
    assert trip_fired.data["device_id"] == payload["device_id"]


async def test_restart_mid_session_yields_one_session(
    hass: HomeAssistant, ledger: Ledger
) -> None:
    """Unload in the middle of a charge, set up again: one session, flagged."""
    await _set_before(ledger)
    await ledger.setup()
    charge = scenario.charge()
    middle = [r for r in charge if r.ts < T + minutes(90)]
    rest = [r for r in charge if r.ts >= T + minutes(90)]
    await ledger.replay(middle)
    assert get_state(hass, "sensor.model_y_charging_status").state == "charging"
    running = Decimal(get_state(hass, "sensor.model_y_current_session_energy").state)
    assert running > 0
    await ledger.unload()

    await ledger.setup()
    assert get_state(hass, "sensor.model_y_charging_status").state == "charging"
    await ledger.replay(rest)
    await ledger.at(T + hours(4))

    page = await ledger.query("list_sessions", vehicle=VEHICLE_ID)
    (row,) = page.items
    assert row["status"] == "completed"
    assert row["energy_kwh"] == scenario.SESSION_KWH
    assert Flag.RESTORED.value in row["flags"]
    assert Decimal(get_state(hass, "sensor.model_y_energy_charged").state) == (
        scenario.SESSION_KWH
    )


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
