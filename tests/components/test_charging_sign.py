"""A car reporting charging as negative power, through a real Home Assistant.

Without the vehicle's "charging is reported negative" setting, its readings are
refused and a repair says which setting to turn on; with it, the session has its
whole energy and the repair is gone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from custom_components.ev_ledger.const import CONF_THRESHOLDS, DOMAIN
from custom_components.ev_ledger.logic.model import Reading, Role
from tests.logic.test_scenarios import T
from tests.logic.trace import hours

from . import scenario
from .conftest import VEHICLE_ID, Ledger, default_subentries, make_entry
from .test_recompute import run_recompute

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import issue_registry as ir


def _negated(readings: list[Reading]) -> list[Reading]:
    """The charge as an HV pack's power reports it: below zero."""
    return [
        Reading(r.ts, r.role, -r.value)
        if r.role is Role.CHARGER_POWER and isinstance(r.value, float) and r.value
        else r
        for r in readings
    ]


def _sign_issues(issue_registry: ir.IssueRegistry) -> list[ir.IssueEntry]:
    return [
        issue
        for (domain, _), issue in issue_registry.issues.items()
        if domain == DOMAIN and issue.translation_key == "charging_power_negative"
    ]


async def _charge(ledger: Ledger) -> None:
    await ledger.at(T - hours(1))
    for reading in scenario.before():
        await ledger.reading(reading)
    await ledger.setup()
    await ledger.replay(_negated(scenario.charge()))
    await ledger.replay(scenario.trip())
    await ledger.at(scenario.END)


async def test_negative_charging_raises_a_repair_and_the_setting_fixes_it(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    embedded_data: dict[str, str],
    issue_registry: ir.IssueRegistry,
) -> None:
    ledger = Ledger(hass, freezer, make_entry(embedded_data))
    await _charge(ledger)
    try:
        [issue] = _sign_issues(issue_registry)
        assert issue.translation_placeholders == {
            "name": "Model Y",
            "entity_id": "sensor.model_y_charger_power",
        }
        await ledger.synced()
        page = await ledger.query("list_sessions", vehicle=VEHICLE_ID)
        # At best a battery-level estimate: the metered energy was refused.
        assert [row["energy_kwh"] for row in page.items] != [scenario.SESSION_KWH]

        # The user turns the setting on: the ledger reloads and the repair goes.
        subentry = ledger.entry.subentries[VEHICLE_ID]
        hass.config_entries.async_update_subentry(
            ledger.entry,
            subentry,
            data={**subentry.data, CONF_THRESHOLDS: {"charging_negative": True}},
        )
        await hass.async_block_till_done(wait_background_tasks=True)
        await ledger.at(scenario.END + 120.0)
        assert _sign_issues(issue_registry) == []

        # The stored samples are as reported: recomputed with the setting, the
        # session gets its metered energy back.
        await run_recompute(hass, ledger)
        page = await ledger.query("list_sessions", vehicle=VEHICLE_ID)
        (row,) = page.items
        assert row["energy_kwh"] == scenario.SESSION_KWH
    finally:
        await ledger.unload()


async def test_with_the_setting_the_session_has_its_energy(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    embedded_data: dict[str, str],
    issue_registry: ir.IssueRegistry,
) -> None:
    subentries = default_subentries()
    subentries[0]["data"][CONF_THRESHOLDS] = {"charging_negative": True}
    ledger = Ledger(hass, freezer, make_entry(embedded_data, subentries))
    await _charge(ledger)
    try:
        await ledger.synced()
        page = await ledger.query("list_sessions", vehicle=VEHICLE_ID)
        (row,) = page.items
        assert row["energy_kwh"] == scenario.SESSION_KWH
        assert _sign_issues(issue_registry) == []
    finally:
        await ledger.unload()
