"""Constants of the EV Ledger demo simulator (a development tool, not shipped)."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "ev_ledger_sim"
MANUFACTURER: Final = "EV Ledger demo"

CONF_SPEED: Final = "speed"
CONF_START_HOUR: Final = "start_hour"
CONF_CATCH_UP_HOURS: Final = "catch_up_hours"
CONF_CATCH_UP_FACTOR: Final = "catch_up_factor"
CONF_AUTOSTART: Final = "autostart"
CONF_SEED: Final = "seed"
CONF_TICK: Final = "tick_seconds"

DEFAULT_SEED: Final = 7
DEFAULT_TICK_S: Final = 0.25

SERVICE_START: Final = "start"
SERVICE_STOP: Final = "stop"
