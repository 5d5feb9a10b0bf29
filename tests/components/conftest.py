"""Fixtures of the integration tests: ledgers with subentries on both backends."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
import logging
import random
from typing import TYPE_CHECKING, Any
from unittest.mock import PropertyMock, patch

from homeassistant import block_async_io
from homeassistant.config_entries import ConfigEntryState
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.ev_ledger import runtime as runtime_module
from custom_components.ev_ledger.compat import find_device
from custom_components.ev_ledger.const import (
    BACKEND_EMBEDDED,
    BACKEND_POSTGRESQL,
    CONF_BACKEND,
    CONF_CAPACITY,
    CONF_NAME,
    CONF_ROLES,
    CONF_TARIFF,
    CONF_URL,
    CONF_ZONE,
    DOMAIN,
    LOCATION_DEFAULT,
    SUBENTRY_LOCATION,
    SUBENTRY_VEHICLE,
)
from custom_components.ev_ledger.db import Backoff, DbConfig, Reader
from custom_components.ev_ledger.logic.model import ChargeState, Place, Reading, Role
from custom_components.ev_ledger.runtime import EvLedgerRuntime, Tuning
from tests.db.conftest import create_database, drop_database

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant, State

logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)

START = 1_772_460_000.0  # 2026-03-02 14:00 UTC, before every scenario
VEHICLE_ID = "01JVEHICLE0000000000000001"
HOME_ID = "01JLOCATION000000000000001"
DEFAULT_ID = "01JLOCATION000000000000002"

# One entity per role, as a Teslemetry-like integration provides them.
ENTITIES: dict[Role, str] = {
    Role.PLUGGED: "binary_sensor.model_y_charge_cable",
    Role.CHARGING_STATE: "sensor.model_y_charging",
    Role.CHARGER_POWER: "sensor.model_y_charger_power",
    Role.BATTERY_LEVEL: "sensor.model_y_battery_level",
    Role.ODOMETER: "sensor.model_y_odometer",
    Role.SHIFT_STATE: "sensor.model_y_shift_state",
    Role.LOCATION: "device_tracker.model_y_location",
}
UNITS: dict[Role, str] = {
    Role.CHARGER_POWER: "kW",
    Role.BATTERY_LEVEL: "%",
    Role.ODOMETER: "km",
}


def device_of(hass: HomeAssistant, subentry_id: str) -> dr.DeviceEntry | None:
    """The device EV Ledger registered for a subentry, in any of its entries."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if device := find_device(hass, entry.entry_id, (DOMAIN, subentry_id)):
            return device
    return None


def vehicle_subentry(
    roles: dict[Role, str] | None = None,
    *,
    subentry_id: str = VEHICLE_ID,
    title: str = "Model Y",
    capacity: float | None = 75.0,
) -> dict[str, Any]:
    """Subentry data of a vehicle, as the config flow writes it."""
    mapping = ENTITIES if roles is None else roles
    return {
        "data": {
            CONF_NAME: title,
            CONF_ROLES: {role.value: entity for role, entity in mapping.items()},
            CONF_CAPACITY: capacity,
        },
        "subentry_id": subentry_id,
        "subentry_type": SUBENTRY_VEHICLE,
        "title": title,
        "unique_id": subentry_id,
    }


def location_subentry(
    zone: str, price: str, *, subentry_id: str, title: str
) -> dict[str, Any]:
    """Subentry data of a charging location with a fixed price."""
    tariff = {"kind": "fixed", "currency": "EUR", "price_per_kwh": price}
    return _location(zone, tariff, subentry_id=subentry_id, title=title)


def priced_location_subentry(
    zone: str, price_entity: str, *, subentry_id: str, title: str
) -> dict[str, Any]:
    """Subentry data of a charging location priced by a price entity (EUR)."""
    tariff = {
        "kind": "price_entity",
        "currency": "EUR",
        "price_series_id": price_entity,
    }
    return _location(zone, tariff, subentry_id=subentry_id, title=title)


def _location(
    zone: str, tariff: dict[str, Any], *, subentry_id: str, title: str
) -> dict[str, Any]:
    return {
        "data": {CONF_NAME: title, CONF_ZONE: zone, CONF_TARIFF: tariff},
        "subentry_id": subentry_id,
        "subentry_type": SUBENTRY_LOCATION,
        "title": title,
        "unique_id": subentry_id,
    }


def default_subentries() -> list[dict[str, Any]]:
    """A vehicle, home at 0.30 EUR/kWh and anywhere else at 0.60 EUR/kWh."""
    return [
        vehicle_subentry(),
        location_subentry("zone.home", "0.30", subentry_id=HOME_ID, title="Home"),
        location_subentry(
            LOCATION_DEFAULT, "0.60", subentry_id=DEFAULT_ID, title="Elsewhere"
        ),
    ]


@pytest.fixture(autouse=True)
def blocking_call_detector(
    disable_block_async_io: None, reported: list[str]
) -> Iterator[None]:
    """Home Assistant's blocking-call detector, on for every integration test.

    The test plugin leaves it off; Home Assistant turns it on at start-up. Strict
    calls raise inside the event loop; the rest are logged, and any report fails the
    test. (`disable_block_async_io` switches it off again afterwards.)
    """
    block_async_io.enable()
    yield
    reports = [message for message in reported if "Detected blocking call" in message]
    assert reports == []


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom_components/ev_ledger."""


@pytest.fixture(autouse=True)
def fast_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reconnect quickly; the outage threshold is set per test."""
    monkeypatch.setattr(
        runtime_module,
        "TUNING",
        Tuning(backoff=Backoff(initial=0.05, maximum=0.2, rng=random.Random(3))),
    )


@pytest.fixture(autouse=True)
def config_dir(hass: HomeAssistant, tmp_path: Any) -> None:
    """A config folder of the test's own (SQLite file, journal)."""
    hass.config.config_dir = str(tmp_path)


@pytest.fixture
def pg_url(pg_server_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database."""
    url = create_database(pg_server_url)
    yield url
    drop_database(pg_server_url, url)


@pytest.fixture(params=[BACKEND_EMBEDDED, BACKEND_POSTGRESQL])
def entry_data(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Entry data of each backend (a fresh database each time)."""
    if request.param == BACKEND_EMBEDDED:
        return {CONF_BACKEND: BACKEND_EMBEDDED}
    url: str = request.getfixturevalue("pg_url")
    return {CONF_BACKEND: BACKEND_POSTGRESQL, CONF_URL: url}


@pytest.fixture
def embedded_data() -> dict[str, Any]:
    """Entry data of the embedded default."""
    return {CONF_BACKEND: BACKEND_EMBEDDED}


def make_entry(
    data: dict[str, Any], subentries: list[dict[str, Any]] | None = None
) -> MockConfigEntry:
    """A ledger entry with subentries."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="EV Ledger",
        data=data,
        entry_id="01JENTRY00000000000000001",
        subentries_data=default_subentries() if subentries is None else subentries,
    )


@dataclass
class Ledger:
    """A set-up ledger and helpers to drive it through time and states."""

    hass: HomeAssistant
    freezer: FrozenDateTimeFactory
    entry: MockConfigEntry
    roles: dict[Role, str] = field(default_factory=lambda: dict(ENTITIES))

    @property
    def runtime(self) -> EvLedgerRuntime:
        """The entry's runtime."""
        runtime: EvLedgerRuntime = self.entry.runtime_data
        return runtime

    async def setup(self) -> None:
        """Set the entry up and wait for it."""
        if self.entry.entry_id not in {
            e.entry_id for e in self.hass.config_entries.async_entries(DOMAIN)
        }:
            self.entry.add_to_hass(self.hass)
        ok = await self.hass.config_entries.async_setup(self.entry.entry_id)
        assert ok, (self.entry.state, self.entry.reason)
        # With the recorder, a new vehicle's history is backfilled first.
        await self.hass.async_block_till_done(wait_background_tasks=True)
        assert self.entry.state is ConfigEntryState.LOADED

    async def unload(self) -> None:
        """Unload the entry (the runtime stops and saves its snapshot)."""
        assert await self.hass.config_entries.async_unload(self.entry.entry_id)
        await self.hass.async_block_till_done()

    async def at(self, ts: float) -> None:
        """Move the clock to `ts` and let timers due by then run."""
        moment = datetime.fromtimestamp(ts, UTC)
        self.freezer.move_to(moment)
        async_fire_time_changed(self.hass, moment)
        await self.hass.async_block_till_done()

    async def reading(self, reading: Reading) -> None:
        """Set the state that an integration would report for `reading`."""
        await self.at(reading.ts)
        entity_id = self.roles[reading.role]
        state, attributes = state_of(reading)
        self.hass.states.async_set(entity_id, state, attributes)
        await self.hass.async_block_till_done()

    async def replay(self, readings: list[Reading]) -> None:
        """Set the states of a whole trace, in time order."""
        for reading in sorted(readings, key=lambda r: r.ts):
            await self.reading(reading)

    async def synced(self) -> None:
        """Wait until everything so far is in the database."""
        await self.runtime.async_flush()
        await asyncio.wrap_future(self.runtime.writer.synced())

    async def query(self, method: str, **kwargs: Any) -> Any:
        """Run a Reader method on the ledger's database (in the executor)."""
        await self.synced()
        reader = Reader(self.runtime.db_config)
        try:
            return await self.hass.async_add_executor_job(
                lambda: getattr(reader, method)(**kwargs)
            )
        finally:
            await self.hass.async_add_executor_job(reader.close)


def state_of(reading: Reading) -> tuple[str, dict[str, Any]]:
    """The HA state text and attributes of a canonical reading."""
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
        attributes["latitude"] = value.latitude
        attributes["longitude"] = value.longitude
        return value.zone or "not_home", attributes
    return str(value), attributes


@pytest.fixture
async def ledger(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry_data: dict[str, Any]
) -> AsyncIterator[Ledger]:
    """A ledger with the default subentries on each backend, not yet set up.

    The clock starts frozen two hours before the scenarios' start (psycopg's connect
    timeout misfires when a test freezes the clock at the real time).
    """
    freezer.move_to(datetime.fromtimestamp(START, UTC))
    ledger = Ledger(hass, freezer, make_entry(entry_data))
    yield ledger
    if ledger.entry.state is ConfigEntryState.LOADED:
        await ledger.unload()


@pytest.fixture
async def loaded(
    hass: HomeAssistant, entry_data: dict[str, Any]
) -> AsyncIterator[MockConfigEntry]:
    """A ledger on each backend, on the real clock (tokens are checked against it).

    The `ledger` fixture freezes time; a websocket or HTTP client's token is checked
    against the real clock, so tests of those take this one.
    """
    entry = make_entry(entry_data)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    yield entry
    if entry.state is ConfigEntryState.LOADED:
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


def db_config_of(ledger: Ledger) -> DbConfig:
    """The database of a ledger."""
    return ledger.runtime.db_config


@pytest.fixture
async def embedded_ledger(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, embedded_data: dict[str, Any]
) -> AsyncIterator[Ledger]:
    """A ledger on the embedded default only (for snapshots)."""
    freezer.move_to(datetime.fromtimestamp(START, UTC))
    ledger = Ledger(hass, freezer, make_entry(embedded_data))
    yield ledger
    if ledger.entry.state is ConfigEntryState.LOADED:
        await ledger.unload()


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Enable the entities that are disabled by default."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield


def plain(value: Any) -> Any:
    """`value` as plain JSON-like data, for snapshots that read alike on every release.

    Home Assistant releases and syrupy versions print enums, read-only dicts and enum
    keys differently; their values are what a user sees.
    """
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, Mapping):
        return {str(plain(key)): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted((plain(item) for item in value), key=repr)
    return value


def entity_set(
    hass: HomeAssistant, registry: er.EntityRegistry, entry_id: str
) -> list[dict[str, Any]]:
    """The entities of an entry as a user sees them (stable across runs)."""
    out: list[dict[str, Any]] = []
    for entry in sorted(
        er.async_entries_for_config_entry(registry, entry_id), key=lambda e: e.entity_id
    ):
        state = hass.states.get(entry.entity_id)
        out.append(
            {
                "entity_id": entry.entity_id,
                "unique_id": entry.unique_id,
                "config_subentry_id": entry.config_subentry_id,
                "translation_key": entry.translation_key,
                "device_class": entry.original_device_class,
                "entity_category": entry.entity_category,
                "disabled_by": entry.disabled_by,
                "capabilities": entry.capabilities,
                "unit": entry.unit_of_measurement,
                "state": None if state is None else state.state,
                "attributes": None if state is None else dict(state.attributes),
            }
        )
    snapshot: list[dict[str, Any]] = plain(out)
    return snapshot


def get_state(hass: HomeAssistant, entity_id: str) -> State:
    """The state of an entity that must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state
