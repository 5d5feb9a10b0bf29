"""Role mapping proposals for real integrations' entity sets, decoys included.

Fixture families, each written from an integration's source (see each file's
"source"): cars in `vehicles/` (the README lists them all), wallboxes in `wallboxes/`,
energy sites in `sites/`.
Every role of every fixture is expected exactly, and no decoy is ever chosen.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.ev_ledger.logic.mapping import (
    SHAREABLE_ROLES,
    VEHICLE_ROLES,
    DeviceKind,
    EntityInfo,
    MappingProposal,
    ReuseError,
    ReuseProblem,
    detect_kind,
    entity_reuse,
    propose_mapping,
)
from custom_components.ev_ledger.logic.model import Role
from custom_components.ev_ledger.logic.site import SITE_ROLES

ROOT = Path(__file__).parents[1] / "fixtures"
FIXTURES = ROOT / "vehicles"


def load(brand: str, family: str = "vehicles") -> list[dict[str, Any]]:
    data = json.loads((ROOT / family / f"{brand}.json").read_text())
    rows: list[dict[str, Any]] = data["entities"]
    return rows


def entities(brand: str, family: str = "vehicles") -> list[EntityInfo]:
    return [EntityInfo.from_dict(row) for row in load(brand, family)]


R = Role

EXPECTED: dict[str, dict[Role, str]] = {
    "tesla_teslemetry": {
        R.BATTERY_LEVEL: "sensor.roadrunner_battery_level",
        R.CHARGING_STATE: "sensor.roadrunner_charging",
        R.PLUGGED: "binary_sensor.roadrunner_charge_cable",
        R.CHARGER_POWER: "sensor.roadrunner_charger_power",
        R.CHARGER_VOLTAGE: "sensor.roadrunner_charger_voltage",
        R.CHARGER_CURRENT: "sensor.roadrunner_charger_current",
        R.SESSION_ENERGY: "sensor.roadrunner_charge_energy_added",
        R.ODOMETER: "sensor.roadrunner_odometer",
        R.SPEED: "sensor.roadrunner_speed",
        R.SHIFT_STATE: "sensor.roadrunner_shift_state",
        R.LOCATION: "device_tracker.roadrunner_location",
        R.RANGE: "sensor.roadrunner_battery_range",
        R.OUTSIDE_TEMP: "sensor.roadrunner_outside_temperature",
        R.CHARGER_TYPE: "sensor.roadrunner_fast_charger_type",
    },
    "kia_uvo": {
        R.BATTERY_LEVEL: "sensor.ev6_ev_battery_level",
        R.CHARGING_STATE: "binary_sensor.ev6_ev_battery_charge",
        R.PLUGGED: "binary_sensor.ev6_ev_battery_plug",
        R.CHARGER_POWER: "sensor.ev6_ev_charging_power",
        R.ODOMETER: "sensor.ev6_odometer",
        R.LOCATION: "device_tracker.ev6_location",
        R.RANGE: "sensor.ev6_ev_range",
    },
    "fordpass": {
        R.BATTERY_LEVEL: "sensor.fordpass_wf0tk3r7xpma01234_soc",
        R.CHARGING_STATE: "sensor.fordpass_wf0tk3r7xpma01234_elvehcharging",
        R.PLUGGED: "sensor.fordpass_wf0tk3r7xpma01234_elvehplug",
        R.ODOMETER: "sensor.fordpass_wf0tk3r7xpma01234_odometer",
        R.SPEED: "sensor.fordpass_wf0tk3r7xpma01234_speed",
        R.SHIFT_STATE: "sensor.fordpass_wf0tk3r7xpma01234_gearleverposition",
        R.LOCATION: "device_tracker.fordpass_wf0tk3r7xpma01234_tracker",
        R.RANGE: "sensor.fordpass_wf0tk3r7xpma01234_elveh",
        R.OUTSIDE_TEMP: "sensor.fordpass_wf0tk3r7xpma01234_outsidetemp",
    },
    "volkswagen_we_connect_id": {
        R.BATTERY_LEVEL: "sensor.volkswagen_id_komo_state_of_charge",
        R.CHARGING_STATE: "sensor.volkswagen_id_komo_charging_state",
        R.PLUGGED: "binary_sensor.volkswagen_id_komo_plug_connection_state",
        R.CHARGER_POWER: "sensor.volkswagen_id_komo_charge_power",
        R.ODOMETER: "sensor.volkswagen_id_komo_odometer",
        R.LOCATION: "device_tracker.volkswagen_id_komo_position",
        R.RANGE: "sensor.volkswagen_id_komo_range",
        R.CHARGER_TYPE: "sensor.volkswagen_id_komo_charge_type",
    },
    "bmw_connected_drive": {
        R.BATTERY_LEVEL: "sensor.i4_edrive40_remaining_battery_percent",
        R.CHARGING_STATE: "sensor.i4_edrive40_charging_status",
        R.PLUGGED: "binary_sensor.i4_edrive40_charging_connection_status",
        R.ODOMETER: "sensor.i4_edrive40_mileage",
        R.LOCATION: "device_tracker.i4_edrive40",
        R.RANGE: "sensor.i4_edrive40_remaining_range_electric",
    },
    "renault": {
        R.BATTERY_LEVEL: "sensor.reg_number_battery",
        R.CHARGING_STATE: "sensor.reg_number_charge_state",
        R.PLUGGED: "binary_sensor.reg_number_plug",
        R.CHARGER_POWER: "sensor.reg_number_charging_power",
        R.ODOMETER: "sensor.reg_number_mileage",
        R.LOCATION: "device_tracker.reg_number_location",
        R.RANGE: "sensor.reg_number_battery_autonomy",
        R.OUTSIDE_TEMP: "sensor.reg_number_outside_temperature",
    },
    "easee": {
        R.CHARGING_STATE: "sensor.eh123456_status",
        R.CHARGER_POWER: "sensor.eh123456_power",
        R.CHARGER_VOLTAGE: "sensor.eh123456_voltage",
        R.CHARGER_CURRENT: "sensor.eh123456_current",
        R.EVSE_ENERGY: "sensor.eh123456_lifetime_energy",
    },
    # A plug-in hybrid: the fuel range, tank and trip meters are decoys.
    "volvo": {
        R.BATTERY_LEVEL: "sensor.volvo_xc60_battery",
        R.CHARGING_STATE: "sensor.volvo_xc60_charging_status",
        R.PLUGGED: "sensor.volvo_xc60_charging_connection_status",
        R.CHARGER_POWER: "sensor.volvo_xc60_charging_power",
        R.ODOMETER: "sensor.volvo_xc60_odometer",
        R.LOCATION: "device_tracker.volvo_xc60_location",
        R.RANGE: "sensor.volvo_xc60_distance_to_empty_battery",
        R.CHARGER_TYPE: "sensor.volvo_xc60_charging_type",
    },
    # The charging status is a raw number (0 charging, 3 unplugged) and the inlet
    # coupler too: the binary "Charging active" is the charging state, and no plug.
    "mercedes_mbapi2020": {
        R.BATTERY_LEVEL: "sensor.s_mb_2020_state_of_charge",
        R.CHARGING_STATE: "binary_sensor.s_mb_2020_charging_active",
        R.CHARGER_POWER: "sensor.s_mb_2020_charging_power",
        R.ODOMETER: "sensor.s_mb_2020_odometer",
        R.LOCATION: "device_tracker.s_mb_2020_device_tracker",
        R.RANGE: "sensor.s_mb_2020_range_electric",
    },
    "skoda_myskoda": {
        R.BATTERY_LEVEL: "sensor.skoda_enyaq_battery_percentage",
        R.CHARGING_STATE: "sensor.skoda_enyaq_charging_state",
        R.PLUGGED: "binary_sensor.skoda_enyaq_charger_connected",
        R.CHARGER_POWER: "sensor.skoda_enyaq_charging_power",
        R.ODOMETER: "sensor.skoda_enyaq_mileage",
        R.LOCATION: "device_tracker.skoda_enyaq_skoda_enyaq",
        R.RANGE: "sensor.skoda_enyaq_range",
        R.OUTSIDE_TEMP: "sensor.skoda_enyaq_outside_temperature",
        R.CHARGER_TYPE: "sensor.skoda_enyaq_charge_type",
    },
    # Two sensors without an English name: the charging type takes the device's
    # name (only its translation key says what it is), the voltage its class's.
    "polestar": {
        R.BATTERY_LEVEL: "sensor.polestar_1234_battery_charge_level",
        R.CHARGING_STATE: "sensor.polestar_1234_charging_status",
        R.PLUGGED: "sensor.polestar_1234_charger_connection_status",
        R.CHARGER_POWER: "sensor.polestar_1234_charging_power",
        R.CHARGER_VOLTAGE: "sensor.polestar_1234_voltage",
        R.CHARGER_CURRENT: "sensor.polestar_1234_charging_current",
        R.ODOMETER: "sensor.polestar_1234_odometer",
        R.RANGE: "sensor.polestar_1234_range",
        R.CHARGER_TYPE: "sensor.polestar_1234",
    },
    "audi_audiconnect": {
        R.BATTERY_LEVEL: "sensor.q4_e_tron_state_of_charge",
        R.CHARGING_STATE: "sensor.q4_e_tron_charging_state",
        R.PLUGGED: "binary_sensor.q4_e_tron_plug_state",
        R.CHARGER_POWER: "sensor.q4_e_tron_charging_power",
        R.ODOMETER: "sensor.q4_e_tron_mileage",
        R.LOCATION: "device_tracker.q4_e_tron_position",
        R.RANGE: "sensor.q4_e_tron_range",
        R.OUTSIDE_TEMP: "sensor.q4_e_tron_outdoor_temperature",
        R.CHARGER_TYPE: "sensor.q4_e_tron_charging_type",
    },
    # Tessie: only the usable battery level; the binary "Charging" is disabled.
    "tessie": {
        R.BATTERY_LEVEL: "sensor.ludwig_battery_level",
        R.CHARGING_STATE: "sensor.ludwig_charging",
        R.PLUGGED: "binary_sensor.ludwig_charge_cable",
        R.CHARGER_POWER: "sensor.ludwig_charger_power",
        R.CHARGER_VOLTAGE: "sensor.ludwig_charger_voltage",
        R.CHARGER_CURRENT: "sensor.ludwig_charger_current",
        R.SESSION_ENERGY: "sensor.ludwig_charge_energy_added",
        R.ODOMETER: "sensor.ludwig_odometer",
        R.SPEED: "sensor.ludwig_speed",
        R.SHIFT_STATE: "sensor.ludwig_shift_state",
        R.LOCATION: "device_tracker.ludwig_location",
        R.RANGE: "sensor.ludwig_battery_range",
        R.OUTSIDE_TEMP: "sensor.ludwig_outside_temperature",
    },
    # Speed, shift state and odometer are disabled by default, still the only ones.
    "tesla_fleet": {
        R.BATTERY_LEVEL: "sensor.model_y_battery_level",
        R.CHARGING_STATE: "sensor.model_y_charging",
        R.PLUGGED: "binary_sensor.model_y_charge_cable",
        R.CHARGER_POWER: "sensor.model_y_charger_power",
        R.CHARGER_VOLTAGE: "sensor.model_y_charger_voltage",
        R.CHARGER_CURRENT: "sensor.model_y_charger_current",
        R.SESSION_ENERGY: "sensor.model_y_charge_energy_added",
        R.ODOMETER: "sensor.model_y_odometer",
        R.SPEED: "sensor.model_y_speed",
        R.SHIFT_STATE: "sensor.model_y_shift_state",
        R.LOCATION: "device_tracker.model_y_location",
        R.RANGE: "sensor.model_y_battery_range",
        R.OUTSIDE_TEMP: "sensor.model_y_outside_temperature",
        R.CHARGER_TYPE: "sensor.model_y_fast_charger_type",
    },
    # TeslaMate over MQTT, as its docs configure it: names, units, few device classes.
    # Its "state" (online, asleep, driving, charging...) is the logger's view of the
    # car, no charging state; the plug and the charger power carry the sessions.
    "teslamate": {
        R.BATTERY_LEVEL: "sensor.tesla_battery_level",
        R.PLUGGED: "binary_sensor.tesla_plugged_in",
        R.CHARGER_POWER: "sensor.tesla_charger_power",
        R.CHARGER_VOLTAGE: "sensor.tesla_charger_voltage",
        R.CHARGER_CURRENT: "sensor.tesla_charger_actual_current",
        R.SESSION_ENERGY: "sensor.tesla_charge_energy_added",
        R.ODOMETER: "sensor.tesla_odometer",
        R.SPEED: "sensor.tesla_speed",
        R.SHIFT_STATE: "sensor.tesla_shift_state",
        R.LOCATION: "device_tracker.tesla_location",
        R.RANGE: "sensor.tesla_rated_battery_range_km",
        R.OUTSIDE_TEMP: "sensor.tesla_outside_temp",
    },
    # No power, energy or odometer at all: energy from the battery-level rise.
    "nissan_leaf": {
        R.BATTERY_LEVEL: "sensor.leafy_charge",
        R.CHARGING_STATE: "binary_sensor.leafy_charging_status",
        R.PLUGGED: "binary_sensor.leafy_plug_status",
        R.LOCATION: "device_tracker.nissan_leaf_leafy",
        R.RANGE: "sensor.leafy_range",
    },
    # The Toyota (EU) integration has no charging state, plug or power: only the
    # battery level tells a session, and the statistics are distances, not meters.
    "toyota": {
        R.BATTERY_LEVEL: "sensor.toyota_rav4_battery_level",
        R.ODOMETER: "sensor.toyota_rav4_odometer",
        R.LOCATION: "device_tracker.toyota_rav4_parking_location",
        R.RANGE: "sensor.toyota_rav4_battery_range",
    },
    # No plug sensor: the charging status ("NOT_PLUGGED") tells the plug. The
    # odometer has no English name and is called after its class, "Distance".
    "porscheconnect": {
        R.BATTERY_LEVEL: "sensor.taycan_state_of_charge",
        R.CHARGING_STATE: "sensor.taycan_charging_status",
        R.CHARGER_POWER: "sensor.taycan_charging_power",
        R.ODOMETER: "sensor.taycan_distance",
        R.LOCATION: "device_tracker.taycan_taycan",
        R.RANGE: "sensor.taycan_remaining_range_on_electricity",
    },
    # Peugeot / Citroën / Opel: no power or energy; the device is named after the
    # VIN. The bare "Temperature" (the air outside) says too little to be proposed.
    "stellantis_vehicles": {
        R.BATTERY_LEVEL: "sensor.vr3uhzkxzmt123456_battery",
        R.CHARGING_STATE: "binary_sensor.vr3uhzkxzmt123456_battery_charging",
        R.PLUGGED: "binary_sensor.vr3uhzkxzmt123456_battery_plugged",
        R.ODOMETER: "sensor.vr3uhzkxzmt123456_mileage",
        R.LOCATION: "device_tracker.vr3uhzkxzmt123456_vehicle",
        R.RANGE: "sensor.vr3uhzkxzmt123456_autonomy",
        R.CHARGER_TYPE: "sensor.vr3uhzkxzmt123456_battery_charging_type",
    },
    # MG over the SAIC MQTT gateway: its bare "Power", "Current" and "Voltage" are
    # the HV pack's (negative while charging); the on-board charger's ("OBC") current
    # and voltage ship disabled but are the charger's, its single- and three-phase
    # powers tie and neither is proposed.
    "saic_mg": {
        R.BATTERY_LEVEL: "sensor.lsjw74c93nz012345_soc",
        R.CHARGING_STATE: "binary_sensor.lsjw74c93nz012345_battery_charging",
        R.PLUGGED: "binary_sensor.lsjw74c93nz012345_charger_connected",
        R.CHARGER_VOLTAGE: "sensor.lsjw74c93nz012345_obc_voltage",
        R.CHARGER_CURRENT: "sensor.lsjw74c93nz012345_obc_current",
        R.ODOMETER: "sensor.lsjw74c93nz012345_mileage",
        R.SPEED: "sensor.lsjw74c93nz012345_vehicle_speed",
        R.LOCATION: "device_tracker.lsjw74c93nz012345_vehicle_position",
        R.RANGE: "sensor.lsjw74c93nz012345_range",
        R.OUTSIDE_TEMP: "sensor.lsjw74c93nz012345_exterior_temperature",
    },
    # OVMS (enoch85/ovms-home-assistant) in a Kona: the pack's "Battery Power" is no
    # charger power; the control pilot is the plug; "Estimated" and "Ideal Range" tie
    # (no range); its numeric "Gear" is proposed though no gear word is understood.
    "ovms": {
        R.BATTERY_LEVEL: "sensor.kona_battery_level",
        R.CHARGING_STATE: "binary_sensor.kona_charging_status",
        R.PLUGGED: "binary_sensor.kona_pilot_signal",
        R.CHARGER_POWER: "sensor.kona_charge_power",
        R.CHARGER_VOLTAGE: "sensor.kona_charge_voltage",
        R.CHARGER_CURRENT: "sensor.kona_charge_current",
        R.SESSION_ENERGY: "sensor.kona_charge_energy",
        R.ODOMETER: "sensor.kona_odometer",
        R.SPEED: "sensor.kona_vehicle_speed",
        R.SHIFT_STATE: "sensor.kona_gear",
        R.LOCATION: "device_tracker.kona_location",
        R.OUTSIDE_TEMP: "sensor.kona_ambient_temperature",
        R.CHARGER_TYPE: "sensor.kona_charge_type",
    },
    # Rivian (bretterer/home-assistant-rivian): "Charging Speed" is the power, its
    # "Charging Rate" the range added per hour; the charge port's door is no plug.
    "rivian": {
        R.BATTERY_LEVEL: "sensor.r1t_battery_state_of_charge",
        R.CHARGING_STATE: "binary_sensor.r1t_charging_status",
        R.PLUGGED: "binary_sensor.r1t_charger_connection",
        R.CHARGER_POWER: "sensor.r1t_charging_speed",
        R.SESSION_ENERGY: "sensor.r1t_charging_energy_delivered",
        R.ODOMETER: "sensor.r1t_odometer",
        R.SPEED: "sensor.r1t_speed",
        R.SHIFT_STATE: "sensor.r1t_gear_selector",
        R.LOCATION: "device_tracker.r1t_location",
        R.RANGE: "sensor.r1t_estimated_vehicle_range",
    },
    # Smart #1/#3 (DasBasti/SmartHashtag): its plug is the "Charger connection" enum,
    # which ships disabled; the 12 V battery, trip meters and the average speed are
    # decoys.
    "smart_hashtag": {
        R.BATTERY_LEVEL: "sensor.smart_battery",
        R.CHARGING_STATE: "sensor.smart_charging_status",
        R.PLUGGED: "sensor.smart_charger_connection",
        R.CHARGER_POWER: "sensor.smart_charging_power",
        R.CHARGER_VOLTAGE: "sensor.smart_charging_voltage",
        R.CHARGER_CURRENT: "sensor.smart_charging_current",
        R.ODOMETER: "sensor.smart_odometer",
        R.LOCATION: "device_tracker.smart_smart_hesxr1c41ps123456",
        R.RANGE: "sensor.smart_range",
        R.OUTSIDE_TEMP: "sensor.smart_exterior_temperature",
    },
    # Cupra Born (daernsinstantfortress/cupra_we_connect): odometer and range each in
    # km and in miles (rounded down), no device class; the kilometres are proposed.
    "cupra_we_connect": {
        R.BATTERY_LEVEL: "sensor.born_state_of_charge",
        R.CHARGING_STATE: "sensor.born_charging_state",
        R.PLUGGED: "binary_sensor.born_plug_connection_state",
        R.CHARGER_POWER: "sensor.born_charge_power",
        R.ODOMETER: "sensor.born_odometer_in_kilometers",
        R.LOCATION: "device_tracker.born_tracker",
        R.RANGE: "sensor.born_range_in_kilometers",
        R.CHARGER_TYPE: "sensor.born_charge_type",
    },
    # Jaguar Land Rover (msp1974/homeassistant-jlrincontrol): the charging state,
    # charging rate and odometer are attributes only; the last trip is a decoy.
    "jlr_incontrol": {
        R.BATTERY_LEVEL: "sensor.i_pace_battery",
        R.LOCATION: "device_tracker.i_pace_device_tracker",
        R.RANGE: "sensor.i_pace_range",
    },
    # BYD (jkaberg/hass-byd-vehicle): its range's key says "endurance mileage"; the
    # HV battery's "Power" (negative while charging) is no charger power; its "Gear
    # position" is a raw code that ships disabled, proposed by its name only.
    "byd_vehicle": {
        R.BATTERY_LEVEL: "sensor.atto_3_battery_level",
        R.CHARGING_STATE: "binary_sensor.atto_3_charging",
        R.PLUGGED: "binary_sensor.atto_3_plug",
        R.ODOMETER: "sensor.atto_3_odometer",
        R.SPEED: "sensor.atto_3_speed",
        R.SHIFT_STATE: "sensor.atto_3_gear_position",
        R.LOCATION: "device_tracker.atto_3_location",
        R.RANGE: "sensor.atto_3_range",
        R.OUTSIDE_TEMP: "sensor.atto_3_exterior_temperature",
    },
}
BRANDS = sorted(EXPECTED)

WALLBOXES: dict[str, dict[Role, str]] = {
    "easee": {
        R.CHARGING_STATE: "sensor.eh123456_status",
        R.CHARGER_POWER: "sensor.eh123456_power",
        R.CHARGER_VOLTAGE: "sensor.eh123456_voltage",
        R.CHARGER_CURRENT: "sensor.eh123456_current",
        R.EVSE_ENERGY: "sensor.eh123456_lifetime_energy",
    },
    "go_echarger": {
        R.CHARGING_STATE: "sensor.goe_204711_car_value",
        R.PLUGGED: "binary_sensor.goe_204711_car_0",
        R.CHARGER_POWER: "sensor.goe_204711_nrg_11",
        R.CHARGER_VOLTAGE: "sensor.goe_204711_nrg_0",
        R.CHARGER_CURRENT: "sensor.goe_204711_nrg_4",
        R.EVSE_ENERGY: "sensor.goe_204711_eto",
    },
    "wallbox": {
        R.BATTERY_LEVEL: "sensor.wallbox_garage_state_of_charge",
        R.CHARGING_STATE: "sensor.wallbox_garage_status_description",
        R.CHARGER_POWER: "sensor.wallbox_garage_charging_power",
        R.EVSE_ENERGY: "sensor.wallbox_garage_added_energy",
    },
    "ohme": {
        R.BATTERY_LEVEL: "sensor.ohme_home_pro_vehicle_battery",
        R.CHARGING_STATE: "sensor.ohme_home_pro_status",
        R.CHARGER_POWER: "sensor.ohme_home_pro_power",
        R.CHARGER_VOLTAGE: "sensor.ohme_home_pro_voltage",
        R.CHARGER_CURRENT: "sensor.ohme_home_pro_current",
        R.EVSE_ENERGY: "sensor.ohme_home_pro_energy",
    },
    "openevse": {
        R.BATTERY_LEVEL: "sensor.openevse_vehicle_battery_level",
        R.CHARGING_STATE: "sensor.openevse_charging_status",
        R.PLUGGED: "binary_sensor.openevse_vehicle_connected",
        R.CHARGER_POWER: "sensor.openevse_current_power_usage_actual",
        R.CHARGER_VOLTAGE: "sensor.openevse_charging_voltage",
        R.CHARGER_CURRENT: "sensor.openevse_charging_current",
        R.EVSE_ENERGY: "sensor.openevse_total_usage",
    },
    "zaptec": {
        R.CHARGING_STATE: "sensor.zaptec_go_zap012345_charger_mode",
        R.CHARGER_POWER: "sensor.zaptec_go_zap012345_charge_power",
        R.CHARGER_VOLTAGE: "sensor.zaptec_go_zap012345_voltage_phase_1",
        R.CHARGER_CURRENT: "sensor.zaptec_go_zap012345_current_phase_1",
        R.EVSE_ENERGY: "sensor.zaptec_go_zap012345_energy_meter",
    },
    "tesla_wall_connector": {
        R.CHARGING_STATE: "sensor.tesla_wall_connector_status",
        R.PLUGGED: "binary_sensor.tesla_wall_connector_vehicle_connected",
        R.CHARGER_VOLTAGE: "sensor.tesla_wall_connector_phase_a_voltage",
        R.CHARGER_CURRENT: "sensor.tesla_wall_connector_phase_a_current",
        R.EVSE_ENERGY: "sensor.tesla_wall_connector_energy",
    },
    "peblar": {
        R.CHARGING_STATE: "sensor.peblar_ev_charger_state",
        R.CHARGER_POWER: "sensor.peblar_ev_charger_power",
        R.CHARGER_VOLTAGE: "sensor.peblar_ev_charger_voltage_phase_1",
        R.CHARGER_CURRENT: "sensor.peblar_ev_charger_current_phase_1",
        R.EVSE_ENERGY: "sensor.peblar_ev_charger_lifetime_energy",
    },
    # Its current clamps on the grid and the solar make it no energy site; the
    # clamp on its own "internal load" is the charging power.
    "myenergi_zappi": {
        R.CHARGING_STATE: "sensor.myenergi_zappi_12345678_status",
        R.PLUGGED: "sensor.myenergi_zappi_12345678_plug_status",
        R.CHARGER_POWER: "sensor.myenergi_zappi_12345678_internal_load_ct1",
        R.EVSE_ENERGY: "sensor.myenergi_zappi_12345678_charge_added_session",
    },
    # OCPP measurands: what flows into the car is "Active.Import".
    "ocpp": {
        R.BATTERY_LEVEL: "sensor.charger_soc",
        R.CHARGING_STATE: "sensor.charger_status_connector",
        R.CHARGER_POWER: "sensor.charger_power_active_import",
        R.CHARGER_VOLTAGE: "sensor.charger_voltage",
        R.CHARGER_CURRENT: "sensor.charger_current_import",
        R.EVSE_ENERGY: "sensor.charger_energy_active_import_register",
    },
    # Core KEBA: the phase voltages and currents are only the power's attributes, and
    # the charging state is a binary sensor of device class power.
    "keba": {
        R.CHARGING_STATE: "binary_sensor.kc_p30_ec240422_e00_charging_state",
        R.PLUGGED: "binary_sensor.kc_p30_ec240422_e00_plug",
        R.CHARGER_POWER: "sensor.kc_p30_ec240422_e00_charging_power",
        R.EVSE_ENERGY: "sensor.kc_p30_ec240422_e00_total_energy",
    },
    # Three status texts (socket status, display, controller state) and nothing tells
    # them apart: none is proposed. The house's P1 smart meter and the control
    # pilot's voltages are decoys.
    "alfen_wallbox": {
        R.CHARGER_POWER: "sensor.wallbox_active_power_total_socket_1",
        R.CHARGER_VOLTAGE: "sensor.wallbox_voltage_l1n_socket_1",
        R.CHARGER_CURRENT: "sensor.wallbox_current_l1_socket_1",
        R.EVSE_ENERGY: "sensor.wallbox_meter_reading_socket_1",
    },
    # Names are '<charger> <key>' (CarState, carConnected); its lifetime 'Totally
    # Charged' is the meter, 'Connection Charged' the count since the car connected.
    "wattpilot": {
        R.CHARGING_STATE: "sensor.wattpilot_carstate",
        R.PLUGGED: "sensor.wattpilot_carconnected",
        R.CHARGER_POWER: "sensor.wattpilot_charging_power",
        R.EVSE_ENERGY: "sensor.wattpilot_totally_charged",
    },
    # evcc's loadpoint: the car's odometer and range relayed (not a car), a bare
    # "Connected" as the plug, phases named P1..P3 (the per-phase voltages are
    # disabled: P1 is proposed). Its charger meter is "Grid imported" and its two
    # session counters tie: no wallbox meter is proposed.
    "evcc": {
        R.BATTERY_LEVEL: "sensor.evcc_garage_vehicle_soc",
        R.CHARGING_STATE: "binary_sensor.evcc_garage_charging",
        R.PLUGGED: "binary_sensor.evcc_garage_connected",
        R.CHARGER_POWER: "sensor.evcc_garage_charge_power",
        R.CHARGER_VOLTAGE: "sensor.evcc_garage_charge_voltages_0",
        R.CHARGER_CURRENT: "sensor.evcc_garage_charge_current",
    },
    # SmartEVSE v3: old-style names ("SmartEVSE EV Import Active Power"), its mains
    # meter's currents and energies decoys. Its "Charge Current" is the current it
    # offers the car and nothing tells it from the measured "EV L1": it is proposed.
    "smartevse": {
        R.CHARGING_STATE: "sensor.smartevse_state",
        R.PLUGGED: "sensor.smartevse_car_connected",
        R.CHARGER_POWER: "sensor.smartevse_ev_import_active_power",
        R.CHARGER_CURRENT: "sensor.smartevse_charge_current",
        R.EVSE_ENERGY: "sensor.smartevse_ev_total_kwh",
    },
    # Hypervolt: its CT clamp, house, grid and generation powers are decoys; its "EV
    # Power" and "Session Power" read the same and tie, so neither is proposed.
    "hypervolt": {
        R.CHARGING_STATE: "sensor.hypervolt_charging_readiness",
        R.PLUGGED: "binary_sensor.hypervolt_car_plugged",
        R.CHARGER_VOLTAGE: "sensor.hypervolt_voltage",
        R.CHARGER_CURRENT: "sensor.hypervolt_charger_current",
        R.EVSE_ENERGY: "sensor.hypervolt_session_energy_total_increasing",
    },
    # Pod Point: its cloud reports no power, voltage or current; the status enum and
    # the cable carry the sessions, "Total Energy" is the meter.
    "pod_point": {
        R.CHARGING_STATE: "sensor.psl_123456_status",
        R.PLUGGED: "binary_sensor.psl_123456_cable_status",
        R.EVSE_ENERGY: "sensor.psl_123456_total_energy",
    },
    # openWB 2 over MQTT (openwb2mqtt): German names. "Autoladestatus" (a compound
    # the word starts miss) is the charging state, "Soll-Ladestrom" a template's
    # setting, "Geladene Energie (Gesamt)" the meter and "(Heute)" today's count.
    "openwb2": {
        R.BATTERY_LEVEL: "sensor.openwb_chargepoint_3_ladung",
        R.CHARGING_STATE: "binary_sensor.openwb_chargepoint_3_autoladestatus",
        R.PLUGGED: "binary_sensor.openwb_chargepoint_3_ladekabel",
        R.CHARGER_POWER: "sensor.openwb_chargepoint_3_ladeleistung",
        R.CHARGER_VOLTAGE: "sensor.openwb_chargepoint_3_spannung_l1",
        R.CHARGER_CURRENT: "sensor.openwb_chargepoint_3_strom_l1",
        R.EVSE_ENERGY: "sensor.openwb_chargepoint_3_geladene_energie_gesamt",
    },
    # Its house and solar clamps are no charger power; the 'Installation voltage' is
    # a setting, so no voltage is proposed.
    "v2c": {
        R.CHARGING_STATE: "binary_sensor.evse_192_168_1_50_charging",
        R.PLUGGED: "binary_sensor.evse_192_168_1_50_connected",
        R.CHARGER_POWER: "sensor.evse_192_168_1_50_charge_power",
        R.EVSE_ENERGY: "sensor.evse_192_168_1_50_charge_energy",
    },
}


def _site(solar: str, grid: str, battery: str, load: str) -> dict[Role, str]:
    return {
        R.SOLAR_POWER: solar,
        R.GRID_POWER: grid,
        R.BATTERY_POWER: battery,
        R.HOME_LOAD: load,
    }


_ENVOY = "sensor.envoy_122233445566_"
_TESLA_SITE = _site(
    "sensor.my_home_solar_power",
    "sensor.my_home_grid_power",
    "sensor.my_home_battery_power",
    "sensor.my_home_load_power",
)
SITES: dict[str, dict[Role, str]] = {
    "powerwall": _site(
        "sensor.powerwall_solar_power",
        "sensor.powerwall_site_power",
        "sensor.powerwall_battery_power",
        "sensor.powerwall_load_power",
    ),
    "enphase_envoy": _site(
        f"{_ENVOY}current_power_production",
        f"{_ENVOY}current_net_power_consumption",
        f"{_ENVOY}current_battery_discharge",
        f"{_ENVOY}current_power_consumption",
    ),
    "solaredge": _site(
        "sensor.solaredge_solar_power",
        "sensor.solaredge_grid_power",
        "sensor.solaredge_storage_power",
        "sensor.solaredge_power_consumption",
    ),
    "tesla_fleet_energy": _TESLA_SITE,
    "teslemetry_energy": _TESLA_SITE,
    # "Power load" is the house load below zero; "... consumed" its positive twin.
    "fronius": _site(
        "sensor.solarnet_power_photovoltaics",
        "sensor.solarnet_power_grid",
        "sensor.solarnet_power_battery",
        "sensor.solarnet_power_load_consumed",
    ),
    # SMA's own "Grid Power" is the inverter's AC output: the grid is its energy
    # meter's "Power Absorbed" and "Power Supplied". The solar power comes per string
    # only (PV Power A, B) and the battery as charge and discharge halves: neither is
    # proposed.
    "sma": {
        R.GRID_IMPORT_POWER: "sensor.sn_3012345678_metering_power_absorbed",
        R.GRID_EXPORT_POWER: "sensor.sn_3012345678_metering_power_supplied",
        R.HOME_LOAD: "sensor.sn_3012345678_metering_current_consumption",
    },
    # The inverter's, power meter's and battery's entities together. The inverter's
    # "Input power" is the panels', its "Active power" its AC output; the "power
    # meter" is the grid connection. No house-load sensor exists.
    "huawei_solar": {
        R.SOLAR_POWER: "sensor.inverter_input_power",
        R.GRID_POWER: "sensor.power_meter_active_power",
        R.BATTERY_POWER: "sensor.battery_charge_discharge_power",
    },
    # A hybrid (ET) with its three-phase meter: "Active Power" says nothing of the
    # grid, the meter's "Meter Active Power Total" does (counted export positive).
    # The per-string, per-phase, backup and inverter-output powers are decoys.
    "goodwe": _site(
        "sensor.pv_power",
        "sensor.meter_active_power_total",
        "sensor.battery_power",
        "sensor.house_consumption",
    ),
    # An X3 Hybrid G4: "Grid 1..3 Power" are the inverter's phases, "Grid Power" the
    # meter. The solar power comes per string only and there is no house load.
    "solax": {
        R.GRID_POWER: "sensor.solax_sw12345678_grid_power",
        R.BATTERY_POWER: "sensor.solax_sw12345678_battery_power",
    },
    # A P1 meter: its plain "Power" is the net grid power, on a device named a meter.
    "homewizard": {R.GRID_POWER: "sensor.p1_meter_power"},
    # The "Electricity Meter": its "Power consumption" and "Power production" are
    # the grid import and export, not the house load and the solar.
    "dsmr": {
        R.GRID_IMPORT_POWER: "sensor.electricity_meter_power_consumption",
        R.GRID_EXPORT_POWER: "sensor.electricity_meter_power_production",
    },
    # A Pro 3EM named by its hostname, with its three phase devices: its total
    # "Power" is the grid's, as it counts "Energy returned" too; the phases' are not.
    "shelly_pro_3em": {R.GRID_POWER: "sensor.shellypro3em_0cb815fc1234_power"},
    # The Pulse: its plain "Power" is what the house draws, "Power production" what
    # it feeds in (both positive); it counts only the meter's registers. Its price
    # sensors sit on the same device under the home's name.
    "tibber": {
        R.GRID_IMPORT_POWER: "sensor.tibber_pulse_hjem_power",
        R.GRID_EXPORT_POWER: "sensor.tibber_pulse_hjem_power_production",
    },
    # A Deye hybrid read by Solarman (davidrapan/ha-solarman), named "Inverter": the
    # per-leg, output, external-clamp and generator powers are decoys.
    "solarman_deye": _site(
        "sensor.inverter_pv_power",
        "sensor.inverter_grid_power",
        "sensor.inverter_battery_power",
        "sensor.inverter_load_power",
    ),
    # Kostal Plenticore (core): "Solar Power" beside the integration's own "Sum power
    # of all PV DC inputs", "Home Power" beside its shares "from Own", "from Grid",
    # "from Battery" and "from PV".
    "kostal_plenticore": _site(
        "sensor.scb_solar_power",
        "sensor.scb_grid_power",
        "sensor.scb_battery_power",
        "sensor.scb_home_power",
    ),
    # SolarEdge over Modbus (binsentsu): the inverter's "DC Power" is the solar; its
    # grid meter's "M1 AC Power" names no grid and is not proposed, nor is a load.
    "solaredge_modbus": {
        R.SOLAR_POWER: "sensor.solaredge_dc_power",
        R.BATTERY_POWER: "sensor.solaredge_battery1_power",
    },
    # OpenDTU's MQTT discovery for a Hoymiles micro-inverter: it counts only its
    # yield, so its plain "Power" is the solar; "PowerDC" and today's yield are not.
    "opendtu": {R.SOLAR_POWER: "sensor.garage_power"},
    # A modbus YAML package (mkaiser): "Total DC power" is the panels', "Meter active
    # power" the grid; the import/export halves, the battery's signed twins, the
    # inverter's "Total active power", limits and ratings are listed only.
    "sungrow": _site(
        "sensor.total_dc_power",
        "sensor.meter_active_power",
        "sensor.battery_power",
        "sensor.load_power",
    ),
    # The GX's system device (sfstar/hass-victron): grid and consumption per phase
    # only, so neither is proposed.
    "victron": {
        R.SOLAR_POWER: "sensor.victron_system_dc_pv_power",
        R.BATTERY_POWER: "sensor.victron_system_battery_power",
    },
    # A hybrid (MIX): per-string PV powers beside "All PV wattage", an import/export
    # pair, and the battery only as charging and discharging halves (not proposed).
    "growatt_server": {
        R.SOLAR_POWER: "sensor.abc1234567_all_pv_wattage",
        R.GRID_IMPORT_POWER: "sensor.abc1234567_import_from_grid",
        R.GRID_EXPORT_POWER: "sensor.abc1234567_export_to_grid",
        R.HOME_LOAD: "sensor.abc1234567_load_consumption",
    },
}
FAMILIES: dict[str, tuple[dict[str, dict[Role, str]], DeviceKind | None]] = {
    "vehicles": (EXPECTED, None),
    "wallboxes": (WALLBOXES, DeviceKind.WALLBOX),
    "sites": (SITES, DeviceKind.ENERGY_SITE),
}
ALL = [(family, name) for family, (exp, _) in FAMILIES.items() for name in sorted(exp)]


def test_every_fixture_has_an_expectation() -> None:
    assert sorted(p.stem for p in FIXTURES.glob("*.json")) == BRANDS
    for family, (expected, _) in FAMILIES.items():
        found = sorted(p.stem for p in (ROOT / family).glob("*.json"))
        assert found == sorted(expected), family


@pytest.mark.parametrize(("family", "name"), ALL)
def test_every_fixture_says_where_it_came_from(family: str, name: str) -> None:
    data = json.loads((ROOT / family / f"{name}.json").read_text())
    assert data["integration"]
    assert "/" in data["source"], "name the repository or the file"


@pytest.mark.parametrize(("family", "name"), ALL)
def test_every_role_of_every_fixture(family: str, name: str) -> None:
    expected, kind = FAMILIES[family]
    proposal = propose_mapping(entities(name, family))
    assert proposal.mapping == expected[name]
    if kind is not None:
        assert proposal.kind is kind
        assert detect_kind(entities(name, family)) is kind


@pytest.mark.parametrize(("family", "name"), ALL)
def test_no_decoy_in_any_family(family: str, name: str) -> None:
    decoys = {r["entity_id"] for r in load(name, family) if "decoy" in r}
    assert decoys, f"{name} fixture lists no decoys"
    assert not decoys & set(propose_mapping(entities(name, family)).mapping.values())


@pytest.mark.parametrize(("family", "name"), ALL)
@settings(max_examples=10)
@given(data=st.data())
def test_order_does_not_matter_in_any_family(
    family: str, name: str, data: st.DataObject
) -> None:
    original = entities(name, family)
    shuffled = data.draw(st.permutations(original))
    assert propose_mapping(shuffled) == propose_mapping(original)
    _assert_well_formed(propose_mapping(original))


@pytest.mark.parametrize("name", sorted(SITES))
def test_site_proposal_lists_the_site_roles(name: str) -> None:
    proposal = propose_mapping(entities(name, "sites"))
    assert tuple(p.role for p in proposal.roles) == SITE_ROLES


@pytest.mark.parametrize("brand", BRANDS)
def test_fixture_mapping_is_exactly_as_expected(brand: str) -> None:
    assert propose_mapping(entities(brand)).mapping == EXPECTED[brand]


@pytest.mark.parametrize("brand", BRANDS)
def test_decoys_are_never_chosen(brand: str) -> None:
    decoys = {row["entity_id"]: row["decoy"] for row in load(brand) if "decoy" in row}
    assert decoys, f"{brand} fixture lists no decoys"
    chosen = propose_mapping(entities(brand)).mapping
    assert not {role: e for role, e in chosen.items() if e in decoys}


@pytest.mark.parametrize(
    ("brand", "kind"),
    [
        (brand, DeviceKind.WALLBOX if brand == "easee" else DeviceKind.VEHICLE)
        for brand in BRANDS
    ],
)
def test_kind_is_detected(brand: str, kind: DeviceKind) -> None:
    assert detect_kind(entities(brand)) is kind
    assert propose_mapping(entities(brand)).kind is kind


@pytest.mark.parametrize("brand", BRANDS)
def test_proposal_lists_every_vehicle_role_in_model_order(brand: str) -> None:
    proposal = propose_mapping(entities(brand))
    assert tuple(p.role for p in proposal.roles) == VEHICLE_ROLES


def _assert_well_formed(proposal: MappingProposal) -> None:
    chosen = [p.chosen.entity_id for p in proposal.roles if p.chosen]
    assert len(chosen) == len(set(chosen)), "an entity feeds two roles"
    for role_proposal in proposal.roles:
        scores = [c.score for c in role_proposal.alternatives]
        assert scores == sorted(scores, reverse=True)
        ids = [c.entity_id for c in role_proposal.alternatives]
        assert len(ids) == len(set(ids))
        if role_proposal.chosen:
            assert role_proposal.chosen.entity_id not in ids
            assert role_proposal.chosen.reasons


@pytest.mark.parametrize("brand", BRANDS)
def test_proposals_are_well_formed(brand: str) -> None:
    _assert_well_formed(propose_mapping(entities(brand)))


@pytest.mark.parametrize("brand", BRANDS)
@settings(max_examples=25)
@given(data=st.data())
def test_entity_order_does_not_matter(brand: str, data: st.DataObject) -> None:
    original = entities(brand)
    shuffled = data.draw(st.permutations(original))
    assert propose_mapping(shuffled) == propose_mapping(original)


# Targeted behaviour ----------------------------------------------------------------


def test_admissible_charging_power_is_not_charger_power() -> None:
    # Renault cars that do not report watts expose only the maximum the car would
    # accept; integrating it as if it flowed would invent energy.
    rows = [
        {**row, "translation_key": "admissible_charging_power"}
        | {"original_name": "Admissible charging power"}
        if row["entity_id"] == "sensor.reg_number_charging_power"
        else row
        for row in load("renault")
    ]
    proposal = propose_mapping([EntityInfo.from_dict(r) for r in rows])
    power = proposal.get(Role.CHARGER_POWER)
    assert power.chosen is None
    assert [c.entity_id for c in power.alternatives] == [
        "sensor.reg_number_charging_power"
    ]
    assert any("admissible" in reason for reason in power.alternatives[0].reasons)


def test_12v_and_state_of_health_are_no_fallback_for_battery_level() -> None:
    kia = [
        e for e in entities("kia_uvo") if e.entity_id != "sensor.ev6_ev_battery_level"
    ]
    assert propose_mapping(kia).get(Role.BATTERY_LEVEL).chosen is None


def test_a_service_battery_is_the_12v_one() -> None:
    # Stellantis: "Service battery" (device class battery, %) is the 12 V battery;
    # it tied with the traction "Battery", and alone it is no battery level either.
    stellantis = entities("stellantis_vehicles")
    proposal = propose_mapping(stellantis)
    assert proposal.get(Role.BATTERY_LEVEL).chosen is not None
    assert proposal.mapping[Role.BATTERY_LEVEL].endswith("_battery")
    alone = [e for e in stellantis if e.translation_key != "battery"]
    assert propose_mapping(alone).get(Role.BATTERY_LEVEL).chosen is None


def test_a_houses_smart_meter_and_the_pilot_are_not_the_charger() -> None:
    # Alfen reads the house's P1 smart meter for load balancing and reports the
    # control pilot's voltages: without the socket's own readings, none of them
    # is the charger's power, current or voltage.
    alfen = entities("alfen_wallbox", "wallboxes")
    socket_only = {"Active Power", "Current L", "Current N", "Voltage L"}
    rest = [
        e for e in alfen if not any(w in (e.original_name or "") for w in socket_only)
    ]
    proposal = propose_mapping(rest, kind=DeviceKind.WALLBOX)
    for role in (Role.CHARGER_POWER, Role.CHARGER_CURRENT, Role.CHARGER_VOLTAGE):
        assert proposal.get(role).chosen is None, role
    # "L1N" is the first phase, as "L1" is.
    assert propose_mapping(alfen).mapping[Role.CHARGER_VOLTAGE].endswith("l1n_socket_1")


def test_a_wallboxs_solar_clamp_and_configured_voltage_are_not_the_charger() -> None:
    # V2C Trydan: "Photovoltaic power" is its solar clamp (it tied at 50 with
    # nothing but the charge power above it) and "Installation voltage" the supply
    # voltage it is told to assume (it was proposed as the charger voltage).
    v2c = [
        e for e in entities("v2c", "wallboxes") if e.translation_key != "charge_power"
    ]
    proposal = propose_mapping(v2c, kind=DeviceKind.WALLBOX)
    assert proposal.get(Role.CHARGER_POWER).chosen is None
    assert proposal.get(Role.CHARGER_VOLTAGE).chosen is None


def test_charge_rate_is_not_speed() -> None:
    # VW has no speed sensor at all, only the km/h "charge rate".
    speed = propose_mapping(entities("volkswagen_we_connect_id")).get(Role.SPEED)
    assert speed.chosen is None
    assert speed.alternatives == ()


def test_route_origin_and_destination_trackers_lose_to_the_car() -> None:
    trackers = [
        EntityInfo(
            entity_id=f"device_tracker.model_3_{key}",
            domain="device_tracker",
            original_name=key.title(),
            translation_key=key,
        )
        for key in ("route", "origin", "destination", "location")
    ]
    proposal = propose_mapping(trackers, kind=DeviceKind.VEHICLE)
    assert proposal.mapping == {Role.LOCATION: "device_tracker.model_3_location"}


def test_device_name_words_are_not_read_as_entity_words() -> None:
    # Old-style names repeat the device name: a car called "Long Range" must score
    # exactly like one called "Blue", not make every entity look like a range sensor.
    def car(device: str) -> list[EntityInfo]:
        slug = device.lower().replace(" ", "_")

        def sensor(key: str, **kwargs: Any) -> EntityInfo:
            return EntityInfo(
                entity_id=f"sensor.{slug}_{key}",
                domain="sensor",
                original_name=f"{device} {key.replace('_', ' ').title()}",
                **kwargs,
            )

        return [
            sensor(
                "odometer",
                device_class="distance",
                unit="km",
                state_class="total_increasing",
            ),
            sensor(
                "trip_a",
                device_class="distance",
                unit="km",
                state_class="total_increasing",
            ),
            sensor("charge_level", device_class="battery", unit="%"),
            sensor("charger_power", device_class="power", unit="kW"),
        ]

    def scores(proposal: MappingProposal) -> list[tuple[Role, int | None, list[int]]]:
        return [
            (
                p.role,
                p.chosen.score if p.chosen else None,
                [c.score for c in p.alternatives],
            )
            for p in proposal.roles
        ]

    long_range = propose_mapping(car("Long Range"))
    assert scores(long_range) == scores(propose_mapping(car("Blue")))
    assert long_range.mapping[Role.ODOMETER] == "sensor.long_range_odometer"
    assert Role.RANGE not in long_range.mapping


def test_disabled_twin_ranks_lower() -> None:
    twins = [
        EntityInfo(
            entity_id=f"sensor.car_{n}_battery_level",
            domain="sensor",
            device_class="battery",
            unit="%",
            state_class="measurement",
            translation_key="battery_level",
            disabled=n == "a",
        )
        for n in ("a", "b")
    ]
    role = propose_mapping(twins, kind=DeviceKind.VEHICLE).get(Role.BATTERY_LEVEL)
    assert role.chosen is not None
    assert role.chosen.entity_id == "sensor.car_b_battery_level"
    assert [c.entity_id for c in role.alternatives] == ["sensor.car_a_battery_level"]


def test_explicit_kind_overrides_detection() -> None:
    # The same wallbox meters, declared as a car's: the session counter becomes the
    # vehicle session energy and the lifetime meter is no longer wanted.
    proposal = propose_mapping(entities("easee"), kind=DeviceKind.VEHICLE)
    assert proposal.kind is DeviceKind.VEHICLE
    assert proposal.mapping[Role.SESSION_ENERGY] == "sensor.eh123456_session_energy"
    assert Role.EVSE_ENERGY not in proposal.mapping


def test_empty_input() -> None:
    proposal = propose_mapping([])
    assert proposal.kind is DeviceKind.WALLBOX
    assert proposal.mapping == {}
    assert all(p.alternatives == () for p in proposal.roles)


def test_get_for_a_role_outside_the_proposal_is_empty() -> None:
    proposal = propose_mapping(entities("renault"))
    assert proposal.get(Role.PRICE).chosen is None
    assert proposal.get(Role.PRICE).alternatives == ()


def test_duplicate_entity_ids_count_once() -> None:
    battery = EntityInfo(
        entity_id="sensor.car_battery_level",
        domain="sensor",
        device_class="battery",
        unit="%",
    )
    proposal = propose_mapping([battery, battery], kind=DeviceKind.VEHICLE)
    assert proposal.mapping == {Role.BATTERY_LEVEL: "sensor.car_battery_level"}
    assert proposal.get(Role.BATTERY_LEVEL).alternatives == ()


def test_entity_info_from_dict() -> None:
    info = EntityInfo.from_dict(
        {
            "entity_id": "sensor.car_charging",
            "unit_of_measurement": None,
            "options": ["charging", "stopped"],
            "disabled": 1,
            "ignored": "extra keys are fine",
        }
    )
    assert info.domain == "sensor"
    assert info.options == ("charging", "stopped")
    assert info.disabled is True
    assert info.unit is None
    assert dataclasses.replace(info, unit="kW").unit == "kW"


# Robustness ------------------------------------------------------------------------

_words = st.sampled_from(
    [
        "battery",
        "level",
        "charging",
        "state",
        "plug",
        "range",
        "odometer",
        "power",
        "12v",
        "target",
        "speed",
        "outside",
        "temperature",
        "energy",
        "added",
        "location",
        "route",
        "gear",
        "type",
        "ÄÖ",
        "",
        "_",
        "car",
    ]
)
_text = st.one_of(
    st.none(), st.text(max_size=30), st.lists(_words, max_size=4).map("_".join)
)
_entity = st.builds(
    EntityInfo,
    entity_id=st.one_of(
        st.text(max_size=40),
        st.tuples(
            st.sampled_from(["sensor", "binary_sensor", "device_tracker", "switch"]),
            st.lists(_words, min_size=1, max_size=4).map("_".join),
        ).map(".".join),
    ),
    domain=st.sampled_from(
        ["sensor", "binary_sensor", "device_tracker", "switch", "select", "number", ""]
    ),
    device_class=st.one_of(
        st.none(),
        st.sampled_from(
            [
                "battery",
                "power",
                "energy",
                "distance",
                "speed",
                "temperature",
                "enum",
                "plug",
                "connectivity",
                "battery_charging",
                "current",
                "voltage",
            ]
        ),
    ),
    unit=st.one_of(
        st.none(),
        st.sampled_from(
            ["%", "kW", "W", "kWh", "km", "mi", "km/h", "°C", "A", "V", "mW", "min"]
        ),
    ),
    state_class=st.one_of(
        st.none(), st.sampled_from(["measurement", "total", "total_increasing"])
    ),
    name=_text,
    original_name=_text,
    translation_key=_text,
    options=st.one_of(st.none(), st.lists(st.text(max_size=12), max_size=6).map(tuple)),
    disabled=st.booleans(),
    entity_category=st.one_of(st.none(), st.sampled_from(["diagnostic", "config"])),
)


@given(st.lists(_entity, max_size=12), st.sampled_from([None, *DeviceKind]))
def test_any_input_gives_a_well_formed_proposal(
    infos: list[EntityInfo], kind: DeviceKind | None
) -> None:
    proposal = propose_mapping(infos, kind=kind)
    _assert_well_formed(proposal)
    assert set(proposal.mapping.values()) <= {i.entity_id for i in infos}


@given(st.lists(_entity, max_size=8), st.randoms(use_true_random=False))
def test_random_sets_do_not_depend_on_order(infos: list[EntityInfo], rnd: Any) -> None:
    shuffled = list(infos)
    rnd.shuffle(shuffled)
    assert propose_mapping(shuffled).mapping == propose_mapping(infos).mapping


# Wallboxes, energy sites and ties ---------------------------------------------------


def _text_status(entity_id: str, name: str) -> EntityInfo:
    return EntityInfo(entity_id=entity_id, domain="sensor", original_name=name)


def test_a_wallbox_status_is_its_charging_state_a_cars_is_not() -> None:
    # Easee's "Status" is free text without a device class: on the wallbox it is the
    # charging state; next to a car's odometer the same words prove nothing.
    status = _text_status("sensor.box_status", "Status")
    power = EntityInfo(
        entity_id="sensor.box_power", domain="sensor", device_class="power", unit="kW"
    )
    odometer = EntityInfo(
        entity_id="sensor.box_odometer",
        domain="sensor",
        device_class="distance",
        unit="km",
        state_class="total_increasing",
    )
    wallbox = propose_mapping([status, power])
    assert wallbox.kind is DeviceKind.WALLBOX
    assert wallbox.mapping[Role.CHARGING_STATE] == "sensor.box_status"
    car = propose_mapping([status, power, odometer])
    assert car.kind is DeviceKind.VEHICLE
    assert Role.CHARGING_STATE not in car.mapping


def test_a_device_with_only_a_battery_level_is_a_car() -> None:
    battery = EntityInfo(
        entity_id="sensor.leaf_charge",
        domain="sensor",
        device_class="battery",
        unit="%",
        original_name="Charge",
    )
    proposal = propose_mapping([battery])
    assert proposal.kind is DeviceKind.VEHICLE
    assert proposal.mapping == {Role.BATTERY_LEVEL: "sensor.leaf_charge"}


def test_a_chargers_vehicle_range_does_not_make_it_a_car() -> None:
    # OpenEVSE relays the car's range; its "Ambient Temperature" is the enclosure's.
    openevse = entities("openevse", "wallboxes")
    assert detect_kind(openevse) is DeviceKind.WALLBOX
    as_car = propose_mapping(openevse, kind=DeviceKind.VEHICLE)
    assert as_car.mapping[Role.OUTSIDE_TEMP] == "sensor.openevse_ambient_temperature"
    assert Role.OUTSIDE_TEMP not in propose_mapping(openevse).mapping


@pytest.mark.parametrize("name", sorted(SITES))
def test_energy_sites_are_told_apart_from_wallboxes(name: str) -> None:
    assert detect_kind(entities(name, "sites")) is DeviceKind.ENERGY_SITE


def test_an_inverter_with_only_solar_power_is_a_site() -> None:
    solar = EntityInfo(
        entity_id="sensor.inverter_pv_power",
        domain="sensor",
        device_class="power",
        unit="W",
        original_name="PV power",
    )
    assert detect_kind([solar]) is DeviceKind.ENERGY_SITE


def _power(entity_id: str, name: str) -> EntityInfo:
    return EntityInfo(
        entity_id=entity_id,
        domain="sensor",
        device_class="power",
        unit="kW",
        state_class="measurement",
        original_name=name,
    )


def test_an_import_export_pair_replaces_the_net_grid_meter() -> None:
    # An Easee Equalizer meters import and export separately.
    pair = [
        _power("sensor.eq_import_power", "Import power"),
        _power("sensor.eq_export_power", "Export power"),
        _power("sensor.eq_solar_power", "Solar power"),
    ]
    proposal = propose_mapping(pair, kind=DeviceKind.ENERGY_SITE)
    assert proposal.mapping == {
        Role.SOLAR_POWER: "sensor.eq_solar_power",
        Role.GRID_IMPORT_POWER: "sensor.eq_import_power",
        Role.GRID_EXPORT_POWER: "sensor.eq_export_power",
    }
    # Half a pair is no grid at all; a net meter wins over a pair.
    half = propose_mapping(pair[::2], kind=DeviceKind.ENERGY_SITE)
    assert half.mapping == {Role.SOLAR_POWER: "sensor.eq_solar_power"}
    both = [*pair, _power("sensor.eq_grid_power", "Grid power")]
    grid = propose_mapping(both, kind=DeviceKind.ENERGY_SITE).mapping
    assert grid[Role.GRID_POWER] == "sensor.eq_grid_power"
    assert Role.GRID_IMPORT_POWER not in grid
    assert Role.GRID_EXPORT_POWER not in grid


def test_a_metered_pair_beats_an_inverters_own_grid_power() -> None:
    # SMA: the inverter's "Grid Power" is its AC output; its energy meter reports the
    # grid connection as power "absorbed" (import) and "supplied" (export).
    sma = [
        _power("sensor.sma_grid_power", "Grid Power"),
        _power("sensor.sma_metering_power_absorbed", "Metering Power Absorbed"),
        _power("sensor.sma_metering_power_supplied", "Metering Power Supplied"),
    ]
    assert propose_mapping(sma, kind=DeviceKind.ENERGY_SITE).mapping == {
        Role.GRID_IMPORT_POWER: "sensor.sma_metering_power_absorbed",
        Role.GRID_EXPORT_POWER: "sensor.sma_metering_power_supplied",
    }
    # Without the meter's word the net meter still wins, and "meter" alone (a
    # wallbox's smart-meter reading) is no grid flow.
    plain = [
        _power("sensor.eq_grid_power", "Grid power"),
        _power("sensor.eq_power_absorbed", "Power absorbed"),
        _power("sensor.eq_power_supplied", "Power supplied"),
        _power("sensor.eq_smart_meter_power", "Smart Meter Power Total"),
    ]
    assert propose_mapping(plain, kind=DeviceKind.ENERGY_SITE).mapping == {
        Role.GRID_POWER: "sensor.eq_grid_power"
    }


def test_an_inverters_input_power_and_a_power_meter_are_solar_and_grid() -> None:
    # Huawei Solar: "Input power" is what the panels deliver, the "Power meter"
    # device's "Active power" the grid connection; the inverter's own "Active power"
    # (its AC output) is neither.
    huawei = [
        _power("sensor.inverter_input_power", "Input power"),
        _power("sensor.inverter_active_power", "Active power"),
        _power("sensor.power_meter_active_power", "Active power"),
    ]
    assert propose_mapping(huawei, kind=DeviceKind.ENERGY_SITE).mapping == {
        Role.SOLAR_POWER: "sensor.inverter_input_power",
        Role.GRID_POWER: "sensor.power_meter_active_power",
    }


def test_the_meter_an_inverter_reads_is_the_grid() -> None:
    # GoodWe: "Active Power" says nothing of the grid; its meter's "Meter Active
    # Power Total" is the grid connection, one phase of it is not. A wallbox's smart
    # meter reading is still no grid (see the test above).
    goodwe = [
        _power("sensor.active_power", "Active Power"),
        _power("sensor.meter_active_power_total", "Meter Active Power Total"),
        _power("sensor.meter_active_power_l1", "Meter Active Power L1"),
    ]
    assert propose_mapping(goodwe, kind=DeviceKind.ENERGY_SITE).mapping == {
        Role.GRID_POWER: "sensor.meter_active_power_total"
    }


def test_a_device_named_a_meter_measures_the_grid_only() -> None:
    # HomeWizard's "P1 meter" says just "Power" (its net grid power): it was taken
    # for a wallbox's charger power. DSMR's "Electricity Meter" says "Power
    # consumption" and "Power production": they were the house load and the solar.
    p1 = [
        _power("sensor.p1_meter_power", "Power"),
        _power("sensor.p1_meter_power_phase_1", "Power phase 1"),
        _sensor("sensor.p1_meter_energy_import", "Energy import", unit="kWh"),
    ]
    assert detect_kind(p1) is DeviceKind.ENERGY_SITE
    assert propose_mapping(p1).mapping == {Role.GRID_POWER: "sensor.p1_meter_power"}
    dsmr = [
        _power("sensor.electricity_meter_power_consumption", "Power consumption"),
        _power("sensor.electricity_meter_power_production", "Power production"),
    ]
    assert propose_mapping(dsmr, kind=DeviceKind.ENERGY_SITE).mapping == {
        Role.GRID_IMPORT_POWER: "sensor.electricity_meter_power_consumption",
        Role.GRID_EXPORT_POWER: "sensor.electricity_meter_power_production",
    }
    # The same words on a device not named a meter keep their meaning.
    house = [
        _power("sensor.house_power_consumption", "Power consumption"),
        _power("sensor.house_power_production", "Power production"),
    ]
    assert propose_mapping(house, kind=DeviceKind.ENERGY_SITE).mapping == {
        Role.SOLAR_POWER: "sensor.house_power_production",
        Role.HOME_LOAD: "sensor.house_power_consumption",
    }


def test_a_meter_counting_both_ways_measures_the_grid() -> None:
    # A Shelly Pro 3EM named by its hostname says just "Power", "Energy" and "Energy
    # returned": it was taken for a wallbox with "Power" as its charger power. Only
    # the grid connection sends energy both ways through one meter.
    def energy(key: str, name: str) -> EntityInfo:
        return _sensor(
            f"sensor.shellypro3em_1_{key}",
            name,
            device_class="energy",
            unit="kWh",
            state_class="total_increasing",
        )

    meter = [
        _power("sensor.shellypro3em_1_power", "Power"),
        energy("energy", "Energy"),
        energy("energy_returned", "Energy returned"),
    ]
    assert detect_kind(meter) is DeviceKind.ENERGY_SITE
    assert propose_mapping(meter).mapping == {
        Role.GRID_POWER: "sensor.shellypro3em_1_power"
    }
    # Counting one way only (a plug, a heat pump's meter), its "Power" is no grid.
    one_way = meter[:2]
    site = propose_mapping(one_way, kind=DeviceKind.ENERGY_SITE)
    assert site.get(Role.GRID_POWER).chosen is None
    # Nor is a power that says something of its own.
    named = [_power("sensor.shellypro3em_1_pv_power", "PV power"), *meter[1:]]
    site = propose_mapping(named, kind=DeviceKind.ENERGY_SITE)
    assert site.mapping == {Role.SOLAR_POWER: "sensor.shellypro3em_1_pv_power"}
    # An inverter counts its export beside what its panels produced (GoodWe's
    # "Active Power" is its AC output): no grid.
    inverter = [*meter, energy("total_pv_generation", "Total PV generation")]
    site = propose_mapping(inverter, kind=DeviceKind.ENERGY_SITE)
    assert site.get(Role.GRID_POWER).chosen is None


def test_a_meters_plain_power_beside_its_production_is_the_import() -> None:
    # Tibber's Pulse counts only the meter's registers ("Last meter consumption",
    # "Last meter production"); its "Power" is the import and "Power production" the
    # export, both positive: the latter was taken for the solar. Its price sensors
    # are named under the home, its readings under "Tibber Pulse <home>".
    def energy(key: str, name: str) -> EntityInfo:
        return _sensor(
            f"sensor.tibber_pulse_hjem_{key}",
            name,
            device_class="energy",
            unit="kWh",
            state_class="total_increasing",
        )

    pulse = [
        _power("sensor.tibber_pulse_hjem_power", "Power"),
        _power("sensor.tibber_pulse_hjem_power_production", "Power production"),
        energy("last_meter_consumption", "Last meter consumption"),
        energy("last_meter_production", "Last meter production"),
        _sensor("sensor.hjem_electricity_price", "Electricity price", unit="NOK/kWh"),
    ]
    pair = {
        Role.GRID_IMPORT_POWER: "sensor.tibber_pulse_hjem_power",
        Role.GRID_EXPORT_POWER: "sensor.tibber_pulse_hjem_power_production",
    }
    assert detect_kind(pulse) is DeviceKind.ENERGY_SITE
    assert propose_mapping(pulse).mapping == pair
    # Without a production beside it, a meter's plain "Power" is the net.
    alone = [pulse[0], *pulse[2:4]]
    assert propose_mapping(alone).mapping == {
        Role.GRID_POWER: "sensor.tibber_pulse_hjem_power"
    }
    # An inverter counting its yield beside the meter is no meter: its production is
    # the solar.
    inverter = [*pulse, energy("total_yield", "Total yield")]
    site = propose_mapping(inverter, kind=DeviceKind.ENERGY_SITE)
    assert site.mapping == {
        Role.SOLAR_POWER: "sensor.tibber_pulse_hjem_power_production"
    }


def test_an_inverters_dc_power_is_the_solar() -> None:
    # Sungrow's "Total DC power" is what its panels deliver; no solar was proposed.
    sungrow = [
        _power("sensor.total_dc_power", "Total DC power"),
        _power("sensor.total_active_power", "Total active power"),
        _power("sensor.battery_power", "Battery power"),
    ]
    assert propose_mapping(sungrow, kind=DeviceKind.ENERGY_SITE).mapping == {
        Role.SOLAR_POWER: "sensor.total_dc_power",
        Role.BATTERY_POWER: "sensor.battery_power",
    }


def test_a_numbered_flow_is_one_of_several() -> None:
    # Solax: "Grid 1 Power" .. "Grid 3 Power" are the inverter's phases and tied
    # with the meter's "Grid Power", so no grid was proposed.
    solax = [
        _power("sensor.solax_grid_power", "Grid Power"),
        *(_power(f"sensor.solax_grid_{n}_power", f"Grid {n} Power") for n in (1, 2, 3)),
        *(_power(f"sensor.solax_pv{n}_power", f"PV{n} Power") for n in (1, 2)),
    ]
    assert propose_mapping(solax, kind=DeviceKind.ENERGY_SITE).mapping == {
        Role.GRID_POWER: "sensor.solax_grid_power"
    }


def test_one_pv_string_is_not_the_solar_power() -> None:
    # Growatt: "PV1 wattage" and "PV2 wattage" tied with "All PV wattage"; the
    # strings alone tie with each other, so the user picks (or sums them).
    growatt = [
        _power("sensor.g_pv1_wattage", "PV1 wattage"),
        _power("sensor.g_pv2_wattage", "PV2 wattage"),
        _power("sensor.g_all_pv_wattage", "All PV wattage"),
    ]
    site = DeviceKind.ENERGY_SITE
    assert propose_mapping(growatt, kind=site).mapping == {
        Role.SOLAR_POWER: "sensor.g_all_pv_wattage"
    }
    assert propose_mapping(growatt[:2], kind=site).get(Role.SOLAR_POWER).chosen is None


def _range(key: str, name: str) -> EntityInfo:
    return EntityInfo(
        entity_id=f"sensor.golf_gte_{key}",
        domain="sensor",
        device_class="distance",
        unit="km",
        state_class="measurement",
        original_name=name,
    )


def test_range_ties_are_settled_by_meaning() -> None:
    # Volkswagen Connect (robinostlund/homeassistant-volkswagencarnet) reports five
    # ranges; "battery_cruising_range" sorts before "electric_range".
    ranges = [
        _range("battery_cruising_range", "Battery cruising range"),
        _range("electric_range", "Electric range"),
        _range("combustion_range", "Combustion range"),
        _range("combined_range", "Combined range"),
        _range("fuel_range", "Fuel range"),
        _range("ice_range", "ICE range"),
    ]
    proposal = propose_mapping(ranges, kind=DeviceKind.VEHICLE)
    assert proposal.mapping == {Role.RANGE: "sensor.golf_gte_electric_range"}
    alternatives = [c.entity_id for c in proposal.get(Role.RANGE).alternatives]
    assert alternatives[0] == "sensor.golf_gte_battery_cruising_range"


def test_an_exact_tie_is_left_to_the_user() -> None:
    twins = [_power(f"sensor.box_{n}_charging_power", "Charging power") for n in "ab"]
    proposal = propose_mapping(twins, kind=DeviceKind.WALLBOX)
    power = proposal.get(Role.CHARGER_POWER)
    assert power.chosen is None
    assert [c.entity_id for c in power.alternatives] == [
        "sensor.box_a_charging_power",
        "sensor.box_b_charging_power",
    ]
    # One word of meaning settles it.
    twins[1] = _power("sensor.box_b_charging_power", "Charging power (calculated)")
    chosen = propose_mapping(twins, kind=DeviceKind.WALLBOX).get(Role.CHARGER_POWER)
    assert chosen.chosen is not None
    assert chosen.chosen.entity_id == "sensor.box_a_charging_power"


# Entity reuse between vehicles --------------------------------------------------------

_BOX = {
    Role.CHARGER_POWER: "sensor.box_power",
    Role.EVSE_ENERGY: "sensor.box_meter",
}
_BOX_DEVICE = {
    "sensor.box_power": "box",
    "sensor.box_meter": "box",
    "sensor.box_status": "box",
}


def _own(car: str) -> dict[Role, str]:
    return {Role.PLUGGED: f"binary_sensor.{car}_plug"}


@pytest.mark.parametrize(
    ("mine", "others", "problems"),
    [
        # Nothing shared.
        ({**_own("zoe"), **_BOX}, [], {}),
        ({**_own("zoe")}, [("Ioniq", {**_own("ioniq"), **_BOX})], {}),
        # A car's own signal is its own.
        (
            {**_own("ioniq")},
            [("Ioniq", {**_own("ioniq")})],
            {Role.PLUGGED: ReuseProblem(ReuseError.IN_USE, ("Ioniq",))},
        ),
        # Two cars on one wallbox, each with its own plug.
        ({**_own("zoe"), **_BOX}, [("Ioniq", {**_own("ioniq"), **_BOX})], {}),
        # The wallbox's power as another car's... something else: not a share.
        (
            {**_own("zoe"), Role.CHARGER_POWER: "sensor.box_meter"},
            [("Ioniq", {**_own("ioniq"), **_BOX})],
            {Role.CHARGER_POWER: ReuseProblem(ReuseError.IN_USE, ("Ioniq",))},
        ),
        # The car saved has no signal of its own.
        (
            {Role.BATTERY_LEVEL: "sensor.zoe_soc", **_BOX},
            [("Ioniq", {**_own("ioniq"), **_BOX})],
            {
                role: ReuseProblem(ReuseError.SHARED_WITHOUT_CAR_SIGNAL, ("Ioniq",))
                for role in _BOX
            },
        ),
        # The car already there has none (it uses the wallbox's status).
        (
            {**_own("zoe"), **_BOX},
            [("Ioniq", {Role.CHARGING_STATE: "sensor.box_status", **_BOX})],
            {
                role: ReuseProblem(ReuseError.SHARED_WITHOUT_CAR_SIGNAL, ("Ioniq",))
                for role in _BOX
            },
        ),
        # The car saved takes the shared wallbox's status as well as its own plug.
        (
            {**_own("zoe"), Role.CHARGING_STATE: "sensor.box_status", **_BOX},
            [("Ioniq", {**_own("ioniq"), **_BOX})],
            {
                Role.CHARGING_STATE: ReuseProblem(
                    ReuseError.WALLBOX_SIGNAL_ON_SHARED, ("Ioniq",)
                )
            },
        ),
        # The status of a wallbox nobody shares is fine.
        ({Role.CHARGING_STATE: "sensor.box_status", **_BOX}, [], {}),
        # The session roles are never shared, even in the same role.
        (
            {**_own("zoe"), Role.CHARGING_STATE: "sensor.box_status"},
            [("Ioniq", {**_own("ioniq"), Role.CHARGING_STATE: "sensor.box_status"})],
            {Role.CHARGING_STATE: ReuseProblem(ReuseError.IN_USE, ("Ioniq",))},
        ),
    ],
)
def test_entity_reuse(
    mine: dict[Role, str],
    others: list[tuple[str, dict[Role, str]]],
    problems: dict[Role, ReuseProblem],
) -> None:
    assert entity_reuse(mine, others, _BOX_DEVICE) == problems


def test_entity_reuse_names_every_owner() -> None:
    others = [
        ("Ioniq", {**_own("ioniq"), **_BOX}),
        ("Kona", {**_own("kona"), **_BOX}),
    ]
    mine = {
        Role.BATTERY_LEVEL: "sensor.zoe_soc",
        Role.CHARGER_POWER: "sensor.box_power",
    }
    assert entity_reuse(mine, others) == {
        Role.CHARGER_POWER: ReuseProblem(
            ReuseError.SHARED_WITHOUT_CAR_SIGNAL, ("Ioniq", "Kona")
        )
    }
    assert {Role.CHARGER_POWER, Role.EVSE_ENERGY} <= SHAREABLE_ROLES
    assert Role.CHARGING_STATE not in SHAREABLE_ROLES


# README: the wallbox and energy-site tables ------------------------------------------

README = Path(__file__).parents[2] / "README.md"
README_WALLBOXES = {
    "Easee": "easee",
    "go-eCharger (goecharger_api2)": "go_echarger",
    "Ohme": "ohme",
    "OpenEVSE": "openevse",
    "Tesla Wall Connector": "tesla_wall_connector",
    "Wallbox": "wallbox",
    "Zaptec": "zaptec",
    "Peblar": "peblar",
    "myenergi zappi": "myenergi_zappi",
    "OCPP (lbbrhzn/ocpp)": "ocpp",
    "KEBA KeContact (core keba)": "keba",
    "Alfen Eve (alfen_wallbox)": "alfen_wallbox",
    "Fronius Wattpilot (wattpilot)": "wattpilot",
    "V2C Trydan (core v2c)": "v2c",
    "evcc loadpoint (marq24/ha-evcc)": "evcc",
    "SmartEVSE v3 (dingo35/ha-SmartEVSEv3)": "smartevse",
    "Hypervolt (home-assistant-hypervolt-charger)": "hypervolt",
    "Pod Point (pod-point-home-assistant-component)": "pod_point",
    "openWB 2 (openwb2mqtt)": "openwb2",
}
README_SITES = {
    "Tesla Powerwall": "powerwall",
    "Enphase Envoy": "enphase_envoy",
    "SolarEdge": "solaredge",
    "Tesla Fleet energy site": "tesla_fleet_energy",
    "Teslemetry energy site": "teslemetry_energy",
    "Fronius": "fronius",
    "SMA (core sma)": "sma",
    "Huawei Solar (huawei_solar)": "huawei_solar",
    "Growatt (core growatt_server)": "growatt_server",
    "GoodWe (core goodwe)": "goodwe",
    "SolaX (core solax)": "solax",
    "HomeWizard P1 meter (core homewizard)": "homewizard",
    "DSMR smart meter (core dsmr)": "dsmr",
    "Sungrow SHx (mkaiser modbus YAML)": "sungrow",
    "Shelly Pro 3EM (core shelly)": "shelly_pro_3em",
    "Tibber Pulse (core tibber)": "tibber",
    "Deye hybrid (davidrapan/ha-solarman)": "solarman_deye",
    "Kostal Plenticore (core kostal_plenticore)": "kostal_plenticore",
    "SolarEdge Modbus (binsentsu/home-assistant-solaredge-modbus)": "solaredge_modbus",
    "OpenDTU (Hoymiles over MQTT)": "opendtu",
    "Victron GX (sfstar/hass-victron)": "victron",
}
WALLBOX_COLUMNS: dict[str, tuple[Role, ...]] = {
    "car battery": (R.BATTERY_LEVEL,),
    "charging state": (R.CHARGING_STATE,),
    "plugged": (R.PLUGGED,),
    "charger power": (R.CHARGER_POWER,),
    "voltage / current": (R.CHARGER_VOLTAGE, R.CHARGER_CURRENT),
    "wallbox meter": (R.EVSE_ENERGY,),
}
SITE_COLUMNS: dict[str, tuple[Role, ...]] = {
    "solar": (R.SOLAR_POWER,),
    "grid": (R.GRID_POWER,),
    "home battery": (R.BATTERY_POWER,),
    "house load": (R.HOME_LOAD,),
}


def _covered(mapped: dict[Role, str], roles: tuple[Role, ...]) -> bool:
    """Every role is mapped; an import/export pair stands for the net grid meter."""
    pair = {R.GRID_IMPORT_POWER, R.GRID_EXPORT_POWER}
    return all(
        role in mapped or (role is R.GRID_POWER and pair <= mapped.keys())
        for role in roles
    )


def _readme_tables() -> list[dict[str, list[str]]]:
    section = README.read_text().split("## Supported wallboxes and energy sites")[1]
    section = section.split("\n## ", 1)[0]
    tables: list[dict[str, list[str]]] = []
    for block in section.split("\n\n"):
        rows = [line for line in block.splitlines() if line.startswith("|")]
        if rows:
            cells = [[c.strip() for c in r.strip().strip("|").split("|")] for r in rows]
            tables.append({row[0]: row[1:] for row in [cells[0], *cells[2:]]})
    return tables


def _readme_signs(name: str) -> str:
    # Imported here: flow_signs is plain Python but lives in the glue package.
    from custom_components.ev_ledger.flow_signs import SiteReadings, propose_signs
    from custom_components.ev_ledger.logic import units

    mapping = propose_mapping(entities(name, "sites")).mapping
    kw: dict[Role, float] = {}
    for row in load(name, "sites"):
        for role, entity_id in mapping.items():
            if row["entity_id"] == entity_id:
                value = units.to_kw(float(row["state"]), row["unit"])
                assert value is not None, entity_id
                kw[role] = value
    net = R.GRID_POWER in kw
    grid = kw.get(R.GRID_POWER)
    if not net and R.GRID_IMPORT_POWER in kw:
        grid = kw[R.GRID_IMPORT_POWER] - kw[R.GRID_EXPORT_POWER]
    readings = SiteReadings(
        solar=kw.get(R.SOLAR_POWER),
        grid=grid,
        grid_net_mapped=net,
        battery=kw.get(R.BATTERY_POWER),
        battery_mapped=R.BATTERY_POWER in kw,
        load=kw.get(R.HOME_LOAD),
    )
    import_positive, discharge_positive = propose_signs(readings)
    grid_sign = "import +" if import_positive else "export +"
    battery_sign = "discharge +" if discharge_positive else "charge +"
    # Only a net meter and a mapped battery have a sign to choose.
    return ", ".join(
        (
            grid_sign
            if net
            else "import/export pair"
            if R.GRID_IMPORT_POWER in kw
            else "no grid",
            battery_sign if R.BATTERY_POWER in kw else "no battery",
        )
    )


def test_readme_tables_are_what_the_mapping_proposes() -> None:
    wallboxes, sites = _readme_tables()
    for table, names, columns, family in (
        (wallboxes, README_WALLBOXES, WALLBOX_COLUMNS, "wallboxes"),
        (sites, README_SITES, SITE_COLUMNS, "sites"),
    ):
        header = next(iter(table.values()))
        assert header == [*columns, *(["signs"] if family == "sites" else [])]
        rows = {k: v for k, v in table.items() if v != header}
        assert set(rows) == set(names)
        assert sorted(names.values()) == sorted(FAMILIES[family][0])
        for label, name in names.items():
            mapped = propose_mapping(entities(name, family)).mapping
            expected = [
                "✓" if _covered(mapped, roles) else "" for roles in columns.values()
            ]
            if family == "sites":
                expected.append(_readme_signs(name))
            assert rows[label] == expected, label


# Found by the fixtures of more integrations -----------------------------------------


def _sensor(entity_id: str, name: str | None, **kwargs: Any) -> EntityInfo:
    return EntityInfo(
        entity_id=entity_id, domain="sensor", original_name=name, **kwargs
    )


def _ocpp(metric: str, **kwargs: Any) -> EntityInfo:
    key = metric.lower().replace(".", "_")
    return _sensor(f"sensor.cp_{key}", metric.replace(".", " "), **kwargs)


def test_ocpp_active_import_is_what_flows_into_the_car() -> None:
    # OCPP measurands: "Power.Active.Import" is the charging power and the
    # "Energy.Active.Import.Register" the wallbox's meter; "import" is no grid here.
    # What flows back ("Export"), what is offered and the meter at the session's
    # start are not the charge.
    kw = {"state_class": "measurement"}
    box = [
        _ocpp("Power.Active.Import", device_class="power", unit="kW", **kw),
        _ocpp("Power.Active.Export", device_class="power", unit="kW", **kw),
        _ocpp("Power.Offered", device_class="power", unit="kW", **kw),
        _ocpp("Current.Import", device_class="current", unit="A", **kw),
        _ocpp("Current.Export", device_class="current", unit="A", **kw),
        _ocpp("Current.Offered", device_class="current", unit="A", **kw),
        *(
            _ocpp(
                metric,
                device_class="energy",
                unit="kWh",
                state_class="total_increasing",
            )
            for metric in (
                "Energy.Active.Import.Register",
                "Energy.Active.Export.Register",
                "Energy.Meter.Start",
                "Energy.Active.Import.Interval",
            )
        ),
        _ocpp("Status.Connector"),
    ]
    proposal = propose_mapping(box)
    assert proposal.kind is DeviceKind.WALLBOX
    assert proposal.mapping == {
        Role.CHARGING_STATE: "sensor.cp_status_connector",
        Role.CHARGER_POWER: "sensor.cp_power_active_import",
        Role.CHARGER_CURRENT: "sensor.cp_current_import",
        Role.EVSE_ENERGY: "sensor.cp_energy_active_import_register",
    }
    # Without the register, the meter reading at the session's start is no meter.
    rest = [e for e in box if "register" not in e.entity_id]
    assert Role.EVSE_ENERGY not in propose_mapping(rest).mapping


def test_a_connector_status_is_no_connection_word() -> None:
    # "connect" (a cable, a connection) speaks against a charging state; OCPP's
    # "Status.Connector" is the connector's charging status, its charge point's
    # "Status" (connector 0) and "Error.Code.Connector" are not, nor is either a plug.
    box = [
        _ocpp("Status.Connector"),
        _ocpp("Status", entity_category="diagnostic"),
        _ocpp("Error.Code.Connector"),
        _ocpp("Stop.Reason"),
    ]
    proposal = propose_mapping(box, kind=DeviceKind.WALLBOX)
    assert proposal.mapping == {Role.CHARGING_STATE: "sensor.cp_status_connector"}
    assert "sensor.cp_error_code_connector" not in {
        c.entity_id for c in proposal.get(Role.PLUGGED).alternatives
    }


def _clamp(name: str) -> EntityInfo:
    return _sensor(
        f"sensor.myenergi_zappi_1_{name.lower().replace(' ', '_')}",
        f"myenergi zappi-1 {name}",
        device_class="power",
        unit="W",
        state_class="measurement",
        entity_category="diagnostic",
    )


def test_a_wallboxs_own_clamps_do_not_make_it_a_site() -> None:
    # A myenergi zappi has current clamps on the grid and the solar next to its own
    # "Internal Load", and a plug status: a wallbox, charging at its internal load.
    zappi = [
        _clamp("Internal Load CT1"),
        _clamp("Grid CT2"),
        _clamp("Generation CT3"),
        _sensor("sensor.myenergi_zappi_1_status", "myenergi zappi-1 Status"),
        _sensor("sensor.myenergi_zappi_1_plug_status", "myenergi zappi-1 Plug status"),
    ]
    assert detect_kind(zappi) is DeviceKind.WALLBOX
    power = propose_mapping(zappi).get(Role.CHARGER_POWER)
    assert power.chosen is not None
    assert power.chosen.entity_id == "sensor.myenergi_zappi_1_internal_load_ct1"
    assert [c.entity_id for c in power.alternatives] == []
    # The same clamps without the plug are a site's.
    assert detect_kind(zappi[:3]) is DeviceKind.ENERGY_SITE


def test_a_plug_binary_sensor_needs_no_plug_words() -> None:
    # Skoda's "Charger Connected" (device class plug) says "charger", not "plug".
    connected = EntityInfo(
        entity_id="binary_sensor.enyaq_charger_connected",
        domain="binary_sensor",
        device_class="plug",
        original_name="Charger Connected",
    )
    cable = _sensor("sensor.enyaq_cable", "Cable")
    plug = propose_mapping([connected, cable], kind=DeviceKind.VEHICLE)
    assert plug.mapping == {Role.PLUGGED: "binary_sensor.enyaq_charger_connected"}


def test_fuel_tank_and_bonus_ranges_are_no_range() -> None:
    # Volvo's "Distance to empty tank", Mercedes' "Range liquid" and "Eco score bonus
    # range": never the electric range, even alone.
    ranges = [
        _range("distance_to_empty_tank", "Distance to empty tank"),
        _range("range_liquid", "Range liquid"),
        _range("eco_score_bonus_range", "Eco score bonus range"),
        _range("adblue_range", "AdBlue Range"),
    ]
    proposal = propose_mapping(ranges, kind=DeviceKind.VEHICLE)
    assert proposal.get(Role.RANGE).chosen is None
    assert all(c.score < 20 for c in proposal.get(Role.RANGE).alternatives)


def test_a_rated_range_beats_the_estimated_and_ideal_ones() -> None:
    # TeslaMate's MQTT sensors (unit only, no device class): the "rated" range is
    # what the car shows; "rate" in "rated" is no charge rate.
    ranges = [
        _range("est_battery_range_km", "tesla_est_battery_range_km"),
        _range("rated_battery_range_km", "tesla_rated_battery_range_km"),
        _range("ideal_battery_range_km", "tesla_ideal_battery_range_km"),
    ]
    proposal = propose_mapping(ranges, kind=DeviceKind.VEHICLE)
    assert proposal.mapping == {Role.RANGE: "sensor.golf_gte_rated_battery_range_km"}
    # Alone, an estimated range is still the range; a charge rate never is.
    alone = propose_mapping([ranges[0]], kind=DeviceKind.VEHICLE)
    assert alone.mapping == {Role.RANGE: "sensor.golf_gte_est_battery_range_km"}
    rate = propose_mapping(
        [_range("charge_rate", "Charge rate")], kind=DeviceKind.VEHICLE
    )
    assert rate.get(Role.RANGE).chosen is None


def test_a_range_with_the_climate_on_ranks_below_the_range() -> None:
    # Nissan Leaf: "Range" and "Range (AC)", the latter a what-if; alone, it is kept.
    ranges = [
        _range("range_ac", "Range (AC)"),
        _range("range", "Range"),
        _range("electric_range", "Electric range"),
    ]
    proposal = propose_mapping(ranges[:2], kind=DeviceKind.VEHICLE)
    assert proposal.mapping[Role.RANGE] == "sensor.golf_gte_range"
    alone = propose_mapping(ranges[::2], kind=DeviceKind.VEHICLE)
    assert alone.mapping[Role.RANGE] == "sensor.golf_gte_electric_range"
    alone = propose_mapping(ranges[:1], kind=DeviceKind.VEHICLE)
    assert alone.mapping[Role.RANGE] == "sensor.golf_gte_range_ac"


def test_a_per_engine_range_ranks_below_the_plain_range() -> None:
    # Audi reports "Range" and, per engine, "Primary engine range": on a plug-in
    # hybrid the primary engine burns fuel, so the plain range is the safer pick.
    ranges = [
        _range("range", "Range"),
        _range("primary_engine_range", "Primary engine range"),
    ]
    proposal = propose_mapping(ranges, kind=DeviceKind.VEHICLE)
    assert proposal.mapping == {Role.RANGE: "sensor.golf_gte_range"}


def test_a_sites_one_directional_twins_lose_to_the_flow() -> None:
    # Fronius: the battery net and its charge and discharge halves; the house load
    # below zero ("Power load"), its positive twin ("consumed") and what loads
    # generate. The net battery and the consumed load are the flows.
    site = [
        _power(f"sensor.solarnet_{key}", key.replace("_", " ").capitalize())
        for key in (
            "power_photovoltaics",
            "power_battery",
            "power_battery_charge",
            "power_battery_discharge",
            "power_load",
            "power_load_consumed",
            "power_load_generated",
        )
    ]
    proposal = propose_mapping(site)
    assert proposal.kind is DeviceKind.ENERGY_SITE
    assert proposal.mapping == {
        Role.SOLAR_POWER: "sensor.solarnet_power_photovoltaics",
        Role.BATTERY_POWER: "sensor.solarnet_power_battery",
        Role.HOME_LOAD: "sensor.solarnet_power_load_consumed",
    }
    loads = proposal.get(Role.HOME_LOAD).alternatives
    assert all(c.score < 50 for c in loads if "generated" in c.entity_id)


def test_a_lifetime_meter_beats_a_session_counter_even_as_diagnostic() -> None:
    # Peblar's "Lifetime energy" is a diagnostic entity; its "Session energy" is not.
    # A meter that never resets still makes the better wallbox meter.
    def energy(key: str, name: str, **kwargs: Any) -> EntityInfo:
        return _sensor(
            f"sensor.peblar_{key}",
            name,
            device_class="energy",
            unit="kWh",
            state_class="total_increasing",
            **kwargs,
        )

    box = [
        energy("session_energy", "Session energy"),
        energy("lifetime_energy", "Lifetime energy", entity_category="diagnostic"),
    ]
    proposal = propose_mapping(box, kind=DeviceKind.WALLBOX)
    assert proposal.mapping == {Role.EVSE_ENERGY: "sensor.peblar_lifetime_energy"}


def test_a_lone_neutral_reading_is_not_the_chargers() -> None:
    # Alfen reports the socket's neutral current and voltage beside its phases:
    # alone (the phases left out), "Current N" scored the minimum and was proposed.
    alfen = entities("alfen_wallbox", "wallboxes")
    lone = [
        e
        for e in alfen
        if not any(
            w in (e.original_name or "")
            for w in ("Current L", "Voltage L", "Active Power")
        )
    ]
    assert any("Current N" in (e.original_name or "") for e in lone)
    proposal = propose_mapping(lone, kind=DeviceKind.WALLBOX)
    assert proposal.get(Role.CHARGER_CURRENT).chosen is None
    assert proposal.get(Role.CHARGER_VOLTAGE).chosen is None


def _evcc(key: str, name: str, **kwargs: Any) -> EntityInfo:
    domain = kwargs.pop("domain", "sensor")
    return EntityInfo(
        entity_id=f"{domain}.evcc_garage_{key}",
        domain=domain,
        original_name=name,
        translation_key=key.replace("_", ""),
        **kwargs,
    )


def test_a_bare_p1_is_a_phase_not_the_smart_meter() -> None:
    # evcc names its phases P1..P3; "P1" read as the smart meter's port sank the
    # first phase and left the other two tied, so no current was proposed.
    currents = [
        _evcc(
            f"charge_currents_{n}",
            f"Charge current P{n + 1}",
            device_class="current",
            unit="A",
            state_class="measurement",
        )
        for n in range(3)
    ]
    proposal = propose_mapping(currents, kind=DeviceKind.WALLBOX)
    assert proposal.mapping == {
        R.CHARGER_CURRENT: "sensor.evcc_garage_charge_currents_0"
    }


def test_a_wallboxs_bare_connected_is_the_plug() -> None:
    # evcc's loadpoint says "Connected" (device class connectivity) for the car; on
    # a car the same words would be its link to the cloud.
    box = [
        _evcc(
            "connected",
            "Connected",
            domain="binary_sensor",
            device_class="connectivity",
        ),
        _evcc(
            "charging",
            "Charging",
            domain="binary_sensor",
            device_class="battery_charging",
        ),
    ]
    on_a_wallbox = propose_mapping(box, kind=DeviceKind.WALLBOX).mapping
    assert on_a_wallbox[R.PLUGGED] == "binary_sensor.evcc_garage_connected"
    assert R.PLUGGED not in propose_mapping(box, kind=DeviceKind.VEHICLE).mapping


def test_a_relayed_odometer_does_not_make_a_wallbox_a_car() -> None:
    # evcc relays the connected car's odometer and range beside its charger
    # readings: it stays a wallbox. An odometer with no wallbox words is a car's.
    evcc = entities("evcc", "wallboxes")
    assert detect_kind(evcc) is DeviceKind.WALLBOX
    odometer = [
        e for e in evcc if e.entity_id.endswith(("vehicle_odometer", "charge_power"))
    ]
    assert detect_kind(odometer) is DeviceKind.VEHICLE


def test_a_cars_bare_power_is_the_packs_and_its_obc_the_chargers() -> None:
    # The SAIC gateway's "Power", "Current" and "Voltage" are the HV pack's,
    # negative while charging: they were proposed as the charger's. Its "OBC
    # Current" (the on-board charger's) scored below them.
    def reading(name: str, device_class: str, unit: str) -> EntityInfo:
        key = name.lower().replace(" ", "_")
        return _sensor(
            f"sensor.mg4_{key}",
            name,
            device_class=device_class,
            unit=unit,
            state_class="measurement",
        )

    car = [
        reading("Power", "power", "kW"),
        reading("Current", "current", "A"),
        reading("Voltage", "voltage", "V"),
        reading("OBC Current", "current", "A"),
    ]
    proposal = propose_mapping(car, kind=DeviceKind.VEHICLE).mapping
    assert proposal == {R.CHARGER_CURRENT: "sensor.mg4_obc_current"}
    # On a wallbox the same bare words are the charger's.
    wallbox = propose_mapping(car[:3], kind=DeviceKind.WALLBOX).mapping
    assert wallbox[R.CHARGER_POWER] == "sensor.mg4_power"


def test_a_cars_control_pilot_is_the_plug() -> None:
    # OVMS's "Pilot Signal" (device class connectivity) is on only while the cable
    # is plugged in; without a plug word it was taken for a network link.
    car = [
        EntityInfo(
            entity_id="binary_sensor.kona_pilot_signal",
            domain="binary_sensor",
            original_name="Pilot Signal",
            device_class="connectivity",
        ),
        EntityInfo(
            entity_id="binary_sensor.kona_charging_status",
            domain="binary_sensor",
            original_name="Charging Status",
            device_class="battery_charging",
        ),
    ]
    proposal = propose_mapping(car, kind=DeviceKind.VEHICLE).mapping
    assert proposal[R.PLUGGED] == "binary_sensor.kona_pilot_signal"


def test_the_cars_speed_beats_the_gps_speed() -> None:
    # OVMS reports the car's "Vehicle Speed" and a "GPS Speed": they tied.
    def speed(key: str, name: str) -> EntityInfo:
        return _sensor(
            f"sensor.kona_{key}",
            name,
            device_class="speed",
            unit="km/h",
            state_class="measurement",
        )

    car = [speed("vehicle_speed", "Vehicle Speed"), speed("gps_speed", "GPS Speed")]
    proposal = propose_mapping(car, kind=DeviceKind.VEHICLE).mapping
    assert proposal == {R.SPEED: "sensor.kona_vehicle_speed"}


def test_an_ev_meters_import_is_the_charge_and_a_wifi_status_no_state() -> None:
    # SmartEVSE: "EV Import Active Power" is what its EV meter sees flowing into the
    # car (sunk as a grid import); its "State" tied with its "State_id" and "Wifi
    # Status", so no charging state was proposed.
    def text(key: str, name: str) -> EntityInfo:
        return _sensor(f"sensor.smartevse_{key}", f"SmartEVSE {name}")

    box = [
        text("state", "State"),
        text("state_id", "State_id"),
        text("wifi_status", "Wifi Status"),
        _sensor(
            "sensor.smartevse_ev_import_active_power",
            "SmartEVSE EV Import Active Power",
            device_class="power",
            unit="kW",
        ),
    ]
    proposal = propose_mapping(box, kind=DeviceKind.WALLBOX).mapping
    assert proposal == {
        R.CHARGING_STATE: "sensor.smartevse_state",
        R.CHARGER_POWER: "sensor.smartevse_ev_import_active_power",
    }
    # A grid import stays no charger power.
    grid = _power("sensor.smartevse_grid_import_active_power", "Grid import power")
    assert (
        R.CHARGER_POWER not in propose_mapping([grid], kind=DeviceKind.WALLBOX).mapping
    )


def test_a_clamps_power_is_not_the_chargers() -> None:
    # Hypervolt's "CT Power" (its clamp on the house supply) tied with its own
    # "Session Power"; its "Session Energy Total Increasing" read as a lifetime meter.
    def reading(key: str, name: str, **kwargs: Any) -> EntityInfo:
        return _sensor(f"sensor.hypervolt_{key}", f"Hypervolt {name}", **kwargs)

    box = [
        reading("ct_power", "CT Power", device_class="power", unit="W"),
        reading("session_power", "Session Power", device_class="power", unit="W"),
    ]
    proposal = propose_mapping(box, kind=DeviceKind.WALLBOX).mapping
    assert proposal == {R.CHARGER_POWER: "sensor.hypervolt_session_power"}
    counter = reading(
        "session_energy_total_increasing",
        "Session Energy Total Increasing",
        device_class="energy",
        unit="Wh",
        state_class="total_increasing",
    )
    meter = propose_mapping([counter], kind=DeviceKind.WALLBOX).get(R.EVSE_ENERGY)
    assert meter.chosen is not None
    assert not any("total" in reason for reason in meter.chosen.reasons[2:])


def test_a_wallboxs_german_words() -> None:
    # openWB 2: "Autoladestatus" (battery_charging) was sunk by "auto" and by no
    # word starting "lade", so "Lademodus" (the charge mode) was the charging state;
    # "Soll-Ladestrom" (a setting) beat "Strom (L1)"; the lifetime and today's
    # "Geladene Energie" tied.
    def wb(domain: str, key: str, name: str, **kwargs: Any) -> EntityInfo:
        return EntityInfo(
            entity_id=f"{domain}.openwb_cp_{key}",
            domain=domain,
            original_name=name,
            **kwargs,
        )

    def amps(key: str, name: str) -> EntityInfo:
        return wb("sensor", key, name, device_class="current", unit="A")

    def kwh(key: str, name: str) -> EntityInfo:
        return wb("sensor", key, name, device_class="energy", unit="kWh")

    box = [
        wb(
            "binary_sensor",
            "autoladestatus",
            "Autoladestatus",
            device_class="battery_charging",
        ),
        wb("sensor", "lademodus", "Lademodus"),
        amps("soll_ladestrom_sofortladen", "Soll-Ladestrom (Sofortladen)"),
        amps("strom_l1", "Strom (L1)"),
        kwh("geladene_energie_gesamt", "Geladene Energie (Gesamt)"),
        kwh("geladene_energie_heute", "Geladene Energie (Heute)"),
    ]
    assert propose_mapping(box, kind=DeviceKind.WALLBOX).mapping == {
        R.CHARGING_STATE: "binary_sensor.openwb_cp_autoladestatus",
        R.CHARGER_CURRENT: "sensor.openwb_cp_strom_l1",
        R.EVSE_ENERGY: "sensor.openwb_cp_geladene_energie_gesamt",
    }
    # "Auto" on its own still speaks against a charging state.
    auto = [wb("sensor", "auto_charge_status", "Auto charge status")]
    assert (
        R.CHARGING_STATE not in propose_mapping(auto, kind=DeviceKind.WALLBOX).mapping
    )


def test_a_sum_of_strings_and_a_loads_share_rank_below_the_totals() -> None:
    # Kostal: "Solar Power" tied with "Sum power of all PV DC inputs" and "Home
    # Power" with "Home Power from Own", so neither solar nor load was proposed.
    kostal = [
        _power(f"sensor.scb_{key}", f"scb {name}")
        for key, name in (
            ("solar_power", "Solar Power"),
            ("sum_power_of_all_pv_dc_inputs", "Sum power of all PV DC inputs"),
            ("home_power", "Home Power"),
            ("home_power_from_own", "Home Power from Own"),
        )
    ]
    assert propose_mapping(kostal, kind=DeviceKind.ENERGY_SITE).mapping == {
        R.SOLAR_POWER: "sensor.scb_solar_power",
        R.HOME_LOAD: "sensor.scb_home_power",
    }
    # Alone, each is still proposed.
    alone = propose_mapping([kostal[1], kostal[3]], kind=DeviceKind.ENERGY_SITE)
    assert alone.mapping == {
        R.SOLAR_POWER: "sensor.scb_sum_power_of_all_pv_dc_inputs",
        R.HOME_LOAD: "sensor.scb_home_power_from_own",
    }


def test_an_inverter_counting_only_its_yield_makes_solar() -> None:
    # OpenDTU names a Hoymiles inverter's AC output just "Power" beside "YieldDay"
    # and "YieldTotal": it was taken for a wallbox's charger power.
    def energy(key: str, name: str) -> EntityInfo:
        return _sensor(
            f"sensor.garage_{key}",
            name,
            device_class="energy",
            unit="kWh",
            state_class="total_increasing",
        )

    dtu = [
        _power("sensor.garage_power", "Power"),
        energy("yieldday", "YieldDay"),
        energy("yieldtotal", "YieldTotal"),
    ]
    assert detect_kind(dtu) is DeviceKind.ENERGY_SITE
    assert propose_mapping(dtu).mapping == {R.SOLAR_POWER: "sensor.garage_power"}
    # A hybrid counts its battery too: its plain "Power" is its AC output, no solar.
    hybrid = [*dtu, energy("battery_charge", "Battery charge")]
    site = propose_mapping(hybrid, kind=DeviceKind.ENERGY_SITE)
    assert site.get(R.SOLAR_POWER).chosen is None


def test_a_reading_repeated_in_miles_ranks_below_the_kilometres() -> None:
    # Cupra's "Odometer in Kilometers" and "Odometer in Miles" (rounded down to
    # whole miles) tied, and so did its two ranges: neither was proposed.
    def reading(key: str, name: str, unit: str) -> EntityInfo:
        return _sensor(f"sensor.born_{key}", f"Born {name}", unit=unit)

    car = [
        reading("odometer_in_kilometers", "Odometer in Kilometers", "km"),
        reading("odometer_in_miles", "Odometer in Miles", "mi"),
        reading("range_in_kilometers", "Range in Kilometers", "km"),
        reading("range_in_miles", "Range in Miles", "mi"),
    ]
    assert propose_mapping(car, kind=DeviceKind.VEHICLE).mapping == {
        R.ODOMETER: "sensor.born_odometer_in_kilometers",
        R.RANGE: "sensor.born_range_in_kilometers",
    }


def test_an_endurance_mileage_is_the_range() -> None:
    # BYD keys its "Range" as "endurance_mileage": "mileage" sank it below a
    # disabled "EV endurance". An odometer's "total mileage" stays no range.
    def distance(key: str, name: str, **kwargs: Any) -> EntityInfo:
        return _sensor(
            f"sensor.atto_3_{key}",
            name,
            device_class="distance",
            unit="km",
            translation_key=kwargs.pop("translation_key", key),
            **kwargs,
        )

    car = [
        distance("range", "Range", translation_key="endurance_mileage"),
        distance(
            "ev_endurance",
            "EV endurance",
            entity_category="diagnostic",
            disabled=True,
        ),
        distance(
            "odometer",
            "Odometer",
            translation_key="total_mileage",
            state_class="total_increasing",
        ),
    ]
    proposal = propose_mapping(car, kind=DeviceKind.VEHICLE)
    assert proposal.mapping[R.RANGE] == "sensor.atto_3_range"
    assert proposal.mapping[R.ODOMETER] == "sensor.atto_3_odometer"
    ranges = {c.entity_id: c.score for c in proposal.get(R.RANGE).alternatives}
    assert ranges.get("sensor.atto_3_odometer", 0) < 20
