"""The simulated entities: keys, devices and the metadata a real integration sets.

Pure data, shared by the scenario (which emits values per key) and the platforms
(which build one entity per spec).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

VEHICLE: Final = "vehicle"
SITE: Final = "site"
TARIFF: Final = "tariff"

# Vehicle keys
BATTERY_LEVEL: Final = "battery_level"
CHARGING_STATE: Final = "charging_state"
PLUG: Final = "plug"
CHARGER_POWER: Final = "charger_power"
SESSION_ENERGY: Final = "session_energy"
ODOMETER: Final = "odometer"
SPEED: Final = "speed"
SHIFT_STATE: Final = "shift_state"
LOCATION: Final = "location"
RANGE: Final = "range"
OUTSIDE_TEMP: Final = "outside_temp"
BATTERY_12V: Final = "battery_12v"  # decoy
CHARGE_LIMIT: Final = "charge_limit"  # decoy
# Site keys
SOLAR_POWER: Final = "solar_power"
GRID_POWER: Final = "grid_power"
BATTERY_POWER: Final = "battery_power"
HOME_LOAD: Final = "home_load"
HOME_BATTERY_LEVEL: Final = "home_battery_level"  # decoy for the car's battery
# Tariff key
PRICE: Final = "price"

CHARGING_OPTIONS: Final = ("disconnected", "stopped", "charging", "complete")
SHIFT_OPTIONS: Final = ("P", "D", "R", "N")


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """A device of the simulator."""

    key: str
    name: str
    model: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EntitySpec:
    """One simulated entity; device_class/unit/state_class are HA's string values."""

    key: str
    device: str
    name: str | None
    platform: str = "sensor"
    device_class: str | None = None
    unit: str | None = None
    state_class: str | None = None
    options: tuple[str, ...] | None = None
    diagnostic: bool = False
    icon: str | None = None
    # A polled sensor that reports every poll, unchanged values included (Home
    # Assistant's `force_update`), as energy meters commonly do.
    polled: bool = False


DEVICES: Final = {
    VEHICLE: DeviceSpec(VEHICLE, "Demo EV", "Simulated electric car"),
    SITE: DeviceSpec(SITE, "Demo home energy", "Simulated solar, battery and meter"),
    TARIFF: DeviceSpec(TARIFF, "Demo tariff", "Simulated dynamic tariff"),
}


ENTITIES: Final[tuple[EntitySpec, ...]] = (
    EntitySpec(
        key=BATTERY_LEVEL,
        device=VEHICLE,
        name="Battery level",
        device_class="battery",
        unit="%",
        state_class="measurement",
    ),
    EntitySpec(
        key=CHARGING_STATE,
        device=VEHICLE,
        name="Charging state",
        device_class="enum",
        options=CHARGING_OPTIONS,
        icon="mdi:ev-station",
    ),
    EntitySpec(
        key=PLUG,
        platform="binary_sensor",
        device=VEHICLE,
        name="Charge cable",
        device_class="plug",
    ),
    EntitySpec(
        key=CHARGER_POWER,
        device=VEHICLE,
        name="Charger power",
        device_class="power",
        unit="kW",
        state_class="measurement",
    ),
    EntitySpec(
        key=SESSION_ENERGY,
        device=VEHICLE,
        name="Charge energy added",
        device_class="energy",
        unit="kWh",
        state_class="total_increasing",
    ),
    EntitySpec(
        key=ODOMETER,
        device=VEHICLE,
        name="Odometer",
        device_class="distance",
        unit="km",
        state_class="total_increasing",
    ),
    EntitySpec(
        key=SPEED,
        device=VEHICLE,
        name="Speed",
        device_class="speed",
        unit="km/h",
        state_class="measurement",
    ),
    EntitySpec(
        key=SHIFT_STATE,
        device=VEHICLE,
        name="Shift state",
        device_class="enum",
        options=SHIFT_OPTIONS,
        icon="mdi:car-shift-pattern",
    ),
    EntitySpec(
        key=LOCATION, platform="device_tracker", device=VEHICLE, name="Location"
    ),
    EntitySpec(
        key=RANGE,
        device=VEHICLE,
        name="Range",
        device_class="distance",
        unit="km",
        state_class="measurement",
    ),
    EntitySpec(
        key=OUTSIDE_TEMP,
        device=VEHICLE,
        name="Outside temperature",
        device_class="temperature",
        unit="°C",
        state_class="measurement",
    ),
    EntitySpec(
        key=BATTERY_12V,
        device=VEHICLE,
        name="12V battery",
        device_class="battery",
        unit="%",
        state_class="measurement",
        diagnostic=True,
    ),
    EntitySpec(
        key=CHARGE_LIMIT,
        device=VEHICLE,
        name="Charge limit",
        device_class="battery",
        unit="%",
    ),
    EntitySpec(
        key=SOLAR_POWER,
        device=SITE,
        polled=True,
        name="Solar power",
        device_class="power",
        unit="W",
        state_class="measurement",
    ),
    EntitySpec(
        key=GRID_POWER,
        device=SITE,
        polled=True,
        name="Grid power",
        device_class="power",
        unit="W",
        state_class="measurement",
    ),
    EntitySpec(
        key=BATTERY_POWER,
        device=SITE,
        polled=True,
        name="Battery power",
        device_class="power",
        unit="kW",
        state_class="measurement",
    ),
    EntitySpec(
        key=HOME_LOAD,
        device=SITE,
        polled=True,
        name="House load",
        device_class="power",
        unit="W",
        state_class="measurement",
    ),
    EntitySpec(
        key=HOME_BATTERY_LEVEL,
        device=SITE,
        polled=True,
        name="Battery level",
        device_class="battery",
        unit="%",
        state_class="measurement",
    ),
    EntitySpec(
        key=PRICE,
        device=TARIFF,
        name="Price",
        unit="EUR/kWh",
        state_class="measurement",
        icon="mdi:currency-eur",
    ),
)
SPECS: Final = {spec.key: spec for spec in ENTITIES}
