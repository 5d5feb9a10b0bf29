"""A backfill can be stopped, and skips what the database rejected before (issue 15, B12).

`ev_ledger.cancel_backfill` stops the run after the chunk it is reading: what it wrote
stays, a record still open where it stopped is not written. Unloading the entry stops
it the same way; an initial backfill cut short by an unload runs again at the next
start (its sources are saved as new), and adds nothing twice.

A record the database rejected (in the quarantine table) is not written again by a
later backfill: it is counted as `quarantined_skipped`.
"""

from __future__ import annotations

from datetime import UTC, datetime
import time
from typing import TYPE_CHECKING, Any
from unittest.mock import patch
import uuid

from homeassistant.config_entries import ConfigEntryState
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from sqlalchemy import delete

from custom_components.ev_ledger import backfill
from custom_components.ev_ledger.const import DOMAIN
from custom_components.ev_ledger.db import make_engine
from custom_components.ev_ledger.db.models import ChargingSession, ChargingWindow
from custom_components.ev_ledger.db.sink import quarantine
from tests.logic.test_scenarios import T
from tests.logic.trace import hours

from . import scenario
from .conftest import START, VEHICLE_ID, Ledger
from .test_backfill import EMBEDDED, drive_readings, entry, records

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

DAY = 86400.0
READ_CHUNK = backfill.read_chunk


@pytest.fixture
def mock_recorder_before_hass(async_test_recorder: Any) -> None:
    """Set the recorder up before Home Assistant."""


@pytest.fixture(autouse=True)
async def _recorder(recorder_mock: Any) -> None:
    """A real recorder for every test here."""


def slow_read(*args: Any, **kwargs: Any) -> Any:
    """A chunk read that takes a while (recorder thread): time to cancel it."""
    time.sleep(0.1)
    return READ_CHUNK(*args, **kwargs)


async def _call(
    hass: HomeAssistant, ledger: Ledger, service: str, **data: Any
) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        service,
        {"config_entry_id": ledger.entry.entry_id, **data},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return dict(response)


async def _until(hass: HomeAssistant, what: str, check: Any) -> None:
    """Real time passes (the recorder's threads read): until `check()` holds.

    The clock is frozen: waits are real sleeps in a worker thread, counted.
    """
    for _ in range(3000):
        if check():
            return
        await hass.async_add_executor_job(time.sleep, 0.01)
    raise AssertionError(f"no {what} within 30 s")


async def _recorded_days(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry_id: str
) -> Ledger:
    """The scenario recorded before the ledger exists, then three quiet days."""
    freezer.move_to(datetime.fromtimestamp(START, UTC))
    ledger = Ledger(hass, freezer, entry(entry_id, EMBEDDED))
    await drive_readings(
        ledger,
        [*scenario.before(), *scenario.charge(), *scenario.trip()],
        T + hours(5),
    )
    await async_wait_recording_done(hass)
    freezer.move_to(datetime.fromtimestamp(T + 3 * DAY, UTC))
    return ledger


async def test_cancel_stops_a_running_backfill(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Cancelled after its first chunk: it stops there, and says so."""
    ledger = await _recorded_days(hass, freezer, "01JENTRY0000000000000000H")
    await ledger.setup()  # the initial backfill finished
    assert await _call(hass, ledger, "cancel_backfill") == {
        "running": False,
        "cancelled": False,
    }
    runtime = ledger.runtime
    with patch.object(backfill, "read_chunk", slow_read):
        task = hass.async_create_task(
            _call(hass, ledger, "backfill", start=datetime.fromtimestamp(START, UTC))
        )
        await _until(
            hass,
            "first chunk",
            lambda: runtime.backfill_run is not None
            and runtime.backfill_run.result.chunks_done >= 1,
        )
        cancelled = await _call(hass, ledger, "cancel_backfill")
        finished = await task
    assert cancelled["cancelled"] is True
    assert cancelled["running"] is False
    assert 1 <= cancelled["chunks_done"] < cancelled["chunks"] >= 12
    assert finished == cancelled
    assert runtime.backfill_run is None
    assert hass.states.async_entity_ids("persistent_notification") == []
    # Nothing was added twice, and the next backfill runs to its end.
    got = await records(hass, ledger)
    assert len(got["sessions"]) == 1
    assert len(got["trips"]) == 1
    again = await _call(
        hass, ledger, "backfill", start=datetime.fromtimestamp(START, UTC)
    )
    assert again["cancelled"] is False
    assert again["chunks_done"] == again["chunks"]
    assert again["sessions_added"] == again["trips_added"] == 0
    await ledger.unload()


async def test_unload_stops_the_initial_backfill_and_the_next_start_resumes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """An unload stops the backfill; the vehicle is backfilled at the next start."""
    ledger = await _recorded_days(hass, freezer, "01JENTRY0000000000000000J")
    ledger.entry.add_to_hass(hass)
    with patch.object(backfill, "read_chunk", slow_read):
        assert await hass.config_entries.async_setup(ledger.entry.entry_id)
        runtime = ledger.runtime
        await _until(
            hass,
            "first chunk",
            lambda: runtime.backfill_run is not None
            and runtime.backfill_run.result.chunks_done >= 1,
        )
        result = runtime.backfill_run
        assert result is not None
        await ledger.unload()
    assert result.result.cancelled
    assert result.result.chunks_done < result.result.chunks
    assert ledger.entry.state is ConfigEntryState.NOT_LOADED
    # Saved as new: the next start backfills it again.
    snapshot = hass_storage[f"{DOMAIN}.{ledger.entry.entry_id}"]["data"]
    assert VEHICLE_ID not in snapshot["vehicles"]
    assert hass.states.async_entity_ids("persistent_notification") == []

    await ledger.setup()
    again = ledger.runtime.backfill
    assert again is not None
    assert not again.cancelled
    assert again.chunks_done == again.chunks
    got = await records(hass, ledger)
    assert len(got["sessions"]) == 1
    assert len(got["trips"]) == 1
    assert got["sessions"][0]["energy_kwh"] == scenario.SESSION_KWH
    await ledger.unload()


async def test_a_quarantined_record_is_not_written_again(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The database rejected the session once: a backfill skips it and counts it."""
    ledger = await _recorded_days(hass, freezer, "01JENTRY0000000000000000K")
    await ledger.setup()
    runtime = ledger.runtime
    (stored,) = (await records(hass, ledger))["sessions"]
    engine = make_engine(runtime.db_config, pooled=False)

    def reject() -> None:
        # As if the database had refused it: the row in the quarantine, not stored.
        with engine.begin() as conn:
            quarantine(conn, ("session", {"id": str(stored["id"])}), "refused")
            session_id = uuid.UUID(str(stored["id"]))
            conn.execute(
                delete(ChargingWindow).where(ChargingWindow.session_id == session_id)
            )
            conn.execute(
                delete(ChargingSession).where(ChargingSession.id == session_id)
            )

    try:
        await hass.async_add_executor_job(reject)
    finally:
        await hass.async_add_executor_job(engine.dispose)
    assert (await records(hass, ledger))["sessions"] == []

    response = await _call(
        hass, ledger, "backfill", start=datetime.fromtimestamp(START, UTC)
    )
    assert response["quarantined_skipped"] == 1
    assert response["sessions_added"] == 0
    assert response["sessions_skipped"] == 0
    assert response["trips_skipped"] == 1
    assert (await records(hass, ledger))["sessions"] == []
    assert runtime.writer.health().quarantined == 0
    await ledger.unload()
