"""After a crash the ledgers catch up from the recorder (issue 15, B1).

The snapshot is saved every few minutes; a kill -9 loses what the ledgers took after
it. At the next start each restored vehicle is fed the recorder's states since its
snapshot, with the minute ticks between them, before any live state: the charge goes
on as if nothing happened, and a session completed before the crash is stored and
announced once.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from pytest_homeassistant_custom_component.common import async_capture_events
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.ev_ledger.const import DOMAIN, EVENT_SESSION_COMPLETED
from custom_components.ev_ledger.logic.model import ChargeState, Reading, Role
from tests.logic.trace import at, hours, minutes

from .conftest import VEHICLE_ID, Ledger, get_state
from .test_backfill import EMBEDDED, entry

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

T = at("2026-03-02 18:00")


@pytest.fixture
def mock_recorder_before_hass(async_test_recorder: Any) -> None:
    """Set the recorder up before Home Assistant."""


@pytest.fixture(autouse=True)
async def _recorder(recorder_mock: Any) -> None:
    """A real recorder for every test here."""


async def _stale_snapshot(
    hass: HomeAssistant, ledger: Ledger, hass_storage: dict[str, Any]
) -> dict[str, Any]:
    """The snapshot as saved now (what a kill -9 a little later falls back to)."""
    await ledger.runtime.async_flush()
    ledger.runtime.store.async_delay_save(ledger.runtime.snapshot, 0)
    await hass.async_block_till_done()
    return copy.deepcopy(hass_storage[f"{DOMAIN}.{ledger.entry.entry_id}"])


async def _kill_and_restart(
    hass: HomeAssistant,
    ledger: Ledger,
    hass_storage: dict[str, Any],
    stale: dict[str, Any],
) -> None:
    await async_wait_recording_done(hass)
    await ledger.unload()
    hass_storage[f"{DOMAIN}.{ledger.entry.entry_id}"] = stale
    await ledger.setup()


@pytest.mark.parametrize("completed", [False, True])
async def test_a_kill_loses_nothing_and_counts_nothing_twice(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    completed: bool,
) -> None:
    """11 kW for an hour; the snapshot is 30 minutes old when the process dies."""
    freezer.move_to(datetime.fromtimestamp(T - hours(1), UTC))
    ledger = Ledger(hass, freezer, entry("01JENTRY000000000000000CU1", EMBEDDED))
    await ledger.setup()
    fired = async_capture_events(hass, EVENT_SESSION_COMPLETED)
    await ledger.replay(
        [
            Reading(T, Role.PLUGGED, True),
            Reading(T, Role.CHARGING_STATE, ChargeState.CHARGING),
            Reading(T, Role.CHARGER_POWER, 11.0),
        ]
    )
    for minute in range(1, 31):
        await ledger.at(T + minutes(minute))
    stale = await _stale_snapshot(hass, ledger, hass_storage)
    for minute in range(31, 46):
        await ledger.at(T + minutes(minute))
    if completed:
        await ledger.replay(
            [
                Reading(T + minutes(60), Role.CHARGER_POWER, 0.0),
                Reading(T + minutes(60), Role.CHARGING_STATE, ChargeState.COMPLETE),
                Reading(T + minutes(65), Role.PLUGGED, False),
            ]
        )
        await ledger.at(T + minutes(70))
        await ledger.synced()
        assert len(fired) == 1

    await _kill_and_restart(hass, ledger, hass_storage, stale)
    if not completed:
        # The charge went on meanwhile: it ends an hour after it began.
        await ledger.at(T + minutes(46))
        for minute in range(47, 61):
            await ledger.at(T + minutes(minute))
        await ledger.replay(
            [
                Reading(T + minutes(60), Role.CHARGER_POWER, 0.0),
                Reading(T + minutes(60), Role.CHARGING_STATE, ChargeState.COMPLETE),
                Reading(T + minutes(65), Role.PLUGGED, False),
            ]
        )
    await ledger.at(T + minutes(80))
    await ledger.synced()
    assert len(fired) == 1
    energy = Decimal(get_state(hass, "sensor.model_y_energy_charged").state)
    assert energy == Decimal("11.000")  # 11 kW x 1 h, nothing lost, nothing twice
    page = await ledger.query("list_sessions", vehicle=VEHICLE_ID, limit=10)
    [session] = page.items
    assert session["status"] == "completed"
    assert session["energy_kwh"] == Decimal("11.000")
    await ledger.unload()
