"""Sensors of EV Ledger: per vehicle (sessions, cost, trips, efficiency), per site."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfEnergy,
    UnitOfEnergyDistance,
    UnitOfLength,
    UnitOfPower,
    UnitOfTime,
)
from homeassistant.core import callback
from homeassistant.helpers.typing import StateType
from homeassistant.util.unit_system import US_CUSTOMARY_SYSTEM

from .entity import EvLedgerEntity
from .logbook import place_name
from .logic.model import ChargeState, CostSource

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .runtime import EvLedgerConfigEntry
    from .site_runtime import SiteRuntime
    from .vehicle_runtime import VehicleRuntime

PARALLEL_UPDATES = 0

CHARGING_STATUS_OPTIONS = [
    ChargeState.DISCONNECTED.value,
    ChargeState.PLUGGED.value,
    ChargeState.CHARGING.value,
    ChargeState.COMPLETE.value,
]
_HUNDRED = Decimal(100)
_KM_PER_MILE = Decimal("1.609344")
# A state not written yet: unequal to any value.
_NOT_WRITTEN = object()

type SensorValue = StateType | Decimal


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _charging_status(vehicle: VehicleRuntime) -> str:
    status = vehicle.charge_status
    # "Not charging, plug unknown" (binary sensors) reads best as plugged.
    return (
        ChargeState.PLUGGED.value
        if status is ChargeState.NOT_CHARGING
        else status.value
    )


def _current(field: str) -> Callable[[VehicleRuntime], SensorValue]:
    def value(vehicle: VehicleRuntime) -> SensorValue:
        current = vehicle.current
        if current is None:
            # No session open: nothing charged, for no time, at no cost (as evcc
            # and a wallbox's app show it), rather than "Unknown" on a dashboard.
            return 0.0 if field == "duration" else Decimal(0)
        if field == "energy_kwh":
            return current.energy_kwh
        if field == "duration":
            return round(current.charging_seconds / 60.0, 1)
        cost = current.cost
        if cost is None or (cost.source is not CostSource.MANUAL and cost.unpriced_kwh):
            return None
        return cost.total

    return value


def _power(vehicle: VehicleRuntime) -> SensorValue:
    session = vehicle.ledger.session
    if session is None or not session.charging:
        return 0.0
    return vehicle.ledger.power_kw


def _last_session_cost(vehicle: VehicleRuntime) -> Decimal | None:
    last = vehicle.last_session
    cost = last.get("cost") if last else None
    if not cost or (
        cost.get("source") != CostSource.MANUAL and _dec(cost.get("unpriced_kwh"))
    ):
        # Energy without a price: the cost is unknown, not the priced part's.
        return None
    return _dec(cost["total"])


def _last_session_energy(vehicle: VehicleRuntime) -> Decimal | None:
    last = vehicle.last_session
    return _dec(last["energy_kwh"]) if last else None


def _last_cost_per_kwh(vehicle: VehicleRuntime) -> SensorValue:
    cost = _last_session_cost(vehicle)
    energy = _last_session_energy(vehicle)
    if cost is None or not energy:
        return None
    return (cost / energy).quantize(Decimal("0.0001"))


def _last_solar_share(vehicle: VehicleRuntime) -> SensorValue:
    last = vehicle.last_session
    share = _dec(last.get("solar_share")) if last else None
    return None if share is None else share * _HUNDRED


def _last_location(vehicle: VehicleRuntime) -> SensorValue:
    """The configured name of the place (a charging location's, a zone's), else away."""
    last = vehicle.last_session
    place = last.get("place") if last else None
    if not place:
        return None
    return place_name(vehicle.hass, place, vehicle.entry_id) or "not_home"


def _last_trip(field: str) -> Callable[[VehicleRuntime], SensorValue]:
    def value(vehicle: VehicleRuntime) -> SensorValue:
        trip = vehicle.last_trip
        return _dec(trip.get(field)) if trip else None

    return value


def _last_trip_efficiency(vehicle: VehicleRuntime) -> SensorValue:
    wh_km = _last_trip("efficiency_wh_km")(vehicle)
    return None if wh_km is None else Decimal(str(wh_km)) / 10


def _rolling_efficiency(vehicle: VehicleRuntime) -> Decimal | None:
    wh_km = vehicle.ledger.efficiency.value()
    return None if wh_km is None else wh_km / 10


def _cost_per_100km(vehicle: VehicleRuntime) -> SensorValue:
    kwh_100km = _rolling_efficiency(vehicle)
    totals = vehicle.totals
    if kwh_100km is None or not totals.energy_kwh:
        return None
    return (kwh_100km * totals.cost / totals.energy_kwh).quantize(Decimal("0.01"))


def _capacity(vehicle: VehicleRuntime) -> SensorValue:
    value = vehicle.ledger.learned_capacity_kwh
    return None if value is None else round(value, 1)


@dataclass(frozen=True, kw_only=True)
class VehicleSensorDescription(SensorEntityDescription):
    """A vehicle sensor: how to read its value from the vehicle's runtime."""

    value_fn: Callable[[VehicleRuntime], SensorValue]
    # Units that depend on the HA currency, e.g. "{currency}/kWh".
    unit_template: str | None = None
    # A value per 100 km, shown per 100 mi where Home Assistant uses US units
    # ("{distance}" in the unit template and the name is the distance unit).
    per_distance: bool = False
    last_reset_fn: Callable[[VehicleRuntime], datetime] | None = None
    # Shows the open session: refreshed at every data-minute of a charge, where the
    # others wait for a record, a total or the minute tick to change.
    live: bool = False


@dataclass(frozen=True, kw_only=True)
class SiteSensorDescription(SensorEntityDescription):
    """An energy-site sensor: how to read its value from the site's runtime."""

    value_fn: Callable[[SiteRuntime], SensorValue]


def _today(field: str) -> Callable[[SiteRuntime], SensorValue]:
    def value(site: SiteRuntime) -> SensorValue:
        today = site.today
        return None if today is None else getattr(today, field)

    return value


_ENERGY = {
    "device_class": SensorDeviceClass.ENERGY,
    "native_unit_of_measurement": UnitOfEnergy.KILO_WATT_HOUR,
    "suggested_display_precision": 2,
}
_MONEY = {
    "device_class": SensorDeviceClass.MONETARY,
    "unit_template": "{currency}",
    "suggested_display_precision": 2,
}
_EFFICIENCY = {
    "device_class": SensorDeviceClass.ENERGY_DISTANCE,
    "native_unit_of_measurement": UnitOfEnergyDistance.KILO_WATT_HOUR_PER_100_KM,
    "state_class": SensorStateClass.MEASUREMENT,
    "suggested_display_precision": 1,
}

VEHICLE_SENSORS: tuple[VehicleSensorDescription, ...] = (
    VehicleSensorDescription(
        key="charging_status",
        translation_key="charging_status",
        live=True,
        device_class=SensorDeviceClass.ENUM,
        options=CHARGING_STATUS_OPTIONS,
        value_fn=_charging_status,
    ),
    VehicleSensorDescription(
        key="session_energy",
        translation_key="session_energy",
        live=True,
        value_fn=_current("energy_kwh"),
        **_ENERGY,  # type: ignore[arg-type]
    ),
    VehicleSensorDescription(
        key="session_power",
        translation_key="session_power",
        live=True,
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=_power,
    ),
    VehicleSensorDescription(
        key="session_duration",
        translation_key="session_duration",
        live=True,
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        suggested_display_precision=0,
        value_fn=_current("duration"),
    ),
    VehicleSensorDescription(
        key="session_cost",
        translation_key="session_cost",
        live=True,
        value_fn=_current("cost"),
        **_MONEY,  # type: ignore[arg-type]
    ),
    VehicleSensorDescription(
        key="last_session_energy",
        translation_key="last_session_energy",
        value_fn=_last_session_energy,
        **_ENERGY,  # type: ignore[arg-type]
    ),
    VehicleSensorDescription(
        key="last_session_cost",
        translation_key="last_session_cost",
        value_fn=_last_session_cost,
        **_MONEY,  # type: ignore[arg-type]
    ),
    VehicleSensorDescription(
        key="last_session_cost_per_kwh",
        translation_key="last_session_cost_per_kwh",
        unit_template="{currency}/kWh",
        suggested_display_precision=3,
        value_fn=_last_cost_per_kwh,
    ),
    VehicleSensorDescription(
        key="last_session_solar_share",
        translation_key="last_session_solar_share",
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        value_fn=_last_solar_share,
    ),
    VehicleSensorDescription(
        key="last_session_location",
        translation_key="last_session_location",
        value_fn=_last_location,
    ),
    VehicleSensorDescription(
        key="energy_charged",
        translation_key="energy_charged",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda v: v.totals.energy_kwh,
        **_ENERGY,  # type: ignore[arg-type]
    ),
    VehicleSensorDescription(
        key="charging_cost",
        translation_key="charging_cost",
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda v: v.totals.cost,
        **_MONEY,  # type: ignore[arg-type]
    ),
    VehicleSensorDescription(
        key="charging_cost_month",
        translation_key="charging_cost_month",
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda v: v.totals.month_cost,
        last_reset_fn=lambda v: v.totals.month_start,
        **_MONEY,  # type: ignore[arg-type]
    ),
    VehicleSensorDescription(
        key="last_trip_distance",
        translation_key="last_trip_distance",
        device_class=SensorDeviceClass.DISTANCE,
        native_unit_of_measurement=UnitOfLength.KILOMETERS,
        suggested_display_precision=1,
        value_fn=_last_trip("distance_km"),
    ),
    VehicleSensorDescription(
        key="last_trip_energy",
        translation_key="last_trip_energy",
        value_fn=_last_trip("energy_kwh"),
        **_ENERGY,  # type: ignore[arg-type]
    ),
    VehicleSensorDescription(
        key="last_trip_efficiency",
        translation_key="last_trip_efficiency",
        value_fn=_last_trip_efficiency,
        **_EFFICIENCY,  # type: ignore[arg-type]
    ),
    VehicleSensorDescription(
        key="rolling_efficiency",
        translation_key="rolling_efficiency",
        value_fn=_rolling_efficiency,
        **_EFFICIENCY,  # type: ignore[arg-type]
    ),
    VehicleSensorDescription(
        key="cost_per_100km",
        translation_key="cost_per_100km",
        unit_template="{currency}/100{distance}",
        per_distance=True,
        suggested_display_precision=2,
        value_fn=_cost_per_100km,
    ),
    VehicleSensorDescription(
        key="learned_capacity",
        translation_key="learned_capacity",
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        suggested_display_precision=1,
        value_fn=_capacity,
    ),
    VehicleSensorDescription(
        key="rejected_readings",
        translation_key="rejected_readings",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda v: v.rejected_total,
    ),
    VehicleSensorDescription(
        key="inferred_records",
        translation_key="inferred_records",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda v: v.ledger.inferred,
    ),
)

SITE_SENSORS: tuple[SiteSensorDescription, ...] = (
    SiteSensorDescription(
        key="solar_produced_today",
        translation_key="solar_produced_today",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=_today("solar_produced_kwh"),
        **_ENERGY,  # type: ignore[arg-type]
    ),
    SiteSensorDescription(
        key="home_consumed_today",
        translation_key="home_consumed_today",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=_today("home_consumed_kwh"),
        **_ENERGY,  # type: ignore[arg-type]
    ),
    SiteSensorDescription(
        key="self_consumption_today",
        translation_key="self_consumption_today",
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        value_fn=_today("self_consumption_pct"),
    ),
    SiteSensorDescription(
        key="self_sufficiency_today",
        translation_key="self_sufficiency_today",
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        value_fn=_today("self_sufficiency_pct"),
    ),
    SiteSensorDescription(
        key="site_rejected_readings",
        translation_key="rejected_readings",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda s: s.rejected_total,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EvLedgerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One set of sensors per vehicle and per energy site, on its subentry."""
    runtime = entry.runtime_data
    for subentry_id, vehicle in runtime.vehicles.items():
        async_add_entities(
            (VehicleSensor(vehicle, description) for description in VEHICLE_SENSORS),
            config_subentry_id=subentry_id,
        )
    for subentry_id, site in runtime.sites.items():
        async_add_entities(
            (SiteSensor(site, description) for description in SITE_SENSORS),
            config_subentry_id=subentry_id,
        )


class VehicleSensor(EvLedgerEntity, SensorEntity):
    """A figure of one vehicle."""

    entity_description: VehicleSensorDescription

    def __init__(
        self, vehicle: VehicleRuntime, description: VehicleSensorDescription
    ) -> None:
        """Bind the description to the vehicle."""
        super().__init__(vehicle, description)
        self._vehicle = vehicle
        # What the state showed when last written (see `_async_refresh`).
        self._shown: object = _NOT_WRITTEN
        self._per_mile = (
            description.per_distance
            and vehicle.hass.config.units is US_CUSTOMARY_SYSTEM
        )
        distance = "mi" if self._per_mile else "km"
        if description.per_distance:
            self._attr_translation_placeholders = {"distance": distance}
        if description.unit_template:
            self._attr_native_unit_of_measurement = description.unit_template.format(
                currency=vehicle.currency, distance=distance
            )

    @property
    def native_value(self) -> SensorValue:
        """The figure, read from the vehicle's runtime."""
        value = self.entity_description.value_fn(self._vehicle)
        if self._per_mile and isinstance(value, Decimal):
            return (value * _KM_PER_MILE).quantize(Decimal("0.01"))
        return value

    @property
    def last_reset(self) -> datetime | None:
        """Start of the period of a periodic total."""
        if self.entity_description.last_reset_fn is None:
            return None
        return self.entity_description.last_reset_fn(self._vehicle)

    async def async_added_to_hass(self) -> None:
        """Follow the vehicle's figures."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self._vehicle.async_add_listener(
                self._async_refresh, live=self.entity_description.live
            )
        )
        self._shown = (self.native_value, self.last_reset)  # written next by HA

    @callback
    def _async_refresh(self) -> None:
        """Write the state only when what it shows changed.

        The vehicle notifies its sensors after every minute of data; most figures
        (totals, the last session, the last trip) change far less often, and an
        unchanged write still costs Home Assistant a state report.
        """
        shown = (self.native_value, self.last_reset)
        if shown != self._shown:
            self._shown = shown
            self.async_write_ha_state()


class SiteSensor(EvLedgerEntity, SensorEntity):
    """A figure of one energy site."""

    entity_description: SiteSensorDescription

    def __init__(self, site: SiteRuntime, description: SiteSensorDescription) -> None:
        """Bind the description to the site."""
        super().__init__(site, description)
        self._site = site
        self._shown: object = _NOT_WRITTEN

    @property
    def native_value(self) -> SensorValue:
        """The figure, read from the site's runtime."""
        return self.entity_description.value_fn(self._site)

    async def async_added_to_hass(self) -> None:
        """Follow the site's figures."""
        await super().async_added_to_hass()
        self.async_on_remove(self._site.async_add_listener(self._async_refresh))
        self._shown = self.native_value  # written next by Home Assistant

    @callback
    def _async_refresh(self) -> None:
        """Write the state only when the figure changed."""
        shown = self.native_value
        if shown != self._shown:
            self._shown = shown
            self.async_write_ha_state()
