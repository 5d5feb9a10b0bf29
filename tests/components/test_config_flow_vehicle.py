"""Vehicle subentries: device pick, proposed mapping from real entity sets, review."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_ledger.const import DOMAIN
from custom_components.ev_ledger.flow_mapping import entity_info
from custom_components.ev_ledger.logic.mapping import EntityInfo, propose_mapping
from tests.components.flow_helpers import (
    BRANDS,
    SITES,
    WALLBOXES,
    add_ledger,
    assert_translated,
    flow_environment,  # noqa: F401
    form_values,
    load_brand,
    register_device,
    subentries,
)

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

DEFAULT_THRESHOLDS = {
    "session_grace_s": 120.0,
    "activity_gap_s": 1800.0,
    "trip_end_s": 300.0,
    "trip_merge_s": 600.0,
    "min_session_kwh": 0.05,
    "min_session_s": 60.0,
    "min_trip_km": 0.2,
    "power_method": "zoh",
    "charging_negative": False,
}
TESLA_VIN = "5YJ3E1EA7JF000316"  # valid check digit (North America)


async def _start(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "vehicle"), context={"source": SOURCE_USER}
    )
    assert_translated(result, "vehicle")
    return result


async def _submit(hass: HomeAssistant, flow_id: str, data: dict[str, Any]) -> Any:
    result = await hass.config_entries.subentries.async_configure(flow_id, data)
    assert_translated(result, "vehicle")
    return result


def _roles_shown(result: Any) -> dict[str, str]:
    values = form_values(result)
    return {
        k: v
        for k, v in values.items()
        if k not in {"name", "thresholds", "usable_capacity_kwh", "vin"}
    }


@pytest.mark.parametrize(
    ("family", "brand"),
    [("vehicles", b) for b in BRANDS] + [("wallboxes", b) for b in WALLBOXES],
)
async def test_proposal_from_the_registry_matches_the_engine(
    hass: HomeAssistant, family: str, brand: str
) -> None:
    """Registry entries carry every fact the proposal uses, for every brand."""
    entry = add_ledger(hass)
    device_id = register_device(hass, brand, family=family)
    rows = load_brand(brand, family)
    expected = propose_mapping(EntityInfo.from_dict(row) for row in rows)
    assert expected.mapping

    result = await _start(hass, entry)
    result = await _submit(hass, result["flow_id"], {"device_id": device_id})

    assert result["step_id"] == "review"
    assert _roles_shown(result) == {r.value: e for r, e in expected.mapping.items()}
    assert form_values(result)["name"] == brand.replace("_", " ").title()


async def test_tesla_accepted_as_proposed(hass: HomeAssistant) -> None:
    entry = add_ledger(hass)
    device_id = register_device(hass, "tesla_teslemetry")
    result = await _start(hass, entry)
    result = await _submit(hass, result["flow_id"], {"device_id": device_id})
    values = form_values(result)
    assert values["thresholds"] == DEFAULT_THRESHOLDS

    result = await _submit(hass, result["flow_id"], {**values, "name": "Roadrunner"})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    (vehicle,) = subentries(entry, "vehicle")
    assert vehicle.title == "Roadrunner"
    assert vehicle.unique_id == f"vehicle:{device_id}"
    assert vehicle.data["roles"]["battery_level"] == "sensor.roadrunner_battery_level"
    assert vehicle.data["roles"]["charging_state"] == "sensor.roadrunner_charging"
    assert vehicle.data["roles"]["plugged"] == "binary_sensor.roadrunner_charge_cable"
    assert vehicle.data == {
        "name": "Roadrunner",
        "device_id": device_id,
        "roles": vehicle.data["roles"],
        "usable_capacity_kwh": None,
        "vin": None,
        "thresholds": {},
    }

    # A second vehicle on the same device is refused on the field.
    result = await _start(hass, entry)
    result = await _submit(hass, result["flow_id"], {"device_id": device_id})
    assert result["errors"] == {"device_id": "device_in_use"}


async def test_review_selectors_are_filtered(hass: HomeAssistant) -> None:
    entry = add_ledger(hass)
    device_id = register_device(hass, "fordpass")
    result = await _start(hass, entry)
    result = await _submit(hass, result["flow_id"], {"device_id": device_id})
    selectors = {
        str(k): v.config
        for k, v in result["data_schema"].schema.items()
        if str(k) != "thresholds"
    }

    assert selectors["charger_power"]["domain"] == ["sensor"]
    assert selectors["charger_power"]["filter"] == [
        {"domain": ["sensor"], "device_class": ["power"]}
    ]
    assert selectors["location"]["domain"] == ["device_tracker"]
    # FordPass reports the battery level with a unit but no device class: the filter
    # must not hide the proposed entity.
    assert form_values(result)["battery_level"].endswith("_soc")
    assert "filter" not in selectors["battery_level"]


async def test_manual_mapping_with_errors_then_fixed(hass: HomeAssistant) -> None:
    entry = add_ledger(hass)
    hass.states.async_set("sensor.car_soc", "55", {"unit_of_measurement": "%"})
    hass.states.async_set("sensor.car_power", "7.2", {"unit_of_measurement": "kWh"})
    hass.states.async_set("sensor.car_odometer", "12000", {"unit_of_measurement": "km"})
    result = await _start(hass, entry)
    result = await _submit(hass, result["flow_id"], {})
    assert result["step_id"] == "review"
    assert _roles_shown(result) == {}

    thresholds = {
        **DEFAULT_THRESHOLDS,
        "trip_end_s": 900.0,
        "power_method": "trapezoid",
        "charging_negative": True,
    }
    result = await _submit(
        hass,
        result["flow_id"],
        {"name": "  ", "odometer": "sensor.car_odometer", "thresholds": thresholds},
    )
    assert result["errors"] == {"name": "name_required", "base": "no_charging_signal"}

    result = await _submit(
        hass,
        result["flow_id"],
        {
            "name": "Zoe",
            "battery_level": "sensor.car_soc",
            "charger_power": "sensor.car_power",
            "speed": "sensor.nowhere",
            "vin": "not a vin",
            "thresholds": thresholds,
        },
    )
    assert result["errors"] == {
        "charger_power": "unsupported_unit",
        "speed": "entity_not_found",
        "vin": "invalid_vin",
    }
    # What was entered stays on the form.
    assert form_values(result)["thresholds"]["trip_end_s"] == 900.0
    assert form_values(result)["vin"] == "not a vin"

    hass.states.async_set("sensor.car_power", "7.2", {"unit_of_measurement": "kW"})
    result = await _submit(
        hass,
        result["flow_id"],
        {
            "name": "Zoe",
            "battery_level": "sensor.car_soc",
            "charger_power": "sensor.car_power",
            "usable_capacity_kwh": 52,
            "vin": "vf1 ag000 166 123456",
            "thresholds": thresholds,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (vehicle,) = subentries(entry, "vehicle")
    assert vehicle.unique_id is None
    assert vehicle.data == {
        "name": "Zoe",
        "device_id": None,
        "roles": {
            "battery_level": "sensor.car_soc",
            "charger_power": "sensor.car_power",
        },
        "usable_capacity_kwh": 52.0,
        "vin": "VF1AG000166123456",
        "thresholds": {
            "trip_end_s": 900.0,
            "power_method": "trapezoid",
            "charging_negative": True,
        },
    }


async def test_device_without_usable_entities(hass: HomeAssistant) -> None:
    entry = add_ledger(hass)
    integration = MockConfigEntry(domain="lamp")
    integration.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=integration.entry_id, identifiers={("lamp", "1")}, name="Lamp"
    )
    # Our own entities on a device never count as the car's.
    er.async_get(hass).async_get_or_create(
        "sensor", DOMAIN, "x", device_id=device.id, config_entry=integration
    )
    result = await _start(hass, entry)
    result = await _submit(hass, result["flow_id"], {"device_id": device.id})
    assert result["errors"] == {"device_id": "no_entities"}
    result = await _submit(hass, result["flow_id"], {"device_id": "gone"})
    assert result["errors"] == {"device_id": "no_entities"}

    result = await _submit(hass, result["flow_id"], {})
    assert result["step_id"] == "review"


async def test_reconfigure_vehicle(hass: HomeAssistant) -> None:
    entry = add_ledger(hass)
    device_id = register_device(hass, "kia_uvo")
    result = await _start(hass, entry)
    result = await _submit(hass, result["flow_id"], {"device_id": device_id})
    values = form_values(result)
    thresholds = {**values["thresholds"], "min_trip_km": 1.0}
    result = await _submit(
        hass,
        result["flow_id"],
        {**values, "usable_capacity_kwh": 74, "thresholds": thresholds},
    )
    (vehicle,) = subentries(entry, "vehicle")

    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "vehicle"),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": vehicle.subentry_id},
    )
    assert result["step_id"] == "review"
    values = form_values(result)
    assert values["usable_capacity_kwh"] == 74.0
    assert values["thresholds"]["min_trip_km"] == 1.0
    assert values["odometer"] == "sensor.ev6_odometer"
    del values["odometer"]
    del values["usable_capacity_kwh"]
    values["name"] = "EV6"

    result = await _submit(hass, result["flow_id"], values)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    vehicle = entry.subentries[vehicle.subentry_id]
    assert vehicle.title == "EV6"
    assert "odometer" not in vehicle.data["roles"]
    assert vehicle.data["usable_capacity_kwh"] is None
    assert vehicle.data["thresholds"] == {"min_trip_km": 1.0}
    assert vehicle.data["device_id"] == device_id


async def test_entity_info_falls_back_to_the_state(hass: HomeAssistant) -> None:
    registry = er.async_get(hass)
    registry.async_get_or_create("sensor", "mqtt", "w", suggested_object_id="wallbox")
    hass.states.async_set(
        "sensor.wallbox",
        "3",
        {
            "unit_of_measurement": "kW",
            "device_class": "power",
            "state_class": "measurement",
            "options": ["a"],
        },
    )
    info = entity_info(hass, "sensor.wallbox")
    assert info is not None
    assert (info.unit, info.device_class, info.state_class, info.options) == (
        "kW",
        "power",
        "measurement",
        ("a",),
    )
    hass.states.async_set(
        "sensor.template_power", "1", {"unit_of_measurement": "W", "friendly_name": "P"}
    )
    info = entity_info(hass, "sensor.template_power")
    assert info == EntityInfo(
        entity_id="sensor.template_power", domain="sensor", unit="W", name="P"
    )
    assert entity_info(hass, "sensor.none") is None


@pytest.mark.parametrize("site", SITES)
async def test_energy_site_device_is_refused(hass: HomeAssistant, site: str) -> None:
    """Solar and battery powers are no charger power, a lifetime yield no meter."""
    entry = add_ledger(hass)
    device_id = register_device(hass, site, family="sites")
    result = await _start(hass, entry)
    result = await _submit(hass, result["flow_id"], {"device_id": device_id})
    assert result["step_id"] == "user"
    assert result["errors"] == {"device_id": "device_is_energy_site"}

    result = await _submit(hass, result["flow_id"], {})
    assert result["step_id"] == "review"
    assert _roles_shown(result) == {}


def _car(hass: HomeAssistant, name: str) -> dict[str, str]:
    """A car's own entities (states only, as a template or MQTT car would have)."""
    hass.states.async_set(f"sensor.{name}_battery", "60", {"unit_of_measurement": "%"})
    hass.states.async_set(f"binary_sensor.{name}_plug", "on")
    return {
        "battery_level": f"sensor.{name}_battery",
        "plugged": f"binary_sensor.{name}_plug",
    }


async def _add_vehicle(
    hass: HomeAssistant, entry: MockConfigEntry, name: str, roles: dict[str, str]
) -> Any:
    result = await _start(hass, entry)
    result = await _submit(hass, result["flow_id"], {})
    return await _submit(
        hass,
        result["flow_id"],
        {"name": name, **roles, "thresholds": DEFAULT_THRESHOLDS},
    )


async def test_another_vehicles_entity_is_refused(hass: HomeAssistant) -> None:
    """Finding 6: a second car mapped onto the first car's entities."""
    entry = add_ledger(hass)
    first = _car(hass, "ioniq")
    result = await _add_vehicle(hass, entry, "Ioniq", first)
    assert result["type"] is FlowResultType.CREATE_ENTRY

    second = _car(hass, "zoe")
    result = await _add_vehicle(
        hass, entry, "Zoe", {**second, "battery_level": first["battery_level"]}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"battery_level": "entity_in_use"}
    assert result["description_placeholders"] == {"owners": "Ioniq"}

    result = await _submit(
        hass,
        result["flow_id"],
        {"name": "Zoe", **second, "thresholds": DEFAULT_THRESHOLDS},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert len(subentries(entry, "vehicle")) == 2


async def test_two_cars_share_a_wallbox(hass: HomeAssistant) -> None:
    """The wallbox's power and meter serve both cars; its status serves neither."""
    entry = add_ledger(hass)
    register_device(hass, "easee", family="wallboxes")
    wallbox = {
        "charger_power": "sensor.eh123456_power",
        "evse_energy": "sensor.eh123456_lifetime_energy",
    }
    result = await _add_vehicle(
        hass, entry, "Ioniq", {**_car(hass, "ioniq"), **wallbox}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY

    # Without a charging signal of its own, the second car cannot tell its sessions
    # from the first car's.
    zoe = _car(hass, "zoe")
    result = await _add_vehicle(
        hass, entry, "Zoe", {"battery_level": zoe["battery_level"], **wallbox}
    )
    assert result["errors"] == {
        "charger_power": "shared_charger_needs_car_signal",
        "evse_energy": "shared_charger_needs_car_signal",
    }
    assert result["description_placeholders"] == {"owners": "Ioniq"}

    # Nor with the shared wallbox's own status: it would open a session on both.
    form = {"name": "Zoe", **zoe, **wallbox, "thresholds": DEFAULT_THRESHOLDS}
    result = await _submit(
        hass, result["flow_id"], {**form, "charging_state": "sensor.eh123456_status"}
    )
    assert result["errors"] == {"charging_state": "shared_charger_signal"}

    result = await _submit(hass, result["flow_id"], form)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    ioniq, zoe_entry = subentries(entry, "vehicle")
    assert zoe_entry.data["roles"]["charger_power"] == wallbox["charger_power"]

    # A car's own entity stays its own; without it, no share of the wallbox either.
    result = await _add_vehicle(
        hass,
        entry,
        "Kona",
        {**_car(hass, "kona"), "plugged": zoe["plugged"], **wallbox},
    )
    assert result["errors"] == {
        "plugged": "entity_in_use",
        "charger_power": "shared_charger_needs_car_signal",
        "evse_energy": "shared_charger_needs_car_signal",
    }
    assert result["description_placeholders"] == {"owners": "Ioniq, Zoe"}

    # Reconfiguring one of the sharing cars does not trip over itself.
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "vehicle"),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": ioniq.subentry_id},
    )
    result = await _submit(hass, result["flow_id"], form_values(result))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"


async def test_usual_charging_location(hass: HomeAssistant) -> None:
    """The usual place is stored when chosen, shown again, and left out when not."""
    entry = add_ledger(hass)
    hass.states.async_set("binary_sensor.car_plug", "off")
    result = await _add_vehicle(
        hass,
        entry,
        "Car",
        {"plugged": "binary_sensor.car_plug", "usual_zone": "zone.work"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (vehicle,) = subentries(entry, "vehicle")
    assert vehicle.data["usual_zone"] == "zone.work"

    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "vehicle"),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": vehicle.subentry_id},
    )
    values = form_values(result)
    assert values["usual_zone"] == "zone.work"
    del values["usual_zone"]  # cleared: back to the default
    result = await _submit(hass, result["flow_id"], values)
    assert result["reason"] == "reconfigure_successful"
    assert "usual_zone" not in entry.subentries[vehicle.subentry_id].data


async def test_ev_ledgers_own_device_is_refused(hass: HomeAssistant) -> None:
    """EV Ledger's device for a vehicle has sensors too: picked, it is refused."""
    entry = add_ledger(hass)
    own = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, "01JVEHICLE0000000000000009")},
        name="Model Y",
    )
    er.async_get(hass).async_get_or_create(
        "sensor",
        DOMAIN,
        "01JVEHICLE0000000000000009-energy_charged",
        config_entry=entry,
        device_id=own.id,
    )
    result = await _start(hass, entry)
    result = await _submit(hass, result["flow_id"], {"device_id": own.id})
    assert result["step_id"] == "user"
    assert result["errors"] == {"device_id": "device_is_ev_ledger"}
