"""A mapped entity renamed by the user is followed, mid-charge, with nothing lost."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.helpers import entity_registry as er

from custom_components.ev_ledger.const import CONF_ROLES, DOMAIN
from custom_components.ev_ledger.logic.model import Role
from custom_components.ev_ledger.renames import replace_entity_id
from tests.logic.test_scenarios import T
from tests.logic.trace import hours, minutes

from . import scenario
from .conftest import ENTITIES, VEHICLE_ID, Ledger, make_entry

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import issue_registry as ir

OLD = ENTITIES[Role.CHARGER_POWER]
NEW = "sensor.my_car_power"


def test_replace_entity_id_is_exact_and_nested() -> None:
    data: dict[str, Any] = {
        "roles": {"charger_power": OLD, "plugged": "binary_sensor.x"},
        "tariff": {"price_entity": OLD, "bands": [[OLD, 1], "sensor.other"]},
        "name": f"{OLD} and more",  # not the id itself
        "capacity": 75.0,
    }
    assert replace_entity_id(data, OLD, NEW) == {
        "roles": {"charger_power": NEW, "plugged": "binary_sensor.x"},
        "tariff": {"price_entity": NEW, "bands": [[NEW, 1], "sensor.other"]},
        "name": f"{OLD} and more",
        "capacity": 75.0,
    }


async def test_a_renamed_entity_is_followed_mid_charge(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    embedded_data: dict[str, str],
    issue_registry: ir.IssueRegistry,
) -> None:
    registry = er.async_get(hass)
    power = registry.async_get_or_create(
        "sensor", "tesla", "model-y-power", suggested_object_id=OLD.split(".", 1)[1]
    )
    assert power.entity_id == OLD
    ledger = Ledger(hass, freezer, make_entry(embedded_data))
    await ledger.at(T - hours(1))
    for reading in scenario.before():
        await ledger.reading(reading)
    await ledger.setup()
    try:
        charge = scenario.charge()
        halfway = T + minutes(45)
        await ledger.replay([r for r in charge if r.ts < halfway])

        registry.async_update_entity(OLD, new_entity_id=NEW)
        await hass.async_block_till_done(wait_background_tasks=True)
        entry = hass.config_entries.async_get_entry(ledger.entry.entry_id)
        assert entry is not None
        assert entry.state is ConfigEntryState.LOADED
        roles = entry.subentries[VEHICLE_ID].data[CONF_ROLES]
        assert roles[Role.CHARGER_POWER.value] == NEW
        # The other subentries (locations) did not name it: unchanged.
        assert all(
            OLD not in str(subentry.data) for subentry in entry.subentries.values()
        )

        # The integration now reports under the new id.
        ledger.roles[Role.CHARGER_POWER] = NEW
        await ledger.replay([r for r in charge if r.ts >= halfway])
        await ledger.replay(scenario.trip())
        await ledger.at(scenario.END)
        await ledger.synced()
        page = await ledger.query("list_sessions", vehicle=VEHICLE_ID)
        (row,) = page.items
        assert row["status"] == "completed"
        assert row["energy_kwh"] == scenario.SESSION_KWH
        missing = [
            issue
            for (domain, _), issue in issue_registry.issues.items()
            if domain == DOMAIN and issue.translation_key == "missing_entity"
        ]
        assert missing == []
    finally:
        await ledger.unload()
