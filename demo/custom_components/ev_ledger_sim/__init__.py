"""EV Ledger demo simulator: a car, a home energy site and a price, replayed.

A development tool that lives outside what HACS installs. It exposes entities the
way real vehicle, energy and tariff integrations do (devices, device classes,
units, decoys) and replays a deterministic week (`sim/`) at an accelerated pace.

Configured from YAML (imported into a config entry, so the entities get devices):

    ev_ledger_sim:
      speed: 1008          # simulated seconds per real second (a week in 10 min)
      start_hour: 6        # start Monday 06:00
      catch_up_hours: 26   # replay the first day...
      catch_up_factor: 2   # ...twice as fast
      autostart: true      # false: wait for the ev_ledger_sim.start action
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import SOURCE_IMPORT, ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import ServiceValidationError
import homeassistant.helpers.config_validation as cv
import voluptuous as vol

from .const import (
    CONF_AUTOSTART,
    CONF_CATCH_UP_FACTOR,
    CONF_CATCH_UP_HOURS,
    CONF_SEED,
    CONF_SPEED,
    CONF_START_HOUR,
    CONF_TICK,
    DEFAULT_SEED,
    DEFAULT_TICK_S,
    DOMAIN,
    SERVICE_START,
    SERVICE_STOP,
)
from .replay import Replay
from .sim.clock import (
    DEFAULT_CATCH_UP_FACTOR,
    DEFAULT_CATCH_UP_S,
    DEFAULT_SPEED,
    DEFAULT_START_S,
    SimClock,
)

if TYPE_CHECKING:
    from homeassistant.helpers.typing import ConfigType

PLATFORMS = [Platform.BINARY_SENSOR, Platform.DEVICE_TRACKER, Platform.SENSOR]
_POSITIVE = vol.All(vol.Coerce(float), vol.Range(min=0.001))

CONFIG_SCHEMA = vol.Schema(
    {
        DOMAIN: vol.Schema(
            {
                vol.Optional(CONF_SPEED, default=DEFAULT_SPEED): _POSITIVE,
                vol.Optional(CONF_START_HOUR, default=DEFAULT_START_S / 3600): vol.All(
                    vol.Coerce(float), vol.Range(min=0, max=24 * 7)
                ),
                vol.Optional(
                    CONF_CATCH_UP_HOURS, default=DEFAULT_CATCH_UP_S / 3600
                ): vol.All(vol.Coerce(float), vol.Range(min=0)),
                vol.Optional(
                    CONF_CATCH_UP_FACTOR, default=DEFAULT_CATCH_UP_FACTOR
                ): _POSITIVE,
                vol.Optional(CONF_AUTOSTART, default=True): cv.boolean,
                vol.Optional(CONF_SEED, default=DEFAULT_SEED): vol.Coerce(int),
                vol.Optional(CONF_TICK, default=DEFAULT_TICK_S): vol.All(
                    vol.Coerce(float), vol.Range(min=0.05, max=60)
                ),
            }
        )
    },
    extra=vol.ALLOW_EXTRA,
)
START_SCHEMA = vol.Schema({vol.Optional(CONF_SPEED): _POSITIVE})

type SimConfigEntry = ConfigEntry[Replay]


def clock_from(options: dict[str, Any], speed: float | None = None) -> SimClock:
    """The replay's pace from the entry data (YAML options), defaults filled in."""
    return SimClock(
        speed=speed or float(options.get(CONF_SPEED, DEFAULT_SPEED)),
        start_s=float(options.get(CONF_START_HOUR, DEFAULT_START_S / 3600)) * 3600,
        catch_up_s=float(options.get(CONF_CATCH_UP_HOURS, DEFAULT_CATCH_UP_S / 3600))
        * 3600,
        catch_up_factor=float(
            options.get(CONF_CATCH_UP_FACTOR, DEFAULT_CATCH_UP_FACTOR)
        ),
    )


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Import the YAML block and register the start/stop actions."""
    if DOMAIN in config:
        hass.async_create_task(
            hass.config_entries.flow.async_init(
                DOMAIN, context={"source": SOURCE_IMPORT}, data=dict(config[DOMAIN])
            )
        )

    def _replay() -> tuple[Replay, dict[str, Any]]:
        for entry in hass.config_entries.async_loaded_entries(DOMAIN):
            return entry.runtime_data, dict(entry.data)
        raise ServiceValidationError("The EV Ledger simulator is not loaded")

    @callback
    def start(call: ServiceCall) -> None:
        replay, options = _replay()
        replay.start(clock_from(options, call.data.get(CONF_SPEED)))

    @callback
    def stop(call: ServiceCall) -> None:
        _replay()[0].stop()

    hass.services.async_register(DOMAIN, SERVICE_START, start, schema=START_SCHEMA)
    hass.services.async_register(DOMAIN, SERVICE_STOP, stop)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SimConfigEntry) -> bool:
    """Create the replay and its entities; start it unless told to wait."""
    options = dict(entry.data)
    replay = Replay(
        hass,
        clock_from(options),
        seed=int(options.get(CONF_SEED, DEFAULT_SEED)),
        tick_s=float(options.get(CONF_TICK, DEFAULT_TICK_S)),
    )
    entry.runtime_data = replay
    entry.async_on_unload(replay.stop)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    if options.get(CONF_AUTOSTART, True):
        replay.start()
    return True


async def async_unload_entry(hass: HomeAssistant, entry: SimConfigEntry) -> bool:
    """Stop the replay and remove the entities."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
