"""Long-term statistics through a real recorder: hourly values, sums, re-publishing."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
import logging
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast
from unittest.mock import patch

from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_metadata,
    statistics_during_period,
)
from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.ev_ledger import statistics
from custom_components.ev_ledger.const import (
    CONF_GRID_SIGN,
    CONF_POLICY,
    CONF_ROLES,
    CONF_ZONE,
    GRID_EXPORT_POSITIVE,
    SUBENTRY_ENERGY_SITE,
)
from custom_components.ev_ledger.logic.hourly import hour_start
from custom_components.ev_ledger.logic.model import (
    ChargingSession,
    Cost,
    CostSource,
    EnergyMethod,
    Role,
    SessionStatus,
)
from tests.logic.test_scenarios import T
from tests.logic.trace import hours, minutes

from . import scenario
from .conftest import (
    VEHICLE_ID,
    Ledger,
    default_subentries,
    make_entry,
    vehicle_subentry,
)

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from custom_components.ev_ledger.vehicle_runtime import VehicleRuntime

SITE_ID = "01JSITE0000000000000000001"
ZOE_ID = "01JZOE0000000000000000001"
ENERGY = "ev_ledger:model_y_energy_charged"
COST = "ev_ledger:model_y_charging_cost"
SOLAR = "ev_ledger:model_y_solar_energy"
H0 = int(T)  # 2026-03-02 17:00 UTC: the first charging hour
H1 = H0 + 3600


@pytest.fixture
def mock_recorder_before_hass(async_test_recorder: Any) -> None:
    """Set the recorder up before Home Assistant (the fixtures here ask for hass)."""


def _site() -> dict[str, Any]:
    """A home site: 4 kW of solar, all of it for the car (EV first)."""
    return {
        "data": {
            CONF_ROLES: {
                Role.SOLAR_POWER.value: "sensor.solar_power",
                Role.GRID_POWER.value: "sensor.grid_power",
            },
            CONF_ZONE: "zone.home",
            CONF_GRID_SIGN: GRID_EXPORT_POSITIVE,
            CONF_POLICY: "ev_first",
        },
        "subentry_id": SITE_ID,
        "subentry_type": SUBENTRY_ENERGY_SITE,
        "title": "Home",
        "unique_id": SITE_ID,
    }


async def _rows(hass: HomeAssistant) -> dict[str, list[tuple[int, float, float]]]:
    """(hour, state, sum) of every statistic, through the recorder's API."""
    await async_wait_recording_done(hass)
    found = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        datetime.fromtimestamp(H0 - 86400, UTC),
        None,
        None,
        "hour",
        None,
        {"state", "sum"},
    )
    return {
        statistic_id: [
            (int(row["start"]), row["state"] or 0.0, row["sum"] or 0.0) for row in rows
        ]
        for statistic_id, rows in found.items()
    }


async def _charge(ledger: Ledger, hass: HomeAssistant) -> None:
    """The scenario's charge at home with 4 kW of solar held throughout."""
    await ledger.at(T - hours(1))
    for reading in scenario.before():
        await ledger.reading(reading)
    hass.states.async_set("sensor.solar_power", "4000", {"unit_of_measurement": "W"})
    hass.states.async_set("sensor.grid_power", "0", {"unit_of_measurement": "kW"})
    await ledger.setup()
    now = T - hours(1)
    for reading in scenario.charge():
        # Step every 5 minutes so the site's held states are re-reported in time.
        while now + minutes(5) < reading.ts:
            now += minutes(5)
            await ledger.at(now)
        await ledger.reading(reading)
        now = reading.ts
    await ledger.at(T + hours(4))
    await hass.async_block_till_done(wait_background_tasks=True)


def _vehicle(ledger: Ledger) -> VehicleRuntime:
    return ledger.runtime.vehicles[VEHICLE_ID]


async def test_session_published_per_hour(
    recorder_mock: Any, hass: HomeAssistant, embedded_ledger: Ledger
) -> None:
    """A two-hour charge: energy, cost and solar per hour; re-publishing is a no-op."""
    embedded_ledger.entry = make_entry(
        embedded_ledger.entry.data, [*default_subentries(), _site()]
    )
    await _charge(embedded_ledger, hass)
    vehicle = _vehicle(embedded_ledger)
    assert vehicle.last_session is not None
    assert Decimal(vehicle.last_session["energy_kwh"]) == scenario.SESSION_KWH
    solar_kwh = Decimal(vehicle.last_session["solar"]["solar_kwh"])
    assert solar_kwh == Decimal(8)  # 4 kW for two hours, all to the car

    rows = await _rows(hass)
    # By hand: 11 kW for the first hour; 11, 10, 9, 8, 7, 6 kW for 10 minutes each.
    assert rows[ENERGY] == [(H0, 11.0, 11.0), (H1, 8.5, 19.5)]
    # Solar is free: the grid part at 0.30 EUR/kWh, (11 - 4) and (8.5 - 4) kWh.
    assert rows[COST] == [(H0, 2.1, 2.1), (H1, 1.35, 3.45)]
    assert rows[SOLAR] == [(H0, 4.0, 4.0), (H1, 4.0, 8.0)]
    meta = await get_instance(hass).async_add_executor_job(
        lambda: get_metadata(hass, statistic_ids={ENERGY, COST, SOLAR})
    )
    assert meta[ENERGY][1]["unit_of_measurement"] == "kWh"
    assert meta[ENERGY][1]["source"] == "ev_ledger"
    assert meta[ENERGY][1]["name"] == "Model Y energy charged"
    assert meta[ENERGY][1]["has_sum"] is True
    assert meta[COST][1]["unit_of_measurement"] == "EUR"
    assert meta[SOLAR][1]["name"] == "Model Y solar energy"

    # The same session again (as a backfill would): nothing changes.
    completed = _captured[VEHICLE_ID]
    assert int(completed.started_at) == H0
    await statistics.async_publish_sessions(hass, vehicle, [completed, completed])
    assert await _rows(hass) == rows


_captured: dict[str, ChargingSession] = {}


@pytest.fixture(autouse=True)
def capture_sessions() -> Any:
    """Keep each completed session (with its per-minute maps) for re-publishing."""
    original = statistics.async_publish_sessions

    async def _spy(hass: HomeAssistant, vehicle: VehicleRuntime, sessions: Any) -> None:
        sessions = list(sessions)
        for session in sessions:
            _captured[vehicle.subentry_id] = session
        await original(hass, vehicle, sessions)

    with patch.object(statistics, "async_publish_sessions", _spy):
        yield
    _captured.clear()


def _manual(session_id: str, start: float, kwh: str, cost: str) -> ChargingSession:
    """A session of `kwh` at an even rate over an hour from `start`, at `cost`."""
    by_minute = {int(start // 60) + i: float(Decimal(kwh) / 60) for i in range(60)}
    return ChargingSession(
        id=session_id,
        vehicle_id=VEHICLE_ID,
        status=SessionStatus.COMPLETED,
        plugged_at=start,
        started_at=start,
        ended_at=start + 3600,
        unplugged_at=start + 3600,
        charging_seconds=3600,
        plugged_seconds=3600,
        energy_kwh=Decimal(kwh),
        energy_method=EnergyMethod.MANUAL,
        energy_by_minute=by_minute,
        cost=Cost(total=Decimal(cost), currency="EUR", source=CostSource.MANUAL),
    )


async def test_sums_continue_and_hours_are_rewritten(
    recorder_mock: Any, hass: HomeAssistant, embedded_ledger: Ledger
) -> None:
    """Later sessions continue the sum; a corrected or sharing session rewrites."""
    await embedded_ledger.at(T - hours(1))
    await embedded_ledger.setup()
    vehicle = _vehicle(embedded_ledger)
    publish = statistics.async_publish_sessions
    first = _manual("s1", H0, "6.000", "1.80")
    await publish(hass, vehicle, [first])
    assert (await _rows(hass))[ENERGY] == [(H0, 6.0, 6.0)]

    # A later session (two hours on): the sum goes on.
    later = _manual("s2", H0 + 7200 + 1800, "4.000", "1.20")
    await publish(hass, vehicle, [later])
    rows = await _rows(hass)
    assert rows[ENERGY] == [
        (H0, 6.0, 6.0),
        (H0 + 7200, 2.0, 8.0),
        (H0 + 10800, 2.0, 10.0),
    ]
    assert rows[COST] == [
        (H0, 1.8, 1.8),
        (H0 + 7200, 0.6, 2.4),
        (H0 + 10800, 0.6, 3.0),
    ]
    assert SOLAR not in rows  # no solar split, no solar statistic

    # Both again, in any order: unchanged.
    await publish(hass, vehicle, [later, first])
    assert await _rows(hass) == rows

    # The first session corrected (a recompute): its hour and every later sum move.
    corrected = replace(first, energy_kwh=Decimal("7.000"))
    await publish(hass, vehicle, [corrected])
    rows = await _rows(hass)
    assert rows[ENERGY] == [
        (H0, 7.0, 7.0),
        (H0 + 7200, 2.0, 9.0),
        (H0 + 10800, 2.0, 11.0),
    ]

    # A session sharing the last hour: the hour holds both.
    shared = _manual("s3", H0 + 10800 + 1800, "1.000", "0.30")
    await publish(hass, vehicle, [shared])
    rows = await _rows(hass)
    assert rows[ENERGY][-2:] == [(H0 + 10800, 2.5, 11.5), (H0 + 14400, 0.5, 12.0)]
    assert rows[COST][-2:] == [(H0 + 10800, 0.75, 3.15), (H0 + 14400, 0.15, 3.3)]

    # Another currency goes to its own statistic; in-progress sessions are skipped.
    abroad = _manual("s4", H0 + 86400, "2.000", "1.00")
    assert abroad.cost is not None
    abroad.cost.currency = "CHF"
    running = replace(_manual("s5", H0 + 90000, "1.000", "1.00"))
    running.status = SessionStatus.IN_PROGRESS
    await publish(hass, vehicle, [abroad, running])
    await publish(hass, vehicle, [running])
    rows = await _rows(hass)
    assert rows["ev_ledger:model_y_charging_cost_chf"] == [(H0 + 86400, 1.0, 1.0)]
    assert rows[ENERGY][-1] == (H0 + 86400, 2.0, 14.0)

    # Three days on, a session without a cost: the sum goes on; the contributions of
    # more than two days before the newest hour are forgotten.
    free = replace(_manual("s6", H0 + 3 * 86400, "1.000", "0"), cost=None)
    await publish(hass, vehicle, [free])
    rows = await _rows(hass)
    assert rows[ENERGY][-1] == (H0 + 3 * 86400, 1.0, 15.0)
    assert rows[COST][-1] == (H0 + 14400, 0.15, 3.3)
    kept = hass.data[statistics._DATA].vehicles[VEHICLE_ID].ledger
    assert set(kept.sessions) == {"s4", "s6"}
    # An old session again, far from the newest: kept as the batch's own.
    await publish(hass, vehicle, [corrected])
    assert set(kept.sessions) == {"s1", "s4", "s6"}
    assert await _rows(hass) == rows


async def _saved(hass: HomeAssistant) -> None:
    """Let the delayed save of the contributions be written."""
    async_fire_time_changed(
        hass, dt_util.utcnow() + timedelta(seconds=statistics.SAVE_DELAY + 1)
    )
    await hass.async_block_till_done()


async def _restart(hass: HomeAssistant, ledger: Ledger) -> None:
    """What a restart does: the ledger stops, the store is written, memory goes."""
    await ledger.unload()
    await _saved(hass)
    del hass.data[statistics._DATA]
    await ledger.setup()


async def test_contributions_survive_a_restart(
    recorder_mock: Any,
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    embedded_ledger: Ledger,
) -> None:
    """A session after a restart sharing an hour with one before it: both count."""
    # A second vehicle, Zoe, in the same entry (it never reports: published by hand).
    embedded_ledger.entry = make_entry(
        embedded_ledger.entry.data,
        [*default_subentries(), vehicle_subentry(subentry_id=ZOE_ID, title="Zoe")],
    )
    await embedded_ledger.at(T - hours(1))
    await embedded_ledger.setup()
    publish = statistics.async_publish_sessions
    await publish(
        hass,
        _vehicle(embedded_ledger),
        [_manual("s1", H0, "6.000", "1.80"), _manual("s2", H0 + 9000, "4.000", "1.20")],
    )
    # Another vehicle in the same store.
    other = cast(
        "VehicleRuntime",
        SimpleNamespace(name="Zoe", subentry_id=ZOE_ID, currency="EUR"),
    )
    await publish(hass, other, [_manual("z1", H0, "3.000", "0.90")])
    await _restart(hass, embedded_ledger)
    # The store: per vehicle, each statistic's name and unit, each session's hours,
    # amounts as exact text.
    stored = hass_storage[statistics.STORAGE_KEY]
    assert stored["version"] == 1
    assert stored["data"][VEHICLE_ID]["statistics"][COST] == {
        "name": "Model Y charging cost",
        "unit": "EUR",
    }
    assert stored["data"][VEHICLE_ID]["sessions"]["s1"] == {
        "last_hour": H0,
        "hours": {COST: {str(H0): "1.80"}, ENERGY: {str(H0): "6.000"}},
    }
    assert set(stored["data"][ZOE_ID]["sessions"]) == {"z1"}

    await publish(
        hass, _vehicle(embedded_ledger), [_manual("s3", H0 + 12600, "1.000", "0.30")]
    )
    await publish(hass, other, [_manual("z2", H0 + 1800, "1.000", "0.30")])
    rows = await _rows(hass)
    assert rows[ENERGY] == [
        (H0, 6.0, 6.0),
        (H0 + 7200, 2.0, 8.0),
        (H0 + 10800, 2.5, 10.5),  # s2's 2 kWh before the restart, s3's 0.5 after
        (H0 + 14400, 0.5, 11.0),
    ]
    assert rows[COST][-2:] == [(H0 + 10800, 0.75, 3.15), (H0 + 14400, 0.15, 3.3)]
    assert rows["ev_ledger:zoe_energy_charged"] == [(H0, 3.5, 3.5), (H1, 0.5, 4.0)]


async def test_forget_sessions(
    recorder_mock: Any,
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    embedded_ledger: Ledger,
) -> None:
    """A forgotten session leaves its hours; unknown ones are reported back."""
    await embedded_ledger.at(T - hours(1))
    await embedded_ledger.setup()
    vehicle = _vehicle(embedded_ledger)
    await statistics.async_publish_sessions(
        hass,
        vehicle,
        [
            _manual("s1", H0, "6.000", "1.80"),
            _manual("s2", H0 + 1800, "4.000", "1.20"),
            _manual("s3", H0 + 7200, "1.000", "0.30"),
        ],
    )
    assert (await _rows(hass))[ENERGY] == [
        (H0, 8.0, 8.0),
        (H1, 2.0, 10.0),
        (H0 + 7200, 1.0, 11.0),
    ]
    # The delayed save is written after a while, then Home Assistant restarts.
    await _saved(hass)
    assert set(
        hass_storage[statistics.STORAGE_KEY]["data"][VEHICLE_ID]["sessions"]
    ) == {
        "s1",
        "s2",
        "s3",
    }
    del hass.data[statistics._DATA]

    forget = statistics.async_forget_sessions
    assert await forget(hass, vehicle, ["s2", "never", "s2"]) == {"never"}
    rows = await _rows(hass)
    # H1 held only s2: it reads 0 (the recorder cannot delete a row).
    assert rows[ENERGY] == [(H0, 6.0, 6.0), (H1, 0.0, 6.0), (H0 + 7200, 1.0, 7.0)]
    assert rows[COST] == [(H0, 1.8, 1.8), (H1, 0.0, 1.8), (H0 + 7200, 0.3, 2.1)]
    # Forgotten already, or nothing to forget: nothing is written.
    assert await forget(hass, vehicle, ["s2"]) == {"s2"}
    assert await forget(hass, vehicle, []) == set()
    assert await _rows(hass) == rows
    # Home Assistant stops before the delayed save: it is written all the same.
    # (The recorder stops too: nothing is read after this.)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()
    assert set(
        hass_storage[statistics.STORAGE_KEY]["data"][VEHICLE_ID]["sessions"]
    ) == {
        "s1",
        "s3",
    }


async def test_large_batch(
    recorder_mock: Any, hass: HomeAssistant, embedded_ledger: Ledger
) -> None:
    """500 sessions over 30 days (a backfill): one write per statistic, exact sums."""
    await embedded_ledger.at(T - hours(1))
    await embedded_ledger.setup()
    vehicle = _vehicle(embedded_ledger)
    step = 30 * 86400 // 500  # 1.44 h: many hours hold two sessions
    batch = [
        _manual(f"b{i:03}", H0 + i * step, f"{i % 13 + 1}.500", f"{i % 5}.25")
        for i in range(500)
    ]
    writes: list[tuple[str, int]] = []

    def _spy(hass: HomeAssistant, meta: Any, rows: list[Any]) -> None:
        writes.append((meta["statistic_id"], len(rows)))
        async_add_external_statistics(hass, meta, rows)

    with patch.object(statistics, "async_add_external_statistics", _spy):
        await statistics.async_publish_sessions(hass, vehicle, reversed(batch))
    rows = await _rows(hass)
    starts = {
        h for s in batch for h in (hour_start(s.started_at), hour_start(s.ended_at - 1))
    }
    assert writes == [(COST, len(starts)), (ENERGY, len(starts))]
    total = sum(s.energy_kwh for s in batch)
    assert [r[0] for r in rows[ENERGY]] == sorted(starts)
    assert rows[ENERGY][-1][2] == pytest.approx(float(total))
    assert sum(Decimal(repr(r[1])) for r in rows[ENERGY]) == total
    cost = sum(s.cost.total for s in batch if s.cost is not None)
    assert rows[COST][-1][2] == pytest.approx(float(cost))
    # Only the last two days' contributions are kept.
    kept = hass.data[statistics._DATA].vehicles[VEHICLE_ID].ledger
    newest = max(kept.last_hour.values())
    assert "b499" in kept.sessions
    assert min(kept.last_hour.values()) >= newest - statistics.RETAIN_S
    assert len(kept.sessions) < 40

    # A recompute: the same sessions re-derived (0.5 kWh less each), one batch again.
    rederived = [replace(s, energy_kwh=s.energy_kwh - Decimal("0.5")) for s in batch]
    await statistics.async_publish_sessions(hass, vehicle, rederived)
    rows = await _rows(hass)
    assert sum(Decimal(repr(r[1])) for r in rows[ENERGY]) == total - 250
    assert rows[ENERGY][-1][2] == pytest.approx(float(total - 250))


_OTHER = "01JOTHERVEHICLE00000000001"
_SESSION = {"last_hour": H0, "hours": {ENERGY: {str(H0): "1.000"}}}


@pytest.mark.parametrize(
    ("stored", "message", "kept_others"),
    [
        ({"version": 2, "data": {}}, "ev_ledger.statistics is unreadable", False),
        ({"version": 1, "data": ["x"]}, "ev_ledger.statistics is not a mapping", False),
        ({"version": 1, "data": {VEHICLE_ID: "x"}}, "not a mapping", True),
        (
            {"version": 1, "data": {VEHICLE_ID: {"sessions": {"s0": _SESSION}}}},
            "statistics: not a mapping",
            True,
        ),
        (
            {
                "version": 1,
                "data": {
                    VEHICLE_ID: {
                        "statistics": {ENERGY: {"name": "x"}},
                        "sessions": {"s0": _SESSION},
                    }
                },
            },
            "no name and unit",
            True,
        ),
        (
            {
                "version": 1,
                "data": {VEHICLE_ID: {"statistics": {}, "sessions": {"s0": _SESSION}}},
            },
            "no metadata for",
            True,
        ),
        (
            {
                "version": 1,
                "data": {
                    VEHICLE_ID: {
                        "statistics": {},
                        "sessions": {"s0": {"last_hour": H0, "hours": {ENERGY: []}}},
                    }
                },
            },
            "not a mapping of strings",
            True,
        ),
    ],
)
async def test_unreadable_store(
    recorder_mock: Any,
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    embedded_ledger: Ledger,
    caplog: pytest.LogCaptureFixture,
    stored: dict[str, Any],
    message: str,
    kept_others: bool,
) -> None:
    """A stored document that cannot be read: a warning, and a fresh start."""
    stored["data"] = deepcopy(stored["data"])
    if kept_others:
        stored["data"][_OTHER] = {"as": "stored"}
    hass_storage[statistics.STORAGE_KEY] = stored
    # The other vehicle is in the entry: its part is kept (not read) as it was.
    embedded_ledger.entry = make_entry(
        embedded_ledger.entry.data,
        [*default_subentries(), vehicle_subentry(subentry_id=_OTHER, title="Other")],
    )
    await embedded_ledger.at(T - hours(1))
    await embedded_ledger.setup()
    caplog.set_level(logging.WARNING)
    vehicle = _vehicle(embedded_ledger)
    await statistics.async_publish_sessions(
        hass, vehicle, [_manual("s1", H0, "6.000", "1.80")]
    )
    assert message in caplog.text
    assert (await _rows(hass))[ENERGY] == [(H0, 6.0, 6.0)]
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()
    saved = hass_storage[statistics.STORAGE_KEY]
    assert saved["version"] == 1
    assert set(saved["data"][VEHICLE_ID]["sessions"]) == {"s1"}
    assert (_OTHER in saved["data"]) is kept_others
    if kept_others:
        assert saved["data"][_OTHER] == {"as": "stored"}


def test_vehicle_slug() -> None:
    """The vehicle's name, or its subentry id when the name gives no slug."""
    named = SimpleNamespace(name="Zoë's Car", subentry_id="01JX")
    assert statistics.vehicle_slug(cast("VehicleRuntime", named)) == "zoe_s_car"
    unnamed = SimpleNamespace(name="", subentry_id="01JVEHICLE0000000000000001")
    assert (
        statistics.vehicle_slug(cast("VehicleRuntime", unnamed))
        == "01jvehicle0000000000000001"
    )


async def test_nothing_without_recorder(
    hass: HomeAssistant, embedded_ledger: Ledger
) -> None:
    """Without the recorder, completing a session publishes nothing (and works)."""
    await _charge(embedded_ledger, hass)
    assert _vehicle(embedded_ledger).last_session is not None
    assert "recorder" not in hass.config.components
    assert not _captured
    # A direct call (a backfill) does nothing either.
    await statistics.async_publish_sessions(
        hass, _vehicle(embedded_ledger), [_manual("s1", H0, "1.000", "0.30")]
    )
    assert (
        await statistics.async_forget_sessions(hass, _vehicle(embedded_ledger), ["s1"])
        == set()
    )


async def test_publish_failure_is_logged(
    recorder_mock: Any,
    hass: HomeAssistant,
    embedded_ledger: Ledger,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A statistic the recorder refuses is logged, the ledger goes on."""
    caplog.set_level(logging.WARNING)
    with patch.object(statistics, "vehicle_slug", return_value="Not Valid"):
        await _charge(embedded_ledger, hass)
    assert "Statistics of Model Y not published" in caplog.text
    assert _vehicle(embedded_ledger).last_session is not None


async def test_removed_vehicles_are_forgotten(
    recorder_mock: Any,
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    embedded_ledger: Ledger,
) -> None:
    """A deleted vehicle's bookkeeping goes, then the entry's; the statistics stay."""
    ledger = embedded_ledger
    ledger.entry = make_entry(
        ledger.entry.data,
        [*default_subentries(), vehicle_subentry(subentry_id=ZOE_ID, title="Zoe")],
    )
    await ledger.at(T - hours(1))
    await ledger.setup()
    publish = statistics.async_publish_sessions
    await publish(hass, _vehicle(ledger), [_manual("s1", H0, "6.000", "1.80")])
    await publish(
        hass, ledger.runtime.vehicles[ZOE_ID], [_manual("z1", H0, "3.000", "0.90")]
    )
    await _saved(hass)
    assert set(hass_storage[statistics.STORAGE_KEY]["data"]) == {VEHICLE_ID, ZOE_ID}
    rows = await _rows(hass)
    assert rows["ev_ledger:zoe_energy_charged"] == [(H0, 3.0, 3.0)]

    # Zoe is deleted: the entry reloads without her and her part is dropped.
    assert hass.config_entries.async_remove_subentry(ledger.entry, ZOE_ID)
    await hass.async_block_till_done()
    assert ZOE_ID not in ledger.runtime.vehicles
    await _saved(hass)
    assert set(hass_storage[statistics.STORAGE_KEY]["data"]) == {VEHICLE_ID}
    # The Model Y's contributions are still known: a new session adds to its hour.
    await publish(hass, _vehicle(ledger), [_manual("s2", H0, "1.000", "0.30")])
    after = await _rows(hass)
    assert after[ENERGY] == [(H0, 7.0, 7.0)]
    assert after["ev_ledger:zoe_energy_charged"] == rows["ev_ledger:zoe_energy_charged"]

    # The entry is deleted: its snapshot and the statistics store go; the
    # statistics themselves stay in the recorder.
    await ledger.unload()
    snapshot_key = f"ev_ledger.{ledger.entry.entry_id}"
    assert snapshot_key in hass_storage
    await hass.config_entries.async_remove(ledger.entry.entry_id)
    await hass.async_block_till_done()
    assert snapshot_key not in hass_storage
    assert statistics.STORAGE_KEY not in hass_storage
    assert (await _rows(hass))[ENERGY] == [(H0, 7.0, 7.0)]


async def test_prune_without_any_store(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """No entry and no store: pruning reads nothing, writes nothing."""
    await statistics.async_prune(hass)
    assert statistics.STORAGE_KEY not in hass_storage
