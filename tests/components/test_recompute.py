"""Recompute through Home Assistant: tariff changes, overrides, added and removed records."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from homeassistant.exceptions import ServiceValidationError
import pytest

from custom_components.ev_ledger import recompute
from custom_components.ev_ledger.const import CONF_TARIFF, DOMAIN
from custom_components.ev_ledger.logic.ids import record_id
from custom_components.ev_ledger.logic.model import (
    ChargingSession,
    Cost,
    CostSource,
    EnergyMethod,
    SessionStatus,
)
from tests.logic.test_scenarios import T
from tests.logic.trace import hours

from . import scenario
from .conftest import HOME_ID, VEHICLE_ID, Ledger
from .test_backfill import drive, drive_readings

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


async def run_recompute(hass: HomeAssistant, ledger: Ledger, **extra: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN,
        "recompute",
        {
            "config_entry_id": ledger.entry.entry_id,
            "vehicle": VEHICLE_ID,
            "start": "2026-03-01T00:00:00+00:00",
            **extra,
        },
        blocking=True,
        return_response=True,
    )


async def sessions_of(ledger: Ledger) -> list[dict[str, Any]]:
    page = await ledger.query("list_sessions", vehicle=VEHICLE_ID, limit=50)
    return list(page.items)


async def _set_home_price(hass: HomeAssistant, ledger: Ledger, price: str) -> None:
    subentry = ledger.entry.subentries[HOME_ID]
    data = dict(subentry.data)
    data[CONF_TARIFF] = {**data[CONF_TARIFF], "price_per_kwh": price}
    hass.config_entries.async_update_subentry(ledger.entry, subentry, data=data)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_recompute_after_tariff_change(
    hass: HomeAssistant, ledger: Ledger
) -> None:
    """Same tariff: nothing changes. New tariff: new cost; corrections survive."""
    await ledger.setup()
    # Minute by minute, as Home Assistant's clock runs (the runtime ticks each minute).
    await drive(ledger, T + hours(5))
    [session] = await sessions_of(ledger)
    assert session["cost"] == scenario.SESSION_COST

    unchanged = await run_recompute(hass, ledger)
    assert unchanged["sessions"]["unchanged"] == 1, unchanged
    assert unchanged["sessions"]["changed"] == 0
    assert unchanged["trips"]["unchanged"] == 1
    assert unchanged["cost_delta"] == "0.0000"
    assert unchanged["samples"] > 0

    # A tariff change alone never rewrites history.
    await hass.services.async_call(
        DOMAIN,
        "update_session",
        {
            "config_entry_id": ledger.entry.entry_id,
            "session_id": session["id"],
            "notes": "company car",
        },
        blocking=True,
    )
    await _set_home_price(hass, ledger, "0.40")
    [same] = await sessions_of(ledger)
    assert same["cost"] == scenario.SESSION_COST

    changed = await run_recompute(hass, ledger)
    assert changed["sessions"]["changed"] == 1
    assert changed["sessions"]["ids"]["changed"] == [session["id"]]
    # 19.5 kWh at 0.40 instead of 0.30 EUR/kWh.
    assert Decimal(changed["cost_delta"]) == Decimal("1.95")
    [after] = await sessions_of(ledger)
    assert after["id"] == session["id"]
    assert after["cost"] == Decimal("7.8000")
    assert after["notes"] == "company car"
    assert after["source"] == "live"

    # A cost the user set stays the cost; the engine's figure moves underneath.
    await hass.services.async_call(
        DOMAIN,
        "update_session",
        {
            "config_entry_id": ledger.entry.entry_id,
            "session_id": session["id"],
            "cost": 5,
        },
        blocking=True,
    )
    await _set_home_price(hass, ledger, "0.50")
    overridden = await run_recompute(hass, ledger)
    assert overridden["sessions"]["changed"] == 1
    assert Decimal(overridden["cost_delta"]) == 0
    [kept] = await sessions_of(ledger)
    assert kept["cost"] == Decimal("5.0000")
    assert kept["cost_without_overrides"] == Decimal("9.7500")


def _stray(start: float, energy: str) -> ChargingSession:
    """A session the samples cannot give (as if derived with another threshold)."""
    return ChargingSession(
        id=record_id(VEHICLE_ID, "session", start),
        vehicle_id=VEHICLE_ID,
        status=SessionStatus.COMPLETED,
        plugged_at=start,
        started_at=start,
        ended_at=start + 1800,
        unplugged_at=start + 1800,
        charging_seconds=1800,
        plugged_seconds=1800,
        energy_kwh=Decimal(energy),
        energy_method=EnergyMethod.POWER_INTEGRATION,
        cost=Cost(total=Decimal("1.0000"), currency="EUR", source=CostSource.TARIFF),
    )


async def test_recompute_removes_what_is_no_longer_derived(
    hass: HomeAssistant, ledger: Ledger
) -> None:
    """A stored session not derived again is removed, unless corrected; manual kept."""
    await ledger.setup()
    await drive_readings(ledger, [*scenario.before(), *scenario.charge()], T + hours(5))
    writer = ledger.runtime.writer
    stray, corrected = _stray(T - hours(8), "3"), _stray(T - hours(7), "4")
    writer.enqueue_session(stray)
    writer.enqueue_session(corrected)
    writer.update_session(corrected.id, notes="charged at a friend's")
    await hass.services.async_call(
        DOMAIN,
        "add_session",
        {
            "config_entry_id": ledger.entry.entry_id,
            "vehicle": VEHICLE_ID,
            "start": "2026-03-02T08:00:00+00:00",
            "end": "2026-03-02T08:30:00+00:00",
            "energy": 5,
        },
        blocking=True,
        return_response=True,
    )
    result = await run_recompute(hass, ledger)
    sessions = result["sessions"]
    assert sessions["unchanged"] == 1, sessions
    assert sessions["removed"] == 1
    assert sessions["ids"]["removed"] == [stray.id]
    assert sessions["kept_corrected"] == 1
    assert Decimal(result["cost_delta"]) == Decimal("-1")
    left = {s["id"]: s for s in await sessions_of(ledger)}
    assert stray.id not in left
    assert corrected.id in left
    assert len(left) == 3  # the live one, the corrected one, the manual one
    again = await run_recompute(hass, ledger)
    assert again["sessions"]["removed"] == 0
    assert again["cost_delta"] == "0.0000"


async def test_recompute_validation(hass: HomeAssistant, ledger: Ledger) -> None:
    """An empty range or an unknown vehicle is refused with a translated error."""
    await ledger.setup()
    with pytest.raises(ServiceValidationError) as err:
        await run_recompute(hass, ledger, end="2026-02-01T00:00:00+00:00")
    assert err.value.translation_key == "invalid_time_range"
    with pytest.raises(ServiceValidationError) as err:
        await run_recompute(hass, ledger, vehicle="nope")
    assert err.value.translation_key == "vehicle_not_found"


async def test_recompute_reads_samples_in_chunks(
    hass: HomeAssistant, ledger: Ledger
) -> None:
    """Chunks of 17 minutes (the charge spans many): the same records, every sample."""
    await ledger.setup()
    await drive(ledger, T + hours(5))
    whole = await run_recompute(hass, ledger)
    with patch.object(recompute, "SAMPLE_CHUNK", timedelta(minutes=17)):
        chunked = await run_recompute(hass, ledger)
    assert chunked == whole
    assert chunked["samples"] > 0
    assert chunked["sessions"]["unchanged"] == 1
    assert chunked["trips"]["unchanged"] == 1
