"""The ledger's storage target: entry data to `DbConfig`, its identity, its test.

The config flow writes the entry data; the runtime reads it back with
`db_config_from_data`. A connection URL typed in the flow is split into the same
fields, so there is one stored shape per backend.
"""

from __future__ import annotations

from dataclasses import dataclass
import logging
from pathlib import Path
import traceback
from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

from .const import (
    BACKEND_EMBEDDED,
    BACKEND_POSTGRESQL,
    CONF_BACKEND,
    CONF_DATABASE,
    CONF_SSLMODE,
    CONF_SSLROOTCERT,
    EMBEDDED_FILENAME,
)
from .db import (
    SSL_MODES,
    CannotConnect,
    DbConfig,
    DbError,
    InvalidAuth,
    MissingPrivilege,
    SchemaTooNew,
    TlsError,
    connect_and_migrate,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.core import HomeAssistant

_LOGGER = logging.getLogger(__name__)

DEFAULT_PORT: Final = 5432
DEFAULT_DATABASE: Final = "homeassistant"
DEFAULT_SSLMODE: Final = "prefer"
EMBEDDED_UNIQUE_ID: Final = "embedded"
EMBEDDED_TITLE: Final = "EV Ledger (embedded)"
_URL_SCHEMES: Final = frozenset({"postgresql", "postgres", "postgresql+psycopg"})


# Typed fields that name the target; blank, PostgreSQL would pick its own default (a
# local socket, the operating-system user) instead of refusing.
REQUIRED_TEXT: Final = (CONF_HOST, CONF_DATABASE, CONF_USERNAME)
# A NUL ends libpq's connection string there: what follows it (the port, the
# database) would silently be its default.
NUL_FREE_TEXT: Final = (*REQUIRED_TEXT, CONF_PASSWORD, CONF_SSLROOTCERT)


def text_errors(values: Mapping[str, Any]) -> dict[str, str]:
    """Return the field errors of typed connection settings (empty when usable)."""
    errors: dict[str, str] = {}
    for key in NUL_FREE_TEXT:
        value = values.get(key)
        if key in REQUIRED_TEXT and not (value or "").strip():
            errors[key] = "value_required"
        elif value and "\x00" in value:
            errors[key] = "invalid_character"
    return errors


class InvalidUrl(ValueError):
    """The connection URL is not a postgresql:// URL this integration can use."""


class CaNotFound(ValueError):
    """The CA certificate file does not exist."""


def db_config_from_data(hass: HomeAssistant, data: Mapping[str, Any]) -> DbConfig:
    """Return the `DbConfig` of a ledger config entry's data."""
    if data[CONF_BACKEND] == BACKEND_EMBEDDED:
        return DbConfig.embedded(hass.config.path(EMBEDDED_FILENAME))
    return DbConfig(
        host=data[CONF_HOST],
        port=int(data[CONF_PORT]),
        database=data[CONF_DATABASE],
        user=data[CONF_USERNAME],
        password=data.get(CONF_PASSWORD) or None,
        sslmode=data[CONF_SSLMODE],
        sslrootcert=data.get(CONF_SSLROOTCERT) or None,
    )


def postgresql_data(
    *,
    host: str,
    port: int,
    database: str,
    username: str,
    password: str | None,
    sslmode: str,
    sslrootcert: str | None,
) -> dict[str, Any]:
    """Return the entry data of a PostgreSQL target (the stored shape)."""
    return {
        CONF_BACKEND: BACKEND_POSTGRESQL,
        CONF_HOST: host.strip(),
        CONF_PORT: int(port),
        CONF_DATABASE: database.strip(),
        CONF_USERNAME: username.strip(),
        CONF_PASSWORD: password or None,
        CONF_SSLMODE: sslmode,
        CONF_SSLROOTCERT: sslrootcert or None,
    }


def kept_password(current: Mapping[str, Any], typed: Mapping[str, Any]) -> str | None:
    """The stored password, when the password field is left empty on reconfigure.

    Kept only for the same server and role (host, port and user unchanged): sent
    to another host, it would hand the old server's credentials to whoever runs
    that one. A new database on the same server and role keeps it.
    """
    password = current.get(CONF_PASSWORD)
    if not password:
        return None
    same = (
        _host_key(current.get(CONF_HOST)) == _host_key(typed.get(CONF_HOST))
        and str(current.get(CONF_PORT)) == str(typed.get(CONF_PORT))
        and str(current.get(CONF_USERNAME) or "").strip()
        == str(typed.get(CONF_USERNAME) or "").strip()
    )
    return str(password) if same else None


def _host_key(host: Any) -> str:
    """A host as compared: trimmed, lower case, IPv6 brackets off."""
    return str(host or "").strip().strip("[]").lower()


def data_from_url(url: str) -> dict[str, Any]:
    """Split a postgresql:// URL into entry data.

    Raises:
        InvalidUrl: Not a URL, another scheme, no host, or an unknown sslmode.
    """
    if "\x00" in url:
        raise InvalidUrl("a NUL character")
    try:
        parsed = make_url(url.strip())
        port = parsed.port
    except (ArgumentError, ValueError) as err:
        raise InvalidUrl("not a connection URL") from err
    if parsed.drivername not in _URL_SCHEMES or not parsed.host:
        raise InvalidUrl("not a postgresql:// URL with a host")
    if "@" in parsed.host:
        # An unescaped @ in the password: its tail would be taken for the host.
        raise InvalidUrl("an @ in the host")
    if port is not None and not 0 < port < 65536:
        raise InvalidUrl("a port out of range")
    query = {
        key: value if isinstance(value, str) else value[0]
        for key, value in parsed.query.items()
    }
    sslmode = query.get("sslmode", DEFAULT_SSLMODE)
    if sslmode not in SSL_MODES:
        raise InvalidUrl("unknown sslmode")
    return postgresql_data(
        host=parsed.host,
        port=port or DEFAULT_PORT,
        database=parsed.database or "postgres",
        username=parsed.username or "postgres",
        password=parsed.password if isinstance(parsed.password, str) else None,
        sslmode=sslmode,
        sslrootcert=query.get("sslrootcert"),
    )


def unique_id(data: Mapping[str, Any]) -> str:
    """Return the normalised identity of a storage target (never the password)."""
    if data[CONF_BACKEND] == BACKEND_EMBEDDED:
        return EMBEDDED_UNIQUE_ID
    host = str(data[CONF_HOST]).strip().lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host.strip('[]')}]"
    return (
        f"postgresql://{data[CONF_USERNAME]}@{host}:{int(data[CONF_PORT])}"
        f"/{data[CONF_DATABASE]}"
    )


def title(data: Mapping[str, Any]) -> str:
    """Return the entry title (the unique id without the scheme, or embedded)."""
    if data[CONF_BACKEND] == BACKEND_EMBEDDED:
        return EMBEDDED_TITLE
    return unique_id(data).removeprefix("postgresql://")


def resolve_sslrootcert(hass: HomeAssistant, value: str | None) -> str | None:
    """Return the CA path made absolute (relative paths are in the config folder)."""
    if not value or not value.strip():
        return None
    path = Path(value.strip())
    return str(path if path.is_absolute() else Path(hass.config.path(str(path))))


@dataclass(frozen=True, slots=True)
class FlowError:
    """A storage failure as the flow shows it."""

    field: str
    key: str
    placeholders: Mapping[str, str]


def test_target(config: DbConfig) -> None:
    """Check the CA file, connect, check privileges and migrate (blocking).

    Raises:
        CaNotFound: sslrootcert names a file that does not exist.
        DbError: The typed errors of `connect_and_migrate`.
    """
    if config.sslrootcert and not Path(config.sslrootcert).is_file():
        raise CaNotFound(config.sslrootcert)
    connect_and_migrate(config)


async def async_test_target(
    hass: HomeAssistant, data: Mapping[str, Any]
) -> FlowError | None:
    """Test a target in the executor; return the error to show, None when good.

    Never starts a writer: the runtime does that when the entry is set up.
    """
    config = db_config_from_data(hass, data)
    try:
        await hass.async_add_executor_job(test_target, config)
    except CaNotFound:
        return FlowError(CONF_SSLROOTCERT, "ca_not_found", {})
    except DbError as err:
        return map_db_error(err, config)
    except Exception as err:  # noqa: BLE001 - shown as "unknown", logged redacted
        _LOGGER.error(
            "Unexpected error testing %s: %s",
            config.describe(),
            config.redact("".join(traceback.format_exception(err))),
        )
        return FlowError("base", "unknown", {})
    return None


def map_db_error(err: DbError, config: DbConfig) -> FlowError:
    """Map a typed storage error to the field and translation key to show."""
    detail = config.redact(str(err))
    if isinstance(err, CannotConnect):
        return FlowError("base", "cannot_connect", {"detail": detail})
    if isinstance(err, InvalidAuth):
        return FlowError(CONF_PASSWORD, "invalid_auth", {})
    if isinstance(err, TlsError):
        field = CONF_SSLROOTCERT if config.sslrootcert else CONF_SSLMODE
        return FlowError(field, "tls_error", {"detail": detail})
    if isinstance(err, MissingPrivilege):
        return FlowError(
            "base",
            "missing_privilege",
            {"username": config.user, "database": config.database, "detail": detail},
        )
    if isinstance(err, SchemaTooNew):
        return FlowError("base", "schema_too_new", {"revision": err.revision})
    return FlowError("base", "migration_failed", {"detail": detail})
