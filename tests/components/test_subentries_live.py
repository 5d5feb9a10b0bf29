"""Subentries added, changed or removed at any moment take effect, none is missed.

The demo adds its charging locations within a second of creating the entry, while the
entry is still being set up; those used to reach the runtime only at the next reload,
so its sessions at work and at a fast charger had no cost. Each test charges the car
and reads the cost of the completed session from the bus event, worked out by hand:
11 kW held for one hour is 11 kWh.
"""

from __future__ import annotations

import asyncio
from contextlib import ExitStack
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState, ConfigSubentry
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.helpers.event import async_track_state_change_event
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.ev_ledger import sensor as sensor_module
from custom_components.ev_ledger.const import EVENT_SESSION_COMPLETED, LOCATION_DEFAULT
from custom_components.ev_ledger.db import connect_and_migrate
from custom_components.ev_ledger.logic.model import ChargeState, Place, Reading, Role
from custom_components.ev_ledger.runtime import EvLedgerRuntime
from tests.logic.trace import at, hours, minutes

from .conftest import (
    DEFAULT_ID,
    HOME_ID,
    Ledger,
    get_state,
    location_subentry,
    make_entry,
    priced_location_subentry,
    vehicle_subentry,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from homeassistant.core import Event, EventStateChangedData, HomeAssistant
    from homeassistant.helpers import entity_registry as er

T = at("2026-03-02 18:00")
WORK_ID = "01JLOCATION000000000000003"
SECOND_ID = "01JVEHICLE0000000000000002"
WORK = Place("work", 52.39, 13.06)
MOTORWAY = Place(None, 50.11, 8.68)  # a fast charger in no zone: "not_home"


def subentry(data: dict[str, Any]) -> ConfigSubentry:
    """A subentry from the fixtures' dict form (as the config flow creates it)."""
    return ConfigSubentry(
        data=data["data"],
        subentry_id=data["subentry_id"],
        subentry_type=data["subentry_type"],
        title=data["title"],
        unique_id=data["unique_id"],
    )


def work(price: str = "0.25") -> dict[str, Any]:
    """The Work location at a fixed price."""
    return location_subentry("zone.work", price, subentry_id=WORK_ID, title="Work")


def elsewhere() -> dict[str, Any]:
    """Anywhere else (fast chargers) at 0.60 EUR/kWh."""
    return location_subentry(
        LOCATION_DEFAULT, "0.60", subentry_id=DEFAULT_ID, title="Elsewhere"
    )


def charge(place: Place, start: float) -> list[Reading]:
    """Arrive at `place`, charge 11 kW for an hour from `start`, unplug 5 min later."""
    return [
        Reading(start - minutes(10), Role.LOCATION, place),
        Reading(start, Role.PLUGGED, True),
        Reading(start, Role.CHARGING_STATE, ChargeState.CHARGING),
        Reading(start, Role.CHARGER_POWER, 11.0),
        Reading(start + hours(1), Role.CHARGER_POWER, 0.0),
        Reading(start + hours(1), Role.CHARGING_STATE, ChargeState.COMPLETE),
        Reading(start + hours(1) + minutes(5), Role.PLUGGED, False),
    ]


async def charged(ledger: Ledger, place: Place, start: float) -> dict[str, Any]:
    """The completed session's record of a charge at `place`."""
    fired = async_capture_events(ledger.hass, EVENT_SESSION_COMPLETED)
    await ledger.replay(charge(place, start))
    await ledger.at(start + hours(2))
    (event,) = fired
    assert Decimal(event.data["energy_kwh"]) == Decimal(11)
    return dict(event.data)


def cost(record: dict[str, Any]) -> Decimal | None:
    """A record's total cost (None: not priced)."""
    found = record.get("cost")
    return None if not found else Decimal(found["total"])


@pytest.fixture
def home_only(ledger: Ledger) -> Ledger:
    """The ledger with the vehicle and the home location only."""
    ledger.entry = make_entry(
        ledger.entry.data,
        [
            vehicle_subentry(),
            location_subentry("zone.home", "0.30", subentry_id=HOME_ID, title="Home"),
        ],
    )
    return ledger


@pytest.fixture
def reloads(hass: HomeAssistant) -> Iterator[list[str]]:
    """Every time the vehicle's sensors went unavailable (a reload)."""
    seen: list[str] = []

    def _on_change(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if new is not None and new.state == STATE_UNAVAILABLE:
            seen.append(new.entity_id)

    unsub = async_track_state_change_event(
        hass, ["sensor.model_y_energy_charged"], _on_change
    )
    yield seen
    unsub()


def _during(
    moment: str, action: Callable[[], object], hass: HomeAssistant
) -> ExitStack:
    """Run `action` (on the event loop) at `moment` of the entry's next set-up."""
    stack = ExitStack()
    pending: list[Callable[[], object]] = [action]

    def _once() -> None:
        # A reload that follows sets the entry up again: the action is done once.
        while pending:
            pending.pop()()

    if moment == "connecting":

        def _connect(config: Any) -> Any:
            result = connect_and_migrate(config)
            # In the executor: the loop is free, waiting for this job.
            hass.loop.call_soon_threadsafe(_once)
            return result

        stack.enter_context(
            patch("custom_components.ev_ledger.connect_and_migrate", _connect)
        )
    elif moment == "reading_totals":
        original_totals = EvLedgerRuntime.async_load_totals

        async def _totals(self: EvLedgerRuntime, *args: Any, **kwargs: Any) -> None:
            _once()
            await original_totals(self, *args, **kwargs)

        stack.enter_context(patch.object(EvLedgerRuntime, "async_load_totals", _totals))
    else:
        assert moment == "adding_entities"
        original_sensors = sensor_module.async_setup_entry

        async def _sensors(*args: Any) -> None:
            _once()
            await asyncio.sleep(0)
            await original_sensors(*args)

        stack.enter_context(patch.object(sensor_module, "async_setup_entry", _sensors))
    return stack


@pytest.mark.parametrize("moment", ["connecting", "reading_totals", "adding_entities"])
async def test_locations_added_while_setting_up(
    hass: HomeAssistant, home_only: Ledger, moment: str
) -> None:
    """Work and a default location added during set-up price the next sessions."""
    ledger = home_only

    def _add() -> None:
        hass.config_entries.async_add_subentry(ledger.entry, subentry(work()))
        hass.config_entries.async_add_subentry(ledger.entry, subentry(elsewhere()))

    ledger.entry.add_to_hass(hass)
    with _during(moment, _add, hass):
        await ledger.setup()
    await hass.async_block_till_done(wait_background_tasks=True)

    assert cost(await charged(ledger, WORK, T)) == Decimal("2.75")  # 11 x 0.25
    assert cost(await charged(ledger, MOTORWAY, T + hours(4))) == Decimal("6.60")


async def test_locations_added_changed_removed_live(
    hass: HomeAssistant, home_only: Ledger, reloads: list[str]
) -> None:
    """Several changes within a second, on a running ledger: each one counts.

    They are applied in place: the vehicle's sensors never go unavailable.
    """
    ledger = home_only
    await ledger.setup()
    entries = hass.config_entries
    entries.async_add_subentry(ledger.entry, subentry(work("0.10")))
    entries.async_add_subentry(ledger.entry, subentry(elsewhere()))
    entries.async_update_subentry(
        ledger.entry, ledger.entry.subentries[WORK_ID], data=work("0.25")["data"]
    )
    await hass.async_block_till_done()
    assert cost(await charged(ledger, WORK, T)) == Decimal("2.75")  # 11 x 0.25
    assert cost(await charged(ledger, MOTORWAY, T + hours(4))) == Decimal("6.60")

    # Work gone: a session there is priced as anywhere else.
    assert entries.async_remove_subentry(ledger.entry, WORK_ID)
    await hass.async_block_till_done()
    assert cost(await charged(ledger, WORK, T + hours(8))) == Decimal("6.60")
    assert reloads == []


async def test_location_added_during_an_open_session(
    hass: HomeAssistant, home_only: Ledger
) -> None:
    """A session already running at work when Work is added is priced at work."""
    ledger = home_only
    await ledger.setup()
    readings = charge(WORK, T)
    await ledger.replay(readings[:4])
    await ledger.at(T + minutes(30))
    hass.config_entries.async_add_subentry(ledger.entry, subentry(work()))
    await hass.async_block_till_done()
    fired = async_capture_events(hass, EVENT_SESSION_COMPLETED)
    await ledger.replay(readings[4:])
    await ledger.at(T + hours(2))
    (event,) = fired
    assert cost(dict(event.data)) == Decimal("2.75")


async def test_price_entity_location_added_live(
    hass: HomeAssistant, home_only: Ledger
) -> None:
    """A location priced by an entity added later: its prices are followed at once.

    The price held when the location was added counts, then its changes do.
    """
    ledger = home_only
    await ledger.at(T - hours(1))
    hass.states.async_set("sensor.work_price", "0.20")
    await ledger.setup()
    hass.config_entries.async_add_subentry(
        ledger.entry,
        subentry(
            priced_location_subentry(
                "zone.work", "sensor.work_price", subentry_id=WORK_ID, title="Work"
            )
        ),
    )
    await hass.async_block_till_done()
    readings = charge(WORK, T)
    await ledger.replay(readings[:4])
    await ledger.at(T + minutes(30))
    hass.states.async_set("sensor.work_price", "0.40")
    fired = async_capture_events(hass, EVENT_SESSION_COMPLETED)
    await ledger.replay(readings[4:])
    await ledger.at(T + hours(2))
    (event,) = fired
    # 5.5 kWh at 0.20 and 5.5 kWh at 0.40.
    assert cost(dict(event.data)) == Decimal("3.30")


async def _set_up(hass: HomeAssistant, ledger: Ledger) -> None:
    """Set the entry up and wait until it settled (a reload may follow at once)."""
    await hass.config_entries.async_setup(ledger.entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert ledger.entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize("moment", ["connecting", "reading_totals", "adding_entities"])
async def test_vehicles_added_and_removed_while_setting_up(
    hass: HomeAssistant,
    home_only: Ledger,
    entity_registry: er.EntityRegistry,
    moment: str,
) -> None:
    """A vehicle added during set-up gets its sensors; one removed loses them."""
    ledger = home_only
    second = vehicle_subentry(
        {Role.BATTERY_LEVEL: "sensor.ioniq_battery"},
        subentry_id=SECOND_ID,
        title="Ioniq",
    )
    ledger.entry.add_to_hass(hass)
    with _during(
        moment,
        lambda: hass.config_entries.async_add_subentry(ledger.entry, subentry(second)),
        hass,
    ):
        await _set_up(hass, ledger)
    assert SECOND_ID in ledger.runtime.vehicles
    assert get_state(hass, "sensor.ioniq_energy_charged").state != STATE_UNAVAILABLE

    await ledger.unload()
    with _during(
        moment,
        lambda: hass.config_entries.async_remove_subentry(ledger.entry, SECOND_ID),
        hass,
    ):
        await _set_up(hass, ledger)
    assert SECOND_ID not in ledger.runtime.vehicles
    assert entity_registry.async_get("sensor.ioniq_energy_charged") is None


async def test_location_shaping_vehicles_rebuilds(
    hass: HomeAssistant, home_only: Ledger, reloads: list[str]
) -> None:
    """What a location holds beyond its name, zone and tariff (the wallboxes it
    names) shapes the vehicles: changing it rebuilds the runtime, tariffs do not."""
    ledger = home_only
    await ledger.setup()
    runtime = ledger.runtime
    home = ledger.entry.subentries[HOME_ID]
    data = {**home.data, "tariff": {**home.data["tariff"], "price_per_kwh": "0.35"}}
    hass.config_entries.async_update_subentry(ledger.entry, home, data=data)
    await hass.async_block_till_done()
    assert ledger.runtime is runtime
    assert reloads == []

    data = {**data, "chargers": ["0123456789abcdef0123456789abcdef"]}
    hass.config_entries.async_update_subentry(ledger.entry, home, data=data)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert ledger.runtime is not runtime
    assert reloads == ["sensor.model_y_energy_charged"]
    # The new tariff holds after the rebuild too: 11 kWh at 0.35 EUR/kWh.
    assert cost(await charged(ledger, Place("home", 52.52, 13.40), T)) == Decimal(
        "3.85"
    )
