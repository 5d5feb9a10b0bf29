"""Config flow of the ledger entry: storage choice, errors, reconfigure, reauth."""

from __future__ import annotations

import logging
import sqlite3
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_ledger.const import DOMAIN
from custom_components.ev_ledger.db import (
    CannotConnect,
    InvalidAuth,
    MigrationError,
    MissingPrivilege,
    SchemaTooNew,
    TlsError,
    head_revision,
)
from custom_components.ev_ledger.flow_storage import (
    data_from_url,
    db_config_from_data,
    unique_id,
)
from tests.components.flow_helpers import (
    PgTarget,
    assert_translated,
    flow_environment,  # noqa: F401
    form_values,
    pg_server_url,  # noqa: F401
    pg_target,
    role_name,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from homeassistant.core import HomeAssistant

PASSWORD = "Sup3r-s3cret-pw"
MIGRATE = "custom_components.ev_ledger.flow_storage.connect_and_migrate"


@pytest.fixture
def target(pg_server_url: str) -> Iterator[tuple[PgTarget, list[str]]]:  # noqa: F811
    """A fresh database on the test cluster, dropped afterwards."""
    with pg_target(pg_server_url) as found:
        yield found


async def _start(hass: HomeAssistant, step: str) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert_translated(result)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": step}
    )
    assert_translated(result)
    return dict(result)


async def _submit(hass: HomeAssistant, flow_id: str, data: dict[str, Any]) -> Any:
    result = await hass.config_entries.flow.async_configure(flow_id, data)
    assert_translated(result)
    return result


def _schema_exists(target: PgTarget) -> bool:
    import psycopg

    with psycopg.connect(
        host=target.host,
        port=target.port,
        user=target.superuser,
        dbname=target.database,
    ) as conn:
        row = conn.execute(
            "SELECT version_num FROM ev_ledger.alembic_version"
        ).fetchone()
    return row is not None and row[0] == head_revision()


# Embedded -------------------------------------------------------------------------


async def test_embedded_is_the_zero_question_default(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    result = await _start(hass, "embedded")

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {"backend": "embedded"}
    assert result["title"] == "EV Ledger (embedded)"
    assert result["result"].unique_id == "embedded"
    assert (tmp_path / "ev_ledger.db").is_file()
    await hass.async_block_till_done()


async def test_embedded_only_once(hass: HomeAssistant) -> None:
    MockConfigEntry(
        domain=DOMAIN, unique_id="embedded", data={"backend": "embedded"}
    ).add_to_hass(hass)

    result = await _start(hass, "embedded")

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_embedded_schema_too_new_then_updated(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    path = tmp_path / "ev_ledger.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32))")
        conn.execute("INSERT INTO alembic_version VALUES ('f00dfeed9999')")
    conn.close()

    result = await _start(hass, "embedded")
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "schema_too_new"}
    assert result["description_placeholders"] == {"revision": "f00dfeed9999"}

    with sqlite3.connect(path) as conn:  # "the user updates EV Ledger"
        conn.execute("DROP TABLE alembic_version")
    conn.close()
    result = await _submit(hass, result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


# PostgreSQL, real server ----------------------------------------------------------


async def test_postgresql_fields_create_the_entry(
    hass: HomeAssistant,
    target: tuple[PgTarget, list[str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    pg, _ = target
    caplog.set_level(logging.DEBUG)
    result = await _start(hass, "postgresql")
    assert result["type"] is FlowResultType.FORM
    assert form_values(result) == {
        "port": 5432,
        "database": "homeassistant",
        "sslmode": "prefer",
    }

    result = await _submit(
        hass,
        result["flow_id"],
        pg.form(host=f" {pg.host} ", password=PASSWORD, sslmode="disable"),
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    expected_id = f"postgresql://{pg.superuser}@{pg.host}:{pg.port}/{pg.database}"
    assert result["result"].unique_id == expected_id
    assert result["title"] == expected_id.removeprefix("postgresql://")
    assert result["data"] == {
        "backend": "postgresql",
        "host": pg.host,
        "port": pg.port,
        "database": pg.database,
        "username": pg.superuser,
        "password": PASSWORD,
        "sslmode": "disable",
        "sslrootcert": None,
    }
    assert await hass.async_add_executor_job(_schema_exists, pg)
    assert PASSWORD not in caplog.text
    await hass.async_block_till_done()


async def test_postgresql_url_stores_the_same_shape(
    hass: HomeAssistant, target: tuple[PgTarget, list[str]]
) -> None:
    pg, _ = target
    result = await _start(hass, "postgresql_url")
    url = (
        f"postgresql://{pg.superuser}:{PASSWORD}@{pg.host}:{pg.port}/{pg.database}"
        "?sslmode=disable"
    )
    result = await _submit(hass, result["flow_id"], {"url": url})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["password"] == PASSWORD
    assert result["data"]["sslmode"] == "disable"
    assert PASSWORD not in result["title"]
    assert PASSWORD not in str(result["result"].unique_id)
    await hass.async_block_till_done()

    # The same database through the fields form is the same target.
    result = await _start(hass, "postgresql")
    result = await _submit(hass, result["flow_id"], pg.form(sslmode="require"))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.parametrize(
    "url",
    [
        "mysql://ev@127.0.0.1/ha",
        "not a url",
        "postgresql://ev@127.0.0.1:notaport/ha",
        "postgresql:///ha",
        "postgresql://ev@127.0.0.1/ha?sslmode=sometimes",
    ],
)
async def test_postgresql_url_invalid_then_fixed(
    hass: HomeAssistant, target: tuple[PgTarget, list[str]], url: str
) -> None:
    pg, _ = target
    result = await _start(hass, "postgresql_url")
    result = await _submit(hass, result["flow_id"], {"url": url})
    assert result["errors"] == {"url": "invalid_url"}

    good = f"postgres://{pg.superuser}@{pg.host}:{pg.port}/{pg.database}"
    result = await _submit(hass, result["flow_id"], {"url": good})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["sslmode"] == "prefer"
    await hass.async_block_till_done()


async def test_cannot_connect_then_fixed(
    hass: HomeAssistant, target: tuple[PgTarget, list[str]]
) -> None:
    pg, _ = target
    result = await _start(hass, "postgresql")
    result = await _submit(hass, result["flow_id"], pg.form(port=1, password=PASSWORD))
    assert result["errors"] == {"base": "cannot_connect"}
    assert PASSWORD not in result["description_placeholders"]["detail"]
    # The form keeps what was typed, except the password.
    assert form_values(result)["port"] == 1
    assert "password" not in form_values(result)

    result = await _submit(hass, result["flow_id"], pg.form())
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


async def test_invalid_auth_then_fixed(
    hass: HomeAssistant, target: tuple[PgTarget, list[str]]
) -> None:
    pg, roles = target
    nologin = role_name()
    pg.create_role(nologin, login=False)
    roles.append(nologin)
    result = await _start(hass, "postgresql")

    for username in ("nobody_" + role_name(), nologin):
        result = await _submit(
            hass, result["flow_id"], pg.form(username=username, password=PASSWORD)
        )
        assert result["errors"] == {"password": "invalid_auth"}

    result = await _submit(hass, result["flow_id"], pg.form())
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


async def test_missing_privilege_then_granted(
    hass: HomeAssistant, target: tuple[PgTarget, list[str]]
) -> None:
    pg, roles = target
    limited = role_name()
    pg.create_role(limited)
    roles.append(limited)
    result = await _start(hass, "postgresql")
    result = await _submit(hass, result["flow_id"], pg.form(username=limited))
    assert result["errors"] == {"base": "missing_privilege"}
    placeholders = result["description_placeholders"]
    assert placeholders["username"] == limited
    assert placeholders["database"] == pg.database
    assert "permission denied" in placeholders["detail"]

    # What docs/postgresql.md tells the DBA to do.
    pg.admin_sql(f"CREATE SCHEMA ev_ledger AUTHORIZATION {limited}")
    result = await _submit(hass, result["flow_id"], pg.form(username=limited))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["username"] == limited
    assert await hass.async_add_executor_job(_schema_exists, pg)
    await hass.async_block_till_done()


async def test_schema_too_new_then_fixed(
    hass: HomeAssistant, target: tuple[PgTarget, list[str]]
) -> None:
    pg, _ = target
    pg.admin_sql(
        "CREATE SCHEMA ev_ledger;"
        " CREATE TABLE ev_ledger.alembic_version (version_num VARCHAR(32) PRIMARY KEY);"
        " INSERT INTO ev_ledger.alembic_version VALUES ('ffffffffffff')"
    )
    result = await _start(hass, "postgresql")
    result = await _submit(hass, result["flow_id"], pg.form())
    assert result["errors"] == {"base": "schema_too_new"}
    assert result["description_placeholders"] == {"revision": "ffffffffffff"}

    pg.admin_sql("DROP SCHEMA ev_ledger CASCADE")
    result = await _submit(hass, result["flow_id"], pg.form())
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


@pytest.mark.parametrize(
    ("ca_file", "sslmode", "error"),
    [
        (None, "require", {"sslmode": "tls_error"}),
        ("garbage.pem", "verify-full", {"sslrootcert": "tls_error"}),
        ("missing.pem", "verify-full", {"sslrootcert": "ca_not_found"}),
    ],
)
async def test_tls_errors_then_fixed(
    hass: HomeAssistant,
    target: tuple[PgTarget, list[str]],
    tmp_path: Path,
    ca_file: str | None,
    sslmode: str,
    error: dict[str, str],
) -> None:
    """The test cluster has no TLS: requiring it or verifying it fails as TLS."""
    pg, _ = target
    (tmp_path / "garbage.pem").write_text("not a certificate")
    form = pg.form(sslmode=sslmode)
    if ca_file:
        form["sslrootcert"] = ca_file  # relative: in the config folder
    result = await _start(hass, "postgresql")
    result = await _submit(hass, result["flow_id"], form)
    assert result["errors"] == error
    if ca_file:
        assert form_values(result)["sslrootcert"] == ca_file

    result = await _submit(hass, result["flow_id"], pg.form(sslmode="prefer"))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["sslrootcert"] is None
    await hass.async_block_till_done()


async def test_relative_ca_path_is_stored_absolute(
    hass: HomeAssistant, target: tuple[PgTarget, list[str]], tmp_path: Path
) -> None:
    pg, _ = target
    (tmp_path / "ca.pem").write_text("unused with sslmode allow")
    result = await _start(hass, "postgresql")
    result = await _submit(
        hass, result["flow_id"], pg.form(sslmode="allow", sslrootcert="ca.pem")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["sslrootcert"] == str(tmp_path / "ca.pem")
    await hass.async_block_till_done()


# Error table (storage errors mocked) ----------------------------------------------

ERRORS = [
    (CannotConnect("refused"), "base", "cannot_connect"),
    (InvalidAuth("bad password"), "password", "invalid_auth"),
    (TlsError("no tls"), "sslmode", "tls_error"),
    (MissingPrivilege("permission denied"), "base", "missing_privilege"),
    (SchemaTooNew("abc", "def"), "base", "schema_too_new"),
    (MigrationError("broken script"), "base", "migration_failed"),
    (RuntimeError(f"boom {PASSWORD}"), "base", "unknown"),
]


@pytest.mark.parametrize(("error", "field", "key"), ERRORS)
async def test_error_table_fields_form(
    hass: HomeAssistant,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
    field: str,
    key: str,
) -> None:
    form = {
        "host": "DB.Example.COM",
        "port": 5432,
        "database": "ha",
        "username": "ev",
        "password": PASSWORD,
        "sslmode": "prefer",
    }
    result = await _start(hass, "postgresql")
    with patch(MIGRATE, side_effect=error):
        result = await _submit(hass, result["flow_id"], form)
    assert result["errors"] == {field: key}
    assert PASSWORD not in str(result["description_placeholders"])
    assert PASSWORD not in caplog.text

    with patch(MIGRATE) as migrate:
        result = await _submit(hass, result["flow_id"], form)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == "postgresql://ev@db.example.com:5432/ha"
    assert migrate.call_args.args[0].password == PASSWORD
    await hass.async_block_till_done()


@pytest.mark.parametrize(("error", "field", "key"), ERRORS)
async def test_error_table_url_form(
    hass: HomeAssistant, error: Exception, field: str, key: str
) -> None:
    """The URL form has one field: every storage error is shown on the form."""
    url = f"postgresql://ev:{PASSWORD}@192.0.2.10/ha"
    result = await _start(hass, "postgresql_url")
    with patch(MIGRATE, side_effect=error):
        result = await _submit(hass, result["flow_id"], {"url": url})
    assert result["errors"] == {"base": key}

    with patch(MIGRATE):
        result = await _submit(hass, result["flow_id"], {"url": url})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


# Reconfigure and reauth -----------------------------------------------------------


def _pg_entry(hass: HomeAssistant, host: str = "192.0.2.10") -> MockConfigEntry:
    data = data_from_url(f"postgresql://ev:{PASSWORD}@{host}:5432/ha?sslmode=require")
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id=unique_id(data), title="ev@host", data=data
    )
    entry.add_to_hass(hass)
    return entry


async def test_reconfigure_embedded_to_postgresql_and_back(
    hass: HomeAssistant, target: tuple[PgTarget, list[str]]
) -> None:
    pg, _ = target
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id="embedded", data={"backend": "embedded"}
    )
    entry.add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.MENU
    assert_translated(result)
    result = await _submit(hass, result["flow_id"], {"next_step_id": "postgresql"})
    assert form_values(result) == {
        "port": 5432,
        "database": "homeassistant",
        "sslmode": "prefer",
    }
    result = await _submit(hass, result["flow_id"], pg.form(password=PASSWORD))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["backend"] == "postgresql"
    assert entry.data["password"] == PASSWORD
    assert entry.unique_id == f"postgresql://postgres@{pg.host}:{pg.port}/{pg.database}"
    await hass.async_block_till_done()

    # Changing settings keeps the password when the field is left empty.
    result = await entry.start_reconfigure_flow(hass)
    result = await _submit(hass, result["flow_id"], {"next_step_id": "postgresql"})
    values = form_values(result)
    assert values["host"] == pg.host
    assert values["database"] == pg.database
    assert "password" not in values
    result = await _submit(hass, result["flow_id"], {**values, "sslmode": "disable"})
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["sslmode"] == "disable"
    assert entry.data["password"] == PASSWORD
    await hass.async_block_till_done()

    result = await entry.start_reconfigure_flow(hass)
    result = await _submit(hass, result["flow_id"], {"next_step_id": "embedded"})
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {"backend": "embedded"}
    assert entry.unique_id == "embedded"
    await hass.async_block_till_done()


@pytest.mark.parametrize(
    ("change", "kept"),
    [
        ({}, True),
        ({"database": "other_db"}, True),  # the same server and role
        ({"host": " 192.0.2.10 "}, True),  # only spaces around the same host
        ({"sslmode": "verify-full"}, True),
        ({"host": "203.0.113.66"}, False),  # another server: never the old password
        ({"port": 6543}, False),
        ({"username": "someone_else"}, False),
    ],
)
async def test_reconfigure_keeps_the_password_only_for_the_same_server_and_role(
    hass: HomeAssistant, change: dict[str, Any], kept: bool
) -> None:
    """A blank password on reconfigure keeps the stored one only where it belongs.

    Before, moving the ledger to another host with the field left empty sent the
    old server's password to the new host.
    """
    entry = _pg_entry(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await _submit(hass, result["flow_id"], {"next_step_id": "postgresql"})
    values = {**form_values(result), **change}
    assert "password" not in values
    with patch(MIGRATE) as migrate:
        result = await _submit(hass, result["flow_id"], values)
    assert result["reason"] == "reconfigure_successful"
    sent = migrate.call_args.args[0].password
    assert sent == (PASSWORD if kept else None)
    assert entry.data["password"] == (PASSWORD if kept else None)
    await hass.async_block_till_done()


async def test_reconfigure_to_a_target_of_another_entry(hass: HomeAssistant) -> None:
    _pg_entry(hass, "192.0.2.10")
    entry = _pg_entry(hass, "192.0.2.11")
    result = await entry.start_reconfigure_flow(hass)
    result = await _submit(hass, result["flow_id"], {"next_step_id": "postgresql_url"})
    with patch(MIGRATE) as migrate:
        result = await _submit(
            hass, result["flow_id"], {"url": "postgresql://ev@192.0.2.10/ha"}
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    migrate.assert_not_called()
    assert entry.data["host"] == "192.0.2.11"


async def test_reconfigure_error_then_fixed(hass: HomeAssistant) -> None:
    entry = _pg_entry(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await _submit(hass, result["flow_id"], {"next_step_id": "postgresql"})
    values = form_values(result)
    with patch(MIGRATE, side_effect=CannotConnect("down")):
        result = await _submit(hass, result["flow_id"], {**values, "port": 6432})
    assert result["errors"] == {"base": "cannot_connect"}
    with patch(MIGRATE):
        result = await _submit(hass, result["flow_id"], {**values, "port": 6432})
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["port"] == 6432
    assert entry.unique_id == "postgresql://ev@192.0.2.10:6432/ha"
    await hass.async_block_till_done()


async def test_reauth_with_a_new_password(hass: HomeAssistant) -> None:
    entry = _pg_entry(hass)
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert_translated(result)
    placeholders = result["description_placeholders"]
    assert placeholders["username"] == "ev"
    assert placeholders["target"] == "ev@192.0.2.10:5432/ha"

    with patch(MIGRATE, side_effect=InvalidAuth("password authentication failed")):
        result = await _submit(hass, result["flow_id"], {"password": "wrong"})
    assert result["errors"] == {"password": "invalid_auth"}

    with patch(MIGRATE) as migrate:
        result = await _submit(hass, result["flow_id"], {"password": "n3w-pw"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["password"] == "n3w-pw"
    assert migrate.call_args.args[0].password == "n3w-pw"
    await hass.async_block_till_done()


async def test_reauth_against_the_real_server(
    hass: HomeAssistant, target: tuple[PgTarget, list[str]]
) -> None:
    pg, _ = target
    data = {
        **data_from_url(
            f"postgresql://{pg.superuser}@{pg.host}:{pg.port}/{pg.database}"
        )
    }
    entry = MockConfigEntry(domain=DOMAIN, unique_id=unique_id(data), data=data)
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    result = await _submit(hass, result["flow_id"], {"password": PASSWORD})
    assert result["reason"] == "reauth_successful"
    assert entry.data["password"] == PASSWORD
    await hass.async_block_till_done()


# Storage helpers ------------------------------------------------------------------


def test_unique_id_is_normalised_and_secret_free() -> None:
    data = data_from_url(f"postgresql://ev:{PASSWORD}@DB.Example.com/ha")
    assert unique_id(data) == "postgresql://ev@db.example.com:5432/ha"
    ipv6 = data_from_url("postgresql://ev@[::1]:5433/ha")
    assert unique_id(ipv6) == "postgresql://ev@[::1]:5433/ha"


async def test_db_config_from_data(hass: HomeAssistant, tmp_path: Path) -> None:
    embedded = db_config_from_data(hass, {"backend": "embedded"})
    assert embedded.backend == "sqlite"
    assert embedded.path == str(tmp_path / "ev_ledger.db")
    data = data_from_url(
        f"postgresql://ev:{PASSWORD}@192.0.2.10:6543/ha?sslmode=verify-full"
        "&sslrootcert=/ssl/ca.pem"
    )
    config = db_config_from_data(hass, data)
    assert (config.host, config.port, config.database, config.user) == (
        "192.0.2.10",
        6543,
        "ha",
        "ev",
    )
    assert (config.password, config.sslmode, config.sslrootcert) == (
        PASSWORD,
        "verify-full",
        "/ssl/ca.pem",
    )
    assert PASSWORD not in repr(config)


async def test_reauth_of_an_entry_made_from_a_url(hass: HomeAssistant) -> None:
    """A ledger stored as one connection URL asks for the same role's password."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="ev@192.0.2.10:5432/ha",
        data={
            "backend": "postgresql",
            "url": "postgresql://ev:old%40pw@192.0.2.10:5432/ha?sslmode=disable",
        },
    )
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"]["username"] == "ev"
    assert result["description_placeholders"]["target"] == "ev@192.0.2.10:5432/ha"
    with patch(MIGRATE) as migrate:
        result = await _submit(hass, result["flow_id"], {"password": "n3w@pw"})
    assert result["reason"] == "reauth_successful"
    assert "url" not in entry.data
    assert entry.data["username"] == "ev"
    assert entry.data["password"] == "n3w@pw"
    assert entry.data["host"] == "192.0.2.10"
    assert migrate.call_args.args[0].password == "n3w@pw"
    await hass.async_block_till_done()
