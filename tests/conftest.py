"""Shared test configuration."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import freezegun
from hypothesis import HealthCheck, settings
import pytest

from tests.pgcluster import start_cluster

if TYPE_CHECKING:
    from collections.abc import Iterator

# psycopg times its connection attempts with the monotonic clock: a test moving the
# frozen clock while a connection opens would make it time out for no reason.
freezegun.configure(extend_ignore_list=["psycopg"])

settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of a PostgreSQL server for this test run (superuser, database postgres).

    scripts/test starts one and exports EV_LEDGER_TEST_PG_URL; a bare `pytest` run
    starts its own throwaway cluster.
    """
    url = os.environ.get("EV_LEDGER_TEST_PG_URL")
    if url:
        yield url
        return
    cluster = start_cluster()
    try:
        yield cluster.url
    finally:
        cluster.destroy()
