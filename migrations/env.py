"""Alembic environment of EV Ledger.

At run time the integration passes an open connection in
`config.attributes["connection"]` (see custom_components/ev_ledger/db/migrate.py).
From the command line (`alembic -c migrations/alembic.ini ...`) the database URL comes
from `-x url=...` or the EV_LEDGER_DB_URL environment variable. On PostgreSQL the
connection's search_path selects the `ev_ledger` schema, so scripts use plain names.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Literal

from alembic import context
from sqlalchemy.types import TypeDecorator

from custom_components.ev_ledger.db.config import DbConfig, make_engine
from custom_components.ev_ledger.db.models import Base

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext
    from sqlalchemy import Connection

config = context.config
target_metadata = Base.metadata


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Only compare EV Ledger's own tables (not Alembic's or temporary ones)."""
    if type_ == "table" and reflected and compare_to is None:
        return name in target_metadata.tables
    return True


def render_item(
    type_: str, obj: Any, autogen_context: AutogenContext
) -> str | Literal[False]:
    """Render EV Ledger's column types as the plain SQLAlchemy types they wrap.

    Migration scripts stay frozen: they never import the integration's code.
    """
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl_instance!r}"
    return False


def run_migrations(connection: Connection) -> None:
    """Run the migrations on `connection`."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_from_cli() -> None:
    """Connect using the URL given on the command line or in the environment."""
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get(
        "EV_LEDGER_DB_URL"
    )
    if not url:
        raise SystemExit("give the database: -x url=... or EV_LEDGER_DB_URL")
    db_config = DbConfig.from_url(url)
    engine = make_engine(db_config, pooled=False)
    with engine.connect() as connection:
        if db_config.is_postgresql:
            connection.exec_driver_sql(
                f"CREATE SCHEMA IF NOT EXISTS {db_config.schema}"
            )
            connection.commit()
        run_migrations(connection)
        connection.commit()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("EV Ledger migrations run online only")
_connection = config.attributes.get("connection")
if _connection is None:
    run_from_cli()
else:
    run_migrations(_connection)
