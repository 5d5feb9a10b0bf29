"""Exports and reports as CSV files. Blocking: call them in an executor.

Every function takes a `Reader` (its connections are reused) or a `DbConfig` (a reader
is opened and closed for the call), writes a CSV file (atomically: a temporary file
renamed into place) and returns a `Report`: the path and the rows as dicts.

CSV cells: a header row, then one row per record; times are ISO-8601 in UTC
(``2025-04-30T08:00:00+00:00``), amounts are plain decimal strings (``10.5000``,
never floats or exponents), booleans ``true``/``false``, flags and tariffs compact
JSON, and an empty cell is None. Text that a spreadsheet would run as a formula
(``=…``, ``+…``, ``-…``, ``@…``) starts with an apostrophe. `parse_csv` reads such a
file back into the same dicts (Decimal, aware UTC datetime, bool, JSON, string ids).

    report = export_sessions_csv(reader, path, start=..., end=..., vehicle=key)
    report.path, report.rows          # rows for response data: report.json_rows()
    parse_csv(report.path) == report.rows
    home = home_charging_report_csv(reader, path, home_zone="home", tz="Europe/Berlin")

Soft-deleted records are left out; sessions carry their effective cost (`cost`, the
user's override first) and `effective_location`.
"""

from __future__ import annotations

from contextlib import contextmanager
import csv
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
import json
import os
from pathlib import Path
import tempfile
from typing import TYPE_CHECKING, Any, Final, Literal
import uuid
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean, Table, Uuid, and_, func, select

from .journal import private_dir
from .models import DERIVED_COLUMNS, ChargingSession, Trip, Vehicle
from .queries import Reader, _record_filters
from .rows import zone_key
from .types import Amount, UTCDateTime

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from .config import DbConfig

type Row = dict[str, Any]
type Kind = Literal["sessions", "trips"]

SESSIONS: Table = ChargingSession.__table__  # type: ignore[assignment]
TRIPS: Table = Trip.__table__  # type: ignore[assignment]
VEHICLE_COLUMNS = ("vehicle_key", "vehicle_name")


def _record_columns(table: Table, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    rest = [
        c.name
        for c in table.columns
        if c.name not in {"id", "vehicle_id"} and c.name not in DERIVED_COLUMNS
    ]
    return ("id", "vehicle_id", *VEHICLE_COLUMNS, *rest, *extra)


SESSION_COLUMNS = _record_columns(SESSIONS, ("effective_location",))
TRIP_COLUMNS = _record_columns(TRIPS)
HOME_CHARGING_COLUMNS = (
    "vehicle_id",
    *VEHICLE_COLUMNS,
    "month",
    "currency",
    "sessions",
    "energy_kwh",
    "wall_energy_kwh",
    "cost",
    "tariffs",
)
# Session statuses a reimbursement counts: a session still running has no final cost.
REIMBURSED_STATUSES = frozenset({"completed", "inferred"})


@dataclass(frozen=True, slots=True)
class Report:
    """A CSV file written and the rows it holds."""

    path: Path
    rows: list[Row] = field(default_factory=list)

    def json_rows(self) -> list[dict[str, str | None]]:
        """Return the rows JSON-safe, every value as its CSV cell (None if empty)."""
        return [
            {key: (cell or None) for key, cell in _cells(row).items()}
            for row in self.rows
        ]


# Cells ---------------------------------------------------------------------------


# A spreadsheet runs a cell that starts with one of these as a formula (CSV
# injection): text that does, or that starts with the escaping quote itself, gets a
# leading apostrophe, which spreadsheets show as text and `parse_csv` takes off.
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r", "'")


def _text_cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _text_value(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return _text_cell(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return str(value)


def _cells(row: Row) -> dict[str, str]:
    return {key: _cell(value) for key, value in row.items()}


def _parse_bool(cell: str) -> bool:
    if cell not in {"true", "false"}:
        raise ValueError(f"not a boolean: {cell!r}")
    return cell == "true"


def _parse_time(cell: str) -> datetime:
    moment = datetime.fromisoformat(cell)
    if moment.tzinfo is None:
        raise ValueError(f"time without an offset: {cell!r}")
    return moment.astimezone(UTC)


def _parsers() -> dict[str, Callable[[str], Any]]:
    parsers: dict[str, Callable[[str], Any]] = {"sessions": int}
    for table in (SESSIONS, TRIPS):
        for column in table.columns:
            kind = column.type
            if isinstance(kind, Amount):
                parsers[column.name] = Decimal
            elif isinstance(kind, UTCDateTime):
                parsers[column.name] = _parse_time
            elif isinstance(kind, Boolean):
                parsers[column.name] = _parse_bool
            elif column.name in {"flags", "tariff"}:
                parsers[column.name] = json.loads
            elif isinstance(kind, Uuid):
                parsers[column.name] = str
    return parsers


PARSERS = _parsers()


def parse_csv(path: Path | str) -> list[Row]:
    """Read a CSV written by this module back into its rows.

    Raises:
        ValueError: A cell cannot be read as its column's type.
    """
    with Path(path).open(newline="", encoding="utf-8") as stream:
        return [
            {
                key: None if cell == "" else PARSERS.get(key, _text_value)(cell)
                for key, cell in record.items()
            }
            for record in csv.DictReader(stream)
        ]


def write_csv(path: Path | str, columns: tuple[str, ...], rows: list[Row]) -> Path:
    """Write rows as CSV atomically (parent folders created); return the path."""
    target = Path(path)
    private_dir(target.parent)
    # mkstemp creates the file 0600: the CSV holds places and costs.
    fd, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as stream:
            writer = csv.DictWriter(stream, fieldnames=columns)
            writer.writeheader()
            writer.writerows(_cells(row) for row in rows)
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


# Queries -------------------------------------------------------------------------


@contextmanager
def _reader(source: Reader | DbConfig) -> Iterator[Reader]:
    if isinstance(source, Reader):
        yield source
        return
    reader = Reader(source)
    try:
        yield reader
    finally:
        reader.close()


def _records(
    reader: Reader,
    kind: Kind,
    *,
    start: datetime | None,
    end: datetime | None,
    vehicle: str | None,
    location: str | None,
) -> list[Row]:
    """Sessions or trips (not deleted), oldest first, with their vehicle's key/name.

    `location` matches a session's effective location, or a trip's start or end zone,
    as Home Assistant zones: "home", "Home" and "zone.home" are the same place.
    """
    model: type[ChargingSession | Trip]
    if kind == "sessions":
        model, table = ChargingSession, SESSIONS
        extra = [
            func.coalesce(
                ChargingSession.location_override, ChargingSession.location_name
            ).label("effective_location")
        ]
    else:
        model, table, extra = Trip, TRIPS, []
    query = (
        select(
            *table.c,
            Vehicle.key.label("vehicle_key"),
            Vehicle.name.label("vehicle_name"),
            *extra,
        )
        .select_from(table.outerjoin(Vehicle, Vehicle.id == model.vehicle_id))
        .where(
            and_(
                True,
                *_record_filters(model, vehicle, start, end, include_deleted=False),
            )
        )
        .order_by(model.started_at, model.id)
    )
    with reader.engine.connect() as conn:
        result = conn.execute(query).mappings().all()
    columns = SESSION_COLUMNS if kind == "sessions" else TRIP_COLUMNS
    rows = [{name: _plain_value(record[name]) for name in columns} for record in result]
    if location is None:
        return rows
    wanted = zone_key(location)
    places = (
        ("effective_location",) if kind == "sessions" else ("start_zone", "end_zone")
    )
    if wanted is None:  # a name with nothing in it is no place
        return []
    return [row for row in rows if any(zone_key(row[p]) == wanted for p in places)]


def _plain_value(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


# Exports -------------------------------------------------------------------------


def export_sessions_csv(
    source: Reader | DbConfig,
    path: Path | str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    vehicle: str | None = None,
    location: str | None = None,
) -> Report:
    """Export charging sessions that started in [start, end) as CSV.

    Args:
        source: A reader, or the database's configuration.
        path: The file to write (replaced if it exists).
        start: Earliest start (aware), or None.
        end: Start before this (aware), or None.
        vehicle: Only this vehicle's key, or None for all.
        location: Only sessions at this zone (effective location), or None.
    """
    with _reader(source) as reader:
        rows = _records(
            reader, "sessions", start=start, end=end, vehicle=vehicle, location=location
        )
    return Report(write_csv(path, SESSION_COLUMNS, rows), rows)


def export_trips_csv(
    source: Reader | DbConfig,
    path: Path | str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    vehicle: str | None = None,
    location: str | None = None,
) -> Report:
    """Export trips that started in [start, end) as CSV.

    `location` keeps trips that started or ended in that zone. The other arguments
    are those of `export_sessions_csv`.
    """
    with _reader(source) as reader:
        rows = _records(
            reader, "trips", start=start, end=end, vehicle=vehicle, location=location
        )
    return Report(write_csv(path, TRIP_COLUMNS, rows), rows)


# Reimbursement report ------------------------------------------------------------


def describe_tariff(doc: dict[str, Any] | None) -> str | None:
    """Describe a stored tariff (the JSON of a session): name, kind and price.

    ``Home: fixed 0.30 EUR/kWh``, ``time_of_use 0.20-0.35 EUR/kWh``,
    ``price_entity (dynamic) EUR``; None when the session has no tariff.
    """
    if not doc:
        return None
    kind = str(doc.get("kind") or "unknown")
    currency = doc.get("currency")
    unit = f" {currency}/kWh" if currency else "/kWh"
    prices = sorted({Decimal(str(band["price"])) for band in doc.get("bands") or ()})
    price = doc.get("price_per_kwh", doc.get("price"))
    if kind == "time_of_use" and prices:
        text = f"{kind} {prices[0]}-{prices[-1]}{unit}"
        if len(prices) == 1:
            text = f"{kind} {prices[0]}{unit}"
    elif kind == "price_entity":
        text = f"{kind} (dynamic)" + (f" {currency}" if currency else "")
    elif kind == "free":
        text = kind
    elif price is not None:
        text = f"{kind} {price}{unit}"
    else:
        text = kind
    name = doc.get("name")
    return f"{name}: {text}" if name else text


def _add(total: Decimal | None, value: Decimal | None) -> Decimal | None:
    if value is None:
        return total
    return value if total is None else total + value


def home_charging_rows(
    sessions: list[Row], *, home_zone: str = "home", tz: str = "UTC"
) -> list[Row]:
    """Sum home sessions per vehicle, local month (of `tz`) and currency.

    Only completed or inferred sessions whose effective location is `home_zone` count.
    Rows are ordered by vehicle key, month and currency.
    """
    zone = ZoneInfo(tz)
    home = zone_key(home_zone)
    groups: dict[tuple[str, str, str], Row] = {}
    tariffs: dict[tuple[str, str, str], list[str]] = {}
    for session in sessions:
        if (
            session["status"] not in REIMBURSED_STATUSES
            or home is None
            or zone_key(session["effective_location"]) != home
        ):
            continue
        month = session["started_at"].astimezone(zone).strftime("%Y-%m")
        key = (session["vehicle_id"], month, session["currency"] or "")
        row = groups.get(key)
        if row is None:
            row = groups[key] = {
                "vehicle_id": session["vehicle_id"],
                "vehicle_key": session["vehicle_key"],
                "vehicle_name": session["vehicle_name"],
                "month": month,
                "currency": session["currency"],
                "sessions": 0,
                "energy_kwh": Decimal(0),
                "wall_energy_kwh": None,
                "cost": None,
            }
            tariffs[key] = []
        row["sessions"] += 1
        row["energy_kwh"] += session["energy_kwh"]
        row["wall_energy_kwh"] = _add(
            row["wall_energy_kwh"], session["wall_energy_kwh"]
        )
        row["cost"] = _add(row["cost"], session["cost"])
        described = describe_tariff(session["tariff"])
        if described is not None and described not in tariffs[key]:
            tariffs[key].append(described)
    for key, row in groups.items():
        row["tariffs"] = "; ".join(tariffs[key]) or None
    return [
        groups[key]
        for key in sorted(
            groups, key=lambda k: (groups[k]["vehicle_key"] or "", k[1], k[2], k[0])
        )
    ]


def home_charging_report_csv(
    source: Reader | DbConfig,
    path: Path | str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    vehicle: str | None = None,
    home_zone: str = "home",
    tz: str = "UTC",
) -> Report:
    """Write the monthly reimbursement report of charging at home (company cars).

    One row per vehicle, month (local to `tz`) and currency: sessions, kWh charged
    (by the car, and from the wall where measured), the effective cost and the
    tariff(s) the sessions were priced with. Totals equal the sum of the home
    sessions of `export_sessions_csv(..., location=home_zone)` that are completed.
    """
    with _reader(source) as reader:
        sessions = _records(
            reader,
            "sessions",
            start=start,
            end=end,
            vehicle=vehicle,
            location=home_zone,
        )
    rows = home_charging_rows(sessions, home_zone=home_zone, tz=tz)
    return Report(write_csv(path, HOME_CHARGING_COLUMNS, rows), rows)
