"""Diagnostics: configuration with secrets redacted, engine and writer health."""

from __future__ import annotations

import json
import socket
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from sqlalchemy import make_url

from custom_components.ev_ledger import flow_storage as storage
from custom_components.ev_ledger.const import DOMAIN
from custom_components.ev_ledger.diagnostics import async_get_config_entry_diagnostics

from .conftest import Ledger, default_subentries, plain

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
    from syrupy.assertion import SnapshotAssertion


async def test_diagnostics(
    hass: HomeAssistant, embedded_ledger: Ledger, snapshot: SnapshotAssertion
) -> None:
    """The whole picture, stable enough for a snapshot."""
    await embedded_ledger.setup()
    await embedded_ledger.runtime.async_flush()
    data = await async_get_config_entry_diagnostics(hass, embedded_ledger.entry)
    data["database"] = data["database"].rsplit("/", 1)[-1]
    writer = data["writer"]
    for key in ("last_commit", "written", "pending", "state"):
        writer.pop(key)
    assert plain(data) == snapshot


# A password with every character a URL must escape, in its escaped forms too.
PASSWORD = "p@ss:w/rd#1%x 2"
PASSWORD_FORMS = (PASSWORD, quote(PASSWORD, safe=""), quote_plus(PASSWORD))


def _postgresql_entry(url: str, password: str) -> MockConfigEntry:
    """A PostgreSQL ledger as the config flow makes it (user@host in the title)."""
    parsed = make_url(url)
    data = storage.postgresql_data(
        host=str(parsed.host),
        port=int(parsed.port or 5432),
        database=str(parsed.database),
        username=str(parsed.username),
        password=password,
        sslmode="disable",
        sslrootcert=None,
    )
    return MockConfigEntry(
        domain=DOMAIN,
        title=storage.title(data),
        data=data,
        entry_id="01JENTRY00000000000000002",
        subentries_data=default_subentries(),
    )


def _assert_no_secret(data: Any, user: str) -> None:
    text = json.dumps(data)
    for form in (*PASSWORD_FORMS, f"{user}@", f'"{user}"'):
        assert form not in text, form


async def test_password_and_user_redacted_everywhere(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, pg_url: str
) -> None:
    """The password (with @ : / # %) and the user name appear nowhere, title included.

    Downloaded over HTTP, as a user does (a frozen clock would break that download).
    """
    entry = _postgresql_entry(pg_url, PASSWORD)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    try:
        data = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    finally:
        assert await hass.config_entries.async_unload(entry.entry_id)
    assert isinstance(data, dict)
    host = make_url(pg_url).host
    assert data["entry"]["title"].startswith(f"**REDACTED**@{host}:")
    assert str(data["database"]).startswith(f"postgresql://**REDACTED**@{host}:")
    assert data["entry"]["data"][CONF_PASSWORD] == "**REDACTED**"
    assert data["entry"]["data"][CONF_USERNAME] == "**REDACTED**"
    assert data["entry"]["state"] == "loaded"
    _assert_no_secret(data, "postgres")


async def test_diagnostics_of_a_ledger_that_did_not_load(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    """A database that cannot be reached: the configuration and why, redacted (B13)."""
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://ev_owner@127.0.0.1:{port}/ledger"
    entry = _postgresql_entry(url, PASSWORD)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    try:
        data = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    finally:
        await hass.config_entries.async_unload(entry.entry_id)
    assert isinstance(data, dict)
    shown = data["entry"]
    assert isinstance(shown, dict)
    assert shown["state"] == "setup_retry"
    assert f"**REDACTED**@127.0.0.1:{port}/ledger" in str(shown["reason"])
    assert shown["title"] == f"**REDACTED**@127.0.0.1:{port}/ledger"
    assert data["database"] == (
        f"postgresql://**REDACTED**@127.0.0.1:{port}/ledger"
        " (schema ev_ledger, sslmode disable)"
    )
    assert [s["title"] for s in data["subentries"]] == [
        "Model Y",
        "Home",
        "Elsewhere",
    ]
    assert "writer" not in data
    _assert_no_secret(data, "ev_owner")
