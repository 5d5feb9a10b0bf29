"""The automation blueprint shipped in blueprints/: valid, and works in a real hass.

It is loaded with Home Assistant's own blueprint schema, then set up through the
`automation` integration (`use_blueprint`) and driven with the bus event EV Ledger
fires, built by the integration's own `session_dict` so its shape cannot drift.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
import shutil
from typing import TYPE_CHECKING, Any

from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint import models
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
from pytest_homeassistant_custom_component.common import async_mock_service

from custom_components.ev_ledger.const import EVENT_SESSION_COMPLETED
from custom_components.ev_ledger.logic.model import SessionStatus
from custom_components.ev_ledger.records import session_dict
from tests.db.conftest import make_session

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant, ServiceCall

ROOT = Path(__file__).parents[1]
RELATIVE = Path("ev_ledger") / "session_completed_notify.yaml"
BLUEPRINT = ROOT / "blueprints" / "automation" / RELATIVE
CAR = "3f2a9c1d7e5b4a60b1c2d3e4f5a6b7c8"  # device ids are uuid hex strings
OTHER_CAR = "9e8d7c6b5a4f4e3d2c1b0a9f8e7d6c5b"


def payload(
    device_id: str = CAR, *, vehicle: str = "Model Y", priced: bool = True, **over: Any
) -> dict[str, Any]:
    """A session completed event's data, as VehicleRuntime._publish fires it."""
    session = make_session(0, energy=Decimal("42.25"))
    if not priced:
        session.cost = None
        session.solar = None
    data = session_dict(session)
    data.update(vehicle=vehicle, device_id=device_id, event_type="completed")
    data.update(over)
    return data


def test_blueprint_matches_home_assistants_schema() -> None:
    data = load_yaml_dict(BLUEPRINT)
    blueprint = models.Blueprint(
        data,
        expected_domain="automation",
        path=str(RELATIVE),
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )
    assert blueprint.domain == "automation"
    assert set(blueprint.inputs) == {
        "vehicle",
        "notify_action",
        "title",
        "include_inferred",
    }
    assert blueprint.metadata["input"]["vehicle"]["selector"] == {
        "device": {"filter": [{"integration": "ev_ledger"}], "multiple": False}
    }


async def _automation(hass: HomeAssistant, tmp_path: Path, **inputs: Any) -> None:
    """Set up one automation from the shipped blueprint in a private config dir."""
    hass.config.config_dir = str(tmp_path)
    target = Path(hass.config.path("blueprints", "automation")) / RELATIVE
    target.parent.mkdir(parents=True)
    shutil.copy(BLUEPRINT, target)
    config = {
        "automation": {
            "id": "ev_ledger_notify",
            "alias": "EV Ledger notify",
            "use_blueprint": {"path": str(RELATIVE), "input": inputs},
        }
    }
    assert await async_setup_component(hass, "automation", config)
    await hass.async_block_till_done()
    assert hass.states.get("automation.ev_ledger_notify") is not None


async def _fire(hass: HomeAssistant, data: dict[str, Any]) -> None:
    hass.bus.async_fire(EVENT_SESSION_COMPLETED, data)
    await hass.async_block_till_done()


async def test_notifies_energy_cost_and_solar_share_for_the_chosen_vehicle(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    calls: list[ServiceCall] = async_mock_service(hass, "notify", "mobile_app_phone")
    await _automation(
        hass, tmp_path, vehicle=CAR, notify_action="notify.mobile_app_phone"
    )

    await _fire(hass, payload(OTHER_CAR, vehicle="Zoe"))
    assert calls == []

    await _fire(hass, payload())
    assert len(calls) == 1
    # make_session: cost 3.1415 EUR, solar 4 of 10.5 attributed kWh (38 %), at Home.
    assert calls[0].data == {
        "title": "Charging session completed",
        "message": "Model Y charged 42.2 kWh at Home for 3.14 EUR, 38 % solar.",
    }


async def test_every_vehicle_and_sessions_without_cost_or_solar(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    calls: list[ServiceCall] = async_mock_service(hass, "notify", "notify")
    await _automation(hass, tmp_path, title="EV")

    await _fire(hass, payload(OTHER_CAR, vehicle="Zoe", priced=False, place=None))
    await _fire(
        hass,
        payload(
            event_type="inferred", status=SessionStatus.INFERRED.value, priced=False
        ),
    )
    assert [call.data for call in calls] == [
        {"title": "EV", "message": "Zoe charged 42.2 kWh."},
        {
            "title": "EV",
            "message": "Model Y charged 42.2 kWh at Home"
            " (inferred while the car was offline).",
        },
    ]


async def test_inferred_sessions_can_be_left_out(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    calls: list[ServiceCall] = async_mock_service(hass, "notify", "notify")
    await _automation(hass, tmp_path, include_inferred=False)

    await _fire(hass, payload(event_type="inferred"))
    assert calls == []
    await _fire(hass, payload())
    assert len(calls) == 1
