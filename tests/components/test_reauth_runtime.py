"""Issue 15, B5: a password changed on the server while EV Ledger runs.

It is not an outage: the records are journaled as in one, but the user is asked for
the new password at once (the reauth flow, shown under Repairs), and once it is given
the ledger reloads and the journal arrives whole.
"""

from __future__ import annotations

from pathlib import Path
import tempfile
import time
from typing import TYPE_CHECKING

import pytest
import pytest_socket

from custom_components.ev_ledger import runtime as runtime_module
from custom_components.ev_ledger.const import (
    BACKEND_POSTGRESQL,
    CONF_BACKEND,
    CONF_URL,
    DOMAIN,
)
from custom_components.ev_ledger.db import Backoff, WriterState
from custom_components.ev_ledger.runtime import Tuning
from tests.logic.test_scenarios import T
from tests.logic.trace import hours, minutes
from tests.pgcluster import PgCluster

from . import scenario
from .conftest import START, Ledger, make_entry
from .test_repairs import (
    UNREACHABLE,
    assert_charge_stored,
    scenario_datetime,
    wait_synced,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import issue_registry as ir

OLD = "old-Pa55:@/#%"
NEW = "new-Pa55:@/#%"


@pytest.fixture
def cluster() -> Iterator[PgCluster]:
    """A private cluster where the role `evl_pw` logs in with a password."""
    # Under /tmp itself: the server runs as `postgres`, who cannot enter pytest's
    # (root-only) temporary folders.
    cluster = PgCluster(Path(tempfile.mkdtemp(prefix="evl-reauth-")))
    pytest_socket.enable_socket()  # for the free port
    try:
        cluster.init("password_encryption = 'scram-sha-256'\n")
    finally:
        pytest_socket.socket_allow_hosts(["127.0.0.1"])
        pytest_socket.disable_socket(allow_unix_socket=True)
    hba = cluster.datadir / "pg_hba.conf"
    cluster._run(
        "sh",
        "-c",
        f"printf 'host all evl_pw 127.0.0.1/32 scram-sha-256\\n' > {hba}.new"
        f" && cat {hba} >> {hba}.new && mv {hba}.new {hba}",
    )
    cluster.start()
    password = OLD.replace("'", "''")
    cluster.psql(f"CREATE ROLE evl_pw LOGIN PASSWORD '{password}'")
    cluster.psql("CREATE DATABASE evl_reauth OWNER evl_pw")
    yield cluster
    cluster.destroy()


def _url(cluster: PgCluster, password: str) -> str:
    from urllib.parse import quote

    return (
        f"postgresql+psycopg://evl_pw:{quote(password, safe='')}"
        f"@127.0.0.1:{cluster.port}/evl_reauth"
    )


async def test_a_password_changed_at_runtime_starts_reauth_and_loses_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    cluster: PgCluster,
    issue_registry: ir.IssueRegistry,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(
        runtime_module,
        "TUNING",
        Tuning(backoff=Backoff(initial=0.05, maximum=0.2)),
    )
    freezer.move_to(scenario_datetime(START))
    ledger = Ledger(
        hass,
        freezer,
        make_entry({CONF_BACKEND: BACKEND_POSTGRESQL, CONF_URL: _url(cluster, OLD)}),
    )
    await ledger.at(T - hours(1))
    for reading in scenario.before():
        await ledger.reading(reading)
    await ledger.setup()
    try:
        charge = scenario.charge()
        await ledger.replay([r for r in charge if r.ts < T + minutes(30)])
        await ledger.synced()

        # The DBA changes the password and ends the role's sessions.
        new = NEW.replace("'", "''")
        await hass.async_add_executor_job(
            cluster.psql, f"ALTER ROLE evl_pw PASSWORD '{new}'"
        )
        await hass.async_add_executor_job(
            cluster.psql,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE usename = 'evl_pw'",
        )
        await ledger.replay([r for r in charge if T + minutes(30) <= r.ts])
        writer = ledger.runtime.writer
        for _ in range(200):
            await ledger.runtime.async_flush()
            health = writer.health()
            if health.state is WriterState.DISCONNECTED and health.auth_failed:
                break
            freezer.tick(0.2)
            await hass.async_add_executor_job(time.sleep, 0.02)
        assert health.auth_failed
        assert health.journaled > 0  # every record kept while it waits
        await ledger.at(T + hours(3) + minutes(10))

        # Reauth is under way; it is not reported as an unreachable database.
        flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        assert [flow["context"]["source"] for flow in flows] == ["reauth"]
        assert issue_registry.async_get_issue(DOMAIN, UNREACHABLE) is None
        assert OLD not in caplog.text
        assert NEW not in caplog.text

        # The user gives the new password: the ledger reloads and catches up.
        entry = ledger.entry
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_URL: _url(cluster, NEW)}
        )
        await hass.async_block_till_done()
        await wait_synced(hass, freezer, ledger)
        await assert_charge_stored(ledger, charge, T + minutes(30))
    finally:
        await ledger.unload()
