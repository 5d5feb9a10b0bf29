"""Diagnostics: configuration with secrets redacted, engine and writer health."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from custom_components.ev_ledger.const import BACKEND_POSTGRESQL, CONF_BACKEND, CONF_URL
from custom_components.ev_ledger.diagnostics import async_get_config_entry_diagnostics

from .conftest import START, Ledger, make_entry, plain

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
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


async def test_password_redacted(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, pg_url: str
) -> None:
    """A PostgreSQL password never appears in diagnostics."""
    freezer.move_to(datetime.fromtimestamp(START, UTC))
    url = pg_url.replace("postgres@", "postgres:hunter2@")
    ledger = Ledger(
        hass, freezer, make_entry({CONF_BACKEND: BACKEND_POSTGRESQL, CONF_URL: url})
    )
    await ledger.setup()
    try:
        data = await async_get_config_entry_diagnostics(hass, ledger.entry)
        assert "hunter2" not in repr(data)
        assert data["entry"]["data"][CONF_URL] == "**REDACTED**"
    finally:
        await ledger.unload()
