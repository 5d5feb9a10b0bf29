"""Input is validated where it enters (issue 15): what the ledger cannot store is refused.

- At the edge: a tracker's zone name longer than the zone columns is cut there, so
  the live sensors, the records and the samples say the same thing (B7).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from custom_components.ev_ledger.const import DOMAIN
from custom_components.ev_ledger.logic.model import ChargeState, Place, Reading, Role
from tests.logic.trace import at, hours, minutes

from .conftest import VEHICLE_ID, Ledger, get_state

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

T = at("2026-03-02 18:00")
SESSION_ID = "6f1c6a3e-5d0b-4d57-9a57-1f0c2e6b9c11"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


async def _call(
    hass: HomeAssistant, service: str, data: dict[str, Any], *, response: bool = True
) -> Any:
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=response
    )


# At the edge: long zone names (B7) ------------------------------------------------

# Home Assistant keeps states of up to 255 characters; the zone columns hold 200.
LONG_ZONE = "Parkhaus am Hauptbahnhof, Ebene " + "7" * 223
assert len(LONG_ZONE) == 255
CUT_ZONE = LONG_ZONE[:200]
HERE = (52.52, 13.40)


def _charge_then_drive_home() -> list[Reading]:
    at_zone = Place(LONG_ZONE, *HERE)
    return [
        Reading(T, Role.LOCATION, at_zone),
        Reading(T, Role.ODOMETER, 1000.0),
        Reading(T, Role.PLUGGED, True),
        Reading(T, Role.CHARGING_STATE, ChargeState.CHARGING),
        Reading(T, Role.CHARGER_POWER, 11.0),
        Reading(T + hours(1), Role.CHARGER_POWER, 0.0),
        Reading(T + hours(1), Role.CHARGING_STATE, ChargeState.COMPLETE),
        Reading(T + hours(1) + minutes(5), Role.PLUGGED, False),
        Reading(T + hours(2), Role.SHIFT_STATE, "D"),
        Reading(T + hours(2) + minutes(1), Role.LOCATION, Place(None, 52.5, 13.3)),
        Reading(T + hours(2) + minutes(10), Role.ODOMETER, 1010.0),
        Reading(T + hours(2) + minutes(10), Role.LOCATION, Place("home", 52.4, 13.2)),
        Reading(T + hours(2) + minutes(10), Role.SHIFT_STATE, "P"),
    ]


async def test_a_long_zone_name_is_cut_alike_everywhere(
    hass: HomeAssistant, ledger: Ledger
) -> None:
    """The sensor, the session, the trip and the samples hold the same 200 characters."""
    await ledger.setup()
    await ledger.replay(_charge_then_drive_home())
    await ledger.at(T + hours(4))
    assert get_state(hass, "sensor.model_y_last_session_location").state == CUT_ZONE
    entry_id = ledger.entry.entry_id
    (session,) = (await _call(hass, "list_sessions", {"config_entry_id": entry_id}))[
        "sessions"
    ]
    assert session["zone"] == CUT_ZONE
    (trip,) = (await _call(hass, "list_trips", {"config_entry_id": entry_id}))["trips"]
    assert trip["start_zone"] == CUT_ZONE
    samples = await ledger.query(
        "samples",
        source=VEHICLE_ID,
        start=datetime.fromtimestamp(T, UTC),
        end=datetime.fromtimestamp(T + hours(4), UTC),
        roles=[Role.LOCATION.value],
    )
    assert [s.text for s in samples][0] == CUT_ZONE
    assert ledger.runtime.writer.health().quarantined == 0
