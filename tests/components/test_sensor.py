"""Sensors: the entity set per vehicle and per site, and their values."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from homeassistant.helpers import entity_registry as er
from homeassistant.util.unit_system import US_CUSTOMARY_SYSTEM
import pytest

from custom_components.ev_ledger.const import (
    CONF_GRID_SIGN,
    CONF_ROLES,
    CONF_ZONE,
    GRID_EXPORT_POSITIVE,
    SUBENTRY_ENERGY_SITE,
)
from custom_components.ev_ledger.logic.model import Reading, Role
from tests.logic.test_scenarios import T
from tests.logic.trace import hours

from . import scenario
from .conftest import (
    ENTITIES,
    HOME_ID,
    Ledger,
    default_subentries,
    entity_set,
    get_state,
    make_entry,
    plain,
    priced_location_subentry,
    vehicle_subentry,
)

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from syrupy.assertion import SnapshotAssertion

SITE_ID = "01JSITE0000000000000000001"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_vehicle_entities(
    hass: HomeAssistant,
    embedded_ledger: Ledger,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Every vehicle sensor, classed for unit conversion and statistics."""
    await embedded_ledger.setup()
    assert entity_set(hass, entity_registry, embedded_ledger.entry.entry_id) == snapshot


async def test_data_quality_sensors_disabled_by_default(
    hass: HomeAssistant, embedded_ledger: Ledger, entity_registry: er.EntityRegistry
) -> None:
    """Noisy figures are there, but off until a user wants them."""
    await embedded_ledger.setup()
    for key in ("rejected_readings", "inferred_records"):
        entry = entity_registry.async_get(f"sensor.model_y_{key}")
        assert entry is not None
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_rejected_readings_counted(
    hass: HomeAssistant, embedded_ledger: Ledger
) -> None:
    """A power in an unknown unit and a nonsense state are counted, not used."""
    await embedded_ledger.setup()
    power = embedded_ledger.roles[Role.CHARGER_POWER]
    hass.states.async_set(power, "7", {"unit_of_measurement": "horsepower"})
    hass.states.async_set(embedded_ledger.roles[Role.CHARGING_STATE], "banana")
    hass.states.async_set(power, "abc", {"unit_of_measurement": "kW"})
    await hass.async_block_till_done()
    await embedded_ledger.at(T)
    assert get_state(hass, "sensor.model_y_rejected_readings").state == "3"
    health = embedded_ledger.runtime.vehicles[
        next(iter(embedded_ledger.runtime.vehicles))
    ].health()
    assert health["rejected_by_adapter"] == {
        "bad_unit": 1,
        "bad_value": 1,
        "not_numeric": 1,
    }


async def test_energy_site_sensors(
    hass: HomeAssistant, embedded_ledger: Ledger, snapshot: SnapshotAssertion
) -> None:
    """A site with solar and an export-positive grid meter: today's figures."""
    site = {
        "data": {
            CONF_ROLES: {
                Role.SOLAR_POWER.value: "sensor.solar_power",
                Role.GRID_POWER.value: "sensor.grid_power",
            },
            CONF_ZONE: "zone.home",
            CONF_GRID_SIGN: GRID_EXPORT_POSITIVE,
        },
        "subentry_id": SITE_ID,
        "subentry_type": SUBENTRY_ENERGY_SITE,
        "title": "Home",
        "unique_id": SITE_ID,
    }
    embedded_ledger.entry = make_entry(
        embedded_ledger.entry.data, [*default_subentries(), site]
    )
    start = T
    await embedded_ledger.at(start)
    hass.states.async_set("sensor.solar_power", "4000", {"unit_of_measurement": "W"})
    # Exporting 1 kW: the house uses 3 kW of the 4 kW of solar.
    hass.states.async_set("sensor.grid_power", "1", {"unit_of_measurement": "kW"})
    await embedded_ledger.setup()
    for minute in range(1, 61):
        await embedded_ledger.at(start + 60 * minute)
    produced = hass.states.get("sensor.home_solar_energy_today")
    assert produced is not None
    assert Decimal(produced.state) == Decimal("4.000")
    consumed = get_state(hass, "sensor.home_home_consumption_today")
    assert Decimal(consumed.state) == Decimal("3.000")
    assert Decimal(get_state(hass, "sensor.home_self_consumption_today").state) == 75
    assert Decimal(get_state(hass, "sensor.home_self_sufficiency_today").state) == 100
    assert (
        plain(get_state(hass, "sensor.home_solar_energy_today").attributes) == snapshot
    )


async def test_running_session_sensors(
    hass: HomeAssistant, embedded_ledger: Ledger
) -> None:
    """While charging: energy, power, duration and running cost move."""
    ledger = embedded_ledger
    await ledger.at(T - 3600)
    for reading in scenario.before():
        await ledger.reading(reading)
    await ledger.setup()
    charge = [r for r in scenario.charge() if r.ts <= T + 1800]
    await ledger.replay(charge)
    await ledger.at(T + 1800)
    assert get_state(hass, "sensor.model_y_charging_status").state == "charging"
    assert float(get_state(hass, "sensor.model_y_charging_power").state) == 11.0
    # Half an hour at 11 kW at home (0.30 EUR/kWh).
    assert Decimal(
        get_state(hass, "sensor.model_y_current_session_energy").state
    ) == Decimal("5.500")
    assert float(get_state(hass, "sensor.model_y_current_session_duration").state) == 30
    assert Decimal(
        get_state(hass, "sensor.model_y_current_session_cost").state
    ) == Decimal("1.65")


async def test_cost_per_distance_in_miles_with_us_units(
    hass: HomeAssistant, embedded_ledger: Ledger
) -> None:
    """Where Home Assistant uses US units, the cost is per 100 miles."""
    hass.config.units = US_CUSTOMARY_SYSTEM
    await embedded_ledger.at(T - hours(1))
    for reading in scenario.before():
        await embedded_ledger.reading(reading)
    await embedded_ledger.setup()
    await embedded_ledger.replay([*scenario.charge(), *scenario.trip()])
    await embedded_ledger.at(scenario.END)
    # The entity is named for the unit it shows.
    assert hass.states.get("sensor.model_y_cost_per_100_km") is None
    state = get_state(hass, "sensor.model_y_cost_per_100_mi")
    assert state.attributes["unit_of_measurement"] == "EUR/100mi"
    # 3.75 EUR per 100 km (12.5 kWh/100 km at 0.30 EUR/kWh) x 1.609344.
    assert Decimal(state.state) == Decimal("6.04")


async def test_running_cost_of_battery_level_energy(
    hass: HomeAssistant, embedded_ledger: Ledger
) -> None:
    """Plugged in, no charging signal: the battery's rise is energy, and it costs.

    Only the plug and the battery level are mapped, so the session has energy (from
    the level) but no charging window.
    """
    ledger = embedded_ledger
    roles = {r: ENTITIES[r] for r in (Role.PLUGGED, Role.BATTERY_LEVEL)}
    ledger.entry = make_entry(
        ledger.entry.data,
        [vehicle_subentry(roles), *default_subentries()[1:]],
    )
    await ledger.at(T - hours(1))
    await ledger.reading(Reading(T - hours(1), Role.PLUGGED, False))
    await ledger.reading(Reading(T - hours(1), Role.BATTERY_LEVEL, 50.0))
    await ledger.setup()
    await ledger.reading(Reading(T, Role.PLUGGED, True))
    await ledger.reading(Reading(T + hours(1), Role.BATTERY_LEVEL, 60.0))
    await ledger.at(T + hours(1) + 60)
    # 10 % of 75 kWh; no location entity: the session is assumed at the vehicle's
    # usual charging place, home by default, at 0.30 EUR/kWh.
    assert Decimal(
        get_state(hass, "sensor.model_y_current_session_energy").state
    ) == Decimal("7.500")
    assert Decimal(
        get_state(hass, "sensor.model_y_current_session_cost").state
    ) == Decimal("2.25")


async def test_unpriced_energy_has_an_unknown_cost(
    hass: HomeAssistant, embedded_ledger: Ledger
) -> None:
    """A price entity that never had a price: the cost is unknown, not 0.00."""
    ledger = embedded_ledger
    ledger.entry = make_entry(
        ledger.entry.data,
        [
            vehicle_subentry(),
            priced_location_subentry(
                "zone.home", "sensor.spot_price", subentry_id=HOME_ID, title="Home"
            ),
        ],
    )
    hass.states.async_set("sensor.spot_price", "unavailable")
    await ledger.at(T - hours(1))
    for reading in scenario.before():
        await ledger.reading(reading)
    await ledger.setup()
    await ledger.replay([r for r in scenario.charge() if r.ts <= T + 1800])
    await ledger.at(T + 1800)
    assert Decimal(
        get_state(hass, "sensor.model_y_current_session_energy").state
    ) == Decimal("5.500")
    assert get_state(hass, "sensor.model_y_current_session_cost").state == "unknown"

    await ledger.replay([r for r in scenario.charge() if r.ts > T + 1800])
    await ledger.at(T + hours(4))
    assert (
        Decimal(get_state(hass, "sensor.model_y_last_session_energy").state)
        == scenario.SESSION_KWH
    )
    assert get_state(hass, "sensor.model_y_last_session_cost").state == "unknown"
    assert (
        get_state(hass, "sensor.model_y_last_session_cost_per_kwh").state == "unknown"
    )
