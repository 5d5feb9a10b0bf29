"""Issue 15, B1: a crash soon after a session completes must not count it twice.

A kill -9 loses what happened since the last snapshot was saved: the engine restarts
from an older state and completes the same session again. The database already has
it; the totals, the completion event and the statistics must see it once.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.ev_ledger.const import DOMAIN, EVENT_SESSION_COMPLETED
from custom_components.ev_ledger.logic.model import ChargeState, Reading, Role
from tests.logic.trace import at, hours, minutes

from .conftest import VEHICLE_ID, get_state

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .conftest import Ledger

T = at("2026-03-02 18:00")


async def test_a_session_completed_again_after_a_crash_counts_once(
    hass: HomeAssistant, ledger: Ledger, hass_storage: dict[str, Any]
) -> None:
    fired = async_capture_events(hass, EVENT_SESSION_COMPLETED)
    await ledger.setup()
    await ledger.replay(
        [
            Reading(T, Role.PLUGGED, True),
            Reading(T, Role.CHARGING_STATE, ChargeState.CHARGING),
            Reading(T, Role.CHARGER_POWER, 11.0),
        ]
    )
    for minute in range(1, 61):
        await ledger.at(T + minutes(minute))
    # The last snapshot saved before the crash: the session still open.
    await ledger.runtime.async_flush()
    key = f"{DOMAIN}.{ledger.entry.entry_id}"
    ledger.runtime.store.async_delay_save(ledger.runtime.snapshot, 0)
    await hass.async_block_till_done()
    stale = copy.deepcopy(hass_storage[key])

    await ledger.replay(
        [
            Reading(T + hours(1), Role.CHARGER_POWER, 0.0),
            Reading(T + hours(1), Role.CHARGING_STATE, ChargeState.COMPLETE),
            Reading(T + hours(1) + minutes(5), Role.PLUGGED, False),
        ]
    )
    await ledger.at(T + hours(2))
    await ledger.synced()
    assert len(fired) == 1
    energy = Decimal(get_state(hass, "sensor.model_y_energy_charged").state)
    cost = Decimal(get_state(hass, "sensor.model_y_charging_cost").state)
    assert energy == Decimal("11.000")  # 11 kW x 1 h

    # kill -9: what was saved after the stale snapshot is lost.
    await ledger.unload()
    hass_storage[key] = stale
    await ledger.setup()
    # The engine is back in the open session; the current states complete it again.
    await ledger.at(T + hours(2) + minutes(5))
    await ledger.synced()
    assert len(fired) == 1  # announced once
    assert Decimal(get_state(hass, "sensor.model_y_energy_charged").state) == energy
    assert Decimal(get_state(hass, "sensor.model_y_charging_cost").state) == cost
    page = await ledger.query("list_sessions", vehicle=VEHICLE_ID, limit=10)
    assert len(page.items) == 1
    assert page.items[0]["status"] == "completed"
