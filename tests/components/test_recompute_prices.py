"""Recompute with a dynamic price (a price entity): where its prices come from.

The live ledger keeps the last 7 days of a price entity in its price book; the
recorder keeps its history for as long as it keeps states. A recompute takes both,
and never turns a known cost into an unknown one: a session whose prices are known to
neither is left as it is (`kept_unpriced`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.ev_ledger.const import DOMAIN, LOCATION_DEFAULT
from tests.logic.test_scenarios import T
from tests.logic.trace import hours

from . import scenario
from .conftest import (
    DEFAULT_ID,
    HOME_ID,
    START,
    Ledger,
    location_subentry,
    make_entry,
    priced_location_subentry,
    vehicle_subentry,
)
from .test_backfill import drive_readings, readings
from .test_recompute import run_recompute, sessions_of

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

PRICE = "sensor.home_price"
# The scenario's 19.5 kWh at home at 0.25 EUR/kWh.
COST = Decimal("4.8750")


@pytest.fixture
def mock_recorder_before_hass(async_test_recorder: Any) -> None:
    """Set the recorder up before Home Assistant (some tests here ask for it)."""


def _home(price_entity: str) -> dict[str, Any]:
    return priced_location_subentry(
        "zone.home", price_entity, subentry_id=HOME_ID, title="Home"
    )


def _entry() -> MockConfigEntry:
    """The car, home priced by PRICE, elsewhere at 0.60 EUR/kWh."""
    return make_entry(
        {"backend": "embedded"},
        [
            vehicle_subentry(),
            _home(PRICE),
            location_subentry(
                LOCATION_DEFAULT, "0.60", subentry_id=DEFAULT_ID, title="Elsewhere"
            ),
        ],
    )


async def _priced_session(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> Ledger:
    """A ledger whose home is priced by PRICE (0.25 EUR/kWh), after the scenario."""
    freezer.move_to(datetime.fromtimestamp(START, UTC))
    hass.states.async_set(PRICE, "0.25", {"unit_of_measurement": "EUR/kWh"})
    ledger = Ledger(hass, freezer, _entry())
    await ledger.setup()
    await drive_readings(ledger, readings(), T + hours(5))
    # The next price, after the session.
    hass.states.async_set(PRICE, "0.35", {"unit_of_measurement": "EUR/kWh"})
    await hass.async_block_till_done()
    [session] = await sessions_of(ledger)
    assert session["cost"] == COST
    assert session["unpriced_kwh"] == 0
    return ledger


async def test_live_price_book_prices_a_recompute(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """No recorder: the live book's prices give the same cost, unchanged."""
    ledger = await _priced_session(hass, freezer)
    response = await run_recompute(hass, ledger)
    assert response["sessions"]["unchanged"] == 1, response
    assert response["sessions"]["kept_unpriced"] == 0
    assert response["cost_delta"] == "0.0000"
    await ledger.unload()


async def test_prices_known_nowhere_keep_the_session(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A new price entity with no history: the old session keeps its cost."""
    ledger = await _priced_session(hass, freezer)
    subentry = ledger.entry.subentries[HOME_ID]
    hass.config_entries.async_update_subentry(
        ledger.entry, subentry, data=_home("sensor.new_price")["data"]
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    response = await run_recompute(hass, ledger)
    assert response["sessions"]["kept_unpriced"] == 1, response
    assert response["sessions"]["changed"] == 0
    assert response["cost_delta"] == "0.0000"
    [session] = await sessions_of(ledger)
    assert session["cost"] == COST
    assert session["unpriced_kwh"] == 0
    await ledger.unload()


async def test_recorder_history_prices_a_recompute(
    recorder_mock: Any,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The live book lost its prices: the recorder's history of PRICE gives them."""
    ledger = await _priced_session(hass, freezer)
    await ledger.unload()
    hass_storage[f"{DOMAIN}.{ledger.entry.entry_id}"]["data"]["prices"] = {
        PRICE: {"points": "garbage"}
    }
    await ledger.setup()
    assert "Discarding unreadable price history" in caplog.text
    # The book starts again from the entity's current state: nothing at the session.
    series = ledger.runtime.prices.get(PRICE)
    assert series is not None
    assert series.price_at(T) is None
    await async_wait_recording_done(hass)
    response = await run_recompute(hass, ledger)
    assert response["sessions"]["unchanged"] == 1, response
    assert response["sessions"]["kept_unpriced"] == 0
    [session] = await sessions_of(ledger)
    assert session["cost"] == COST
    await ledger.unload()
    assert scenario.SESSION_KWH * Decimal("0.25") == COST


async def test_session_open_at_setup_is_priced_from_history(
    recorder_mock: Any,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Added mid-charge: the prices before the setup come with the backfill."""
    freezer.move_to(datetime.fromtimestamp(START, UTC))
    hass.states.async_set(PRICE, "0.25", {"unit_of_measurement": "EUR/kWh"})
    ledger = Ledger(
        hass,
        freezer,
        _entry(),
    )
    states = readings()
    # Half an hour into the charge the price goes up; EV Ledger comes an hour in.
    change, setup = T + hours(0.5), T + hours(1)
    await drive_readings(ledger, [r for r in states if r.ts < change], change)
    hass.states.async_set(PRICE, "0.35", {"unit_of_measurement": "EUR/kWh"})
    await drive_readings(ledger, [r for r in states if change <= r.ts < setup], setup)
    await async_wait_recording_done(hass)
    await ledger.setup()
    await drive_readings(ledger, [r for r in states if r.ts >= setup], T + hours(5))
    [session] = await sessions_of(ledger)
    assert session["unpriced_kwh"] == 0, session
    assert "price_gap" not in session["flags"]
    assert COST < session["cost"] < scenario.SESSION_KWH * Decimal("0.35")
    await ledger.unload()
