"""Live, backfill and recompute are one computation: the same states, the same records.

Random histories (the engine's property-test car reported through Home Assistant
states, maybe an energy site polled with force_update and an hourly price) go down
four paths and must give the same sessions and trips, field by field as stored:

- live: the runtime's own objects, with the minute tick and restarts through the
  snapshot (`paths.Live`);
- backfill: the states as the recorder's history API returns them, in chunks;
- recompute of live's samples, and of the backfill's: read back from a database a
  week at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from homeassistant.core import Context, State
from homeassistant.util import dt as dt_util
from hypothesis import (
    HealthCheck,
    assume,
    event,
    given,
    settings,
    strategies as st,
    target,
)
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_ledger import recompute
from custom_components.ev_ledger.adapter import state_reading
from custom_components.ev_ledger.const import (
    CONF_DEADBAND,
    CONF_POLICY,
    CONF_ROLES,
    CONF_ZONE,
    DOMAIN,
    LOCATION_DEFAULT,
    SUBENTRY_ENERGY_SITE,
)
from custom_components.ev_ledger.db import DbConfig
from custom_components.ev_ledger.db.migrate import connect_and_migrate
from custom_components.ev_ledger.logic.model import (
    ChargeState,
    Place,
    Reading,
    Reject,
    Role,
)
from tests.logic.strategies import VEHICLE_ROLES, Profile, site_streams, vehicle_streams
from tests.logic.trace import BERLIN

from . import paths
from .conftest import location_subentry, priced_location_subentry, vehicle_subentry

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path

    from homeassistant.core import HomeAssistant

VEHICLE = "01JVEHICLEPROPERTY00000001"
SITE = "01JSITEPROPERTY00000000001"
HOME_ID = "01JLOCATIONPROPERTY0000001"
DEFAULT_ID = "01JLOCATIONPROPERTY0000002"
PRICE = "sensor.home_price"
ENTITIES: dict[Role, str] = {
    role: (
        "device_tracker.car_location"
        if role is Role.LOCATION
        else "binary_sensor.car_plugged"
        if role is Role.PLUGGED
        else f"sensor.car_{role.value}"
    )
    for role in VEHICLE_ROLES
}
SITE_ENTITIES: dict[Role, str] = {
    Role.SOLAR_POWER: "sensor.home_solar",
    Role.GRID_POWER: "sensor.home_grid",
    Role.HOME_LOAD: "sensor.home_load",
}
UNITS: dict[Role, str] = {
    Role.SOLAR_POWER: "kW",
    Role.GRID_POWER: "kW",
    Role.HOME_LOAD: "kW",
    Role.BATTERY_LEVEL: "%",
    Role.CHARGER_POWER: "kW",
    Role.CHARGER_VOLTAGE: "V",
    Role.CHARGER_CURRENT: "A",
    Role.SESSION_ENERGY: "kWh",
    Role.EVSE_ENERGY: "kWh",
    Role.ENERGY_CONSUMED: "kWh",
    Role.ODOMETER: "km",
    Role.RANGE: "km",
    Role.SPEED: "km/h",
    Role.OUTSIDE_TEMP: "°C",
}


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> DbConfig:
    """One migrated SQLite file; each example replaces its samples."""
    path: Path = tmp_path_factory.mktemp("one_computation") / "ev_ledger.db"
    config = DbConfig.embedded(path)
    connect_and_migrate(config)
    return config


@pytest.fixture(autouse=True)
def berlin() -> Iterator[None]:
    """The runtime takes Home Assistant's time zone (no hass here)."""
    previous = dt_util.get_default_time_zone()
    dt_util.set_default_time_zone(BERLIN)
    yield
    dt_util.set_default_time_zone(previous)


@dataclass(frozen=True, slots=True, kw_only=True)
class History:
    """What Home Assistant fired, and where it restarted (before which states)."""

    profile: Profile
    fired: list[paths.Fired]
    restarts: list[int] = field(default_factory=list)
    site: bool = False
    priced: bool = False
    deadband: bool = False

    @property
    def entry(self) -> MockConfigEntry:
        """The ledger of this history's car (and site)."""
        return entry_of(
            self.profile, site=self.site, priced=self.priced, deadband=self.deadband
        )

    @property
    def sources(self) -> list[str]:
        """What a recompute of the car replays: the car and every site."""
        return [VEHICLE, SITE] if self.site else [VEHICLE]


def entry_of(
    profile: Profile | None = None,
    *,
    site: bool = False,
    priced: bool = False,
    deadband: bool = False,
) -> MockConfigEntry:
    """A ledger with the car's entities, home and elsewhere priced, maybe a site.

    Home is 0.30 EUR/kWh, or priced by `PRICE` (`priced`); elsewhere 0.60 EUR/kWh.
    `deadband`: the option is on (`logic.deadband`).
    """
    roles = profile.roles() if profile is not None else list(VEHICLE_ROLES)
    home = (
        priced_location_subentry("zone.home", PRICE, subentry_id=HOME_ID, title="Home")
        if priced
        else location_subentry("zone.home", "0.30", subentry_id=HOME_ID, title="Home")
    )
    subentries = [
        vehicle_subentry(
            {role: ENTITIES[role] for role in roles}, subentry_id=VEHICLE, title="Car"
        ),
        home,
        location_subentry(
            LOCATION_DEFAULT, "0.60", subentry_id=DEFAULT_ID, title="Elsewhere"
        ),
    ]
    if site:
        subentries.append(
            {
                "data": {
                    CONF_ROLES: {role.value: e for role, e in SITE_ENTITIES.items()},
                    CONF_ZONE: "zone.home",
                    CONF_POLICY: "house_first",
                },
                "subentry_id": SITE,
                "subentry_type": SUBENTRY_ENERGY_SITE,
                "title": "Home",
                "unique_id": SITE,
            }
        )
    return MockConfigEntry(
        domain=DOMAIN,
        data={},
        options={CONF_DEADBAND: True} if deadband else {},
        subentries_data=subentries,
    )


def state_text(reading: Reading) -> tuple[str, dict[str, Any]]:
    """The state an integration sets for a canonical reading."""
    value = reading.value
    attributes: dict[str, Any] = {}
    if reading.role in UNITS:
        attributes["unit_of_measurement"] = UNITS[reading.role]
    if value is None:
        return "unavailable", attributes
    if isinstance(value, bool):
        return ("on" if value else "off"), attributes
    if isinstance(value, ChargeState):
        return value.value, attributes
    if isinstance(value, Place):
        if value.latitude is not None:
            attributes["latitude"] = value.latitude
            attributes["longitude"] = value.longitude
        return value.zone or "not_home", attributes
    return str(value), attributes


# States made inside a strategy share one context: a new one draws its id from the
# `random` module on newer Home Assistant, which hypothesis warns of.
STRATEGY_CONTEXT = Context(id="01JEVLEDGERSTRATEGYCONTEXT")


def fire_order(readings: Sequence[Reading]) -> list[paths.Fired]:
    """The states Home Assistant fires for readings, in time order.

    Home Assistant stamps a state when it is set, so states fire in time order; two
    states of one entity never share a timestamp (a millisecond apart here). States of
    different entities may: an integration updating several at once, or the demo,
    which stamps its states with simulated time.
    """
    out: list[paths.Fired] = []
    last: dict[str, float] = {}
    for reading in sorted(readings, key=lambda r: r.ts):
        entity_id = ENTITIES.get(reading.role) or SITE_ENTITIES[reading.role]
        ts = max(reading.ts, last.get(entity_id, -1.0) + 0.001)
        text, attributes = state_text(reading)
        state = State(
            entity_id,
            text,
            attributes,
            last_updated=datetime.fromtimestamp(ts, UTC),
            context=STRATEGY_CONTEXT,
        )
        last[entity_id] = state.last_updated_timestamp
        out.append((state.last_updated_timestamp, entity_id, state))
    return out


def span(fired: Sequence[paths.Fired]) -> tuple[float, float]:
    """From before the first state to three hours after the last (timeouts past)."""
    first = min(ts for ts, _, _ in fired)
    last = max(ts for ts, _, _ in fired)
    start = (first // 60.0) * 60.0
    return start, (last // 60.0 + 3 * 60) * 60.0


def prices(draw: st.DrawFn, start: float, end: float) -> list[paths.Fired]:
    """A dynamic price's states: a new price (or none known) every hour."""
    out: list[paths.Fired] = []
    t = (start // 3600.0) * 3600.0
    while t < end:
        value = draw(st.sampled_from(["0.12", "0.25", "0.31", "unavailable"]))
        state = State(
            PRICE,
            value,
            {"unit_of_measurement": "EUR/kWh"},
            last_updated=datetime.fromtimestamp(t, UTC),
            context=STRATEGY_CONTEXT,
        )
        out.append((state.last_updated_timestamp, PRICE, state))
        t += 3600.0
    return out


@st.composite
def histories(draw: st.DrawFn) -> History:
    """A car's states, maybe a site's and a price's, and where Home Assistant restarts.

    States of the car, the site and the price are fired in time order; those sharing
    an instant in the order their integrations set them (the car's, then the site's,
    then the price: each integration sets its entities together).
    """
    profile, readings = draw(vehicle_streams(sort=True))
    site = draw(st.booleans())
    priced = draw(st.booleans())
    fired = fire_order(readings)
    if fired and (site or priced):
        first, last = fired[0][0], fired[-1][0]
        extra: list[paths.Fired] = []
        if site:
            extra += fire_order(draw(site_streams(first, last + 600.0)))
        if priced:
            extra += prices(draw, first - 3600.0, last + 3600.0)
        fired = sorted([*fired, *extra], key=lambda f: f[0])
    # Between two instants: a restart takes time.
    between = [i for i in range(1, len(fired)) if fired[i - 1][0] < fired[i][0]]
    restarts = (
        draw(st.lists(st.sampled_from(between), max_size=2, unique=True))
        if between
        else []
    )
    return History(
        profile=profile,
        fired=fired,
        restarts=sorted(restarts),
        site=site,
        priced=priced,
        deadband=draw(st.booleans()),
    )


def check_plausible(fired: Sequence[paths.Fired]) -> None:
    """Every state converts (what the adapter rejects is tested elsewhere)."""
    by_entity = {e: role for role, e in [*ENTITIES.items(), *SITE_ENTITIES.items()]}
    for ts, entity_id, state in fired:
        if entity_id in by_entity:
            reading = state_reading(by_entity[entity_id], state, ts)
            assert not isinstance(reading, Reject), (entity_id, state)


def three_paths(
    hass: HomeAssistant,
    history: History,
    database: DbConfig,
    *,
    current_states: bool = False,
    phase: float = 0.0,
    chunk: float | None = None,
    sample_chunk: timedelta | None = None,
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Live, backfill, recompute of live's samples and of the backfill's.

    Restarts go through the snapshot; `current_states`: live is fed every mapped
    entity's current state again after a restart, as `_async_started` does. Ticks
    fall `phase` seconds past the minute.
    """
    entry, fired = history.entry, history.fired
    start, end = span(fired)
    live = paths.run_live(
        entry,
        hass.data,
        fired,
        end,
        phase=phase,
        restarts=history.restarts,
        current_states=current_states,
    )
    sites = [SITE] if history.site else []
    filled = paths.backfill_states(
        entry,
        BERLIN,
        [VEHICLE],
        sites,
        fired,
        start,
        end,
        **({"chunk": chunk} if chunk else {}),
    )
    filled_out = filled.take()
    with patch.object(
        recompute, "SAMPLE_CHUNK", sample_chunk or recompute.SAMPLE_CHUNK
    ):
        paths.store_samples(database, live.writer.samples)
        again = paths.recompute_samples(
            entry, BERLIN, database, VEHICLE, history.sources, start, end, fired
        )
        paths.store_samples(database, filled_out.samples)
        again_filled = paths.recompute_samples(
            entry, BERLIN, database, VEHICLE, history.sources, start, end, fired
        )
    return {
        "live": paths.as_stored(paths.live_records(live)),
        "backfill": paths.as_stored(paths.records_of(filled_out)),
        "recompute": paths.as_stored(paths.records_of(again)),
        "recompute of the backfill": paths.as_stored(paths.records_of(again_filled)),
        "live days": {"days": paths.site_days(live.writer.site_days)},
        "backfill days": {"days": paths.site_days(filled_out.site_days)},
    }


def assert_one_computation(
    results: dict[str, dict[str, list[dict[str, Any]]]], *, coordinates: bool
) -> None:
    """Every path gives live's records.

    Args:
        results: The records of each path (`three_paths`).
        coordinates: Whether the car's location had coordinates: the samples live
            stores keep its zone only, so their recompute is not compared then (see
            `test_live_samples_keep_coordinates`).
    """
    live = results["live"]
    assert paths.field_diff(live, results["backfill"]) == {}, "backfill"
    assert results["backfill days"] == results["live days"]
    assert paths.field_diff(live, results["recompute of the backfill"]) == {}, (
        "recompute of the backfill"
    )
    if not coordinates:
        assert paths.field_diff(live, results["recompute"]) == {}, "recompute"


# Each example runs three real paths (a Home Assistant core, the recorder, a database):
# a bounded number keeps the suite in its time budget; more run by hand, e.g.
# HYPOTHESIS_PROFILE=ci with a larger max_examples.
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    histories(),
    st.sampled_from([None, 7 * 60.0, 3600.0]),
    st.sampled_from([None, timedelta(minutes=17), timedelta(hours=2)]),
)
def test_live_backfill_and_recompute_agree(
    hass: HomeAssistant,
    database: DbConfig,
    history: History,
    chunk: float | None,
    sample_chunk: timedelta | None,
) -> None:
    """Any car, site and price, any chunking, restarts: one result.

    Live ticks on the minute, as the replay does (see `test_tick_off_the_minute`),
    and a restart resumes from the snapshot without feeding the current states
    again (see `test_restart_feeds_current_states_again`).
    """
    assume(history.fired)
    check_plausible(history.fired)
    results = three_paths(
        hass, history, database, chunk=chunk, sample_chunk=sample_chunk
    )
    records = sum(len(v) for v in results["live"].values())
    target(float(min(records, 6)), label="records")
    event(f"records: {min(records, 5)}{'+' if records >= 5 else ''}")
    event(f"restarts: {len(history.restarts)}")
    event(f"site: {history.site}, priced: {history.priced}")
    event(f"deadband: {history.deadband}")
    assert_one_computation(results, coordinates=history.profile.location == "coords")


# What the three paths must also agree on, seen one at a time -------------------------

T = 1_700_000_040.0  # on the minute: 2023-11-14 23:14 in Berlin
HOME = Place("home", 52.52, 13.40)
WORK = Place("work", 52.40, 13.05)


def history_of(
    readings: list[Reading],
    *,
    restarts: Sequence[int] = (),
    site: bool = False,
    deadband: bool = False,
) -> History:
    """A hand-written history (profile: every role of `readings`)."""
    roles = {r.role for r in readings}
    profile = Profile(
        plug=Role.PLUGGED in roles,
        state="enum" if Role.CHARGING_STATE in roles else None,
        power=Role.CHARGER_POWER in roles,
        volt_amp=False,
        counter="session" if Role.SESSION_ENERGY in roles else None,
        evse=None,
        level=Role.BATTERY_LEVEL in roles,
        range=False,
        odometer=Role.ODOMETER in roles,
        speed=Role.SPEED in roles,
        shift=Role.SHIFT_STATE in roles,
        location="coords" if Role.LOCATION in roles else None,
        temp=False,
        consumed=False,
        charger_type=False,
        period=60.0,
        on_change=True,
        jitter=False,
    )
    return History(
        profile=profile,
        fired=fire_order(readings),
        restarts=list(restarts),
        site=site,
        deadband=deadband,
    )


def departure() -> list[Reading]:
    """The demo's commute: parked at home, then shift, odometer and zone at once."""
    readings = [
        Reading(T, Role.SHIFT_STATE, "P"),
        Reading(T, Role.ODOMETER, 1000.0),
        Reading(T, Role.LOCATION, Place("home")),
        Reading(T, Role.BATTERY_LEVEL, 80.0),
    ]
    t = T + 3600.0
    # The car streams: shifting out of park first, then the distance of that minute.
    readings += [
        Reading(t, Role.SHIFT_STATE, "D"),
        Reading(t, Role.ODOMETER, 1000.7),
        Reading(t, Role.LOCATION, Place(None)),
    ]
    for minute in range(1, 25):
        readings.append(Reading(t + 60.0 * minute, Role.ODOMETER, 1000.7 + minute))
    t += 25 * 60.0
    # Arriving: the last distance, the zone, then parked.
    readings += [
        Reading(t, Role.ODOMETER, 1025.0),
        Reading(t, Role.LOCATION, Place("work")),
        Reading(t, Role.BATTERY_LEVEL, 76.0),
        Reading(t, Role.SHIFT_STATE, "P"),
    ]
    return readings


def test_states_of_one_instant_replay_in_the_order_they_were_fired(
    hass: HomeAssistant, database: DbConfig
) -> None:
    """Shift and odometer in the same instant: one trip from home, on every path.

    In any other order the odometer rises first: a trip inferred to have started
    earlier, without its start zone (issue 12: every commute of the demo's week).
    """
    history = history_of(departure())
    # Entity ids or roles in alphabetical order would put the odometer first.
    assert sorted(history.fired, key=lambda f: (f[0], f[1])) != history.fired
    results = three_paths(hass, history, database)
    [trip] = results["live"]["trips"]
    assert trip["start_zone"] == "home"
    assert trip["end_zone"] == "work"
    assert trip["distance_km"] == Decimal("25.000")
    assert trip["started_at"] == datetime.fromtimestamp(T + 3600.0, UTC)
    assert_one_computation(results, coordinates=False)


def test_deadband_one_computation(hass: HomeAssistant, database: DbConfig) -> None:
    """With the deadband on, live (restarted midway), backfill and recompute agree.

    A charge whose power wobbles within its band every 10 s, and a site whose meters
    repeat their values every minute: most readings are dropped, on every path alike,
    and the stored samples are what the ledger took.
    """
    readings = [
        Reading(T, Role.PLUGGED, True),
        Reading(T, Role.CHARGING_STATE, ChargeState.CHARGING),
    ]
    for i in range(360):
        wobble = (i % 5) * 0.0015 if i < 300 else -0.5  # then a step down
        readings.append(Reading(T + 5.0 + 10.0 * i, Role.CHARGER_POWER, 7.0 + wobble))
    readings += [
        Reading(T + 3700.0, Role.CHARGER_POWER, 0.0),
        Reading(T + 3700.0, Role.CHARGING_STATE, ChargeState.COMPLETE),
        Reading(T + 3900.0, Role.PLUGGED, False),
    ]
    for minute in range(70):
        t = T + 60.0 * minute + 1.0
        readings += [
            Reading(t, Role.SOLAR_POWER, 2.0 if minute < 40 else 2.5),
            Reading(t, Role.GRID_POWER, 0.0),
            Reading(t, Role.HOME_LOAD, 0.3),
        ]
    history = history_of(readings, restarts=[400], site=True, deadband=True)
    start, end = span(history.fired)
    live = paths.run_live(
        history.entry,
        hass.data,
        history.fired,
        end,
        restarts=history.restarts,
        current_states=False,
    )
    # The power's first reading, the steps, the hold every 15 minutes; the site's
    # first, its change, the holds.
    assert len(live.writer.samples) < len(history.fired) / 3
    results = three_paths(hass, history, database)
    assert_one_computation(results, coordinates=False)
    # Against every reading taken: the same session, its energy within 0.1 %.
    off = history_of(readings, site=True)
    every = paths.as_stored(
        paths.live_records(paths.run_live(off.entry, hass.data, off.fired, end))
    )
    [session] = results["live"]["sessions"]
    [exact] = every["sessions"]
    assert session["started_at"] == exact["started_at"]
    assert (
        abs(session["energy_kwh"] - exact["energy_kwh"]) <= exact["energy_kwh"] / 1000
    )


def test_ticks_on_the_minute_one_computation(
    hass: HomeAssistant, database: DbConfig
) -> None:
    """Live ticking on the minute, as the runtime does, gives the replay's records.

    The runtime ticked every 60 s from whenever it started; 42.5 s past the minute a
    held power re-reported after a window opened counted in the session's minimum
    power. It now ticks on the minute (tests/components/test_tick.py), as the replay.
    A tick reports the held power again only when the minute that just ended brought
    no reading of it (`model.needs_hold`): the 2.5 kW of T + 30 s is not reported again
    at T + 60 s, so the minimum is that of the readings taken while charging.
    """
    history = history_of(
        [
            Reading(T, Role.PLUGGED, True),
            Reading(T, Role.CHARGING_STATE, ChargeState.PLUGGED),
            Reading(T + 30.0, Role.CHARGER_POWER, 2.5),
            Reading(T + 55.0, Role.CHARGING_STATE, ChargeState.CHARGING),
            Reading(T + 62.0, Role.CHARGER_POWER, 5.0),
            Reading(T + 150.0, Role.CHARGER_POWER, 7.0),
            Reading(T + 1800.0, Role.CHARGING_STATE, ChargeState.COMPLETE),
            Reading(T + 1800.0, Role.CHARGER_POWER, 0.0),
            Reading(T + 2400.0, Role.PLUGGED, False),
        ]
    )
    on_the_minute = three_paths(hass, history, database)
    assert_one_computation(on_the_minute, coordinates=False)
    [session] = on_the_minute["live"]["sessions"]
    assert session["power_min_kw"] == Decimal("5.000")


def test_restart_feeds_current_states_again(
    hass: HomeAssistant, database: DbConfig
) -> None:
    """A restart mid-trip changes nothing."""
    readings = [
        Reading(T, Role.SHIFT_STATE, "P"),
        Reading(T, Role.ODOMETER, 1000.0),
        Reading(T, Role.LOCATION, HOME),
        Reading(T + 60.0, Role.ODOMETER, None),
        Reading(T + 600.0, Role.SHIFT_STATE, "D"),
        Reading(T + 900.0, Role.LOCATION, Place(None, 52.45, 13.2)),
        Reading(T + 1500.0, Role.ODOMETER, 1010.0),
        Reading(T + 1800.0, Role.LOCATION, WORK),
        Reading(T + 1800.0, Role.SHIFT_STATE, "P"),
    ]
    history = history_of(readings)
    assert_one_computation(three_paths(hass, history, database), coordinates=True)
    restart = next(i for i, f in enumerate(history.fired) if f[0] == T + 900.0)
    again = History(profile=history.profile, fired=history.fired, restarts=[restart])
    assert_one_computation(
        three_paths(hass, again, database, current_states=False), coordinates=True
    )
    assert_one_computation(
        three_paths(hass, again, database, current_states=True), coordinates=True
    )


def test_rejected_state_holds_the_last_value(
    hass: HomeAssistant, database: DbConfig
) -> None:
    """A solar reading that cannot be read: the day's solar is the same on every path."""
    readings = [
        Reading(T, Role.SOLAR_POWER, 4.0),
        Reading(T, Role.GRID_POWER, 0.0),
        Reading(T, Role.HOME_LOAD, 4.0),
    ]
    history = history_of([Reading(T, Role.BATTERY_LEVEL, 50.0), *readings], site=True)
    bad = State(
        SITE_ENTITIES[Role.SOLAR_POWER],
        "4,1",
        {"unit_of_measurement": "kW"},
        last_updated=datetime.fromtimestamp(T + 60.0, UTC),
    )
    fired = [*history.fired, (bad.last_updated_timestamp, bad.entity_id, bad)]
    results = three_paths(
        hass,
        History(profile=history.profile, fired=fired, site=True),
        database,
    )
    assert results["live days"]["days"], "the day was summarised"
    assert results["backfill days"] == results["live days"]


def test_live_samples_keep_coordinates(hass: HomeAssistant, database: DbConfig) -> None:
    """A car without an odometer: its trip is measured along its coordinates."""
    history = history_of(
        [
            Reading(T, Role.SHIFT_STATE, "P"),
            Reading(T, Role.LOCATION, HOME),
            Reading(T + 60.0, Role.SHIFT_STATE, "D"),
            Reading(T + 600.0, Role.LOCATION, Place(None, 52.45, 13.2)),
            Reading(T + 1200.0, Role.LOCATION, WORK),
            Reading(T + 1200.0, Role.SHIFT_STATE, "P"),
        ]
    )
    results = three_paths(hass, history, database)
    [trip] = results["live"]["trips"]
    assert trip["distance_method"] == "location_path"
    # The backfill's samples keep the coordinates: their recompute finds the trip.
    assert_one_computation(results, coordinates=True)
    assert paths.field_diff(results["live"], results["recompute"]) == {}
