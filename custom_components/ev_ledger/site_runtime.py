"""One energy site at runtime: its ledger, today's figures, its daily summaries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, State, callback

from .adapter import site_reading, to_sample
from .db import SiteDaily
from .logic.model import Reading, Reject, Role, needs_hold
from .source_runtime import SourceRuntime, held_json, held_reading

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from .builders import SiteSettings
    from .db import Writer
    from .logic.site import SiteDailySummary, SiteLedger
    from .samples import SampleBuffer


class SiteRuntime(SourceRuntime["SiteLedger"]):
    """Feeds one energy site's ledger and publishes what it derives."""

    def __init__(
        self,
        hass: HomeAssistant,
        *,
        subentry_id: str,
        name: str,
        roles: dict[Role, str],
        settings: SiteSettings,
        ledger: SiteLedger,
        writer: Writer,
        samples: SampleBuffer,
    ) -> None:
        super().__init__(
            hass,
            subentry_id=subentry_id,
            name=name,
            roles=roles,
            ledger=ledger,
            writer=writer,
            samples=samples,
        )
        self.settings = settings
        self.today: SiteDailySummary | None = None
        # The last reading the ledger took of each role (in the order the roles first
        # reported), re-reported by ticks: a rejected state changes nothing.
        self.held: dict[Role, Reading] = {}

    @callback
    def async_on_state(self, role: Role, state: State | None) -> None:
        """Feed a new state of the entity mapped to `role`."""
        if state is None:
            return
        self.revision += 1
        settings = self.settings
        reading = site_reading(
            role,
            state,
            grid_sign=settings.grid_sign,
            battery_sign=settings.battery_sign,
        )
        if isinstance(reading, Reject):
            self.adapter_rejected[reading.value] += 1
            return
        if not self.passes(reading):
            return
        self.samples.add(to_sample(self.subentry_id, reading))
        self.held[role] = reading
        self._store(self.ledger.step(reading))

    @callback
    def async_on_current_state(self, role: Role, state: State | None) -> None:
        """The current state of the entity mapped to `role`, fed at start.

        A site restored from its snapshot has taken it already (same time or older;
        its minute tick may have re-reported the value since): skipped, not refused
        as stale again at every start. A state newer than the snapshot is fed.
        """
        held = self.held.get(role)
        if (
            state is not None
            and held is not None
            and state.last_updated_timestamp <= held.ts
        ):
            return
        self.async_on_state(role, state)

    @callback
    def async_tick(self, now: datetime) -> None:
        """Re-report unchanged values (HA sends no event for them), refresh today."""
        ts = now.timestamp()
        for role, reading in list(self.held.items()):
            # Only a value the minute that just ended did not bring (as the replay).
            if needs_hold(reading.ts, ts):
                self.revision += 1
                self._store(self.ledger.step(Reading(ts, role, reading.value)))
        self.today = self.ledger.flush_day()
        self.async_notify()

    def _store(self, summaries: Sequence[SiteDailySummary]) -> None:
        for summary in summaries:
            self.writer.enqueue_site_daily(site_daily(self.subentry_id, summary))

    def health(self) -> dict[str, Any]:
        """Engine figures for diagnostics."""
        return {
            "rejected_by_adapter": dict(self.adapter_rejected),
            "rejected_by_engine": {k.value: n for k, n in self.ledger.rejected.items()},
            "settled_until": self.ledger.settled_until,
            "dropped_by_deadband": self.deadband_figures().get("dropped", {}),
        }

    def snapshot(self) -> dict[str, Any]:
        """Everything needed to continue after a restart."""
        return {
            # Minute data, three days of it: the runtime writes the snapshot compact
            # (`runtime.snapshot_json`), each settled minute's text made once.
            "ledger": self.ledger.to_dict(),
            "adapter_rejected": dict(self.adapter_rejected),
            "held": {role.value: held_json(r) for role, r in self.held.items()},
            "deadband": self.deadband_figures(),
        }

    def restore_held(self, data: Any) -> None:
        """Take back the held readings of `snapshot` (malformed ones are skipped)."""
        if not isinstance(data, dict):
            return
        for key, value in data.items():
            try:
                role = Role(key)
            except ValueError:
                continue
            if (reading := held_reading(role, value)) is not None:
                self.held[role] = reading


def site_daily(site_id: str, summary: SiteDailySummary) -> SiteDaily:
    """The stored row of one day's summary of an energy site."""
    return SiteDaily(
        site_id=site_id,
        day=summary.day,
        produced_kwh=summary.solar_produced_kwh,
        solar_to_home_kwh=summary.to_home_kwh,
        solar_to_battery_kwh=summary.to_battery_kwh,
        solar_to_grid_kwh=summary.to_grid_kwh,
        grid_imported_kwh=summary.grid_imported_kwh,
        grid_exported_kwh=summary.grid_exported_kwh,
        home_consumed_kwh=summary.home_consumed_kwh,
        self_consumption_pct=summary.self_consumption_pct,
    )
