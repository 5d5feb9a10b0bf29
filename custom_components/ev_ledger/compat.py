"""What differs between the Home Assistant releases we support, in one place.

Supported: 2025.4 (the oldest test leg) up to the newest release (the newest leg).
Each shim names the release that made it necessary, so it can go when the minimum
passes that release.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.const import MAJOR_VERSION, MINOR_VERSION
from homeassistant.helpers import device_registry as dr

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

HA_VERSION: Final = (MAJOR_VERSION, MINOR_VERSION)

# 2025.11: statistics metadata carries `unit_class` (a warning without it, an error
# from 2026.11); earlier releases refuse the key.
STATISTICS_UNIT_CLASS: Final = HA_VERSION >= (2025, 11)


def find_device(
    hass: HomeAssistant, entry_id: str, identifier: tuple[str, str]
) -> dr.DeviceEntry | None:
    """Return the entry's device with `identifier`, if it is registered.

    2026.8 deprecated `DeviceRegistry.async_get_device(identifiers=...)` (identifiers
    are unique per config entry only) in favour of `async_get_device_by_identifier`,
    which older releases lack. Looking among the entry's own devices works on both.
    """
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry_id):
        if identifier in device.identifiers:
            return device
    return None
