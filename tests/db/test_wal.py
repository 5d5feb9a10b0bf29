"""The embedded file's write-ahead log stays small (issue 14).

SQLite's defaults checkpoint the log every 4 MiB and leave the file at its largest
size: every ledger kept 4 MiB or more of log beside its database (in the backfill
benchmark, a 12 MB ledger had a 4.3 MB log). The ledger checkpoints every 1 MiB and
cuts the log back to 1 MiB when it restarts.
"""

from __future__ import annotations

from pathlib import Path

from custom_components.ev_ledger.db import (
    DbConfig,
    Sample,
    connect_and_migrate,
    make_engine,
)
from custom_components.ev_ledger.db.config import WAL_LIMIT_BYTES
from custom_components.ev_ledger.db.sink import write_batch

from .conftest import T0


def test_the_log_stays_near_its_limit(tmp_path: Path) -> None:
    config = DbConfig.embedded(tmp_path / "ev_ledger.db")
    connect_and_migrate(config)
    engine = make_engine(config)
    log = Path(f"{config.path}-wal")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 256
            assert (
                conn.exec_driver_sql("PRAGMA journal_size_limit").scalar_one()
                == WAL_LIMIT_BYTES
            )
        largest = 0
        # About 10 MB of samples, committed a second's worth at a time as live does.
        for batch in range(200):
            samples = [
                Sample("car-1", "charger_power", T0 + batch * 1000 + i, 7.0, "x" * 20)
                for i in range(1000)
            ]
            with engine.begin() as conn:
                write_batch(conn, [("samples", [list(s) for s in samples])])
            largest = max(largest, log.stat().st_size)
        assert Path(config.path or "").stat().st_size > 5 * WAL_LIMIT_BYTES
        # At most the limit and the transactions since the last restart of the log.
        assert largest < 1.5 * WAL_LIMIT_BYTES
        assert log.stat().st_size < 1.5 * WAL_LIMIT_BYTES
    finally:
        engine.dispose()
