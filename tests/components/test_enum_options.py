"""An enum entity's own list of states decides what an ambiguous word means.

Tesla Wall Connector's status lists `not_connected` and `ready`: `ready` is a car
connected and ready to charge. Wallbox's free-text `Ready` (no list) means no car.
The list comes from the entity registry (the recorder does not keep a sensor's
`options`), so live and a backfill read the state alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from homeassistant.core import State
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util

from custom_components.ev_ledger.adapter import enum_options, state_reading
from custom_components.ev_ledger.logic.model import ChargeState, Reject, Role
from custom_components.ev_ledger.replay import Replay
from tests.logic.test_vocab import TWC_OPTIONS

from .conftest import ENTITIES, VEHICLE_ID

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .conftest import Ledger

STATUS = ENTITIES[Role.CHARGING_STATE]


def _register(hass: HomeAssistant, options: tuple[str, ...] | None) -> None:
    registry = er.async_get(hass)
    registry.async_get_or_create(
        "sensor",
        "tesla_wall_connector",
        "twc-status",
        suggested_object_id=STATUS.removeprefix("sensor."),
        capabilities={"options": list(options)} if options else None,
    )


async def test_live_and_backfill_read_ready_with_the_entitys_states(
    hass: HomeAssistant, ledger: Ledger
) -> None:
    _register(hass, TWC_OPTIONS)
    assert enum_options(hass, [STATUS, "sensor.nothing"]) == {STATUS: TWC_OPTIONS}
    await ledger.setup()
    vehicle = ledger.runtime.vehicles[VEHICLE_ID]
    assert vehicle.options == {Role.CHARGING_STATE: TWC_OPTIONS}
    hass.states.async_set(STATUS, "ready")
    await hass.async_block_till_done()
    assert vehicle.ledger.charge_status is ChargeState.PLUGGED

    replay = Replay(
        ledger.entry,
        dt_util.get_default_time_zone(),
        vehicle_ids=[VEHICLE_ID],
        options=enum_options(hass, [STATUS]),
    )
    ts = dt_util.utcnow().timestamp()
    state = State(STATUS, "ready", last_updated=datetime.fromtimestamp(ts, UTC))
    replay.feed_states([(ts, STATUS, state)])
    assert replay.vehicles[VEHICLE_ID].ledger.charge_status is ChargeState.PLUGGED
    await ledger.unload()


async def test_free_text_ready_is_no_car(hass: HomeAssistant, ledger: Ledger) -> None:
    _register(hass, None)
    await ledger.setup()
    vehicle = ledger.runtime.vehicles[VEHICLE_ID]
    assert vehicle.options == {}
    reading = state_reading(
        Role.CHARGING_STATE,
        State(STATUS, "Ready"),
        options=vehicle.options.get(Role.CHARGING_STATE, ()),
    )
    assert not isinstance(reading, Reject)
    assert reading.value is ChargeState.DISCONNECTED
    await ledger.unload()
