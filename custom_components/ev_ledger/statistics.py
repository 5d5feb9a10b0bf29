"""Long-term statistics: each vehicle's hourly energy, cost and solar energy.

Published as external statistics of the recorder, one set per vehicle:

- `ev_ledger:<vehicle>_energy_charged` (kWh),
- `ev_ledger:<vehicle>_charging_cost` (Home Assistant's currency; a session in another
  currency goes to `ev_ledger:<vehicle>_charging_cost_<currency>`),
- `ev_ledger:<vehicle>_solar_energy` (kWh; only for sessions with a solar split),

with an hourly `state` (what the hour added) and a running `sum`.

Re-publishing is safe. What each session contributed to each hour is kept per vehicle
(`Contributions`), keyed by session id: publishing a session again replaces its
contribution instead of adding to it. The hours a batch touches are then rewritten with
the sum of all known contributions, and the running sum is rebuilt from the sum stored
just before the earliest touched hour, through every later stored hour: one
`async_add_external_statistics` call per statistic and batch, however many sessions
and hours it holds. Rows are written through the recorder's queue; the call returns
once they are in the database.

Forgetting sessions (`async_forget_sessions`, when a recompute removes them) drops their
contributions and rewrites their hours the same way; an hour left without any holds 0
(the recorder cannot delete single rows).

The contributions survive a restart: they are kept in one `Store` (`ev_ledger.statistics`,
see `_VehicleHours.to_json` for the format), read once per vehicle, under its lock,
before its first publish, and saved (delayed; Home Assistant writes a pending save when
it stops) after each publish. An unreadable document is logged and replaced.

The ledger is followed (`async_follow_ledger`, after a correction or a deletion): a
known session that was deleted is forgotten, and one whose cost was corrected has its
cost hours rewritten with the new cost, spread like its energy (as a manual cost is).
Its hours change in place and every later sum moves with them: no hour shows a
negative change, as lowering a running total at the time of the correction would.

Only contributions within `RETAIN_S` of the vehicle's newest hour or of the last batch
are kept. An older session is no longer known: publishing it again rewrites its hours
with what is known (itself, and any session of the same batch), and forgetting it
leaves its hours as they are (which hours they were is not known); the caller is told.

Only while the recorder is loaded: without it nothing is published.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
import logging
from typing import TYPE_CHECKING, Any, Final, cast

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_last_statistics,
    statistics_during_period,
    valid_statistic_id,
)
from homeassistant.const import UnitOfEnergy
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.storage import Store
from homeassistant.util import slugify
from homeassistant.util.hass_dict import HassKey
from homeassistant.util.unit_conversion import EnergyConverter
from sqlalchemy.exc import SQLAlchemyError

from .compat import STATISTICS_UNIT_CLASS
from .const import DOMAIN, SUBENTRY_VEHICLE
from .logic.hourly import (
    Contributions,
    apportion,
    hour_start,
    running_sums,
    session_hours,
)
from .logic.model import ChargingSession, SessionStatus

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Mapping

    from .vehicle_runtime import VehicleRuntime

_LOGGER = logging.getLogger(__name__)

RECORDER: Final = "recorder"
ENERGY_CHARGED: Final = "energy_charged"
CHARGING_COST: Final = "charging_cost"
SOLAR_ENERGY: Final = "solar_energy"
# Contributions kept per vehicle: two days around the newest hour and the last batch
# (a later session may share an hour with one published before it).
RETAIN_S: Final = 2 * 86400
STORAGE_KEY: Final = f"{DOMAIN}.statistics"
STORAGE_VERSION: Final = 1
# Seconds between a publish and the save of its contributions (saves coalesce).
SAVE_DELAY: Final = 10

_DATA: HassKey[_Published] = HassKey(f"{DOMAIN}_statistics")


@dataclass(slots=True)
class _VehicleHours:
    """One vehicle's contributions and the metadata of its statistics."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Whether the stored contributions have been read (under `lock`).
    loaded: bool = False
    ledger: Contributions = field(default_factory=Contributions)
    metadata: dict[str, StatisticMetaData] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The vehicle's part of the stored document.

        `{"statistics": {statistic id: {"name": str, "unit": str}},
          "sessions": {session id: {"last_hour": int,
                                    "hours": {statistic id: {hour: amount}}}}}`

        with hours as epoch seconds in text and amounts as decimal text.
        """
        used = self.ledger.statistic_ids()
        return {
            "statistics": {
                statistic_id: {
                    "name": meta["name"],
                    "unit": meta["unit_of_measurement"],
                }
                for statistic_id, meta in sorted(self.metadata.items())
                if statistic_id in used
            },
            "sessions": self.ledger.to_json(),
        }

    def restore(self, raw: object) -> None:
        """Take the contributions of `to_json`'s output (TypeError, ValueError)."""
        if not isinstance(raw, dict):
            raise TypeError("not a mapping")
        ledger = Contributions.from_json(raw.get("sessions"))
        described = raw.get("statistics")
        if not isinstance(described, dict):
            raise TypeError("statistics: not a mapping")
        metadata: dict[str, StatisticMetaData] = {}
        for statistic_id, meta in described.items():
            if not (
                isinstance(meta, dict)
                and isinstance(meta.get("name"), str)
                and isinstance(meta.get("unit"), str)
            ):
                raise TypeError(f"{statistic_id}: no name and unit")
            metadata[statistic_id] = _metadata(statistic_id, meta["name"], meta["unit"])
        if missing := ledger.statistic_ids() - metadata.keys():
            raise ValueError(f"no metadata for {sorted(missing)}")
        self.ledger = ledger
        self.metadata = metadata


@dataclass(slots=True)
class _Published:
    """The contributions of every vehicle and the store they are kept in."""

    store: Store[dict[str, Any]]
    vehicles: dict[str, _VehicleHours] = field(default_factory=dict)
    # The stored document once read (vehicle subentry id -> its part); the parts of
    # vehicles not read yet are saved back as they were.
    document: dict[str, Any] | None = None

    async def async_vehicle(self, vehicle: VehicleRuntime) -> _VehicleHours:
        """The vehicle's contributions, read from the store on first use.

        Call with the vehicle's lock held.
        """
        state = self.vehicles[vehicle.subentry_id]
        if state.loaded:
            return state
        document = await self.async_document()
        if (raw := document.get(vehicle.subentry_id)) is not None:
            try:
                state.restore(raw)
            except (TypeError, ValueError) as err:
                _LOGGER.warning(
                    "Stored statistics of %s are unreadable, starting without them: %s",
                    vehicle.name,
                    err,
                )
        state.loaded = True
        return state

    async def async_document(self) -> dict[str, Any]:
        if self.document is None:
            try:
                loaded: object = await self.store.async_load()
            except (
                HomeAssistantError,
                NotImplementedError,  # a newer version
                LookupError,
                TypeError,
                ValueError,
            ) as err:
                _LOGGER.warning(
                    "%s is unreadable, starting empty: %r", STORAGE_KEY, err
                )
                loaded = None
            if loaded is not None and not isinstance(loaded, dict):
                _LOGGER.warning("%s is not a mapping, starting empty", STORAGE_KEY)
                loaded = None
            # Vehicles reading at once share the store's one read: the same document.
            self.document = loaded or {}
        return self.document

    @callback
    def async_schedule_save(self) -> None:
        """Save every vehicle's contributions soon (a snapshot taken now)."""
        document = {
            **(self.document or {}),
            **{
                subentry_id: state.to_json()
                for subentry_id, state in self.vehicles.items()
                if state.loaded
            },
        }
        # A snapshot taken in the loop: the store calls `data_func` in a worker thread.
        self.store.async_delay_save(lambda: document, SAVE_DELAY)


def _all_published(hass: HomeAssistant) -> _Published:
    """The contributions of every vehicle (the store not read yet)."""
    published = hass.data.get(_DATA)
    if published is None:
        published = hass.data[_DATA] = _Published(
            Store(hass, STORAGE_VERSION, STORAGE_KEY)
        )
    return published


def _published(hass: HomeAssistant, vehicle: VehicleRuntime) -> _Published:
    """The contributions of every vehicle, with an entry for `vehicle`."""
    published = _all_published(hass)
    published.vehicles.setdefault(vehicle.subentry_id, _VehicleHours())
    return published


async def async_prune(hass: HomeAssistant) -> None:
    """Forget the contributions of vehicles that no entry has any more.

    Called when an entry is set up (a vehicle subentry may have been deleted) and
    when one is removed. Only the store's bookkeeping goes: the `ev_ledger:`
    statistics stay in the recorder, like the ledger itself. A store left without
    vehicles is deleted.
    """
    known = {
        subentry_id
        for entry in hass.config_entries.async_entries(DOMAIN)
        for subentry_id, subentry in entry.subentries.items()
        if subentry.subentry_type == SUBENTRY_VEHICLE
    }
    published = _all_published(hass)
    document = await published.async_document()
    gone = (document.keys() | published.vehicles.keys()) - known
    for subentry_id in gone:
        document.pop(subentry_id, None)
        published.vehicles.pop(subentry_id, None)
    if not gone:
        return
    _LOGGER.debug("Statistics bookkeeping of removed vehicles dropped: %s", gone)
    if document or published.vehicles:
        published.async_schedule_save()
    else:
        await published.store.async_remove()


def vehicle_slug(vehicle: VehicleRuntime) -> str:
    """The vehicle's part of its statistic ids: its name, else its subentry id."""
    slug = slugify(vehicle.name)
    if slug and valid_statistic_id(f"{DOMAIN}:{slug}_{ENERGY_CHARGED}"):
        return slug
    return slugify(vehicle.subentry_id)


UNIT_CLASSES: Final = dict.fromkeys(
    EnergyConverter.VALID_UNITS, EnergyConverter.UNIT_CLASS
)


def _metadata(statistic_id: str, name: str, unit: str) -> StatisticMetaData:
    metadata: dict[str, Any] = {
        "mean_type": StatisticMeanType.NONE,
        "has_sum": True,
        "name": name,
        "source": DOMAIN,
        "statistic_id": statistic_id,
        "unit_of_measurement": unit,
    }
    if STATISTICS_UNIT_CLASS:
        # A currency has no unit class: its statistics are never converted.
        metadata["unit_class"] = UNIT_CLASSES.get(unit)
    return cast("StatisticMetaData", metadata)


def _contributions(
    vehicle: VehicleRuntime,
    session: ChargingSession,
    meta: dict[str, StatisticMetaData],
) -> dict[str, dict[int, Decimal]]:
    """A session's hourly amounts per statistic id (metadata added to `meta`)."""
    slug = vehicle_slug(vehicle)
    hours = session_hours(session)
    energy_id = f"{DOMAIN}:{slug}_{ENERGY_CHARGED}"
    meta[energy_id] = _metadata(
        energy_id, f"{vehicle.name} energy charged", UnitOfEnergy.KILO_WATT_HOUR
    )
    out = {energy_id: hours.energy_kwh}
    if hours.currency is not None:
        out[_cost_statistic(vehicle, hours.currency, meta)] = hours.cost
    if hours.solar_kwh is not None:
        solar_id = f"{DOMAIN}:{slug}_{SOLAR_ENERGY}"
        meta[solar_id] = _metadata(
            solar_id, f"{vehicle.name} solar energy", UnitOfEnergy.KILO_WATT_HOUR
        )
        out[solar_id] = hours.solar_kwh
    return out


def _cost_statistic(
    vehicle: VehicleRuntime, currency: str, meta: dict[str, StatisticMetaData]
) -> str:
    """The id of the vehicle's cost statistic in `currency` (metadata added)."""
    cost_id = f"{DOMAIN}:{vehicle_slug(vehicle)}_{CHARGING_COST}"
    name = f"{vehicle.name} charging cost"
    if currency != vehicle.currency:
        cost_id = f"{cost_id}_{slugify(currency)}"
        name = f"{name} ({currency})"
    meta[cost_id] = _metadata(cost_id, name, currency)
    return cost_id


def _stored_from(
    hass: HomeAssistant, statistic_id: str, first: datetime
) -> tuple[Decimal, dict[int, Decimal]]:
    """The sum before `first` and the states of the stored hours from it (executor)."""
    rows = statistics_during_period(
        hass, first, None, {statistic_id}, "hour", None, {"state", "sum"}
    ).get(statistic_id, [])
    states = {int(row["start"]): _decimal(row.get("state")) for row in rows}
    if rows:
        base = _decimal(rows[0].get("sum")) - _decimal(rows[0].get("state"))
    else:
        last = get_last_statistics(hass, 1, statistic_id, False, {"sum"})
        found = last.get(statistic_id) or []
        base = _decimal(found[0].get("sum")) if found else Decimal(0)
    return base, states


def _decimal(value: float | None) -> Decimal:
    return Decimal(0) if value is None else Decimal(repr(value))


async def _async_write(
    hass: HomeAssistant, meta: StatisticMetaData, amounts: Mapping[int, Decimal]
) -> None:
    """Rewrite `amounts`' hours and every later hour's running sum."""
    statistic_id = meta["statistic_id"]
    first = datetime.fromtimestamp(min(amounts), UTC)
    base, stored = await get_instance(hass).async_add_executor_job(
        _stored_from, hass, statistic_id, first
    )
    rows = running_sums(base, {**stored, **amounts})
    async_add_external_statistics(
        hass,
        meta,
        [
            StatisticData(
                start=datetime.fromtimestamp(hour, UTC),
                state=float(state),
                sum=float(total),
            )
            for hour, state, total in rows
        ],
    )


async def _async_rewrite(
    hass: HomeAssistant, state: _VehicleHours, touched: Mapping[str, set[int]]
) -> None:
    """Rewrite the touched hours of each statistic; wait for the database."""
    for statistic_id, hours in sorted(touched.items()):
        await _async_write(
            hass,
            state.metadata[statistic_id],
            state.ledger.amounts(statistic_id, hours),
        )
    await get_instance(hass).async_block_till_done()


async def async_publish_sessions(
    hass: HomeAssistant, vehicle: VehicleRuntime, sessions: Iterable[ChargingSession]
) -> None:
    """Publish (or publish again) completed sessions of a vehicle, in one batch.

    Sessions may come in any order and may have been published before (their
    contributions are replaced); in-progress sessions are skipped. Returns once the
    rows are in the recorder's database. Raises HomeAssistantError or SQLAlchemyError
    if the recorder refuses them (the contributions are kept: the next publish
    sharing their hours writes them again).
    """
    if RECORDER not in hass.config.components:
        return
    done = [s for s in sessions if s.status is not SessionStatus.IN_PROGRESS]
    if not done:
        return
    published = _published(hass, vehicle)
    async with published.vehicles[vehicle.subentry_id].lock:
        state = await published.async_vehicle(vehicle)
        touched: dict[str, set[int]] = {}
        batch_last = 0
        for session in done:
            parts = _contributions(vehicle, session, state.metadata)
            last = max(
                (hour for amounts in parts.values() for hour in amounts),
                default=hour_start(session.started_at),
            )
            state.ledger.put(session.id, parts, last, touched)
            batch_last = max(batch_last, last)
        try:
            await _async_rewrite(hass, state, touched)
        finally:
            state.ledger.prune(RETAIN_S, batch_last)
            published.async_schedule_save()


async def async_forget_sessions(
    hass: HomeAssistant, vehicle: VehicleRuntime, session_ids: Iterable[str]
) -> set[str]:
    """Remove sessions from the statistics (a recompute found them gone).

    Their contributions are dropped and the hours they were in are rewritten with the
    rest (an hour left empty holds 0), every later sum moving with them. Returns once
    the rows are in the recorder's database, with the ids that were not known: never
    published, or pruned (more than `RETAIN_S` before both the newest hour and the
    last batch). Which hours those were in is not known, so whatever they contributed
    stays in the statistics. Without the recorder nothing is published, so nothing is
    forgotten: returns an empty set. Raises as `async_publish_sessions`.
    """
    if RECORDER not in hass.config.components:
        return set()
    published = _published(hass, vehicle)
    async with published.vehicles[vehicle.subentry_id].lock:
        state = await published.async_vehicle(vehicle)
        touched: dict[str, set[int]] = {}
        unknown = {
            session_id
            for session_id in set(session_ids)
            if not state.ledger.remove(session_id, touched)
        }
        if touched:
            try:
                await _async_rewrite(hass, state, touched)
            finally:
                published.async_schedule_save()
    if unknown:
        _LOGGER.debug(
            "Statistics of %s: sessions %s not known, not forgotten",
            vehicle.name,
            sorted(unknown),
        )
    return unknown


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerCost:
    """What the ledger holds now for a session published before."""

    deleted: bool
    # The cost as corrected (the user's override first); None: not priced.
    cost: Decimal | None
    currency: str | None


# Given published session ids with the span of their hours (first, last), the
# ledger's view of those it stores.
type LedgerLookup = Callable[
    [Mapping[str, tuple[int, int]]], Awaitable[Mapping[str, LedgerCost]]
]


async def async_follow_ledger(
    hass: HomeAssistant, vehicle: VehicleRuntime, lookup: LedgerLookup
) -> None:
    """Bring the published statistics in line with corrected and deleted sessions.

    Every session whose contribution is known is looked up in the ledger: a deleted
    one is forgotten, one whose cost differs (a correction) has its cost hours
    rewritten with the new cost, spread over its hours like its energy. The hours
    change in place (no hour shows a negative change) and later sums follow. Sessions
    the ledger does not hold (yet) are left as they are. Raises as
    `async_publish_sessions`.
    """
    if RECORDER not in hass.config.components:
        return
    published = _published(hass, vehicle)
    async with published.vehicles[vehicle.subentry_id].lock:
        if not published.vehicles[vehicle.subentry_id].loaded:
            # Read (and replace) a vehicle's part only to change it: an unreadable
            # part is left for its next publish.
            peek = _VehicleHours()
            try:
                peek.restore(
                    (await published.async_document()).get(vehicle.subentry_id)
                )
            except (TypeError, ValueError):
                return
            if not peek.ledger.sessions:
                return
        state = await published.async_vehicle(vehicle)
        ledger = state.ledger
        if not ledger.sessions:
            return
        spans = {
            session_id: (
                min(
                    (hour for amounts in parts.values() for hour in amounts),
                    default=ledger.last_hour[session_id],
                ),
                ledger.last_hour[session_id],
            )
            for session_id, parts in ledger.sessions.items()
        }
        found = await lookup(spans)
        touched: dict[str, set[int]] = {}
        for session_id, stored in found.items():
            if session_id not in ledger.sessions:
                continue
            if stored.deleted:
                ledger.remove(session_id, touched)
                continue
            last = ledger.last_hour[session_id]
            parts = _with_cost(
                vehicle, state, ledger.sessions[session_id], last, stored
            )
            if parts is not None:
                ledger.put(session_id, parts, last, touched)
        if not touched:
            return
        try:
            await _async_rewrite(hass, state, touched)
        finally:
            published.async_schedule_save()


def _with_cost(
    vehicle: VehicleRuntime,
    state: _VehicleHours,
    parts: dict[str, dict[int, Decimal]],
    last_hour: int,
    stored: LedgerCost,
) -> dict[str, dict[int, Decimal]] | None:
    """A session's contribution with the ledger's cost; None if it has it already."""
    meta = state.metadata
    costs = {
        statistic_id: amounts
        for statistic_id, amounts in parts.items()
        if meta[statistic_id]["unit_of_measurement"] not in UNIT_CLASSES
    }
    currency = stored.currency or vehicle.currency
    known = [
        (meta[statistic_id]["unit_of_measurement"], sum(amounts.values(), Decimal(0)))
        for statistic_id, amounts in costs.items()
    ]
    if known == ([] if stored.cost is None else [(currency, stored.cost)]):
        return None
    out = {k: amounts for k, amounts in parts.items() if k not in costs}
    if stored.cost is not None:
        # Spread as a manual cost is: like the energy, else where the cost was.
        weights = {
            hour: float(kwh)
            for statistic_id, amounts in out.items()
            if statistic_id.endswith(f"_{ENERGY_CHARGED}")
            for hour, kwh in amounts.items()
        }
        if not any(weight > 0 for weight in weights.values()):
            weights = {hour: 1.0 for amounts in costs.values() for hour in amounts}
        out[_cost_statistic(vehicle, currency, meta)] = apportion(
            stored.cost, weights or {last_hour: 1.0}
        )
    return out


@callback
def async_track_sessions(hass: HomeAssistant, vehicle: VehicleRuntime) -> CALLBACK_TYPE:
    """Publish each session of `vehicle` as it completes; return the remover."""

    async def _async_publish(session: ChargingSession) -> None:
        try:
            await async_publish_sessions(hass, vehicle, [session])
        except (HomeAssistantError, SQLAlchemyError) as err:
            _LOGGER.warning(
                "Statistics of %s not published for session %s: %s",
                vehicle.name,
                session.id,
                err,
            )

    @callback
    def _on_session(session: ChargingSession) -> None:
        if RECORDER in hass.config.components:
            hass.async_create_background_task(
                _async_publish(session), f"{DOMAIN} statistics {vehicle.name}"
            )

    return vehicle.async_add_session_listener(_on_session)
