"""Write a batch of records in one transaction: idempotent upserts keyed on natural ids.

A record is `(kind, payload)` with a JSON-safe payload (see `rows`):

- "vehicle", "site": a vehicle or energy-site row (upserted; missing keys untouched);
- "session" (with its "windows"), "trip", "site_daily": upserted snapshots;
- "samples": a list of `[source, role, ts, value, text, seq, latitude, longitude]`
  (insert, duplicates ignored; a source stored for the first time is given its id in
  `sample_sources`; a role without a code raises `UncodedRoleError`, so the writer
  quarantines that sample);
- "override": user corrections of a session (never overwritten by upserts);
- "delete": soft delete of a session or trip.

Every statement is idempotent, so writing a batch twice (a replayed journal) leaves the
database as writing it once. Parent rows that a record needs but nobody registered yet
(a vehicle of a session) are inserted as placeholders, so a record never fails on order.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
import uuid

from sqlalchemy import Connection, Table, case, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from . import partitions
from .models import (
    ChargingSession,
    ChargingWindow,
    EnergySite,
    EnergySiteDaily,
    Quarantine,
    Sample,
    SampleSourceId,
    Trip,
    Vehicle,
)
from .rows import entity_uuid, to_params, zone_key
from .types import role_code

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Sequence

    from sqlalchemy import Dialect
    from sqlalchemy.types import TypeEngine

type Record = tuple[str, Any]

KINDS = frozenset(
    {
        "vehicle",
        "site",
        "session",
        "trip",
        "site_daily",
        "samples",
        "override",
        "delete",
    }
)

VEHICLES: Table = Vehicle.__table__  # type: ignore[assignment]
SITES: Table = EnergySite.__table__  # type: ignore[assignment]
SESSIONS: Table = ChargingSession.__table__  # type: ignore[assignment]
WINDOWS: Table = ChargingWindow.__table__  # type: ignore[assignment]
TRIPS: Table = Trip.__table__  # type: ignore[assignment]
SITE_DAILY: Table = EnergySiteDaily.__table__  # type: ignore[assignment]
SAMPLES: Table = Sample.__table__  # type: ignore[assignment]
SOURCES: Table = SampleSourceId.__table__  # type: ignore[assignment]
QUARANTINE: Table = Quarantine.__table__  # type: ignore[assignment]

# Columns an engine upsert never writes: identity, first-seen time, user corrections.
_SESSION_KEEP = frozenset(
    {
        "id",
        "ingested_at",
        "cost",
        "cost_override",
        "location_override",
        "notes",
        "overridden_at",
        "deleted_at",
    }
)
_TRIP_KEEP = frozenset({"id", "ingested_at", "notes", "deleted_at"})
_OVERRIDE_COLUMNS = frozenset({"cost_override", "location_override", "notes"})

# The samples' source ids and role codes are resolved before the copy (0009).
_PG_SAMPLE_TEMP = (
    "CREATE TEMP TABLE IF NOT EXISTS evl_samples_in "
    "(source integer, role smallint, seq smallint, ts double precision,"
    " value double precision, text text, latitude double precision,"
    " longitude double precision) ON COMMIT DELETE ROWS"
)
_PG_SAMPLE_COPY = (
    "COPY evl_samples_in (source, role, seq, ts, value, text, latitude, longitude)"
    " FROM STDIN"
)
_PG_SAMPLE_MERGE = (
    "INSERT INTO samples (source, role, seq, ts, value, text, latitude, longitude) "
    "SELECT source, role, seq, to_timestamp(ts), value, text, latitude, longitude "
    "FROM evl_samples_in ON CONFLICT DO NOTHING"
)


def weight(record: Record) -> int:
    """Return how many rows a record stands for (samples count one by one)."""
    kind, payload = record
    return len(payload) if kind == "samples" else 1


def explode(records: Sequence[Record]) -> list[Record]:
    """Split sample lists into one record per sample (for bisecting)."""
    out: list[Record] = []
    for kind, payload in records:
        if kind == "samples":
            out.extend(("samples", [sample]) for sample in payload)
        else:
            out.append((kind, payload))
    return out


def _insert(conn: Connection, table: Table) -> Any:
    if conn.dialect.name == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)


def _last_by(rows: Iterable[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    latest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(row[k] for k in keys)
        latest.pop(key, None)
        latest[key] = row
    return list(latest.values())


def _merged(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge partial updates of one id, later values winning."""
    merged: dict[Any, dict[str, Any]] = {}
    for row in rows:
        merged.setdefault(row["id"], {}).update(row)
    return list(merged.values())


def _uniform(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys: set[str] = set()
    for row in rows:
        keys.update(row)
    return [{key: row.get(key) for key in keys} for row in rows]


def _upsert(
    conn: Connection,
    table: Table,
    rows: list[dict[str, Any]],
    keys: Sequence[str],
    keep: frozenset[str] = frozenset(),
    extra_set: dict[str, Any] | None = None,
) -> None:
    if not rows:
        return
    rows = _uniform(rows)
    stmt = _insert(conn, table)
    columns = [c for c in rows[0] if c not in keys and c not in keep]
    set_: dict[str, Any] = {c: stmt.excluded[c] for c in columns}
    if "recorded_at" in table.c:
        set_["recorded_at"] = func.now()
    if "updated_at" in table.c:
        set_["updated_at"] = func.now()
    set_.update(extra_set or {})
    if set_:
        stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=set_)
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    conn.execute(stmt, rows)


def _placeholders(conn: Connection, table: Table, ids: set[str]) -> None:
    if ids:
        stmt = _insert(conn, table).on_conflict_do_nothing(index_elements=["id"])
        conn.execute(stmt, [{"id": uuid.UUID(i)} for i in sorted(ids)])


def _stored_ids(
    conn: Connection, sources: Collection[uuid.UUID]
) -> dict[uuid.UUID, int]:
    column = SOURCES.c.source_id
    rows = conn.execute(select(column, SOURCES.c.id).where(column.in_(sources)))
    return dict(rows.tuples().all())


def source_ids(conn: Connection, keys: Iterable[str]) -> dict[str, int]:
    """The `sample_sources` ids of source keys, adding the sources not stored yet.

    Read inside the caller's transaction, so a rolled-back batch leaves no id behind
    that a later one could trust. A source a concurrent writer adds meanwhile is not
    added twice (the insert ignores the conflict, the read after it finds the row).
    Ids are only drawn for sources really missing, so the sequence is not spent.
    """
    uuids = {key: entity_uuid(key) for key in set(keys)}
    found = _stored_ids(conn, set(uuids.values()))
    missing = sorted(set(uuids.values()) - found.keys())
    if missing:
        conn.execute(
            _insert(conn, SOURCES).on_conflict_do_nothing(index_elements=["source_id"]),
            [{"source_id": source} for source in missing],
        )
        found.update(_stored_ids(conn, missing))
    return {key: found[source] for key, source in uuids.items()}


def _write_samples(conn: Connection, samples: list[list[Any]]) -> None:
    if not samples:
        return
    if conn.dialect.name == "postgresql":
        _write_samples_postgresql(conn, samples)
        return
    _write_samples_sqlite(conn, samples)


def _sample_rows(
    conn: Connection, samples: list[list[Any]], to_time: Callable[[float], Any]
) -> list[tuple[Any, ...]]:
    """The samples as rows of the table's columns, in its order.

    The source ids are read (and new sources added) once per batch, in its
    transaction (`source_ids`), and each role is converted once per batch: a role
    without a code fails the batch (`UncodedRoleError`) before anything is sent.
    """
    ids = source_ids(conn, [s[0] for s in samples])
    codes = {role: role_code(role) for role in {s[1] for s in samples}}
    return [
        (
            ids[s[0]],
            codes[s[1]],
            s[5] if len(s) > 5 else 0,
            to_time(s[2]),
            s[3],
            s[4] if len(s) > 4 else None,
            s[6] if len(s) > 6 else None,
            s[7] if len(s) > 7 else None,
        )
        for s in samples
    ]


def _write_samples_postgresql(conn: Connection, samples: list[list[Any]]) -> None:
    """COPY into a temporary table, then one INSERT that ignores duplicates.

    The time goes as epoch seconds; the INSERT makes it a timestamptz. The months
    the samples fall in get their partitions first (migration 0011,
    `partitions.ensure_months`); if anything fails, the engine forgets the months
    it knew, so a month dropped meanwhile is created again on the next try.
    """
    try:
        partitions.ensure_months(conn, partitions.sample_months(s[2] for s in samples))
        _copy_samples(conn, samples)
    except Exception:
        partitions.forget(conn.engine)
        raise


def _copy_samples(conn: Connection, samples: list[list[Any]]) -> None:
    rows = _sample_rows(conn, samples, _identity)
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:  # type: ignore[union-attr]
        cur.execute(_PG_SAMPLE_TEMP)
        with cur.copy(_PG_SAMPLE_COPY) as copy:
            write = copy.write_row
            for row in rows:
                write(row)
        cur.execute(_PG_SAMPLE_MERGE)


_SQLITE_SAMPLE_INSERT = (
    "INSERT INTO samples (source, role, seq, ts, value, text, latitude, longitude)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)


def _identity(value: Any) -> Any:
    return value


def _bind(column_type: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """The conversion SQLAlchemy applies to a column's value for this dialect."""
    return column_type.dialect_impl(dialect).bind_processor(dialect) or _identity


def _write_samples_sqlite(conn: Connection, samples: list[list[Any]]) -> None:
    """Samples straight through sqlite3's executemany (issue 14: the fast path).

    The time is converted by the column's own SQLAlchemy bind processor, so the
    rows are exactly what an ORM insert would store; only the per-row statement
    machinery is skipped.
    """
    to_time = _bind(SAMPLES.c.ts.type, conn.dialect)
    to_dt = datetime.fromtimestamp
    rows = _sample_rows(conn, samples, lambda ts: to_time(to_dt(ts, UTC)))
    raw = conn.connection.driver_connection
    cursor = raw.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(_SQLITE_SAMPLE_INSERT, rows)
    finally:
        cursor.close()


def write_batch(conn: Connection, records: Sequence[Record]) -> None:
    """Write `records` on `conn` (inside the caller's transaction).

    Raises:
        ValueError: A record of an unknown kind, or a sample whose role has no
            code (`UncodedRoleError`).
        sqlalchemy.exc.DBAPIError: The database rejected a row or went away.
    """
    by_kind: dict[str, list[Any]] = {kind: [] for kind in KINDS}
    for kind, payload in records:
        if kind not in by_kind:
            raise ValueError(f"unknown record kind {kind!r}")
        if kind == "samples":
            by_kind[kind].extend(payload)
        else:
            by_kind[kind].append(payload)

    sessions = _last_by(by_kind["session"], "id")
    trips = _last_by(by_kind["trip"], "id")
    dailies = _last_by(by_kind["site_daily"], "site_id", "day")
    _placeholders(
        conn,
        VEHICLES,
        {r["vehicle_id"] for r in sessions} | {r["vehicle_id"] for r in trips},
    )
    _placeholders(conn, SITES, {r["site_id"] for r in dailies})
    for table, kind in ((VEHICLES, "vehicle"), (SITES, "site")):
        for row in _merged(by_kind[kind]):
            _upsert(conn, table, [to_params(table, row)], ["id"])

    if sessions:
        params = []
        for row in sessions:
            p = to_params(SESSIONS, row)
            p["cost"] = p.get("cost_without_overrides")
            p["location_key"] = zone_key(p.get("location_name"))
            params.append(p)
        excluded = _insert(conn, SESSIONS).excluded
        _upsert(
            conn,
            SESSIONS,
            params,
            ["id"],
            _SESSION_KEEP,
            {
                "cost": func.coalesce(
                    SESSIONS.c.cost_override, excluded.cost_without_overrides
                ),
                # A user's location keeps its key; else the engine's place gives it.
                "location_key": case(
                    (SESSIONS.c.location_override.is_(None), excluded.location_key),
                    else_=SESSIONS.c.location_key,
                ),
            },
        )
        ids = [p["id"] for p in params]
        conn.execute(WINDOWS.delete().where(WINDOWS.c.session_id.in_(ids)))
        windows = [
            to_params(WINDOWS, {**window, "session_id": row["id"]})
            for row in sessions
            for window in row.get("windows", ())
        ]
        if windows:
            conn.execute(insert(WINDOWS), _last_by(windows, "session_id", "started_at"))

    _upsert(conn, TRIPS, [_trip_params(r) for r in trips], ["id"], _TRIP_KEEP)
    _upsert(
        conn,
        SITE_DAILY,
        [to_params(SITE_DAILY, r) for r in dailies],
        ["site_id", "day"],
    )
    _write_samples(conn, by_kind["samples"])
    for change in by_kind["override"]:
        _apply_override(conn, change)
    for change in by_kind["delete"]:
        table = SESSIONS if change["kind"] == "session" else TRIPS
        conn.execute(
            update(table)
            .where(table.c.id == uuid.UUID(change["id"]))
            .values(deleted_at=datetime.fromtimestamp(change["at"], UTC))
        )


def _trip_params(row: dict[str, Any]) -> dict[str, Any]:
    params = to_params(TRIPS, row)
    params["start_zone_key"] = zone_key(params.get("start_zone"))
    params["end_zone_key"] = zone_key(params.get("end_zone"))
    return params


def _apply_override(conn: Connection, change: dict[str, Any]) -> None:
    values = {k: v for k, v in change.items() if k in _OVERRIDE_COLUMNS}
    params = to_params(SESSIONS, values)
    params["overridden_at"] = datetime.fromtimestamp(change["at"], UTC)
    if "location_override" in params:
        place = params["location_override"]
        if place is None:  # cleared: the engine's place counts again
            place = conn.execute(
                select(SESSIONS.c.location_name).where(
                    SESSIONS.c.id == uuid.UUID(change["id"])
                )
            ).scalar_one_or_none()
        params["location_key"] = zone_key(place)
    if "cost_override" in params:
        params["cost"] = func.coalesce(
            params["cost_override"], SESSIONS.c.cost_without_overrides
        )
    conn.execute(
        update(SESSIONS)
        .where(SESSIONS.c.id == uuid.UUID(change["id"]))
        .values(**params)
    )


def quarantine(conn: Connection, record: Record, error: str) -> None:
    """Keep a rejected record in the quarantine table."""
    conn.execute(
        insert(QUARANTINE),
        [{"kind": record[0], "payload": record[1], "error": error[:2000]}],
    )
