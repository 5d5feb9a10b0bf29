"""Long-term statistics through a real recorder: hourly values, sums, re-publishing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
import logging
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast
from unittest.mock import patch

from homeassistant.components.recorder.statistics import (
    get_metadata,
    statistics_during_period,
)
from homeassistant.helpers.recorder import get_instance
import pytest
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
from .conftest import VEHICLE_ID, Ledger, default_subentries, make_entry

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from custom_components.ev_ledger.vehicle_runtime import VehicleRuntime

SITE_ID = "01JSITE0000000000000000001"
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
    kept = hass.data[statistics._DATA][VEHICLE_ID]
    assert set(kept.sessions) == {"s4", "s6"}
    # An old session again, far from the newest: kept as the batch's own.
    await publish(hass, vehicle, [corrected])
    assert set(kept.sessions) == {"s1", "s4", "s6"}
    assert await _rows(hass) == rows


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
