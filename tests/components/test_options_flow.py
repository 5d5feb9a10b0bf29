"""The ledger's options: how long raw samples are kept, and the deadband."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.data_entry_flow import FlowResultType

from custom_components.ev_ledger.const import CONF_DEADBAND, CONF_SAMPLE_RETENTION_DAYS
from custom_components.ev_ledger.housekeeping import job_of, retention_days

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .conftest import Ledger


def suggested(result: Any, name: str = CONF_SAMPLE_RETENTION_DAYS) -> Any:
    keys = {str(key): key for key in result["data_schema"].schema}
    assert list(keys) == [CONF_SAMPLE_RETENTION_DAYS, CONF_DEADBAND]
    return keys[name].description["suggested_value"]


async def test_options_set_the_retention_window(
    hass: HomeAssistant, embedded_ledger: Ledger
) -> None:
    await embedded_ledger.setup()
    entry = embedded_ledger.entry
    runtime = entry.runtime_data
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert suggested(result) == 396  # 13 months
    assert suggested(result, CONF_DEADBAND) is False

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SAMPLE_RETENTION_DAYS: 30.0}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    # The deadband stays off unless asked for.
    assert entry.options == {CONF_SAMPLE_RETENTION_DAYS: 30, CONF_DEADBAND: False}
    assert retention_days(entry) == 30
    # Read by the next nightly run: the ledger keeps running, no reload.
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is runtime
    assert job_of(hass, entry.entry_id) is not None

    again = await hass.config_entries.options.async_init(entry.entry_id)
    assert suggested(again) == 30
    done = await hass.config_entries.options.async_configure(
        again["flow_id"], {CONF_SAMPLE_RETENTION_DAYS: 0}
    )
    assert done["type"] is FlowResultType.CREATE_ENTRY
    assert retention_days(entry) == 0
