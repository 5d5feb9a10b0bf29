"""The logbook describes each completed record in words (issue 13)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.ev_ledger.const import (
    CONF_NAME,
    CONF_ZONE,
    DOMAIN,
    EVENT_SESSION_COMPLETED,
    EVENT_TRIP_COMPLETED,
    SUBENTRY_LOCATION,
    SUBENTRY_VEHICLE,
)
from custom_components.ev_ledger.logbook import async_describe_events, place_name
from custom_components.ev_ledger.logic.model import ChargeState, Place, Reading, Role
from tests.logic.trace import at, hours, minutes

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant

    from .conftest import Ledger

T = at("2026-03-02 18:00")
# Plugged in at T, 11 kW for an hour, unplugged five minutes later.
_AN_HOUR_AT_11_KW = (
    Reading(T, Role.PLUGGED, True),
    Reading(T, Role.CHARGING_STATE, ChargeState.CHARGING),
    Reading(T, Role.CHARGER_POWER, 11.0),
    Reading(T + hours(1), Role.CHARGER_POWER, 0.0),
    Reading(T + hours(1), Role.CHARGING_STATE, ChargeState.COMPLETE),
    Reading(T + hours(1) + minutes(5), Role.PLUGGED, False),
)


def _describers(hass: HomeAssistant) -> dict[str, Callable[[Event], dict[str, str]]]:
    found: dict[str, Callable[[Event], dict[str, str]]] = {}

    def collect(
        domain: str, event_type: str, describe: Callable[[Event], dict[str, str]]
    ) -> None:
        assert domain == DOMAIN
        found[event_type] = describe

    async_describe_events(hass, collect)
    return found


async def test_a_charge_at_home_in_words(hass: HomeAssistant, ledger: Ledger) -> None:
    """11 kW for an hour at Home (0.30 EUR/kWh): the location by its configured name."""
    await ledger.setup()
    fired = async_capture_events(hass, EVENT_SESSION_COMPLETED)
    await ledger.replay(
        [Reading(T, Role.LOCATION, Place("home", 52.5, 13.4)), *_AN_HOUR_AT_11_KW]
    )
    await ledger.at(T + hours(1) + minutes(10))
    [event] = fired
    described = _describers(hass)[EVENT_SESSION_COMPLETED](event)
    assert described == {
        "name": "Model Y",
        "message": "charged 11.0 kWh at Home for 3.30 EUR",
    }
    await ledger.unload()


def _event(event_type: str, data: dict[str, Any]) -> Event:
    return Event(event_type, data)


async def test_messages_from_partial_and_odd_data(hass: HomeAssistant) -> None:
    described = _describers(hass)
    session = described[EVENT_SESSION_COMPLETED]
    trip = described[EVENT_TRIP_COMPLETED]
    assert session(
        _event(
            EVENT_SESSION_COMPLETED,
            {
                "vehicle": "Ioniq 5",
                "energy_kwh": "24.123",
                "place": {"zone": "Supercharger Berlin"},
                "cost": {"total": "9.1234", "currency": "EUR"},
                "solar_share": "0.32",
            },
        )
    ) == {
        "name": "Ioniq 5",
        "message": (
            "charged 24.1 kWh at Supercharger Berlin for 9.12 EUR (32 % solar)"
        ),
    }
    # Nothing known but the energy; junk where numbers should be.
    assert session(
        _event(
            EVENT_SESSION_COMPLETED,
            {"energy_kwh": "NaN", "cost": {"total": "x"}, "place": "home"},
        )
    ) == {"name": "EV Ledger", "message": "charged ? kWh"}
    assert trip(
        _event(
            EVENT_TRIP_COMPLETED,
            {"vehicle": "Model Y", "distance_km": "25.04", "efficiency_wh_km": "180"},
        )
    ) == {"name": "Model Y", "message": "drove 25.0 km, 18.0 kWh/100 km"}
    assert trip(_event(EVENT_TRIP_COMPLETED, {"distance_km": None})) == {
        "name": "EV Ledger",
        "message": "drove ? km",
    }


async def test_absurd_numbers_are_not_written_out(hass: HomeAssistant) -> None:
    """A number of a billion digits (an event fired by hand, or by an automation
    passing on a payload) reads as unknown; written out, it took the event loop and
    a gigabyte each time the logbook listed the event."""
    described = _describers(hass)
    huge = "1e999999999"
    assert described[EVENT_SESSION_COMPLETED](
        _event(
            EVENT_SESSION_COMPLETED,
            {
                "energy_kwh": huge,
                "cost": {"total": "-" + huge, "currency": "EUR"},
                "solar_share": huge,
            },
        )
    ) == {"name": "EV Ledger", "message": "charged ? kWh"}
    assert described[EVENT_TRIP_COMPLETED](
        _event(
            EVENT_TRIP_COMPLETED,
            {"distance_km": huge, "efficiency_wh_km": 10**400},
        )
    ) == {"name": "EV Ledger", "message": "drove ? km"}


async def test_a_reload_logs_no_past_event_again(
    hass: HomeAssistant, ledger: Ledger
) -> None:
    """A reload restores the event entities' last event: not a new logbook entry.

    The logbook lists a state change when it has an old and a new state that differ.
    Unloading makes an entity unavailable (Home Assistant's own "became unavailable");
    the restored state that follows must not read as the event happening again.
    """
    await ledger.setup()
    await ledger.replay(list(_AN_HOUR_AT_11_KW))
    await ledger.at(T + hours(1) + minutes(10))
    [event_entity] = [
        s.entity_id
        for s in hass.states.async_all("event")
        if s.state not in ("unknown", "unavailable")
    ]
    fired = hass.states.get(event_entity)
    assert fired is not None
    changes = async_capture_events(hass, EVENT_STATE_CHANGED)
    assert await hass.config_entries.async_reload(ledger.entry.entry_id)
    await hass.async_block_till_done()
    logged = [
        (e.data["old_state"].state, e.data["new_state"].state)
        for e in changes
        if e.data["entity_id"] == event_entity
        and e.data["old_state"] is not None
        and e.data["new_state"] is not None
        and e.data["old_state"].state != e.data["new_state"].state
    ]
    assert logged == [(fired.state, "unavailable")]
    restored = hass.states.get(event_entity)
    assert restored is not None
    assert restored.state == fired.state
    await ledger.unload()


async def test_each_ledger_names_its_own_places(hass: HomeAssistant) -> None:
    """Two ledgers both price `zone.home`, one as "Home", the other as "Cottage" (a
    second home's own ledger): a record, the logbook's line included, takes its own
    ledger's name. It took the first ledger's."""
    entries = []
    for name in ("Home", "Cottage"):
        entry = MockConfigEntry(
            domain=DOMAIN,
            title=name,
            subentries_data=[
                {
                    "subentry_type": SUBENTRY_LOCATION,
                    "title": name,
                    "unique_id": f"home-{name}",
                    "data": {CONF_ZONE: "zone.home", CONF_NAME: name},
                },
                {
                    "subentry_type": SUBENTRY_VEHICLE,
                    "title": "Zoe",
                    "unique_id": f"zoe-{name}",
                    "data": {},
                },
            ],
        )
        entry.add_to_hass(hass)
        entries.append(entry)
    home = {"zone": "zone.home"}
    assert [place_name(hass, home, e.entry_id) for e in entries] == ["Home", "Cottage"]
    assert place_name(hass, home, "gone") == "Home"  # any ledger's, as before

    # The vehicle's device, as EV Ledger registers it: identified by its subentry.
    vehicle = next(
        subentry_id
        for subentry_id, subentry in entries[1].subentries.items()
        if subentry.subentry_type == SUBENTRY_VEHICLE
    )
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entries[1].entry_id, identifiers={(DOMAIN, vehicle)}
    )
    describe = _describers(hass)[EVENT_SESSION_COMPLETED]
    data = {"vehicle": "Zoe", "device_id": device.id, "energy_kwh": "11.0"}
    line = describe(Event(EVENT_SESSION_COMPLETED, {**data, "place": home}))
    assert line["message"] == "charged 11.0 kWh at Cottage"
