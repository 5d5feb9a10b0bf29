"""Constants of the EV Ledger integration."""

from typing import Final

DOMAIN: Final = "ev_ledger"
