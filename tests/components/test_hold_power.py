"""The minute tick's held charger power must not undo an unplug (live)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.ev_ledger.logic.model import Reading, Role

from .conftest import (
    ENTITIES,
    START,
    VEHICLE_ID,
    Ledger,
    default_subentries,
    make_entry,
    vehicle_subentry,
)

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

# A wallbox-like car: a cable sensor and a power sensor, no charging state.
ROLES = {role: ENTITIES[role] for role in (Role.PLUGGED, Role.CHARGER_POWER)}


async def test_power_reported_after_the_unplug_gives_two_sessions(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, embedded_data: dict[str, Any]
) -> None:
    """The power drops to 0 five minutes after the cable is pulled, twice."""
    freezer.move_to(datetime.fromtimestamp(START, UTC))
    subentries = [vehicle_subentry(ROLES), *default_subentries()[1:]]
    ledger = Ledger(hass, freezer, make_entry(embedded_data, subentries), roles=ROLES)
    await ledger.setup()
    t = START + 3600
    for start in (t, t + 5 * 3600):
        await ledger.reading(Reading(start, Role.PLUGGED, True))
        await ledger.reading(Reading(start + 1, Role.CHARGER_POWER, 7.0))
        await ledger.reading(Reading(start + 3600, Role.PLUGGED, False))
        for minute in range(1, 5):
            await ledger.at(start + 3600 + 60 * minute)  # the runtime ticks
        await ledger.reading(Reading(start + 3600 + 300, Role.CHARGER_POWER, 0.0))
    await ledger.at(t + 8 * 3600)
    page = await ledger.query("list_sessions", vehicle=VEHICLE_ID, limit=10)
    sessions = sorted(page.items, key=lambda s: s["started_at"])
    assert [s["status"] for s in sessions] == ["completed", "completed"]
    for session in sessions:
        assert float(session["energy_kwh"]) == pytest.approx(7.0, abs=0.01)
    await ledger.unload()
