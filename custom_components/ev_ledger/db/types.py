"""Column types that behave the same on PostgreSQL and SQLite.

- `UTCDateTime`: timezone-aware UTC in, timezone-aware UTC out, on both backends
  (SQLite has no time zones; it stores naive UTC text and gets UTC back).
- `Amount`: exact NUMERIC, returned as `Decimal` on both backends (SQLite stores the
  number and the type restores the declared scale).
- `JsonDoc`: JSONB on PostgreSQL, JSON text on SQLite.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Numeric
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
