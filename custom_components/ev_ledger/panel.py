"""The sidebar panel and the Lovelace card (issue 13).

The built modules ship in this package's `frontend` folder (from `frontend/` at the
repository's root, `npm --prefix frontend run build`) and are served by Home
Assistant's static file handler. `build-stamp.txt` holds the sha256 of the sources
the bundle was built from; it makes the modules' URLs change with every build, so a
browser never keeps an old panel.

- The static path and the card's module are registered once per Home Assistant (they
  cannot be removed; the card reports a missing ledger itself).
- The panel "EV Ledger" appears with the first loaded ledger and goes with the last.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

from homeassistant.components import frontend, panel_custom

# Defined in http/__init__ on 2025.4, re-exported there from http.server later.
from homeassistant.components.http import (  # type: ignore[attr-defined,unused-ignore]
    StaticPathConfig,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import callback

from .const import DOMAIN
from .download import CsvDownloadView

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

FRONTEND_DIR: Final = Path(__file__).parent / "frontend"
STATIC_URL: Final = "/ev_ledger_static"
PANEL_MODULE: Final = "ev-ledger-panel.js"
CARD_MODULE: Final = "ev-ledger-card.js"
STAMP_FILE: Final = "build-stamp.txt"
# Dashboards need a hyphen in their path: an underscore never clashes with one
# (the demo has a dashboard at "ev-ledger").
PANEL_URL_PATH: Final = "ev_ledger"
PANEL_ELEMENT: Final = "ev-ledger-panel"
PANEL_TITLE: Final = "EV Ledger"
PANEL_ICON: Final = "mdi:car-electric"
_DATA_STATIC: Final = f"{DOMAIN}_frontend_static"
_DATA_PANEL: Final = f"{DOMAIN}_frontend_panel"


def read_stamp() -> str:
    """The build's stamp (first 12 hex digits); blocking, call it in the executor."""
    try:
        text = (FRONTEND_DIR / STAMP_FILE).read_text(encoding="utf-8")
    except OSError:
        return "dev"
    return text.split()[0][:12] if text.strip() else "dev"


def module_url(name: str, stamp: str) -> str:
    """The URL of a built module, with the stamp that busts browser caches."""
    return f"{STATIC_URL}/{name}?v={stamp}"


async def async_setup_frontend(hass: HomeAssistant) -> None:
    """Serve the modules, add the card and the CSV view (once), show the panel."""
    stamp: str | None = hass.data.get(_DATA_STATIC)
    if stamp is None:
        stamp = await hass.async_add_executor_job(read_stamp)
        if _DATA_STATIC in hass.data:  # another entry got here first
            stamp = hass.data[_DATA_STATIC]
        else:
            hass.data[_DATA_STATIC] = stamp
            await hass.http.async_register_static_paths(
                [StaticPathConfig(STATIC_URL, str(FRONTEND_DIR), True)]
            )
            if "frontend" in hass.config.components:
                frontend.add_extra_js_url(hass, module_url(CARD_MODULE, stamp))
            hass.http.register_view(CsvDownloadView())
    if hass.data.get(_DATA_PANEL):
        return
    hass.data[_DATA_PANEL] = True
    await panel_custom.async_register_panel(
        hass,
        frontend_url_path=PANEL_URL_PATH,
        webcomponent_name=PANEL_ELEMENT,
        sidebar_title=PANEL_TITLE,
        sidebar_icon=PANEL_ICON,
        module_url=module_url(PANEL_MODULE, stamp),
        embed_iframe=False,
        require_admin=False,
        config={"domain": DOMAIN},
    )


@callback
def async_remove_panel_if_last(hass: HomeAssistant, entry_id: str) -> None:
    """Remove the panel when no other ledger stays loaded."""
    others = [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.entry_id != entry_id and entry.state is ConfigEntryState.LOADED
    ]
    if others or not hass.data.get(_DATA_PANEL):
        return
    hass.data[_DATA_PANEL] = False
    frontend.async_remove_panel(hass, PANEL_URL_PATH)
