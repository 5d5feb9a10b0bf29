"""Options of a ledger: how long raw samples are kept before they are folded."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)
import voluptuous as vol

from .const import CONF_SAMPLE_RETENTION_DAYS
from .db.retention import DEFAULT_RETENTION_DAYS

# Ten years: anything longer is "keep them" (0).
MAX_RETENTION_DAYS = 3650

SCHEMA = vol.Schema(
    {
        vol.Required(CONF_SAMPLE_RETENTION_DAYS): NumberSelector(
            NumberSelectorConfig(
                min=0,
                max=MAX_RETENTION_DAYS,
                step=1,
                mode=NumberSelectorMode.BOX,
                unit_of_measurement="d",
            )
        )
    }
)


class LedgerOptionsFlow(OptionsFlow):
    """Sample retention (records are always kept)."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the retention window in days (0: raw samples are kept forever)."""
        if user_input is not None:
            days = int(user_input[CONF_SAMPLE_RETENTION_DAYS])
            return self.async_create_entry(data={CONF_SAMPLE_RETENTION_DAYS: days})
        current = self.config_entry.options.get(
            CONF_SAMPLE_RETENTION_DAYS, DEFAULT_RETENTION_DAYS
        )
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                SCHEMA, {CONF_SAMPLE_RETENTION_DAYS: current}
            ),
        )
