"""Long-term statistics: each vehicle's hourly energy, cost and solar energy.

Published as external statistics of the recorder, one set per vehicle:

- `ev_ledger:<vehicle>_energy_charged` (kWh),
- `ev_ledger:<vehicle>_charging_cost` (Home Assistant's currency; a session in another
  currency goes to `ev_ledger:<vehicle>_charging_cost_<currency>`),
- `ev_ledger:<vehicle>_solar_energy` (kWh; only for sessions with a solar split),

with an hourly `state` (what the hour added) and a running `sum`.

Re-publishing is safe. What each session contributed to each hour is kept per vehicle
(`_VehicleHours`), keyed by session id: publishing a session again replaces its
contribution instead of adding to it. The hours a batch touches are then rewritten with
the sum of all known contributions, and the running sum is rebuilt from the sum stored
just before the earliest touched hour, through every later stored hour. Rows are
written through the recorder's queue; the next publish waits for them.

Only while the recorder is loaded: without it nothing is published.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
import logging
from typing import TYPE_CHECKING, Final

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
from homeassistant.util import slugify
from homeassistant.util.hass_dict import HassKey
from sqlalchemy.exc import SQLAlchemyError

from .const import DOMAIN
from .logic.hourly import HOUR_S, add_hours, running_sums, session_hours
from .logic.model import ChargingSession, SessionStatus

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from .vehicle_runtime import VehicleRuntime

_LOGGER = logging.getLogger(__name__)

RECORDER: Final = "recorder"
ENERGY_CHARGED: Final = "energy_charged"
CHARGING_COST: Final = "charging_cost"
SOLAR_ENERGY: Final = "solar_energy"
# Contributions kept per vehicle: two days around the newest hour and the last batch
# (a later session may share an hour with one published before it).
RETAIN_S: Final = 2 * 86400

_DATA: HassKey[dict[str, _VehicleHours]] = HassKey(f"{DOMAIN}_statistics")
_ZERO = Decimal(0)


@dataclass(slots=True)
class _VehicleHours:
    """What each session of one vehicle contributed to each statistic and hour."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # session id -> statistic id -> hour start (epoch s) -> amount
    sessions: dict[str, dict[str, dict[int, Decimal]]] = field(default_factory=dict)
    last_hour: dict[str, int] = field(default_factory=dict)
    metadata: dict[str, StatisticMetaData] = field(default_factory=dict)

    def amounts(self, statistic_id: str, hours: Iterable[int]) -> dict[int, Decimal]:
        """The total of all known contributions to `statistic_id` in `hours`."""
        total = add_hours(
            parts[statistic_id]
            for parts in self.sessions.values()
            if statistic_id in parts
        )
        return {hour: total.get(hour, _ZERO) for hour in hours}

    def prune(self, batch_last: int) -> None:
        """Forget sessions far from both the newest hour and the last batch."""
        newest = max(self.last_hour.values(), default=batch_last)
        for session_id, last in list(self.last_hour.items()):
            if last < newest - RETAIN_S and not (
                batch_last - RETAIN_S <= last <= batch_last
            ):
                del self.last_hour[session_id]
                del self.sessions[session_id]


def vehicle_slug(vehicle: VehicleRuntime) -> str:
    """The vehicle's part of its statistic ids: its name, else its subentry id."""
    slug = slugify(vehicle.name)
    if slug and valid_statistic_id(f"{DOMAIN}:{slug}_{ENERGY_CHARGED}"):
        return slug
    return slugify(vehicle.subentry_id)


def _metadata(statistic_id: str, name: str, unit: str) -> StatisticMetaData:
    return StatisticMetaData(
        has_mean=False,
        mean_type=StatisticMeanType.NONE,
        has_sum=True,
        name=name,
        source=DOMAIN,
        statistic_id=statistic_id,
        unit_of_measurement=unit,
    )


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
        cost_id = f"{DOMAIN}:{slug}_{CHARGING_COST}"
        name = f"{vehicle.name} charging cost"
        if hours.currency != vehicle.currency:
            cost_id = f"{cost_id}_{slugify(hours.currency)}"
            name = f"{name} ({hours.currency})"
        meta[cost_id] = _metadata(cost_id, name, hours.currency)
        out[cost_id] = hours.cost
    if hours.solar_kwh is not None:
        solar_id = f"{DOMAIN}:{slug}_{SOLAR_ENERGY}"
        meta[solar_id] = _metadata(
            solar_id, f"{vehicle.name} solar energy", UnitOfEnergy.KILO_WATT_HOUR
        )
        out[solar_id] = hours.solar_kwh
    return out


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
        base = _decimal(found[0].get("sum")) if found else _ZERO
    return base, states


def _decimal(value: float | None) -> Decimal:
    return _ZERO if value is None else Decimal(repr(value))


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


async def async_publish_sessions(
    hass: HomeAssistant, vehicle: VehicleRuntime, sessions: Iterable[ChargingSession]
) -> None:
    """Publish (or publish again) completed sessions of a vehicle, in one batch.

    Sessions may come in any order and may have been published before; in-progress
    sessions are skipped. Returns once the rows are in the recorder's database.
    """
    if RECORDER not in hass.config.components:
        return
    done = [s for s in sessions if s.status is not SessionStatus.IN_PROGRESS]
    if not done:
        return
    state = hass.data.setdefault(_DATA, {}).setdefault(
        vehicle.subentry_id, _VehicleHours()
    )
    async with state.lock:
        touched: dict[str, set[int]] = {}
        batch_last = 0
        for session in done:
            new = _contributions(vehicle, session, state.metadata)
            old = state.sessions.get(session.id, {})
            for parts in (old, new):
                for statistic_id, amounts in parts.items():
                    touched.setdefault(statistic_id, set()).update(amounts)
            state.sessions[session.id] = new
            last = max(
                (hour for amounts in new.values() for hour in amounts),
                default=int(session.started_at // HOUR_S) * HOUR_S,
            )
            state.last_hour[session.id] = last
            batch_last = max(batch_last, last)
        # Every contribution has at least one hour (the session's first).
        for statistic_id, hours in sorted(touched.items()):
            await _async_write(
                hass, state.metadata[statistic_id], state.amounts(statistic_id, hours)
            )
        await get_instance(hass).async_block_till_done()
        state.prune(batch_last)


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
