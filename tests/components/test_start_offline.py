"""Issue 15, B2: a restart or reload while PostgreSQL is down loses nothing.

The ledger whose database already has this code's schema starts at once: the writer
journals what happens until the server is back, then replays it. Before, the entry
waited in setup_retry and a charge during that time was not recorded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntryState

from custom_components.ev_ledger import runtime as runtime_module
from custom_components.ev_ledger.const import BACKEND_POSTGRESQL, CONF_BACKEND, CONF_URL
from custom_components.ev_ledger.db import Backoff, WriterState
from custom_components.ev_ledger.runtime import Tuning
from tests.db.conftest import create_database
from tests.logic.test_scenarios import T
from tests.logic.trace import hours, minutes

from . import scenario
from .conftest import START, Ledger, make_entry
from .test_repairs import (  # noqa: F401
    assert_charge_stored,
    cluster,
    scenario_datetime,
    wait_synced,
)

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    import pytest

    from tests.pgcluster import PgCluster


async def test_a_restart_while_the_database_is_down_records_everything(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    cluster: PgCluster,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        runtime_module, "TUNING", Tuning(backoff=Backoff(initial=0.05, maximum=0.2))
    )
    freezer.move_to(scenario_datetime(START))
    url = await hass.async_add_executor_job(create_database, cluster.url)
    ledger = Ledger(
        hass, freezer, make_entry({CONF_BACKEND: BACKEND_POSTGRESQL, CONF_URL: url})
    )
    await ledger.at(T - hours(1))
    for reading in scenario.before():
        await ledger.reading(reading)
    await ledger.setup()  # migrates: the schema is known from now on
    await ledger.unload()

    await hass.async_add_executor_job(cluster.stop, "immediate")
    assert await hass.config_entries.async_setup(ledger.entry.entry_id)
    await hass.async_block_till_done()
    assert ledger.entry.state is ConfigEntryState.LOADED
    try:
        writer = ledger.runtime.writer
        charge = scenario.charge()
        await ledger.replay(charge)
        await ledger.at(T + hours(3) + minutes(10))
        await ledger.runtime.async_flush()
        assert writer.health().state is WriterState.DISCONNECTED
        assert writer.health().journaled > 0

        await hass.async_add_executor_job(cluster.start)
        await wait_synced(hass, freezer, ledger)
        await assert_charge_stored(ledger, charge, T)
    finally:
        await ledger.unload()


async def test_a_database_never_migrated_still_waits_for_the_server(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    cluster: PgCluster,  # noqa: F811
) -> None:
    """Without a known schema nothing may be written: the entry retries."""
    freezer.move_to(scenario_datetime(START))
    url = await hass.async_add_executor_job(create_database, cluster.url)
    await hass.async_add_executor_job(cluster.stop, "immediate")
    ledger = Ledger(
        hass, freezer, make_entry({CONF_BACKEND: BACKEND_POSTGRESQL, CONF_URL: url})
    )
    ledger.entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(ledger.entry.entry_id)
    assert ledger.entry.state is ConfigEntryState.SETUP_RETRY
    await hass.async_add_executor_job(cluster.start)
