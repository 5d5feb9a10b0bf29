"""Storage: SQLAlchemy models, migrations runner and the writer. No Home Assistant.

Everything here blocks; the integration calls it from an executor, except the
`Writer`'s enqueue methods, `flush`, `synced` and `health`, which are safe and cheap
on the event loop.

Connecting and migrating (config flow and setup)::

    config = DbConfig(host="192.0.2.10", database="ha", user="ev_ledger",
                      password=secret, sslmode="verify-full",
                      sslrootcert="/config/ca.pem")
    # or DbConfig.embedded(hass.config.path()) for the SQLite default
    result = connect_and_migrate(config)  # MigrationResult(before, after)

    Raises CannotConnect, InvalidAuth, TlsError, MissingPrivilege (see
    docs/postgresql.md), SchemaTooNew (raise a repair issue), MigrationsMissing (the
    Alembic scripts are not installed: a default-branch install) or MigrationError,
    all subclasses of DbError with the password removed from their message.

Writing (one Writer per config entry)::

    writer = Writer(config, hass.config.path(".ev_ledger_journal"))
    await asyncio.wrap_future(writer.start())
    writer.enqueue_vehicle(key, name=..., vin=...)      # VIN checked, InvalidVin
    writer.enqueue_site(key, name=...)
    writer.enqueue_session(session, source="live")     # engine ChargingSession
    writer.enqueue_trip(trip, source="backfill")       # engine Trip
    writer.enqueue_samples([Sample(source, role, ts, value, text)])
    writer.enqueue_site_daily(SiteDaily(site_id=..., day=..., produced_kwh=...))
    writer.update_session(session_id, cost_override=Decimal("0"), notes="free")
    writer.delete_session(session_id)                  # soft delete
    await asyncio.wrap_future(writer.flush())    # committed or journaled
    await asyncio.wrap_future(writer.synced())   # in the database
    writer.health()                              # WriterHealth, for diagnostics
    await hass.async_add_executor_job(writer.stop, 10.0)   # on unload

Reading (executor)::

    reader = Reader(config)
    reader.latest_session(vehicle_key)               # dict with "windows", or None
    reader.totals(start, end, vehicle=key, period="month", tz="Europe/Berlin")
    reader.list_sessions(vehicle=key, start=..., end=..., offset=0, limit=50)
    reader.list_trips(vehicle=key, offset=0, limit=50)
    page = reader.list_sessions(vehicle=key, location="home", flags=["gap"],
                                sort="energy_kwh", descending=False, limit=50)
    reader.list_sessions(..., cursor=page.next_cursor)   # the page after it
    reader.breakdown(start, end, vehicle=key)        # per location and energy source
    reader.samples(source_key, start, end, roles=[...])   # for recompute
    reader.quarantined(); reader.folded_until(sources); reader.close()

Exports and reports (executor; CSV file + rows, see db/reports.py and docs/sql.md)::

    report = export_sessions_csv(reader, path, start=..., end=..., vehicle=key,
                                 location="home")      # also export_trips_csv
    report.path, report.rows, report.json_rows()      # rows for response data
    parse_csv(report.path) == report.rows
    home_charging_report_csv(reader, path, home_zone="home", tz="Europe/Berlin")

Ids: engine ids (session/trip uuid5 strings) are stored as UUIDs; any other key (a
vehicle's subentry id) maps to a stable uuid5 (`entity_uuid`). Times go in as engine
epoch seconds and come out as aware UTC datetimes; amounts are Decimal.
"""

from __future__ import annotations

from .backoff import Backoff
from .config import SSL_MODES, DbConfig, SslMode, make_engine
from .errors import (
    CannotConnect,
    DatabaseDamaged,
    DbError,
    DiskFull,
    InvalidAuth,
    MigrationError,
    MigrationsMissing,
    MissingPrivilege,
    SchemaTooNew,
    TlsError,
    redact,
)
from .health import WriterHealth, WriterState
from .migrate import (
    MigrationResult,
    connect_and_migrate,
    head_revision,
    schema_revision,
)
from .queries import Page, Reader, Totals
from .reports import (
    Report,
    export_sessions_csv,
    export_trips_csv,
    home_charging_report_csv,
    parse_csv,
)
from .rows import Sample, SiteDaily, entity_uuid
from .vin import InvalidVin, VinStatus, validate_vin
from .writer import Writer, WriterStoppedError

__all__ = [
    "SSL_MODES",
    "Backoff",
    "CannotConnect",
    "DatabaseDamaged",
    "DbConfig",
    "DbError",
    "DiskFull",
    "InvalidAuth",
    "InvalidVin",
    "MigrationError",
    "MigrationResult",
    "MigrationsMissing",
    "MissingPrivilege",
    "Page",
    "Reader",
    "Report",
    "Sample",
    "SchemaTooNew",
    "SiteDaily",
    "SslMode",
    "TlsError",
    "Totals",
    "VinStatus",
    "Writer",
    "WriterHealth",
    "WriterState",
    "WriterStoppedError",
    "connect_and_migrate",
    "entity_uuid",
    "export_sessions_csv",
    "export_trips_csv",
    "head_revision",
    "home_charging_report_csv",
    "make_engine",
    "parse_csv",
    "redact",
    "schema_revision",
    "validate_vin",
]
