"""Pure parts of the storage layer: config, errors, VIN, backoff, journal, rows."""

from __future__ import annotations

from decimal import Decimal
import random
from typing import TYPE_CHECKING
import uuid

import pytest
from sqlalchemy.dialects.sqlite.base import SQLiteDialect

from custom_components.ev_ledger.db import (
    Backoff,
    CannotConnect,
    DbConfig,
    InvalidAuth,
    InvalidVin,
    MissingPrivilege,
    SchemaTooNew,
    TlsError,
    VinStatus,
    entity_uuid,
    make_engine,
    redact,
    validate_vin,
)
from custom_components.ev_ledger.db.errors import REDACTED, classify
from custom_components.ev_ledger.db.journal import Journal
from custom_components.ev_ledger.db.rows import sample_row, session_row
from custom_components.ev_ledger.db.sink import explode, weight
from custom_components.ev_ledger.db.types import Amount

from .conftest import make_session

if TYPE_CHECKING:
    from pathlib import Path


def test_config_from_url_and_embedded(tmp_path: Path) -> None:
    config = DbConfig.from_url(
        "postgresql://ev:pw@192.0.2.1:6543/ha?sslmode=verify-full&sslrootcert=/ca.pem"
    )
    assert (config.host, config.port, config.database, config.user) == (
        "192.0.2.1",
        6543,
        "ha",
        "ev",
    )
    assert (config.sslmode, config.sslrootcert, config.password) == (
        "verify-full",
        "/ca.pem",
        "pw",
    )
    assert config.is_postgresql
    url = config.url()
    assert url.query == {"sslmode": "verify-full", "sslrootcert": "/ca.pem"}
    assert "pw" not in str(url)
    assert url.password == "pw"
    folder = DbConfig.embedded(tmp_path)
    assert folder.path == str(tmp_path / "ev_ledger.db")
    assert str(folder) == f"sqlite:{tmp_path / 'ev_ledger.db'}"
    file = DbConfig.from_url(f"sqlite:///{tmp_path}/x.db")
    assert (file.backend, file.path) == ("sqlite", f"{tmp_path}/x.db")
    assert DbConfig.from_url("postgresql://h/db", port=1).port == 1
    with pytest.raises(ValueError, match="path"):
        make_engine(DbConfig(backend="sqlite"))


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ('FATAL:  password authentication failed for user "ev"', InvalidAuth),
        ('FATAL:  role "ev" does not exist', InvalidAuth),
        ("connection refused", CannotConnect),
        ("permission denied for database ha", MissingPrivilege),
        ("SSL error: certificate verify failed", TlsError),
        ("server does not support SSL, but SSL was required", TlsError),
        ('no pg_hba.conf entry for host "1.2.3.4", no encryption', TlsError),
        ("", CannotConnect),
    ],
)
def test_errors_are_classified(message: str, expected: type[Exception]) -> None:
    error = classify(RuntimeError(message))
    assert type(error) is expected
    assert classify(error) is error


def test_redaction() -> None:
    text = "postgresql://ev:hunter2@h/db password=hunter2 PASSWORD = 'x y' hunter2"
    cleaned = redact(text, ["hunter2", None, ""])
    assert "hunter2" not in cleaned
    assert "'x y'" not in cleaned
    assert cleaned.count(REDACTED) >= 3
    config = DbConfig(password="hunter2")
    assert config.redact("oops hunter2") == f"oops {REDACTED}"
    assert "hunter2" not in str(classify(RuntimeError("bad hunter2"), ["hunter2"]))
    too_new = SchemaTooNew("9999", "0001")
    assert (too_new.revision, too_new.head) == ("9999", "0001")
    assert "newer" in str(too_new)


@pytest.mark.parametrize(
    ("vin", "status"),
    [
        ("1HGCM82633A004352", VinStatus.VALID),
        ("5yj3e1ea2kf317000 ", VinStatus.VALID),
        ("WVWZZZ1JZXW000001", VinStatus.UNVERIFIED),
        ("WVWZZZ1J1XW000001", VinStatus.CHECK_DIGIT_MISMATCH),
    ],
)
def test_vin_checks(vin: str, status: VinStatus) -> None:
    normal, got = validate_vin(vin)
    assert got is status
    assert len(normal) == 17
    assert normal == normal.upper()


@pytest.mark.parametrize(
    "vin",
    ["1HGCM82633A00435", "1HGCM82633A00435I", "1HGCM82633A004353", "1HGCM8263$A004352"],
)
def test_invalid_vins_are_refused(vin: str) -> None:
    with pytest.raises(InvalidVin):
        validate_vin(vin)


def test_backoff_doubles_to_five_seconds_with_jitter() -> None:
    """A server back from an outage is found within five seconds (issue 15)."""
    backoff = Backoff(rng=random.Random(3))
    delays = [backoff.delay(attempt) for attempt in range(12)]
    assert 0.8 <= delays[0] <= 1.0 or delays[0] == 1.0
    assert all(1.0 <= d <= 5.0 for d in delays)
    assert 4.0 <= delays[-1] <= 5.0
    assert 3.2 <= delays[2] <= 4.0
    assert len(set(delays[6:])) > 1  # jitter spreads clients out
    assert Backoff().delay(10_000) <= 5.0


def test_ids_are_deterministic() -> None:
    key = str(uuid.uuid4())
    assert entity_uuid(key) == uuid.UUID(key)
    assert entity_uuid("01JABCDEF") == entity_uuid("01JABCDEF")
    assert entity_uuid("01JABCDEF").version == 5


def test_rows() -> None:
    row = session_row(make_session(0), "live")
    assert row["energy_kwh"] == "10.5"
    assert row["flags"] == ["counter_reset", "gap"]
    with pytest.raises(ValueError, match="unknown session columns"):
        session_row(make_session(0), "live", {"cost": 1})
    assert sample_row(("a", "r", 1, 2)) == [str(entity_uuid("a")), "r", 1.0, 2.0, None]
    records = [("samples", [[1], [2]]), ("trip", {})]
    assert [weight(r) for r in records] == [2, 1]
    assert explode(records) == [("samples", [[1]]), ("samples", [[2]]), ("trip", {})]


def record(i: int) -> tuple[str, object]:
    return ("trip", {"id": i, "pad": "x" * 50})


def test_journal_appends_reads_and_commits(tmp_path: Path) -> None:
    journal = Journal(tmp_path, segment_bytes=500)
    assert journal.empty
    assert journal.append([record(i) for i in range(5)]) == (5, 0)
    assert journal.append([("samples", [[1], [2], [3]])]) == (3, 0)
    assert journal.pending == 8
    assert len(list(tmp_path.glob("*.jnl"))) == 1
    for i in range(5, 20):
        journal.append([record(i)])
    assert len(list(tmp_path.glob("*.jnl"))) > 1
    first = journal.read(4)
    assert [r[1]["id"] for r in first.records] == [0, 1, 2, 3]
    journal.commit(first)
    journal.close()
    reopened = Journal(tmp_path, segment_bytes=500)
    assert reopened.pending == 20 + 3 - 4  # samples weigh 3
    rest = reopened.read(1000)
    ids = [r[1]["id"] for r in rest.records if r[0] == "trip"]
    assert ids == list(range(4, 20))
    reopened.commit(rest)
    assert reopened.empty
    assert not list(tmp_path.glob("*.jnl"))
    assert not (tmp_path / "checkpoint").exists()


def test_journal_cuts_a_torn_tail_and_skips_corrupt_lines(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.append([record(i) for i in range(3)])
    journal.close()
    segment = next(tmp_path.glob("*.jnl"))
    lines = segment.read_bytes().splitlines(keepends=True)
    segment.write_bytes(lines[0] + b"00000000 1 garbage\n" + lines[2] + lines[1][:20])
    second = sorted(tmp_path.glob("*.jnl"))[-1]
    assert second == segment
    reopened = Journal(tmp_path)
    assert reopened.pending == 2  # the corrupt line is dropped, the torn tail cut
    chunk = reopened.read(100)
    assert [r[1]["id"] for r in chunk.records] == [0, 2]
    assert reopened.corrupt >= 1


def test_journal_recovery_of_older_segments(tmp_path: Path) -> None:
    journal = Journal(tmp_path, segment_bytes=200)
    for i in range(10):
        journal.append([record(i)])
    journal.close()
    segments = sorted(tmp_path.glob("*.jnl"))
    assert len(segments) >= 3
    text = segments[0].read_bytes()
    segments[0].write_bytes(text.replace(b'"id":0', b'"id":9'))  # bad crc, not last
    reopened = Journal(tmp_path, segment_bytes=200)
    assert reopened.corrupt == 1
    assert reopened.pending == 9


def test_journal_bound(tmp_path: Path) -> None:
    journal = Journal(tmp_path, max_bytes=300)
    appended, dropped = journal.append([record(i) for i in range(10)])
    assert appended == 3
    assert dropped == 7
    assert journal.dropped == 7
    assert journal.size <= 300
    assert journal.append([record(99)]) == (0, 1)


def test_amount_type_on_sqlite() -> None:
    amount = Amount(8, 2)
    dialect = SQLiteDialect()  # type: ignore[no-untyped-call, unused-ignore]
    assert amount.process_bind_param(Decimal("1.005"), dialect) == "1.00"
    assert amount.process_bind_param(None, dialect) is None
    assert amount.process_result_value(1.1, dialect) == Decimal("1.10")
    assert amount.process_result_value(None, dialect) is None
    assert amount.process_result_value(Decimal("2"), dialect) == Decimal("2")
