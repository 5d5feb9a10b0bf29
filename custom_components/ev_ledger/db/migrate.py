"""Schema migrations at start-up: serialised, refusing a schema newer than the code.

The Alembic scripts are the top-level `migrations/` folder of the repository; the
installable artifact carries a copy as `custom_components/ev_ledger/migrations/`
(scripts/build_artifact.py). `script_location()` prefers the packaged copy. Alembic is
configured programmatically: no alembic.ini is needed at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from .config import DbConfig, make_engine
from .errors import (
    DbError,
    MigrationError,
    MigrationsMissing,
    MissingPrivilege,
    SchemaTooNew,
    classify,
)

# pg_advisory_xact_lock key: "EVLM" (EV Ledger Migration) as an integer.
MIGRATION_LOCK_KEY = 0x45564C4D
PACKAGED = Path(__file__).resolve().parents[1] / "migrations"
REPOSITORY = Path(__file__).resolve().parents[3] / "migrations"


@dataclass(frozen=True, slots=True)
class MigrationResult:
    """What `connect_and_migrate` did."""

    before: str | None
    after: str | None

    @property
    def migrated(self) -> bool:
        """Return True when the schema changed."""
        return self.before != self.after


def script_location() -> Path:
    """Return the folder of the Alembic scripts (packaged copy first).

    Raises:
        MigrationsMissing: Neither copy exists (an install of the default branch,
            which lacks the packaged copy the release zip carries).
    """
    for candidate in (PACKAGED, REPOSITORY):
        if (candidate / "env.py").is_file():
            return candidate
    raise MigrationsMissing(str(PACKAGED))


def alembic_config(connection: Connection | None = None) -> Config:
    """Return an Alembic config for the scripts, bound to `connection` if given."""
    config = Config()
    config.set_main_option("script_location", str(script_location()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """Return the newest revision this code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the scripts always have a head
        raise MigrationError("no migration scripts")
    return head


def current_revision(connection: Connection) -> str | None:
    """Return the database's revision (None for an empty database)."""
    return MigrationContext.configure(connection).get_current_revision()


def _check_known(revision: str | None) -> None:
    if revision is None:
        return
    script = ScriptDirectory.from_config(alembic_config())
    try:
        script.get_revision(revision)
    except CommandError as exc:
        raise SchemaTooNew(revision, head_revision()) from exc


def _ensure_schema(connection: Connection, schema: str) -> None:
    # CREATE SCHEMA IF NOT EXISTS checks the CREATE privilege on the database even when
    # the schema exists, so look first: a DBA may have created it for a smaller role.
    exists = connection.execute(
        text("SELECT 1 FROM pg_namespace WHERE nspname = :schema"), {"schema": schema}
    ).scalar()
    if not exists:
        quoted = connection.dialect.identifier_preparer.quote_identifier(schema)
        connection.execute(text(f"CREATE SCHEMA {quoted}"))


def migrate(config: DbConfig, target: str = "head", *, downgrade: bool = False) -> None:
    """Upgrade (or downgrade) the schema to `target` under the migration lock.

    Raises:
        DbError: A typed error (see `connect_and_migrate`).
    """
    engine = make_engine(config, pooled=False)
    try:
        with engine.connect() as connection, connection.begin():
            if config.is_postgresql:
                # Lock first: two instances must not both create the schema either.
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"),
                    {"key": MIGRATION_LOCK_KEY},
                )
                _ensure_schema(connection, config.schema)
            _check_known(current_revision(connection))
            alembic = alembic_config(connection)
            if downgrade:
                command.downgrade(alembic, target)
            else:
                command.upgrade(alembic, target)
    except DbError:
        raise
    except (SQLAlchemyError, OSError) as exc:
        raise classify(exc, [config.password]) from None
    except CommandError as exc:
        raise MigrationError(config.redact(str(exc))) from None
    finally:
        engine.dispose()


def connect_and_migrate(config: DbConfig) -> MigrationResult:
    """Connect, check the role and bring the schema to this code's head revision.

    Blocking: run it in an executor. Two instances pointed at one PostgreSQL database
    are serialised by an advisory lock; the second finds the schema already current.

    Raises:
        CannotConnect: Server unreachable.
        InvalidAuth: User or password refused.
        TlsError: TLS could not be established or verified.
        MissingPrivilege: The role cannot create the schema or its tables, or lacks
            a privilege the writer needs (TEMPORARY, rights on the tables).
        SchemaTooNew: The database was migrated by a newer EV Ledger.
        MigrationsMissing: The Alembic scripts are not installed (checked before the
            database is touched).
        MigrationError: Any other migration failure.
    """
    script_location()
    before = schema_revision(config)
    migrate(config)
    if config.is_postgresql:
        check_privileges(config)
    return MigrationResult(before=before, after=schema_revision(config))


# What the writer does on PostgreSQL: staging in TEMP tables (COPY), and reading,
# inserting, updating and deleting rows of every table of its schema.
_TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")
_NOT_OWNER = text(
    "SELECT relkind = 'p' AND NOT pg_has_role(relowner, 'USAGE') FROM pg_class"
    " WHERE oid = to_regclass(:table)"
)


def check_privileges(config: DbConfig) -> None:
    """Check every privilege the writer needs, before it needs it.

    A role that migrated the schema owns it; a role that a DBA prepared may lack
    TEMPORARY on the database, rights on tables it did not create, or the
    ownership of `samples` that creating its monthly partitions needs. Each would
    only show later, as every write failing one row at a time.

    Raises:
        MissingPrivilege: Naming each privilege that is missing.
    """
    engine = make_engine(config, pooled=False)
    missing: list[str] = []
    try:
        with engine.connect() as connection:
            if not connection.execute(
                text("SELECT has_database_privilege(current_database(), 'TEMPORARY')")
            ).scalar():
                missing.append(f"TEMPORARY on database {config.database}")
            tables = connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = :schema"),
                {"schema": config.schema},
            ).scalars()
            for table in sorted(tables):
                qualified = f'"{config.schema}"."{table}"'
                missing.extend(
                    f"{privilege} on {config.schema}.{table}"
                    for privilege in _TABLE_PRIVILEGES
                    if not connection.execute(
                        text("SELECT has_table_privilege(:table, :privilege)"),
                        {"table": qualified, "privilege": privilege},
                    ).scalar()
                )
            # The writer creates the months of `samples` (0011): only its owner can.
            if connection.execute(
                _NOT_OWNER, {"table": f'"{config.schema}".samples'}
            ).scalar():
                missing.append(
                    f"ownership of {config.schema}.samples (its monthly partitions)"
                )
    except (SQLAlchemyError, OSError) as exc:
        raise classify(exc, [config.password]) from None
    finally:
        engine.dispose()
    if missing:
        raise MissingPrivilege("missing " + ", ".join(missing))


def schema_revision(config: DbConfig) -> str | None:
    """Return the database's revision (None when EV Ledger's tables do not exist)."""
    engine = make_engine(config, pooled=False)
    try:
        with engine.connect() as connection:
            return current_revision(connection)
    except (SQLAlchemyError, OSError) as exc:
        raise classify(exc, [config.password]) from None
    finally:
        engine.dispose()
