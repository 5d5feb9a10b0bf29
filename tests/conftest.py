"""Shared test configuration."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

import freezegun
from hypothesis import HealthCheck, settings
import pytest

from tests.pgcluster import start_cluster

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

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
# Bug hunting by hand: HYPOTHESIS_PROFILE=hunt scripts/test --no-cov tests/logic
settings.register_profile(
    "hunt",
    max_examples=3000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


# How Home Assistant reports a deprecated call, constant or alias used by an integration
# (helpers.frame.report_usage and helpers.deprecation): each names the integration.
DEPRECATION_MARKERS = (
    "deprecat",
    "will stop working",
    "stop working in home assistant",
    "detected that custom integration",
    "detected code that",
)


def deprecation_reports(messages: Iterable[str]) -> list[str]:
    """Return the messages that report a deprecated use by EV Ledger (or its demo)."""
    return [
        message
        for message in messages
        if "ev_ledger" in message
        and any(marker in message.lower() for marker in DEPRECATION_MARKERS)
    ]


def logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Everything logged during the test so far: its setup, its call, its teardown.

    After a fixture's `yield`, `caplog.records` holds only the teardown's records.
    """
    records = [*caplog.get_records("setup"), *caplog.get_records("call")]
    return [record.getMessage() for record in [*records, *caplog.records]]


class _Reports(logging.Handler):
    """Collects the messages of WARNING and above."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.messages.append(record.getMessage())
        except Exception:  # noqa: BLE001
            self.handleError(record)


@pytest.fixture(autouse=True)
def reported() -> Iterator[list[str]]:
    """What was logged at WARNING or above during the test: setup, call, teardown.

    The guards below read this rather than `caplog`: the test plugin's `caplog` sets
    the root logger to DEBUG, and every test would then format the recorder's and the
    core's debug records (the demo's week: minutes of them).
    """
    handler = _Reports()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler.messages
    finally:
        root.removeHandler(handler)


@pytest.fixture(autouse=True)
def no_deprecation_reports(reported: list[str]) -> Iterator[None]:
    """Fail a test during which Home Assistant reported a deprecated use of ours."""
    yield
    assert deprecation_reports(reported) == []


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
