"""Sensors write their state only when what they show changed (issue 14's live path).

The vehicle notifies its sensors after every minute of data. Before, every notify
wrote all of them (a state report each even when nothing changed); now a notify with
nothing new writes none, and a charge writes the figures that move.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED
from homeassistant.core import callback
from homeassistant.helpers import entity_registry as er

from custom_components.ev_ledger.const import DOMAIN

from . import scenario
from .conftest import VEHICLE_ID, Ledger

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.core import Event, HomeAssistant


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
    written: list[str] = []

    @callback
    def count(event: Event[Any]) -> None:
        written.append(event.data["entity_id"])

    @callback
    def mine(data: Mapping[str, Any]) -> bool:
        return data["entity_id"] in ours

    unsubs = [
        hass.bus.async_listen(EVENT_STATE_CHANGED, count, event_filter=mine),
        hass.bus.async_listen(EVENT_STATE_REPORTED, count, event_filter=mine),
    ]
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
        for unsub in unsubs:
            unsub()
