"""The sidebar panel, its static modules and the CSV download view (issue 13).

Against both backends: the panel comes with the first loaded ledger and goes with the
last, the built modules are served, and the CSV view answers authenticated requests
with the export action's columns and filters.
"""

from __future__ import annotations

import csv
from decimal import Decimal
import io
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from homeassistant.components import frontend
from sqlalchemy.exc import OperationalError

from custom_components.ev_ledger import panel
from custom_components.ev_ledger.db.reports import SESSION_COLUMNS, TRIP_COLUMNS
from tests.logic.test_scenarios import T
from tests.logic.trace import hours

from .conftest import VEHICLE_ID, device_of
from .test_services import _iso

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from aiohttp.test_utils import TestClient
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from custom_components.ev_ledger.runtime import EvLedgerRuntime

    Client = Callable[..., Awaitable[TestClient[Any, Any]]]


async def _add(
    hass: HomeAssistant, entry: MockConfigEntry, start: float, location: str
) -> str:
    result = await hass.services.async_call(
        "ev_ledger",
        "add_session",
        {
            "config_entry_id": entry.entry_id,
            "vehicle": VEHICLE_ID,
            "start": _iso(start),
            "end": _iso(start + hours(1)),
            "energy": 20,
            "cost": 5,
            "location": location,
        },
        blocking=True,
        return_response=True,
    )
    assert result is not None
    return str(result["session_id"])


def _panels(hass: HomeAssistant) -> dict[str, Any]:
    panels: dict[str, Any] = hass.data.get(frontend.DATA_PANELS, {})
    return panels


async def test_panel_comes_and_goes_with_the_ledger(
    hass: HomeAssistant, loaded: MockConfigEntry, hass_client: Client
) -> None:
    stamp = await hass.async_add_executor_job(panel.read_stamp)
    registered = _panels(hass)[panel.PANEL_URL_PATH]
    assert registered.sidebar_title == "EV Ledger"
    assert registered.sidebar_icon == "mdi:car-electric"
    assert registered.require_admin is False
    custom = registered.config["_panel_custom"]
    assert custom["name"] == "ev-ledger-panel"
    assert custom["module_url"] == f"/ev_ledger_static/ev-ledger-panel.js?v={stamp}"
    assert len(stamp) == 12
    assert stamp != "dev"

    # The built modules are served from the integration's folder.
    client = await hass_client()
    for name in (panel.PANEL_MODULE, panel.CARD_MODULE):
        response = await client.get(f"{panel.STATIC_URL}/{name}")
        assert response.status == 200, name
        body = await response.read()
        expected = await hass.async_add_executor_job(
            (panel.FRONTEND_DIR / name).read_bytes
        )
        assert body == expected

    # A reload does not register it twice; the last unload removes it.
    assert await hass.config_entries.async_reload(loaded.entry_id)
    await hass.async_block_till_done()
    assert panel.PANEL_URL_PATH in _panels(hass)
    assert await hass.config_entries.async_unload(loaded.entry_id)
    await hass.async_block_till_done()
    assert panel.PANEL_URL_PATH not in _panels(hass)
    assert await hass.config_entries.async_setup(loaded.entry_id)
    await hass.async_block_till_done()
    assert panel.PANEL_URL_PATH in _panels(hass)


def _rows(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


async def test_csv_download(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    hass_client: Client,
    hass_client_no_auth: Client,
    hass_read_only_access_token: str,
) -> None:
    entry_id = loaded.entry_id
    ids = [
        await _add(hass, loaded, T + i * hours(24), "home" if i % 2 else "office")
        for i in range(4)
    ]
    url = f"/api/ev_ledger/{entry_id}/sessions.csv"

    anonymous = await hass_client_no_auth()
    assert (await anonymous.get(url)).status == 401

    client = await hass_client()
    response = await client.get(url)
    assert response.status == 200
    assert response.content_type == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="ev_ledger_sessions_')
    columns, rows = _rows(await response.text())
    assert tuple(columns) == SESSION_COLUMNS
    assert [row["id"] for row in rows] == ids  # oldest first, as the export
    assert {Decimal(row["energy_kwh"]) for row in rows} == {Decimal(20)}
    assert rows[0]["vehicle_key"] == VEHICLE_ID

    # The export's filters: period, place, vehicle (by its device).
    device = device_of(hass, VEHICLE_ID)
    assert device is not None
    response = await client.get(
        url,
        params={
            "start": _iso(T + hours(24)),
            "end": _iso(T + hours(72)),
            "vehicle": device.id,
        },
    )
    _, rows = _rows(await response.text())
    assert [row["id"] for row in rows] == ids[1:3]
    response = await client.get(url, params={"location": "home"})
    _, rows = _rows(await response.text())
    assert [row["id"] for row in rows] == [ids[1], ids[3]]

    # Any user may read, as the websocket's lists.
    reader = await hass_client(hass_read_only_access_token)
    response = await reader.get(f"/api/ev_ledger/{entry_id}/trips.csv")
    assert response.status == 200
    columns, rows = _rows(await response.text())
    assert tuple(columns) == TRIP_COLUMNS
    assert rows == []

    # Errors: an unknown entry or kind, a bad filter; no database URL in any answer.
    assert (await client.get("/api/ev_ledger/nope/sessions.csv")).status == 404
    assert (await client.get(f"/api/ev_ledger/{entry_id}/cars.csv")).status == 404
    bad = await client.get(url, params={"vehicle": "nobody"})
    assert bad.status == 400
    backwards = await client.get(
        url, params={"start": _iso(T + hours(24)), "end": _iso(T)}
    )
    assert backwards.status == 400
    assert (await client.get(url, params={"start": "not a time"})).status == 400
    for answer in (bad, backwards):
        assert "postgresql://" not in await answer.text()

    assert await hass.config_entries.async_unload(entry_id)
    assert (await client.get(url)).status == 404


async def test_csv_download_database_error(
    hass: HomeAssistant, loaded: MockConfigEntry, hass_client: Client
) -> None:
    """A failing read answers 500 with the driver's message, its password redacted."""
    runtime: EvLedgerRuntime = loaded.runtime_data
    client = await hass_client()
    with patch(
        "custom_components.ev_ledger.download.export_sessions_csv",
        side_effect=OperationalError("SELECT", {}, Exception("server closed")),
    ):
        response = await client.get(f"/api/ev_ledger/{loaded.entry_id}/sessions.csv")
    assert response.status == 500
    body = await response.json()
    assert "server closed" in body["message"]
    password = runtime.db_config.password
    if password:
        assert password not in body["message"]


def test_stamp_without_a_build(tmp_path: Path) -> None:
    with patch.object(panel, "FRONTEND_DIR", tmp_path):
        assert panel.read_stamp() == "dev"
        (tmp_path / panel.STAMP_FILE).write_text("\n", encoding="utf-8")
        assert panel.read_stamp() == "dev"
        (tmp_path / panel.STAMP_FILE).write_text("ab" * 32 + "\n", encoding="utf-8")
        assert panel.read_stamp() == "ab" * 6
    assert panel.module_url("x.js", "abc") == "/ev_ledger_static/x.js?v=abc"
