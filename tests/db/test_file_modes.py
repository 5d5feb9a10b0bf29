"""Files that hold user data (GPS coordinates, costs) are readable by their owner only.

The journal, the writer's quarantine file and exported CSV files are created 0600;
the folders EV Ledger creates for them are 0700. A journal file left 0644 by an older
version is tightened when it is written again. (issue 15)
"""

from __future__ import annotations

from decimal import Decimal
import os
from pathlib import Path
import stat
from typing import TYPE_CHECKING

import pytest

from custom_components.ev_ledger.db import writer as writer_module
from custom_components.ev_ledger.db.journal import CHECKPOINT, Journal
from custom_components.ev_ledger.db.migrate import migrate
from custom_components.ev_ledger.db.reports import write_csv
from custom_components.ev_ledger.db.writer import QUARANTINE_FILE

from .conftest import make_session

if TYPE_CHECKING:
    from collections.abc import Iterator

    from custom_components.ev_ledger.db import DbConfig

    from .conftest import WriterFactory

PLACE = {"latitude": "52.5200000", "longitude": "13.4050000"}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask of a usual install: files 0644 and folders 0755 unless asked."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_journal_files_and_folders_are_private(tmp_path: Path) -> None:
    folder = tmp_path / ".ev_ledger_journal" / "01JENTRY"
    journal = Journal(folder, segment_bytes=200)
    for i in range(6):  # more than one segment
        journal.append([("session", {"id": str(i), **PLACE})])
    chunk = journal.read(2)
    journal.commit(chunk)  # part replayed: a checkpoint is written
    journal.close()
    assert mode(tmp_path / ".ev_ledger_journal") == 0o700
    assert mode(folder) == 0o700
    files = sorted(folder.iterdir())
    assert CHECKPOINT in {f.name for f in files}
    assert len([f for f in files if f.suffix == ".jnl"]) >= 2
    assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}


def test_a_journal_left_readable_is_tightened(tmp_path: Path) -> None:
    """A journal written by an older version (0755 folder, 0644 segment)."""
    folder = tmp_path / "journal"
    folder.mkdir(mode=0o755)
    old = Journal(folder)
    old.append([("session", {"id": "1", **PLACE})])
    old.close()
    (segment,) = folder.glob("*.jnl")
    segment.chmod(0o644)
    journal = Journal(folder)
    journal.append([("session", {"id": "2", **PLACE})])
    journal.close()
    assert mode(folder) == 0o700
    assert mode(segment) == 0o600


def test_the_quarantine_file_is_private(
    sqlite_config: DbConfig,
    tmp_path: Path,
    make_writer: WriterFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A rejected record the database cannot keep either goes to a file: 0600."""
    migrate(sqlite_config)

    def refuse(*_: object) -> None:
        raise ValueError("the quarantine table refused it too")

    monkeypatch.setattr(writer_module, "quarantine", refuse)
    journal = tmp_path / "private" / "journal"
    writer = make_writer(sqlite_config, journal)
    writer.enqueue_session(make_session(1, energy=Decimal(-1)))  # fails its CHECK
    writer.synced().result(10)
    assert writer.health().quarantined == 1
    quarantined = journal / QUARANTINE_FILE
    assert mode(quarantined) == 0o600
    assert '"latitude":"52.52' in quarantined.read_text().replace(" ", "")
    assert mode(journal) == 0o700
    assert mode(tmp_path / "private") == 0o700


def test_a_csv_file_is_private(tmp_path: Path) -> None:
    target = tmp_path / "ev_ledger" / "exports" / "sessions.csv"
    write_csv(target, ("latitude", "longitude"), [PLACE])
    assert mode(target) == 0o600
    assert mode(target.parent) == 0o700
    assert mode(target.parent.parent) == 0o700
    assert target.read_text().splitlines()[1] == "52.5200000,13.4050000"


def test_the_embedded_database_is_private(sqlite_config: DbConfig) -> None:
    """The SQLite file (and the -wal/-shm files SQLite gives its mode) is 0600."""
    assert sqlite_config.path is not None
    migrate(sqlite_config)
    database = Path(sqlite_config.path)
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    for sibling in database.parent.glob(database.name + "-*"):
        assert stat.S_IMODE(sibling.stat().st_mode) == 0o600
