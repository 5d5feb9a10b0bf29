"""The restart snapshot: taken on the event loop, bounded, written only on change.

Home Assistant's `Store` calls a delayed save's data function in a worker thread; the
snapshot used to be built there from the live ledgers while the event loop changed
them ("dictionary changed size during iteration", 4 times in 23 minutes of the demo).
It was 2.9 MB and rewritten every 30 s. Now it is copied on the loop, serialised and
written in the executor, only when it changed, and it keeps only what the ledgers and
the open sessions can still need.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from decimal import Decimal
import functools
import logging
import threading
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from homeassistant.helpers import storage
from homeassistant.helpers.json import json_bytes
import orjson
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.ev_ledger.const import (
    CONF_ROLES,
    CONF_ZONE,
    DOMAIN,
    EVENT_SESSION_COMPLETED,
    LOCATION_DEFAULT,
    SUBENTRY_ENERGY_SITE,
)
from custom_components.ev_ledger.logic.model import ChargeState, Reading, Role
from custom_components.ev_ledger.logic.series import JsonText
from custom_components.ev_ledger.runtime import _loaded, _stored, snapshot_json
from demo.custom_components.ev_ledger_sim.sim import catalog as c
from demo.custom_components.ev_ledger_sim.sim.scenario import SimEvent, week
from tests.logic.test_scenarios import T
from tests.logic.trace import at, hours, minutes

from . import scenario
from .conftest import (
    DEFAULT_ID,
    HOME_ID,
    Ledger,
    location_subentry,
    make_entry,
    priced_location_subentry,
    vehicle_subentry,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from homeassistant.core import HomeAssistant

SITE_ID = "01JSITE0000000000000000001"
MONDAY = at("2026-03-02 00:00")  # the simulated week starts on a Monday
PRICE = "sensor.sim_price"
# The whole snapshot of a car, a home site and a dynamic price after a week stays
# below this, as compact JSON (the demo's file, indented by Home Assistant's store,
# was 2.9 MB); the site's three days of per-minute flows are most of it.
MAX_BYTES = 800_000
# The clock moves an hour at a time (each state carries its own time).
STEP = 3600

VEHICLE_ROLES = {
    Role.PLUGGED: c.PLUG,
    Role.CHARGING_STATE: c.CHARGING_STATE,
    Role.CHARGER_POWER: c.CHARGER_POWER,
    Role.SESSION_ENERGY: c.SESSION_ENERGY,
    Role.BATTERY_LEVEL: c.BATTERY_LEVEL,
    Role.ODOMETER: c.ODOMETER,
    Role.SPEED: c.SPEED,
    Role.SHIFT_STATE: c.SHIFT_STATE,
    Role.LOCATION: c.LOCATION,
    Role.RANGE: c.RANGE,
    Role.OUTSIDE_TEMP: c.OUTSIDE_TEMP,
}
SITE_ROLES = {
    Role.SOLAR_POWER: c.SOLAR_POWER,
    Role.GRID_POWER: c.GRID_POWER,
    Role.BATTERY_POWER: c.BATTERY_POWER,
    Role.HOME_LOAD: c.HOME_LOAD,
}


def entity_id(key: str) -> str:
    """The entity of a simulated key."""
    spec = c.SPECS[key]
    return f"{spec.platform}.sim_{key}"


def _site() -> dict[str, Any]:
    return {
        "data": {
            CONF_ROLES: {
                role.value: entity_id(key) for role, key in SITE_ROLES.items()
            },
            CONF_ZONE: "zone.home",
        },
        "subentry_id": SITE_ID,
        "subentry_type": SUBENTRY_ENERGY_SITE,
        "title": "Home",
        "unique_id": SITE_ID,
    }


def _state(key: str, value: Any, attributes: Any) -> tuple[str, dict[str, Any]]:
    """The state text and attributes a simulated entity reports."""
    spec = c.SPECS[key]
    attrs: dict[str, Any] = dict(attributes)
    if spec.unit:
        attrs["unit_of_measurement"] = spec.unit
    if spec.device_class:
        attrs["device_class"] = spec.device_class
    if spec.options:
        attrs["options"] = list(spec.options)
    if isinstance(value, bool):
        return ("on" if value else "off"), attrs
    return str(value), attrs


@pytest.fixture
def sim_ledger(embedded_ledger: Ledger) -> Ledger:
    """The demo's world: a car, a home site, home priced by the simulated price."""
    embedded_ledger.entry = make_entry(
        embedded_ledger.entry.data,
        [
            vehicle_subentry(
                {role: entity_id(key) for role, key in VEHICLE_ROLES.items()}
            ),
            _site(),
            priced_location_subentry(
                "zone.home", PRICE, subentry_id=HOME_ID, title="Home"
            ),
            location_subentry(
                LOCATION_DEFAULT, "0.60", subentry_id=DEFAULT_ID, title="Elsewhere"
            ),
        ],
    )
    return embedded_ledger


async def play(ledger: Ledger, first: float, last: float, step: int) -> None:
    """Report the simulated week's states from `first` to `last` days in.

    The clock moves in `step`s (the site polls every five minutes); each state
    carries the time it was reported at, as the demo's replay writes them.
    """
    hass = ledger.hass
    by_step: dict[int, list[tuple[int, str, Any, Any]]] = defaultdict(list)
    wanted = {*VEHICLE_ROLES.values(), *SITE_ROLES.values(), c.PRICE}
    for event in _week():
        if event.key in wanted and first * 86400 <= event.offset < last * 86400:
            by_step[event.offset // step].append(
                (event.offset, event.key, event.value, event.attributes)
            )
    for index in sorted(by_step):
        await ledger.at(MONDAY + index * step)
        for offset, key, value, attributes in by_step[index]:
            state, attrs = _state(key, value, attributes)
            target = PRICE if key == c.PRICE else entity_id(key)
            hass.states.async_set(target, state, attrs, timestamp=MONDAY + offset)
        await hass.async_block_till_done()


@functools.cache
def _week() -> list[SimEvent]:
    return week()


def stored(hass_storage: dict[str, Any], ledger: Ledger) -> dict[str, Any]:
    """The snapshot as written to `.storage`."""
    found: dict[str, Any] = hass_storage[f"{DOMAIN}.{ledger.entry.entry_id}"]
    return found


def saved_size(hass_storage: dict[str, Any], ledger: Ledger) -> int:
    """The size of the stored snapshot as the file holds it: compact JSON (the
    runtime hands the store its bytes, `runtime.snapshot_json`)."""
    data = stored(hass_storage, ledger)["data"]
    return len(orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS))


async def test_snapshot_is_bounded(
    hass: HomeAssistant,
    sim_ledger: Ledger,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A week of the demo's world: the snapshot stops growing and stays small.

    The energy site keeps three days of per-minute flows (for the solar split of a
    session), the price book seven days of prices (for a recompute): after four days
    the snapshot has its full size, three more days add nothing.
    """
    # Half a million debug records would be formatted again at teardown.
    caplog.set_level(logging.INFO)
    ledger = sim_ledger
    await ledger.at(MONDAY)
    await ledger.setup()
    await play(ledger, 0, 4, step=STEP)
    after_four_days = saved_size(hass_storage, ledger)  # saved at the last step
    await play(ledger, 4, 7, step=STEP)
    await ledger.unload()
    data = stored(hass_storage, ledger)["data"]
    size = saved_size(hass_storage, ledger)
    print(f"snapshot after a week: {size} B on disk (four days: {after_four_days})")  # noqa: T201
    assert size < MAX_BYTES
    # What varies is the open session's minutes and the week of prices filling up;
    # growing with history would add three quarters.
    assert size < after_four_days * 1.1
    # Hourly prices: a week of them and the one in force before it.
    assert len(data["prices"][PRICE]["points"]) <= 7 * 24 + 1


@pytest.fixture
def saves(hass: HomeAssistant) -> Iterator[list[Callable[[], Any]]]:
    """The data functions EV Ledger hands its store, in order (the store calls them
    in a worker thread when it writes)."""
    found: list[Callable[[], Any]] = []
    original = storage.Store.async_delay_save

    def _spy(
        store: storage.Store[Any], data_func: Callable[[], Any], delay: float = 0
    ) -> None:
        if store.key.startswith(f"{DOMAIN}.01JENTRY"):
            found.append(data_func)
        original(store, data_func, delay)

    with patch.object(storage.Store, "async_delay_save", _spy):
        yield found


async def test_snapshot_is_a_copy_taken_on_the_loop(
    hass: HomeAssistant, embedded_ledger: Ledger, saves: list[Callable[[], Any]]
) -> None:
    """What the store writes is the state when it was saved, read safely from a
    worker thread while the ledger goes on charging."""
    ledger = embedded_ledger
    await ledger.at(T - hours(1))
    for reading in scenario.before():
        await ledger.reading(reading)
    await ledger.setup()
    charge = scenario.charge()
    await ledger.replay([r for r in charge if r.ts < T + minutes(30)])
    await ledger.at(T + minutes(30))
    assert saves
    taken = saves[-1]
    first = json_bytes(taken())

    errors: list[BaseException] = []
    done = threading.Event()

    def _read() -> None:
        # As the store does: call the data function and encode, over and over.
        while not done.is_set():
            try:
                json_bytes(saves[-1]())
            except Exception as err:  # noqa: BLE001
                errors.append(err)
                return

    reader = threading.Thread(target=_read)
    reader.start()
    try:
        for reading in [r for r in charge if r.ts >= T + minutes(30)]:
            await ledger.reading(reading)
            # Many changes between two readings, as a streaming car sends.
            for kw in range(40):
                hass.states.async_set(
                    ledger.roles[Role.CHARGER_POWER],
                    str(5 + kw / 10),
                    {"unit_of_measurement": "kW"},
                )
                await hass.async_block_till_done()
    finally:
        done.set()
        await hass.async_add_executor_job(reader.join)
    assert errors == []
    assert len(saves) > 1
    # The state at the first save, not the ledger's since.
    assert json_bytes(taken()) == first
    assert json_bytes(saves[-1]()) != first


async def test_snapshot_written_only_when_changed(
    hass: HomeAssistant, embedded_ledger: Ledger, saves: list[Callable[[], Any]]
) -> None:
    """A parked car that reports nothing: an hour of ticks writes nothing."""
    ledger = embedded_ledger
    await ledger.at(T - hours(1))
    for reading in scenario.before():
        await ledger.reading(reading)
    await ledger.setup()
    await ledger.at(T - minutes(50))
    written = len(saves)
    for minute in range(1, 61):
        await ledger.at(T - minutes(50) + minutes(minute))
    assert len(saves) == written
    # A new state is saved at the next periodic save (every 15 minutes).
    hass.states.async_set(
        ledger.roles[Role.BATTERY_LEVEL], "41", {"unit_of_measurement": "%"}
    )
    await hass.async_block_till_done()
    await ledger.at(T + minutes(10) + minutes(15))
    assert len(saves) == written + 1
    assert orjson.loads(json_bytes(saves[-1]()))["vehicles"]


async def test_prices_kept_for_a_session_open_longer_than_a_week(
    hass: HomeAssistant, embedded_ledger: Ledger, hass_storage: dict[str, Any]
) -> None:
    """Plugged in for nine days at a dynamic price: the first hour's price counts.

    11 kWh in the first hour at 0.25 EUR/kWh is 2.75 EUR; the price changes every
    day after that (the book keeps a week of prices for a recompute, and what an
    open session still needs).
    """
    ledger = embedded_ledger
    ledger.entry = make_entry(
        ledger.entry.data,
        [
            vehicle_subentry(),
            priced_location_subentry(
                "zone.home", PRICE, subentry_id=HOME_ID, title="Home"
            ),
        ],
    )
    await ledger.at(T - hours(1))
    hass.states.async_set(PRICE, "0.25")
    for reading in scenario.before():
        await ledger.reading(reading)
    await ledger.setup()
    await ledger.replay(
        [
            Reading(T, Role.PLUGGED, True),
            Reading(T, Role.CHARGING_STATE, ChargeState.CHARGING),
            Reading(T, Role.CHARGER_POWER, 11.0),
            Reading(T + hours(1), Role.CHARGER_POWER, 0.0),
            Reading(T + hours(1), Role.CHARGING_STATE, ChargeState.COMPLETE),
        ]
    )
    for day in range(1, 10):
        await ledger.at(T + day * 86400)
        hass.states.async_set(PRICE, f"0.{30 + day}")
        await hass.async_block_till_done()
    fired = async_capture_events(hass, EVENT_SESSION_COMPLETED)
    await ledger.reading(Reading(T + 9 * 86400 + 60, Role.PLUGGED, False))
    await ledger.at(T + 9 * 86400 + hours(1))
    (event,) = fired
    assert Decimal(event.data["energy_kwh"]) == Decimal(11)
    assert Decimal(event.data["cost"]["total"]) == Decimal("2.75")
    # Once it completed, only a week of prices is kept.
    await ledger.unload()
    points = stored(hass_storage, ledger)["data"]["prices"][PRICE]["points"]
    assert len(points) == 8


def test_snapshot_json_embeds_minute_text_and_reads_back() -> None:
    """Minute series go in as the JSON they are (not as strings), other subclasses
    of built-in types as their base type; a pending `_stored` reads back as data."""
    snapshot = {
        "buckets": JsonText("[[1,0.5],[2,1e-05]]"),
        "counts": Counter({"stale": 2}),
        "role": Role.CHARGER_POWER,
    }
    data = snapshot_json(snapshot)
    assert orjson.loads(data) == {
        "buckets": [[1, 0.5], [2, 1e-05]],
        "counts": {"stale": 2},
        "role": "charger_power",
    }
    assert _loaded(_stored(data)) == orjson.loads(data)
    assert _loaded(None) == {}
    assert _loaded([1, 2]) == {}


async def test_a_restarted_site_does_not_take_its_current_states_again(
    hass: HomeAssistant, sim_ledger: Ledger
) -> None:
    """At start the mapped entities' current states are fed to every ledger; a site
    restored from its snapshot has taken them already (its minute tick re-reported
    them since): they are skipped, not refused as stale nor counted again."""
    ledger = sim_ledger
    await ledger.setup()
    t = MONDAY + 12 * 3600
    await ledger.at(t)
    for offset, kw in ((0, 3.0), (20, 3.5)):
        for role, key in SITE_ROLES.items():
            state, attrs = _state(key, kw if role is not Role.GRID_POWER else -kw, {})
            hass.states.async_set(entity_id(key), state, attrs, timestamp=t + offset)
        await hass.async_block_till_done()
    await ledger.at(t + 120)
    # The minute tick (as the runtime's timer calls it) re-reports the held values.
    ledger.runtime._async_tick(datetime.fromtimestamp(t + 120, UTC))
    await hass.async_block_till_done()
    site = ledger.runtime.sites[SITE_ID]
    held = dict(site.held)
    rejected = dict(site.ledger.rejected)
    await ledger.unload()
    await ledger.setup()
    site = ledger.runtime.sites[SITE_ID]
    assert dict(site.ledger.rejected) == rejected
    assert site.held == held
    # A state that changed while Home Assistant was down is taken.
    await ledger.unload()
    key = SITE_ROLES[Role.SOLAR_POWER]
    state, attrs = _state(key, 4.0, {})
    hass.states.async_set(entity_id(key), state, attrs, timestamp=t + 150)
    await ledger.at(t + 150)
    await ledger.setup()
    site = ledger.runtime.sites[SITE_ID]
    assert site.held[Role.SOLAR_POWER].ts == t + 150
    assert dict(site.ledger.rejected) == rejected
