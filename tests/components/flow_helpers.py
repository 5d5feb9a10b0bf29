"""Helpers of the config flow tests: translations, registries, PostgreSQL targets."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest.mock import patch
import uuid

from homeassistant.const import EntityCategory
from homeassistant.data_entry_flow import FlowResultType, section
from homeassistant.helpers import device_registry as dr, entity_registry as er
import psycopg
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import pytest_socket
from sqlalchemy import make_url
import voluptuous as vol

from custom_components.ev_ledger.const import BACKEND_EMBEDDED, CONF_BACKEND, DOMAIN
from tests.pgcluster import new_cluster

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from homeassistant.config_entries import ConfigSubentry
    from homeassistant.core import HomeAssistant

ROOT = Path(__file__).parents[2]
STRINGS: dict[str, Any] = json.loads(
    (ROOT / "custom_components" / "ev_ledger" / "strings.json").read_text()
)
FIXTURES = ROOT / "tests" / "fixtures" / "vehicles"
BRANDS = sorted(path.stem for path in FIXTURES.glob("*.json"))
WALLBOXES = sorted(p.stem for p in (FIXTURES.parent / "wallboxes").glob("*.json"))
SITES = sorted(p.stem for p in (FIXTURES.parent / "sites").glob("*.json"))


def start_cluster_url() -> tuple[str, Any]:
    """Start a throwaway cluster from inside a test run (see tests/db/conftest.py)."""
    pytest_socket.enable_socket()
    try:
        cluster = new_cluster()
    finally:
        pytest_socket.socket_allow_hosts(["127.0.0.1"])
        pytest_socket.disable_socket(allow_unix_socket=True)
    return cluster.url, cluster


def _step_strings(result: Mapping[str, Any], subentry_type: str | None) -> Any:
    if subentry_type is None:
        return STRINGS["config"]
    return STRINGS["config_subentries"][subentry_type]


def assert_translated(
    result: Mapping[str, Any], subentry_type: str | None = None
) -> None:
    """Every field has a label and a description, every error and abort a text."""
    strings = _step_strings(result, subentry_type)
    if result["type"] is FlowResultType.ABORT:
        assert result["reason"] in strings["abort"], result["reason"]
        return
    if result["type"] is FlowResultType.MENU:
        step = strings["step"][result["step_id"]]
        assert set(result["menu_options"]) <= set(step["menu_options"])
        return
    if result["type"] is not FlowResultType.FORM:
        return
    step = strings["step"][result["step_id"]]
    assert step.get("title") or step.get("description"), result["step_id"]
    schema = result["data_schema"]
    assert isinstance(schema, vol.Schema)
    for key, value in schema.schema.items():
        name = str(key)
        assert name in step["data"], (result["step_id"], name)
        assert name in step["data_description"], (result["step_id"], name)
        if isinstance(value, section):
            sec = step["sections"][name]
            for inner in value.schema.schema:
                assert str(inner) in sec["data"], (name, str(inner))
                assert str(inner) in sec["data_description"], (name, str(inner))
    for error in (result.get("errors") or {}).values():
        assert error in strings["error"], error
        text = strings["error"][error]
        for placeholder in _placeholders(text):
            assert placeholder in (result.get("description_placeholders") or {}), (
                error,
                placeholder,
            )


def _placeholders(text: str) -> list[str]:
    out = []
    rest = text
    while "{" in rest:
        _, _, rest = rest.partition("{")
        name, _, rest = rest.partition("}")
        out.append(name)
    return out


def form_values(result: Mapping[str, Any]) -> dict[str, Any]:
    """The values a form shows: suggested values and defaults, sections nested."""
    schema = result["data_schema"]
    assert isinstance(schema, vol.Schema)
    return _values(schema)


def _values(schema: vol.Schema) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in schema.schema.items():
        if isinstance(value, section):
            values[str(key)] = _values(value.schema)
            continue
        suggested = (key.description or {}).get("suggested_value")
        if suggested is not None:
            values[str(key)] = suggested
        elif key.default is not vol.UNDEFINED:
            values[str(key)] = key.default()
    return values


def add_ledger(hass: HomeAssistant, **data: Any) -> MockConfigEntry:
    """Add an (unloaded) embedded ledger entry."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="EV Ledger (embedded)",
        unique_id="embedded",
        data={CONF_BACKEND: BACKEND_EMBEDDED, **data},
    )
    entry.add_to_hass(hass)
    return entry


def subentries(entry: MockConfigEntry, subentry_type: str) -> list[ConfigSubentry]:
    """The entry's subentries of one type."""
    return [s for s in entry.subentries.values() if s.subentry_type == subentry_type]


def load_brand(brand: str, family: str = "vehicles") -> list[dict[str, Any]]:
    """The entity rows of a fixture (vehicles, wallboxes or sites)."""
    path = FIXTURES.parent / family / f"{brand}.json"
    rows: list[dict[str, Any]] = json.loads(path.read_text())["entities"]
    return rows


def register_device(
    hass: HomeAssistant,
    brand: str,
    rows: list[dict[str, Any]] | None = None,
    *,
    family: str = "vehicles",
    states: bool = False,
) -> str:
    """Register a fixture's device and entities as its integration would.

    With `states`, the fixture's current states are set too (unit and device class
    as attributes), for checks that read them (the energy site's signs).
    """
    integration = MockConfigEntry(domain=brand, title=brand)
    integration.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=integration.entry_id,
        identifiers={(brand, family)},
        name=brand.replace("_", " ").title(),
    )
    registry = er.async_get(hass)
    for row in load_brand(brand, family) if rows is None else rows:
        domain, _, object_id = row["entity_id"].partition(".")
        capabilities = {
            key: row[key] for key in ("state_class", "options") if row.get(key)
        }
        entry = registry.async_get_or_create(
            domain,
            brand,
            row["entity_id"],
            suggested_object_id=object_id,
            config_entry=integration,
            device_id=device.id,
            original_name=row.get("original_name"),
            original_device_class=row.get("device_class"),
            unit_of_measurement=row.get("unit"),
            translation_key=row.get("translation_key"),
            capabilities=capabilities or None,
            entity_category=(
                EntityCategory(row["entity_category"])
                if row.get("entity_category")
                else None
            ),
            disabled_by=(
                er.RegistryEntryDisabler.INTEGRATION if row.get("disabled") else None
            ),
        )
        assert entry.entity_id == row["entity_id"]
        if states and "state" in row and not row.get("disabled"):
            attributes = {
                key: row[name]
                for key, name in (
                    ("unit_of_measurement", "unit"),
                    ("device_class", "device_class"),
                )
                if row.get(name)
            }
            hass.states.async_set(row["entity_id"], row["state"], attributes)
    return device.id


@dataclass
class PgTarget:
    """A fresh database on the test cluster, and how to reach it as superuser."""

    host: str
    port: int
    database: str
    superuser: str

    def admin_sql(self, sql: str, *, database: str | None = None) -> None:
        """Run SQL as the superuser (autocommit)."""
        with psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.superuser,
            dbname=database or self.database,
            autocommit=True,
        ) as conn:
            conn.execute(sql.encode())

    def create_role(self, name: str, *, login: bool = True) -> None:
        """Create a role without privileges (dropped by `pg_target`)."""
        self.admin_sql(f"CREATE ROLE {name} {'LOGIN' if login else 'NOLOGIN'}")

    def form(self, **overrides: Any) -> dict[str, Any]:
        """The PostgreSQL form as a user fills it in."""
        values: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "database": self.database,
            "username": self.superuser,
            "sslmode": "prefer",
        }
        values.update(overrides)
        return values


@contextmanager
def pg_target(server_url: str) -> Iterator[tuple[PgTarget, list[str]]]:
    """A fresh database; roles appended to the yielded list are dropped after."""
    url = make_url(server_url)
    name = f"flow_{uuid.uuid4().hex[:10]}"
    target = PgTarget(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        database=name,
        superuser=url.username or "postgres",
    )
    target.admin_sql(f"CREATE DATABASE {name}", database="postgres")
    roles: list[str] = []
    try:
        yield target, roles
    finally:
        target.admin_sql(
            f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", database="postgres"
        )
        for role in roles:
            target.admin_sql(f"DROP ROLE IF EXISTS {role}", database="postgres")


def role_name() -> str:
    """A unique role name (roles are cluster-wide)."""
    return f"evl_{uuid.uuid4().hex[:10]}"


def data_without(data: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    """A copy of `data` without `keys`."""
    return {k: v for k, v in data.items() if k not in keys}


# Fixtures, imported by the test_config_flow* modules ---------------------------------


@pytest.fixture(autouse=True)
def flow_environment(
    hass: HomeAssistant, enable_custom_integrations: None, tmp_path: Path
) -> Iterator[None]:
    """Custom integrations on, the config folder in tmp_path, setup stubbed.

    The flow itself never starts a writer; the stub keeps entry setup (owned by the
    runtime) out of these tests, as core's flow tests do.
    """
    hass.config.config_dir = str(tmp_path)
    with (
        patch(
            "custom_components.ev_ledger.async_setup_entry",
            return_value=True,
            create=True,
        ),
        patch(
            "custom_components.ev_ledger.async_unload_entry",
            return_value=True,
            create=True,
        ),
    ):
        yield


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A PostgreSQL server for the flow tests (EV_LEDGER_TEST_PG_URL or a new one)."""
    url = os.environ.get("EV_LEDGER_TEST_PG_URL")
    if url:
        yield url
        return
    url, cluster = start_cluster_url()
    try:
        yield url
    finally:
        cluster.destroy()
