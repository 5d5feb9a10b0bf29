"""Health figures of the writer, for diagnostics and sensors."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime


class WriterState(StrEnum):
    """What the writer is doing."""

    STARTING = "starting"
    CONNECTED = "connected"
    REPLAYING = "replaying"  # database back, journal being replayed
    DISCONNECTED = "disconnected"  # database unreachable, journaling
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True, kw_only=True)
class WriterHealth:
    """A snapshot of the writer's figures. Row counts count samples one by one.

    Attributes:
        state: What the writer is doing.
        pending: Rows enqueued but neither committed nor journaled.
        journaled: Rows in the on-disk journal waiting for replay.
        journal_bytes: Size of the journal waiting for replay.
        written: Rows committed to the database since start.
        quarantined: Rows the database rejected, kept in quarantine.
        dropped: Rows lost because the journal was full (should stay 0).
        reconnect_attempts: Failed reconnects since the database went away.
        down_since: When the current outage began (aware UTC), None when connected.
        auth_failed: The server refused the user or password at the last attempt.
        damaged: The embedded database file was found damaged at the last attempt.
        disk_full: The database's disk was full at the last attempt.
        last_commit: Time of the last commit (aware UTC), if any.
        last_error: Last error, passwords removed.
        journal_full: True when the journal's bound was hit.
    """

    state: WriterState
    pending: int
    journaled: int
    journal_bytes: int
    written: int
    quarantined: int
    dropped: int
    reconnect_attempts: int
    down_since: datetime | None
    auth_failed: bool
    damaged: bool = False
    disk_full: bool = False
    last_commit: datetime | None
    last_error: str | None
    journal_full: bool

    def as_dict(self) -> dict[str, Any]:
        """Return JSON-friendly figures (for diagnostics)."""
        data = asdict(self)
        data["state"] = self.state.value
        data["last_commit"] = self.last_commit.isoformat() if self.last_commit else None
        data["down_since"] = self.down_since.isoformat() if self.down_since else None
        return data
