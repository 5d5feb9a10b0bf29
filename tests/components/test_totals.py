"""The lifetime totals never go down, except by a correction or a deletion.

A reload used to re-read the totals only up to a day after the wall clock: sessions
recorded with later timestamps (the demo's timeline runs ahead of the clock) fell
out, and the lifetime cost dropped from 26.59 to 9.12 EUR. A correction or a deletion
lowers the cost, and the published long-term statistics follow by rewriting the
session's hours: no hour ever shows a negative change.

The scenario's charge is worked out by hand in `scenario.py`: 19.5 kWh at home at
0.30 EUR/kWh (5.85 EUR), 11 kWh in its first hour and 8.5 kWh in its second.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.helpers.recorder import get_instance
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.ev_ledger.const import DOMAIN
from custom_components.ev_ledger.logic.model import Reading, Role
from tests.logic.test_scenarios import T
from tests.logic.trace import hours

from . import scenario
from .conftest import VEHICLE_ID, Ledger, get_state, state_of

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

ENERGY = "ev_ledger:model_y_energy_charged"
COST = "ev_ledger:model_y_charging_cost"
H0 = int(T)  # the first charging hour
H1 = H0 + 3600
AHEAD = 2 * 86400  # the demo's timeline runs up to a week ahead of the clock


def total(hass: HomeAssistant, key: str) -> Decimal:
    """A total sensor's value."""
    return Decimal(get_state(hass, f"sensor.model_y_{key}").state)


async def charge_ahead(ledger: Ledger, readings: list[Reading]) -> None:
    """Report `readings` with their own timestamps, the wall clock `AHEAD` behind."""
    hass = ledger.hass
    for reading in sorted(readings, key=lambda r: r.ts):
        await ledger.at(reading.ts - AHEAD)
        state, attributes = state_of(reading)
        hass.states.async_set(
            ledger.roles[reading.role], state, attributes, timestamp=reading.ts
        )
        await hass.async_block_till_done()


async def test_reload_keeps_totals_of_sessions_ahead_of_the_clock(
    hass: HomeAssistant, ledger: Ledger
) -> None:
    """Sessions stamped days after the wall clock still count after a reload."""
    await ledger.at(T - hours(1) - AHEAD)
    await ledger.setup()
    await charge_ahead(ledger, [*scenario.before(), *scenario.charge()])
    # A reading an hour after the unplug lets the unplug's grace run out.
    await charge_ahead(ledger, [Reading(T + hours(4), Role.BATTERY_LEVEL, 79.0)])
    assert total(hass, "charging_cost") == scenario.SESSION_COST
    assert total(hass, "charging_cost_this_month") == scenario.SESSION_COST
    assert total(hass, "energy_charged") == scenario.SESSION_KWH

    assert await hass.config_entries.async_reload(ledger.entry.entry_id)
    await hass.async_block_till_done()
    assert total(hass, "charging_cost") == scenario.SESSION_COST
    assert total(hass, "charging_cost_this_month") == scenario.SESSION_COST
    assert total(hass, "energy_charged") == scenario.SESSION_KWH


@pytest.fixture
def mock_recorder_before_hass(async_test_recorder: Any) -> None:
    """Set the recorder up before Home Assistant (the fixtures here ask for hass)."""


async def _rows(hass: HomeAssistant) -> dict[str, list[tuple[int, float, float]]]:
    """(hour, state, sum) of every statistic, through the recorder's API."""
    await async_wait_recording_done(hass)
    found = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        datetime.fromtimestamp(H0 - 86400, UTC),
        None,
        None,
        "hour",
        None,
        {"state", "sum"},
    )
    return {
        statistic_id: [
            (int(row["start"]), row["state"] or 0.0, row["sum"] or 0.0) for row in rows
        ]
        for statistic_id, rows in found.items()
    }


def _never_negative(rows: list[tuple[int, float, float]], base: float = 0.0) -> None:
    """No hour's state and no step of the running sum is negative."""
    previous = base
    for _hour, state, running in rows:
        assert state >= 0
        assert running - previous >= -1e-9
        previous = running


async def _call(hass: HomeAssistant, service: str, data: dict[str, Any]) -> None:
    await hass.services.async_call(DOMAIN, service, data, blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_corrections_rewrite_the_statistics(
    recorder_mock: Any, hass: HomeAssistant, embedded_ledger: Ledger
) -> None:
    """A corrected cost and a deleted session: totals and statistics follow."""
    ledger = embedded_ledger
    await ledger.at(T - hours(1))
    for reading in scenario.before():
        await ledger.reading(reading)
    await ledger.setup()
    await ledger.replay(scenario.charge())
    await ledger.at(T + hours(4))
    await hass.async_block_till_done(wait_background_tasks=True)
    rows = await _rows(hass)
    assert rows[ENERGY] == [(H0, 11.0, 11.0), (H1, 8.5, 19.5)]
    assert rows[COST] == [(H0, 3.3, 3.3), (H1, 2.55, 5.85)]
    session_id = ledger.runtime.vehicles[VEHICLE_ID].last_session["id"]  # type: ignore[index]
    entry_id = ledger.entry.entry_id

    # 3.90 EUR instead of 5.85: a manual cost follows the energy, 11 : 8.5.
    await _call(
        hass,
        "update_session",
        {"config_entry_id": entry_id, "session_id": session_id, "cost": 3.9},
    )
    assert total(hass, "charging_cost") == Decimal("3.9")
    assert total(hass, "charging_cost_this_month") == Decimal("3.9")
    assert total(hass, "energy_charged") == scenario.SESSION_KWH
    rows = await _rows(hass)
    assert rows[COST] == [(H0, 2.2, 2.2), (H1, 1.7, 3.9)]
    assert rows[ENERGY] == [(H0, 11.0, 11.0), (H1, 8.5, 19.5)]
    _never_negative(rows[COST])

    await _call(
        hass, "delete_session", {"config_entry_id": entry_id, "session_id": session_id}
    )
    assert total(hass, "charging_cost") == 0
    # The energy meter never runs backwards (the Energy dashboard reads it).
    assert total(hass, "energy_charged") == scenario.SESSION_KWH
    rows = await _rows(hass)
    assert rows[COST] == [(H0, 0.0, 0.0), (H1, 0.0, 0.0)]
    assert rows[ENERGY] == [(H0, 0.0, 0.0), (H1, 0.0, 0.0)]

    # A reload brings none of it back.
    assert await hass.config_entries.async_reload(entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert total(hass, "charging_cost") == 0
    assert total(hass, "energy_charged") == scenario.SESSION_KWH
