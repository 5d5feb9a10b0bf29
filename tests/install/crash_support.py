"""What the crash loop needs besides tests/install/hass_env.py: durable outputs to count.

A SIGKILL leaves no chance to ask Home Assistant anything: what the loop counts must be
on disk at the moment of the kill. The recorder is configured to commit every event at
once (`commit_interval: 0`), so the completion events are read back from its own
database; the log is collected after each life, since Home Assistant rolls it over
(home-assistant.log → .log.1) at every start.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
import json
import sqlite3
import time
from typing import TYPE_CHECKING, Any, Final

import aiohttp

from scripts.demo_configure import DemoError

from .hass_env import LogRecord, parse_log

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from .hass_env import HassProcess

RECORDER_DB: Final = "home-assistant_v2.db"


def durable_recorder(config: Path) -> None:
    """Make the recorder commit each event as it comes (written by `write_config`)."""
    path = config / "configuration.yaml"
    text = path.read_text()
    durable = text.replace("\nrecorder:\n", "\nrecorder:\n  commit_interval: 0\n", 1)
    assert durable != text, "configuration.yaml has no bare `recorder:` to extend"
    path.write_text(durable)


def recorded_events(config: Path, event_type: str) -> list[dict[str, Any]] | None:
    """The data of every `event_type` event in the recorder's database, in order."""
    rows = _query(
        config,
        "SELECT event_data.shared_data FROM events "
        "JOIN event_types ON events.event_type_id = event_types.event_type_id "
        "LEFT JOIN event_data ON events.data_id = event_data.data_id "
        "WHERE event_types.event_type = ? "
        "ORDER BY events.time_fired_ts, events.event_id",
        (event_type,),
    )
    return None if rows is None else [json.loads(d) if d else {} for (d,) in rows]


def recorded_states(config: Path, entity_id: str) -> list[str] | None:
    """Every state the recorder stored of `entity_id`, in order (None: unreadable)."""
    rows = _query(
        config,
        "SELECT states.state FROM states "
        "JOIN states_meta ON states.metadata_id = states_meta.metadata_id "
        "WHERE states_meta.entity_id = ? "
        "ORDER BY states.last_updated_ts, states.state_id",
        (entity_id,),
    )
    return None if rows is None else [str(state) for (state,) in rows]


def is_recorded(config: Path, entity_id: str, stamp: float) -> bool:
    """Whether the recorder has committed `entity_id`'s state of time `stamp`."""
    rows = _query(
        config,
        "SELECT 1 FROM states "
        "JOIN states_meta ON states.metadata_id = states_meta.metadata_id "
        "WHERE states_meta.entity_id = ? AND abs(states.last_updated_ts - ?) < 0.0005",
        (entity_id, stamp),
    )
    return bool(rows)


def _query(config: Path, sql: str, parameters: tuple[Any, ...]) -> list[Any] | None:
    """Rows of a read-only query of the recorder's database; None while unreadable.

    Read-only: the file may belong to a running Home Assistant. None also when it is
    not created yet or stays locked for longer than the timeout.
    """
    database = config / RECORDER_DB
    if not database.is_file():
        return None
    try:
        with contextlib.closing(
            sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
        ) as connection:
            return connection.execute(sql, parameters).fetchall()
    except sqlite3.Error:
        return None


async def poll[T](
    what: str,
    hass: HassProcess,
    wait_s: float,
    probe: Callable[[], Awaitable[T | None]],
    every_s: float = 0.1,
) -> T:
    """Poll `probe` until it returns a value, quickly (a restart is waited for often).

    Connection errors count as "not yet"; fails when hass exits or time is up.
    """
    deadline = time.monotonic() + wait_s
    last: Exception | None = None
    while True:
        if not hass.alive():
            raise AssertionError(f"Home Assistant exited while waiting for {what}")
        try:
            value = await probe()
        except (aiohttp.ClientError, DemoError, TimeoutError) as err:
            value, last = None, err
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                f"no {what} within {wait_s:.0f} s (last error: {last!r})"
            )
        await asyncio.sleep(every_s)


@dataclass(slots=True)
class LogBook:
    """The logs of every life of one Home Assistant config folder, in order."""

    lives: list[str] = field(default_factory=list)

    def collect(self, hass: HassProcess) -> None:
        """Keep the log of the life that just ended (before the next start rolls it)."""
        path = hass.log_file
        text = path.read_text(errors="replace") if path.is_file() else ""
        self.lives.append(text)
        # Kept next to the config for a look after a failure (the next start rolls it).
        (hass.config / f"life-{len(self.lives):02}.log").write_text(text)

    def records(self) -> list[LogRecord]:
        """Every record of every life."""
        return [record for life in self.lives for record in parse_log(life)]
