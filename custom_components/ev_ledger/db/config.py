"""Connection settings and engine construction.

`DbConfig` carries everything needed to reach the database. Its repr and str never show
the password, and the SQLAlchemy URL it builds masks it too.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.pool import NullPool

from .errors import redact

type SslMode = Literal[
    "disable", "allow", "prefer", "require", "verify-ca", "verify-full"
]
type Backend = Literal["postgresql", "sqlite"]

SSL_MODES: tuple[SslMode, ...] = (
    "disable",
    "allow",
    "prefer",
    "require",
    "verify-ca",
    "verify-full",
)
SCHEMA = "ev_ledger"
DEFAULT_SQLITE_NAME = "ev_ledger.db"
# The embedded file's write-ahead log: checkpointed every 256 pages (1 MiB at the
# default page size), and cut back to 1 MiB when it restarts.
WAL_CHECKPOINT_PAGES = 256
WAL_LIMIT_BYTES = 1 << 20


@dataclass(frozen=True, slots=True, kw_only=True)
class DbConfig:
    """Where the ledger lives.

    Attributes:
        backend: "postgresql" (primary) or "sqlite" (embedded default).
        host: PostgreSQL host name or IP address.
        port: PostgreSQL port.
        database: PostgreSQL database name.
        user: PostgreSQL role.
        password: Password of the role; never shown in repr, logs or errors.
        sslmode: libpq sslmode.
        sslrootcert: Path of the CA certificate (PEM) for verify-ca/verify-full.
        path: SQLite file path (backend "sqlite").
        schema: PostgreSQL schema holding EV Ledger's tables.
        connect_timeout: Seconds to wait for a connection.
    """

    backend: Backend = "postgresql"
    host: str = "127.0.0.1"
    port: int = 5432
    database: str = "postgres"
    user: str = "postgres"
    password: str | None = field(default=None, repr=False)
    sslmode: SslMode = "prefer"
    sslrootcert: str | None = None
    path: str | None = None
    schema: str = SCHEMA
    connect_timeout: int = 10

    @classmethod
    def embedded(cls, path: str | Path) -> DbConfig:
        """Return the config of an embedded SQLite file.

        Args:
            path: The database file, or a folder to create `ev_ledger.db` in.
        """
        target = Path(path)
        if target.is_dir():
            target = target / DEFAULT_SQLITE_NAME
        return cls(backend="sqlite", path=str(target))

    @classmethod
    def from_url(cls, url: str, **overrides: Any) -> DbConfig:
        """Build a config from a SQLAlchemy or libpq-style URL.

        Args:
            url: For example `postgresql://user:pw@127.0.0.1:5432/db?sslmode=require`
                or `sqlite:////config/ev_ledger.db`.
            overrides: Fields to set explicitly (they win over the URL).
        """
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            return replace(cls.embedded(parsed.database or ""), **overrides)
        query = parsed.query
        sslmode = query.get("sslmode", "prefer")
        sslrootcert = query.get("sslrootcert")
        values: dict[str, Any] = {
            "host": parsed.host or "127.0.0.1",
            "port": parsed.port or 5432,
            "database": parsed.database or "postgres",
            "user": parsed.username or "postgres",
            "password": parsed.password,
            "sslmode": sslmode if isinstance(sslmode, str) else sslmode[0],
            "sslrootcert": sslrootcert if isinstance(sslrootcert, str) else None,
        }
        values.update(overrides)
        return cls(**values)

    @property
    def is_postgresql(self) -> bool:
        """Return True for the PostgreSQL backend."""
        return self.backend == "postgresql"

    def url(self) -> URL:
        """Return the SQLAlchemy URL (its str/repr mask the password)."""
        if self.backend == "sqlite":
            return URL.create("sqlite+pysqlite", database=self.path)
        query: dict[str, str] = {"sslmode": self.sslmode}
        if self.sslrootcert:
            query["sslrootcert"] = self.sslrootcert
        return URL.create(
            "postgresql+psycopg",
            username=self.user,
            password=self.password,
            host=self.host,
            port=self.port,
            database=self.database,
            query=query,
        )

    def describe(self) -> str:
        """Return a human-readable, password-free description."""
        if self.backend == "sqlite":
            return f"sqlite:{self.path}"
        return (
            f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}"
            f" (schema {self.schema}, sslmode {self.sslmode})"
        )

    def redact(self, text: str) -> str:
        """Remove this config's password from `text`."""
        return redact(text, [self.password])

    def __str__(self) -> str:
        """Return the password-free description."""
        return self.describe()


def make_engine(config: DbConfig, *, pooled: bool = True) -> Engine:
    """Create an engine for `config`.

    On PostgreSQL every connection uses `search_path = <schema>`, so the same models
    and migrations serve both backends without schema-qualified names. On SQLite,
    foreign keys are enforced and WAL journaling lets readers run beside the writer.

    Args:
        config: Connection settings.
        pooled: Keep connections open (True) or open one per use (False).
    """
    if config.backend == "sqlite":
        if config.path is None:
            raise ValueError("an embedded database needs a path")
        path = Path(config.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # The ledger holds places and costs: private to Home Assistant's user. SQLite
        # gives its -wal and -shm files the database file's mode.
        path.touch(mode=0o600, exist_ok=True)
        path.chmod(0o600)
        engine = create_engine(
            config.url(),
            poolclass=None if pooled else NullPool,
            connect_args={"timeout": 30, "check_same_thread": False},
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    connect_args: dict[str, Any] = {
        "connect_timeout": config.connect_timeout,
        "options": f"-c search_path={config.schema}",
        "application_name": "ev_ledger",
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        "tcp_user_timeout": 15000,
    }
    kwargs: dict[str, Any] = {"pool_pre_ping": True, "connect_args": connect_args}
    if pooled:
        kwargs.update(pool_size=2, max_overflow=2, pool_recycle=3600)
    else:
        kwargs["poolclass"] = NullPool
    return create_engine(config.url(), **kwargs)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # Takes effect on a new file only: pages freed by the retention job are then
    # given back to the file system a few at a time (`db.retention.reclaim`).
    cursor.execute("PRAGMA auto_vacuum=INCREMENTAL")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # The write-ahead log is checkpointed into the file every 1 MiB (SQLite's
    # default: 4 MiB) and cut back to 1 MiB when it restarts: a file system never
    # holds more than about 1 MiB of log beside the ledger (before: 4 MiB, kept).
    cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
    cursor.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
    cursor.close()
