"""The demo's week as Home Assistant states, and EV Ledger configured as the demo does.

The simulator (`demo/.../sim`) emits `SimEvent`s; its entities write them with their
simulated timestamps (`hass.states.async_set(..., timestamp=...)`), so the states of
one minute share a timestamp, in the order the simulator emitted them. This module
gives the same states without the simulator's integration: the entity ids its
devices get, the state text and attributes its entities compute, and the subentries
`scripts/demo_configure.py` creates (vehicle, energy site, three charging locations).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from homeassistant.core import State

from custom_components.ev_ledger.const import (
    CONF_BATTERY_SIGN,
    CONF_CAPACITY,
    CONF_GRID_SIGN,
    CONF_LOAD_INCLUDES_EV,
    CONF_NAME,
    CONF_POLICY,
    CONF_ROLES,
    CONF_TARIFF,
    CONF_ZONE,
    LOCATION_DEFAULT,
    SUBENTRY_ENERGY_SITE,
    SUBENTRY_LOCATION,
    SUBENTRY_VEHICLE,
)
from demo.custom_components.ev_ledger_sim.sim import catalog as c
from demo.custom_components.ev_ledger_sim.sim.scenario import SimEvent, week

# Monday 2026-03-02 00:00 in Berlin (CET all week: the clocks change on the 29th).
EPOCH: Final = 1_772_406_000.0
TIME_ZONE: Final = "Europe/Berlin"
VEHICLE_ID: Final = "01JDEMOVEHICLE000000000001"
SITE_ID: Final = "01JDEMOSITE000000000000001"
HOME_ID: Final = "01JDEMOLOCATION00000000001"
WORK_ID: Final = "01JDEMOLOCATION00000000002"
FAST_ID: Final = "01JDEMOLOCATION00000000003"

# The entity ids of the simulator's devices ("Demo EV", "Demo home energy",
# "Demo tariff"), as scripts/demo_configure.py maps them.
ENTITY_IDS: Final = {
    c.BATTERY_LEVEL: "sensor.demo_ev_battery_level",
    c.CHARGING_STATE: "sensor.demo_ev_charging_state",
    c.PLUG: "binary_sensor.demo_ev_charge_cable",
    c.CHARGER_POWER: "sensor.demo_ev_charger_power",
    c.SESSION_ENERGY: "sensor.demo_ev_charge_energy_added",
    c.ODOMETER: "sensor.demo_ev_odometer",
    c.SPEED: "sensor.demo_ev_speed",
    c.SHIFT_STATE: "sensor.demo_ev_shift_state",
    c.LOCATION: "device_tracker.demo_ev_location",
    c.RANGE: "sensor.demo_ev_range",
    c.OUTSIDE_TEMP: "sensor.demo_ev_outside_temperature",
    c.BATTERY_12V: "sensor.demo_ev_12v_battery",
    c.CHARGE_LIMIT: "sensor.demo_ev_charge_limit",
    c.SOLAR_POWER: "sensor.demo_home_energy_solar_power",
    c.GRID_POWER: "sensor.demo_home_energy_grid_power",
    c.BATTERY_POWER: "sensor.demo_home_energy_battery_power",
    c.HOME_LOAD: "sensor.demo_home_energy_house_load",
    c.HOME_BATTERY_LEVEL: "sensor.demo_home_energy_battery_level",
    c.PRICE: "sensor.demo_tariff_price",
}
VEHICLE_ROLES: Final = {
    "battery_level": ENTITY_IDS[c.BATTERY_LEVEL],
    "charging_state": ENTITY_IDS[c.CHARGING_STATE],
    "plugged": ENTITY_IDS[c.PLUG],
    "charger_power": ENTITY_IDS[c.CHARGER_POWER],
    "session_energy": ENTITY_IDS[c.SESSION_ENERGY],
    "odometer": ENTITY_IDS[c.ODOMETER],
    "speed": ENTITY_IDS[c.SPEED],
    "shift_state": ENTITY_IDS[c.SHIFT_STATE],
    "location": ENTITY_IDS[c.LOCATION],
    "range": ENTITY_IDS[c.RANGE],
    "outside_temp": ENTITY_IDS[c.OUTSIDE_TEMP],
}
SITE_ROLES: Final = {
    "solar_power": ENTITY_IDS[c.SOLAR_POWER],
    "grid_power": ENTITY_IDS[c.GRID_POWER],
    "battery_power": ENTITY_IDS[c.BATTERY_POWER],
    "home_load": ENTITY_IDS[c.HOME_LOAD],
}


def subentries() -> list[dict[str, Any]]:
    """The vehicle, the energy site and the locations of the demo's set-up."""

    def location(
        subentry_id: str, zone: str, title: str, tariff: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "data": {
                CONF_NAME: title,
                CONF_ZONE: zone,
                CONF_TARIFF: {"currency": "EUR", **tariff},
            },
            "subentry_id": subentry_id,
            "subentry_type": SUBENTRY_LOCATION,
            "title": title,
            "unique_id": subentry_id,
        }

    return [
        {
            "data": {
                CONF_NAME: "Demo EV",
                CONF_ROLES: VEHICLE_ROLES,
                CONF_CAPACITY: 75.0,
            },
            "subentry_id": VEHICLE_ID,
            "subentry_type": SUBENTRY_VEHICLE,
            "title": "Demo EV",
            "unique_id": VEHICLE_ID,
        },
        {
            "data": {
                CONF_NAME: "Home",
                CONF_ROLES: SITE_ROLES,
                CONF_ZONE: "zone.home",
                CONF_GRID_SIGN: "import_positive",
                CONF_BATTERY_SIGN: "discharge_positive",
                CONF_LOAD_INCLUDES_EV: True,
                CONF_POLICY: "house_first",
            },
            "subentry_id": SITE_ID,
            "subentry_type": SUBENTRY_ENERGY_SITE,
            "title": "Home",
            "unique_id": SITE_ID,
        },
        location(
            HOME_ID,
            "zone.home",
            "Home",
            {
                "kind": "price_entity",
                "price_series_id": ENTITY_IDS[c.PRICE],
                "solar_valuation": "feed_in",
                "feed_in_price": "0.08",
            },
        ),
        location(
            WORK_ID,
            "zone.work",
            "Work charger",
            {"kind": "fixed", "price_per_kwh": "0.39", "session_fee": "1.0"},
        ),
        location(
            FAST_ID,
            LOCATION_DEFAULT,
            "Fast chargers",
            {"kind": "fixed", "price_per_kwh": "0.59"},
        ),
    ]


def state_text(event: SimEvent) -> tuple[str, dict[str, Any]]:
    """The state and attributes the simulator's entity writes for an event."""
    spec = c.SPECS[event.key]
    attributes: dict[str, Any] = {}
    if spec.unit is not None:
        attributes["unit_of_measurement"] = spec.unit
    if spec.device_class is not None:
        attributes["device_class"] = spec.device_class
    if spec.state_class is not None:
        attributes["state_class"] = spec.state_class
    if spec.options:
        attributes["options"] = list(spec.options)
    if spec.platform == "device_tracker":
        attributes = {"source_type": "gps", **dict(event.attributes)}
        return str(event.value), attributes
    value = event.value
    if spec.platform == "binary_sensor":
        return ("on" if value else "off"), attributes
    return str(value), attributes


def states(
    events: list[SimEvent] | None = None, *, epoch: float = EPOCH
) -> list[tuple[float, str, State]]:
    """The week's states in the order the simulator writes them: (ts, entity, state)."""
    out: list[tuple[float, str, State]] = []
    for event in week() if events is None else events:
        ts = epoch + event.offset
        entity_id = ENTITY_IDS[event.key]
        text, attributes = state_text(event)
        when = datetime.fromtimestamp(ts, UTC)
        out.append(
            (ts, entity_id, State(entity_id, text, attributes, last_updated=when))
        )
    return out
