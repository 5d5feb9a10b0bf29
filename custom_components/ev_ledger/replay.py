"""Replaying a history through fresh ledgers, as live recording would have seen it.

A backfill replays the recorder's states of the mapped entities; a recompute replays the
ledger's own stored samples. Both go through the same ledgers, adapter and settlement as
live data, and both imitate the runtime's minute tick: a held charger power is
re-reported while a session is open (Home Assistant sends no event for an unchanged
value), every energy-site value is re-reported, and the ledgers' timeouts run.

A `Replay` holds no reference to Home Assistant: it runs in an executor thread, one
chunk of history at a time, and the caller takes its output after each chunk.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
import functools
import math
from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import STATE_NOT_HOME

from . import builders
from .adapter import site_reading, state_price, state_reading, to_sample
from .const import (
    CONF_DEADBAND,
    SUBENTRY_ENERGY_SITE,
    SUBENTRY_LOCATION,
    SUBENTRY_VEHICLE,
)
from .logic.deadband import Deadband
from .logic.model import (
    TICK_S,
    ChargeState,
    ChargeType,
    ChargingSession,
    Place,
    Reading,
    Reject,
    Role,
    SessionCompleted,
    Trip,
    TripCompleted,
    needs_hold,
)
from .logic.site import SiteLedger
from .logic.tariff import PriceBook
from .logic.vehicle import VehicleLedger
from .samples import SampleOrder
from .site_runtime import site_daily

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from datetime import tzinfo

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import State

    from .db import Sample, SiteDaily
    from .db.rows import Sample as SampleRow

# Prices older than any session could need are forgotten (as live).
PRICE_RETAIN_S: Final = 7 * 86400


@dataclass(slots=True)
class ReplayOutput:
    """What a stretch of replayed history produced."""

    sessions: list[ChargingSession] = field(default_factory=list)
    trips: list[Trip] = field(default_factory=list)
    site_days: list[SiteDaily] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)


@dataclass(slots=True)
class _Vehicle:
    ledger: VehicleLedger
    power: Reading | None = None  # the last charger power, re-reported by ticks


@dataclass(slots=True)
class _Site:
    ledger: SiteLedger
    settings: builders.SiteSettings
    last: dict[Role, Reading] = field(default_factory=dict)


class Replay:
    """Fresh ledgers of some of an entry's vehicles and sites, fed a history in order.

    Every energy site of the entry takes part (sessions at home are settled with the
    site's solar), but only the sites in `site_ids` keep their daily summaries.
    """

    def __init__(
        self,
        entry: ConfigEntry[Any],
        tz: tzinfo,
        *,
        vehicle_ids: Iterable[str],
        site_ids: Iterable[str] = (),
        keep_samples: bool = True,
        chargers: Mapping[str, str] | None = None,
        options: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Build the ledgers from the entry's subentries.

        `chargers`: wallbox entity → zone (`chargers.charger_zones`), as live uses.
        `options`: enum entity → its list of states (`adapter.enum_options`), as
        live reads them.
        """
        self.options: Mapping[str, Sequence[str]] = options or {}
        by_type: dict[str, list[Any]] = {}
        for subentry in entry.subentries.values():
            by_type.setdefault(subentry.subentry_type, []).append(subentry)
        tariffs = builders.tariff_book(by_type.get(SUBENTRY_LOCATION, []))
        self.prices = PriceBook()
        self.settle = builders.ZoneSettlement(
            tariffs=tariffs, tz=tz, prices=self.prices
        )
        self.price_entities = builders.price_entities(tariffs)
        self.keep_sites = set(site_ids)
        self.keep_samples = keep_samples
        wanted = set(vehicle_ids)
        self.vehicles: dict[str, _Vehicle] = {}
        self.sites: dict[str, _Site] = {}
        # entity id -> the (source, role) pairs it feeds
        self.routes: dict[str, list[tuple[str, Role]]] = {}
        for subentry in by_type.get(SUBENTRY_ENERGY_SITE, []):
            settings = builders.site_settings(subentry, tz)
            site_ledger = SiteLedger(settings.config)
            self.sites[subentry.subentry_id] = _Site(site_ledger, settings)
            self.settle.sites[settings.config.zone] = (site_ledger, settings.policy)
            self._route(subentry.subentry_id, builders.roles(subentry))
        for subentry in by_type.get(SUBENTRY_VEHICLE, []):
            if subentry.subentry_id not in wanted:
                continue
            config = builders.vehicle_config(subentry, chargers)
            self.vehicles[subentry.subentry_id] = _Vehicle(
                VehicleLedger(config, self.settle)
            )
            self._route(subentry.subentry_id, builders.roles(subentry))
        self.output = ReplayOutput()
        # The samples kept are numbered within each instant as live numbers them.
        self._order = SampleOrder()
        # The ledger's deadband, per source, on the states fed (as live filters
        # them); stored samples are what it kept, and are not filtered again.
        self.deadbands: dict[str, Deadband] | None = (
            {source: Deadband() for source in (*self.vehicles, *self.sites)}
            if entry.options.get(CONF_DEADBAND, False)
            else None
        )
        self.rejected: Counter[str] = Counter()
        self.accepted = 0
        self.now = -math.inf
        self._next_tick = math.inf
        # entity id -> last_updated of the newest state fed (duplicates are skipped)
        self.last_seen: dict[str, float] = {}
        self._last_prune = -math.inf

    def _route(self, source: str, roles: dict[Role, str]) -> None:
        for role, entity_id in roles.items():
            self.routes.setdefault(entity_id, []).append((source, role))

    @property
    def entity_ids(self) -> list[str]:
        """Every entity whose history the replay needs."""
        return sorted({*self.routes, *self.price_entities})

    def take(self) -> ReplayOutput:
        """The records produced since the last call."""
        out, self.output = self.output, ReplayOutput()
        return out

    # Input -----------------------------------------------------------------------

    def feed_states(self, states: Iterable[tuple[float, str, State]]) -> None:
        """Feed `(ts, entity_id, state)` in the order they were fired (recorder history).

        That is time order, and states sharing a timestamp in the order Home
        Assistant fired them (`backfill.merge_chunk`), as live took them.
        """
        last_seen = self.last_seen
        deadbands = self.deadbands
        for ts, entity_id, state in states:
            if ts <= last_seen.get(entity_id, -math.inf):
                continue
            last_seen[entity_id] = ts
            self._tick_until(ts)
            self._on_price(ts, entity_id, state)
            for source, role in self.routes.get(entity_id, ()):
                vehicle = self.vehicles.get(source)
                if vehicle is not None:
                    reading = state_reading(
                        role, state, ts, options=self.options.get(entity_id, ())
                    )
                    if deadbands is None or _kept(deadbands[source], reading):
                        self._on_vehicle(source, vehicle, reading)
                else:
                    site = self.sites[source]
                    reading = site_reading(
                        role,
                        state,
                        grid_sign=site.settings.grid_sign,
                        battery_sign=site.settings.battery_sign,
                        ts=ts,
                    )
                    if deadbands is None or _kept(deadbands[source], reading):
                        self._on_site(source, site, reading)

    def seed_prices(
        self, states: Iterable[tuple[float, str, State]], book: PriceBook
    ) -> None:
        """Prices known before a recompute: recorder history and the live book.

        `states` are the price entities' states in time order (the recorder's
        history of the range); the live ledger's book (its last 7 days, also
        without the recorder) is merged in.
        """
        for ts, entity_id, state in states:
            self._on_price(ts, entity_id, state)
        self.prices.merge(book)

    def _on_price(self, ts: float, entity_id: str, state: State) -> None:
        if entity_id in self.price_entities:
            price = state_price(state)
            if not isinstance(price, Reject):
                self.prices.series(entity_id).add(ts, price)

    def feed_samples(self, samples: Iterable[SampleRow]) -> None:
        """Feed stored samples in the order live took them (`Reader.samples_of`)."""
        for sample in samples:
            reading = sample_reading(
                sample.role,
                sample.ts,
                sample.value,
                sample.text,
                sample.latitude,
                sample.longitude,
            )
            self._tick_until(sample.ts)
            vehicle = self.vehicles.get(sample.source_id)
            if vehicle is not None:
                self._on_vehicle(sample.source_id, vehicle, reading)
            elif sample.source_id in self.sites:
                self._on_site(sample.source_id, self.sites[sample.source_id], reading)

    def finish(self, ts: float) -> None:
        """Let time pass until `ts` (the end of the history) without a reading.

        An energy site's values then hold until the last tick: a day that ends
        there (a backfill up to midnight) is summarised, as every value a tick
        reports again would have closed it before the history ends.
        """
        self._tick_until(ts)
        if self._next_tick != math.inf:
            # The values that tick left alone: read in the minute before it.
            last = self._next_tick - TICK_S
            self._hold_sites(last, lambda last_ts: last - TICK_S <= last_ts < last)
        self._advance(ts)

    # Stepping ----------------------------------------------------------------------

    def _on_vehicle(
        self, source: str, vehicle: _Vehicle, reading: Reading | Reject
    ) -> None:
        if isinstance(reading, Reject):
            self.rejected[reading.value] += 1
            return
        self.accepted += 1
        if self.keep_samples:
            self.output.samples.append(self._order(to_sample(source, reading)))
        if reading.role is Role.CHARGER_POWER:
            vehicle.power = reading
        self._collect(vehicle.ledger.step(reading))

    def _on_site(self, source: str, site: _Site, reading: Reading | Reject) -> None:
        if isinstance(reading, Reject):
            self.rejected[reading.value] += 1
            return
        self.accepted += 1
        site.last[reading.role] = reading
        keep = source in self.keep_sites
        if keep and self.keep_samples:
            self.output.samples.append(self._order(to_sample(source, reading)))
        summaries = site.ledger.step(reading)
        if keep:
            self.output.site_days.extend(site_daily(source, s) for s in summaries)

    def _collect(self, events: Iterable[object]) -> None:
        for event in events:
            if isinstance(event, SessionCompleted):
                self.output.sessions.append(event.session)
            elif isinstance(event, TripCompleted):
                self.output.trips.append(event.trip)

    def _tick_until(self, ts: float) -> None:
        """Run the minute ticks due before `ts` (none before the first reading)."""
        if self._next_tick is math.inf:
            self._next_tick = (math.floor(ts / TICK_S) + 1) * TICK_S
            self.now = ts
            return
        while self._next_tick <= ts:
            self._tick(self._next_tick)
            self._next_tick += TICK_S
        self.now = max(self.now, ts)

    def _tick(self, ts: float) -> None:
        for vehicle in self.vehicles.values():
            power = vehicle.power
            if (
                vehicle.ledger.session is not None
                and vehicle.ledger.unplug_pending is None  # as live: see _hold_power
                and power is not None
                and power.value is not None
                and needs_hold(power.ts, ts)
            ):
                self._collect(
                    vehicle.ledger.step(Reading(ts, Role.CHARGER_POWER, power.value))
                )
            self._collect(vehicle.ledger.advance(ts))
        self._hold_sites(ts, lambda last_ts: needs_hold(last_ts, ts))
        if ts - self._last_prune >= 86400:
            self.prices.prune(ts - PRICE_RETAIN_S)
            self._last_prune = ts

    def _hold_sites(self, ts: float, due: Callable[[float], bool]) -> None:
        """Report again at `ts` each site value last read at a time `due` says."""
        for source, site in self.sites.items():
            for role, reading in list(site.last.items()):
                if due(reading.ts):
                    summaries = site.ledger.step(Reading(ts, role, reading.value))
                    if source in self.keep_sites:
                        self.output.site_days.extend(
                            site_daily(source, s) for s in summaries
                        )

    def _advance(self, ts: float) -> None:
        for vehicle in self.vehicles.values():
            self._collect(vehicle.ledger.advance(ts))


def _kept(deadband: Deadband, reading: Reading | Reject) -> bool:
    """Whether the deadband lets `reading` through (a refused state always goes on)."""
    return isinstance(reading, Reject) or deadband.keep(reading)


# Readings to stored samples and back -----------------------------------------------


@functools.cache
def _role(text: str) -> Role | None:
    try:
        return Role(text)
    except ValueError:
        return None


def sample_reading(
    role_text: str,
    ts: float,
    value: float | None,
    text: str | None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> Reading | Reject:
    """The reading a stored sample was made from (see `to_sample`).

    A location is its zone (`text`) and, when the sample kept them, its coordinates.
    """
    role = _role(role_text)
    if role is None:
        return Reject.UNKNOWN_ROLE
    if value is None and text in (None, "unavailable"):
        return Reading(ts, role, None)
    try:
        if role is Role.PLUGGED:
            return Reading(ts, role, bool(value))
        if role is Role.CHARGING_STATE:
            return Reading(ts, role, ChargeState(str(text)))
        if role is Role.CHARGER_TYPE:
            return Reading(ts, role, ChargeType(str(text)))
    except ValueError:
        return Reject.BAD_VALUE
    if role is Role.LOCATION:
        zone = None if text in (None, STATE_NOT_HOME) else text
        return Reading(ts, role, Place(zone, latitude, longitude))
    if role is Role.SHIFT_STATE:
        return Reading(ts, role, text)
    return Reading(ts, role, value)
