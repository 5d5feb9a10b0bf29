"""Compact samples on SQLite: the source's 16 bytes, integer microseconds, role codes.

SQLite stored a sample's source as 32 hexadecimal characters, its time as 26
characters of text and its role by name. Now the source is a 16-byte BLOB, the time
an integer of microseconds since the epoch and the role a small integer code
(`db.types.ROLE_CODES`; a role without a code stays text), for `samples` and
`sample_buckets` (see `db.types.SampleSource`, `SampleTime`, `SampleRole`). The rows
are converted while the tables are copied, in key order. PostgreSQL is unchanged.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 00:00:00
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
import uuid

from alembic import op

if TYPE_CHECKING:
    from collections.abc import Sequence

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SAMPLES_NEW = """
    CREATE TABLE samples_rebuilt (
        source_id BLOB NOT NULL,
        role INTEGER NOT NULL,
        ts BIGINT NOT NULL,
        value FLOAT,
        text VARCHAR(200),
        seq SMALLINT DEFAULT '0' NOT NULL,
        latitude FLOAT,
        longitude FLOAT,
        CONSTRAINT pk_samples PRIMARY KEY (source_id, ts, role)
    ) WITHOUT ROWID
"""
_SAMPLES_OLD = """
    CREATE TABLE samples_rebuilt (
        source_id CHAR(32) NOT NULL,
        role VARCHAR(32) NOT NULL,
        ts DATETIME NOT NULL,
        value FLOAT,
        text VARCHAR(200),
        seq SMALLINT DEFAULT '0' NOT NULL,
        latitude FLOAT,
        longitude FLOAT,
        CONSTRAINT pk_samples PRIMARY KEY (source_id, ts, role)
    ) WITHOUT ROWID
"""
_BUCKETS_NEW = """
    CREATE TABLE sample_buckets_rebuilt (
        source_id BLOB NOT NULL,
        role INTEGER NOT NULL,
        ts BIGINT NOT NULL,
        samples INTEGER NOT NULL,
        value_min FLOAT,
        value_max FLOAT,
        value_mean FLOAT,
        value_last FLOAT,
        text_last VARCHAR(200),
        latitude FLOAT,
        longitude FLOAT,
        CONSTRAINT pk_sample_buckets PRIMARY KEY (source_id, ts, role)
    ) WITHOUT ROWID
"""
_BUCKETS_OLD = (
    _BUCKETS_NEW.replace("source_id BLOB", "source_id CHAR(32)")
    .replace("role INTEGER", "role VARCHAR(32)")
    .replace("ts BIGINT", "ts DATETIME")
)

_COPY_SAMPLES = (
    "INSERT INTO samples_rebuilt (source_id, role, ts, value, text, seq, latitude,"
    " longitude) SELECT evl_source(source_id), evl_role(role), evl_time(ts), value,"
    " text, seq, latitude, longitude FROM samples ORDER BY source_id, ts"
)
_COPY_BUCKETS = (
    "INSERT INTO sample_buckets_rebuilt (source_id, role, ts, samples, value_min,"
    " value_max, value_mean, value_last, text_last, latitude, longitude)"
    " SELECT evl_source(source_id), evl_role(role), evl_time(ts), samples, value_min,"
    " value_max, value_mean, value_last, text_last, latitude, longitude"
    " FROM sample_buckets ORDER BY source_id, ts"
)


# A frozen copy of `db.types.ROLE_CODES` at this revision (scripts never import the
# integration's code).
_ROLE_CODES = (
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
_CODE_OF = {name: code for code, name in enumerate(_ROLE_CODES)}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def role_code(name: Any) -> int | str:
    return _CODE_OF.get(str(name), str(name))


def role_name(value: Any) -> str:
    return _ROLE_CODES[value] if isinstance(value, int) else str(value)


def _text_time(value: Any) -> int:
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return micros(moment)


def _micros_text(value: Any) -> str:
    return from_micros(int(value)).replace(tzinfo=None).isoformat(" ", "microseconds")


def _rebuild(compact: bool) -> None:
    raw: Any = op.get_bind().connection.driver_connection
    if compact:
        raw.create_function("evl_source", 1, lambda v: uuid.UUID(str(v)).bytes)
        raw.create_function("evl_time", 1, _text_time)
        raw.create_function("evl_role", 1, role_code)
        tables = ((_SAMPLES_NEW, "samples"), (_BUCKETS_NEW, "sample_buckets"))
    else:
        raw.create_function("evl_source", 1, lambda v: uuid.UUID(bytes=bytes(v)).hex)
        raw.create_function("evl_time", 1, _micros_text)
        raw.create_function("evl_role", 1, role_name)
        tables = ((_SAMPLES_OLD, "samples"), (_BUCKETS_OLD, "sample_buckets"))
    for create, table in tables:
        op.execute(create)
        op.execute(_COPY_SAMPLES if table == "samples" else _COPY_BUCKETS)
        op.execute(f"DROP TABLE {table}")
        op.execute(f"ALTER TABLE {table}_rebuilt RENAME TO {table}")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(compact=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(compact=False)
