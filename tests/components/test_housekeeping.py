"""Nightly housekeeping in Home Assistant: old samples folded, records and recompute safe.

The scenario's charge and trip are recorded live; two days later, at 03:17 local
time, the job folds the raw samples older than the entry's window (here one day)
into minutes. The session and the trip stay as they were, and `ev_ledger.recompute`
over the folded range re-derives nothing there and removes nothing: it says where its
raw samples begin.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.util import dt as dt_util

from custom_components.ev_ledger.const import CONF_SAMPLE_RETENTION_DAYS, DOMAIN
from custom_components.ev_ledger.housekeeping import job_of, retention_days
from tests.logic.test_scenarios import T

from . import scenario
from .conftest import VEHICLE_ID, Ledger
from .test_backfill import drive

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


def next_run(after: float) -> float:
    """The first 03:17 local time after `after` (epoch seconds)."""
    local = dt_util.as_local(dt_util.utc_from_timestamp(after))
    run = local.replace(hour=3, minute=17, second=0, microsecond=0)
    if run <= local:
        run += timedelta(days=1)
    return run.timestamp()


async def records(ledger: Ledger) -> tuple[list[Any], list[Any]]:
    sessions = await ledger.query("list_sessions", vehicle=VEHICLE_ID, limit=50)
    trips = await ledger.query("list_trips", vehicle=VEHICLE_ID, limit=50)
    return list(sessions.items), list(trips.items)


async def set_up(hass: HomeAssistant, ledger: Ledger, days: int | None) -> None:
    ledger.entry.add_to_hass(hass)
    if days is not None:
        hass.config_entries.async_update_entry(
            ledger.entry, options={CONF_SAMPLE_RETENTION_DAYS: days}
        )
    await ledger.setup()
    await drive(ledger, scenario.END)
    await ledger.synced()


async def test_old_samples_fold_overnight_records_stay(
    hass: HomeAssistant, ledger: Ledger
) -> None:
    await set_up(hass, ledger, days=1)
    before = await records(ledger)
    assert len(before[0]) == 1
    assert len(before[1]) == 1
    start = datetime.fromtimestamp(T - 7200, dt_util.UTC)
    end = datetime.fromtimestamp(scenario.END, dt_util.UTC)
    raw = await ledger.query("samples", source=VEHICLE_ID, start=start, end=end)
    assert raw

    # A night when the scenario's month is wholly past the window: PostgreSQL
    # folds whole months (migration 0011), SQLite everything older.
    run = next_run(datetime(2026, 4, 2, tzinfo=dt_util.UTC).timestamp())
    await ledger.at(run)
    await hass.async_block_till_done(wait_background_tasks=True)
    job = job_of(hass, ledger.entry.entry_id)
    assert job is not None
    assert job.last is not None
    assert job.last["complete"], job.last
    assert job.last["folded"] >= len(raw)
    assert await ledger.query("samples", source=VEHICLE_ID, start=start, end=end) == []
    assert await records(ledger) == before

    # Recompute cannot replay folded samples: the range is clamped, nothing removed.
    response = await hass.services.async_call(
        DOMAIN,
        "recompute",
        {
            "config_entry_id": ledger.entry.entry_id,
            "vehicle": VEHICLE_ID,
            "start": "2026-03-01T00:00:00+00:00",
        },
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    assert response["requested_start"] == "2026-03-01T00:00:00+00:00"
    assert response["raw_samples_from"] is not None
    assert str(response["start"]) > str(response["raw_samples_from"])
    assert response["sessions"]["removed"] == 0  # type: ignore[call-overload,index]
    assert response["trips"]["removed"] == 0  # type: ignore[call-overload,index]
    assert await records(ledger) == before


async def test_zero_keeps_raw_samples(hass: HomeAssistant, ledger: Ledger) -> None:
    await set_up(hass, ledger, days=0)
    assert retention_days(ledger.entry) == 0
    await ledger.at(next_run(scenario.END + 86_400))
    await hass.async_block_till_done(wait_background_tasks=True)
    job = job_of(hass, ledger.entry.entry_id)
    assert job is not None
    assert job.last is None
    assert await job.async_run() is None
    start = datetime.fromtimestamp(T - 7200, dt_util.UTC)
    end = datetime.fromtimestamp(scenario.END, dt_util.UTC)
    assert await ledger.query("samples", source=VEHICLE_ID, start=start, end=end)


async def test_default_window_and_unload(hass: HomeAssistant, ledger: Ledger) -> None:
    await set_up(hass, ledger, days=None)
    assert retention_days(ledger.entry) == 396
    job = job_of(hass, ledger.entry.entry_id)
    assert job is not None
    result = await job.async_run()  # nothing is 13 months old
    assert result is not None
    assert result["folded"] == 0
    await ledger.unload()
    assert job_of(hass, ledger.entry.entry_id) is None
    assert await job.async_run() is None
