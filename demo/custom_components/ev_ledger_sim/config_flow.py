"""Config flow of the simulator: imported from YAML, or added from the UI."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult

from .const import DOMAIN

TITLE = "EV Ledger demo simulator"


class SimConfigFlow(ConfigFlow, domain=DOMAIN):
    """One simulator per Home Assistant."""

    VERSION = 1

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add the simulator with its defaults."""
        if self._async_current_entries():
            return self.async_abort(reason="single_instance_allowed")
        if user_input is None:
            return self.async_show_form(step_id="user")
        return self.async_create_entry(title=TITLE, data={})

    async def async_step_import(self, import_data: dict[str, Any]) -> ConfigFlowResult:
        """Create or update the entry from the `ev_ledger_sim:` YAML block."""
        for entry in self._async_current_entries():
            self.hass.config_entries.async_update_entry(entry, data=import_data)
            return self.async_abort(reason="single_instance_allowed")
        return self.async_create_entry(title=TITLE, data=import_data)
