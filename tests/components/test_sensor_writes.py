"""Sensors write their state only when what they show changed (issue 14's live path).

The vehicle notifies its sensors after every minute of data. Before, every notify
wrote all of them (a state report each even when nothing changed); now a notify with
nothing new writes none, and a charge writes the figures that move.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED
from homeassistant.core import State, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest

from custom_components.ev_ledger.const import DOMAIN
from custom_components.ev_ledger.logic.model import Reading, Role
from custom_components.ev_ledger.vehicle_runtime import FULL_REFRESH_S

from . import scenario
from .conftest import VEHICLE_ID, Ledger, get_state

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from homeassistant.core import Event, HomeAssistant

    from custom_components.ev_ledger.vehicle_runtime import VehicleRuntime


def record_writes(
    hass: HomeAssistant, wanted: Callable[[str], bool]
) -> tuple[list[str], Callable[[], None]]:
    """The entities written from now on (changed or reported), and a stop."""
    written: list[str] = []

    @callback
    def count(event: Event[Any]) -> None:
        written.append(event.data["entity_id"])

    @callback
    def chosen(data: Mapping[str, Any]) -> bool:
        return wanted(str(data["entity_id"]))

    unsubs = [
        hass.bus.async_listen(kind, count, event_filter=chosen)
        for kind in (EVENT_STATE_CHANGED, EVENT_STATE_REPORTED)
    ]

    def stop() -> None:
        for unsub in unsubs:
            unsub()

    return written, stop


async def charging(ledger: Ledger) -> tuple[VehicleRuntime, float]:
    """The car charging for a few minutes; its runtime and the last reading's time."""
    await ledger.setup()
    await ledger.replay(scenario.before())
    charge = scenario.charge()[:6]
    await ledger.replay(charge)
    vehicle = ledger.runtime.vehicles[VEHICLE_ID]
    assert vehicle.current is not None
    return vehicle, charge[-1].ts


async def test_unchanged_figures_are_not_written(
    hass: HomeAssistant, embedded_ledger: Ledger
) -> None:
    await embedded_ledger.setup()
    await embedded_ledger.replay(scenario.before())
    ours = {
        entry.entity_id
        for entry in er.async_entries_for_config_entry(
            er.async_get(hass), embedded_ledger.entry.entry_id
        )
        if entry.domain == "sensor" and entry.platform == DOMAIN
    }
    assert len(ours) > 10
    written, stop = record_writes(hass, ours.__contains__)
    try:
        vehicle = embedded_ledger.runtime.vehicles[VEHICLE_ID]
        for _ in range(5):
            vehicle.async_notify()
        await hass.async_block_till_done()
        assert written == []

        # A charge: the figures that move are written, not every sensor each time.
        charge = scenario.charge()
        await embedded_ledger.replay(charge[: len(charge) // 2])
        assert written
        notifies = len({reading.ts for reading in charge[: len(charge) // 2]})
        assert len(written) < notifies * len(ours) / 2
        changed = set(written)
        assert changed < ours
    finally:
        stop()


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_a_data_minute_refreshes_the_live_sensors_only(
    hass: HomeAssistant, embedded_ledger: Ledger
) -> None:
    """A charge's data-minute moves the open session's sensors and nothing else.

    The others (records, totals) follow at the next full refresh: the minute tick's,
    a record's, or a data-minute after a refused reading (its count shows at once).
    """
    vehicle, ts = await charging(embedded_ledger)
    live = {
        f"sensor.model_y_{key}"
        for key in (
            "charging_status",
            "current_session_energy",
            "charging_power",
            "current_session_duration",
            "current_session_cost",
        )
    }
    for entity_id in live:
        assert hass.states.get(entity_id) is not None, entity_id
    energy = "sensor.model_y_current_session_energy"
    rejected = "sensor.model_y_rejected_readings"
    before = (get_state(hass, energy).state, get_state(hass, rejected).state)
    refreshed, _ = record_writes(hass, lambda e: e.startswith("sensor.model_y_"))

    # Between ticks (no time passes for Home Assistant): two data-minutes of charging.
    for step in (1, 2):
        vehicle.async_on_reading(Reading(ts + 60 * step, Role.CHARGER_POWER, 7.0))
    await hass.async_block_till_done()
    assert get_state(hass, energy).state != before[0]
    assert refreshed
    assert set(refreshed) <= live

    # A refused state, then a data-minute: the count shows with it.
    vehicle.async_on_state(
        Role.CHARGER_POWER,
        State(embedded_ledger.roles[Role.CHARGER_POWER], "abc", {}),
    )
    vehicle.async_on_reading(Reading(ts + 180, Role.CHARGER_POWER, 7.0))
    await hass.async_block_till_done()
    assert get_state(hass, rejected).state == str(int(before[1]) + 1)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_a_completed_session_refreshes_the_record_sensors_at_once(
    hass: HomeAssistant, embedded_ledger: Ledger
) -> None:
    """The last session's sensors move with the completion, not a tick later."""
    await embedded_ledger.setup()
    await embedded_ledger.replay(scenario.before())
    charge = scenario.charge()
    last = charge[-1]
    await embedded_ledger.replay(charge[:-1])
    last_energy = "sensor.model_y_last_session_energy"
    assert get_state(hass, last_energy).state in ("unknown", "unavailable")
    vehicle = embedded_ledger.runtime.vehicles[VEHICLE_ID]
    # The unplug, and a reading after its grace: the session completes in a step,
    # between ticks.
    vehicle.async_on_reading(last)
    vehicle.async_on_reading(Reading(last.ts + 900, Role.BATTERY_LEVEL, 80.0))
    await hass.async_block_till_done()
    assert vehicle.current is None
    assert get_state(hass, last_energy).state not in ("unknown", "unavailable")


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_a_tick_refreshes_only_what_moved(
    hass: HomeAssistant, embedded_ledger: Ledger
) -> None:
    """The minute tick writes nothing when nothing moved since the last update, the
    running figures when the held power moved them, and every sensor at least every
    FULL_REFRESH_S (a figure changed without a notify shows by then)."""
    vehicle, ts = await charging(embedded_ledger)
    # A data update now: the ledger updates the running figures once a minute.
    vehicle.async_on_reading(Reading(ts + 61, Role.CHARGER_POWER, 7.0))
    await hass.async_block_till_done()
    written, stop = record_writes(hass, lambda e: e.startswith("sensor.model_y_"))
    try:
        # The next minute's tick, under a minute after that update: nothing moved.
        first_tick = (int((ts + 61) // 60) + 1) * 60
        vehicle.async_tick(dt_util.utc_from_timestamp(first_tick))
        await hass.async_block_till_done()
        assert written == []

        # A minute later the held power moves the running figures: those are written.
        vehicle.async_tick(dt_util.utc_from_timestamp(first_tick + 60))
        await hass.async_block_till_done()
        assert "sensor.model_y_current_session_energy" in written
        assert all(not e.startswith("sensor.model_y_energy_charged") for e in written)

        # A total changed behind the sensors' back shows by the next full refresh.
        charged = "sensor.model_y_energy_charged"
        shown = get_state(hass, charged).state
        vehicle.totals.energy_kwh += Decimal("1.5")
        minute = first_tick + 120
        for _ in range(int(FULL_REFRESH_S // 60) + 1):
            vehicle.async_tick(dt_util.utc_from_timestamp(minute))
            minute += 60
        await hass.async_block_till_done()
        assert get_state(hass, charged).state != shown
    finally:
        stop()
