"""Every command and example in README.md works as written.

The rules, block by block (fenced code in README.md):

- ```bash: each command (one logical line) is run from the repository root and must
  exit 0, in the order of its block, unless an HTML comment right above the block says
  ``<!-- not run in tests: COMMAND | REASON -->``. Such a command is only checked: its
  program (and the script or module `python` runs) exists and is executable, the
  reason is given, and a reason naming `.ci/run` is true. A marker that names no
  command of its block fails the test.
- ```sql: run in order on a private throwaway PostgreSQL. The blocks of "PostgreSQL
  guide" (roles) run as the superuser in a database `homeassistant`; then EV Ledger
  migrates it as the role `ev_ledger` and its writer stores sessions and trips; the
  blocks of "SQL" run as the read-only role `grafana` and must return rows.
- ```yaml: an action example is validated by that action's schema; an automation
  example is set up in a real Home Assistant and fed a session-completed event.
- ```text: the time-of-use bands, parsed by the config flow's parser.
- The supported-vehicle table equals what `propose_mapping` proposes for the fixtures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
import json
import os
from pathlib import Path
import re
import shlex
import subprocess
import sys
from typing import TYPE_CHECKING, Any

from homeassistant.util.yaml import parse_yaml
import psycopg
import pytest

from custom_components.ev_ledger import services
from custom_components.ev_ledger.const import EVENT_SESSION_COMPLETED
from custom_components.ev_ledger.db import DbConfig, Writer, connect_and_migrate
from custom_components.ev_ledger.flow_tariff import parse_bands
from custom_components.ev_ledger.logic.mapping import EntityInfo, propose_mapping
from custom_components.ev_ledger.logic.model import Flag, Role, SessionStatus
from custom_components.ev_ledger.records import session_dict
from tests.db.conftest import make_session, make_trip
from tests.legs import readme_commands
from tests.pgcluster import PgCluster, start_cluster

if TYPE_CHECKING:
    from collections.abc import Iterator

    from homeassistant.core import HomeAssistant

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
CI = (ROOT / ".ci" / "run").read_text()
MARKER = re.compile(
    r"^\s*<!-- not run in tests: (?P<command>.+?) \| (?P<reason>.*) -->$"
)
FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>\w*)\s*$")
HEADING = re.compile(r"^(#+) (?P<title>.+)$")


@dataclass
class Block:
    """A fenced block of the README."""

    lang: str
    text: str
    line: int
    section: str
    skip: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.lang}@L{self.line}"


def blocks() -> list[Block]:
    """The README's fenced blocks, each with its heading and skip markers."""
    found: list[Block] = []
    lines = README.read_text().splitlines()
    section = ""
    index = 0
    while index < len(lines):
        line = lines[index]
        if heading := HEADING.match(line):
            section = heading["title"]
        fence = FENCE.match(line)
        if fence is None:
            index += 1
            continue
        indent = len(fence["indent"])
        body: list[str] = []
        end = index + 1
        while not lines[end].strip().startswith("```"):
            body.append(lines[end][indent:])
            end += 1
        skip: dict[str, str] = {}
        above = index - 1
        while above >= 0 and (marker := MARKER.match(lines[above])):
            skip[marker["command"]] = marker["reason"]
            above -= 1
        found.append(Block(fence["lang"], "\n".join(body), index + 1, section, skip))
        index = end + 1
    return found


BLOCKS = blocks()


def of(lang: str) -> list[Block]:
    """The blocks of one language, in README order."""
    return [block for block in BLOCKS if block.lang == lang]


def test_every_block_has_a_known_language() -> None:
    assert {block.lang for block in BLOCKS} <= {"bash", "sql", "yaml", "text"}
    assert all(not block.skip for block in BLOCKS if block.lang != "bash")


# bash ------------------------------------------------------------------------------


def commands(text: str) -> list[str]:
    """Logical command lines, comments removed, tokens re-joined by one space."""
    out = []
    for line in text.replace("\\\n", " ").splitlines():
        tokens = shlex.split(line, comments=True)
        if tokens:
            out.append(" ".join(tokens))
    return out


def check_not_run(command: str, reason: str) -> None:
    """A command the test does not run exists, is executable, and says why."""
    tokens = command.split()
    program = ROOT / tokens[0]
    assert program.is_file(), f"{tokens[0]} does not exist"
    assert os.access(program, os.X_OK), f"{tokens[0]} is not executable"
    if program.name.startswith("python"):
        if tokens[1] == "-m":
            module = ROOT / tokens[2].replace(".", "/")
            assert module.with_suffix(".py").is_file() or module.is_dir(), command
        else:
            assert (ROOT / tokens[1]).is_file(), command
    assert reason.strip(), f"{command}: no reason given"
    if ".ci/run" in reason:
        assert tokens[0] in CI, f"{command}: not in .ci/run"


@readme_commands
@pytest.mark.parametrize("block", of("bash"), ids=lambda b: b.id)
def test_bash_block(block: Block) -> None:
    found = commands(block.text)
    stale = set(block.skip) - set(found)
    assert not stale, f"markers for commands not in the block: {stale}"
    for command in found:
        if command in block.skip:
            check_not_run(command, block.skip[command])
            continue
        result = subprocess.run(
            ["bash", "-c", command],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"


# sql -------------------------------------------------------------------------------

ADMIN_SECTION = "PostgreSQL guide"
QUERY_SECTION = "SQL"
DATABASE = "homeassistant"


def _libpq(cluster: PgCluster, user: str, database: str = DATABASE) -> str:
    return f"postgresql://{user}@127.0.0.1:{cluster.port}/{database}"


def _fill(cluster: PgCluster, journal: Path) -> None:
    """Migrate as ev_ledger and write a few records through EV Ledger's writer."""
    config = DbConfig(
        host="127.0.0.1",
        port=cluster.port,
        database=DATABASE,
        user="ev_ledger",
        password=None,  # the throwaway cluster trusts loopback connections
        sslmode="disable",
    )
    connect_and_migrate(config)
    writer = Writer(config, journal, commit_interval=0.05)
    writer.start().result(10)
    try:
        writer.enqueue_vehicle("vehicle-1", name="Model Y")
        sessions = [make_session(i, energy=Decimal(10 + i)) for i in range(4)]
        sessions[1].status = SessionStatus.INFERRED
        sessions[1].flags = {Flag.INFERRED}
        for session in sessions:
            writer.enqueue_session(session)
        for index in range(3):
            writer.enqueue_trip(make_trip(index))
        writer.synced().result(10)
        writer.update_session(sessions[0].id, cost_override=Decimal("2.50"))
        writer.delete_session(sessions[3].id)
        writer.synced().result(10)
    finally:
        assert writer.stop(10)


@pytest.fixture(scope="module")
def cluster() -> Iterator[PgCluster]:
    """A private cluster: the README creates roles, which are cluster-wide."""
    pg = start_cluster()
    try:
        yield pg
    finally:
        pg.destroy()


def test_sql_blocks_run_as_written(cluster: PgCluster, tmp_path: Path) -> None:
    sql = of("sql")
    assert {block.section for block in sql} == {ADMIN_SECTION, QUERY_SECTION}
    with psycopg.connect(_libpq(cluster, "postgres", "postgres"), autocommit=True) as c:
        c.execute(f"CREATE DATABASE {DATABASE}")
    with psycopg.connect(_libpq(cluster, "postgres"), autocommit=True) as admin:
        for block in sql:
            if block.section == ADMIN_SECTION:
                admin.execute(block.text.encode())
    _fill(cluster, tmp_path / "journal")
    with psycopg.connect(_libpq(cluster, "grafana")) as reader:
        for block in sql:
            if block.section == QUERY_SECTION:
                rows = reader.execute(block.text.encode()).fetchall()
                assert rows, f"no rows from the query at line {block.line}"


# yaml ------------------------------------------------------------------------------

SCHEMAS = {
    "ev_ledger.list_sessions": services.LIST_SESSIONS_SCHEMA,
    "ev_ledger.list_trips": services.LIST_TRIPS_SCHEMA,
    "ev_ledger.update_session": services.UPDATE_SESSION_SCHEMA,
    "ev_ledger.delete_session": services.DELETE_SESSION_SCHEMA,
    "ev_ledger.add_session": services.ADD_SESSION_SCHEMA,
    "ev_ledger.export": services.EXPORT_SCHEMA,
    "ev_ledger.home_charging_report": services.HOME_CHARGING_REPORT_SCHEMA,
    "ev_ledger.backfill": services.BACKFILL_SCHEMA,
    "ev_ledger.recompute": services.RECOMPUTE_SCHEMA,
}


def _yaml_blocks() -> list[tuple[Block, dict[str, Any]]]:
    out = []
    for block in of("yaml"):
        data = parse_yaml(block.text)
        assert isinstance(data, dict), f"line {block.line}: not a mapping"
        out.append((block, data))
    return out


@pytest.mark.parametrize(
    ("block", "data"),
    [pair for pair in _yaml_blocks() if "action" in pair[1]],
    ids=lambda v: v.id if isinstance(v, Block) else "",
)
def test_action_examples_match_the_schemas(block: Block, data: dict[str, Any]) -> None:
    assert data["action"] in SCHEMAS, f"line {block.line}: unknown action"
    SCHEMAS[data["action"]](data["data"])


def test_every_yaml_block_is_an_action_or_an_automation() -> None:
    for block, data in _yaml_blocks():
        assert "action" in data or "triggers" in data, f"line {block.line}"


async def test_automation_example_notifies_cost_and_solar_share(
    hass: HomeAssistant,
) -> None:
    from homeassistant.setup import async_setup_component
    from pytest_homeassistant_custom_component.common import async_mock_service

    automations = [data for _, data in _yaml_blocks() if "triggers" in data]
    assert len(automations) == 1
    config = {"id": "readme", "alias": "README example", **automations[0]}
    calls = async_mock_service(hass, "notify", "mobile_app_your_phone")
    assert await async_setup_component(hass, "automation", {"automation": config})
    await hass.async_block_till_done()

    data = session_dict(make_session(0, energy=Decimal("42.25")))
    data.update(vehicle="Model Y", device_id="abc", event_type="completed")
    hass.bus.async_fire(EVENT_SESSION_COMPLETED, json.loads(json.dumps(data)))
    await hass.async_block_till_done()
    assert len(calls) == 1
    assert calls[0].data["title"] == "Model Y charged"
    assert calls[0].data["message"] == "42.2 kWh for 3.14 EUR, 38 % solar"


# text: time-of-use bands --------------------------------------------------------


def test_time_of_use_example_parses() -> None:
    (block,) = of("text")
    assert len(parse_bands(block.text)) == 4


# The supported-vehicle table ------------------------------------------------------

COLUMNS: dict[str, tuple[Role, ...]] = {
    "battery": (Role.BATTERY_LEVEL,),
    "charging state": (Role.CHARGING_STATE,),
    "plugged": (Role.PLUGGED,),
    "charger power": (Role.CHARGER_POWER,),
    "voltage / current": (Role.CHARGER_VOLTAGE, Role.CHARGER_CURRENT),
    "session energy": (Role.SESSION_ENERGY,),
    "wallbox meter": (Role.EVSE_ENERGY,),
    "odometer": (Role.ODOMETER,),
    "speed": (Role.SPEED,),
    "shift": (Role.SHIFT_STATE,),
    "location": (Role.LOCATION,),
    "range": (Role.RANGE,),
    "outside temp": (Role.OUTSIDE_TEMP,),
    "AC/DC": (Role.CHARGER_TYPE,),
}
FIXTURES = {
    "Tesla (Teslemetry)": "tesla_teslemetry",
    "Kia / Hyundai (kia_uvo)": "kia_uvo",
    "Ford (FordPass)": "fordpass",
    "Volkswagen ID (WeConnect ID)": "volkswagen_we_connect_id",
    "BMW (Connected Drive)": "bmw_connected_drive",
    "Renault": "renault",
    "Volvo (core volvo)": "volvo",
    "Mercedes-Benz (mbapi2020)": "mercedes_mbapi2020",
    "Škoda (MySkoda)": "skoda_myskoda",
    "Polestar (polestar_api)": "polestar",
    "Audi (Audi Connect)": "audi_audiconnect",
    "Tesla (Tessie)": "tessie",
    "Tesla (core tesla_fleet)": "tesla_fleet",
    "Tesla (TeslaMate over MQTT)": "teslamate",
    "Nissan Leaf (core nissan_leaf)": "nissan_leaf",
    "Toyota / Lexus (ha_toyota)": "toyota",
    "Porsche (porscheconnect)": "porscheconnect",
    "Peugeot / Citroën / Opel (stellantis_vehicles)": "stellantis_vehicles",
    "MG (SAIC MQTT gateway)": "saic_mg",
    "OVMS (ovms-home-assistant)": "ovms",
    "Rivian (home-assistant-rivian)": "rivian",
    "Smart #1 / #3 (SmartHashtag)": "smart_hashtag",
    "Cupra Born (cupra_we_connect)": "cupra_we_connect",
    "Jaguar / Land Rover (jlrincontrol)": "jlr_incontrol",
    "BYD (hass-byd-vehicle)": "byd_vehicle",
    "Easee wallbox": "easee",
}


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def test_supported_vehicle_table_is_what_the_mapping_proposes() -> None:
    text = README.read_text()
    section = text.split("## Supported vehicles", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    header = _cells(rows[0])
    assert header[1:] == list(COLUMNS)
    table = {cells[0]: cells[1:] for cells in map(_cells, rows[2:])}
    assert set(table) == set(FIXTURES)
    fixtures = ROOT / "tests" / "fixtures" / "vehicles"
    assert {path.stem for path in fixtures.glob("*.json")} == set(FIXTURES.values())
    for brand, fixture in FIXTURES.items():
        data = json.loads((fixtures / f"{fixture}.json").read_text())
        mapped = propose_mapping(EntityInfo.from_dict(e) for e in data["entities"])
        expected = [
            "✓" if all(role in mapped.mapping for role in roles) else ""
            for roles in COLUMNS.values()
        ]
        assert table[brand] == expected, brand


@readme_commands
def test_python_is_the_test_environment() -> None:
    """The README's commands use .venv/bin/python: the one running this test."""
    assert Path(sys.prefix).resolve() == (ROOT / ".venv").resolve()
