"""Backfill throughput: recorder states per second, read + derive + write.

A recorder is filled with a realistic month of two vehicles and one energy site (what
Home Assistant would have written: a row only when a state or its attributes change):

- a commuter (Model Y, 75 kWh): weekday trips to work, evening charges at home at
  11 kW with a taper, left plugged in overnight; errands and a family visit at weekends;
- a second car (ID.4, 77 kWh): home office three days a week with midday charges on
  the solar, two long client days, a weekly DC fast charge on the way home;
- the home's energy site every 30 s: solar (a bell curve by day, clouds), grid and
  house load (appliances, both cars charging at home); an hourly dynamic price.

Both cars stream while driving and charging (every 30 s), report GPS jitter while
parked and drop out to `unavailable` now and then, as cloud integrations do. The
month ends at the last local midnight (Europe/Berlin); a day of history before it
gives the states at its start.

The fill runs in a child process (its own Home Assistant; states are inserted with
the recorder's own models, not through the state machine, which would take minutes),
so the peak RSS printed is the measured process's only. Then, in one Home Assistant
with the recorder on that database, `--runs` (>= 3) rounds, interleaved; figures are
medians with min..max:

- floor: the recorder's history API alone (`history.get_significant_states`, the
  same entities, 6-hour chunks, arguments and executor as the backfill), states
  counted and nothing else;
- EV Ledger: `runtime.async_backfill` of both vehicles and the site over the month, on
  a new ledger (a new entry with an empty embedded database each run): reading,
  replaying, writing sessions, trips, samples and site days durably, publishing the
  long-term statistics. The runtime's own initial backfill is switched off
  (`Tuning(initial_backfill=False)`) so that only the measured call backfills.

Finally the last ledger is backfilled again over the same month: it must add nothing;
and each vehicle is recomputed over the month from the stored samples with the same
settings: every record must come out unchanged.

Usage: python -m benchmarks.backfill [--days N] [--runs N] [--site-interval S]
       [--seed N]
Targets: >= 10,000 recorder states/s; >= 0.25x the floor's throughput in the same
round (issue 14); a second backfill adds nothing; recompute changes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime, timedelta
from decimal import Decimal
from functools import partial
import gc
import logging
import math
import multiprocessing
from pathlib import Path
import random
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from homeassistant import loader
from homeassistant.components.recorder.db_schema import (
    StateAttributes,
    States,
    StatesMeta,
)
from homeassistant.helpers import recorder as recorder_helper
from homeassistant.helpers.json import json_bytes
from homeassistant.helpers.recorder import get_instance, session_scope
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)
from sqlalchemy import func, insert, select

from benchmarks.report import target
from custom_components.ev_ledger import recompute, runtime as runtime_module
from custom_components.ev_ledger.backfill import CHUNK, read_chunk, read_history
from custom_components.ev_ledger.const import (
    BACKEND_EMBEDDED,
    CONF_BACKEND,
    CONF_CAPACITY,
    CONF_GRID_SIGN,
    CONF_LOAD_INCLUDES_EV,
    CONF_NAME,
    CONF_POLICY,
    CONF_ROLES,
    CONF_TARIFF,
    CONF_ZONE,
    DOMAIN,
    EMBEDDED_FILENAME,
    GRID_IMPORT_POSITIVE,
    JOURNAL_DIRNAME,
    LOCATION_DEFAULT,
    SUBENTRY_ENERGY_SITE,
    SUBENTRY_LOCATION,
    SUBENTRY_VEHICLE,
)
from custom_components.ev_ledger.db import Reader
from custom_components.ev_ledger.logic.model import Role
from custom_components.ev_ledger.logic.tariff import Tariff, TariffKind
from custom_components.ev_ledger.replay import Replay
from custom_components.ev_ledger.runtime import EvLedgerRuntime, Tuning

if TYPE_CHECKING:
    from homeassistant.components.recorder.core import Recorder
    from homeassistant.core import HomeAssistant

TZ_NAME = "Europe/Berlin"
TZ = ZoneInfo(TZ_NAME)
TARGET_RATE = 10_000
# Issue 14: at least a quarter of the recorder's own history read.
TARGET_RATIO = 0.25
DB_FILENAME = "home-assistant_v2.db"
STREAM_S = 30.0  # driving and charging
PARKED_S = 900.0  # GPS jitter while parked

VEHICLE_A = "01JBENCHVEHICLE00000000001"
VEHICLE_B = "01JBENCHVEHICLE00000000002"
SITE = "01JBENCHSITE00000000000001"
HOME_LOCATION = "01JBENCHLOCATION0000000001"
DEFAULT_LOCATION = "01JBENCHLOCATION0000000002"

SOLAR = "sensor.solar_power"
GRID = "sensor.grid_power"
LOAD = "sensor.house_load"
PRICE = "sensor.electricity_price"

HOME = ("home", 52.5200, 13.4050)
WORK = ("work", 52.4800, 13.2100)
SHOP = ("not_home", 52.5300, 13.4300)
FAMILY = ("not_home", 52.7500, 13.2400)
CLIENT = ("not_home", 52.3900, 13.0650)
FAST_CHARGER = ("not_home", 52.4500, 13.1500)
SPORTS = ("not_home", 52.5600, 13.3600)

type Place = tuple[str, float, float]
# What a change of the state machine becomes: ts, entity id, state, attributes (JSON)
type Change = tuple[float, str, str, bytes]
# A row of the recorder's `states`: entity id, state, attributes, updated, changed
type Row = tuple[str, str, bytes, float, float | None]

# The month --------------------------------------------------------------------------


def local(day: date, hour: int, minute: int = 0) -> float:
    """A local wall-clock time of `day`, as a timestamp."""
    return datetime.combine(day, dtime(hour, minute), TZ).timestamp()


def month(days: int) -> tuple[datetime, datetime]:
    """The backfilled range: `days` local days up to the last local midnight."""
    today = datetime.now(TZ).date()
    end = datetime.combine(today, dtime(0), TZ)
    start = datetime.combine(today - timedelta(days=days), dtime(0), TZ)
    return start, end


@dataclass(slots=True)
class Recording:
    """State changes of every entity, turned into recorder rows as HA would."""

    changes: list[Change] = field(default_factory=list)

    def set(self, ts: float, entity_id: str, state: str, attrs: bytes) -> None:
        """One `async_set` of the state machine."""
        self.changes.append((ts, entity_id, state, attrs))

    def rows(self) -> list[Row]:
        """Time-ordered rows; an unchanged state and attributes write no row.

        `last_changed_ts` is NULL when it equals `last_updated_ts` (the recorder's
        `States.from_event`): an attribute-only change keeps the last state change.
        """
        last: dict[str, tuple[str, bytes, float]] = {}
        out: list[Row] = []
        for ts, entity_id, state, attrs in sorted(self.changes, key=lambda c: c[0]):
            before = last.get(entity_id)
            if before is not None and before[0] == state and before[1] == attrs:
                continue
            changed = ts if before is None or before[0] != state else before[2]
            last[entity_id] = (state, attrs, changed)
            out.append(
                (entity_id, state, attrs, ts, None if changed == ts else changed)
            )
        return out


def attributes(**attrs: Any) -> bytes:
    """Shared attributes as the recorder stores them."""
    return json_bytes(attrs)


@dataclass(slots=True)
class Truth:
    """What a car really did (to check what the backfill derived)."""

    # Sessions: plugged in, unplugged, kWh. Trips: departed, arrived, km.
    sessions: list[tuple[float, float, float]] = field(default_factory=list)
    trips: list[tuple[float, float, float]] = field(default_factory=list)
    charged: tuple[float, float] | None = None  # plugged in, kWh (not unplugged yet)

    def within(self, start: float, end: float) -> list[float]:
        """Sessions, kWh, trips and km of the records within [start, end).

        A session still plugged in at `end` is not complete: not counted.
        """
        sessions = [kwh for a, b, kwh in self.sessions if start <= a and b < end]
        trips = [km for a, b, km in self.trips if start <= a and b < end]
        return [len(sessions), sum(sessions), len(trips), sum(trips)]


def car_entities(prefix: str) -> dict[Role, str]:
    """The entities of a car's integration (Teslemetry-like names)."""
    return {
        Role.PLUGGED: f"binary_sensor.{prefix}_charge_cable",
        Role.CHARGING_STATE: f"sensor.{prefix}_charging",
        Role.CHARGER_POWER: f"sensor.{prefix}_charger_power",
        Role.BATTERY_LEVEL: f"sensor.{prefix}_battery_level",
        Role.ODOMETER: f"sensor.{prefix}_odometer",
        Role.SHIFT_STATE: f"sensor.{prefix}_shift_state",
        Role.LOCATION: f"device_tracker.{prefix}_location",
    }


@dataclass(slots=True)
class Car:
    """One vehicle's integration: seven entities, streaming while active."""

    rec: Recording
    rng: random.Random
    prefix: str
    name: str
    capacity: float
    kwh_per_km: float
    level: float
    odometer: float
    place: Place = HOME
    plugged: bool = False
    now: float = 0.0
    truth: Truth = field(default_factory=Truth)
    # Charger power at home over time: (ts, kW) change points, for the site.
    home_kw: list[tuple[float, float]] = field(default_factory=list)
    current: dict[Role, tuple[str, bytes]] = field(default_factory=dict)
    static: dict[Role, bytes] = field(default_factory=dict)
    entities: dict[Role, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """The entities' fixed attributes."""
        name = self.name

        def measurement(unit: str, device_class: str, what: str) -> bytes:
            return attributes(
                state_class="measurement",
                unit_of_measurement=unit,
                device_class=device_class,
                friendly_name=f"{name} {what}",
            )

        self.static = {
            Role.PLUGGED: attributes(
                device_class="plug", friendly_name=f"{name} Cable"
            ),
            Role.CHARGING_STATE: attributes(
                device_class="enum",
                options=["starting", "charging", "stopped", "complete", "disconnected"],
                friendly_name=f"{name} Charging",
            ),
            Role.CHARGER_POWER: measurement("kW", "power", "Charger power"),
            Role.BATTERY_LEVEL: measurement("%", "battery", "Battery level"),
            Role.ODOMETER: attributes(
                state_class="total_increasing",
                unit_of_measurement="km",
                device_class="distance",
                friendly_name=f"{name} Odometer",
            ),
            Role.SHIFT_STATE: attributes(
                device_class="enum",
                options=["p", "d", "r", "n"],
                friendly_name=f"{name} Shift state",
            ),
        }
        self.entities = car_entities(self.prefix)

    def set(self, ts: float, key: Role, state: str, attrs: bytes | None = None) -> None:
        """Set one of the car's entities."""
        value = attrs if attrs is not None else self.static[key]
        self.current[key] = (state, value)
        self.rec.set(ts, self.entities[key], state, value)
        self.now = max(self.now, ts)

    def locate(self, ts: float, zone: str, lat: float, lon: float) -> None:
        """The device tracker: a zone (or not_home) with GPS coordinates."""
        accuracy = self.rng.choice((3, 4, 5, 6, 8))
        self.set(
            ts,
            Role.LOCATION,
            zone,
            attributes(
                source_type="gps",
                latitude=round(lat, 6),
                longitude=round(lon, 6),
                gps_accuracy=accuracy,
                friendly_name=f"{self.name} Location",
            ),
        )

    def battery(self, ts: float) -> None:
        """Report the battery level as the integration does: whole percent."""
        text = str(round(self.level))
        if self.current.get(Role.BATTERY_LEVEL, ("", b""))[0] != text:
            self.set(ts, Role.BATTERY_LEVEL, text)

    def start(self, ts: float) -> None:
        """Every entity's state at the start of the history."""
        self.set(ts, Role.PLUGGED, "off")
        self.set(ts, Role.CHARGING_STATE, "disconnected")
        self.set(ts, Role.CHARGER_POWER, "0.0")
        self.set(ts, Role.BATTERY_LEVEL, str(round(self.level)))
        self.set(ts, Role.ODOMETER, f"{self.odometer:.1f}")
        self.set(ts, Role.SHIFT_STATE, "p")
        self.locate(ts, *self.place)

    def idle_until(self, until: float) -> None:
        """Parked: GPS jitter every ~15 min, and a cloud outage now and then."""
        rng = self.rng
        t = self.now + PARKED_S * rng.uniform(0.5, 1.5)
        while t < until - 120:
            zone, lat, lon = self.place
            self.locate(
                t, zone, lat + rng.gauss(0, 0.00003), lon + rng.gauss(0, 0.00003)
            )
            # About one outage every other day: every entity unavailable for minutes.
            if rng.random() < 1 / 192 and t + 600 < until:
                before = dict(self.current)
                gone = t + rng.uniform(5, 60)
                back = gone + rng.uniform(60, 300)
                for key, (_, attrs) in before.items():
                    self.rec.set(gone, self.entities[key], "unavailable", attrs)
                for key, (state, attrs) in before.items():
                    self.set(back + rng.uniform(0, 3), key, state, attrs)
                t = back + 10
            t += PARKED_S * rng.uniform(0.5, 1.5)

    def drive(self, depart: float, to: Place, km: float, minutes: float) -> float:
        """A trip: shift D, odometer, GPS and battery every 30 s, then P at `to`."""
        rng = self.rng
        depart = max(depart, self.now + 300)
        self.idle_until(depart)
        if self.plugged:
            self.unplug(depart - rng.uniform(60, 240))
        _, lat0, lon0 = self.place
        zone, lat1, lon1 = to
        odometer = round(self.odometer, 1)
        self.set(depart, Role.SHIFT_STATE, "d")
        steps = max(2, round(minutes * 60 / STREAM_S))
        t = depart
        for i in range(1, steps + 1):
            t = depart + i * STREAM_S + rng.uniform(-2, 2)
            share = i / steps
            step_km = km / steps * rng.uniform(0.7, 1.3)
            self.odometer += step_km
            self.level -= step_km * self.kwh_per_km / self.capacity * 100
            self.set(t, Role.ODOMETER, f"{self.odometer:.1f}")
            self.battery(t + 0.4)
            if i < steps:
                self.locate(
                    t + 0.2,
                    "not_home",
                    lat0 + (lat1 - lat0) * share + rng.gauss(0, 0.002),
                    lon0 + (lon1 - lon0) * share + rng.gauss(0, 0.002),
                )
        self.locate(t + 1, zone, lat1, lon1)
        self.set(t + 4, Role.SHIFT_STATE, "p")
        self.place = to
        self.truth.trips.append((depart, t + 4, round(self.odometer, 1) - odometer))
        return t + 4

    def charge(
        self, start: float, target: float, kw: float, *, dc: bool = False
    ) -> float:
        """Plug in and charge to `target` % (taper near it); stays plugged in."""
        rng = self.rng
        start = max(start, self.now + 60)
        self.idle_until(start)
        at_home = self.place[0] == "home"
        self.plugged = True
        self.set(start, Role.PLUGGED, "on")
        self.set(start + 1, Role.CHARGING_STATE, "stopped")
        t = start + rng.uniform(10, 40)
        self.set(t, Role.CHARGING_STATE, "charging")
        energy = 0.0
        while self.level < target:
            # A wallbox tapers over the last 5 %; a DC charger over the whole curve.
            if dc:
                power = kw * max(0.3, 1.0 - max(0.0, self.level - 30) / 70)
            else:
                power = kw * min(1.0, max(0.35, (target - self.level) / 5))
            power *= rng.uniform(0.985, 1.015)
            self.set(t, Role.CHARGER_POWER, f"{power:.2f}")
            if at_home:
                self.home_kw.append((t, power))
            step = STREAM_S + rng.uniform(-1, 1)
            energy += power * step / 3600
            self.level += power * step / 3600 * 0.92 / self.capacity * 100
            t += step
            self.battery(t - 0.5)
        self.set(t, Role.CHARGER_POWER, "0.0")
        self.set(t + 0.5, Role.CHARGING_STATE, "complete")
        if at_home:
            self.home_kw.append((t, 0.0))
        self.truth.charged = (start, energy)
        return t + 0.5

    def unplug(self, ts: float) -> None:
        """Take the cable out."""
        ts = max(ts, self.now + 5)
        self.set(ts, Role.CHARGING_STATE, "disconnected")
        self.set(ts + 0.3, Role.PLUGGED, "off")
        self.plugged = False
        if self.truth.charged is not None:
            plugged_in, kwh = self.truth.charged
            self.truth.sessions.append((plugged_in, ts, kwh))
            self.truth.charged = None


def commuter(car: Car, first: date, days: int) -> None:
    """Model Y: to work on weekdays, charges at home when below 65 %."""
    rng = car.rng
    for n in range(days):
        day = first + timedelta(days=n)
        weekday = day.weekday()
        if weekday < 5:
            t = car.drive(
                local(day, 7, 25) + rng.gauss(0, 480),
                WORK,
                27 + rng.uniform(-1, 1),
                32 + rng.uniform(-4, 6),
            )
            t = car.drive(
                local(day, 16, 45) + rng.uniform(0, 3600),
                HOME,
                27 + rng.uniform(-1, 1),
                38 + rng.uniform(-5, 10),
            )
            if car.level < 65:
                car.charge(t + rng.uniform(60, 600), 80, 11.0)
        elif weekday == 5:
            t = car.drive(local(day, 10) + rng.uniform(0, 3600), SHOP, 6.0, 14)
            t = car.drive(t + rng.uniform(2700, 4500), HOME, 6.0, 15)
            if car.level < 75:
                car.charge(t + rng.uniform(60, 300), 90, 11.0)
        else:
            t = car.drive(local(day, 14) + rng.uniform(0, 1800), FAMILY, 48.0, 45)
            t = car.drive(t + rng.uniform(7200, 10800), HOME, 48.0, 50)
            if car.level < 65:
                car.charge(t + rng.uniform(60, 600), 80, 11.0)


def second_car(car: Car, first: date, days: int) -> None:
    """ID.4: home office with midday charges; client days with a DC stop on Thu."""
    rng = car.rng
    for n in range(days):
        day = first + timedelta(days=n)
        weekday = day.weekday()
        if weekday in (0, 2, 4):
            if car.level < 70:
                end = car.charge(local(day, 10, 30) + rng.uniform(0, 3600), 85, 11.0)
                car.unplug(max(end + 600, local(day, 16) + rng.uniform(0, 3600)))
            if weekday == 4:
                t = car.drive(local(day, 18) + rng.uniform(0, 1200), SHOP, 5.0, 12)
                car.drive(t + rng.uniform(1800, 3600), HOME, 5.0, 12)
        elif weekday in (1, 3):
            t = car.drive(local(day, 8, 15) + rng.gauss(0, 600), CLIENT, 62.0, 55)
            back = local(day, 16, 30) + rng.uniform(0, 2700)
            if weekday == 3 and car.level < 60:
                t = car.drive(back, FAST_CHARGER, 30.0, 25)
                t = car.charge(t + rng.uniform(60, 180), 80, 120.0, dc=True)
                car.unplug(t + rng.uniform(60, 180))
                t = car.drive(car.now + rng.uniform(60, 120), HOME, 32.0, 30)
            else:
                t = car.drive(back, HOME, 62.0, 60)
            if car.level < 40:
                car.charge(t + rng.uniform(60, 600), 80, 11.0)
        elif weekday == 5:
            t = car.drive(local(day, 15) + rng.uniform(0, 1800), SPORTS, 12.0, 20)
            car.drive(t + rng.uniform(5400, 8100), HOME, 12.0, 20)


def ev_kw_at(points: list[tuple[float, float]], ts: float, index: list[int]) -> float:
    """Charger power at home at `ts` (points in time order; `index` advances)."""
    i = index[0]
    while i + 1 < len(points) and points[i + 1][0] <= ts:
        i += 1
    index[0] = i
    if not points or points[i][0] > ts:
        return 0.0
    return points[i][1]


def site(
    rec: Recording,
    rng: random.Random,
    first: date,
    days: int,
    interval: float,
    cars: list[Car],
) -> None:
    """Solar, grid (import positive) and house load every `interval` s, in W."""
    solar_attrs, grid_attrs, load_attrs = (
        attributes(
            state_class="measurement",
            unit_of_measurement="W",
            device_class="power",
            friendly_name=name,
        )
        for name in ("Solar power", "Grid power", "House load")
    )
    indexes = [[0] for _ in cars]
    for n in range(days):
        day = first + timedelta(days=n)
        doy = day.timetuple().tm_yday
        season = math.sin(2 * math.pi * (doy - 80) / 365)
        daylen = (12 + 4.3 * season) * 3600
        noon = datetime.combine(day, dtime(11, 6), ZoneInfo("UTC")).timestamp()
        sunrise, sunset = noon - daylen / 2, noon + daylen / 2
        peak = 8.0 * max(0.15, 0.55 + 0.45 * season)  # kWp 8, by season
        sky = rng.choice((0.95, 0.95, 0.6, 0.6, 0.6, 0.2))
        cloud = 1.0
        # Appliances: (start, end, W) of the day.
        events: list[tuple[float, float, float]] = [
            (local(day, 6, 30), local(day, 8), 400.0),
            (local(day, 18), local(day, 19, 30), 1500.0),
            (local(day, 19, 30), local(day, 23), 350.0),
        ]
        if day.weekday() >= 5:
            events.append((local(day, 11, 30), local(day, 12, 30), 1800.0))
        for _ in range(2):
            kettle = local(day, 7) + rng.uniform(0, 13 * 3600)
            events.append((kettle, kettle + 180, 2200.0))
        dishwasher = local(day, 20) + rng.uniform(0, 3600)
        events.append((dishwasher, dishwasher + 1800, 2000.0))
        events.append((dishwasher + 1800, dishwasher + 5400, 120.0))
        if rng.random() < 0.35:
            washer = local(day, 9) + rng.uniform(0, 10 * 3600)
            events.append((washer, washer + 1200, 2000.0))
            events.append((washer + 1200, washer + 4800, 300.0))
        t = local(day, 0) + rng.uniform(0, interval)
        end = local(day + timedelta(days=1), 0)
        while t < end:
            solar = 0.0
            if sunrise < t < sunset:
                if sky < 0.9:
                    cloud = min(1.0, max(0.25, cloud + rng.gauss(0, 0.06)))
                x = (t - sunrise) / daylen
                solar = peak * math.sin(math.pi * x) ** 1.6 * sky * cloud
                solar *= rng.uniform(0.98, 1.02)
            fridge = 80.0 if int(t // 1200) % 3 == 0 else 0.0
            house = 220 + fridge + sum(w for a, b, w in events if a <= t < b)
            house += rng.gauss(0, 25)
            ev = sum(
                ev_kw_at(car.home_kw, t, index)
                for car, index in zip(cars, indexes, strict=True)
            )
            load = house + ev * 1000
            grid = load - solar * 1000
            rec.set(t, SOLAR, str(round(solar * 1000)), solar_attrs)
            rec.set(t + 0.05, GRID, str(round(grid)), grid_attrs)
            rec.set(t + 0.1, LOAD, str(round(load)), load_attrs)
            t += interval * rng.uniform(0.9, 1.1)


def prices(rec: Recording, rng: random.Random, first: date, days: int) -> None:
    """An hourly dynamic price, EUR/kWh (evening peak, night trough)."""
    attrs = attributes(unit_of_measurement="EUR/kWh", friendly_name="Electricity price")
    for n in range(days):
        day = first + timedelta(days=n)
        for hour in range(24):
            price = 0.24 + rng.gauss(0, 0.015)
            if 17 <= hour < 21:
                price += 0.10
            elif 7 <= hour < 10:
                price += 0.04
            elif hour < 5:
                price -= 0.05
            rec.set(
                local(day, hour) + rng.uniform(0.5, 3), PRICE, f"{price:.4f}", attrs
            )


def simulate(
    start: datetime, end: datetime, seed: int, site_interval: float
) -> tuple[list[Row], Truth, Truth]:
    """The month (and a day before it) as recorder rows; the cars' truth."""
    first = start.date() - timedelta(days=1)
    days = (end.date() - start.date()).days
    rec = Recording()
    rng = random.Random(seed)
    car_a = Car(
        rec, random.Random(seed + 1), "model_y", "Model Y", 75.0, 0.17, 70.0, 21_480.0
    )
    car_b = Car(rec, random.Random(seed + 2), "id4", "ID.4", 77.0, 0.19, 75.0, 8_310.0)
    t0 = local(first, 0) + 1
    car_a.start(t0)
    car_b.start(t0 + 0.5)
    commuter(car_a, first, days + 1)
    second_car(car_b, first, days + 1)
    for car in (car_a, car_b):
        car.idle_until(end.timestamp())
    site(rec, rng, first, days + 1, site_interval, [car_a, car_b])
    prices(rec, rng, first, days + 1)
    rows = [row for row in rec.rows() if row[3] < end.timestamp()]
    return rows, car_a.truth, car_b.truth


# Filling the recorder (child process) ----------------------------------------------


def quiet_logs() -> None:
    """Warnings only; not the one about loading a custom integration."""
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("homeassistant.loader").setLevel(logging.ERROR)


def insert_rows(instance: Recorder, rows: list[Row]) -> None:
    """Insert the rows with the recorder's models (recorder executor)."""
    with session_scope(session=instance.get_session()) as session:
        next_meta = (
            session.execute(select(func.max(StatesMeta.metadata_id))).scalar() or 0
        ) + 1
        next_attrs = (
            session.execute(select(func.max(StateAttributes.attributes_id))).scalar()
            or 0
        ) + 1
        metadata: dict[str, int] = {}
        shared: dict[bytes, int] = {}
        for entity_id, _, attrs, _, _ in rows:
            if entity_id not in metadata:
                metadata[entity_id] = next_meta + len(metadata)
            if attrs not in shared:
                shared[attrs] = next_attrs + len(shared)
        session.execute(
            insert(StatesMeta),
            [{"metadata_id": i, "entity_id": e} for e, i in metadata.items()],
        )
        session.execute(
            insert(StateAttributes),
            [
                {
                    "attributes_id": i,
                    "hash": StateAttributes.hash_shared_attrs_bytes(attrs),
                    "shared_attrs": attrs.decode(),
                }
                for attrs, i in shared.items()
            ],
        )
        batch = 50_000
        for i in range(0, len(rows), batch):
            session.execute(
                insert(States),
                [
                    {
                        "metadata_id": metadata[entity_id],
                        "state": state,
                        "attributes_id": shared[attrs],
                        "last_updated_ts": updated,
                        "last_changed_ts": changed,
                        "origin_idx": 0,
                    }
                    for entity_id, state, attrs, updated, changed in rows[i : i + batch]
                ],
            )


async def setup_recorder(hass: HomeAssistant, config_dir: str) -> Recorder:
    """Set the recorder up on a SQLite file (no purge) and wait until it is ready."""
    await hass.config.async_set_time_zone(TZ_NAME)
    recorder_helper.async_initialize_recorder(hass)
    assert await async_setup_component(
        hass,
        "recorder",
        {
            "recorder": {
                "db_url": f"sqlite:///{config_dir}/{DB_FILENAME}",
                "purge_keep_days": 90,
                "auto_purge": False,
                "auto_repack": False,
            }
        },
    )
    instance = get_instance(hass)
    assert await instance.async_db_ready
    await instance.async_block_till_done()
    return instance


async def fill(
    config_dir: str, start: datetime, end: datetime, seed: int, site_interval: float
) -> dict[str, Any]:
    """Simulate the month and write it into a fresh recorder database."""
    began = time.perf_counter()
    rows, truth_a, truth_b = simulate(start, end, seed, site_interval)
    simulated = time.perf_counter() - began
    async with async_test_home_assistant(config_dir=config_dir) as hass:
        instance = await setup_recorder(hass, config_dir)
        began = time.perf_counter()
        await instance.async_add_executor_job(insert_rows, instance, rows)
        await instance.async_block_till_done()
        inserted = time.perf_counter() - began
        await hass.async_stop(force=True)
    in_range = sum(1 for row in rows if start.timestamp() <= row[3] < end.timestamp())
    return {
        "rows": len(rows),
        "in_range": in_range,
        "entities": len({row[0] for row in rows}),
        "simulated_s": simulated,
        "inserted_s": inserted,
        "truth": {
            VEHICLE_A: truth_a.within(start.timestamp(), end.timestamp()),
            VEHICLE_B: truth_b.within(start.timestamp(), end.timestamp()),
        },
    }


def fill_process(
    config_dir: str, start: datetime, end: datetime, seed: int, site_interval: float
) -> dict[str, Any]:
    """The child process's entry point."""
    quiet_logs()
    return asyncio.run(fill(config_dir, start, end, seed, site_interval))


# Measuring ---------------------------------------------------------------------------


def read_chunk_floor(
    hass: HomeAssistant,
    entity_ids: list[str],
    start: datetime,
    end: datetime,
    first: bool,
) -> int:
    """The history API alone, with the backfill's arguments; states returned."""
    found = read_history(hass, entity_ids, start, end, first=first)
    return sum(len(states) for states in found.values())


async def floor(
    hass: HomeAssistant, entity_ids: list[str], start: datetime, end: datetime
) -> tuple[float, int]:
    """Read the month chunk by chunk on the recorder's executor; seconds, states."""
    instance = get_instance(hass)
    gc.collect()
    began = time.perf_counter()
    states = 0
    chunk_start, first = start, True
    while chunk_start < end:
        chunk_end = min(chunk_start + CHUNK, end)
        states += await instance.async_add_executor_job(
            read_chunk_floor, hass, entity_ids, chunk_start, chunk_end, first
        )
        chunk_start, first = chunk_end, False
    return time.perf_counter() - began, states


async def read_and_replay(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    entity_ids: list[str],
    start: datetime,
    end: datetime,
) -> tuple[float, float]:
    """The backfill's reading (`read_chunk`) and `Replay` alone, nothing written.

    The same chunks and executors as `Backfill.async_run`; seconds of each part.
    """
    replay = Replay(
        entry,
        dt_util.get_default_time_zone(),
        vehicle_ids=[VEHICLE_A, VEHICLE_B],
        site_ids=[SITE],
    )
    assert replay.entity_ids == entity_ids
    instance = get_instance(hass)
    gc.collect()
    read_s = replay_s = 0.0
    chunk_start, first = start, True
    while chunk_start < end:
        chunk_end = min(chunk_start + CHUNK, end)
        began = time.perf_counter()
        states = await instance.async_add_executor_job(
            partial(read_chunk, hass, entity_ids, chunk_start, chunk_end, first=first)
        )
        read_s += time.perf_counter() - began
        began = time.perf_counter()
        await hass.async_add_executor_job(replay.feed_states, states)
        replay.take()
        replay_s += time.perf_counter() - began
        chunk_start, first = chunk_end, False
    began = time.perf_counter()
    replay.finish(end.timestamp())
    replay_s += time.perf_counter() - began
    return read_s, replay_s


def vehicle(
    prefix: str, title: str, capacity: float, subentry_id: str
) -> dict[str, Any]:
    """A vehicle subentry mapping the simulated car's entities."""
    roles = {role.value: entity for role, entity in car_entities(prefix).items()}
    return {
        "data": {CONF_NAME: title, CONF_ROLES: roles, CONF_CAPACITY: capacity},
        "subentry_id": subentry_id,
        "subentry_type": SUBENTRY_VEHICLE,
        "title": title,
        "unique_id": subentry_id,
    }


def subentries() -> list[dict[str, Any]]:
    """Two vehicles, the home's energy site, home (dynamic price) and elsewhere."""
    home_tariff = Tariff(
        kind=TariffKind.PRICE_ENTITY, currency="EUR", price_series_id=PRICE
    )
    elsewhere = Tariff(
        kind=TariffKind.FIXED, currency="EUR", price_per_kwh=Decimal("0.59")
    )
    return [
        vehicle("model_y", "Model Y", 75.0, VEHICLE_A),
        vehicle("id4", "ID.4", 77.0, VEHICLE_B),
        {
            "data": {
                CONF_NAME: "Home",
                CONF_ROLES: {
                    Role.SOLAR_POWER.value: SOLAR,
                    Role.GRID_POWER.value: GRID,
                    Role.HOME_LOAD.value: LOAD,
                },
                CONF_ZONE: "zone.home",
                CONF_GRID_SIGN: GRID_IMPORT_POSITIVE,
                CONF_LOAD_INCLUDES_EV: True,
                CONF_POLICY: "house_first",
            },
            "subentry_id": SITE,
            "subentry_type": SUBENTRY_ENERGY_SITE,
            "title": "Home",
            "unique_id": SITE,
        },
        {
            "data": {
                CONF_NAME: "Home",
                CONF_ZONE: "zone.home",
                CONF_TARIFF: home_tariff.to_dict(),
            },
            "subentry_id": HOME_LOCATION,
            "subentry_type": SUBENTRY_LOCATION,
            "title": "Home",
            "unique_id": HOME_LOCATION,
        },
        {
            "data": {
                CONF_NAME: "Elsewhere",
                CONF_ZONE: LOCATION_DEFAULT,
                CONF_TARIFF: elsewhere.to_dict(),
            },
            "subentry_id": DEFAULT_LOCATION,
            "subentry_type": SUBENTRY_LOCATION,
            "title": "Elsewhere",
            "unique_id": DEFAULT_LOCATION,
        },
    ]


@dataclass(slots=True)
class LedgerRun:
    """One backfill of a new ledger."""

    seconds: float
    states: int
    sessions: int
    trips: int
    samples: int
    site_days: int
    result: dict[str, Any]


async def new_ledger(hass: HomeAssistant) -> MockConfigEntry:
    """A new EV Ledger entry on an empty embedded database, set up."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="EV Ledger",
        data={CONF_BACKEND: BACKEND_EMBEDDED},
        subentries_data=subentries(),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def drop_ledger(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Unload and remove the entry, delete its database."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    def delete() -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(hass.config.path(EMBEDDED_FILENAME + suffix)).unlink(missing_ok=True)
        shutil.rmtree(hass.config.path(JOURNAL_DIRNAME), ignore_errors=True)

    await hass.async_add_executor_job(delete)


async def backfill(
    hass: HomeAssistant, entry: MockConfigEntry, start: datetime, end: datetime
) -> LedgerRun:
    """Backfill both vehicles and the site over the month; wall-clock seconds."""
    runtime: EvLedgerRuntime = entry.runtime_data
    gc.collect()
    began = time.perf_counter()
    run = await runtime.async_backfill(
        vehicle_ids=[VEHICLE_A, VEHICLE_B], site_ids=[SITE], start=start, end=end
    )
    seconds = time.perf_counter() - began
    result = run.result
    return LedgerRun(
        seconds=seconds,
        states=result.states,
        sessions=result.sessions_added,
        trips=result.trips_added,
        samples=result.samples,
        site_days=result.site_days_added,
        result=result.as_dict(),
    )


async def recompute_month(
    hass: HomeAssistant, entry: MockConfigEntry, start: datetime, end: datetime
) -> list[tuple[str, float, dict[str, Any]]]:
    """Recompute each vehicle over the month with the same settings (wall-clock s)."""
    runtime: EvLedgerRuntime = entry.runtime_data
    out = []
    for key in (VEHICLE_A, VEHICLE_B):
        gc.collect()
        began = time.perf_counter()
        async with runtime.backfill_lock:
            response = await recompute.async_recompute(
                hass, runtime, runtime.vehicles[key], start, end
            )
        out.append((key, time.perf_counter() - began, response))
    return out


async def stored(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Per vehicle: sessions, kWh, trips, km stored in the ledger."""
    runtime: EvLedgerRuntime = entry.runtime_data
    await runtime.async_flush()
    reader = Reader(runtime.db_config)

    def read() -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in (VEHICLE_A, VEHICLE_B):
            sessions = reader.list_sessions(vehicle=key, limit=500).items
            trips = reader.list_trips(vehicle=key, limit=500).items
            out[key] = (
                len(sessions),
                sum(float(s["energy_kwh"] or 0) for s in sessions),
                sum(float(s["cost"] or 0) for s in sessions),
                len(trips),
                sum(float(t["distance_km"] or 0) for t in trips),
                sorted({s["status"] for s in sessions}),
            )
        return out

    try:
        return await hass.async_add_executor_job(read)
    finally:
        await hass.async_add_executor_job(reader.close)


def peak_rss_mib() -> float:
    """Peak resident set size of this process (Linux: KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def per_s(states: int, seconds: float) -> str:
    """States per second, formatted."""
    return f"{states / seconds:>9,.0f} states/s"


@dataclass(slots=True)
class Figures:
    """Everything measured in one Home Assistant."""

    floors: list[tuple[float, int]] = field(default_factory=list)  # s, states
    parts: list[tuple[float, float]] = field(default_factory=list)  # read s, replay s
    ledgers: list[LedgerRun] = field(default_factory=list)
    again: LedgerRun | None = None
    records: dict[str, Any] = field(default_factory=dict)
    records_again: dict[str, Any] = field(default_factory=dict)
    recomputed: list[tuple[str, float, dict[str, Any]]] = field(default_factory=list)
    rss_recompute: float = 0.0  # peak MiB after the recomputes
    rss: tuple[float, float] = (0.0, 0.0)  # peak MiB before and after the backfills
    # The ledger's database / the recorder's, after each run's backfill.
    sizes: list[float] = field(default_factory=list)


def used_bytes(path: str) -> int:
    """Bytes of an SQLite database's used pages, its write-ahead log included.

    A passive checkpoint first, which neither waits for nor blocks the writers.
    """
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    wal = Path(path + "-wal")
    return int((pages - free) * size) + (wal.stat().st_size if wal.exists() else 0)


async def measure(
    config_dir: str, start: datetime, end: datetime, runs: int
) -> Figures:
    """Floor, read + replay and backfill, interleaved, in one Home Assistant."""
    runtime_module.TUNING = Tuning(initial_backfill=False)
    figures = Figures()
    async with async_test_home_assistant(config_dir=config_dir) as hass:
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
        await setup_recorder(hass, config_dir)
        entry = await new_ledger(hass)
        entity_ids = sorted(
            {
                *car_entities("model_y").values(),
                *car_entities("id4").values(),
                SOLAR,
                GRID,
                LOAD,
                PRICE,
            }
        )
        # Warm-up (unmeasured): the database file into the page cache.
        await floor(hass, entity_ids, start, end)
        rss_before = peak_rss_mib()
        for i in range(runs):
            figures.floors.append(await floor(hass, entity_ids, start, end))
            figures.parts.append(
                await read_and_replay(hass, entry, entity_ids, start, end)
            )
            if i:
                await drop_ledger(hass, entry)
                entry = await new_ledger(hass)
            figures.ledgers.append(await backfill(hass, entry, start, end))
            figures.sizes.append(
                await hass.async_add_executor_job(
                    used_bytes, hass.config.path(EMBEDDED_FILENAME)
                )
                / await hass.async_add_executor_job(
                    used_bytes, hass.config.path(DB_FILENAME)
                )
            )
        figures.rss = (rss_before, peak_rss_mib())
        figures.records = await stored(hass, entry)
        figures.again = await backfill(hass, entry, start, end)
        figures.records_again = await stored(hass, entry)
        figures.recomputed = await recompute_month(hass, entry, start, end)
        figures.rss_recompute = peak_rss_mib()
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_stop(force=True)
    return figures


def report(
    start: datetime, end: datetime, filled: dict[str, Any], figures: Figures
) -> None:
    """Print the figures, ratios and the verdict."""
    print(f"month                      {start:%Y-%m-%d} .. {end:%Y-%m-%d} {TZ_NAME}")
    print(
        f"states in recorder         {filled['rows']:,} rows of"
        f" {filled['entities']} entities, {filled['in_range']:,} in the month"
        f" (simulated {filled['simulated_s']:.1f} s,"
        f" inserted {filled['inserted_s']:.1f} s)"
    )
    for i, ((f_s, f_n), run) in enumerate(
        zip(figures.floors, figures.ledgers, strict=True), 1
    ):
        ratio = run.states / run.seconds / (f_n / f_s)
        print(
            f"run {i}: floor {f_s:6.2f} s {per_s(f_n, f_s)} | backfill"
            f" {run.seconds:6.2f} s {per_s(run.states, run.seconds)} | {ratio:.3f}x"
        )
    f_n = figures.floors[0][1]
    # Every row of the month, and each entity's state at its start, was read.
    assert all(n == filled["in_range"] + filled["entities"] for _, n in figures.floors)
    floor_rates = [n / s for s, n in figures.floors]
    ledger_rates = [run.states / run.seconds for run in figures.ledgers]
    ratios = [
        ledger / floor for ledger, floor in zip(ledger_rates, floor_rates, strict=True)
    ]
    best = min(figures.ledgers, key=lambda r: r.seconds)
    print(f"floor                      {spread(floor_rates)} states/s ({f_n:,})")
    print(f"backfill                   {spread(ledger_rates)} states/s")
    print(f"backfill / floor           {spread(ratios, '{:.3f}')} x the throughput")
    read_s = min(p[0] for p in figures.parts)
    replay_s = min(p[1] for p in figures.parts)
    print(
        f"where the time goes        read_chunk {read_s:.2f} s, Replay"
        f" {replay_s:.2f} s, the rest (writes, checks, statistics)"
        f" {best.seconds - read_s - replay_s:.2f} s (fastest run's split, best of"
        " each)"
    )
    last = figures.ledgers[-1]
    print(
        f"added (last run)           {last.sessions} sessions, {last.trips} trips,"
        f" {last.site_days} site days, {last.samples:,} samples;"
        f" rejected {last.result['rejected'] or 'none'}"
    )
    for key, name in ((VEHICLE_A, "Model Y"), (VEHICLE_B, "ID.4")):
        n_s, kwh, cost, n_t, km, statuses = figures.records[key]
        t_s, t_kwh, t_t, t_km = filled["truth"][key]
        print(
            f"  {name:8} ledger    {n_s:3} sessions {kwh:6.1f} kWh {cost:6.2f} EUR"
            f" {n_t:3} trips {km:7.1f} km {','.join(statuses)}"
        )
        print(
            f"  {name:8} simulated {t_s:3} sessions {t_kwh:6.1f} kWh           "
            f" {t_t:3} trips {t_km:7.1f} km"
        )
    again = figures.again
    assert again is not None
    same = figures.records_again == figures.records
    added = again.sessions + again.trips + again.site_days
    print(
        f"backfill again             {again.seconds:6.2f} s: {again.sessions} sessions,"
        f" {again.trips} trips, {again.site_days} site days added"
        f" ({again.result['sessions_skipped']} sessions,"
        f" {again.result['trips_skipped']} trips skipped):"
        f" {'idempotent' if added == 0 and same else 'NOT idempotent'}"
    )
    for key, seconds, response in figures.recomputed:
        name = "Model Y" if key == VEHICLE_A else "ID.4"
        sessions, trips = response["sessions"], response["trips"]
        moved = sum(
            part[kind]
            for part in (sessions, trips)
            for kind in ("added", "changed", "removed")
        )
        print(
            f"recompute {name:8}         {seconds:6.2f} s"
            f" {response['samples'] / seconds:9,.0f} samples/s:"
            f" {sessions['unchanged']} sessions, {trips['unchanged']} trips unchanged,"
            f" {moved} added/changed/removed, delta {response['cost_delta']}"
            f" {'(same as the backfill)' if moved == 0 else '(DIFFERS)'}"
        )
    before, after = figures.rss
    print(
        f"peak RSS                   {before:.0f} MiB before the backfills,"
        f" {after:.0f} MiB after (+{after - before:.0f} MiB),"
        f" {figures.rss_recompute:.0f} MiB after the recomputes"
    )
    recomputed_same = all(
        sum(
            part[kind]
            for part in (response["sessions"], response["trips"])
            for kind in ("added", "changed", "removed")
        )
        == 0
        for _, _, response in figures.recomputed
    )
    for line in (
        target("backfill_rate", ledger_rates, "states/s", ">=", TARGET_RATE, "{:,.0f}"),
        target("backfill_vs_floor", ratios, "x", ">=", TARGET_RATIO, "{:.3f}"),
        target(
            "backfill_idempotent", [int(added == 0 and same)], "", ">=", 1, "{:.0f}"
        ),
        target("recompute_unchanged", [int(recomputed_same)], "", ">=", 1, "{:.0f}"),
        target("ledger_db_vs_recorder_db", figures.sizes, "x", "<=", 0.5),
    ):
        print(line)


def spread(values: list[float], fmt: str = "{:,.0f}") -> str:
    """Median [min..max]."""
    return (
        f"{fmt.format(statistics.median(values))}"
        f" [{fmt.format(min(values))}..{fmt.format(max(values))}]"
    )


def main() -> None:
    """Fill the recorder in a child process, then measure."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)  # at least 3 are made
    parser.add_argument("--site-interval", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    quiet_logs()
    start, end = month(args.days)
    with tempfile.TemporaryDirectory() as config_dir:
        with ProcessPoolExecutor(
            1, mp_context=multiprocessing.get_context("spawn")
        ) as pool:
            filled = pool.submit(
                fill_process, config_dir, start, end, args.seed, args.site_interval
            ).result()
        figures = asyncio.run(measure(config_dir, start, end, max(3, args.runs)))
    report(start, end, filled, figures)


if __name__ == "__main__":
    main()
