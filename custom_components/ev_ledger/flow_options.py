"""Options of a ledger: how long raw samples are kept, and the deadband."""

from __future__ import annotations

import math
from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)
import voluptuous as vol

from .const import CONF_DEADBAND, CONF_SAMPLE_RETENTION_DAYS
from .db.retention import DEFAULT_RETENTION_DAYS
from .flow_mapping import entry_removed

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
        ),
        vol.Optional(CONF_DEADBAND, default=False): BooleanSelector(),
    }
)


class LedgerOptionsFlow(OptionsFlow):
    """Sample retention (records are always kept) and the deadband."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the retention window in days (0: raw samples are kept forever).

        Turning the deadband on or off reloads the ledger (`runtime.fingerprint`).
        """
        if entry_removed(self.hass, self.handler):
            return self.async_abort(reason="entry_removed")
        errors: dict[str, str] = {}
        options = self.config_entry.options
        shown: dict[str, Any] = {
            CONF_SAMPLE_RETENTION_DAYS: options.get(
                CONF_SAMPLE_RETENTION_DAYS, DEFAULT_RETENTION_DAYS
            ),
            CONF_DEADBAND: options.get(CONF_DEADBAND, False),
        }
        if user_input is not None:
            days = user_input[CONF_SAMPLE_RETENTION_DAYS]
            # NaN passes the number selector: it compares false with min and max.
            if math.isfinite(days):
                return self.async_create_entry(
                    data={
                        CONF_SAMPLE_RETENTION_DAYS: int(days),
                        CONF_DEADBAND: bool(user_input[CONF_DEADBAND]),
                    }
                )
            errors[CONF_SAMPLE_RETENTION_DAYS] = "invalid_number"
            shown[CONF_DEADBAND] = user_input[CONF_DEADBAND]
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(SCHEMA, shown),
            errors=errors,
        )
