"""Sessions away from every configured zone are priced by the default location."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.ev_ledger.const import EVENT_SESSION_COMPLETED
from custom_components.ev_ledger.logic.model import ChargeState, Place, Reading, Role
from tests.logic.trace import at, hours, minutes

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .conftest import Ledger


T = at("2026-03-02 18:00")  # the scenarios' evening


async def test_session_away_uses_the_default_tariff(
    hass: HomeAssistant, embedded_ledger: Ledger
) -> None:
    fired = async_capture_events(hass, EVENT_SESSION_COMPLETED)
    await embedded_ledger.setup()
    motorway = Place(None, 50.11, 8.68)  # a fast charger, in no HA zone: "not_home"
    await embedded_ledger.replay(
        [
            Reading(T - hours(1), Role.LOCATION, motorway),
            Reading(T, Role.PLUGGED, True),
            Reading(T, Role.CHARGING_STATE, ChargeState.CHARGING),
            Reading(T, Role.CHARGER_POWER, 100.0),
            Reading(T + minutes(30), Role.CHARGER_POWER, 0.0),
            Reading(T + minutes(30), Role.CHARGING_STATE, ChargeState.COMPLETE),
            Reading(T + minutes(35), Role.PLUGGED, False),
        ]
    )
    await embedded_ledger.at(T + hours(1))
    (event,) = fired
    record = event.data  # the whole record, plus vehicle and device_id
    assert record["vehicle"] == "Model Y"
    assert record["energy_kwh"] == "50.000"
    # 50 kWh at the default location's 0.60 EUR/kWh.
    assert record["cost"]["total"] == "30.0000"
    assert record["cost"]["source"] == "tariff"
