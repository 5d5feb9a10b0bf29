"""EV Ledger from its HACS zip in a real Home Assistant of the newest release.

What a user does, end to end: the zip unpacked into `custom_components/ev_ledger/` of a
fresh config folder, `hass -c CONFIG` started from a venv that has Home Assistant but
none of EV Ledger's own requirements (Home Assistant installs them with its installer
when the config flow starts), the ledger and a vehicle added over the HTTP API, a short
charge fed as state changes, and the completed session read back with the
`list_sessions` action, on the embedded SQLite file and on PostgreSQL. Afterwards the
log must hold no error, deprecation report or blocking call of EV Ledger.

The charge is short, so two thresholds are lowered in the vehicle's form (both are
user settings): the unplug grace (120 s by default) to 5 s, and the minimum session
length (60 s) to 10 s. The session closes on the ledger's minute tick after the grace,
so a run waits up to a minute for it.

The venv is cached per release (tests/install/hass_env.py) with the requirements of
what Home Assistant sets up by default. Two of them (pymicro-vad, pyspeex-noise, for
assist_pipeline) have no wheel for Python 3.14 on PyPI and need a C++ compiler, which
the sid root lacks: whatever the cache could not install is passed to
`--skip-pip-packages` (never `--skip-pip`), so Home Assistant's installer still runs
for everything else, EV Ledger included.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
import shutil
import subprocess
import time
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit
import zipfile

import aiohttp
from homeassistant.const import __version__ as HA_VERSION
import pytest

from scripts.demo_configure import Api, DemoError, add_subentry, expect, login, submit
from tests.conftest import deprecation_reports
from tests.db.conftest import create_database, drop_database
from tests.legs import ON_NEWEST
from tests.pgcluster import free_port

from .hass_env import (
    CachedVenv,
    HassProcess,
    blocking_calls,
    build_artifact,
    cached_venv,
    clone_venv,
    distributions,
    imports,
    installs,
    ledger_errors,
    ledger_only_requirements,
    parse_log,
    write_config,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator
    from pathlib import Path

pytestmark = pytest.mark.skipif(
    not ON_NEWEST,
    reason="the real install runs on the newest leg (Python 3.14, newest Home "
    "Assistant): scripts/newest run python -m pytest tests/install",
)

START_TIMEOUT_S: Final = 240.0  # up and running (first start of a fresh config)
STATE_TIMEOUT_S: Final = 60.0  # the ledger's sensors follow a state change
SESSION_TIMEOUT_S: Final = 150.0  # grace + the next minute tick, with room
STOP_TIMEOUT_S: Final = 90.0  # SIGTERM to exit
REQUEST_TIMEOUT_S: Final = 600.0  # the first flow step waits for the installer

VEHICLE: Final = "Ledger car"
CAPACITY_KWH: Final = 60.0
PRICE_PER_KWH: Final = Decimal("0.30")
LOCATION: Final = "Home wallbox"
CHARGE_KW: Final = 22.0  # three-phase AC, below the DC threshold (25 kW)
CHARGE_S: Final = 20.0  # 22 kW for 20 s: 0.122 kWh, above the 0.05 kWh minimum
THRESHOLDS: Final = {"session_grace_s": 5, "min_session_s": 10}

POWER: Final = "sensor.test_car_charger_power"
LEVEL: Final = "sensor.test_car_battery_level"
PLUG: Final = "binary_sensor.test_car_plug"
CHARGING: Final = "sensor.test_car_charging"
CHARGING_OPTIONS: Final = ["disconnected", "plugged", "charging", "complete"]
SOURCES: Final[dict[str, dict[str, Any]]] = {
    POWER: {
        "friendly_name": "Test car Charger power",
        "device_class": "power",
        "state_class": "measurement",
        "unit_of_measurement": "kW",
    },
    LEVEL: {
        "friendly_name": "Test car Battery level",
        "device_class": "battery",
        "state_class": "measurement",
        "unit_of_measurement": "%",
    },
    PLUG: {"friendly_name": "Test car Plug", "device_class": "plug"},
    CHARGING: {
        "friendly_name": "Test car Charging",
        "device_class": "enum",
        "options": CHARGING_OPTIONS,
    },
}
ROLES: Final = {
    "charger_power": POWER,
    "battery_level": LEVEL,
    "plugged": PLUG,
    "charging_state": CHARGING,
}


def report(message: str) -> None:
    """A line for the run's report (shown with pytest -s)."""
    print(f"[real install] {message}")  # noqa: T201 - timings for the report


# Fixtures ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hass_venv() -> CachedVenv:
    """The cached Home Assistant venv of this release (built on first use)."""
    venv = cached_venv()
    report(
        f"Home Assistant {HA_VERSION} venv {venv.path}: "
        f"{'built (cold)' if venv.built else 'reused (warm)'} in {venv.seconds:.1f} s"
        + (
            f"; skipped (no wheel, no compiler): {venv.unavailable}"
            if venv.unavailable
            else ""
        )
    )
    return venv


@pytest.fixture(scope="module")
def artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HACS zip, as a release publishes it."""
    path = build_artifact(tmp_path_factory.mktemp("artifact"))
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    assert "manifest.json" in names
    assert any(name.startswith("migrations/versions/") for name in names)
    return path


@dataclass(frozen=True, slots=True)
class Storage:
    """Where the ledger keeps its records: the PostgreSQL form's fields, or embedded."""

    backend: str
    fields: dict[str, Any] | None = None


@pytest.fixture(params=["embedded", "postgresql"])
def storage(request: pytest.FixtureRequest) -> Iterator[Storage]:
    """Embedded SQLite, or a fresh database on the test server."""
    if request.param == "embedded":
        yield Storage("embedded")
        return
    server_url: str = request.getfixturevalue("pg_server_url")
    url = create_database(server_url)
    parts = urlsplit(url)
    fields: dict[str, Any] = {
        "host": parts.hostname,
        "port": parts.port or 5432,
        "database": parts.path.lstrip("/"),
        "username": parts.username,
    }
    if parts.password:
        fields["password"] = parts.password
    try:
        yield Storage("postgresql", fields)
    finally:
        drop_database(server_url, url)


@pytest.fixture
def hass(
    tmp_path: Path, hass_venv: CachedVenv, artifact: Path, socket_enabled: None
) -> Iterator[HassProcess]:
    """A fresh config folder with the artifact and a cloned venv; Home Assistant runs.

    Killed (with its process group) whatever happens to the test. The test talks to
    it over 127.0.0.1 (`socket_enabled` keeps the plugin's loopback-only guard).
    """
    venv = tmp_path / "venv"
    seconds = clone_venv(hass_venv.path, venv)
    report(f"venv cloned for this run in {seconds:.1f} s")
    # Nothing of ours before Home Assistant installs it.
    assert not imports(venv, "psycopg"), "psycopg is in the venv before the run"
    assert not imports(venv, "alembic"), "alembic is in the venv before the run"
    config, port = tmp_path / "config", free_port()
    integration = write_config(config, port, artifact)
    assert (integration / "migrations" / "env.py").is_file()
    process = HassProcess(venv, config, port, hass_venv.unavailable)
    process.start()
    try:
        yield process
    finally:
        process.kill()
        shutil.rmtree(venv, ignore_errors=True)


# Helpers -------------------------------------------------------------------------


async def eventually[T](
    what: str,
    hass: HassProcess,
    wait_s: float,
    probe: Callable[[], Awaitable[T | None]],
) -> T:
    """Poll `probe` until it returns a value; fail when hass exits or time is up."""
    deadline = time.monotonic() + wait_s
    last: Exception | None = None
    while True:
        if not hass.alive():
            raise AssertionError(f"Home Assistant exited while waiting for {what}")
        try:
            value = await probe()
        except (aiohttp.ClientError, DemoError, TimeoutError) as err:
            value, last = None, err
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                f"no {what} within {wait_s:.0f} s (last error: {last!r})"
            )
        await asyncio.sleep(1)


async def set_state(api: Api, entity_id: str, state: str) -> float:
    """Set a source entity's state; return the timestamp Home Assistant gave it."""
    answer = await api.post(
        f"/api/states/{entity_id}",
        {"state": state, "attributes": SOURCES[entity_id]},
    )
    return datetime.fromisoformat(answer["last_updated"]).timestamp()


async def state_of(api: Api, entity_id: str) -> str | None:
    """An entity's state, None when it does not exist."""
    try:
        answer = await api.get(f"/api/states/{entity_id}")
    except DemoError:
        return None
    return str(answer["state"])


async def create_ledger(api: Api, storage: Storage) -> str:
    """The EV Ledger entry through the config flow; its requirements get installed."""
    flow = "/api/config/config_entries/flow"
    result = await api.post(flow, {"handler": "ev_ledger"})
    expect(result, "menu", "EV Ledger flow")
    result = await api.post(
        f"{flow}/{result['flow_id']}", {"next_step_id": storage.backend}
    )
    if storage.fields is not None:
        expect(result, "form", "PostgreSQL form")
        result = await submit(api, flow, result, storage.fields)
    expect(result, "create_entry", f"EV Ledger storage ({storage.backend})")
    return str(result["result"]["entry_id"])


async def add_vehicle(api: Api, entry_id: str) -> None:
    """A vehicle mapped by hand (no device), with the short charge's thresholds."""
    flow = "/api/config/config_entries/subentries/flow"
    result = await api.post(flow, {"handler": [entry_id, "vehicle"]})
    expect(result, "form", "vehicle device step")
    result = await submit(api, flow, result, {})
    expect(result, "form", "vehicle review step")
    result = await submit(
        api,
        flow,
        result,
        {
            "name": VEHICLE,
            **ROLES,
            "usable_capacity_kwh": CAPACITY_KWH,
            "thresholds": THRESHOLDS,
        },
    )
    expect(result, "create_entry", "vehicle")


async def ledger_entity(api: Api, entry_id: str, key: str) -> str | None:
    """The entity id of one of the ledger's sensors (by its description key)."""
    (entities,) = await api.ws({"type": "config/entity_registry/list"})
    for entity in entities:
        if (
            entity["platform"] == "ev_ledger"
            and entity["config_entry_id"] == entry_id
            and entity["entity_id"].endswith(f"_{key}")
        ):
            return str(entity["entity_id"])
    return None


async def sessions(api: Api, entry_id: str) -> dict[str, Any]:
    """The `list_sessions` action's response."""
    answer = await api.post(
        "/api/services/ev_ledger/list_sessions?return_response",
        {"config_entry_id": entry_id},
    )
    response: dict[str, Any] = answer["service_response"]
    return response


@dataclass(slots=True)
class Charge:
    """The timestamps of the charge as Home Assistant stamped its states."""

    plugged: float = 0.0
    charging: float = 0.0
    power_on: float = 0.0
    power_off: float = 0.0
    complete: float = 0.0
    unplugged: float = 0.0

    @property
    def energy_kwh(self) -> float:
        """What flowed: the power held (zero-order) from on to off, in kWh."""
        return CHARGE_KW * (self.power_off - self.power_on) / 3600.0

    @property
    def charging_s(self) -> float:
        """The charging window: from "charging" to "complete"."""
        return self.complete - self.charging


async def feed_charge(api: Api, hass: HassProcess, status_entity: str) -> Charge:
    """Plug in, charge at 22 kW for 20 s, stop, unplug; as a car reports it."""

    def status_is(wanted: str) -> Callable[[], Awaitable[str | None]]:
        async def probe() -> str | None:
            return wanted if await state_of(api, status_entity) == wanted else None

        return probe

    charge = Charge()
    charge.plugged = await set_state(api, PLUG, "on")
    await set_state(api, CHARGING, "plugged")
    # The ledger is live (no initial backfill holds its states) once it follows.
    await eventually(
        "charging status 'plugged'", hass, STATE_TIMEOUT_S, status_is("plugged")
    )
    charge.charging = await set_state(api, CHARGING, "charging")
    charge.power_on = await set_state(api, POWER, str(CHARGE_KW))
    await eventually(
        "charging status 'charging'",
        hass,
        STATE_TIMEOUT_S,
        status_is("charging"),
    )
    await asyncio.sleep(max(0.0, charge.power_on + CHARGE_S - time.time()))
    charge.power_off = await set_state(api, POWER, "0")
    await set_state(api, LEVEL, "51")
    charge.complete = await set_state(api, CHARGING, "complete")
    await eventually(
        "charging status 'complete'",
        hass,
        STATE_TIMEOUT_S,
        status_is("complete"),
    )
    charge.unplugged = await set_state(api, PLUG, "off")
    await set_state(api, CHARGING, "disconnected")
    return charge


async def stop(hass: HassProcess) -> int | None:
    """SIGTERM, then wait for the exit; None when it did not stop in time."""
    assert hass.process is not None
    hass.terminate()
    try:
        return await asyncio.to_thread(hass.process.wait, STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None


# The test ------------------------------------------------------------------------


@dataclass(slots=True)
class Outcome:
    """What the run produced, for the checks after Home Assistant has stopped."""

    charge: Charge
    sessions: dict[str, Any]
    last_session_energy: str | None


class Steps:
    """How long each step took (for the report)."""

    def __init__(self) -> None:
        self.done: list[str] = []
        self._mark = time.monotonic()

    def __call__(self, name: str) -> None:
        """End a step."""
        now = time.monotonic()
        self.done.append(f"{name} {now - self._mark:.1f} s")
        self._mark = now


async def drive(api: Api, hass: HassProcess, storage: Storage, steps: Steps) -> Outcome:
    """Everything a user does over the API: owner, ledger, vehicle, a charge."""

    async def onboarding() -> Any:
        return await api.get("/api/onboarding")

    async def running() -> bool | None:
        return (await api.get("/api/config"))["state"] == "RUNNING" or None

    await eventually("HTTP API", hass, START_TIMEOUT_S, onboarding)
    await login(api)
    await eventually("state RUNNING", hass, START_TIMEOUT_S, running)
    steps("start")

    entry_id = await create_ledger(api, storage)
    steps("ledger flow (installs the requirements)")

    initial = {POWER: "0", LEVEL: "50", PLUG: "off", CHARGING: "disconnected"}
    for entity_id, state in initial.items():
        await set_state(api, entity_id, state)
    await add_subentry(
        api,
        entry_id,
        "location",
        [
            {"name": LOCATION, "kind": "fixed"},
            {"price_per_kwh": float(PRICE_PER_KWH), "currency": "EUR"},
        ],
        "charging location",
    )
    await add_vehicle(api, entry_id)

    async def status_entity() -> str | None:
        return await ledger_entity(api, entry_id, "charging_status")

    status = await eventually(
        "the vehicle's charging status sensor", hass, STATE_TIMEOUT_S, status_entity
    )

    async def disconnected() -> bool | None:
        return await state_of(api, status) == "disconnected" or None

    await eventually("status 'disconnected'", hass, STATE_TIMEOUT_S, disconnected)
    steps("subentries")

    charge = await feed_charge(api, hass, status)
    steps("charge")

    async def completed() -> dict[str, Any] | None:
        answer = await sessions(api, entry_id)
        done = [s for s in answer["sessions"] if s["status"] == "completed"]
        return answer if done else None

    answer = await eventually("a completed session", hass, SESSION_TIMEOUT_S, completed)
    steps("session completed (grace, minute tick)")
    last_energy = await ledger_entity(api, entry_id, "last_session_energy")
    return Outcome(
        charge,
        answer,
        await state_of(api, last_energy) if last_energy else None,
    )


def check_session(outcome: Outcome, backend: str) -> None:
    """The session, from first principles.

    22 kW held from power on to power off, priced at the location's fixed price; the
    ledger keeps Wh (and 1/100 cent).
    """
    answer, charge = outcome.sessions, outcome.charge
    assert answer["total"] == 1, answer
    (record,) = answer["sessions"]
    report(
        f"{backend}: session {record['energy_kwh']} kWh (fed "
        f"{charge.energy_kwh:.5f} kWh), {record['charging_seconds']} s charging, "
        f"cost {record['cost']} {record['currency']}"
    )
    fed = Decimal(repr(charge.energy_kwh))
    energy = Decimal(record["energy_kwh"])
    assert record["status"] == "completed", record
    assert record["energy_method"] == "power_integration", record
    assert abs(energy - fed) <= Decimal("0.0006"), (record, fed)
    assert energy >= Decimal("0.05")  # the default minimum: not lowered
    assert abs(float(record["charging_seconds"]) - charge.charging_s) < 0.01, record
    assert Decimal(record["start_level"]) == 50
    assert Decimal(record["end_level"]) == 51
    assert Decimal(record["power_max_kw"]) == Decimal(repr(CHARGE_KW))
    assert record["charge_type"] == "ac"
    assert record["tariff"]["name"] == LOCATION, record
    assert record["cost_source"] == "tariff"
    assert record["currency"] == "EUR"
    cost = Decimal(record["cost"])
    assert abs(cost - fed * PRICE_PER_KWH) <= Decimal("0.0001"), record
    assert outcome.last_session_energy is not None
    assert abs(Decimal(outcome.last_session_energy) - fed) <= Decimal("0.0006")


def check_install(hass: HassProcess, cache: CachedVenv, returncode: int | None) -> None:
    """Home Assistant installed what the manifest asks for, and its log is clean."""
    records = parse_log(hass.log_file.read_text(errors="replace"))
    # Its installer, into the venv it runs from (the clone, never the cache).
    assert sorted(installs(records)) == sorted(ledger_only_requirements())
    assert imports(hass.venv, "psycopg", "alembic")
    assert {"psycopg", "psycopg-binary", "alembic"} <= distributions(hass.venv)
    assert not {"psycopg", "alembic"} & distributions(cache.path), "cache written"
    # A clean stop and a clean log.
    assert returncode == 0, f"exit code {returncode} after SIGTERM"
    assert [r.text for r in ledger_errors(records)] == []
    assert deprecation_reports(r.text for r in records) == []
    assert [r.text for r in blocking_calls(records)] == []


async def test_real_install(
    hass: HassProcess, storage: Storage, hass_venv: CachedVenv
) -> None:
    """Install, configure, charge, read back; a clean log after a clean stop."""
    started = time.monotonic()
    steps = Steps()
    try:
        async with aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
        ) as session:
            outcome = await drive(Api(session, hass.url), hass, storage, steps)
        returncode = await stop(hass)
        steps("stop")
        assert returncode is not None, f"no exit {STOP_TIMEOUT_S:.0f} s after SIGTERM"
        report(
            f"{storage.backend}: {time.monotonic() - started:.0f} s "
            f"({', '.join(steps.done)})"
        )
        check_session(outcome, storage.backend)
        check_install(hass, hass_venv, returncode)
    except BaseException:
        report(
            f"{storage.backend}: FAILED after {', '.join(steps.done) or 'nothing'}\n"
            f"{hass.log_tail()}"
        )
        raise
