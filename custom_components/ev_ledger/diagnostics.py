"""Diagnostics: configuration (secrets redacted), mappings, engine and writer health.

They work for a ledger that did not load as well (a database out of reach is why a
user downloads them): its configuration, its state and the reason. The database user
and password are redacted wherever they appear: the entry data, the title (the flow
names a PostgreSQL ledger `user@host:port/database`), the description of the database
and any message that quotes them, escaped for a URL or not.
"""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME

from .builders import db_config
from .const import CONF_URL, CONF_VIN, EMBEDDED_FILENAME

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .db import DbConfig
    from .runtime import EvLedgerConfigEntry

TO_REDACT = {CONF_PASSWORD, CONF_URL, CONF_USERNAME, CONF_VIN}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: EvLedgerConfigEntry
) -> dict[str, Any]:
    """What a maintainer needs to understand a user's ledger."""
    config = _db_config(hass, entry)
    data: dict[str, Any] = {
        "entry": {
            "title": entry.title,
            "state": entry.state.value,
            # Why it did not load (set-up error or retry), if it did not.
            "reason": entry.reason,
            "data": async_redact_data(dict(entry.data), TO_REDACT),
        },
        "database": config.describe() if config else None,
        "subentries": [
            {
                "subentry_id": subentry.subentry_id,
                "type": subentry.subentry_type,
                "title": subentry.title,
                "data": async_redact_data(dict(subentry.data), TO_REDACT),
            }
            for subentry in entry.subentries.values()
        ],
    }
    if entry.state is ConfigEntryState.LOADED:
        data.update(_runtime(entry))
    scrubbed: dict[str, Any] = _scrub(data, _secrets(config))
    return scrubbed


def _runtime(entry: EvLedgerConfigEntry) -> dict[str, Any]:
    """The live part: engines, writer, backfill (a loaded entry only)."""
    runtime = entry.runtime_data
    return {
        "vehicles": {
            key: {
                "name": vehicle.name,
                "mapping": {role.value: e for role, e in vehicle.roles.items()},
                "engine": vehicle.health(),
            }
            for key, vehicle in runtime.vehicles.items()
        },
        "energy_sites": {
            key: {
                "name": site.name,
                "mapping": {role.value: e for role, e in site.roles.items()},
                "engine": site.health(),
            }
            for key, site in runtime.sites.items()
        },
        "price_entities": sorted(runtime.price_entities),
        "writer": runtime.writer.health().as_dict(),
        # The last (or running) backfill: progress, counts, skipped records.
        "backfill": runtime.backfill.as_dict() if runtime.backfill else None,
    }


def _db_config(hass: HomeAssistant, entry: EvLedgerConfigEntry) -> DbConfig | None:
    """The database the entry names (None when its data cannot say)."""
    try:
        return db_config(entry.data, hass.config.path(EMBEDDED_FILENAME))
    except (KeyError, TypeError, ValueError):
        return None


def _secrets(config: DbConfig | None) -> list[tuple[re.Pattern[str], str]]:
    """Patterns of the password and the user as messages may quote them."""
    if config is None or not config.is_postgresql:
        return []
    forms: set[str] = set()
    if config.password:
        password = config.password
        forms |= {password, quote(password, safe=""), quote_plus(password)}
    pairs: list[tuple[re.Pattern[str], str]] = [
        # Longest first: a form must not be cut by a shorter one inside it.
        (re.compile(re.escape(form)), REDACTED)
        for form in sorted(forms, key=len, reverse=True)
    ]
    if config.user:
        users = "|".join(
            re.escape(user) for user in {config.user, quote(config.user, safe="")}
        )
        # The user as connection strings and server messages show it (user@host,
        # user:password@, "user", user=user); a bare name such as "postgres" must
        # not hit "postgresql".
        pairs.append((re.compile(rf"(?<![\w.%+-])(?:{users})(?=[@:])"), REDACTED))
        pairs.append((re.compile(rf"(?<=[\"'=])(?:{users})(?=[\"'\s,;)]|$)"), REDACTED))
    return pairs


def _scrub(value: Any, secrets: list[tuple[re.Pattern[str], str]]) -> Any:
    """`value` with every secret replaced in every string, keys included."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret, replacement in secrets:
            value = secret.sub(replacement, value)
        return value
    if isinstance(value, Mapping):
        return {
            _scrub(key, secrets): _scrub(item, secrets) for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub(item, secrets) for item in value]
    return value
