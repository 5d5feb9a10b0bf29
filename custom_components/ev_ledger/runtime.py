"""The runtime of one ledger (config entry): ledgers, subscriptions, tick, snapshot.

Lifecycle: `async_create` (writer started, snapshot restored, totals read) → `async_start`
once Home Assistant has started (subscriptions, current states fed, periodic tick) →
`async_shutdown` on unload or stop (snapshot saved, writer flushed and stopped).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
import functools
import logging
import math
from typing import TYPE_CHECKING, Any, Final, cast

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    EventStateReportedData,
    HassJob,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import (
    async_call_later,
    async_track_state_change_event,
    async_track_state_report_event,
    async_track_utc_time_change,
)
from homeassistant.helpers.json import json_encoder_default, json_fragment
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.json import json_loads
import orjson
from sqlalchemy.exc import SQLAlchemyError

from . import builders, issues, statistics
from .adapter import enum_options, state_price
from .backfill import (
    Backfill,
    BackfillResult,
    default_start,
    read_chunk,
    recorder_loaded,
)
from .chargers import charger_zones
from .const import (
    CONF_DEADBAND,
    CONF_NAME,
    CONF_TARIFF,
    CONF_VIN,
    CONF_ZONE,
    DOMAIN,
    JOURNAL_DIRNAME,
    SUBENTRY_ENERGY_SITE,
    SUBENTRY_LOCATION,
    SUBENTRY_VEHICLE,
)
from .db import Backoff, DbConfig, InvalidVin, Reader, Writer, WriterState, entity_uuid
from .logic.deadband import Deadband
from .logic.model import Flag, Reject, Role
from .logic.series import JsonText
from .logic.site import SiteLedger
from .logic.tariff import PriceBook, TariffError
from .logic.vehicle import VehicleLedger
from .samples import SampleBuffer
from .site_runtime import SiteRuntime
from .vehicle_runtime import COUNTED_DAYS, Totals, VehicleRuntime, month_start

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from homeassistant.config_entries import ConfigSubentry

    from .logic.config import VehicleConfig

_LOGGER = logging.getLogger(__name__)

STORE_VERSION: Final = 1
# Dynamic prices kept besides those an open session needs (a recompute uses them).
PRICES_KEPT_S: Final = 7 * 86400
# What a charging location change may alter without rebuilding the runtime.
_LOCATION_IN_PLACE: Final = frozenset({CONF_NAME, CONF_ZONE, CONF_TARIFF})
# Totals have no upper bound in time: a record stamped ahead of the wall clock (a
# simulator, a car with a wrong clock) counts as well.
_END_OF_TIME: Final = datetime(9000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Tuning:
    """Timings of the runtime; tests replace `TUNING` to shorten them."""

    db_unreachable_after: timedelta = timedelta(minutes=5)
    # At most this often the snapshot is written, and only when it changed (and at
    # once when a record is counted, and at shutdown). Between two, a crash loses
    # nothing the recorder holds: restored vehicles are fed its states since. As
    # Home Assistant dumps its own restore states: every 15 minutes.
    snapshot_every: timedelta = timedelta(minutes=15)
    writer_stop_timeout_s: float = 10.0
    backoff: Backoff | None = None
    # A newly added vehicle or site starts from the recorder's history.
    initial_backfill: bool = True
    # After a restart, restored vehicles are fed the recorder's states since their
    # snapshot (what a crash lost), at most this far back.
    catch_up: timedelta | None = timedelta(days=1)


TUNING = Tuning()

type EvLedgerConfigEntry = ConfigEntry[EvLedgerRuntime]


def snapshot_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Where an entry's runtime keeps its snapshot (open sessions, trips, totals)."""
    # Private: it holds the places of open sessions and trips.
    return Store(hass, STORE_VERSION, f"{DOMAIN}.{entry_id}", private=True)


def _deadband(entry: ConfigEntry[Any], stored: dict[str, Any]) -> Deadband | None:
    """A source's deadband when the option is on, continued from its snapshot."""
    if not entry.options.get(CONF_DEADBAND, False):
        return None
    deadband = Deadband()
    deadband.restore(stored.get("deadband"))
    return deadband


def fingerprint(entry: ConfigEntry[Any]) -> tuple[Any, ...]:
    """What the runtime is built from: a change means rebuild it.

    The deadband option counts (it decides what the ledgers take); the retention
    window does not (the nightly job reads it when it runs).

    A charging location's name, zone and tariff are left out: they are applied in
    place (`EvLedgerRuntime.async_config_changed`). Anything else a location holds
    may shape the vehicles, so it counts, with the zone it applies to.
    """
    return (
        tuple(sorted(entry.data.items(), key=lambda kv: kv[0])),
        bool(entry.options.get(CONF_DEADBAND, False)),
        tuple(
            sorted(
                (s.subentry_id, s.subentry_type, s.title, repr(dict(s.data)))
                for s in entry.subentries.values()
                if s.subentry_type != SUBENTRY_LOCATION
            )
        ),
        tuple(
            sorted(
                (s.subentry_id, s.data.get(CONF_ZONE), repr(extra))
                for s in _locations(entry)
                if (extra := _location_extras(s))
            )
        ),
    )


def _location_extras(location: ConfigSubentry) -> dict[str, Any]:
    """What a location holds besides what is applied in place (set values only)."""
    return {
        key: value
        for key, value in location.data.items()
        if key not in _LOCATION_IN_PLACE and value
    }


def _locations(entry: ConfigEntry[Any]) -> list[ConfigSubentry]:
    return [
        s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_LOCATION
    ]


def _locations_fingerprint(locations: list[ConfigSubentry]) -> tuple[Any, ...]:
    return tuple(
        sorted((s.subentry_id, s.title, repr(dict(s.data))) for s in locations)
    )


@dataclass(slots=True, kw_only=True)
class _DbTotals:
    energy_kwh: Decimal
    cost: Decimal
    month_cost: Decimal


def _read_totals(
    reader: Reader, keys: list[str], month: datetime
) -> dict[str, _DbTotals]:
    """Lifetime and month totals per vehicle, completed records only (executor).

    One SQL aggregate for all vehicles (not a sum of every row in Python: 0.5 s on
    a ledger of 10 vehicles x 5 years, 7 ms this way).
    """
    return {
        key: _DbTotals(energy_kwh=energy, cost=cost, month_cost=month_cost)
        for key, (energy, cost, month_cost) in reader.vehicle_totals(
            keys, month
        ).items()
    }


def _read_counted(
    reader: Reader, keys: list[str], since: datetime
) -> dict[str, tuple[dict[str, float], dict[str, float]]]:
    """Completed sessions and trips since `since` per vehicle: id → end (executor)."""
    out: dict[str, tuple[dict[str, float], dict[str, float]]] = {}
    for key in keys:
        counted: list[dict[str, float]] = []
        for kind in ("sessions", "trips"):
            rows = reader.ledger_records(kind, key, since, _END_OF_TIME)
            counted.append(
                {
                    str(row["id"]): (row["ended_at"] or row["started_at"]).timestamp()
                    for row in rows
                    if row.get("status") != "in_progress"
                }
            )
        out[key] = (counted[0], counted[1])
    return out


@dataclass(slots=True, kw_only=True, repr=False)
class EvLedgerRuntime:
    """Everything one ledger runs on; stored in `entry.runtime_data`."""

    hass: HomeAssistant
    entry_id: str
    title: str
    db_config: DbConfig
    writer: Writer
    reader: Reader
    store: Store[dict[str, Any]]
    samples: SampleBuffer
    prices: PriceBook
    price_entities: set[str]
    vehicles: dict[str, VehicleRuntime] = field(default_factory=dict)
    sites: dict[str, SiteRuntime] = field(default_factory=dict)
    built_from: tuple[Any, ...] = ()
    locations_from: tuple[Any, ...] = ()
    tuning: Tuning = field(default_factory=lambda: TUNING)
    db_down_since: datetime | None = None
    reauth_started: bool = False
    # The embedded database file was found damaged (a repair says so).
    db_damaged: bool = False
    # The database's disk was found full (a repair says so).
    db_full: bool = False
    missing_issues: set[str] = field(default_factory=set)
    # Vehicles told that their charging power is reported negative (repairs).
    sign_issues: set[str] = field(default_factory=set)
    settle: builders.ZoneSettlement | None = None
    # Sources without a snapshot: new, so their history is backfilled at start.
    fresh: set[str] = field(default_factory=set)
    backfill: BackfillResult | None = None
    # The backfill under way (cancelled by ev_ledger.cancel_backfill or at unload).
    backfill_run: Backfill | None = None
    backfill_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Sources whose live states are held back while their history is backfilled.
    _gated: set[str] = field(default_factory=set)
    _held: list[tuple[str, str, Callable[[State | None], None], State | None]] = field(
        default_factory=list
    )
    _backfill_task: asyncio.Task[None] | None = None
    _catch_up_task: asyncio.Task[None] | None = None
    _catching_up: set[str] = field(default_factory=set)
    _backfill_done: asyncio.Event = field(default_factory=asyncio.Event)
    _unsubs: list[CALLBACK_TYPE] = field(default_factory=list)
    _price_unsub: CALLBACK_TYPE | None = None
    _stop_unsub: CALLBACK_TYPE | None = None
    _started: bool = False
    _stopped: bool = False
    # Snapshot bookkeeping: changes of the runtime's own (prices, totals), the sum of
    # every revision when it was last saved, what was saved, when the next save is.
    _revision: int = 0
    _saved_revision: int = -1
    _saved: bytes = b""
    _snapshot_due: datetime | None = None

    # Creation ----------------------------------------------------------------------

    @classmethod
    async def async_create(
        cls, hass: HomeAssistant, entry: ConfigEntry[Any], db_config: DbConfig
    ) -> EvLedgerRuntime:
        """Start the writer and build every ledger, restoring the snapshot."""
        tuning = TUNING
        writer_options: dict[str, Any] = {}
        if tuning.backoff is not None:
            writer_options["backoff"] = tuning.backoff
        writer = Writer(
            db_config,
            hass.config.path(JOURNAL_DIRNAME, entry.entry_id),
            **writer_options,
        )
        await asyncio.wrap_future(writer.start())
        reader = Reader(db_config)
        store = snapshot_store(hass, entry.entry_id)
        try:
            snapshot = _loaded(await store.async_load())
            runtime = cls._build(
                hass, entry, db_config, writer, reader, store, snapshot
            )
            await runtime.async_load_totals(set(snapshot.get("vehicles") or {}))
            await runtime.async_load_counted()
        except BaseException:
            await hass.async_add_executor_job(writer.stop, tuning.writer_stop_timeout_s)
            await hass.async_add_executor_job(reader.close)
            raise
        return runtime

    @classmethod
    def _build(
        cls,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        db_config: DbConfig,
        writer: Writer,
        reader: Reader,
        store: Store[dict[str, Any]],
        snapshot: dict[str, Any],
    ) -> EvLedgerRuntime:
        tz = dt_util.get_default_time_zone()
        by_type: dict[str, list[ConfigSubentry]] = {}
        for subentry in entry.subentries.values():
            by_type.setdefault(subentry.subentry_type, []).append(subentry)
        try:
            prices = PriceBook.from_dict(snapshot.get("prices") or {})
        except TariffError:
            _LOGGER.warning("Discarding unreadable price history of %s", entry.title)
            prices = PriceBook()
        locations = by_type.get(SUBENTRY_LOCATION, [])
        tariffs = builders.tariff_book(locations)
        settle = builders.ZoneSettlement(tariffs=tariffs, tz=tz, prices=prices)
        samples = SampleBuffer(hass.loop, writer)
        runtime = cls(
            hass=hass,
            entry_id=entry.entry_id,
            title=entry.title,
            db_config=db_config,
            writer=writer,
            reader=reader,
            store=store,
            samples=samples,
            prices=prices,
            price_entities=builders.price_entities(tariffs),
            settle=settle,
            # Read with the subentries, before any await: a change after this is
            # one the update listener (or the check after set-up) sees.
            built_from=fingerprint(entry),
            locations_from=_locations_fingerprint(locations),
        )
        stored_sites = snapshot.get("sites") or {}
        for subentry in by_type.get(SUBENTRY_ENERGY_SITE, []):
            settings = builders.site_settings(subentry, tz)
            site_ledger = _restore(
                functools.partial(SiteLedger.from_dict, settings.config),
                _json_field(stored_sites.get(subentry.subentry_id, {}).get("ledger")),
                subentry.title,
            ) or SiteLedger(settings.config)
            site = SiteRuntime(
                hass,
                subentry_id=subentry.subentry_id,
                name=subentry.title,
                roles=builders.roles(subentry),
                settings=settings,
                ledger=site_ledger,
                writer=writer,
                samples=samples,
            )
            stored = stored_sites.get(subentry.subentry_id) or {}
            site.adapter_rejected.update(stored.get("adapter_rejected") or {})
            site.restore_held(stored.get("held"))
            site.deadband = _deadband(entry, stored)
            if not stored:
                runtime.fresh.add(subentry.subentry_id)
            runtime.sites[subentry.subentry_id] = site
            settle.sites[settings.config.zone] = (site_ledger, settings.policy)
            writer.enqueue_site(
                subentry.subentry_id, name=subentry.title, time_zone=str(tz)
            )
        currency = hass.config.currency
        stored_vehicles = snapshot.get("vehicles") or {}
        chargers = charger_zones(hass, entry)
        for subentry in by_type.get(SUBENTRY_VEHICLE, []):
            config = builders.vehicle_config(subentry, chargers)
            stored = stored_vehicles.get(subentry.subentry_id) or {}
            ledger = _restore(
                functools.partial(_vehicle_ledger, config, settle),
                stored.get("ledger"),
                subentry.title,
            )
            if ledger is None:
                ledger = VehicleLedger(config, settle)
                stored = {}
                runtime.fresh.add(subentry.subentry_id)
            elif ledger.session is not None:
                # Continued across the restart: one session, marked as such.
                ledger.session.flags.add(Flag.RESTORED)
            vehicle = VehicleRuntime(
                hass,
                entry_id=entry.entry_id,
                subentry_id=subentry.subentry_id,
                name=subentry.title,
                roles=builders.roles(subentry),
                ledger=ledger,
                writer=writer,
                samples=samples,
                currency=currency,
            )
            if stored:
                vehicle.restore(stored)
            vehicle.deadband = _deadband(entry, stored)
            options = enum_options(hass, vehicle.by_entity)
            vehicle.options = {
                role: options[entity_id]
                for entity_id, role in vehicle.by_entity.items()
                if entity_id in options
            }
            runtime.vehicles[subentry.subentry_id] = vehicle
            # A completed record counted: saved at once, so no restart counts it
            # again from an older snapshot.
            vehicle.on_counted = runtime.async_save_snapshot_soon
            _register_vehicle(writer, subentry, config.usable_capacity_kwh)
        return runtime

    async def async_refresh_totals(self) -> None:
        """Follow the ledger after a correction, a deletion, a recompute or a backfill.

        The costs may go down (a correction); the energy meter never does. The
        published long-term statistics follow the corrected and deleted sessions.
        """
        await self.async_load_totals(set(self.vehicles), corrected=True)
        for key, vehicle in self.vehicles.items():
            try:
                await statistics.async_follow_ledger(
                    self.hass, vehicle, functools.partial(self._async_ledger_costs, key)
                )
            except (HomeAssistantError, SQLAlchemyError) as err:
                _LOGGER.warning(
                    "Statistics of %s do not follow the correction yet: %s",
                    vehicle.name,
                    err,
                )
            vehicle.async_notify()
        # Written now: a snapshot from before the correction would bring the old
        # totals back after a restart (a reload keeps the larger ones).
        if not self._stopped:
            self._async_save_snapshot()

    async def _async_ledger_costs(
        self, vehicle_id: str, spans: Mapping[str, tuple[int, int]]
    ) -> dict[str, statistics.LedgerCost]:
        """The stored cost and deletion of published sessions (by their hours)."""
        by_row = {str(entity_uuid(session_id)): session_id for session_id in spans}
        first = min(start for start, _ in spans.values()) - 86400
        last = max(end for _, end in spans.values()) + 3600
        rows = await self.hass.async_add_executor_job(
            functools.partial(
                self.reader.ledger_records,
                "sessions",
                vehicle_id,
                datetime.fromtimestamp(first, UTC),
                datetime.fromtimestamp(last, UTC),
            )
        )
        return {
            by_row[row["id"]]: statistics.LedgerCost(
                deleted=row["deleted_at"] is not None,
                cost=row["cost"],
                currency=row["currency"],
            )
            for row in rows
            if row["id"] in by_row
        }

    async def async_load_counted(self) -> None:
        """Tell each vehicle which recent records the database already holds.

        The engine may complete them again after a crash (its snapshot is older than
        the database): they must not be counted or announced twice.
        """
        if not self.vehicles:
            return
        since = dt_util.utcnow() - timedelta(days=COUNTED_DAYS)
        try:
            found = await self.hass.async_add_executor_job(
                _read_counted, self.reader, list(self.vehicles), since
            )
        except SQLAlchemyError as err:
            # The database is down: its journal will not double them either, but
            # a record completed again from an older snapshot may count twice.
            _LOGGER.warning("Recent records not read from the database: %s", err)
            return
        for key, (sessions, trips) in found.items():
            self.vehicles[key].remember_counted(sessions, trips)

    async def async_load_totals(
        self, known: set[str], *, corrected: bool = False
    ) -> None:
        """Totals from the database; they never go down unless `corrected`.

        Args:
            known: Vehicles whose current totals are known (restored or live): the
                larger of them and the database's are kept (the database may lag
                behind: a journal waiting for it).
            corrected: The ledger was corrected on purpose: the costs follow the
                database, down too (the energy meter still never goes down).
        """
        if not self.vehicles:
            return
        # The vehicles must exist before their totals can be read.
        await asyncio.wrap_future(self.writer.flush())
        month = month_start(dt_util.now())
        try:
            found = await self.hass.async_add_executor_job(
                _read_totals, self.reader, list(self.vehicles), month
            )
        except SQLAlchemyError as err:
            _LOGGER.warning("Totals not read from the database, kept: %s", err)
            return
        for key, db in found.items():
            totals = self.vehicles[key].totals
            if key not in known:
                totals = Totals(month_start=month)
            keep = not corrected
            same_month = totals.month_start == month
            self.vehicles[key].totals = Totals(
                energy_kwh=max(totals.energy_kwh, db.energy_kwh),
                cost=max(totals.cost, db.cost) if keep else db.cost,
                month_cost=max(totals.month_cost, db.month_cost)
                if keep and same_month
                else db.month_cost,
                month_start=month,
            )
        self._revision += 1

    # Configuration changes ---------------------------------------------------------

    @callback
    def async_config_changed(self, entry: ConfigEntry[Any]) -> bool:
        """Apply what changed in the entry in place; True if a rebuild is needed.

        Charging locations (tariffs, price entities) change in place, so a session
        open meanwhile is priced by them; vehicles, sites and the database need a
        rebuild (a reload).
        """
        if fingerprint(entry) != self.built_from:
            return True
        locations = _locations(entry)
        found = _locations_fingerprint(locations)
        if found != self.locations_from:
            self.locations_from = found
            self._async_set_locations(locations)
        return False

    @callback
    def _async_set_locations(self, locations: list[ConfigSubentry]) -> None:
        tariffs = builders.tariff_book(locations)
        if self.settle is not None:
            # Shared by every vehicle's ledger: their next settlement uses it.
            self.settle.tariffs = tariffs
        self.price_entities = builders.price_entities(tariffs)
        if self._started and not self._stopped:
            self._async_track_prices()
        _LOGGER.debug("Charging locations of %s updated in place", self.title)

    @callback
    def _async_track_prices(self) -> None:
        """Follow the price entities (again, after the locations changed)."""
        if self._price_unsub is not None:
            self._price_unsub()
            self._price_unsub = None
        entity_ids = sorted(self.price_entities)
        if not entity_ids:
            return
        # The price each one holds now is valid from its last update.
        for entity_id in entity_ids:
            self._async_on_price(entity_id, self.hass.states.get(entity_id))

        @callback
        def _on_change(event: Event[EventStateChangedData]) -> None:
            self._async_on_price(event.data["entity_id"], event.data["new_state"])

        self._price_unsub = async_track_state_change_event(
            self.hass, entity_ids, _on_change
        )

    # Running -----------------------------------------------------------------------

    @callback
    def async_start(self) -> None:
        """Subscribe and tick once Home Assistant has started; stop with it."""
        self._stop_unsub = self.hass.bus.async_listen_once(
            EVENT_HOMEASSISTANT_STOP, self._async_on_stop
        )
        self._unsubs.append(async_at_started(self.hass, self._async_started))
        # Long-term statistics: each completed session is published.
        for vehicle in self.vehicles.values():
            self._unsubs.append(statistics.async_track_sessions(self.hass, vehicle))

    @callback
    def _async_started(self, hass: HomeAssistant) -> None:
        if self._stopped:
            return
        self._started = True
        routes: dict[str, list[tuple[str, Callable[[State | None], None]]]] = {}
        for vehicle in self.vehicles.values():
            for entity_id, role in vehicle.by_entity.items():
                routes.setdefault(entity_id, []).append(
                    (
                        vehicle.subentry_id,
                        functools.partial(vehicle.async_on_state, role),
                    )
                )
        for site in self.sites.values():
            for entity_id, role in site.by_entity.items():
                routes.setdefault(entity_id, []).append(
                    (site.subentry_id, functools.partial(site.async_on_state, role))
                )
        # Prices first: a session the current states complete is priced with them.
        self._async_track_prices()
        if self.fresh and self.tuning.initial_backfill and recorder_loaded(hass):
            # Their live states wait until the recorder's history is replayed.
            self._gated = set(self.fresh)
            self._backfill_task = hass.async_create_background_task(
                self._async_initial_backfill(set(self.fresh)),
                f"{DOMAIN} initial backfill {self.title}",
            )
        restored = {
            key
            for key, vehicle in self.vehicles.items()
            if key not in self._gated and vehicle.ledger.now > -math.inf
        }
        if restored and self.tuning.catch_up is not None and recorder_loaded(hass):
            # A snapshot is up to `snapshot_every` old (a crash loses what came
            # after it): those states are in the recorder, fed before live ones.
            self._gated |= restored
            self._catching_up = set(restored)
            self._catch_up_task = hass.async_create_background_task(
                self._async_catch_up(restored),
                f"{DOMAIN} catch-up {self.title}",
            )
        gated, held = self._gated, self._held

        @callback
        def _feed(entity_id: str, state: State | None) -> None:
            for source, handler in routes[entity_id]:
                if source in gated:
                    held.append((source, entity_id, handler, state))
                else:
                    handler(state)

        # Current states first (restored ledgers skip what they have seen).
        for entity_id, handlers in self._current_routes().items():
            state = hass.states.get(entity_id)
            for source, handler in handlers:
                if source in gated:
                    held.append((source, entity_id, handler, state))
                else:
                    handler(state)

        @callback
        def _on_change(event: Event[EventStateChangedData]) -> None:
            _feed(event.data["entity_id"], event.data["new_state"])

        # An unchanged state written again (a polled car reporting the same plug
        # state) is news that the car is online: vehicles hear it as a reading.
        reports: dict[str, list[tuple[str, Callable[[State], None]]]] = {}
        for vehicle in self.vehicles.values():
            for entity_id, role in vehicle.by_entity.items():
                reports.setdefault(entity_id, []).append(
                    (
                        vehicle.subentry_id,
                        functools.partial(vehicle.async_on_report, role),
                    )
                )

        @callback
        def _on_report(event: Event[EventStateReportedData]) -> None:
            # Optional before Home Assistant 2025.x typed it as always set.
            state: State | None = event.data["new_state"]
            if state is None:
                return
            for source, handler in reports[event.data["entity_id"]]:
                if source not in gated:  # a backfilling source hears it later
                    handler(state)

        if reports:
            self._unsubs.append(
                async_track_state_report_event(hass, list(reports), _on_report)
            )

        if routes:
            self._unsubs.append(
                async_track_state_change_event(hass, list(routes), _on_change)
            )
        # On the minute, as the replay ticks (backfill, recompute): the same states
        # give the same records whenever Home Assistant started.
        self._unsubs.append(
            async_track_utc_time_change(hass, self._async_tick, second=0)
        )
        self._check_entities()

    def _current_routes(
        self,
    ) -> dict[str, list[tuple[str, Callable[[State | None], None]]]]:
        """Who takes each mapped entity's current state at start, and how."""
        current: dict[str, list[tuple[str, Callable[[State | None], None]]]] = {}
        for vehicle in self.vehicles.values():
            for entity_id, role in vehicle.by_entity.items():
                current.setdefault(entity_id, []).append(
                    (
                        vehicle.subentry_id,
                        functools.partial(vehicle.async_on_current_state, role),
                    )
                )
        for site in self.sites.values():
            for entity_id, role in site.by_entity.items():
                current.setdefault(entity_id, []).append(
                    (
                        site.subentry_id,
                        functools.partial(site.async_on_current_state, role),
                    )
                )
        return current

    @callback
    def _async_on_price(self, entity_id: str, state: State | None) -> None:
        if state is None:
            return
        price = state_price(state)
        if isinstance(price, Reject):
            _LOGGER.debug("Ignoring price %r of %s", state.state, entity_id)
            return
        if self.prices.series(entity_id).add(state.last_updated_timestamp, price):
            self._revision += 1

    @callback
    def _async_tick(self, now: datetime) -> None:
        # Home Assistant fires a fraction of a second past the minute (a random
        # microsecond per listener); the ledgers tick at the minute itself.
        now = now.replace(second=0, microsecond=0)
        gated = self._gated
        for key, vehicle in self.vehicles.items():
            if key not in gated:
                vehicle.async_tick(now)
        for key, site in self.sites.items():
            if key not in gated:
                site.async_tick(now)
        self.prices.prune(self._prices_needed_from(now.timestamp()))
        self._check_database(now)
        self._check_entities()
        if self._snapshot_due is None or now >= self._snapshot_due:
            self._snapshot_due = now + self.tuning.snapshot_every
            self._async_save_snapshot()

    def _prices_needed_from(self, now: float) -> float:
        """The oldest time a price may still be needed at.

        A week back (a recompute uses the live prices), or the start of the oldest
        open session if that is earlier: it is priced when it completes.
        """
        oldest = now - PRICES_KEPT_S
        for vehicle in self.vehicles.values():
            session = vehicle.ledger.session
            if session is not None:
                start = session.started_at
                if session.plugged_at is not None:
                    start = min(start, session.plugged_at)
                oldest = min(oldest, start)
        return oldest

    # Backfill ----------------------------------------------------------------------

    async def async_backfill(
        self,
        *,
        vehicle_ids: list[str],
        site_ids: list[str],
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Backfill:
        """Backfill sources over [start, end) (default: all the recorder keeps).

        One backfill at a time per ledger; returns the finished run (its `replay`
        holds the ledgers as they are at `end`).
        """
        async with self.backfill_lock:
            end = end or dt_util.utcnow()
            start = start or default_start(self.hass, end)
            run = Backfill(
                self.hass,
                self,
                vehicle_ids=vehicle_ids,
                site_ids=site_ids,
                start=start,
                end=end,
            )
            self.backfill, self.backfill_run = run.result, run
            try:
                await run.async_run()
            finally:
                self.backfill_run = None
                self._backfill_done.set()
                self._backfill_done = asyncio.Event()
            _LOGGER.info("Backfilled %s: %s", self.title, run.result.as_dict())
            return run

    async def async_cancel_backfill(self, timeout_s: float = 60.0) -> Backfill | None:
        """Stop the backfill under way after its current chunk; None if none runs.

        Waits (at most `timeout_s`) until it has stopped: what it wrote stays.
        """
        run = self.backfill_run
        if run is None:
            return None
        done = self._backfill_done
        run.cancel()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await done.wait()
        return run

    async def _async_initial_backfill(self, fresh: set[str]) -> None:
        """Backfill new sources, then let their backfilled ledgers record live."""
        run: Backfill | None = None
        try:
            run = await self.async_backfill(
                vehicle_ids=[k for k in self.vehicles if k in fresh],
                site_ids=[k for k in self.sites if k in fresh],
            )
        except asyncio.CancelledError:
            raise
        except Exception:
            _LOGGER.exception(
                "The history of %s could not be backfilled; recording live only",
                self.title,
            )
        finally:
            if not self._stopped:
                # Cancelled by the user: what was written stays, and the sources
                # record live from now on (new records only).
                if run is not None and not run.result.cancelled:
                    self._hand_off(run)
                self._release(fresh, run.replay.last_seen if run is not None else {})
                # Saved at once: a crash before the first tick would otherwise find
                # them new again (a session completed by a new backfill is stored,
                # not announced).
                self._async_save_snapshot()
            # Stopped (unload, shutdown): the sources stay gated, so the snapshot
            # saves them as new and the next start backfills them again (what this
            # run wrote is skipped as stored).

    async def _async_catch_up(self, sources: set[str]) -> None:
        """Feed restored vehicles the recorder's states since their snapshot.

        The snapshot is saved every few minutes; a crash (kill -9, power loss) loses
        what the ledgers took after it. Those states are in the recorder: fed again in
        order, with the minute ticks between them, the ledgers end where they would
        have been. Records completed again are stored again (the same ids) and are
        counted and announced once (`VehicleRuntime._first_time`).
        """
        hass = self.hass
        seen: dict[str, float] = {}
        try:
            vehicles = [self.vehicles[key] for key in sources]
            end = dt_util.utcnow()
            since = min(vehicle.ledger.now for vehicle in vehicles)
            assert self.tuning.catch_up is not None
            start = max(
                datetime.fromtimestamp(since - 1.0, UTC), end - self.tuning.catch_up
            )
            if start < end:
                recorder = get_instance(hass)
                # Not waiting for the recorder's queue: what a crash cut short was
                # committed by the process that died (or is lost to it too); its
                # queue now holds this life's states, which arrive live. (Waiting,
                # on a busy start, held every live state back for seconds.)
                # Only the states recorded after `start` (first=False): the history
                # API's state "in effect at the start" carries the start as its
                # time, and an old "charging" fed at that time opened a session.
                entity_ids = sorted({e for v in vehicles for e in v.by_entity})
                chunk = await recorder.async_add_executor_job(
                    functools.partial(
                        read_chunk, hass, entity_ids, start, end, first=False
                    )
                )
                self._feed_history(vehicles, chunk, since, end.timestamp(), seen)
        except asyncio.CancelledError:
            raise
        except Exception:
            _LOGGER.exception(
                "The states since the last snapshot of %s could not be read;"
                " continuing from the current states",
                self.title,
            )
        finally:
            self._catching_up = set()
            if not self._stopped:
                self._release(sources, seen)

    @callback
    def _feed_history(
        self,
        vehicles: list[VehicleRuntime],
        chunk: list[tuple[float, str, State]],
        since: float,
        end: float,
        seen: dict[str, float],
    ) -> None:
        """Feed recorded states in order, ticking on each minute until `end`."""
        tick = (math.floor(since / 60.0) + 1) * 60.0
        restored = [vehicle.ledger.now for vehicle in vehicles]

        def tick_until(ts: float) -> float:
            nonlocal tick
            while tick <= ts:
                moment = datetime.fromtimestamp(tick, UTC)
                for vehicle in vehicles:
                    vehicle.async_tick(moment)
                tick += 60.0
            return tick

        fed = 0
        for ts, entity_id, state in chunk:
            tick_until(ts)
            for vehicle, restored_at in zip(vehicles, restored, strict=True):
                role = vehicle.by_entity.get(entity_id)
                if role is None:
                    continue
                if ts > restored_at:
                    # News to the restored ledger (even at the time of a tick's
                    # re-report of the same role: a power falling to 0 at T+60).
                    vehicle.async_on_state(role, state)
                else:
                    vehicle.async_on_current_state(role, state)
            seen[entity_id] = max(seen.get(entity_id, -math.inf), ts)
            fed += 1
        # The minutes since, as live ticked them (a held power counts on).
        tick_until(end)
        _LOGGER.debug("Fed %s states since the last snapshot of %s", fed, self.title)

    @callback
    def _hand_off(self, run: Backfill) -> None:
        """The backfilled ledgers continue live (an open session stays one)."""
        replay = run.replay
        self._revision += 1
        # Prices the history showed (an open session may need them when it ends).
        self.prices.merge(replay.prices)
        for key, shadow in replay.vehicles.items():
            vehicle = self.vehicles[key]
            shadow.ledger.settle = vehicle.ledger.settle
            vehicle.ledger = shadow.ledger
            vehicle.status = shadow.ledger.charge_status
        for key in run.result.sites:
            site = self.sites[key]
            site.ledger = replay.sites[key].ledger
            if self.settle is not None:
                self.settle.sites[site.settings.config.zone] = (
                    site.ledger,
                    site.settings.policy,
                )

    @callback
    def _release(self, sources: set[str], seen: Mapping[str, float]) -> None:
        """Feed the held-back live states (those already fed, by `seen`, skipped)."""
        self._gated -= sources
        self._revision += 1  # they are in the snapshot from now on
        keep: list[tuple[str, str, Callable[[State | None], None], State | None]] = []
        for item in self._held:
            source, entity_id, handler, state = item
            if source not in sources:
                keep.append(item)
                continue
            if state is not None and state.last_updated_timestamp <= seen.get(
                entity_id, -1.0
            ):
                continue
            handler(state)
        self._held[:] = keep
        for key in sources:
            runtime = self.vehicles.get(key) or self.sites.get(key)
            if runtime is not None:
                runtime.async_notify()

    # Repairs -----------------------------------------------------------------------

    @callback
    def _check_database(self, now: datetime) -> None:
        health = self.writer.health()
        if health.state is WriterState.DISCONNECTED and health.auth_failed:
            # The password changed on the server: ask for the new one (a repair and
            # the reauth flow) while the journal keeps every record. Not an outage.
            if not self.reauth_started:
                self.reauth_started = True
                _LOGGER.warning(
                    "EV Ledger: the database refused the password; journaling until "
                    "it is entered again (Settings → Repairs)"
                )
                entry = self.hass.config_entries.async_get_entry(self.entry_id)
                if entry is not None:
                    entry.async_start_reauth(self.hass)
            return
        if health.state is WriterState.DISCONNECTED and health.damaged:
            # Waiting does not mend a damaged file: said at once, not as an outage.
            if not self.db_damaged:
                self.db_damaged = True
                _LOGGER.error(
                    "EV Ledger: the database file %s is damaged (%s); journaling "
                    "until it is restored from a backup (Settings → Repairs)",
                    self.db_config.describe(),
                    health.last_error,
                )
                issues.async_db_damaged(
                    self.hass,
                    self.entry_id,
                    self.title,
                    self.db_config.describe(),
                    health.last_error or "-",
                )
            return
        if health.state is WriterState.DISCONNECTED and health.disk_full:
            # Nor does waiting free a disk: said at once, with what to do.
            if not self.db_full:
                self.db_full = True
                _LOGGER.error(
                    "EV Ledger: the disk of the database %s is full (%s); journaling "
                    "until space is freed (Settings → Repairs)",
                    self.db_config.describe(),
                    health.last_error,
                )
                issues.async_db_full(
                    self.hass,
                    self.entry_id,
                    self.title,
                    self.db_config.describe(),
                    health.journaled + health.pending,
                )
            return
        if health.state is WriterState.DISCONNECTED:
            if self.db_down_since is None:
                # Counted from the writer's first failure, not from this tick; and
                # checked again right when the documented time is up.
                self.db_down_since = health.down_since or now
                due = self.db_down_since + self.tuning.db_unreachable_after - now
                if due > timedelta(0):
                    self._unsubs.append(
                        async_call_later(
                            self.hass, due, HassJob(self._check_database_later)
                        )
                    )
            if now - self.db_down_since >= self.tuning.db_unreachable_after:
                issues.async_db_unreachable(
                    self.hass,
                    self.entry_id,
                    self.title,
                    health.journaled + health.pending,
                    health.last_error,
                )
        elif health.state is WriterState.CONNECTED:
            self.reauth_started = False
            if self.db_down_since is not None:
                issues.async_clear_db_unreachable(self.hass, self.entry_id)
            self.db_down_since = None
            if self.db_damaged:
                self.db_damaged = False
                issues.async_clear_db_damaged(self.hass, self.entry_id)
            if self.db_full:
                self.db_full = False
                issues.async_clear_db_full(self.hass, self.entry_id)

    @callback
    def _check_database_later(self, now: datetime) -> None:
        if not self._stopped:
            self._check_database(now)

    @callback
    def _check_entities(self) -> None:
        registry = er.async_get(self.hass)
        missing: set[str] = set()
        sources: list[VehicleRuntime | SiteRuntime] = [
            *self.vehicles.values(),
            *self.sites.values(),
        ]
        for source in sources:
            for role, entity_id in source.roles.items():
                if (
                    registry.async_get(entity_id) is None
                    and self.hass.states.get(entity_id) is None
                ):
                    issue_id = issues.missing_entity_issue_id(
                        self.entry_id, source.subentry_id, role.value
                    )
                    missing.add(issue_id)
                    issues.async_missing_entity(
                        self.hass,
                        issue_id,
                        name=source.name,
                        role=role.value,
                        entity_id=entity_id,
                    )
        for issue_id in self.missing_issues - missing:
            issues.async_delete(self.hass, issue_id)
        self.missing_issues = missing
        self._check_signs()

    def _check_signs(self) -> None:
        """A car whose charging power is reported below zero: say how to fix it.

        Shown once its ledger refused a few such readings while charging; removed
        when the vehicle's settings say charging is reported negative.
        """
        for vehicle in self.vehicles.values():
            ledger = vehicle.ledger
            issue_id = issues.charging_negative_issue_id(
                self.entry_id, vehicle.subentry_id
            )
            if ledger.config.charging_negative:
                # Also one raised before the last reload (a no-op once gone).
                self.sign_issues.discard(issue_id)
                issues.async_delete(self.hass, issue_id)
            elif (
                ledger.negative_charging >= issues.NEGATIVE_CHARGING_READINGS
                and issue_id not in self.sign_issues
            ):
                self.sign_issues.add(issue_id)
                issues.async_charging_negative(
                    self.hass,
                    issue_id,
                    name=vehicle.name,
                    entity_id=vehicle.roles.get(Role.CHARGER_POWER, ""),
                )

    # Snapshot and shutdown ---------------------------------------------------------

    @callback
    def async_save_snapshot_soon(self) -> None:
        """Save the snapshot now (a record was counted), unless stopped."""
        if not self._stopped:
            self._async_save_snapshot()

    def _async_save_snapshot(self) -> None:
        """Hand the store a copy of the snapshot taken now, if anything changed.

        The copy is the snapshot's JSON: immutable, so the store can write it in a
        worker thread while the ledgers go on changing here (building it there,
        from the live ledgers, failed with "dictionary changed size during
        iteration"). The store writes it as it is (`_stored`), compact.
        """
        revision = self._revisions()
        if revision == self._saved_revision:
            return
        self._saved_revision = revision
        data = snapshot_json(self.snapshot())
        if data == self._saved:
            return
        self._saved = data
        self.store.async_delay_save(functools.partial(_stored, data))

    def _revisions(self) -> int:
        """A number that grows whenever the snapshot may have changed."""
        sources: list[VehicleRuntime | SiteRuntime] = [
            *self.vehicles.values(),
            *self.sites.values(),
        ]
        return self._revision + sum(source.revision for source in sources)

    @callback
    def snapshot(self) -> dict[str, Any]:
        """The whole in-progress state, JSON-safe."""
        # A source still being backfilled is saved as new: backfilled again next time
        # (one catching up is saved as it was restored).
        gated = self._gated - self._catching_up
        return {
            "vehicles": {
                k: v.snapshot() for k, v in self.vehicles.items() if k not in gated
            },
            "sites": {k: s.snapshot() for k, s in self.sites.items() if k not in gated},
            "prices": self.prices.to_dict(),
        }

    async def _async_on_stop(self, _event: Event) -> None:
        # The listener is spent once it fired: do not remove it again.
        self._stop_unsub = None
        await self.async_shutdown()

    async def async_shutdown(self) -> None:
        """Save the snapshot, flush and stop the writer (bounded in time)."""
        if self._stopped:
            return
        self._stopped = True
        while self._unsubs:
            self._unsubs.pop()()
        if self._price_unsub is not None:
            self._price_unsub()
            self._price_unsub = None
        if self._stop_unsub is not None:
            self._stop_unsub()
            self._stop_unsub = None
        # A backfill stops after its chunk (what it wrote stays); the initial one
        # is cancelled outright if it does not stop in time.
        await self.async_cancel_backfill(self.tuning.writer_stop_timeout_s)
        for task in (self._backfill_task, self._catch_up_task):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for issue_id in self.missing_issues:
            issues.async_delete(self.hass, issue_id)
        self.samples.flush()
        # Awaited: the next set-up (a reload) reads the file at once.
        await self.store.async_save(_stored(snapshot_json(self.snapshot())))
        hass = self.hass
        if not await hass.async_add_executor_job(
            self.writer.stop, self.tuning.writer_stop_timeout_s
        ):
            _LOGGER.warning("The EV Ledger writer did not stop in time")
        await hass.async_add_executor_job(self.reader.close)

    async def async_flush(self) -> None:
        """Wait until everything enqueued so far is durable (services, tests)."""
        self.samples.flush()
        await asyncio.wrap_future(self.writer.flush())


def _json_field(value: Any) -> Any:
    """A snapshot part stored as a compact JSON string (or, before, as data)."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):  # else unusable: a warning, afresh
            return json_loads(value)
    return value


def snapshot_json(snapshot: dict[str, Any]) -> bytes:
    """A snapshot as compact JSON; minute series already JSON go in as they are.

    The ledgers keep the text of settled minutes (`logic.series`), so a snapshot of
    a 48-hour session or of a site's three days costs the new minutes only.
    """
    return orjson.dumps(
        snapshot,
        option=orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_SUBCLASS,
        default=_snapshot_default,
    )


def _snapshot_default(value: Any) -> Any:
    # Subclasses of built-in types come here (OPT_PASSTHROUGH_SUBCLASS): JsonText
    # is embedded, the others (a Counter, say) are written as their base type.
    if isinstance(value, JsonText):
        return json_fragment(str(value))
    for base in (str, int, float, dict, list):
        if isinstance(value, base):
            return base(value)
    return json_encoder_default(value)


def _stored(data: bytes) -> dict[str, Any]:
    """A snapshot's JSON for the store, which writes it as it is (no re-encoding)."""
    return cast("dict[str, Any]", json_fragment(data))


def _loaded(data: Any) -> dict[str, Any]:
    """The snapshot the store gave back: data, or a `_stored` one not yet written."""
    if isinstance(data, orjson.Fragment):
        data = json_loads(orjson.dumps(data))
    return data if isinstance(data, dict) else {}


def _restore[T](
    restore: Callable[[dict[str, Any]], T], data: dict[str, Any] | None, name: str
) -> T | None:
    """A ledger from its snapshot, or None (a fresh start) if it cannot be read."""
    if not data:
        return None
    try:
        return restore(data)
    except (ValueError, KeyError, TypeError) as err:
        _LOGGER.warning("Starting %s afresh, its snapshot is unusable: %s", name, err)
        return None


def _vehicle_ledger(
    config: VehicleConfig, settle: builders.ZoneSettlement, data: dict[str, Any]
) -> VehicleLedger:
    return VehicleLedger.from_dict(config, data, settle)


def _register_vehicle(
    writer: Writer, subentry: ConfigSubentry, capacity: float | None
) -> None:
    vin = subentry.data.get(CONF_VIN) or None
    usable = Decimal(repr(capacity)) if capacity else None
    try:
        writer.enqueue_vehicle(
            subentry.subentry_id,
            name=subentry.title,
            vin=vin,
            usable_capacity_kwh=usable,
        )
    except InvalidVin:
        _LOGGER.warning("Ignoring the malformed VIN of %s", subentry.title)
        writer.enqueue_vehicle(
            subentry.subentry_id, name=subentry.title, usable_capacity_kwh=usable
        )
