"""Backfill through a real Home Assistant with the recorder: same records as live.

One scenario (an evening charge at home, then a trip to work) is recorded while a
ledger on PostgreSQL records it live. A second ledger on the embedded default, added
afterwards, starts from the recorder's history: its sessions and trips must equal the
live ones field by field. Backfilling again, or over the live ledger's own range,
changes nothing.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.config_entries import ConfigEntryState
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from sqlalchemy.exc import OperationalError

from custom_components.ev_ledger import backfill
from custom_components.ev_ledger.const import CONF_BACKEND, DOMAIN, EMBEDDED_FILENAME
from custom_components.ev_ledger.db import Reader
from custom_components.ev_ledger.logic.model import Role
from tests.logic.test_scenarios import T
from tests.logic.trace import hours

from . import scenario
from .conftest import ENTITIES, START, VEHICLE_ID, Ledger, default_subentries

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

    from custom_components.ev_ledger.logic.model import Reading

ENERGY = "ev_ledger:model_y_energy_charged"
COST = "ev_ledger:model_y_charging_cost"
# What may differ between a live and a backfilled record.
VOLATILE = {"source", "ingested_at", "recorded_at"}


@pytest.fixture
def mock_recorder_before_hass(async_test_recorder: Any) -> None:
    """Set the recorder up before Home Assistant."""


@pytest.fixture(autouse=True)
async def _recorder(recorder_mock: Any) -> None:
    """A real recorder for every test here."""


def readings() -> list[Reading]:
    """The whole scenario."""
    return [*scenario.before(), *scenario.charge(), *scenario.trip()]


def apart(items: list[Reading]) -> list[Reading]:
    """States in time order, ties a millisecond apart (as Home Assistant stamps them).

    Two states of one entity never share a timestamp in Home Assistant; the ledger's
    samples are keyed by it.
    """
    out: list[Reading] = []
    seen: Counter[float] = Counter()
    for reading in sorted(items, key=lambda r: r.ts):
        out.append(reading._replace(ts=reading.ts + seen[reading.ts] * 0.001))
        seen[reading.ts] += 1
    return out


EMBEDDED = {CONF_BACKEND: "embedded"}


async def drive(ledger: Ledger, until: float) -> None:
    """Set the scenario's states, the clock moving minute by minute."""
    await drive_readings(ledger, readings(), until)


async def drive_readings(ledger: Ledger, items: list[Reading], until: float) -> None:
    """Set states in time order, the clock moving minute by minute."""
    now = dt_util.utcnow().timestamp()
    for reading in apart(items):
        while now + 60 < reading.ts:
            now += 60
            await ledger.at(now)
        await ledger.reading(reading)
        now = reading.ts
    while now + 60 <= until:
        now += 60
        await ledger.at(now)


def entry(entry_id: str, data: dict[str, Any]) -> MockConfigEntry:
    """A ledger entry with the default vehicle and locations."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"EV Ledger {entry_id[-1]}",
        data=data,
        entry_id=entry_id,
        subentries_data=default_subentries(),
    )


async def records(hass: HomeAssistant, ledger: Ledger) -> dict[str, list[Any]]:
    """Every session and trip of the ledger's database, without volatile fields."""
    await ledger.runtime.async_flush()
    await ledger.synced()
    reader = Reader(ledger.runtime.db_config)

    def read() -> dict[str, list[Any]]:
        sessions = reader.list_sessions(vehicle=VEHICLE_ID, limit=500).items
        trips = reader.list_trips(vehicle=VEHICLE_ID, limit=500).items
        return {
            "sessions": [
                {k: v for k, v in s.items() if k not in VOLATILE} for s in sessions
            ],
            "trips": [{k: v for k, v in t.items() if k not in VOLATILE} for t in trips],
            "sources": sorted({r["source"] for r in [*sessions, *trips]}),
        }

    try:
        return await hass.async_add_executor_job(read)
    finally:
        await hass.async_add_executor_job(reader.close)


async def test_backfill_equals_live(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Live, then a new ledger (on an empty database) backfilled from the recorder."""
    freezer.move_to(datetime.fromtimestamp(START, UTC))
    end = T + hours(5)
    live = Ledger(
        hass,
        freezer,
        entry(
            "01JENTRY0000000000000000A",
            {CONF_BACKEND: "embedded"},
        ),
    )
    await live.setup()
    await drive(live, end)
    expected = await records(hass, live)
    assert len(expected["sessions"]) == 1
    assert len(expected["trips"]) == 1
    assert expected["sources"] == ["live"]
    await live.unload()
    await async_wait_recording_done(hass)
    # The second ledger starts from an empty database of its own.
    await hass.async_add_executor_job(Path(hass.config.path(EMBEDDED_FILENAME)).unlink)

    filled = Ledger(
        hass,
        freezer,
        entry(
            "01JENTRY0000000000000000B",
            {CONF_BACKEND: "embedded"},
        ),
    )
    await filled.setup()
    await hass.async_block_till_done(wait_background_tasks=True)
    result = filled.runtime.backfill
    assert result is not None
    assert not result.running
    assert result.sessions_added == 1, result.as_dict()
    assert result.trips_added == 1
    got = await records(hass, filled)
    assert got["sources"] == ["backfill"]
    assert got["sessions"] == expected["sessions"]
    assert got["trips"] == expected["trips"]
    # The same session, published live and again by the backfill, counts once.
    await async_wait_recording_done(hass)
    stats = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        datetime.fromtimestamp(START, UTC),
        None,
        {ENERGY, COST},
        "hour",
        None,
        {"sum"},
    )
    assert stats[ENERGY][-1]["sum"] == pytest.approx(float(scenario.SESSION_KWH))
    assert stats[COST][-1]["sum"] == pytest.approx(float(scenario.SESSION_COST))
    await filled.unload()
    assert filled.entry.state is ConfigEntryState.NOT_LOADED
    assert get_instance(hass).backlog < 1000


async def test_backfill_action_twice_and_over_live(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The action over a range already backfilled, and over live data, adds nothing."""
    freezer.move_to(datetime.fromtimestamp(START, UTC))
    ledger = Ledger(hass, freezer, entry("01JENTRY0000000000000000C", EMBEDDED))
    # Recorded before the ledger exists: the trip to work only.
    await drive_readings(ledger, scenario.before(), T)
    await async_wait_recording_done(hass)
    await ledger.setup()
    first = ledger.runtime.backfill
    assert first is not None
    assert first.sessions_added == 0
    # Then recorded live: the charge and the trip.
    await drive_readings(ledger, [*scenario.charge(), *scenario.trip()], T + hours(5))
    before = await records(hass, ledger)
    assert before["sources"] == ["live"]
    assert len(before["sessions"]) == 1
    assert len(before["trips"]) == 1
    await async_wait_recording_done(hass)

    for _ in range(2):
        response = await hass.services.async_call(
            DOMAIN,
            "backfill",
            {
                "config_entry_id": ledger.entry.entry_id,
                "start": datetime.fromtimestamp(START, UTC),
            },
            blocking=True,
            return_response=True,
        )
        assert response is not None
        assert response["sessions_added"] == 0
        assert response["trips_added"] == 0
        assert response["sessions_skipped"] == 1
        assert response["trips_skipped"] == 1
        assert isinstance(response["states"], int)
        assert response["states"] > 0
        assert response["running"] is False
        assert await records(hass, ledger) == before
    assert hass.states.async_entity_ids("persistent_notification") == []
    await ledger.unload()


async def test_backfill_action_without_recorder_is_refused(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """No recorder, no history: a translated error."""
    freezer.move_to(datetime.fromtimestamp(START, UTC))
    ledger = Ledger(hass, freezer, entry("01JENTRY0000000000000000D", EMBEDDED))
    await ledger.setup()
    hass.config.components.remove("recorder")
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "backfill",
            {"config_entry_id": ledger.entry.entry_id},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "recorder_not_loaded"
    hass.config.components.add("recorder")
    await ledger.unload()


def _later_odometer(value: object) -> float:
    """The next day's odometer: 30 km on (the first day's trip)."""
    assert isinstance(value, float)
    return value + 30.0


async def test_unusable_snapshot_is_rebuilt_from_history(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A snapshot lost mid-charge: the recorder's history gives the whole session."""
    freezer.move_to(datetime.fromtimestamp(START, UTC))
    end = T + hours(5)
    reference = Ledger(hass, freezer, entry("01JENTRY0000000000000000E", EMBEDDED))
    await reference.setup()
    await drive(reference, end)
    expected = await records(hass, reference)
    await reference.unload()
    await hass.config_entries.async_remove(reference.entry.entry_id)
    await async_wait_recording_done(hass)
    await hass.async_add_executor_job(Path(hass.config.path(EMBEDDED_FILENAME)).unlink)

    # The same scenario again, a day later, on a new ledger: Home Assistant stops in
    # the middle of the charge and the vehicle's snapshot cannot be read back.
    day = 86400.0
    again = [
        r._replace(ts=r.ts + day, value=_later_odometer(r.value))
        if r.role is Role.ODOMETER
        else r._replace(ts=r.ts + day)
        for r in readings()
    ]
    freezer.move_to(datetime.fromtimestamp(START + day, UTC))
    ledger = Ledger(hass, freezer, entry("01JENTRY0000000000000000F", EMBEDDED))
    await ledger.setup()
    middle = T + day + hours(1.5)
    await drive_readings(ledger, [r for r in again if r.ts < middle], middle)
    await ledger.unload()
    snapshot = hass_storage[f"{DOMAIN}.{ledger.entry.entry_id}"]["data"]
    assert snapshot["vehicles"][VEHICLE_ID]["ledger"]["session"] is not None
    snapshot["vehicles"][VEHICLE_ID]["ledger"] = {"not": "a ledger"}
    await async_wait_recording_done(hass)

    await ledger.setup()
    assert "Starting Model Y afresh, its snapshot is unusable" in caplog.text
    result = ledger.runtime.backfill
    assert result is not None
    assert not result.running
    await drive_readings(ledger, [r for r in again if r.ts >= middle], end + day)
    got = await records(hass, ledger)
    # Both days are in the recorder's history: the first day's charge and trip are
    # backfilled too. Each day's records equal the uninterrupted run's.
    (want,) = expected["sessions"]
    (want_trip,) = expected["trips"]
    assert len(got["sessions"]) == 2, got["sessions"]
    assert len(got["trips"]) == 2, got["trips"]
    for session in got["sessions"]:
        assert session["status"] == "completed"
        assert session["energy_kwh"] == want["energy_kwh"] == scenario.SESSION_KWH
        assert session["cost"] == want["cost"]
        assert session["charging_seconds"] == want["charging_seconds"]
    for trip in got["trips"]:
        assert trip["distance_km"] == want_trip["distance_km"]
    starts = sorted(s["started_at"] for s in got["sessions"])
    assert starts[1] - starts[0] == timedelta(days=1)
    await ledger.unload()


async def test_failed_initial_backfill_records_live(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The recorder cannot be read: logged, and the charge is recorded live whole."""
    freezer.move_to(datetime.fromtimestamp(START, UTC))
    ledger = Ledger(hass, freezer, entry("01JENTRY0000000000000000G", EMBEDDED))
    await drive_readings(ledger, scenario.before(), T)
    await async_wait_recording_done(hass)

    def locked(*_: Any, **__: Any) -> list[Any]:
        raise OperationalError("SELECT", {}, Exception("database is locked"))

    with patch("custom_components.ev_ledger.backfill.read_chunk", side_effect=locked):
        await ledger.setup()
    assert "could not be backfilled; recording live only" in caplog.text
    result = ledger.runtime.backfill
    assert result is not None
    assert not result.running
    assert result.chunks_done == 0
    assert hass.states.async_entity_ids("persistent_notification") == []
    await drive_readings(ledger, [*scenario.charge(), *scenario.trip()], T + hours(5))
    got = await records(hass, ledger)
    assert got["sources"] == ["live"]
    (session,) = got["sessions"]
    assert session["energy_kwh"] == scenario.SESSION_KWH
    assert session["cost"] == scenario.SESSION_COST
    assert len(got["trips"]) == 1
    await ledger.unload()


@pytest.mark.parametrize(
    "data",
    [
        {"start": "2030-01-01T00:00:00+00:00"},  # after now: nothing to read
        {"start": "2026-03-02T12:00:00+00:00", "end": "2026-03-02T11:00:00+00:00"},
    ],
)
async def test_backfill_action_refuses_an_empty_range(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, data: dict[str, str]
) -> None:
    """A range that ends before it starts: a translated error, nothing read."""
    freezer.move_to(datetime.fromtimestamp(START, UTC))
    ledger = Ledger(hass, freezer, entry("01JENTRY0000000000000000H", EMBEDDED))
    await ledger.setup()
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "backfill",
            {"config_entry_id": ledger.entry.entry_id, **data},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "invalid_time_range"
    await ledger.unload()


async def test_states_of_one_instant_come_back_in_the_order_they_were_fired(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The history API sorts by entity; the recorder's state ids keep the order."""
    moment = datetime.fromtimestamp(START, UTC)
    freezer.move_to(moment)
    fired: list[tuple[str, str, dict[str, Any]]] = [
        (ENTITIES[Role.SHIFT_STATE], "D", {}),
        (ENTITIES[Role.ODOMETER], "1000.7", {"unit_of_measurement": "km"}),
        (ENTITIES[Role.LOCATION], "not_home", {"latitude": 52.5, "longitude": 13.4}),
        (ENTITIES[Role.BATTERY_LEVEL], "80", {"unit_of_measurement": "%"}),
    ]
    for entity_id, state, attributes in fired:
        hass.states.async_set(entity_id, state, attributes)
    freezer.move_to(moment + timedelta(seconds=1))
    hass.states.async_set(
        ENTITIES[Role.ODOMETER], "1000.8", {"unit_of_measurement": "km"}
    )
    await async_wait_recording_done(hass)
    entity_ids = sorted(ENTITIES.values())
    chunk = await get_instance(hass).async_add_executor_job(
        lambda: backfill.read_chunk(
            hass,
            entity_ids,
            moment - timedelta(minutes=1),
            moment + timedelta(minutes=1),
            first=True,
        )
    )
    assert [(ts, entity_id) for ts, entity_id, _ in chunk] == [
        *((START, entity_id) for entity_id, _, _ in fired),
        (START + 1, ENTITIES[Role.ODOMETER]),
    ]
    # In entity-id order the tracker and the odometer would come first.
    assert sorted(e for e, _, _ in fired) != [e for e, _, _ in fired]
