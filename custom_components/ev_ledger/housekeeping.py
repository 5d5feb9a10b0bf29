"""Nightly housekeeping: raw samples older than the retention window are folded.

Every night at 03:17 local time each ledger folds its raw samples older than the
window (option "Keep raw samples for", default 396 days = 13 months; 0 keeps them
forever) into five-minute aggregates (`db.retention`), in short transactions in the
executor, for at most ten minutes a night: a large first run continues the next
night. An SQLite file then gives freed pages back a few at a time. Records are never
purged. `ev_ledger.recompute` re-derives what raw samples remain (see recompute.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
import logging
from typing import TYPE_CHECKING, Any, Final

from homeassistant.helpers.event import async_track_time_change
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
from sqlalchemy.exc import SQLAlchemyError

from .const import CONF_SAMPLE_RETENTION_DAYS
from .db import make_engine
from .db.retention import (
    DEFAULT_RETENTION_DAYS,
    FoldResult,
    cutoff,
    fold_samples,
    reclaim,
)

if TYPE_CHECKING:
    from datetime import datetime

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .db import DbConfig

_LOGGER = logging.getLogger(__name__)

DATA_HOUSEKEEPING: HassKey[dict[str, Housekeeping]] = HassKey("ev_ledger_housekeeping")
RUN_AT: Final = {"hour": 3, "minute": 17, "second": 0}
MAX_RUN_S: Final = 600.0
# Reclaim steps after a run (each gives back up to 4 MiB).
RECLAIM_STEPS: Final = 64


def retention_days(entry: ConfigEntry[Any]) -> int:
    """The entry's retention window in days (0: raw samples are kept forever)."""
    value = entry.options.get(CONF_SAMPLE_RETENTION_DAYS, DEFAULT_RETENTION_DAYS)
    return max(0, int(value))


@dataclass(slots=True)
class Housekeeping:
    """The nightly job of one ledger."""

    hass: HomeAssistant
    entry: ConfigEntry[Any]
    config: DbConfig
    last: dict[str, Any] | None = None
    running: bool = False
    _stopping: bool = field(default=False, repr=False)

    def async_start(self) -> None:
        """Schedule the nightly run; it stops with the entry."""
        self.hass.data.setdefault(DATA_HOUSEKEEPING, {})[self.entry.entry_id] = self
        self.entry.async_on_unload(
            async_track_time_change(self.hass, self._async_due, **RUN_AT)
        )
        self.entry.async_on_unload(self._stop)

    def _stop(self) -> None:
        self._stopping = True
        self.hass.data.get(DATA_HOUSEKEEPING, {}).pop(self.entry.entry_id, None)

    async def _async_due(self, now: datetime) -> None:
        self.entry.async_create_background_task(
            self.hass, self.async_run(), f"ev_ledger housekeeping {self.entry.entry_id}"
        )

    async def async_run(self) -> dict[str, Any] | None:
        """Fold what is past the window now; return what was done (None: nothing)."""
        days = retention_days(self.entry)
        if days == 0 or self.running or self._stopping:
            return None
        self.running = True
        before = cutoff(dt_util.utcnow(), days)
        try:
            result = await self.hass.async_add_executor_job(self._run, before)
        except (SQLAlchemyError, OSError) as err:
            _LOGGER.warning(
                "EV Ledger: folding old samples failed; next try tomorrow: %s",
                self.config.redact(str(err)),
            )
            return None
        finally:
            self.running = False
        self.last = result
        if result["folded"]:
            _LOGGER.info(
                "EV Ledger: folded %d samples older than %s into %d five-minute buckets",
                result["folded"],
                result["before"],
                result["buckets"],
            )
        return result

    def _run(self, before: datetime) -> dict[str, Any]:
        engine = make_engine(self.config, pooled=False)
        try:
            result: FoldResult = fold_samples(
                engine,
                before,
                max_seconds=MAX_RUN_S,
                should_stop=lambda: self._stopping,
            )
            freed = 0
            for _ in range(RECLAIM_STEPS):
                if self._stopping or not (free := reclaim(engine)):
                    break
                freed = max(freed, free)
        finally:
            engine.dispose()
        out = asdict(result)
        out["before"] = result.before.isoformat()
        out["free_pages"] = freed
        return out


def job_of(hass: HomeAssistant, entry_id: str) -> Housekeeping | None:
    """The housekeeping of a loaded entry."""
    return hass.data.get(DATA_HOUSEKEEPING, {}).get(entry_id)
