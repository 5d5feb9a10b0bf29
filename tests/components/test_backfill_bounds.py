"""The backfill's range is bounded by what the recorder can hold (issue 15, B12).

A start long before the recorder's retention, or before the oldest state it has of the
mapped entities, is clamped: the backfill reads only what can exist, quickly, and its
response says so.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
import time
from typing import TYPE_CHECKING, Any

from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.recorder import get_instance
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.ev_ledger.const import DOMAIN
from tests.logic.test_scenarios import T

from . import scenario
from .conftest import START, Ledger
from .test_backfill import EMBEDDED, drive_readings, entry

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant


@pytest.fixture
def mock_recorder_before_hass(async_test_recorder: Any) -> None:
    """Set the recorder up before Home Assistant."""


@pytest.fixture(autouse=True)
async def _recorder(recorder_mock: Any) -> None:
    """A real recorder for every test here."""


async def _backfill(hass: HomeAssistant, ledger: Ledger, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        "backfill",
        {"config_entry_id": ledger.entry.entry_id, **data},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return dict(response)


async def test_start_is_clamped_to_the_oldest_state_and_the_retention(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry_data: dict[str, Any]
) -> None:
    """A start in 2000 (38,000 chunks unclamped) reads only from the oldest recorded state, in a moment."""
    freezer.move_to(datetime.fromtimestamp(START, UTC))
    ledger = Ledger(hass, freezer, entry("01JENTRY0000000000000000B", entry_data))
    await drive_readings(ledger, scenario.before(), T)
    await async_wait_recording_done(hass)
    await ledger.setup()
    # The states are set from an hour before T on.
    oldest = datetime.fromtimestamp(T, UTC) - timedelta(hours=1)

    began = time.monotonic()
    response = await _backfill(hass, ledger, start=datetime(2000, 1, 1, tzinfo=UTC))
    assert time.monotonic() - began < 10
    assert response["clamped"] is True
    assert response["requested_start"] == "2000-01-01T00:00:00+00:00"
    started = datetime.fromisoformat(response["start"])
    assert oldest - timedelta(minutes=1) <= started <= oldest + timedelta(minutes=1)
    assert response["chunks"] == response["chunks_done"] <= 2
    assert response["states"] > 0
    assert response["running"] is False

    # A start within what the recorder holds is read as asked.
    asked = datetime.fromtimestamp(T, UTC) - timedelta(minutes=30)
    response = await _backfill(hass, ledger, start=asked)
    assert response["clamped"] is False
    assert datetime.fromisoformat(response["start"]) == asked

    # The retention bounds it too: with one day kept, a start long ago is today's.
    get_instance(hass).keep_days = 1
    freezer.tick(timedelta(days=3))
    now = datetime.now(UTC)
    response = await _backfill(hass, ledger, start=datetime(2000, 1, 1, tzinfo=UTC))
    assert response["clamped"] is True
    assert datetime.fromisoformat(response["start"]) == now - timedelta(days=1)
    assert response["chunks"] == response["chunks_done"] == 4
    await ledger.unload()


async def test_a_range_before_anything_recorded_is_empty(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """An end before the clamped start: zero chunks, at once."""
    freezer.move_to(datetime.fromtimestamp(START, UTC))
    ledger = Ledger(hass, freezer, entry("01JENTRY0000000000000000D", EMBEDDED))
    await drive_readings(ledger, scenario.before(), T)
    await async_wait_recording_done(hass)
    await ledger.setup()
    response = await _backfill(
        hass,
        ledger,
        start=datetime(2000, 1, 1, tzinfo=UTC),
        end=datetime(2001, 1, 1, tzinfo=UTC),
    )
    assert response["clamped"] is True
    assert response["chunks"] == response["chunks_done"] == 0
    assert response["states"] == 0
    assert response["start"] == response["end"]
    await ledger.unload()


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"start": "0002-01-01T00:00:00"}, "time_out_of_range"),  # naive, year 2
        ({"start": "0001-01-01T00:00:00+00:00"}, "time_out_of_range"),
        (
            {"start": "2000-01-01T00:00:00+00:00", "end": "2000-01-01T00:00:00+00:00"},
            "invalid_time_range",
        ),
        (  # after now: the recorder holds nothing there
            {"start": "2030-01-01T00:00:00+00:00", "end": "2031-01-01T00:00:00+00:00"},
            "invalid_time_range",
        ),
    ],
)
async def test_extreme_ranges_are_refused_clearly(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    data: dict[str, str],
    key: str,
) -> None:
    """Edges give a translated validation error, never an exception."""
    await hass.config.async_set_time_zone("Asia/Tokyo")
    freezer.move_to(datetime.fromtimestamp(START, UTC))
    ledger = Ledger(hass, freezer, entry("01JENTRY0000000000000000E", EMBEDDED))
    await ledger.setup()
    with pytest.raises(ServiceValidationError) as err:
        await _backfill(hass, ledger, **data)
    assert err.value.translation_key == key
    await ledger.unload()


async def test_a_second_backfill_while_one_runs_is_refused(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Not queued unseen behind the running one: a translated error."""
    freezer.move_to(datetime.fromtimestamp(START, UTC))
    ledger = Ledger(hass, freezer, entry("01JENTRY0000000000000000G", EMBEDDED))
    await drive_readings(ledger, scenario.before(), T)
    await async_wait_recording_done(hass)
    await ledger.setup()
    initial = ledger.runtime.backfill
    first = hass.async_create_task(
        _backfill(hass, ledger, start=datetime(2000, 1, 1, tzinfo=UTC))
    )
    for _ in range(1000):  # until the first one has started
        if ledger.runtime.backfill is not initial:
            break
        await asyncio.sleep(0)
    running = ledger.runtime.backfill
    assert running is not None
    assert running is not initial
    assert running.running
    with pytest.raises(ServiceValidationError) as err:
        await _backfill(hass, ledger, start=datetime(2000, 1, 1, tzinfo=UTC))
    assert err.value.translation_key == "backfill_running"
    assert (await first)["running"] is False
    # Once it finished, the next one runs.
    assert (await _backfill(hass, ledger))["running"] is False
    await ledger.unload()
