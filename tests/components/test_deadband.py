"""The deadband option in a real Home Assistant: turned on, live, restarted, shown.

What it keeps is tested in tests/logic/test_deadband.py; that live, backfill and
recompute agree with it on in tests/components/test_one_computation.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.data_entry_flow import FlowResultType

from custom_components.ev_ledger.const import CONF_DEADBAND, CONF_SAMPLE_RETENTION_DAYS
from custom_components.ev_ledger.diagnostics import async_get_config_entry_diagnostics
from custom_components.ev_ledger.logic.model import ChargeState, Reading, Role

from .conftest import START, VEHICLE_ID

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .conftest import Ledger


async def set_options(hass: HomeAssistant, ledger: Ledger, *, deadband: bool) -> None:
    """Submit the options form."""
    result = await hass.config_entries.options.async_init(ledger.entry.entry_id)
    done = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_SAMPLE_RETENTION_DAYS: 396, CONF_DEADBAND: deadband},
    )
    assert done["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    assert ledger.entry.state is ConfigEntryState.LOADED


async def power_samples(ledger: Ledger) -> list[tuple[float, float | None]]:
    """The charger power samples stored, (ts, kW)."""
    rows: list[Any] = await ledger.query(
        "samples",
        source=VEHICLE_ID,
        start=datetime.fromtimestamp(START - 3600, UTC),
        end=datetime.fromtimestamp(START + 86400, UTC),
        roles=[Role.CHARGER_POWER.value],
    )
    return [(row.ts, row.value) for row in rows]


async def test_deadband_on_live_and_across_a_restart(
    hass: HomeAssistant, embedded_ledger: Ledger
) -> None:
    """Turning it on reloads the ledger; then wobbles within the band are dropped
    (counted in diagnostics), a restart continues the band, and turning it off
    takes every reading again."""
    ledger = embedded_ledger
    await ledger.setup()
    assert ledger.runtime.vehicles[VEHICLE_ID].deadband is None
    before = ledger.runtime
    await set_options(hass, ledger, deadband=True)
    assert ledger.runtime is not before  # reloaded
    vehicle = ledger.runtime.vehicles[VEHICLE_ID]
    assert vehicle.deadband is not None

    t = START + 60.0
    await ledger.reading(Reading(t, Role.PLUGGED, True))
    await ledger.reading(Reading(t, Role.CHARGING_STATE, ChargeState.CHARGING))
    for i, kw in enumerate([7.0, 7.002, 7.004, 7.0, 7.3, 7.301]):
        await ledger.reading(Reading(t + 10.0 * (i + 1), Role.CHARGER_POWER, kw))
    assert await power_samples(ledger) == [(t + 10.0, 7.0), (t + 50.0, 7.3)]
    data = await async_get_config_entry_diagnostics(hass, ledger.entry)
    [engine] = [v["engine"] for v in data["vehicles"].values()]
    assert engine["dropped_by_deadband"] == {"charger_power": 4}

    # A restart (the snapshot): the band goes on from 7.3 kW.
    await ledger.unload()
    await ledger.setup()
    await ledger.reading(Reading(t + 70.0, Role.CHARGER_POWER, 7.302))
    await ledger.reading(Reading(t + 80.0, Role.CHARGER_POWER, 7.4))
    assert (await power_samples(ledger))[-1] == (t + 80.0, 7.4)
    assert len(await power_samples(ledger)) == 3
    assert ledger.runtime.vehicles[VEHICLE_ID].health()["dropped_by_deadband"] == {
        "charger_power": 5
    }

    # Off again: every change is a sample.
    await set_options(hass, ledger, deadband=False)
    assert ledger.runtime.vehicles[VEHICLE_ID].deadband is None
    await ledger.reading(Reading(t + 90.0, Role.CHARGER_POWER, 7.401))
    assert (await power_samples(ledger))[-1] == (t + 90.0, 7.401)
