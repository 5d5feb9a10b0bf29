"""State-text normalisation: every brand's spelling lands on the same canonical value."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypothesis import given, strategies as st
import pytest

from custom_components.ev_ledger.logic.model import ChargeState, ChargeType
from custom_components.ev_ledger.logic.vocab import (
    charge_state,
    charge_state_implies_plug,
    charger_type,
    in_context,
    is_gap,
    normalise,
    plugged,
    shift_state,
)

if TYPE_CHECKING:
    from collections.abc import Callable

DISCONNECTED = ChargeState.DISCONNECTED
NOT_CHARGING = ChargeState.NOT_CHARGING
PLUGGED = ChargeState.PLUGGED
CHARGING = ChargeState.CHARGING
COMPLETE = ChargeState.COMPLETE

CHARGE_STATES: list[tuple[str, str, ChargeState | None]] = [
    # Tesla Fleet / Teslemetry / Tessie enum options (and the raw API spelling)
    ("tesla", "starting", PLUGGED),
    ("tesla", "charging", CHARGING),
    ("tesla", "stopped", PLUGGED),
    ("tesla", "complete", COMPLETE),
    ("tesla", "disconnected", DISCONNECTED),
    ("tesla", "no_power", PLUGGED),
    ("tessie", "NoPower", PLUGGED),
    ("tessie", "Disconnected", DISCONNECTED),
    # Kia / Hyundai binary sensor, switches
    ("kia", "on", CHARGING),
    ("kia", "off", NOT_CHARGING),
    ("switch", "True", CHARGING),
    # FordPass
    ("ford", "CHARGING", CHARGING),
    ("ford", "IN_PROGRESS", CHARGING),
    ("ford", "CHARGE_SCHEDULED", PLUGGED),
    ("ford", "EVSE_NOT_DETECTED", DISCONNECTED),
    ("ford", "STATION_NOT_DETECTED", DISCONNECTED),
    ("ford", "NOT_READY", DISCONNECTED),
    ("ford", "PAUSED", PLUGGED),
    ("ford", "COMPLETED", COMPLETE),
    ("ford", "CHARGE_TARGET_REACHED", COMPLETE),
    ("ford", "FAULT", None),
    # VW ID (WeConnect)
    ("vw", "charging", CHARGING),
    ("vw", "readyForCharging", PLUGGED),
    ("vw", "notReadyForCharging", DISCONNECTED),
    ("vw", "chargePurposeReachedAndConservation", COMPLETE),
    ("vw", "chargePurposeReachedAndNotConservationCharging", COMPLETE),
    ("vw", "conservation", COMPLETE),
    ("vw", "discharging", PLUGGED),
    ("vw", "error", None),
    ("vw", "unsupported", None),
    # BMW (upper case from the API, lower case as enum options)
    ("bmw", "CHARGING", CHARGING),
    ("bmw", "COMPLETE", COMPLETE),
    ("bmw", "FULLY_CHARGED", COMPLETE),
    ("bmw", "PLUGGED_IN", PLUGGED),
    ("bmw", "NOT_CHARGING", NOT_CHARGING),
    ("bmw", "WAITING_FOR_CHARGING", PLUGGED),
    ("bmw", "FINISHED_FULLY_CHARGED", COMPLETE),
    ("bmw", "finished_not_full", COMPLETE),
    ("bmw", "TARGET_REACHED", COMPLETE),
    ("bmw", "INVALID", None),
    ("bmw", "default", None),
    # Renault
    ("renault", "charge_in_progress", CHARGING),
    ("renault", "waiting_for_current_charge", PLUGGED),
    ("renault", "charge_ended", COMPLETE),
    ("renault", "not_in_charge", DISCONNECTED),
    ("renault", "charge_error", None),
    ("renault", "waiting_for_a_planned_charge", PLUGGED),
    ("renault", "energy_flap_opened", None),
    # Polestar
    ("polestar", "CHARGING_STATUS_CHARGING", CHARGING),
    ("polestar", "CHARGING_STATUS_DONE", COMPLETE),
    # Volvo's Energy API: IDLE is "not currently charging"; the plug is the
    # connection status's to say
    ("polestar", "CHARGING_STATUS_IDLE", NOT_CHARGING),
    ("polestar", "CHARGING_STATUS_SCHEDULED", PLUGGED),
    ("polestar", "CHARGING_STATUS_SMART_CHARGING", CHARGING),
    ("polestar", "CHARGING_STATUS_DISCHARGING", PLUGGED),
    ("polestar", "CHARGING_STATUS_FAULT", None),
    ("polestar", "CHARGING_STATUS_UNSPECIFIED", None),
    # Mercedes
    ("mercedes", "Charging", CHARGING),
    ("mercedes", "Charging ends", COMPLETE),
    ("mercedes", "End of charge", COMPLETE),
    ("mercedes", "Charge break", PLUGGED),
    ("mercedes", "Unplugged", DISCONNECTED),
    ("mercedes", "Slow charging", CHARGING),
    ("mercedes", "Fast charging", CHARGING),
    ("mercedes", "Failure", None),
    # Easee
    ("easee", "charging", CHARGING),
    ("easee", "awaiting_start", PLUGGED),
    ("easee", "completed", COMPLETE),
    ("easee", "ready_to_charge", PLUGGED),
    ("easee", "disconnected", DISCONNECTED),
    ("easee", "paused", PLUGGED),
    ("easee", "awaiting_authorization", PLUGGED),
    # go-e
    ("go-e", "Charging", CHARGING),
    ("go-e", "Wait for car", PLUGGED),
    ("go-e", "Complete", COMPLETE),
    ("go-e", "Idle", DISCONNECTED),
    # OpenEVSE
    ("openevse", "charging", CHARGING),
    ("openevse", "sleeping", PLUGGED),
    ("openevse", "connected", PLUGGED),
    ("openevse", "not connected", DISCONNECTED),
    ("openevse", "gfci fault", None),
    # Wallbox ("Ready" and "Locked" mean no car there)
    ("wallbox", "Charging", CHARGING),
    ("wallbox", "Connected: waiting for car demand", PLUGGED),
    ("wallbox", "Ready", DISCONNECTED),
    ("wallbox", "Paused by user", PLUGGED),
    ("wallbox", "Locked", DISCONNECTED),
    ("wallbox", "Locked, car connected", PLUGGED),
    ("wallbox", "Scheduled", PLUGGED),
    ("wallbox", "Discharging", PLUGGED),
    ("wallbox", "Connected: not charging (paused)", PLUGGED),
    ("wallbox", "No car connected", DISCONNECTED),
    ("wallbox", "Waiting in queue by Power Sharing", PLUGGED),
    # Zaptec
    ("zaptec", "connected_charging", CHARGING),
    ("zaptec", "connected_requesting", PLUGGED),
    ("zaptec", "connected_finished", COMPLETE),
    ("zaptec", "disconnected", DISCONNECTED),
    # Ohme
    ("ohme", "charging", CHARGING),
    ("ohme", "plugged_in", PLUGGED),
    ("ohme", "pending_approval", PLUGGED),
    ("ohme", "unplugged", DISCONNECTED),
    ("ohme", "finished", COMPLETE),
    # Volvo (core, enum options); "idle" reads as no car, as Polestar's does
    ("volvo", "charging", CHARGING),
    ("volvo", "discharging", PLUGGED),
    ("volvo", "done", COMPLETE),
    ("volvo", "idle", DISCONNECTED),
    ("volvo", "scheduled", PLUGGED),
    ("volvo", "error", None),
    # Skoda (myskoda enum options): "connect cable" asks for one
    ("skoda", "connect_cable", DISCONNECTED),
    ("skoda", "ready_for_charging", PLUGGED),
    ("skoda", "conserving", COMPLETE),
    ("skoda", "charging", CHARGING),
    ("skoda", "charging_interrupted", PLUGGED),
    # Polestar (pypolestar StrEnum values)
    ("polestar", "Charging", CHARGING),
    ("polestar", "Smart Charging", CHARGING),
    ("polestar", "Done", COMPLETE),
    ("polestar", "Scheduled", PLUGGED),
    ("polestar", "Unspecified", None),
    # Audi (audiconnect, the VW group's API spellings)
    ("audi", "readyForCharging", PLUGGED),
    ("audi", "notReadyForCharging", DISCONNECTED),
    ("audi", "chargePurposeReachedAndConservation", COMPLETE),
    # Peblar (core enum options)
    ("peblar", "suspended", PLUGGED),
    ("peblar", "charging", CHARGING),
    ("peblar", "no_ev_connected", DISCONNECTED),
    ("peblar", "fault", None),
    ("peblar", "invalid", None),
    # myenergi zappi: status and plug status (IEC 61851 pilot states)
    ("zappi", "Paused", PLUGGED),
    ("zappi", "Charging", CHARGING),
    ("zappi", "Boosting", CHARGING),
    ("zappi", "Completed", COMPLETE),
    ("zappi", "EV Disconnected", DISCONNECTED),
    ("zappi", "EV Connected", PLUGGED),
    ("zappi", "Waiting for EV", PLUGGED),
    ("zappi", "EV ready to charge", PLUGGED),
    ("zappi", "Fault", None),
    # OCPP 1.6 ChargePointStatus (lbbrhzn/ocpp "Status.Connector")
    ("ocpp", "Available", DISCONNECTED),
    ("ocpp", "Preparing", PLUGGED),
    ("ocpp", "Charging", CHARGING),
    ("ocpp", "SuspendedEV", PLUGGED),
    ("ocpp", "SuspendedEVSE", PLUGGED),
    ("ocpp", "Finishing", COMPLETE),
    ("ocpp", "Faulted", None),
    ("ocpp", "Reserved", None),
    # OCPP 2.0.1 ConnectorStatusEnumType
    ("ocpp 2.0", "Occupied", PLUGGED),
    # Alfen Eve (leeyuentuen/alfen_wallbox) socket status texts
    ("alfen", "Available", DISCONNECTED),
    ("alfen", "EV Connected", PLUGGED),
    ("alfen", "Charging Normal", CHARGING),
    ("alfen", "Suspended EV Disconnected", DISCONNECTED),
    ("alfen", "Finish Wait Vehicle", COMPLETE),
    ("alfen", "Finish Wait Disconnect", COMPLETE),
    ("alfen", "Charging Non Charging", NOT_CHARGING),
    ("alfen", "Solar Charging Wait", PLUGGED),
    ("alfen", "Error Protective Earth", None),
    # Porsche Connect (CJNE/ha-porscheconnect) charging summary
    ("porsche", "CHARGING", CHARGING),
    ("porsche", "INSTANT_CHARGING", CHARGING),
    ("porsche", "INITIALISING", PLUGGED),
    ("porsche", "CHARGING_COMPLETED", COMPLETE),
    ("porsche", "NOT_CHARGING", NOT_CHARGING),
    ("porsche", "NOT_PLUGGED", DISCONNECTED),
    ("porsche", "ERROR", None),
    ("free text", "Initializing charging", PLUGGED),
    # Free text
    ("free text", "Smart Charging", CHARGING),
    ("free text", "Charging paused", PLUGGED),
    ("free text", "Charging stopped", PLUGGED),
    ("free text", "Not charging", NOT_CHARGING),
    ("free text", "Cable unplugged", DISCONNECTED),
    ("free text", "Plugged in, waiting", PLUGGED),
    ("free text", "Vehicle connected", PLUGGED),
    # Translations
    ("de", "Lädt", CHARGING),
    ("de", "Laden", CHARGING),
    ("de", "Getrennt", DISCONNECTED),
    ("de", "Verbunden", PLUGGED),
    ("de", "Nicht verbunden", DISCONNECTED),
    ("de", "Abgeschlossen", COMPLETE),
    ("de", "Ladebereit", PLUGGED),
    ("de", "Lädt nicht", NOT_CHARGING),
    ("fr", "En charge", CHARGING),
    ("fr", "Débranché", DISCONNECTED),
    ("fr", "Branché", PLUGGED),
    ("fr", "Charge terminée", COMPLETE),
    ("nl", "Opladen", CHARGING),
    ("nl", "Niet verbonden", DISCONNECTED),
    ("no", "Lader", CHARGING),
    ("no", "Frakoblet", DISCONNECTED),
    ("sv", "Laddar", CHARGING),
    ("sv", "Ansluten", PLUGGED),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [(text, expected) for _, text, expected in CHARGE_STATES],
    ids=[f"{brand}:{text}" for brand, text, _ in CHARGE_STATES],
)
def test_charge_state_spellings(text: str, expected: ChargeState | None) -> None:
    assert charge_state(text) is expected


@pytest.mark.parametrize(
    "text", ["unknown", "unavailable", "", "   ", "banana", "42", "☀", "climate on"]
)
def test_charge_state_unknown_is_none(text: str) -> None:
    assert charge_state(text) is None


@pytest.mark.parametrize(
    "text",
    ["discharging", "Discharging", "DISCHARGING", "not charging", "NOT_CHARGING"],
)
def test_discharging_and_negations_never_read_as_charging(text: str) -> None:
    assert charge_state(text) is not CHARGING


# camelCase spellings carry their word breaks in the letter case, so only spellings
# whose words survive lower-casing are fair game for case folding.
_SPELLING_SAMPLES = [
    text
    for _, text, expected in CHARGE_STATES
    if expected is not None and normalise(text) == normalise(text.lower())
]
_CASINGS: list[Callable[[str], str]] = [str.lower, str.upper, str.title, str.strip]


@given(
    text=st.sampled_from(_SPELLING_SAMPLES),
    separator=st.sampled_from(["_", "-", " ", "  ", "."]),
    case=st.sampled_from(_CASINGS),
    padding=st.sampled_from(["", " ", "\t", "  \n"]),
)
def test_charge_state_ignores_case_spacing_and_separators(
    text: str, separator: str, case: Callable[[str], str], padding: str
) -> None:
    variant = padding + case(text.replace("_", separator)) + padding
    assert charge_state(variant) is charge_state(text)


@given(st.text())
def test_vocab_functions_never_raise(text: str) -> None:
    charge_state(text)
    plugged(text)
    shift_state(text)
    charger_type(text)
    is_gap(text)
    normalise(text)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (DISCONNECTED, False),
        (PLUGGED, True),
        (CHARGING, True),
        (COMPLETE, True),
        (NOT_CHARGING, None),
    ],
)
def test_charge_state_implies_plug(state: ChargeState, expected: bool | None) -> None:
    assert charge_state_implies_plug(state) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on", True),
        ("off", False),
        ("true", True),
        ("False", False),
        ("connected", True),
        ("CONNECTED", True),
        ("disconnected", False),
        ("DISCONNECTED", False),
        ("plugged_in", True),
        ("unplugged", False),
        ("plugged", True),
        ("plugged_waiting_for_charge", True),
        ("plug_error", None),
        ("plug_unknown", None),
        ("Charge cable connected", True),
        ("Cable not connected", False),
        ("No cable", False),
        ("CHARGER_CONNECTION_STATUS_CONNECTED", True),
        ("CHARGER_CONNECTION_STATUS_DISCONNECTED", False),
        ("Eingesteckt", True),
        ("Getrennt", False),
        # Volvo, Polestar, Skoda, Peblar, myenergi zappi, OCPP
        ("Disconnected", False),
        ("connect_cable", False),
        ("no_ev_connected", False),
        ("EV Disconnected", False),
        ("EV Connected", True),
        ("Waiting for EV", True),
        ("suspended", True),
        ("Available", False),
        ("Preparing", True),
        ("SuspendedEV", True),
        ("Occupied", True),
        # Tesla's charge cable sensor: the standard, or "<invalid>" when empty
        ("IEC", True),
        ("SAE", True),
        ("<invalid>", False),
        ("invalid", None),
        # Only implied by a wallbox status
        ("connected_charging", True),
        ("awaiting_start", True),
        ("Idle", False),
        ("completed", True),
        ("unknown", None),
        ("unavailable", None),
        ("", None),
        ("banana", None),
        # Wattpilot (mk-maddin/wattpilot-HA) "carConnected"
        ("no car", False),
        ("ready", True),
        ("complete", True),
    ],
)
def test_plugged(text: str, expected: bool | None) -> None:
    assert plugged(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P", "P"),
        ("p", "P"),
        ("park", "P"),
        ("PARK", "P"),
        ("Parked", "P"),
        ("D", "D"),
        ("drive", "D"),
        ("DRIVE", "D"),
        ("B", "D"),
        ("sport", "D"),
        ("R", "R"),
        ("reverse", "R"),
        ("REVERSE", "R"),
        ("N", "N"),
        ("neutral", "N"),
        ("NEUTRAL", "N"),
        ("gear_p", "P"),
        ("Rückwärts", "R"),
        ("SNA", None),
        ("<invalid>", None),
        ("unknown", None),
        ("", None),
    ],
)
def test_shift_state(text: str, expected: str | None) -> None:
    assert shift_state(text) == expected


AC = ChargeType.AC
DC = ChargeType.DC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ac", AC),
        ("AC", AC),
        ("dc", DC),
        ("DC", DC),
        ("fast", DC),
        ("Supercharger", DC),
        ("CCS", DC),
        ("ccs2", DC),
        ("CHAdeMO", DC),
        ("Combo", DC),
        ("dc_fast", DC),
        ("DC Fast Charging", DC),
        ("type2", AC),
        ("Type 2", AC),
        ("level 2", AC),
        ("Level 1", AC),
        ("J1772", AC),
        ("ac_high", AC),
        ("ACSingleWireCAN", AC),
        ("Destination", AC),
        ("MCSingleWireCAN", None),
        ("Tesla", None),
        # Stellantis (Peugeot, Citroën, Opel) charging mode
        ("quick", DC),
        ("Quick", DC),
        ("slow", AC),
        ("no", None),
        # Volvo, Skoda, Polestar
        ("none", None),
        ("Unspecified", None),
        ("GB", None),
        ("invalid", None),
        ("off", None),
        ("active", None),
        ("unknown", None),
    ],
)
def test_charger_type(text: str, expected: ChargeType | None) -> None:
    assert charger_type(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, True),
        ("", True),
        ("  ", True),
        ("unknown", True),
        ("Unavailable", True),
        (" unknown ", True),
        ("0", False),
        ("off", False),
        ("none", False),
    ],
)
def test_is_gap(text: str | None, expected: bool) -> None:
    assert is_gap(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("readyForCharging", "ready for charging"),
        ("NoPower", "no power"),
        ("IN_PROGRESS", "in progress"),
        ("DCChargingPower", "dc charging power"),
        ("State of Charge (SoC)", "state of charge soc"),
        ("Battery (12V)", "battery 12v"),
        ("Débranché", "debranche"),
        ("  Connected:  waiting-for car  ", "connected waiting for car"),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


TWC_OPTIONS = (
    "booting",
    "not_connected",
    "connected",
    "ready",
    "negotiating",
    "error",
    "charging_finished",
    "waiting_car",
    "charging_reduced",
    "charging",
)


@pytest.mark.parametrize(
    ("text", "options", "state", "plugged_in"),
    [
        # Tesla Wall Connector: its own no-car state; "ready" is a car, ready.
        ("ready", TWC_OPTIONS, ChargeState.PLUGGED, True),
        ("not_connected", TWC_OPTIONS, ChargeState.DISCONNECTED, False),
        ("charging", TWC_OPTIONS, ChargeState.CHARGING, True),
        # Wallbox's free text (no list of states): as a charging state "Ready" means
        # no car; an entity read as the plug (Wattpilot's "carConnected": no car,
        # charging, ready, complete) says "ready" with a car ready to charge.
        ("Ready", (), ChargeState.DISCONNECTED, True),
        # A list without a no-car state says nothing new about "ready".
        ("ready", ("ready", "charging", "error"), ChargeState.DISCONNECTED, True),
    ],
)
def test_ready_in_the_context_of_the_entitys_states(
    text: str,
    options: tuple[str, ...],
    state: ChargeState,
    plugged_in: bool,
) -> None:
    read = in_context(text, options)
    assert charge_state(read) is state
    assert plugged(read) is plugged_in


# Every state the integrations below can report for the charging-state, plug,
# gear and charger-type roles, value by value; each group names its source.

AUDITED_CHARGE_STATES: list[tuple[str, str, ChargeState | None]] = [
    # Tesla Fleet Telemetry enums as MQTT bridges relay them, type prefix and all
    # (teslamotors/fleet-telemetry protos/vehicle_data.proto: DetailedChargeStateValue)
    ("tesla telemetry", "DetailedChargeStateCharging", CHARGING),
    ("tesla telemetry", "DetailedChargeStateStarting", PLUGGED),
    ("tesla telemetry", "DetailedChargeStateNoPower", PLUGGED),
    ("tesla telemetry", "DetailedChargeStateStopped", PLUGGED),
    ("tesla telemetry", "DetailedChargeStateComplete", COMPLETE),
    ("tesla telemetry", "DetailedChargeStateDisconnected", DISCONNECTED),
    ("tesla telemetry", "DetailedChargeStateUnknown", None),
    # BMW CarData charging.status (kvanbiesen/bmw-cardata-ha
    # custom_components/cardata/soc_prediction.py, tests/test_soc_wiring.py)
    ("bmw cardata", "CHARGINGACTIVE", CHARGING),
    ("bmw cardata", "NOCHARGING", NOT_CHARGING),
    ("bmw cardata", "CHARGINGENDED", COMPLETE),
    ("bmw cardata", "CHARGINGPAUSED", PLUGGED),
    ("bmw cardata", "INITIALIZATION", PLUGGED),
    ("bmw cardata", "CHARGINGERROR", None),
    # Smart #1/#3 (DasBasti/pySmartHashtag pysmarthashtag/vehicle/battery.py)
    ("smart", "DC_CHARGING", CHARGING),
    ("smart", "WAITING_FOR_CHARGING", PLUGGED),
    ("smart", "FINISHED_NOT_FULL", COMPLETE),
    ("smart", "DEFAULT", None),
    # VW WeConnect ChargingState and ChargingScenario values (tillsteinbach/
    # WeConnect-python weconnect/elements/charging_status.py)
    ("vw", "off", NOT_CHARGING),
    ("vw", "unknown charging state", None),
    ("vw", "initializationChargingCommunication", PLUGGED),
    ("vw", "immediatelyChargingActive", CHARGING),
    ("vw", "immediatelyChargingFinished", COMPLETE),
    ("vw", "chargingToDepartureTimeWaiting", PLUGGED),
    ("vw", "chargingToDepartureTimeActive", CHARGING),
    ("vw", "optimisedChargingFinished", COMPLETE),
    ("vw", "errorChargingSystem", None),
    ("vw", "unknown charging scenario", None),
    # Volvo, core (home-assistant/core homeassistant/components/volvo/sensor.py);
    # "idle" is "not currently charging" in Volvo's Energy API documentation
    ("volvo", "charging_system_charging", CHARGING),
    ("volvo", "charging_system_done", COMPLETE),
    ("volvo", "charging_system_idle", NOT_CHARGING),
    ("volvo", "charging_system_scheduled", PLUGGED),
    ("volvo", "charging_system_fault", None),
    ("volvo", "charging_system_unspecified", None),
    # Polestar (pypolestar/pypolestar pypolestar/enum.py)
    ("polestar", "Smart Charging Paused", PLUGGED),
    ("polestar", "Error", None),
    ("polestar", "CHARGING_STATUS_ERROR", None),
    # Renault's vehicle-to-grid states (hacf-fr/renault-api
    # src/renault_api/kamereon/enums.py)
    ("renault", "v2g_charging_waiting", PLUGGED),
    ("renault", "v2g_charging_normal", CHARGING),
    ("renault", "v2g_discharging", PLUGGED),
    ("renault", "v2l_connected", PLUGGED),
    # MG / SAIC BMS charging status names (SAIC-iSmart-API/saic-python-mqtt-gateway
    # src/status_publisher/charge/chrg_mgmt_data.py, BmsChargingStatusCode)
    ("saic", "UNPLUGGED", DISCONNECTED),
    ("saic", "CHARGING_1", CHARGING),
    ("saic", "CHARGING_10", CHARGING),
    ("saic", "CHARGE_DONE", COMPLETE),
    ("saic", "CONNECTING", PLUGGED),
    ("saic", "CONNECTED_NOT_RECOGNIZED", PLUGGED),
    ("saic", "CONNECTED_NOT_CHARGING", PLUGGED),
    ("saic", "CHARGING_STOPPED", PLUGGED),
    ("saic", "SCHEDULED_CHARGING", PLUGGED),
    ("saic", "SUPER_OFFBOARD_CHARGING", CHARGING),
    ("saic", "CHARGE_FAULT", None),
    ("saic", "UNKNOWN 7", None),
    # Rivian chargerState / chargerStatus (bretterer/home-assistant-rivian
    # custom_components/rivian/const.py, sensor.py)
    ("rivian", "charging_active", CHARGING),
    ("rivian", "charging_connecting", PLUGGED),
    ("rivian", "chrgr_sts_not_connected", DISCONNECTED),
    ("rivian", "charging_station_err", None),
    # German "reached" is no error ("err" is one only as a whole word).
    ("german", "Ladeziel erreicht", COMPLETE),
    ("german", "Ziel erreicht", COMPLETE),
    ("generic", "ERR", None),
    ("rivian wallbox", "available", DISCONNECTED),
    ("rivian wallbox", "plugged_in", PLUGGED),
    # Mercedes (ReneNulschDE/mbapi2020 translations/en.json): the state is the
    # numeric code ("0" is charging, "3" unplugged); a bare number is no word.
    ("mercedes", "0", None),
    ("mercedes", "3", None),
    ("mercedes", "AC Charging", CHARGING),
    ("mercedes", "DC Charging", CHARGING),
    # Stellantis raw charging status (andreadegiovine/homeassistant-stellantis-vehicles
    # custom_components/stellantis_vehicles/base.py)
    ("stellantis", "InProgress", CHARGING),
    ("stellantis", "Finished", COMPLETE),
    ("stellantis", "Stopped", PLUGGED),
    ("stellantis", "Disconnected", DISCONNECTED),
    ("stellantis", "Failure", None),
    # OVMS charge state and substate (enoch85/ovms-home-assistant
    # custom_components/ovms/metrics/common/charging.py: v.c.state, v.c.substate)
    ("ovms", "charging", CHARGING),
    ("ovms", "topoff", CHARGING),
    ("ovms", "done", COMPLETE),
    ("ovms", "prepare", PLUGGED),
    ("ovms", "timerwait", PLUGGED),
    ("ovms", "stopped", PLUGGED),
    ("ovms", "scheduledstop", PLUGGED),
    ("ovms", "scheduledstart", PLUGGED),
    ("ovms", "onrequest", PLUGGED),
    ("ovms", "powerwait", PLUGGED),
    ("ovms", "interrupted", PLUGGED),
    # Toyota (pytoyoda/ha_toyota custom_components/toyota/sensor.py); its "none"
    # ("Not connected") is read with the entity's options, see below
    ("toyota", "charge_complete", COMPLETE),
    ("toyota", "plugged", PLUGGED),
    ("toyota", "charging", CHARGING),
    # IEC 61851 pilot states: FordPass's EVCC status (marq24/ha-fordpass
    # custom_components/fordpass/fordpass_handler.py), zappi's plug codes
    # (CJNE/pymyenergi pymyenergi/zappi.py)
    ("fordpass", "A", DISCONNECTED),
    ("fordpass", "B", PLUGGED),
    ("fordpass", "C", CHARGING),
    ("zappi", "B1", PLUGGED),
    ("zappi", "B2", PLUGGED),
    ("zappi", "C1", PLUGGED),
    ("zappi", "C2", CHARGING),
    ("zappi", "Unkn0", None),
    # Easee status (nordicopen/easee_hass custom_components/easee/const.py)
    ("easee", "awaiting_load_balancing", PLUGGED),
    ("easee", "awaiting_smart_start", PLUGGED),
    ("easee", "awaiting_scheduled_start", PLUGGED),
    ("easee", "authenticating", PLUGGED),
    ("easee", "de_authorizing", PLUGGED),
    ("easee", "paused_due_to_equalizer", PLUGGED),
    ("easee", "start_charging", PLUGGED),
    ("easee", "stop_charging", PLUGGED),
    ("easee", "erratic_ev", None),
    ("easee", "error_pen_fault", None),
    ("easee", "offline", None),
    ("easee", "searching_for_master", None),
    # go-e "car" state, English and German (marq24/ha-goecharger-api2
    # custom_components/goecharger_api2/pygoecharger_ha/const.py)
    ("go-e", "Unknown/Error", None),
    ("go-e", "Inaktiv/Frei", DISCONNECTED),
    ("go-e", "Laden", CHARGING),
    ("go-e", "Warte auf Fahrzeug", PLUGGED),
    ("go-e", "Abgeschlossen", COMPLETE),
    ("go-e", "Fehler", None),
    ("go-e", "Unbekannt/Fehler", None),
    # go-e car status as openkfw/smartenergy.goecharger spells it
    # (custom_components/smartenergy_goecharger/const.py CarStatus)
    ("go-e", "Charger ready, no car connected", DISCONNECTED),
    ("go-e", "Car is charging", CHARGING),
    ("go-e", "Car connected, authentication required", PLUGGED),
    ("go-e", "Charging finished, car can be disconnected", COMPLETE),
    # Wallbox (homeassistant/components/wallbox/const.py ChargerStatus)
    ("wallbox", "Waiting", PLUGGED),
    ("wallbox", "Waiting in queue by Power Boost", PLUGGED),
    ("wallbox", "Waiting in queue by Eco-Smart", PLUGGED),
    ("wallbox", "Waiting MID safety margin exceeded", PLUGGED),
    ("wallbox", "Waiting MID failed", None),
    ("wallbox", "Updating", None),
    ("wallbox", "Error", None),
    # Zaptec charger mode, translated (custom-components/zaptec translations/en.json)
    ("zaptec", "Waiting", PLUGGED),
    ("zaptec", "Charge done", COMPLETE),
    # OpenEVSE state (firstof9/openevse; python-openevse-http's state names)
    ("openevse", "vent required", None),
    ("openevse", "diode check failed", None),
    ("openevse", "no ground", None),
    ("openevse", "stuck relay", None),
    ("openevse", "over current", None),
    # Tesla Wall Connector, core (TWC_OPTIONS below)
    ("twc", "negotiating", PLUGGED),
    ("twc", "waiting_car", PLUGGED),
    ("twc", "charging_reduced", CHARGING),
    ("twc", "charging_finished", COMPLETE),
    ("twc", "booting", None),
    # V2C (pytrydan ChargeState, lower-cased)
    ("v2c", "not_connected", DISCONNECTED),
    ("v2c", "connected_not_charging", PLUGGED),
    ("v2c", "connected_charging", CHARGING),
    # OCPP 2.0.1 ChargingStateEnumType and ConnectorStatusEnumType
    ("ocpp 2.0.1", "EVConnected", PLUGGED),
    ("ocpp 2.0.1", "Idle", DISCONNECTED),
    ("ocpp 2.0.1", "Faulted", None),
    ("ocpp", "Unavailable", None),
    # Alfen Eve (leeyuentuen/alfen_wallbox custom_components/alfen_wallbox/sensor.py)
    ("alfen", "Preparing Charging", PLUGGED),
    ("alfen", "Wait Vehicle Charging", PLUGGED),
    ("alfen", "Charging Simplified", CHARGING),
    ("alfen", "Suspended Over-Current", PLUGGED),
    ("alfen", "Not Charging", NOT_CHARGING),
    ("alfen", "Solar Charging", CHARGING),
    ("alfen", "Partial Solar Charging", CHARGING),
    ("alfen", "Charge Point Ready, Waiting For Power", PLUGGED),
    ("alfen", "Booting", None),
    ("alfen", "Check Mains", None),
    ("alfen", "Authorizing", None),
    ("alfen", "Load Balancing Forced Off", None),
    ("alfen", "Error Message S2 Not Opened", None),
    # SmartEVSE web state (SmartEVSE/SmartEVSE-3 StrStateNameWeb, dingo35/
    # ha-SmartEVSEv3 smartevse_state)
    ("smartevse", "Connected to EV", PLUGGED),
    ("smartevse", "Charging", CHARGING),
    ("smartevse", "Charging Stopped", PLUGGED),
    ("smartevse", "Stop Charging", PLUGGED),
    ("smartevse", "Connected to EV - Waiting for Solar", PLUGGED),
    ("smartevse", "Modem Denied", None),
    # Hypervolt "Charging Readiness" (gndean/home-assistant-hypervolt-charger
    # custom_components/hypervolt_charger/sensor.py)
    ("hypervolt", "Charging", CHARGING),
    ("hypervolt", "Not Ready - Force Stopped", NOT_CHARGING),
    # Pod Point (mattrayner/pod-point-home-assistant-component
    # custom_components/pod_point/const.py, entity.py, README status table)
    ("pod point", "available", DISCONNECTED),
    ("pod point", "idle", DISCONNECTED),
    ("pod point", "waiting-for-schedule", DISCONNECTED),
    ("pod point", "connected-waiting-for-schedule", PLUGGED),
    ("pod point", "charging", CHARGING),
    ("pod point", "charge-override", CHARGING),
    ("pod point", "suspended-ev", PLUGGED),
    ("pod point", "suspended-evse", PLUGGED),
    ("pod point", "pending", None),
    ("pod point", "out-of-service", None),
    # openWB 2 charge point state_str (a529987659852/openwb2mqtt "Ladezustand";
    # openWB/core control/chargepoint)
    ("openwb", "Keine Ladung, da kein Auto angesteckt ist.", DISCONNECTED),
    ("openwb", "Keine Ladung, da der Lademodus Stop aktiv ist.", NOT_CHARGING),
    ("openwb", "Keine Ladung, da ein Fehler aufgetreten ist.", None),
    # KEBA State_details (keba-kecontact)
    ("keba", "ready for charging", PLUGGED),
    ("keba", "authorization rejected", None),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [(text, expected) for _, text, expected in AUDITED_CHARGE_STATES],
    ids=[f"{brand}:{text}" for brand, text, _ in AUDITED_CHARGE_STATES],
)
def test_audited_charge_states(text: str, expected: ChargeState | None) -> None:
    assert charge_state(text) is expected


AUDITED_PLUGS: list[tuple[str, str, bool | None]] = [
    # Volvo, core (homeassistant/components/volvo/sensor.py)
    ("volvo", "connection_status_connected_ac", True),
    ("volvo", "connection_status_connected_dc", True),
    ("volvo", "connection_status_disconnected", False),
    ("volvo", "connection_status_fault", None),
    ("volvo", "connection_status_unspecified", None),
    # Polestar (pypolestar/pypolestar pypolestar/enum.py)
    ("polestar", "Connected", True),
    ("polestar", "Fault", None),
    ("polestar", "Unspecified", None),
    # VW WeConnect PlugConnectionState (weconnect/elements/plug_status.py)
    ("vw", "connected", True),
    ("vw", "disconnected", False),
    ("vw", "unsupported", None),
    ("vw", "unknown unlock plug state", None),
    # Renault PlugState (renault-api src/renault_api/kamereon/enums.py)
    ("renault", "unplugged", False),
    ("renault", "plugged", True),
    ("renault", "plugged_waiting_for_charge", True),
    ("renault", "plug_error", None),
    # Tesla Fleet Telemetry's charge state read as the plug
    ("tesla telemetry", "DetailedChargeStateNoPower", True),
    ("tesla telemetry", "DetailedChargeStateDisconnected", False),
    # Rivian chargerStatus (custom_components/rivian/const.py)
    ("rivian", "chrgr_sts_not_connected", False),
    # TeslaMate's MQTT plugged_in
    ("teslamate", "true", True),
    ("teslamate", "false", False),
    # Tesla's charge cable: Fleet Telemetry's CableType with its type prefix, and
    # Teslemetry's lower-cased options; SNA (signal not available) says nothing
    ("tesla telemetry", "CableTypeIEC", True),
    ("tesla telemetry", "CableTypeSAE", True),
    ("tesla telemetry", "CableTypeGB_AC", True),
    ("tesla telemetry", "CableTypeGB_DC", True),
    ("tesla telemetry", "CableTypeSNA", None),
    ("teslemetry", "gb_ac", True),
    # KEBA "Plug": both ends of the cable (0, 1, 3, 5, 7 as platforms spell them)
    ("keba", "unplugged", False),
    ("keba", "Plugged on charging station", False),
    ("keba", "Locked plug on charging station", False),
    ("keba", "plugged on charging station plug locked", False),
    ("keba", "Plugged on charging station and EV", True),
    ("keba", "plugged on charging station plug locked plugged on EV", True),
    # IEC 61851 pilot states (FordPass EVCC status)
    ("fordpass", "A", False),
    ("fordpass", "B", True),
    ("fordpass", "C", True),
    # zappi plug status (CJNE/pymyenergi pymyenergi/zappi.py)
    ("zappi", "EV ready to charge", True),
    ("zappi", "Charging", True),
    ("zappi", "Fault", None),
    # go-e (smartenergy_goecharger const.py): finished, the car still on the cable
    ("go-e", "Charging finished, car can be disconnected", True),
    ("go-e", "Charger ready, no car connected", False),
    # OCPP 2.0.1 ChargingStateEnumType
    ("ocpp 2.0.1", "EVConnected", True),
    ("ocpp 2.0.1", "Idle", False),
    # openWB's state text read as the plug
    ("openwb", "Keine Ladung, da kein Auto angesteckt ist.", False),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [(text, expected) for _, text, expected in AUDITED_PLUGS],
    ids=[f"{brand}:{text}" for brand, text, _ in AUDITED_PLUGS],
)
def test_audited_plug_states(text: str, expected: bool | None) -> None:
    assert plugged(text) is expected


AUDITED_SHIFTS: list[tuple[str, str, str | None]] = [
    # Tesla Fleet Telemetry ShiftState as MQTT bridges relay it
    ("tesla telemetry", "ShiftStateP", "P"),
    ("tesla telemetry", "ShiftStateD", "D"),
    ("tesla telemetry", "ShiftStateR", "R"),
    ("tesla telemetry", "ShiftStateN", "N"),
    ("tesla telemetry", "ShiftStateSNA", None),
    ("tesla telemetry", "ShiftStateInvalid", None),
    # Tesla Fleet / Teslemetry / Tessie enum options, TeslaMate's MQTT shift_state
    ("tesla", "p", "P"),
    ("tesla", "r", "R"),
    ("teslamate", "D", "D"),
    # Rivian gear selector (custom_components/rivian/const.py)
    ("rivian", "Park", "P"),
    ("rivian", "Drive", "D"),
    ("rivian", "Reverse", "R"),
    ("rivian", "Neutral", "N"),
    # OVMS v.e.gear is a number (negative reverse, 0 neutral, which a parked car
    # also reports): no gear word, so not read
    ("ovms", "-1", None),
    ("ovms", "0", None),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [(text, expected) for _, text, expected in AUDITED_SHIFTS],
    ids=[f"{brand}:{text}" for brand, text, _ in AUDITED_SHIFTS],
)
def test_audited_shift_states(text: str, expected: str | None) -> None:
    assert shift_state(text) == expected


AUDITED_CHARGER_TYPES: list[tuple[str, str, ChargeType | None]] = [
    # Tesla Fleet Telemetry FastChargerType as MQTT bridges relay it
    ("tesla telemetry", "FastChargerSupercharger", DC),
    ("tesla telemetry", "FastChargerCHAdeMO", DC),
    ("tesla telemetry", "FastChargerCombo", DC),
    ("tesla telemetry", "FastChargerACSingleWireCAN", AC),
    ("tesla telemetry", "FastChargerGB", None),
    ("tesla telemetry", "FastChargerMCSingleWireCAN", None),
    ("tesla telemetry", "FastChargerOther", None),
    ("tesla telemetry", "FastChargerUnknown", None),
    ("tesla telemetry", "FastChargerSNA", None),
    # Volvo's connection status names the current (homeassistant/components/volvo)
    ("volvo", "connection_status_connected_ac", AC),
    ("volvo", "connection_status_connected_dc", DC),
    ("volvo", "connection_status_disconnected", None),
    # VW WeConnect ChargeType (weconnect/elements/charging_status.py)
    ("vw", "ac", AC),
    ("vw", "dc", DC),
    ("vw", "unknown charge type", None),
    # Polestar ChargingType (pypolestar/enum.py)
    ("polestar", "AC", AC),
    ("polestar", "DC", DC),
    ("polestar", "None", None),
    ("polestar", "Wireless", None),
    # Skoda ChargeType, lower-cased (skodaconnect/homeassistant-myskoda sensor.py)
    ("skoda", "off", None),
    # OVMS v.c.type (custom_components/ovms/metrics/common/charging.py)
    ("ovms", "type1", AC),
    ("ovms", "type2", AC),
    ("ovms", "chademo", DC),
    ("ovms", "ccs", DC),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [(text, expected) for _, text, expected in AUDITED_CHARGER_TYPES],
    ids=[f"{brand}:{text}" for brand, text, _ in AUDITED_CHARGER_TYPES],
)
def test_audited_charger_types(text: str, expected: ChargeType | None) -> None:
    assert charger_type(text) is expected


TOYOTA_OPTIONS = ("charge_complete", "charging", "none", "plugged")


@pytest.mark.parametrize(
    ("options", "state", "plugged_in"),
    [
        # Toyota: "none" is translated "Not connected"; no other state says so.
        (TOYOTA_OPTIONS, ChargeState.DISCONNECTED, False),
        # Alone, or beside a no-car state of its own, "none" says nothing.
        ((), None, None),
        (("none", "disconnected", "plugged", "charging"), None, None),
    ],
)
def test_none_in_the_context_of_the_entitys_states(
    options: tuple[str, ...], state: ChargeState | None, plugged_in: bool | None
) -> None:
    read = in_context("none", options)
    assert charge_state(read) is state
    assert plugged(read) is plugged_in
