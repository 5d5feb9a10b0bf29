"""Typed storage errors and the mapping from driver exceptions to them.

The config flow maps each error class to a field error, so the classes say what the user
can fix: the address, the credentials, the TLS settings, the role's privileges, or the
version of EV Ledger. Messages never contain a password: every message that may quote
the driver goes through `redact`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")
_KV_PASSWORD = re.compile(r"(password\s*=\s*)('[^']*'|\S+)", re.IGNORECASE)
REDACTED = "**REDACTED**"


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Return `text` with passwords removed.

    Removes every given secret, the password part of URLs and `password=...` pairs of
    libpq connection strings.

    Args:
        text: Any message, possibly quoting a connection string.
        secrets: Literal secrets to remove wherever they appear.
    """
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _URL_PASSWORD.sub(rf"\1{REDACTED}@", text)
    return _KV_PASSWORD.sub(rf"\1{REDACTED}", text)


class DbError(Exception):
    """Base class of all EV Ledger storage errors."""


class CannotConnect(DbError):
    """The server cannot be reached (address, port, network, server down)."""


class DatabaseDamaged(CannotConnect):
    """The embedded database file is damaged: not a database, or malformed.

    Waiting does not mend it: the file must be restored from a backup or moved aside.
    A kind of CannotConnect, so that what waits for an unreachable database (the
    journal keeps every record) waits for this one too.
    """


class DiskFull(CannotConnect):
    """The disk holding the database is full (SQLite's SQLITE_FULL, PostgreSQL's 53100).

    Waiting alone does not mend it: space must be freed. A kind of CannotConnect, so
    the journal keeps the records meanwhile (where its own disk has room).
    """


class InvalidAuth(DbError):
    """The server refused the user name or password."""


class TlsError(DbError):
    """TLS failed: server without TLS, wrong CA, host name mismatch, unreadable CA."""


class MissingPrivilege(DbError):
    """The role lacks a privilege EV Ledger needs (see docs/postgresql.md)."""


class SchemaTooNew(DbError):
    """The database was migrated by a newer EV Ledger than this one."""

    def __init__(self, revision: str, head: str) -> None:
        super().__init__(
            f"database schema revision {revision!r} is newer than this version of "
            f"EV Ledger (latest known revision {head!r}); update EV Ledger"
        )
        self.revision = revision
        self.head = head


class MigrationError(DbError):
    """A migration failed for another reason."""


class MigrationsMissing(MigrationError):
    """The Alembic scripts are not installed next to the integration.

    HACS installs of the default branch copy only `custom_components/ev_ledger/`; the
    release zip (scripts/build_artifact.py) carries the scripts inside it.
    """

    def __init__(self, folder: str) -> None:
        super().__init__(
            f"the migration scripts are missing from {folder}: install EV Ledger from "
            "a release (HACS release or ev_ledger.zip), not from the default branch"
        )
        self.folder = folder


_TLS_MARKERS = (
    "ssl",
    "tls",
    "certificate",
    "root cert",
    "sslrootcert",
    "does not match host name",
)
_AUTH_MARKERS = (
    "password authentication failed",
    "no password supplied",
    "authentication failed",
    'role "',
    "no pg_hba.conf entry",
)
_PRIVILEGE_SQLSTATES = frozenset({"42501"})
# SQLite's primary result codes for a file that is not, or no longer, a database:
# SQLITE_CORRUPT ("database disk image is malformed") and SQLITE_NOTADB.
_SQLITE_DAMAGED = frozenset({11, 26})
_AUTH_SQLSTATES = frozenset({"28P01", "28000"})
# SQLITE_FULL ("database or disk is full"); PostgreSQL's disk_full.
_SQLITE_FULL = 13
_DISK_FULL_SQLSTATES = frozenset({"53100"})
_DISK_FULL_MARKERS = ("no space left on device", "database or disk is full")


def _sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None) or exc
    state = getattr(orig, "sqlstate", None)
    return state if isinstance(state, str) else None


def classify(exc: BaseException, secrets: Iterable[str | None] = ()) -> DbError:
    """Map a driver or SQLAlchemy exception to a typed, redacted `DbError`.

    Args:
        exc: The exception raised while connecting or migrating.
        secrets: Secrets to remove from the message (the password).
    """
    if isinstance(exc, DbError):
        return exc
    orig = getattr(exc, "orig", None) or exc
    message = redact(str(orig).strip() or type(orig).__name__, secrets)
    lowered = message.lower()
    state = _sqlstate(exc)
    if state in _PRIVILEGE_SQLSTATES or "permission denied" in lowered:
        return MissingPrivilege(message)
    if "no pg_hba.conf entry" in lowered and "no encryption" in lowered:
        return TlsError(message)
    if state in _AUTH_SQLSTATES or any(m in lowered for m in _AUTH_MARKERS):
        return InvalidAuth(message)
    if any(m in lowered for m in _TLS_MARKERS):
        return TlsError(message)
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in _SQLITE_DAMAGED:
        return DatabaseDamaged(message)
    if (
        state in _DISK_FULL_SQLSTATES
        or (isinstance(code, int) and code & 0xFF == _SQLITE_FULL)
        or any(m in lowered for m in _DISK_FULL_MARKERS)
    ):
        return DiskFull(message)
    return CannotConnect(message)
