"""Issue 15, exactly-once outputs across crashes: kill -9 a real Home Assistant, often.

One config folder per backend (embedded SQLite, PostgreSQL), one ledger with one
vehicle and a fixed-price charging location, then `CHARGES` short charges in a row,
fed as state changes over the HTTP API as in test_real_install.py. Each charge has one
SIGKILL of Home Assistant's process group at a random point (a seeded `random.Random`;
the seed is printed, EV_LEDGER_CRASH_SEED=<seed> replays the plan, not the timing):

- `startup`: right after a restart (a clean one: SIGTERM, start), within a second of
  the ledger being loaded, before the charge;
- `charging`: after one of the charge's state changes (plug in, charging, power on,
  during the power's hold, power off, level, complete, unplug), once the recorder
  has committed it: a state no process has durably written yet (a kill 30 ms after
  the power went on) is lost to any design, and the car reports its current value
  again after the restart, at a new time;
- `completed`: once the session's completion event is in the recorder's database,
  at once, within the ledger writer's commit interval (1 s) or up to 5 s later.
  B1's window was the 90 s in which the restart snapshot is older than the
  completion. The snapshot is now written on the first minute tick of a life and
  every 5 minutes after; the lives here last seconds, so every kill falls in it.

After each kill Home Assistant is started again on the same folder. Once the ledger
is loaded the car's states are reported again (a car integration does so after a
restart; states set over the API are not restored) and the charge goes on.

After a clean stop at the end, what an uninterrupted run gives:
- one completed session per charge and nothing else stored (none lost, none twice,
  no in-progress row left behind), its energy what the states imply (the power held
  from its first report until it was reported 0, across the outage);
- one completion event per charge, with the stored session's id (the recorder's
  database, committed at once with `commit_interval: 0`);
- Energy charged and Charging cost equal to the sums of the stored sessions, and the
  energy equal to what was fed; the energy meter never went down (the recorder's
  statistics take a drop of a total_increasing sensor for a meter reset);
- no error, blocking call or deprecation of the ledger in the log of any life. A kill
  itself makes Home Assistant log only the recorder's warnings about an unclean
  shutdown ("could not validate that the sqlite3 database ... was shutdown cleanly",
  "Ended unfinished session"), none of the ledger.

The charges are short: 100 kW for `HOLD_S` s is 0.083 kWh, above the default minimum
of 0.05 kWh, which is kept. Two thresholds are lowered in the vehicle's form: the
unplug grace to 0 s (the state after the unplug completes the session at once, no
minute tick waited for) and the minimum charging time to 2 s.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from itertools import pairwise
import json
import os
import random
import shutil
import signal
import subprocess
import time
from typing import TYPE_CHECKING, Any, Final

import aiohttp
import pytest

from custom_components.ev_ledger.const import EVENT_SESSION_COMPLETED
from scripts.demo_configure import Api, DemoError, add_subentry, expect, login, submit
from tests.conftest import deprecation_reports
from tests.legs import ON_NEWEST
from tests.pgcluster import free_port

from . import test_real_install
from .crash_support import (
    LogBook,
    durable_recorder,
    is_recorded,
    poll,
    recorded_events,
    recorded_states,
)
from .hass_env import (
    CachedVenv,
    HassProcess,
    blocking_calls,
    clone_venv,
    ledger_errors,
    write_config,
)
from .test_real_install import (
    CAPACITY_KWH,
    CHARGING,
    LEVEL,
    LOCATION,
    PLUG,
    POWER,
    PRICE_PER_KWH,
    ROLES,
    STOP_TIMEOUT_S,
    VEHICLE,
    Storage,
    create_ledger,
    ledger_entity,
    sessions,
    set_state,
    state_of,
    stop,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator
    from pathlib import Path

# The install test's fixtures: the cached venv, the HACS zip, the backend.
artifact = test_real_install.artifact
hass_venv = test_real_install.hass_venv
storage = test_real_install.storage

pytestmark = pytest.mark.skipif(
    not ON_NEWEST,
    reason="the crash loop runs a real Home Assistant of the newest leg: "
    "scripts/test --leg newest tests/install/test_crash_loop.py",
)

CHARGES: Final = 21  # one SIGKILL each
CHARGE_KW: Final = 100.0  # DC
HOLD_S: Final = 3.0  # 100 kW for 3 s: 0.083 kWh, above the default 0.05 kWh minimum
THRESHOLDS: Final = {"session_grace_s": 0, "min_session_s": 2}
FIRST_START_S: Final = 240.0
READY_TIMEOUT_S: Final = 120.0  # a restart: running, the ledger loaded
STATE_TIMEOUT_S: Final = 60.0
EVENT_TIMEOUT_S: Final = 5.0  # a charge's completion event (~0.1 s when it comes)
REQUEST_TIMEOUT_S: Final = 600.0  # the first flow step waits for the installer
# The ledger keeps Wh and 1/100 cent; the fed times are Home Assistant's own stamps.
ENERGY_TOLERANCE: Final = Decimal("0.0006")
TOTAL_TOLERANCE: Final = Decimal("0.001")

HOLD: Final = "hold"  # a step of a charge: the power stays on for HOLD_S
KILL_WHERE: Final = ("startup", "charging", "completed")


def report(message: str) -> None:
    """A line for the run's report (shown with pytest -s)."""
    print(f"[crash loop] {message}")  # noqa: T201 - the run's report


def charge_steps(level: int) -> list[tuple[str, str, str]]:
    """(name, entity, state) of one charge from `level` %, as the car reports it."""
    return [
        ("plug in", PLUG, "on"),
        ("charging", CHARGING, "charging"),
        ("power on", POWER, str(CHARGE_KW)),
        (HOLD, POWER, str(CHARGE_KW)),
        ("power off", POWER, "0"),
        ("level", LEVEL, str(level + 1)),
        ("complete", CHARGING, "complete"),
        ("unplug", PLUG, "off"),
        ("disconnected", CHARGING, "disconnected"),
    ]


STEP_NAMES: Final = [name for name, _, _ in charge_steps(0)]
# The last step completes the session: a kill after it is a `completed` one.
DURING: Final = len(STEP_NAMES) - 1
CAR_STATES: Final = 4


@dataclass(frozen=True, slots=True)
class Kill:
    """Where one charge's SIGKILL falls."""

    where: str  # one of KILL_WHERE
    # `charging`: after which step; `startup`: how many of the car's states were
    # reported again after the restart before the kill.
    step: int
    delay_s: float

    def describe(self) -> str:
        """For the report."""
        if self.where == "charging":
            return f"charging, {self.delay_s:.2f} s after {STEP_NAMES[self.step]!r}"
        if self.where == "completed":
            return f"{self.delay_s:.2f} s after the completion event was recorded"
        return (
            f"{self.delay_s:.2f} s after a restart came up "
            f"({self.step} of {CAR_STATES} car states reported)"
        )


def kill_plan(rng: random.Random, charges: int) -> list[Kill]:
    """One kill per charge, the three kinds equally often, shuffled."""
    kinds = [KILL_WHERE[i % len(KILL_WHERE)] for i in range(charges)]
    rng.shuffle(kinds)
    plan: list[Kill] = []
    for where in kinds:
        if where == "charging":
            step = rng.randrange(DURING)
            hold = STEP_NAMES[step] == HOLD
            plan.append(Kill(where, step, rng.uniform(0, HOLD_S if hold else 0.3)))
        elif where == "completed":
            # At once, within the writer's 1 s commit interval, or later.
            delay = rng.choice((0.0, rng.uniform(0, 1.0), rng.uniform(1.0, 5.0)))
            plan.append(Kill(where, DURING, delay))
        else:
            plan.append(Kill(where, rng.randrange(CAR_STATES + 1), rng.uniform(0, 1.0)))
    return plan


@dataclass(slots=True)
class Fed:
    """One charge as fed: the times Home Assistant stamped on its states."""

    number: int
    kill: Kill
    plugged: float = 0.0
    power_on: float = 0.0  # the first report of the power (again after a restart)
    power_off: float = 0.0  # the first report of 0
    unplugged: float = 0.0
    kills: int = 0

    @property
    def energy_kwh(self) -> Decimal:
        """What the states imply: the power held from on to off, across an outage."""
        return Decimal(repr(CHARGE_KW * (self.power_off - self.power_on) / 3600.0))


# Fixtures ------------------------------------------------------------------------


@pytest.fixture
def crash_hass(
    tmp_path: Path, hass_venv: CachedVenv, artifact: Path, socket_enabled: None
) -> Iterator[HassProcess]:
    """A fresh config folder with a durable recorder and a cloned venv; not started.

    Killed (with its process group) whatever happens to the test.
    """
    venv = tmp_path / "venv"
    clone_venv(hass_venv.path, venv)
    config, port = tmp_path / "config", free_port()
    write_config(config, port, artifact)
    durable_recorder(config)
    process = HassProcess(venv, config, port, hass_venv.unavailable)
    try:
        yield process
    finally:
        process.kill()
        shutil.rmtree(venv, ignore_errors=True)


# The loop ------------------------------------------------------------------------


@dataclass(slots=True)
class CrashLoop:
    """Drives one config folder: set-up, charges, kills and restarts."""

    api: Api
    hass: HassProcess
    storage: Storage
    logs: LogBook = field(default_factory=LogBook)
    entry_id: str = ""
    # The car's states as last reported (reported again after each restart).
    car: dict[str, str] = field(default_factory=dict)
    fed: list[Fed] = field(default_factory=list)
    restart_s: list[float] = field(default_factory=list)

    # Set-up and restarts ---------------------------------------------------------

    async def set_up(self) -> None:
        """Owner, ledger, location, vehicle; the ledger follows the car's states."""
        api, hass = self.api, self.hass
        hass.start()

        async def onboarding() -> Any:
            return await api.get("/api/onboarding")

        await poll("HTTP API", hass, FIRST_START_S, onboarding, every_s=0.5)
        await login(api)
        await self.ready(FIRST_START_S)
        self.entry_id = await create_ledger(api, self.storage)
        await self.report_car(
            {PLUG: "off", CHARGING: "disconnected", LEVEL: "20", POWER: "0"}
        )
        await add_subentry(
            api,
            self.entry_id,
            "location",
            [
                {"name": LOCATION, "kind": "fixed"},
                {"price_per_kwh": float(PRICE_PER_KWH), "currency": "EUR"},
            ],
            "charging location",
        )
        await self.add_vehicle()
        status = await poll(
            "the vehicle's charging status sensor",
            hass,
            STATE_TIMEOUT_S,
            self.entity("charging_status"),
        )

        async def disconnected() -> bool | None:
            return await state_of(api, status) == "disconnected" or None

        await poll("status 'disconnected'", hass, STATE_TIMEOUT_S, disconnected)
        # Home Assistant writes its config entries a moment after a change: a kill
        # before that would lose the vehicle (not the ledger's doing).
        await poll("the vehicle saved", hass, STATE_TIMEOUT_S, self.vehicle_saved)

    async def vehicle_saved(self) -> bool | None:
        """Whether .storage/core.config_entries holds the entry and its vehicle."""
        path = self.hass.config / ".storage" / "core.config_entries"
        try:
            entries = json.loads(path.read_text())["data"]["entries"]
        except (OSError, ValueError, KeyError):
            return None
        for entry in entries:
            if entry["entry_id"] == self.entry_id:
                kinds = {s["subentry_type"] for s in entry.get("subentries", [])}
                return {"vehicle", "location"} <= kinds or None
        return None

    async def add_vehicle(self) -> None:
        """The vehicle of test_real_install.py with this loop's thresholds."""
        api, flow = self.api, "/api/config/config_entries/subentries/flow"
        result = await api.post(flow, {"handler": [self.entry_id, "vehicle"]})
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

    def entity(self, key: str) -> Callable[[], Awaitable[str | None]]:
        """A probe for the entity id of one of the ledger's sensors."""

        async def probe() -> str | None:
            return await ledger_entity(self.api, self.entry_id, key)

        return probe

    async def ready(self, wait_s: float = READY_TIMEOUT_S) -> None:
        """Home Assistant runs and the ledger's entry is loaded (it is subscribed)."""
        api = self.api

        async def probe() -> bool | None:
            try:
                if (await api.get("/api/config"))["state"] != "RUNNING":
                    return None
                if not self.entry_id:
                    return True
                entries = await api.get(
                    "/api/config/config_entries/entry?domain=ev_ledger"
                )
            except DemoError as err:
                if ": 401" in str(err):  # a kill came before the token was saved
                    await login(api)
                raise
            states = [e["state"] for e in entries if e["entry_id"] == self.entry_id]
            assert states, "the ledger's entry is gone after a restart"
            return states == ["loaded"] or None

        try:
            await poll(
                "Home Assistant running, the ledger loaded", self.hass, wait_s, probe
            )
        except AssertionError as err:
            raise AssertionError(f"{err}\n{hung(self.hass)}") from None

    async def start(self) -> None:
        """Start again on the same folder; wait until the ledger runs."""
        started = time.monotonic()
        self.hass.start()
        await self.ready()
        self.restart_s.append(time.monotonic() - started)

    async def crash(self, fed: Fed) -> None:
        """SIGKILL, keep the life's log, start again, report the car's states."""
        self.hass.kill()
        fed.kills += 1
        self.logs.collect(self.hass)
        await self.start()
        await self.report_car(dict(self.car))

    async def crash_after_restart(self, fed: Fed, kill: Kill) -> None:
        """A clean restart, then the kill: while the ledger starts up."""
        returncode = await stop(self.hass)
        assert returncode == 0, f"exit code {returncode} after SIGTERM"
        self.hass.kill()  # closes its output (nothing to kill)
        self.logs.collect(self.hass)
        await self.start()
        await self.report_car(dict(list(self.car.items())[: kill.step]))
        await self.sleep(kill.delay_s)
        await self.crash(fed)

    async def report_car(self, states: dict[str, str]) -> dict[str, float]:
        """Report states of the car (in this order); return their stamps."""
        stamps: dict[str, float] = {}
        for entity_id, state in states.items():
            stamps[entity_id] = await set_state(self.api, entity_id, state)
            self.car[entity_id] = state
        return stamps

    # Charges ---------------------------------------------------------------------

    async def charge(self, number: int, kill: Kill) -> Fed:
        """Feed one charge with its kill; return what was fed."""
        fed = Fed(number, kill)
        self.fed.append(fed)
        if kill.where == "startup":
            await self.crash_after_restart(fed, kill)
        level = int(self.car[LEVEL])
        for index, (name, entity_id, state) in enumerate(charge_steps(level)):
            killed_here = kill.where == "charging" and kill.step == index
            if name == HOLD:
                if killed_here:
                    # As after the other steps: the kill falls once the recorder has
                    # committed the power's report (a life's recorder may take seconds
                    # to commit its first states; what it never wrote is lost to any
                    # design), `delay_s` after the report, or at once if later.
                    await self.recorded(POWER, fed.power_on)
                    await self.sleep(fed.power_on + kill.delay_s - time.time())
                    await self.crash(fed)
                await self.sleep(fed.power_on + HOLD_S - time.time())
                continue
            stamp = (await self.report_car({entity_id: state}))[entity_id]
            if name == "plug in":
                fed.plugged = stamp
            elif name == "power on":
                fed.power_on = stamp
            elif name == "power off":
                fed.power_off = stamp
            elif name == "unplug":
                fed.unplugged = stamp
            if killed_here:
                # A state no one has durably recorded is lost to any design: the
                # kill falls after the recorder committed it (a car integration
                # re-reports the current value after a restart, at a new time).
                await self.recorded(entity_id, stamp)
                await self.sleep(kill.delay_s)
                await self.crash(fed)
        await self.completion(fed)
        if kill.where == "completed":
            await self.sleep(kill.delay_s)
            await self.crash(fed)
        return fed

    async def recorded(self, entity_id: str, stamp: float) -> None:
        """Wait until the recorder's database has the state of `entity_id` at `stamp`."""

        async def probe() -> bool | None:
            return is_recorded(self.hass.config, entity_id, stamp) or None

        await poll(
            f"{entity_id} at {stamp} in the recorder",
            self.hass,
            EVENT_TIMEOUT_S,
            probe,
            every_s=0.01,
        )

    async def completion(self, fed: Fed) -> None:
        """Wait until the charge's completion event is in the recorder's database."""

        async def probe() -> bool | None:
            events = recorded_events(self.hass.config, EVENT_SESSION_COMPLETED) or []
            return any(of_charge(self.fed, e) is fed for e in events) or None

        try:
            await poll(
                f"charge {fed.number}'s completion event",
                self.hass,
                EVENT_TIMEOUT_S,
                probe,
                every_s=0.05,
            )
        except AssertionError as err:
            report(f"{err}; going on (counted at the end)")

    @staticmethod
    async def sleep(seconds: float) -> None:
        """Sleep (nothing when negative)."""
        if seconds > 0:
            await asyncio.sleep(seconds)


def hung(hass: HassProcess) -> str:
    """Where a Home Assistant that does not come up hangs: its threads' stacks.

    Home Assistant enables faulthandler into home-assistant.log.fault, which dumps
    every thread's stack on SIGABRT (and then aborts).
    """
    process = hass.process
    if process is None or process.poll() is not None:
        return "(it is not running)"
    process.send_signal(signal.SIGABRT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=30)
    fault = hass.config / "home-assistant.log.fault"
    stacks = fault.read_text(errors="replace") if fault.is_file() else ""
    return f"--- its threads (SIGABRT) ---\n{stacks or '(no dump)'}"


def of_charge(fed: list[Fed], record: dict[str, Any]) -> Fed | None:
    """The charge a session (stored or announced) belongs to.

    The last one plugged in before the session started (a session the ledger starts
    again after a restart starts later).
    """
    started = record.get("started_at")
    if not isinstance(started, str):
        return None
    at = datetime.fromisoformat(started).timestamp()
    found = None
    for charge in fed:
        if charge.plugged and charge.plugged <= at + 0.001:
            found = charge
    return found


# The checks ----------------------------------------------------------------------


@dataclass(slots=True)
class Outcome:
    """What the ledger shows after the loop (read before the clean stop)."""

    sessions: list[dict[str, Any]]
    total: int
    energy_charged: str | None
    charging_cost: str | None
    energy_entity: str | None


async def read_outcome(loop: CrashLoop) -> Outcome:
    """The stored sessions and the totals' sensors."""
    api, entry_id = loop.api, loop.entry_id
    answer = await sessions(api, entry_id)
    energy = await ledger_entity(api, entry_id, "energy_charged")
    cost = await ledger_entity(api, entry_id, "charging_cost")
    return Outcome(
        list(answer["sessions"]),
        int(answer["total"]),
        await state_of(api, energy) if energy else None,
        await state_of(api, cost) if cost else None,
        energy,
    )


def dump(loop: CrashLoop, outcome: Outcome, events: Any) -> None:
    """What was fed, stored and announced, next to the config (after a failure)."""

    def iso(stamp: float) -> str:
        return datetime.fromtimestamp(stamp, UTC).isoformat()

    fed = [
        {
            "number": f.number,
            "kill": f.kill.describe(),
            "plugged": iso(f.plugged),
            "power_on": iso(f.power_on),
            "power_off": iso(f.power_off),
            "unplugged": iso(f.unplugged),
            "energy_kwh": str(f.energy_kwh),
        }
        for f in loop.fed
    ]
    (loop.hass.config / "crash-loop.json").write_text(
        json.dumps({"fed": fed, "outcome": asdict(outcome), "events": events}, indent=1)
    )


def decimal(value: Any) -> Decimal | None:
    """A sensor's state as a number (None: unknown, unavailable, missing)."""
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


class NotExactlyOnce(AssertionError):
    """An output of the ledger differs from what an uninterrupted run gives."""


async def test_crash_loop(crash_hass: HassProcess, storage: Storage) -> None:
    """CHARGES charges, one SIGKILL each: every output exactly once."""
    seed = int(os.environ.get("EV_LEDGER_CRASH_SEED") or random.randrange(2**32))
    plan = kill_plan(random.Random(seed), CHARGES)
    report(f"{storage.backend}: seed {seed}")
    hass, started = crash_hass, time.monotonic()
    async with aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    ) as session:
        loop = CrashLoop(Api(session, hass.url), hass, storage)
        try:
            await loop.set_up()
            set_up_s = time.monotonic() - started
            for number, kill in enumerate(plan, start=1):
                await loop.charge(number, kill)
            outcome = await read_outcome(loop)
        except BaseException:
            report(f"{storage.backend}: FAILED\n{hass.log_tail()}")
            raise
        returncode = await stop(hass)
    loop.logs.collect(hass)
    events = recorded_events(hass.config, EVENT_SESSION_COMPLETED)
    dump(loop, outcome, events)
    kinds = {w: sum(f.kill.where == w for f in loop.fed) for w in KILL_WHERE}
    report(
        f"{storage.backend}: {time.monotonic() - started:.0f} s for {CHARGES} "
        f"charges, {sum(f.kills for f in loop.fed)} kills ({kinds}); set-up "
        f"{set_up_s:.0f} s, restarts {min(loop.restart_s):.1f}-"
        f"{max(loop.restart_s):.1f} s"
    )
    # The run itself: a clean stop, a clean log.
    assert returncode == 0, f"exit code {returncode} {STOP_TIMEOUT_S} s after SIGTERM"
    assert events is not None, "the recorder's database cannot be read"
    records = loop.logs.records()
    assert [r.text for r in ledger_errors(records)] == []
    assert [r.text for r in blocking_calls(records)] == []
    assert deprecation_reports(r.text for r in records) == []
    problems = exactly_once(loop, outcome, events)
    for problem in problems:
        report(f"{storage.backend}: NOT EXACTLY ONCE: {problem}")
    if problems:
        raise NotExactlyOnce("\n".join(problems))


def short(record: dict[str, Any]) -> str:
    """A stored or announced session in a few words."""
    status = record.get("status", "event")
    return f"{status} {record.get('energy_kwh')} kWh {str(record.get('id'))[:8]}"


def exactly_once(
    loop: CrashLoop, outcome: Outcome, events: list[dict[str, Any]]
) -> list[str]:
    """How the outputs differ from an uninterrupted run's (reported per charge)."""
    fed, stored = loop.fed, outcome.sessions
    assert outcome.total == len(stored), "more sessions than one page"
    problems: list[str] = []
    for charge in fed:
        records = [r for r in stored if of_charge(fed, r) is charge]
        announced = [e for e in events if of_charge(fed, e) is charge]
        stored_here = ", ".join(map(short, records)) or "nothing"
        announced_here = ", ".join(map(short, announced)) or "nothing"
        report(
            f"charge {charge.number:2}: kill {charge.kill.describe()}; fed "
            f"{charge.energy_kwh:.4f} kWh; stored {stored_here}; "
            f"announced {announced_here}"
        )
        if [r["status"] for r in records] != ["completed"]:
            problems.append(f"charge {charge.number}: stored {stored_here}")
        elif abs(Decimal(records[0]["energy_kwh"]) - charge.energy_kwh) > (
            ENERGY_TOLERANCE
        ):
            problems.append(
                f"charge {charge.number}: {records[0]['energy_kwh']} kWh stored, "
                f"{charge.energy_kwh:.5f} kWh fed"
            )
        if [e["id"] for e in announced] != [r["id"] for r in records]:
            problems.append(
                f"charge {charge.number}: announced {announced_here}, "
                f"stored {stored_here}"
            )
    if orphans := [r for r in stored if of_charge(fed, r) is None]:
        problems.append(f"sessions of no charge: {', '.join(map(short, orphans))}")
    completed = [r for r in stored if r["status"] == "completed"]
    energy = sum((Decimal(r["energy_kwh"]) for r in completed), Decimal(0))
    cost = sum((Decimal(r["cost"]) for r in completed), Decimal(0))
    fed_energy = sum((charge.energy_kwh for charge in fed), Decimal(0))
    report(
        f"{loop.storage.backend}: {len(completed)} completed sessions of "
        f"{len(stored)} stored ({energy} kWh, {cost} EUR; fed {fed_energy:.4f} kWh), "
        f"{len(events)} completion events; Energy charged {outcome.energy_charged} "
        f"kWh, Charging cost {outcome.charging_cost} EUR"
    )
    shown = decimal(outcome.energy_charged)
    if shown is None or abs(shown - energy) > TOTAL_TOLERANCE:
        problems.append(f"Energy charged {outcome.energy_charged}, sessions {energy}")
    if abs(energy - fed_energy) > ENERGY_TOLERANCE * len(fed):
        problems.append(f"sessions {energy} kWh, fed {fed_energy:.4f} kWh")
    shown = decimal(outcome.charging_cost)
    if shown is None or abs(shown - cost) > TOTAL_TOLERANCE:
        problems.append(f"Charging cost {outcome.charging_cost}, sessions {cost}")
    # The energy meter never goes down (a drop is a meter reset to the statistics).
    assert outcome.energy_entity is not None
    meter = [
        number
        for state in recorded_states(loop.hass.config, outcome.energy_entity) or []
        if (number := decimal(state)) is not None
    ]
    if drops := [(a, b) for a, b in pairwise(meter) if b < a]:
        problems.append(f"Energy charged went down: {drops}")
    return problems
