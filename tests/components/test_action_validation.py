"""Input is validated where it enters (issue 15): what the ledger cannot store is refused.

- At the edge: a tracker's zone name longer than the zone columns is cut there, so
  the live sensors, the records and the samples say the same thing (B7).
- Actions refuse, with a translated error, what the database could not store or what
  would freeze Home Assistant: NUL characters, text longer than its column, amounts
  beyond their bounds (which fit the NUMERIC columns), dates outside 2000..2100, a
  manual session longer than a charge can be, offsets beyond the bound (B8-B11).
  Values at the bounds are accepted and stored, never quarantined.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
import threading
from typing import TYPE_CHECKING, Any

from homeassistant.exceptions import ServiceValidationError
import pytest
from sqlalchemy import String

from custom_components.ev_ledger import services
from custom_components.ev_ledger.const import DOMAIN
from custom_components.ev_ledger.db.models import ChargingSession
from custom_components.ev_ledger.db.types import Amount
from custom_components.ev_ledger.logic import integrate
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


# Actions (B8-B11) --------------------------------------------------------------------

ENERGY = "sensor.model_y_energy_charged"
YEAR_1 = "0001-01-01T00:00:00+01:00"


def _session(**extra: Any) -> dict[str, Any]:
    return {
        "vehicle": VEHICLE_ID,
        "start": _iso(T),
        "end": _iso(T + hours(1)),
        "energy": 20,
        **extra,
    }


def _bounds(field: str, low: str, high: str) -> dict[str, str]:
    return {"field": field, "min": low, "max": high}


REFUSED: list[tuple[str, dict[str, Any], str, dict[str, str]]] = [
    # B8: the action's schema took these; the database quarantined them.
    (
        "update_session",
        {"session_id": SESSION_ID, "notes": "paid\x00cash"},
        "text_with_nul",
        {"field": "notes"},
    ),
    (
        "update_session",
        {"session_id": SESSION_ID, "location": "L" * 300},
        "text_too_long",
        {"field": "location", "max": "200"},
    ),
    (
        "update_session",
        {"session_id": SESSION_ID, "notes": "n" * 10_001},
        "text_too_long",
        {"field": "notes", "max": "10000"},
    ),
    (
        "update_session",
        {"session_id": SESSION_ID, "cost": 1e11},
        "number_out_of_range",
        _bounds("cost", "0", "1000000000"),
    ),
    # B9: unhandled exceptions.
    (
        "update_session",
        {"session_id": SESSION_ID, "cost": 1e30},
        "number_out_of_range",
        _bounds("cost", "0", "1000000000"),
    ),
    (
        "add_session",
        _session(start=YEAR_1),
        "time_out_of_range",
        _bounds("start", "2000", "2100"),
    ),
    (
        "list_sessions",
        {"offset": 1e20},
        "number_out_of_range",
        _bounds("offset", "0", "1000000"),
    ),
    # B10: a manual session of twenty years.
    (
        "add_session",
        _session(end=_iso(T + timedelta(days=365 * 20).total_seconds())),
        "session_too_long",
        {"max_days": "7"},
    ),
    # B11: 1e11 kWh.
    (
        "add_session",
        _session(energy=1e11),
        "number_out_of_range",
        _bounds("energy", "0", "1000"),
    ),
    (
        "add_session",
        _session(location="zone.\x00"),
        "text_with_nul",
        {"field": "location"},
    ),
    (
        "add_session",
        _session(cost=1e10),
        "number_out_of_range",
        _bounds("cost", "0", "1000000000"),
    ),
    (
        "list_trips",
        {"limit": 501},
        "number_out_of_range",
        _bounds("limit", "1", "500"),
    ),
    (
        "list_trips",
        {"end": "2101-01-01T00:00:00+00:00"},
        "time_out_of_range",
        _bounds("end", "2000", "2100"),
    ),
    (
        "list_sessions",
        {"location": "home\x00"},
        "text_with_nul",
        {"field": "location"},
    ),
    (
        "list_sessions",
        {"vehicle": "v" * 256},
        "text_too_long",
        {"field": "vehicle", "max": "255"},
    ),
    (
        "export",
        {"location": "x" * 201},
        "text_too_long",
        {"field": "location", "max": "200"},
    ),
    (
        "home_charging_report",
        {"home_zone": "zone.\x00home"},
        "text_with_nul",
        {"field": "home_zone"},
    ),
    (
        "backfill",
        {"start": "1999-12-31T23:59:59+00:00"},
        "time_out_of_range",
        _bounds("start", "2000", "2100"),
    ),
    (
        "recompute",
        {"vehicle": VEHICLE_ID, "start": "9999-12-31T23:59:59-14:00"},
        "time_out_of_range",
        _bounds("start", "2000", "2100"),
    ),
]


@pytest.mark.parametrize(
    ("service", "data", "key", "placeholders"),
    REFUSED,
    ids=[f"{case[0]}-{case[2]}-{i}" for i, case in enumerate(REFUSED)],
)
async def test_refused_with_a_translated_error(
    hass: HomeAssistant,
    embedded_ledger: Ledger,
    service: str,
    data: dict[str, Any],
    key: str,
    placeholders: dict[str, str],
) -> None:
    """Refused before anything is written: the energy meter does not move (B11)."""
    await embedded_ledger.setup()
    before = get_state(hass, ENERGY).state
    payload = {"config_entry_id": embedded_ledger.entry.entry_id, **data}
    response = service not in {"update_session", "delete_session"}
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, service, payload, response=response)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == key
    assert err.value.translation_placeholders == placeholders
    assert get_state(hass, ENERGY).state == before
    await embedded_ledger.synced()
    assert embedded_ledger.runtime.writer.health().quarantined == 0


def test_the_bounds_fit_the_columns() -> None:
    """Every amount an action accepts fits its NUMERIC column."""
    table = ChargingSession.__table__.c
    for bound, column in (
        (services.MAX_COST, table.cost_override),
        (services.MAX_COST, table.cost),
        (services.MAX_ENERGY_KWH, table.energy_kwh),
    ):
        assert isinstance(column.type, Amount)
        precision, scale = column.type.precision, column.type.scale
        assert bound < Decimal(10) ** (precision - scale), column.name
    for column in (table.location_override, table.zone):
        assert isinstance(column.type, String)
        assert column.type.length == services.MAX_LOCATION_CHARS


async def test_values_at_the_bounds_are_stored(
    hass: HomeAssistant, ledger: Ledger
) -> None:
    """The largest values accepted are written, on both backends, nothing quarantined.

    A step past each bound is refused.
    """
    await ledger.setup()
    entry_id = ledger.entry.entry_id
    week = _session(
        end=_iso(T + timedelta(days=7).total_seconds()),
        energy=1000,
        cost=1e9,
        location="Ü" * 200,
    )
    result = await _call(hass, "add_session", {"config_entry_id": entry_id, **week})
    session_id = result["session_id"]
    await _call(
        hass,
        "update_session",
        {
            "config_entry_id": entry_id,
            "session_id": session_id,
            "notes": "€ " * 5_000,
            "location": "L" * 200,
            "cost": "999999999.9999",
        },
        response=False,
    )
    page = await _call(
        hass, "list_sessions", {"config_entry_id": entry_id, "offset": 1_000_000}
    )
    assert page["sessions"] == []
    (stored,) = (await _call(hass, "list_sessions", {"config_entry_id": entry_id}))[
        "sessions"
    ]
    assert stored["energy_kwh"] == "1000.0000"
    assert stored["cost_without_overrides"] == "1000000000.0000"
    assert stored["cost"] == "999999999.9999"
    assert stored["zone"] == "Ü" * 200
    assert stored["notes"] == "€ " * 5_000
    assert stored["effective_location"] == "L" * 200
    await ledger.synced()
    assert ledger.runtime.writer.health().quarantined == 0
    for past in (
        {"end": _iso(T + timedelta(days=7, seconds=1).total_seconds())},
        {"energy": "1000.0001"},
        {"cost": "1000000000.0001"},
        {"location": "L" * 201},
    ):
        with pytest.raises(ServiceValidationError):
            await _call(
                hass, "add_session", {"config_entry_id": entry_id, **week, **past}
            )


async def test_a_manual_session_is_spread_in_the_executor(
    hass: HomeAssistant, embedded_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spreading a week of energy over its minutes is not done on the event loop (B10)."""
    await embedded_ledger.setup()
    threads: list[threading.Thread] = []
    spread = integrate.spread

    def watched(*args: Any) -> None:
        threads.append(threading.current_thread())
        spread(*args)

    monkeypatch.setattr(services, "spread", watched)
    await _call(
        hass,
        "add_session",
        {
            "config_entry_id": embedded_ledger.entry.entry_id,
            **_session(end=_iso(T + timedelta(days=7).total_seconds())),
        },
    )
    assert threads
    assert all(t.ident != hass.loop_thread_id for t in threads)
