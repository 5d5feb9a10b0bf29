"""Logbook entries for completed records (issue 13).

"Model Y charged 24.1 kWh at Home for 9.12 EUR (32 % solar)", "Model Y drove 25.0 km,
18.0 kWh/100 km": from the completion events' own data, the place by the name of the
charging location configured for its zone.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .const import (
    CONF_NAME,
    CONF_ZONE,
    DOMAIN,
    EVENT_SESSION_COMPLETED,
    EVENT_TRIP_COMPLETED,
    SUBENTRY_LOCATION,
)
from .logic.tariff import normalize_zone

type Describe = Callable[[Event], dict[str, str]]


# Digits before the point of a number beyond any charge or trip. A larger number
# would be written out in full on the event loop (1e999999999 is a billion digits),
# or overflow, each time the logbook lists the event: the recorder keeps an event
# however it was fired.
_MAX_DIGITS: Final = 12


def _number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    # Compared by its exponent: arithmetic on it may overflow.
    return number if number.is_zero() or number.adjusted() < _MAX_DIGITS else None


def _fixed(value: Any, places: int) -> str | None:
    number = _number(value)
    if number is None:
        return None
    return f"{number:.{places}f}"


def place_name(
    hass: HomeAssistant, place: Any, entry_id: str | None = None
) -> str | None:
    """The configured name of the charging location of a place's zone, else the zone.

    The locations of the ledger `entry_id` (the record's): each ledger names its own
    places. Without one, or for an entry that is gone, any ledger's.
    """
    if not isinstance(place, dict):
        return None
    zone = place.get("zone")
    if not isinstance(zone, str) or not zone:
        return None
    key = normalize_zone(zone)
    entries = hass.config_entries.async_entries(DOMAIN)
    if entry_id is not None:
        entries = [e for e in entries if e.entry_id == entry_id] or entries
    for entry in entries:
        for subentry in entry.subentries.values():
            configured = subentry.data.get(CONF_ZONE)
            if (
                subentry.subentry_type == SUBENTRY_LOCATION
                and isinstance(configured, str)
                and normalize_zone(configured) == key
            ):
                return str(subentry.data.get(CONF_NAME) or subentry.title)
    if (state := hass.states.get(f"zone.{key}")) is not None:
        return state.name
    return zone


def _entry_of(hass: HomeAssistant, device_id: Any) -> str | None:
    """The EV Ledger entry of the vehicle's device an event names, if known.

    The device is identified by its vehicle's subentry, which names the entry.
    """
    if not isinstance(device_id, str):
        return None
    device = dr.async_get(hass).async_get(device_id)
    if device is None:
        return None
    subentries = {ident for domain, ident in device.identifiers if domain == DOMAIN}
    for entry in hass.config_entries.async_entries(DOMAIN):
        if subentries.intersection(entry.subentries):
            return entry.entry_id
    return None


def session_message(hass: HomeAssistant, data: dict[str, Any]) -> str:
    """What a completed charging session reads as in the logbook."""
    energy = _fixed(data.get("energy_kwh"), 1) or "?"
    parts = [f"charged {energy} kWh"]
    entry_id = _entry_of(hass, data.get("device_id"))
    if place := place_name(hass, data.get("place"), entry_id):
        parts.append(f"at {place}")
    cost = data.get("cost")
    if isinstance(cost, dict) and (total := _fixed(cost.get("total"), 2)):
        parts.append(f"for {total} {cost.get('currency') or ''}".rstrip())
    share = _number(data.get("solar_share"))
    if share is not None and share > 0:
        parts.append(f"({share * 100:.0f} % solar)")
    return " ".join(parts)


def trip_message(data: dict[str, Any]) -> str:
    """What a completed trip reads as in the logbook."""
    distance = _fixed(data.get("distance_km"), 1) or "?"
    message = f"drove {distance} km"
    efficiency = _number(data.get("efficiency_wh_km"))
    if efficiency is not None:
        message += f", {efficiency / 10:.1f} kWh/100 km"
    return message


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Describe], None],
) -> None:
    """Describe EV Ledger's completion events for the logbook."""

    @callback
    def describe_session(event: Event) -> dict[str, str]:
        data = dict(event.data)
        return {
            LOGBOOK_ENTRY_NAME: str(data.get("vehicle") or "EV Ledger"),
            LOGBOOK_ENTRY_MESSAGE: session_message(hass, data),
        }

    @callback
    def describe_trip(event: Event) -> dict[str, str]:
        data = dict(event.data)
        return {
            LOGBOOK_ENTRY_NAME: str(data.get("vehicle") or "EV Ledger"),
            LOGBOOK_ENTRY_MESSAGE: trip_message(data),
        }

    async_describe_event(DOMAIN, EVENT_SESSION_COMPLETED, describe_session)
    async_describe_event(DOMAIN, EVENT_TRIP_COMPLETED, describe_trip)
