"""Event entities and bus events for an inferred (offline) charging session."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.ev_ledger.const import EVENT_SESSION_COMPLETED
from custom_components.ev_ledger.logic.model import Reading, Role
from tests.logic.test_scenarios import T
from tests.logic.trace import hours

from . import scenario
from .conftest import Ledger, get_state

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


async def test_offline_charge_fires_inferred(
    hass: HomeAssistant, embedded_ledger: Ledger
) -> None:
    """The car was offline while it charged: an inferred session, said so."""
    fired = async_capture_events(hass, EVENT_SESSION_COMPLETED)
    ledger = embedded_ledger
    await ledger.at(T - hours(1))
    for reading in scenario.before():
        await ledger.reading(reading)
    await ledger.setup()
    await ledger.reading(Reading(T, Role.BATTERY_LEVEL, None))
    # Back three hours later at 80 %: 40 % of 75 kWh went in unseen.
    await ledger.reading(Reading(T + hours(3), Role.BATTERY_LEVEL, 80.0))
    await ledger.at(T + hours(3) + 60)

    state = hass.states.get("event.model_y_charging_session")
    assert state is not None
    assert state.attributes["event_type"] == "inferred"
    assert Decimal(state.attributes["energy_kwh"]) == Decimal("30.000")
    assert "inferred" in state.attributes["flags"]
    (event,) = fired
    assert event.data["event_type"] == "inferred"
    assert event.data["status"] == "inferred"
    assert get_state(hass, "event.model_y_trip").state == "unknown"
