"""The demo's whole week: recorded live, backfilled and recomputed, the same records.

The simulator's week of states (`tests/demo/demo_states.py`) is set in a real Home
Assistant with the recorder on, the clock moving minute by minute, while a ledger
configured as the demo's records it live. Then:

- `ev_ledger.recompute` over the week with unchanged settings must change nothing
  (issue 12: it added 23 trips, changed 20 and removed 3);
- a second ledger, on an empty database, backfilled from the recorder, must hold the
  same sessions and trips, field by field (start and end places, distance, energy,
  cost, solar, flags).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.ev_ledger.const import CONF_BACKEND, DOMAIN, EMBEDDED_FILENAME
from custom_components.ev_ledger.db import Reader
from demo.custom_components.ev_ledger_sim.sim import catalog
from demo.custom_components.ev_ledger_sim.sim.clock import WEEK_S
from tests.demo import demo_states

from .conftest import Ledger

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

# Fields that say how or when a row was written, not what it records.
VOLATILE = {"source", "ingested_at", "recorded_at"}
POLLED = {demo_states.ENTITY_IDS[spec.key] for spec in catalog.ENTITIES if spec.polled}


@pytest.fixture
def mock_recorder_before_hass(async_test_recorder: Any) -> None:
    """Set the recorder up before Home Assistant."""


@pytest.fixture(autouse=True)
async def _recorder(recorder_mock: Any) -> None:
    """A real recorder."""


def entry(entry_id: str) -> MockConfigEntry:
    """A ledger configured as scripts/demo_configure.py does (embedded database)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="EV Ledger demo",
        data={CONF_BACKEND: "embedded"},
        entry_id=entry_id,
        subentries_data=demo_states.subentries(),
    )


async def play_week(hass: HomeAssistant, ledger: Ledger, end: float) -> int:
    """Set the week's states at their simulated times, the clock moving each minute.

    States of one instant are set together, in the order the simulator writes them;
    the site's meters report every poll, unchanged values included (force_update).
    Returns how many states were set.
    """
    now = demo_states.EPOCH - 60.0
    count = 0
    for ts, entity_id, state in demo_states.states():
        if ts > now:
            # The state changes of an instant are handled before time moves on.
            await hass.async_block_till_done()
            while now + 60.0 < ts:
                now += 60.0
                await ledger.at(now)
            now = ts
            await ledger.at(now)
        hass.states.async_set(
            entity_id,
            state.state,
            dict(state.attributes),
            force_update=entity_id in POLLED,
        )
        count += 1
    while now + 60.0 <= end:
        now += 60.0
        await ledger.at(now)
    await hass.async_block_till_done()
    return count


async def stored(hass: HomeAssistant, ledger: Ledger) -> dict[str, list[Any]]:
    """The completed sessions and the trips of the demo car, without volatile fields."""
    await ledger.synced()
    reader = Reader(ledger.runtime.db_config)

    def read() -> dict[str, list[Any]]:
        sessions = reader.list_sessions(vehicle=demo_states.VEHICLE_ID, limit=500)
        trips = reader.list_trips(vehicle=demo_states.VEHICLE_ID, limit=500)
        return {
            "sessions": [
                {k: v for k, v in s.items() if k not in VOLATILE}
                for s in sessions.items
                if s["status"] != "in_progress"
            ],
            "trips": [
                {k: v for k, v in t.items() if k not in VOLATILE} for t in trips.items
            ],
        }

    try:
        return await hass.async_add_executor_job(read)
    finally:
        await hass.async_add_executor_job(reader.close)


def diff(want: dict[str, list[Any]], got: dict[str, list[Any]]) -> dict[str, Any]:
    """Added, changed and removed records per kind, and the fields that changed."""
    out: dict[str, Any] = {}
    for kind in ("sessions", "trips"):
        before = {r["id"]: r for r in want[kind]}
        after = {r["id"]: r for r in got[kind]}
        changed = {
            key: sorted(k for k in before[key] if before[key][k] != after[key].get(k))
            for key in before.keys() & after.keys()
            if before[key] != after[key]
        }
        out[kind] = {
            "added": len(after.keys() - before.keys()),
            "changed": len(changed),
            "removed": len(before.keys() - after.keys()),
            "fields": sorted({f for fields in changed.values() for f in fields}),
        }
    return out


NOTHING = {
    kind: {"added": 0, "changed": 0, "removed": 0, "fields": []}
    for kind in ("sessions", "trips")
}


async def test_demo_week_live_backfill_recompute(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The week recorded live; recomputed unchanged; backfilled alike."""
    # Asyncio's debug mode (on in these tests) triples the cost of 26,000 steps.
    hass.loop.set_debug(False)
    await hass.config.async_update(time_zone=demo_states.TIME_ZONE)
    start = demo_states.EPOCH
    end = start + WEEK_S
    freezer.move_to(datetime.fromtimestamp(start - 120.0, UTC))
    live = Ledger(hass, freezer, entry("01JDEMOENTRY0000000000000A"))
    await live.setup()
    assert await play_week(hass, live, end) > 16_000
    recorded = await stored(hass, live)
    # The week as the simulator plays it: 14 drives, 6 completed charges (Sunday's
    # ends on the next Monday).
    assert len(recorded["trips"]) == 14, [t["started_at"] for t in recorded["trips"]]
    assert len(recorded["sessions"]) == 6
    commutes = recorded["trips"][-10:]  # newest first: Monday's are last
    assert {(t["start_zone"], t["end_zone"]) for t in commutes} == {
        ("home", "work"),
        ("work", "home"),
    }

    response: Any = await hass.services.async_call(
        DOMAIN,
        "recompute",
        {
            "config_entry_id": live.entry.entry_id,
            "vehicle": demo_states.VEHICLE_ID,
            "start": datetime.fromtimestamp(start, UTC),
            "end": datetime.fromtimestamp(end, UTC),
        },
        blocking=True,
        return_response=True,
    )
    assert response is not None
    counts = {
        kind: {k: response[kind][k] for k in ("added", "changed", "removed")}
        for kind in ("sessions", "trips")
    }
    recomputed = await stored(hass, live)
    print("recompute:", counts, diff(recorded, recomputed))  # noqa: T201
    assert diff(recorded, recomputed) == NOTHING
    assert counts == {
        kind: {"added": 0, "changed": 0, "removed": 0} for kind in ("sessions", "trips")
    }
    assert response["trips"]["unchanged"] == 14
    await live.unload()
    await async_wait_recording_done(hass)

    # A second ledger on an empty database starts from the recorder's history.
    await hass.async_add_executor_job(Path(hass.config.path(EMBEDDED_FILENAME)).unlink)
    freezer.move_to(datetime.fromtimestamp(end + 60.0, UTC))
    filled = Ledger(hass, freezer, entry("01JDEMOENTRY0000000000000B"))
    await filled.setup()
    result = filled.runtime.backfill
    assert result is not None
    assert not result.running
    backfilled = await stored(hass, filled)
    print("backfill:", diff(recorded, backfilled))  # noqa: T201
    assert diff(recorded, backfilled) == NOTHING
    assert backfilled == recorded
    await filled.unload()
    assert timedelta(seconds=result.seconds) < timedelta(minutes=5)
