"""Actions: list, add, correct and delete records."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest

from custom_components.ev_ledger.const import DOMAIN
from tests.logic.test_scenarios import T
from tests.logic.trace import hours

from .conftest import VEHICLE_ID, Ledger, device_of, get_state

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


async def _call(
    hass: HomeAssistant, service: str, data: dict[str, Any], *, response: bool = True
) -> Any:
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=response
    )


async def _add(hass: HomeAssistant, ledger: Ledger, start: float, **extra: Any) -> str:
    result = await _call(
        hass,
        "add_session",
        {
            "config_entry_id": ledger.entry.entry_id,
            "vehicle": VEHICLE_ID,
            "start": _iso(start),
            "end": _iso(start + hours(1)),
            "energy": 20,
            **extra,
        },
    )
    session_id: str = result["session_id"]
    return session_id


async def test_add_list_correct_delete(hass: HomeAssistant, ledger: Ledger) -> None:
    """A manual away session, priced by the default tariff, corrected, deleted."""
    await ledger.setup()
    entry_id = ledger.entry.entry_id
    device = device_of(hass, VEHICLE_ID)
    assert device is not None
    away = await _add(hass, ledger, T, location="zone.fastned")
    home = await _add(hass, ledger, T + hours(3), location="home", cost=1.5)
    # 20 kWh elsewhere at 0.60 EUR/kWh, plus 1.50 EUR paid at home.
    assert Decimal(get_state(hass, "sensor.model_y_charging_cost").state) == Decimal(
        "13.5"
    )
    assert Decimal(get_state(hass, "sensor.model_y_energy_charged").state) == 40

    listed = await _call(
        hass, "list_sessions", {"config_entry_id": entry_id, "vehicle": device.id}
    )
    assert listed["total"] == 2
    assert [s["id"] for s in listed["sessions"]] == [home, away]
    assert listed["sessions"][1]["cost"] == "12.0000"
    assert listed["sessions"][1]["source"] == "manual"
    assert listed["has_more"] is False

    at_home = await _call(
        hass, "list_sessions", {"config_entry_id": entry_id, "location": "Home"}
    )
    assert [s["id"] for s in at_home["sessions"]] == [home]
    window = await _call(
        hass,
        "list_sessions",
        {
            "config_entry_id": entry_id,
            "start": _iso(T + hours(2)),
            "end": _iso(T + hours(10)),
            "limit": 1,
        },
    )
    assert [s["id"] for s in window["sessions"]] == [home]

    await _call(
        hass,
        "update_session",
        {
            "config_entry_id": entry_id,
            "session_id": away,
            "cost": 9.99,
            "notes": "member price",
            "location": "Fastned A9",
        },
        response=False,
    )
    listed = await _call(hass, "list_sessions", {"config_entry_id": entry_id})
    corrected = next(s for s in listed["sessions"] if s["id"] == away)
    assert corrected["cost"] == "9.9900"
    assert corrected["cost_override"] == "9.9900"
    assert corrected["cost_without_overrides"] == "12.0000"
    assert corrected["notes"] == "member price"
    assert corrected["effective_location"] == "Fastned A9"
    # The location filter follows the user's location, as a zone ("fastned_a9").
    for place, found in (("fastned-a9", [away]), ("zone.fastned", [])):
        moved = await _call(
            hass, "list_sessions", {"config_entry_id": entry_id, "location": place}
        )
        assert [s["id"] for s in moved["sessions"]] == found
        assert moved["total"] == len(found)
    assert Decimal(get_state(hass, "sensor.model_y_charging_cost").state) == Decimal(
        "11.49"
    )

    await _call(
        hass,
        "delete_session",
        {"config_entry_id": entry_id, "session_id": away},
        response=False,
    )
    listed = await _call(hass, "list_sessions", {"config_entry_id": entry_id})
    assert [s["id"] for s in listed["sessions"]] == [home]
    assert Decimal(get_state(hass, "sensor.model_y_charging_cost").state) == Decimal(
        "1.5"
    )
    # The energy meter never runs backwards (Energy dashboard).
    assert Decimal(get_state(hass, "sensor.model_y_energy_charged").state) == 40

    trips = await _call(hass, "list_trips", {"config_entry_id": entry_id})
    assert trips == {
        "trips": [],
        "total": 0,
        "offset": 0,
        "limit": 50,
        "has_more": False,
    }


@pytest.mark.parametrize(
    ("service", "data", "key"),
    [
        ("list_sessions", {"config_entry_id": "nope"}, "entry_not_found"),
        ("list_trips", {"vehicle": "nope"}, "vehicle_not_found"),
        (
            "list_sessions",
            {"start": _iso(T), "end": _iso(T - 1)},
            "invalid_time_range",
        ),
        (
            "update_session",
            {"session_id": "6f1c6a3e-5d0b-4d57-9a57-1f0c2e6b9c11"},
            "nothing_to_update",
        ),
        (
            "update_session",
            {"session_id": "6f1c6a3e-5d0b-4d57-9a57-1f0c2e6b9c11", "notes": "x"},
            "session_not_found",
        ),
        (
            "delete_session",
            {"session_id": "0b9f4c52-0a53-4f5e-8d8b-2c1f8f8d6e01"},
            "session_not_found",
        ),
        (
            "add_session",
            {"vehicle": VEHICLE_ID, "start": _iso(T), "end": _iso(T), "energy": 1},
            "invalid_time_range",
        ),
    ],
)
async def test_validation_errors(
    hass: HomeAssistant,
    ledger: Ledger,
    service: str,
    data: dict[str, Any],
    key: str,
) -> None:
    """Bad input is refused with a translated validation error."""
    await ledger.setup()
    payload = {"config_entry_id": ledger.entry.entry_id, **data}
    response = service.startswith("list") or service == "add_session"
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, service, payload, response=response)
    assert err.value.translation_key == key


async def test_entry_not_loaded(hass: HomeAssistant, ledger: Ledger) -> None:
    """An unloaded ledger cannot answer."""
    await ledger.setup()
    await ledger.unload()
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "list_trips", {"config_entry_id": ledger.entry.entry_id})
    assert err.value.translation_key == "entry_not_loaded"


async def test_database_error(
    hass: HomeAssistant, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failing query becomes a translated HomeAssistantError."""
    from sqlalchemy.exc import OperationalError

    await ledger.setup()

    def fail(**_: Any) -> None:
        raise OperationalError("SELECT", {}, Exception("gone"))

    monkeypatch.setattr(ledger.runtime.reader, "list_trips", fail)
    monkeypatch.setattr(ledger.runtime.reader, "list_sessions", fail)
    for service in ("list_trips", "list_sessions"):
        with pytest.raises(HomeAssistantError) as err:
            await _call(hass, service, {"config_entry_id": ledger.entry.entry_id})
        assert err.value.translation_key == "database_error"

    def fail_lookup(_: str) -> None:
        raise OperationalError("SELECT", {}, Exception("gone"))

    monkeypatch.setattr(ledger.runtime.reader, "session_exists", fail_lookup)
    with pytest.raises(HomeAssistantError) as err:
        await _call(
            hass,
            "delete_session",
            {
                "config_entry_id": ledger.entry.entry_id,
                "session_id": "0b9f4c52-0a53-4f5e-8d8b-2c1f8f8d6e01",
            },
            response=False,
        )
    assert err.value.translation_key == "database_error"
