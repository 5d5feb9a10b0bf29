"""The storage layer tells a damaged SQLite file from one it cannot open."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import pytest

from custom_components.ev_ledger.const import EMBEDDED_FILENAME
from custom_components.ev_ledger.db import (
    CannotConnect,
    DatabaseDamaged,
    DbConfig,
    connect_and_migrate,
)
from custom_components.ev_ledger.db.errors import classify

if TYPE_CHECKING:
    from pathlib import Path


def garble(path: Path) -> None:
    """Keep the header, lose the rest: SQLite then reports a malformed image."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


@pytest.mark.parametrize(
    ("content", "damaged"),
    [
        (b"this is not a database, " * 200, True),
        (None, True),  # a real ledger's file, cut short
    ],
)
def test_a_damaged_file_is_told_from_an_unreachable_one(
    tmp_path: Path, content: bytes | str | None, damaged: bool
) -> None:
    path = tmp_path / EMBEDDED_FILENAME
    if content is None:
        connect_and_migrate(DbConfig.embedded(str(path)))
        garble(path)
    else:
        assert isinstance(content, bytes)
        path.write_bytes(content)
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(CannotConnect) as err:
        connect_and_migrate(DbConfig.embedded(str(path)))
    assert isinstance(err.value, DatabaseDamaged) is damaged
    if before is not None:
        assert path.read_bytes() == before  # never overwritten


@pytest.mark.parametrize(
    ("code", "damaged"),
    [(11, True), (26, True), (14, False), (5, False), (None, False)],
)
def test_sqlite_result_codes(code: int | None, damaged: bool) -> None:
    # SQLITE_CORRUPT and SQLITE_NOTADB are damage; CANTOPEN and BUSY are not.
    err = sqlite3.DatabaseError("some message")
    if code is not None:
        err.sqlite_errorcode = code
    kind = classify(err)
    assert isinstance(kind, CannotConnect)
    assert isinstance(kind, DatabaseDamaged) is damaged
