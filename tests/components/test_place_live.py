"""Issue 12 findings 1 and 8, live through Home Assistant.

- A car without a location entity, and a wallbox-only mapping, get a place: the home
  tariff and the solar split apply, and the record says how the place was known.
- A polled car parked all day keeps reporting its (unchanged) plug state: Home
  Assistant sends those as state_reported events, which count as news, so the evening
  commute is one trip and not an inferred "gap" trip plus another.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigSubentry
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.ev_ledger import builders
from custom_components.ev_ledger.const import (
    CONF_CHARGERS,
    CONF_GRID_SIGN,
    CONF_ROLES,
    CONF_USUAL_ZONE,
    CONF_ZONE,
    EVENT_SESSION_COMPLETED,
    EVENT_TRIP_COMPLETED,
    GRID_EXPORT_POSITIVE,
    LOCATION_DEFAULT,
    SUBENTRY_ENERGY_SITE,
)
from custom_components.ev_ledger.diagnostics import async_get_config_entry_diagnostics
from custom_components.ev_ledger.logic.model import ChargeState, Place, Reading, Role
from tests.logic.trace import at, hours, minutes

from .conftest import (
    DEFAULT_ID,
    ENTITIES,
    HOME_ID,
    VEHICLE_ID,
    location_subentry,
    make_entry,
    vehicle_subentry,
)

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .conftest import Ledger

T = at("2026-03-02 18:00")
WORK_ID = "01JLOCATION000000000000003"


def _locations(*, work_chargers: list[str] | None = None) -> list[dict[str, Any]]:
    work = location_subentry("zone.work", "0.45", subentry_id=WORK_ID, title="Work")
    if work_chargers is not None:
        work["data"][CONF_CHARGERS] = work_chargers
    return [
        location_subentry("zone.home", "0.30", subentry_id=HOME_ID, title="Home"),
        work,
        location_subentry(
            LOCATION_DEFAULT, "0.60", subentry_id=DEFAULT_ID, title="Elsewhere"
        ),
    ]


def _charge(power: float) -> list[Reading]:
    """Plug in, charge at `power` kW for 2 hours, unplug: 2 × power kWh."""
    return [
        Reading(T, Role.PLUGGED, True),
        Reading(T, Role.CHARGING_STATE, ChargeState.CHARGING),
        Reading(T, Role.CHARGER_POWER, power),
        Reading(T + hours(2), Role.CHARGER_POWER, 0.0),
        Reading(T + hours(2), Role.CHARGING_STATE, ChargeState.COMPLETE),
        Reading(T + hours(2) + minutes(5), Role.PLUGGED, False),
    ]


async def test_a_car_without_a_tracker_is_priced_at_home(
    hass: HomeAssistant, embedded_ledger: Ledger
) -> None:
    roles: dict[Role, str] = {
        r: e for r, e in ENTITIES.items() if r is not Role.LOCATION
    }
    embedded_ledger.entry = make_entry(
        embedded_ledger.entry.data, [vehicle_subentry(roles), *_locations()]
    )
    fired = async_capture_events(hass, EVENT_SESSION_COMPLETED)
    await embedded_ledger.setup()
    await embedded_ledger.replay(_charge(7.0))
    await embedded_ledger.at(T + hours(3))
    (event,) = fired
    record = event.data
    assert record["energy_kwh"] == "14.000"  # 7 kW x 2 h
    assert record["place"]["zone"] == "zone.home"
    assert record["place_source"] == "assumed"
    assert record["cost"]["total"] == "4.2000"  # 14 kWh x 0.30 EUR (home)
    assert "price_gap" not in record["flags"]
    page = await embedded_ledger.query("list_sessions", vehicle=VEHICLE_ID, limit=5)
    (row,) = page.items
    assert row["place_source"] == "assumed"


async def test_the_wallbox_at_work_places_its_sessions(
    hass: HomeAssistant, embedded_ledger: Ledger
) -> None:
    """The car's mapping uses the work wallbox's power: its charge is at work."""
    wallbox_entry = MockConfigEntry(domain="wallbox_brand", title="Wallbox")
    wallbox_entry.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=wallbox_entry.entry_id,
        identifiers={("wallbox_brand", "serial-1")},
        name="Work wallbox",
    )
    power = er.async_get(hass).async_get_or_create(
        "sensor",
        "wallbox_brand",
        "serial-1-power",
        config_entry=wallbox_entry,
        device_id=device.id,
        suggested_object_id="work_wallbox_power",
    )
    roles = {
        Role.PLUGGED: ENTITIES[Role.PLUGGED],
        Role.CHARGING_STATE: ENTITIES[Role.CHARGING_STATE],
        Role.CHARGER_POWER: power.entity_id,
    }
    embedded_ledger.entry = make_entry(
        embedded_ledger.entry.data,
        [vehicle_subentry(roles), *_locations(work_chargers=[device.id])],
    )
    embedded_ledger.roles = roles
    fired = async_capture_events(hass, EVENT_SESSION_COMPLETED)
    await embedded_ledger.setup()
    await embedded_ledger.replay(_charge(11.0))
    await embedded_ledger.at(T + hours(3))
    (event,) = fired
    record = event.data
    assert record["energy_kwh"] == "22.000"  # 11 kW x 2 h
    assert record["place"]["zone"] == "zone.work"
    assert record["place_source"] == "charger"
    assert record["cost"]["total"] == "9.9000"  # 22 kWh x 0.45 EUR (work)


async def test_a_polled_car_parked_all_day_drives_one_trip(
    hass: HomeAssistant, embedded_ledger: Ledger
) -> None:
    roles = {r: ENTITIES[r] for r in (Role.PLUGGED, Role.ODOMETER, Role.BATTERY_LEVEL)}
    embedded_ledger.entry = make_entry(
        embedded_ledger.entry.data, [vehicle_subentry(roles), *_locations()]
    )
    embedded_ledger.roles = roles
    trips = async_capture_events(hass, EVENT_TRIP_COMPLETED)
    park = at("2026-03-02 08:00")
    await embedded_ledger.at(park - minutes(1))
    await embedded_ledger.setup()
    await embedded_ledger.replay(
        [
            Reading(park, Role.ODOMETER, 10_000.0),
            Reading(park, Role.BATTERY_LEVEL, 70.0),
            Reading(park, Role.PLUGGED, False),
        ]
    )
    # Eight hours parked: the car polls every 10 minutes and reports the same plug
    # state each time; Home Assistant sends no state change for it.
    leave = park + hours(8)
    t = park + minutes(10)
    while t < leave:
        await embedded_ledger.reading(Reading(t, Role.PLUGGED, False))
        t += minutes(10)
    for step, odometer in enumerate((10_008.0, 10_016.0, 10_024.0), start=1):
        await embedded_ledger.reading(
            Reading(leave + minutes(10 * step), Role.ODOMETER, odometer)
        )
        await embedded_ledger.reading(
            Reading(leave + minutes(10 * step), Role.BATTERY_LEVEL, 70.0 - 2 * step)
        )
    await embedded_ledger.at(leave + hours(2))
    (event,) = trips
    trip = event.data
    assert Decimal(trip["distance_km"]) == Decimal(24)
    assert "inferred" not in trip["flags"]
    assert trip["start_level"] == 70.0
    assert trip["end_level"] == 64.0


def test_the_vehicle_configuration_says_where_it_charges() -> None:
    """Usual place: chosen, else home without a location entity; the wallbox's zone."""
    tracked = ConfigSubentry(**vehicle_subentry())
    assert builders.vehicle_config(tracked).usual_zone is None
    untracked_data = vehicle_subentry({Role.PLUGGED: ENTITIES[Role.PLUGGED]})
    untracked = ConfigSubentry(**untracked_data)
    assert builders.vehicle_config(untracked).usual_zone == "zone.home"
    untracked_data["data"] = {**untracked_data["data"], CONF_USUAL_ZONE: "zone.work"}
    chosen = ConfigSubentry(**untracked_data)
    config = builders.vehicle_config(
        chosen,
        {ENTITIES[Role.PLUGGED]: "zone.garage", "sensor.other_wallbox": "zone.work"},
    )
    assert config.usual_zone == "zone.work"
    assert config.charger_zone == "zone.garage"
    assert config.charger_roles == (Role.PLUGGED.value,)


async def test_a_wallbox_only_car_gets_the_solar_share_at_home(
    hass: HomeAssistant, embedded_ledger: Ledger
) -> None:
    """No tracker, only the wallbox's power: charging on solar surplus at home.

    Solar 11 kW, the grid exports 4 kW while the car draws 7 kW: the house uses
    nothing else, so all 7 kWh of the hour are solar (house first), valued free.
    """
    site = {
        "data": {
            CONF_ROLES: {
                Role.SOLAR_POWER.value: "sensor.solar_power",
                Role.GRID_POWER.value: "sensor.grid_power",
            },
            CONF_ZONE: "zone.home",
            CONF_GRID_SIGN: GRID_EXPORT_POSITIVE,
        },
        "subentry_id": "01JSITE0000000000000000001",
        "subentry_type": SUBENTRY_ENERGY_SITE,
        "title": "Home",
        "unique_id": "01JSITE0000000000000000001",
    }
    roles = {
        Role.CHARGER_POWER: ENTITIES[Role.CHARGER_POWER],
        Role.PLUGGED: ENTITIES[Role.PLUGGED],
    }
    embedded_ledger.entry = make_entry(
        embedded_ledger.entry.data, [vehicle_subentry(roles), *_locations(), site]
    )
    embedded_ledger.roles = roles
    noon = at("2026-06-02 12:00")
    fired = async_capture_events(hass, EVENT_SESSION_COMPLETED)
    await embedded_ledger.at(noon - minutes(10))
    hass.states.async_set("sensor.solar_power", "11", {"unit_of_measurement": "kW"})
    hass.states.async_set("sensor.grid_power", "4", {"unit_of_measurement": "kW"})
    await embedded_ledger.setup()
    await embedded_ledger.reading(Reading(noon, Role.PLUGGED, True))
    await embedded_ledger.reading(Reading(noon, Role.CHARGER_POWER, 7.0))
    for minute in range(1, 60):  # the site is sampled on the minute tick
        await embedded_ledger.at(noon + minutes(minute))
    await embedded_ledger.reading(Reading(noon + hours(1), Role.CHARGER_POWER, 0.0))
    await embedded_ledger.reading(
        Reading(noon + hours(1) + minutes(5), Role.PLUGGED, False)
    )
    for minute in range(70, 130, 5):
        await embedded_ledger.at(noon + minutes(minute))
    (event,) = fired
    record = event.data
    assert record["energy_kwh"] == "7.000", record
    assert record["place_source"] == "assumed", record
    assert Decimal(record["solar"]["solar_kwh"]) == Decimal(7)
    assert Decimal(record["solar_share"]) == 1
    assert Decimal(record["cost"]["total"]) == 0  # solar is free at home


async def test_unpriced_sessions_are_counted_in_diagnostics(
    hass: HomeAssistant, embedded_ledger: Ledger
) -> None:
    """A charge at a zone with no location and no default tariff: counted."""
    embedded_ledger.entry = make_entry(
        embedded_ledger.entry.data,
        [vehicle_subentry(), *_locations()[:2]],  # home and work, no default
    )
    fired = async_capture_events(hass, EVENT_SESSION_COMPLETED)
    await embedded_ledger.setup()
    await embedded_ledger.replay(
        [Reading(T - minutes(1), Role.LOCATION, Place("Grandma's")), *_charge(7.0)]
    )
    await embedded_ledger.at(T + hours(3))
    (event,) = fired
    assert event.data["price_gap"] == "no_tariff"
    assert "price_gap" in event.data["flags"]
    assert event.data["cost"] is None
    data = await async_get_config_entry_diagnostics(hass, embedded_ledger.entry)
    (vehicle,) = data["vehicles"].values()
    assert vehicle["engine"]["price_gaps"] == {"no_tariff": 1}
