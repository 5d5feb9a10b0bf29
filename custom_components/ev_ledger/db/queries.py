"""Read helpers for sensors and services. Blocking: call them in an executor.

Rows come back as plain dicts (column name to value; Decimals, aware UTC datetimes,
string ids), ready for a service response. Soft-deleted records are hidden unless asked
for. Sessions carry `effective_location` (the user's correction, else the engine's).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
import json
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Final, Literal
import uuid
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    Float,
    Integer,
    Select,
    Text,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    type_coerce,
)

from .config import DbConfig, make_engine
from .models import (
    DERIVED_COLUMNS,
    ChargingSession,
    ChargingWindow,
    EnergySiteDaily,
    Quarantine,
    Sample,
    SampleBucket,
    SampleSourceId,
    Trip,
)
from .retention import BUCKET
from .rows import Sample as SampleRow, entity_uuid, zone_key
from .types import ROLE_CODES, has_code

if TYPE_CHECKING:
    from collections.abc import Collection

    from sqlalchemy import Connection, Engine

type Period = Literal["day", "week", "month", "year"]
MAX_PAGE = 500


type SessionSort = Literal["started_at", "energy_kwh", "cost"]
type TripSort = Literal["started_at", "distance_km", "energy_kwh"]
SORTS: dict[str, tuple[str, ...]] = {
    "sessions": ("started_at", "energy_kwh", "cost"),
    "trips": ("started_at", "distance_km", "energy_kwh"),
}
# A location filter whose name has nothing in it matches no row (no key is empty).
_NO_PLACE = ""


# A Sample row from a plain tuple of its eight fields, in C.
_SAMPLE_ROW: Final = partial(tuple.__new__, SampleRow)


class BadCursor(ValueError):
    """A page cursor that is not one of this list's (or for another sort)."""


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list; `next_cursor` continues after its last row."""

    items: list[dict[str, Any]]
    total: int
    offset: int
    limit: int
    next_cursor: str | None = None

    @property
    def has_more(self) -> bool:
        """Return True when another page follows."""
        return self.next_cursor is not None


@dataclass(frozen=True, slots=True)
class _ListOrder:
    """A list's order: one column (nulls last either way), then the id."""

    kind: str
    sort: str
    descending: bool

    def __post_init__(self) -> None:
        if self.sort not in SORTS[self.kind]:
            raise ValueError(
                f"{self.kind} sort by one of {', '.join(SORTS[self.kind])}"
            )

    def by(self, column: Any, row_id: Any) -> list[Any]:
        """ORDER BY terms; a column that cannot be null keeps its index's order."""
        ends = [column.desc(), row_id.desc()] if self.descending else [column, row_id]
        return [column.is_(None), *ends] if column.nullable else ends

    def after(self, column: Any, row_id: Any, last: tuple[Any, Any]) -> Any:
        """Rows after (value, id) in this order, as a portable condition."""
        value, last_id = last
        descending = self.descending

        def beyond(left: Any, right: Any) -> Any:
            return left < right if descending else left > right

        if value is None:  # among the trailing nulls
            return and_(column.is_(None), beyond(row_id, last_id))
        later = or_(
            beyond(column, value), and_(column == value, beyond(row_id, last_id))
        )
        return or_(column.is_(None), later) if column.nullable else later

    def tag(self) -> str:
        return f"{self.kind}:{self.sort}:{'d' if self.descending else 'a'}"

    def encode(self, value: Any, row_id: Any) -> str:
        if isinstance(value, datetime):
            wire: Any = ["t", value.astimezone(UTC).isoformat()]
        elif isinstance(value, Decimal):
            wire = ["d", str(value)]
        else:
            wire = None
        text = json.dumps([self.tag(), wire, str(row_id)], separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _cursor_value(wire: Any) -> Any:
    """A cursor's sort value: None, an aware time or a finite Decimal."""
    if wire is None:
        return None
    kind, text = wire
    if kind == "t":
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise BadCursor("Not a page cursor")
        return moment
    if kind == "d":
        amount = Decimal(text)
        if not amount.is_finite():
            raise BadCursor("Not a page cursor")
        return amount
    raise BadCursor("Not a page cursor")


def decode_cursor(cursor: str, order: _ListOrder) -> tuple[Any, uuid.UUID]:
    """The (sort value, id) a cursor of `order` continues after.

    Raises:
        BadCursor: Not a cursor of this list and order.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        tag, wire, row_id = json.loads(raw)
        value, last_id = _cursor_value(wire), uuid.UUID(row_id)
    except BadCursor:
        raise
    except (ValueError, TypeError, AttributeError, ArithmeticError) as err:
        raise BadCursor("Not a page cursor") from err
    if tag != order.tag():
        raise BadCursor("The cursor belongs to another list or sort")
    return value, last_id


def check_cursor(
    kind: Literal["sessions", "trips"], sort: str, descending: bool, cursor: str
) -> None:
    """Raise BadCursor (or ValueError for the sort) unless `cursor` fits the list."""
    decode_cursor(cursor, _ListOrder(kind, sort, descending))


def _shown(model: type[ChargingSession | Trip]) -> list[Any]:
    """A record's columns, without the derived zone keys."""
    return [c for c in model.__table__.c if c.name not in DERIVED_COLUMNS]


def _any_flag(
    model: type[ChargingSession | Trip], flags: Collection[str], dialect: str
) -> ColumnElement[bool]:
    """Records carrying any of `flags` (a JSON list of names in `flags`)."""
    wanted = sorted(set(flags))
    if dialect == "postgresql":
        return model.flags.op("?|")(cast(wanted, ARRAY(Text)))
    each = func.json_each(model.flags).table_valued("value")
    return exists(select(1).select_from(each).where(each.c.value.in_(wanted)))


@dataclass(slots=True)
class Totals:
    """Sums over one period (local time of `tz` in `totals`)."""

    period_start: datetime
    sessions: int = 0
    energy_kwh: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)
    solar_kwh: Decimal = Decimal(0)
    battery_kwh: Decimal = Decimal(0)
    trips: int = 0
    distance_km: Decimal = Decimal(0)
    trip_energy_kwh: Decimal = Decimal(0)
    currencies: set[str] = field(default_factory=set)


@dataclass(slots=True)
class LocationTotals:
    """Sessions at one place (a zone key, None for no place)."""

    key: str | None
    name: str | None
    sessions: int = 0
    energy_kwh: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)
    solar_kwh: Decimal = Decimal(0)
    currencies: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceTotals:
    """Where the energy came from, and the engine's split of its cost."""

    solar_kwh: Decimal
    battery_kwh: Decimal
    grid_kwh: Decimal
    unattributed_kwh: Decimal
    energy_kwh: Decimal
    grid_priced_cost: Decimal  # energy priced by the tariff (grid and home battery)
    solar_cost: Decimal  # solar energy valued at the solar price
    fees: Decimal  # time, session and idle fees
    cost: Decimal  # the effective cost (the user's where corrected)


@dataclass(frozen=True, slots=True)
class Breakdown:
    """A period's sessions per location (most energy first) and per energy source."""

    locations: list[LocationTotals]
    sources: SourceTotals


def _plain(row: Any) -> dict[str, Any]:
    data = dict(row)
    for key, value in data.items():
        if isinstance(value, uuid.UUID):
            data[key] = str(value)
    return data


def _period_start(moment: datetime, period: Period, tz: ZoneInfo) -> datetime:
    local = moment.astimezone(tz)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        day -= timedelta(days=day.weekday())
    elif period == "month":
        day = day.replace(day=1)
    elif period == "year":
        day = day.replace(month=1, day=1)
    return day


class Reader:
    """Queries on the ledger, with a small connection pool of their own."""

    def __init__(self, config: DbConfig) -> None:
        """Create the reader's engine (connections open lazily)."""
        self._engine: Engine = make_engine(config)

    def close(self) -> None:
        """Close the reader's connections."""
        self._engine.dispose()

    # Exports and reports (db/reports.py) query through the reader's engine.
    @property
    def engine(self) -> Engine:
        """Return the reader's engine."""
        return self._engine

    def _session_columns(self) -> Select[Any]:
        return select(
            *_shown(ChargingSession),
            func.coalesce(
                ChargingSession.location_override, ChargingSession.location_name
            ).label("effective_location"),
        )

    def session_exists(self, session_id: str) -> bool:
        """Whether a session with this id is stored and not deleted."""
        query = select(ChargingSession.id).where(
            ChargingSession.id == entity_uuid(session_id),
            ChargingSession.deleted_at.is_(None),
        )
        with self._engine.connect() as conn:
            return conn.execute(query).first() is not None

    def latest_session(self, vehicle: str) -> dict[str, Any] | None:
        """Return the vehicle's most recent session (with its windows), or None."""
        return self._one_session(
            and_(
                ChargingSession.vehicle_id == entity_uuid(vehicle),
                ChargingSession.deleted_at.is_(None),
            )
        )

    def get_session(self, session_id: str) -> dict[str, Any] | None:
        """Return one stored session (with its windows), None if missing or deleted."""
        return self._one_session(
            and_(
                ChargingSession.id == entity_uuid(session_id),
                ChargingSession.deleted_at.is_(None),
            )
        )

    def get_trip(self, trip_id: str) -> dict[str, Any] | None:
        """Return one stored trip, None if missing or deleted."""
        query = select(*_shown(Trip)).where(
            Trip.id == entity_uuid(trip_id), Trip.deleted_at.is_(None)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else _plain(row)

    def _one_session(self, condition: Any) -> dict[str, Any] | None:
        query = (
            self._session_columns()
            .where(condition)
            .order_by(ChargingSession.started_at.desc())
            .limit(1)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
            if row is None:
                return None
            session = _plain(row)
            windows = (
                conn.execute(
                    select(
                        ChargingWindow.started_at,
                        ChargingWindow.ended_at,
                        ChargingWindow.energy_kwh,
                    )
                    .where(ChargingWindow.session_id == row["id"])
                    .order_by(ChargingWindow.started_at)
                )
                .mappings()
                .all()
            )
        session["windows"] = [_plain(w) for w in windows]
        return session

    def list_sessions(
        self,
        *,
        vehicle: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        status: str | None = None,
        location: str | None = None,
        flags: Collection[str] | None = None,
        sort: SessionSort = "started_at",
        descending: bool = True,
        cursor: str | None = None,
        include_deleted: bool = False,
        offset: int = 0,
        limit: int = 50,
    ) -> Page:
        """List sessions, newest first unless sorted otherwise.

        Filters: vehicle, start time, status, location (a zone, as
        `zone_key`: "Home" is "zone.home"; matched against the effective location)
        and flags (any of them; an empty list is no filter). `cursor` continues after the last row of a page
        (`Page.next_cursor`, same sort); `offset` paging still works without one.

        Raises:
            BadCursor: The cursor is not one of this list's, for this sort.
            ValueError: Offset or limit out of range.
        """
        conditions = _record_filters(
            ChargingSession, vehicle, start, end, include_deleted=include_deleted
        )
        if status is not None:
            conditions.append(ChargingSession.status == status)
        if location is not None:
            conditions.append(
                ChargingSession.location_key == (zone_key(location) or _NO_PLACE)
            )
        if flags:  # none given: no filter
            conditions.append(_any_flag(ChargingSession, flags, self._dialect))
        return self._page(
            self._session_columns(),
            ChargingSession,
            conditions,
            _ListOrder("sessions", sort, descending),
            cursor,
            offset,
            limit,
        )

    def list_trips(
        self,
        *,
        vehicle: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        location: str | None = None,
        flags: Collection[str] | None = None,
        sort: TripSort = "started_at",
        descending: bool = True,
        cursor: str | None = None,
        include_deleted: bool = False,
        offset: int = 0,
        limit: int = 50,
    ) -> Page:
        """List trips, newest first unless sorted otherwise (see `list_sessions`).

        `location` matches a trip's start or end zone.
        """
        conditions = _record_filters(
            Trip, vehicle, start, end, include_deleted=include_deleted
        )
        if location is not None:
            key = zone_key(location) or _NO_PLACE
            conditions.append(or_(Trip.start_zone_key == key, Trip.end_zone_key == key))
        if flags:  # none given: no filter
            conditions.append(_any_flag(Trip, flags, self._dialect))
        return self._page(
            select(*_shown(Trip)),
            Trip,
            conditions,
            _ListOrder("trips", sort, descending),
            cursor,
            offset,
            limit,
        )

    @property
    def _dialect(self) -> str:
        return self._engine.dialect.name

    def _page(
        self,
        query: Select[Any],
        model: type[ChargingSession | Trip],
        conditions: list[ColumnElement[bool]],
        order: _ListOrder,
        cursor: str | None,
        offset: int,
        limit: int,
    ) -> Page:
        if offset < 0 or not 0 < limit <= MAX_PAGE:
            raise ValueError(f"offset >= 0 and 0 < limit <= {MAX_PAGE}")
        where = and_(True, *conditions)
        column = model.__table__.c[order.sort]
        query = query.where(where)
        if cursor is not None:
            after = decode_cursor(cursor, order)
            query = query.where(order.after(column, model.id, after))
            offset = 0
        query = query.order_by(*order.by(column, model.id))
        with self._engine.connect() as conn:
            total = conn.execute(
                select(func.count()).select_from(model).where(where)
            ).scalar_one()
            rows = conn.execute(query.offset(offset).limit(limit + 1)).mappings().all()
        items = [_plain(r) for r in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = order.encode(last[order.sort], last["id"])
        return Page(items, total, offset, limit, next_cursor)

    def totals(
        self,
        start: datetime,
        end: datetime,
        *,
        vehicle: str | None = None,
        period: Period = "month",
        tz: str = "UTC",
    ) -> list[Totals]:
        """Sum sessions and trips per local day/week/month/year, oldest first.

        A record belongs to the period in which it started. Deleted records are left
        out; a session's effective cost (override first) is summed.
        """
        zone = ZoneInfo(tz)
        buckets: dict[datetime, Totals] = {}

        def bucket(moment: datetime) -> Totals:
            key = _period_start(moment, period, zone)
            if key not in buckets:
                buckets[key] = Totals(key)
            return buckets[key]

        session_where = [
            ChargingSession.started_at >= start,
            ChargingSession.started_at < end,
            ChargingSession.deleted_at.is_(None),
        ]
        trip_where = [Trip.started_at >= start, Trip.started_at < end]
        trip_where.append(Trip.deleted_at.is_(None))
        if vehicle is not None:
            session_where.append(ChargingSession.vehicle_id == entity_uuid(vehicle))
            trip_where.append(Trip.vehicle_id == entity_uuid(vehicle))
        with self._engine.connect() as conn:
            sessions = conn.execute(
                select(
                    ChargingSession.started_at,
                    ChargingSession.energy_kwh,
                    ChargingSession.cost,
                    ChargingSession.solar_kwh,
                    ChargingSession.battery_kwh,
                    ChargingSession.currency,
                ).where(*session_where)
            ).all()
            trips = conn.execute(
                select(Trip.started_at, Trip.distance_km, Trip.energy_kwh).where(
                    *trip_where
                )
            ).all()
        for started, energy, cost, solar, battery, currency in sessions:
            total = bucket(started)
            total.sessions += 1
            total.energy_kwh += energy
            total.cost += cost or 0
            total.solar_kwh += solar or 0
            total.battery_kwh += battery or 0
            if currency:
                total.currencies.add(currency)
        for started, distance, energy in trips:
            total = bucket(started)
            total.trips += 1
            total.distance_km += distance
            total.trip_energy_kwh += energy or 0
        return [buckets[key] for key in sorted(buckets)]

    def breakdown(
        self, start: datetime, end: datetime, *, vehicle: str | None = None
    ) -> Breakdown:
        """Sessions that started in [start, end) summed per location and per source.

        Two SQL aggregates over the stored sessions (not deleted). A location is a
        zone key (`zone_key` of the effective location; None for no place), named by
        one of its sessions' effective locations. The energy sources are the
        sessions' solar attribution; their cost is the engine's split: energy priced
        as grid (grid and home battery), solar valued at its price, and fees.
        """
        where = [
            ChargingSession.started_at >= start,
            ChargingSession.started_at < end,
            ChargingSession.deleted_at.is_(None),
        ]
        if vehicle is not None:
            where.append(ChargingSession.vehicle_id == entity_uuid(vehicle))
        sqlite = self._engine.dialect.name == "sqlite"

        def total(column: Any) -> Any:
            if sqlite:  # REAL underneath: sum exact integers instead
                column = cast(func.round(column * 10**4), BigInteger)
            return func.coalesce(func.sum(column), 0)

        s = ChargingSession
        place = func.coalesce(s.location_override, s.location_name)
        by_place = (
            select(
                s.location_key,
                s.currency,
                func.min(place),
                func.count(),
                total(s.energy_kwh),
                total(s.cost),
                total(s.solar_kwh),
            )
            .where(*where)
            .group_by(s.location_key, s.currency)
        )
        by_source = select(
            total(s.solar_kwh),
            total(s.battery_kwh),
            total(s.grid_kwh),
            total(s.unattributed_kwh),
            total(s.energy_kwh),
            total(s.energy_cost),
            total(s.solar_value),
            total(s.time_cost),
            total(s.session_fee),
            total(s.idle_fee),
            total(s.cost),
        ).where(*where)
        with self._engine.connect() as conn:
            place_rows = conn.execute(by_place).all()
            source_row = conn.execute(by_source).one()
        unit = Decimal(1).scaleb(-4)

        def amount(value: Any) -> Decimal:
            return (Decimal(int(value)) * unit if sqlite else Decimal(value)).quantize(
                unit
            )

        places: dict[str | None, LocationTotals] = {}
        for key, currency, name, count, energy, cost, solar in place_rows:
            totals = places.setdefault(key, LocationTotals(key, name))
            if name is not None and (totals.name is None or name < totals.name):
                totals.name = name
            totals.sessions += count
            totals.energy_kwh += amount(energy)
            totals.cost += amount(cost)
            totals.solar_kwh += amount(solar)
            if currency:
                totals.currencies.add(currency)
        (solar, battery, grid, unattributed, energy, energy_cost, solar_value) = [
            amount(v) for v in source_row[:7]
        ]
        fees = sum((amount(v) for v in source_row[7:10]), Decimal(0))
        sources = SourceTotals(
            solar_kwh=solar,
            battery_kwh=battery,
            grid_kwh=grid,
            unattributed_kwh=unattributed,
            energy_kwh=energy,
            grid_priced_cost=energy_cost,
            solar_cost=solar_value,
            fees=fees,
            cost=amount(source_row[10]),
        )
        ordered = sorted(
            places.values(), key=lambda t: (-t.energy_kwh, t.key is None, t.key or "")
        )
        return Breakdown(ordered, sources)

    def vehicle_totals(
        self, vehicles: list[str], month_start: datetime
    ) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
        """Lifetime energy and cost, and cost since `month_start`, per vehicle.

        One aggregate over the vehicles' stored sessions (completed and inferred; not
        the one in progress, not deleted), as the totals sensors start from. On
        SQLite the amounts are summed as exact integers of their smallest unit.
        """
        keys = {entity_uuid(vehicle): vehicle for vehicle in vehicles}
        out = {vehicle: (Decimal(0), Decimal(0), Decimal(0)) for vehicle in vehicles}
        if not keys:
            return out
        sqlite = self._engine.dialect.name == "sqlite"

        def total(column: Any, scale: int) -> Any:
            if sqlite:  # REAL underneath: sum exact integers instead
                column = cast(func.round(column * 10**scale), BigInteger)
            return func.coalesce(func.sum(column), 0)

        energy, cost = ChargingSession.energy_kwh, ChargingSession.cost
        in_month = case((ChargingSession.started_at >= month_start, cost))
        query = (
            select(
                ChargingSession.vehicle_id,
                total(energy, 4),
                total(cost, 4),
                total(in_month, 4),
            )
            .where(
                ChargingSession.vehicle_id.in_(list(keys)),
                ChargingSession.deleted_at.is_(None),
                ChargingSession.status != "in_progress",
            )
            .group_by(ChargingSession.vehicle_id)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        unit = Decimal(1).scaleb(-4)
        for vehicle_id, *sums in rows:
            values = [
                (Decimal(int(v)) * unit if sqlite else Decimal(v)).quantize(unit)
                for v in sums
            ]
            out[keys[vehicle_id]] = (values[0], values[1], values[2])
        return out

    def samples(
        self,
        source: str,
        start: datetime,
        end: datetime,
        roles: list[str] | None = None,
        *,
        folded: bool = False,
    ) -> list[SampleRow]:
        """Return a source's samples in [start, end), in the order they were taken.

        `folded`: where retention folded the raw samples into five-minute buckets
        (`sample_buckets`), each bucket overlapping the span stands in as one sample
        at its middle, with its mean value and its last text and coordinates (a curve
        or route of an old record, coarser). Raw samples and buckets never cover the
        same minutes.
        """
        coded = [role for role in roles or () if has_code(role)]
        if roles and not coded:  # a role without a code has no samples
            return []
        with self._engine.connect() as conn:
            ids = _sample_sources(conn, [source])
            if not ids:
                return []
            found = self._raw_samples(conn, source, next(iter(ids)), start, end, coded)
            if folded:
                found += self._bucket_samples(
                    conn, source, next(iter(ids)), start, end, coded
                )
                found.sort(key=lambda row: (row.ts, row.seq, row.role))
        return found

    @staticmethod
    def _raw_samples(
        conn: Connection,
        source: str,
        source_id: int,
        start: datetime,
        end: datetime,
        coded: list[str],
    ) -> list[SampleRow]:
        query = select(
            Sample.role,
            Sample.ts,
            Sample.value,
            Sample.text,
            Sample.seq,
            Sample.latitude,
            Sample.longitude,
        ).where(
            Sample.source == source_id,
            Sample.ts >= start,
            Sample.ts < end,
        )
        if coded:
            query = query.where(Sample.role.in_(coded))
        rows = conn.execute(query.order_by(Sample.ts, Sample.seq, Sample.role)).all()
        return [
            SampleRow(source, role, ts.timestamp(), value, text, seq, lat, lon)
            for role, ts, value, text, seq, lat, lon in rows
        ]

    @staticmethod
    def _bucket_samples(
        conn: Connection,
        source: str,
        source_id: int,
        start: datetime,
        end: datetime,
        coded: list[str],
    ) -> list[SampleRow]:
        """Buckets overlapping [start, end), each as one sample at its middle."""
        half = BUCKET / 2
        query = select(
            SampleBucket.role,
            SampleBucket.ts,
            SampleBucket.value_mean,
            SampleBucket.value_last,
            SampleBucket.text_last,
            SampleBucket.latitude,
            SampleBucket.longitude,
        ).where(
            SampleBucket.source == source_id,
            SampleBucket.ts > start - BUCKET,
            SampleBucket.ts < end,
        )
        if coded:
            query = query.where(SampleBucket.role.in_(coded))
        rows = conn.execute(query.order_by(SampleBucket.ts, SampleBucket.role)).all()
        middle = half.total_seconds()
        return [
            SampleRow(
                source,
                role,
                ts.timestamp() + middle,
                last if mean is None else mean,  # NULL: the last value (0012)
                text,
                0,
                lat,
                lon,
            )
            for role, ts, mean, last, text, lat, lon in rows
        ]

    def quarantined(self, limit: int = 100) -> list[dict[str, Any]]:
        """Return the most recent quarantined records with their reasons."""
        with self._engine.connect() as conn:
            rows = (
                conn.execute(
                    select(*Quarantine.__table__.c)
                    .order_by(Quarantine.id.desc())
                    .limit(limit)
                )
                .mappings()
                .all()
            )
        return [_plain(r) for r in rows]

    def quarantined_ids(self, kind: str) -> set[str]:
        """The ids of the `kind` records ("session", "trip") in the quarantine."""
        with self._engine.connect() as conn:
            payloads = conn.execute(
                select(Quarantine.payload).where(Quarantine.kind == kind)
            ).scalars()
            return {
                str(payload["id"])
                for payload in payloads
                if isinstance(payload, dict) and "id" in payload
            }

    def samples_of(
        self, sources: list[str], start: datetime, end: datetime
    ) -> list[SampleRow]:
        """Samples of several sources in [start, end), in the order live took them.

        Time order; samples sharing a timestamp in the order they were taken (`seq`),
        as the ledgers saw them (recompute).

        The database hands over plain columns (the time as epoch seconds, the source's
        key and the role's name as text), so a week of a 1 Hz stream costs no
        datetime, UUID or type conversion per row.
        """
        sqlite = self._dialect == "sqlite"
        epoch: Any
        if sqlite:  # integer microseconds: a float division, correctly rounded
            epoch = type_coerce(Sample.ts, BigInteger()) / 1_000_000.0
        else:  # the same correctly rounded division, without a NUMERIC per row
            epoch = func.date_part("epoch", Sample.ts, type_=Float())
        # A role's name from its code: a CASE costs PostgreSQL less than a subscript.
        role = case(
            dict(enumerate(ROLE_CODES)), value=type_coerce(Sample.role, Integer())
        )
        with self._engine.connect() as conn:
            ids = _sample_sources(conn, sources)
            if not ids:
                return []
            # The source's key and the role's name come out of the database as text.
            source: Any = literal(next(iter(ids.values())), Text())
            if len(ids) > 1:
                source = case(ids, value=Sample.source)
            query = (
                select(
                    source,
                    role,
                    epoch,
                    Sample.value,
                    Sample.text,
                    Sample.seq,
                    Sample.latitude,
                    Sample.longitude,
                )
                .where(
                    Sample.source.in_(list(ids)), Sample.ts >= start, Sample.ts < end
                )
                # The key's order: the database sorts nothing.
                .order_by(Sample.source, Sample.ts, Sample.role)
            )
            result = conn.execute(query)
            # Plain driver tuples in SampleRow's order, made Sample rows by the
            # tuple constructor itself (no Python call per row).
            rows: list[SampleRow] = list(map(_SAMPLE_ROW, result.cursor.fetchall()))
        # Stable, on runs already in time order: (time, seq), then source and role.
        rows.sort(key=itemgetter(2, 5))
        return rows

    def record_spans(
        self,
        kind: Literal["sessions", "trips"],
        vehicle: str,
        start: datetime,
        end: datetime,
        *,
        deleted: bool = True,
    ) -> list[tuple[str, datetime, datetime | None]]:
        """Stored records of a vehicle overlapping [start, end).

        Deleted ones too, unless `deleted` is False. Returns (id, started_at, ended_at) tuples; ended_at is None while open.
        """
        model = ChargingSession if kind == "sessions" else Trip
        query = select(model.id, model.started_at, model.ended_at).where(
            model.vehicle_id == entity_uuid(vehicle),
            model.started_at < end,
            (model.ended_at.is_(None)) | (model.ended_at > start),
        )
        if not deleted:
            query = query.where(model.deleted_at.is_(None))
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [(str(row[0]), row[1], row[2]) for row in rows]

    def site_days(self, site: str, first: date, last: date) -> set[date]:
        """The days in [first, last] for which a site has a stored summary."""
        query = select(EnergySiteDaily.day).where(
            EnergySiteDaily.site_id == entity_uuid(site),
            EnergySiteDaily.day >= first,
            EnergySiteDaily.day <= last,
        )
        with self._engine.connect() as conn:
            return set(conn.execute(query).scalars())

    def ledger_records(
        self,
        kind: Literal["sessions", "trips"],
        vehicle: str,
        start: datetime,
        end: datetime,
    ) -> list[dict[str, Any]]:
        """A vehicle's records (deleted ones too) that started in [start, end)."""
        model = ChargingSession if kind == "sessions" else Trip
        query = select(*_shown(model)).where(
            *_record_filters(model, vehicle, start, end, include_deleted=True)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query.order_by(model.started_at)).mappings().all()
        return [_plain(r) for r in rows]

    def folded_until(self, sources: list[str]) -> datetime | None:
        """Where the sources' raw samples begin after retention folded older ones.

        The end of the newest bucket folded into `sample_buckets` for any of the
        sources, or None when none was folded: what recompute can still re-derive
        starts there.
        """
        with self._engine.connect() as conn:
            ids = _sample_sources(conn, sources)
            if not ids:
                return None
            query = select(func.max(SampleBucket.ts)).where(
                SampleBucket.source.in_(list(ids))
            )
            moment = conn.execute(query).scalar_one_or_none()
        return None if moment is None else moment + BUCKET


def _sample_sources(conn: Connection, sources: list[str]) -> dict[int, str]:
    """The `sample_sources` ids of the sources stored so far, with their keys."""
    keys = {entity_uuid(source): source for source in sources}
    rows = conn.execute(
        select(SampleSourceId.id, SampleSourceId.source_id).where(
            SampleSourceId.source_id.in_(list(keys))
        )
    )
    return {source_id: keys[key] for source_id, key in rows.tuples()}


def _record_filters(
    model: type[ChargingSession | Trip],
    vehicle: str | None,
    start: datetime | None,
    end: datetime | None,
    *,
    include_deleted: bool,
) -> list[ColumnElement[bool]]:
    """The filters sessions and trips share: vehicle, start time, soft delete."""
    conditions: list[ColumnElement[bool]] = []
    if vehicle is not None:
        conditions.append(model.vehicle_id == entity_uuid(vehicle))
    if start is not None:
        conditions.append(model.started_at >= start)
    if end is not None:
        conditions.append(model.started_at < end)
    if not include_deleted:
        conditions.append(model.deleted_at.is_(None))
    return conditions
