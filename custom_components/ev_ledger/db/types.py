"""Column types that behave the same on PostgreSQL and SQLite.

- `UTCDateTime`: timezone-aware UTC in, timezone-aware UTC out, on both backends
  (SQLite has no time zones; it stores naive UTC text and gets UTC back).
- `Amount`: exact NUMERIC, returned as `Decimal` on both backends (SQLite stores the
  number and the type restores the declared scale).
- `JsonDoc`: JSONB on PostgreSQL, JSON text on SQLite.
- `SampleSource`, `SampleTime`, `SampleRole`: the compact sample columns. A source's
  UUID (in `sample_sources`, which gives it the small integer id the sample tables
  carry, migration 0009) is native on PostgreSQL and its 16 bytes on SQLite; a
  sample's time is timestamptz on PostgreSQL and integer microseconds since the epoch
  on SQLite (migration 0007); a role is stored as its code (`ROLE_CODES`) on both
  (migration 0009). A role without a code cannot be stored (`UncodedRoleError`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final
import uuid

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    LargeBinary,
    Numeric,
    SmallInteger,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine


class UTCDateTime(TypeDecorator[datetime]):
    """`TIMESTAMP WITH TIME ZONE` that only accepts and returns aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        """Refuse naive datetimes; store UTC (naive UTC text on SQLite)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: EV Ledger stores timezone-aware times")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Amount(TypeDecorator[Decimal]):
    """Exact `NUMERIC(precision, scale)` returned as `Decimal` on every backend."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 14, scale: int = 4) -> None:
        super().__init__(precision=precision, scale=scale)
        self.precision = precision
        self.scale = scale
        self._quantum = Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Ask SQLite for plain numbers; this type restores the Decimal."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(
                Numeric(self.precision, self.scale, asdecimal=False)
            )
        return dialect.type_descriptor(self.impl_instance)

    def process_bind_param(
        self, value: Decimal | float | None, dialect: Dialect
    ) -> Any:
        """Pass Decimals to PostgreSQL; SQLite gets the exact text of the number."""
        if value is None:
            return None
        if dialect.name == "sqlite":
            return str(Decimal(value).quantize(self._quantum))
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        """Return a Decimal at the declared scale."""
        if value is None:
            return None
        if isinstance(value, Decimal):
            return value
        return Decimal(str(value)).quantize(self._quantum)


def json_doc() -> TypeEngine[Any]:
    """Return the JSON type: JSONB on PostgreSQL, JSON elsewhere."""
    return JSON().with_variant(JSONB(), "postgresql")


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)

# Role codes of the sample tables (`logic.model.Role`: a test checks every role has
# one). Append only: a stored code never changes.
ROLE_CODES: Final = (
    "battery_level",
    "charging_state",
    "plugged",
    "charger_power",
    "charger_voltage",
    "charger_current",
    "session_energy",
    "evse_energy",
    "charger_type",
    "odometer",
    "speed",
    "shift_state",
    "location",
    "range",
    "outside_temp",
    "energy_consumed",
    "solar_power",
    "grid_power",
    "grid_import_power",
    "grid_export_power",
    "battery_power",
    "home_load",
    "price",
)
_CODE_OF: Final = {name: code for code, name in enumerate(ROLE_CODES)}


def micros(value: datetime) -> int:
    """Integer microseconds since the epoch of an aware datetime (exact)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: EV Ledger stores timezone-aware times")
    return (value - _EPOCH) // _MICROSECOND


def from_micros(value: int) -> datetime:
    """The aware UTC datetime of integer microseconds since the epoch."""
    return _EPOCH + timedelta(microseconds=int(value))


class UncodedRoleError(ValueError):
    """A sample's role has no code in `ROLE_CODES`, so it cannot be stored.

    The writer quarantines (and counts) the sample that carries it.
    """


def role_code(name: str) -> int:
    """A role's stored code.

    Raises:
        UncodedRoleError: The role has no code.
    """
    try:
        return _CODE_OF[name]
    except KeyError:
        raise UncodedRoleError(f"sample role without a code: {name!r}") from None


def has_code(name: str) -> bool:
    """Whether a role can be stored."""
    return name in _CODE_OF


def role_name(value: int) -> str:
    """A stored role code as its name."""
    return ROLE_CODES[value]


class SampleSource(TypeDecorator[uuid.UUID]):
    """A sample's source: UUID on PostgreSQL, its 16 bytes on SQLite."""

    impl = Uuid
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """A 16-byte BLOB on SQLite."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(LargeBinary(16))
        return dialect.type_descriptor(Uuid())

    def process_bind_param(self, value: uuid.UUID | None, dialect: Dialect) -> Any:
        """The UUID's bytes on SQLite."""
        if value is None or dialect.name != "sqlite":
            return value
        return value.bytes

    def process_result_value(self, value: Any, dialect: Dialect) -> uuid.UUID | None:
        """A UUID on both."""
        if value is None or isinstance(value, uuid.UUID):
            return value
        return uuid.UUID(bytes=bytes(value))


class SampleTime(TypeDecorator[datetime]):
    """A sample's time: timestamptz on PostgreSQL, integer microseconds on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """A BIGINT on SQLite."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        """Aware times only; microseconds since the epoch on SQLite."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: EV Ledger stores timezone-aware times")
        if dialect.name == "sqlite":
            return micros(value)
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """An aware UTC datetime on both."""
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return from_micros(value)


class SampleRole(TypeDecorator[str]):
    """A sample's role: its code (`ROLE_CODES`) as a SMALLINT, its name in Python."""

    impl = SmallInteger
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> Any:
        """The role's code; a role without one raises `UncodedRoleError`."""
        return None if value is None else role_code(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        """The role's name."""
        return None if value is None else role_name(value)
