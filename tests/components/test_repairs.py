"""Repair issues: database unreachable (a real outage), missing mapped entities."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
import time
from typing import TYPE_CHECKING

import pytest

from custom_components.ev_ledger import runtime as runtime_module
from custom_components.ev_ledger.const import (
    BACKEND_POSTGRESQL,
    CONF_BACKEND,
    CONF_URL,
    DOMAIN,
)
from custom_components.ev_ledger.db import Backoff, WriterState
from custom_components.ev_ledger.logic.model import Reading, Role
from custom_components.ev_ledger.runtime import Tuning
from tests.db.conftest import create_database
from tests.logic.test_scenarios import T
from tests.logic.trace import hours, minutes
from tests.pgcluster import PgCluster, start_cluster

from . import scenario
from .conftest import START, VEHICLE_ID, Ledger, get_state, make_entry

if TYPE_CHECKING:
    from collections.abc import Iterator

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import issue_registry as ir

ENTRY_ID = "01JENTRY00000000000000001"
UNREACHABLE = f"database_unreachable_{ENTRY_ID}"


@pytest.fixture
def cluster() -> Iterator[PgCluster]:
    """A private PostgreSQL cluster this test may stop and start.

    With the server's default durability: the suite's clusters run with
    `synchronous_commit = off`, and an immediate stop would lose the last commits
    (the schema itself, when the ledger was set up just before).
    """
    cluster = start_cluster("synchronous_commit = on\n")
    yield cluster
    cluster.destroy()


async def test_outage_loses_nothing_and_raises_then_clears_issue(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    cluster: PgCluster,
    issue_registry: ir.IssueRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL stops during a charge: journaled, issue raised, replayed, cleared."""
    monkeypatch.setattr(
        runtime_module,
        "TUNING",
        Tuning(
            db_unreachable_after=timedelta(minutes=5),
            backoff=Backoff(initial=0.05, maximum=0.2),
        ),
    )
    freezer.move_to(scenario_datetime(START))
    url = await hass.async_add_executor_job(create_database, cluster.url)
    ledger = Ledger(
        hass, freezer, make_entry({CONF_BACKEND: BACKEND_POSTGRESQL, CONF_URL: url})
    )
    await ledger.at(T - hours(1))
    for reading in scenario.before():
        await ledger.reading(reading)
    await ledger.setup()
    try:
        charge = scenario.charge()
        await ledger.replay([r for r in charge if r.ts < T + minutes(30)])
        await ledger.synced()

        await hass.async_add_executor_job(cluster.stop, "immediate")
        await ledger.replay(
            [r for r in charge if T + minutes(30) <= r.ts < T + minutes(34)]
        )
        writer = ledger.runtime.writer
        await ledger.runtime.async_flush()
        health = writer.health()
        assert health.state is WriterState.DISCONNECTED
        assert health.down_since is not None
        down = health.down_since.timestamp()
        assert T + minutes(30) <= down < T + minutes(34)
        # The repair comes when the documented five minutes are up, not a tick later.
        await ledger.at(down + minutes(5) - 5)
        assert issue_registry.async_get_issue(DOMAIN, UNREACHABLE) is None
        await ledger.at(down + minutes(5) + 1)
        assert issue_registry.async_get_issue(DOMAIN, UNREACHABLE) is not None
        await ledger.replay(
            [r for r in charge if down + minutes(5) + 1 <= r.ts < T + hours(1)]
        )
        # The rest of the session (and its completion) during the outage.
        await ledger.replay([r for r in charge if r.ts >= T + hours(1)])
        await ledger.at(T + hours(3) + minutes(10))
        await ledger.runtime.async_flush()
        issue = issue_registry.async_get_issue(DOMAIN, UNREACHABLE)
        assert issue is not None
        assert issue.translation_placeholders is not None
        assert int(issue.translation_placeholders["waiting"]) > 0
        assert writer.health().journaled > 0

        await hass.async_add_executor_job(cluster.start)
        await wait_synced(hass, freezer, ledger)
        await ledger.at(T + hours(3) + minutes(15))
        assert issue_registry.async_get_issue(DOMAIN, UNREACHABLE) is None

        page = await ledger.query("list_sessions", vehicle=VEHICLE_ID)
        (row,) = page.items
        assert row["status"] == "completed"
        assert row["energy_kwh"] == scenario.SESSION_KWH
        samples = await ledger.query(
            "samples",
            source=VEHICLE_ID,
            start=scenario_datetime(T + minutes(30)),
            end=scenario_datetime(T + hours(4)),
            roles=[Role.CHARGER_POWER.value],
        )
        # Every power reading sent during the outage arrived.
        assert {s.ts for s in samples} >= {
            r.ts
            for r in charge
            if r.role is Role.CHARGER_POWER
            and r.ts >= T + minutes(30)
            and r.value != 11.0
        }
        assert Decimal(get_state(hass, "sensor.model_y_energy_charged").state) == (
            scenario.SESSION_KWH
        )
    finally:
        await ledger.unload()


async def test_missing_entity_issue(
    hass: HomeAssistant, embedded_ledger: Ledger, issue_registry: ir.IssueRegistry
) -> None:
    """A mapped entity that does not exist raises an issue; it clears once back."""
    for role, entity_id in embedded_ledger.roles.items():
        if role is not Role.ODOMETER:
            hass.states.async_set(entity_id, "unknown")
    await embedded_ledger.setup()
    issue_id = f"missing_entity_{ENTRY_ID}_{VEHICLE_ID}_odometer"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {
        "name": "Model Y",
        "role": "odometer",
        "entity_id": embedded_ledger.roles[Role.ODOMETER],
    }
    hass.states.async_set(embedded_ledger.roles[Role.ODOMETER], "1000")
    await embedded_ledger.at(START + 120)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def assert_charge_stored(
    ledger: Ledger, charge: list[Reading], since: float
) -> None:
    """The scenario's session completed once, and every power reading from `since`."""
    page = await ledger.query("list_sessions", vehicle=VEHICLE_ID)
    (row,) = page.items
    assert row["status"] == "completed"
    assert row["energy_kwh"] == scenario.SESSION_KWH
    samples = await ledger.query(
        "samples",
        source=VEHICLE_ID,
        start=scenario_datetime(since),
        end=scenario_datetime(T + hours(4)),
        roles=[Role.CHARGER_POWER.value],
    )
    assert {s.ts for s in samples} >= {
        r.ts for r in charge if r.role is Role.CHARGER_POWER and r.ts >= since
    }


async def wait_synced(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, ledger: Ledger
) -> None:
    """Wait for the journal replay.

    The writer thread's reconnect backoff runs on time.monotonic, which the frozen
    clock also stops: let it move a little at a time.
    """
    synced = asyncio.wrap_future(ledger.runtime.writer.synced())
    for _ in range(600):
        if synced.done():
            break
        freezer.tick(0.2)
        await hass.async_add_executor_job(time.sleep, 0.02)
    await synced


def scenario_datetime(ts: float):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC)
