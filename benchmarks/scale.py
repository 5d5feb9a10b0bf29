"""Scale benchmark: the read paths of a 10-vehicle x 5-year ledger, on both backends.

Run: .venv/bin/python -m benchmarks.scale [--samples N] [--runs 5]

Builds, per backend (a throwaway PostgreSQL cluster and an SQLite file), a ledger of
10 vehicles over 5 years (about 11.7k sessions with their windows and 36.5k trips,
written with EV Ledger's own sink) plus `--samples` raw samples (a week of each
vehicle streamed, the rest spread over the years), and a 1-year ledger of the same
household as the baseline. Then it times what users hit:

- the start-up totals of all vehicles (`Reader.vehicle_totals`), and the per-vehicle
  totals the runtime read before (`Reader.totals` over all time, for comparison);
- the first page of 50 sessions of a vehicle, and its page 5;
- a month of a vehicle's sessions; a year of monthly totals (`Reader.totals`);
- a week of a vehicle's samples (`Reader.samples_of`, as recompute reads them);
- a page of 50 sessions through the call the websocket's `ev_ledger/sessions` makes:
  plain, at a location, at a rare location (fewer than 50 in a year: not held to the
  growth target), with a rare flag (the same), after a cursor deep in history, at a
  location over all vehicles, and sorted by energy; and a page of 50 trips;
- the report views `v_sessions_per_month`, `v_efficiency_per_month`.

Each figure is the median of `--runs` timings with min and max, and its ratio to the
same read on the 1-year ledger: a page, a period or a week is the same work on both
and must not grow with history.
The last lines are one per target.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
import statistics
import tempfile
import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from custom_components.ev_ledger.db import (
    DbConfig,
    Reader,
    Sample,
    connect_and_migrate,
    make_engine,
)
from custom_components.ev_ledger.db.rows import session_row, trip_row
from custom_components.ev_ledger.db.sink import write_batch
from custom_components.ev_ledger.logic.model import ChargingWindow, Flag, Place
from tests.db.conftest import make_session, make_trip
from tests.pgcluster import new_cluster

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

START = datetime(2021, 12, 1, tzinfo=UTC).timestamp()
DAY = 86_400
VEHICLES = [f"vehicle-{n}" for n in range(10)]
TARGET_TOTALS_MS = 30.0
TARGET_READ_MS = 50.0
TARGET_GROWTH = 1.5
# Reads of a page, a period or a week: the same work on either ledger, so their time
# must not grow with history. The others (totals of all time, the whole-history views)
# are held to their time targets only.
BOUNDED = {
    "page_first",
    "page_5",
    "month_of_sessions",
    "monthly_totals_year",
    "samples_week",
    "ws_page",
    "ws_page_location",
    "ws_page_cursor_deep",
    "ws_trips_page",
}


def _place(day: int) -> str:
    """Mostly home, a quarter at work (a full page in a year), a rare fast charger."""
    if day % 47 == 1:
        return "zone.fastned_a9"
    return "Work Place" if day % 4 == 0 else "Home"


def records(years: int) -> Iterator[tuple[str, Any]]:
    """Sessions (about 0.64 a day) and trips (two a day) of every vehicle."""
    base_session, base_trip = make_session(0), make_trip(0)
    for v, vehicle in enumerate(VEHICLES):
        for day in range(365 * years):
            midnight = START + day * DAY
            if (day * 7 + v) % 3:
                begin = midnight + 18 * 3600 + (v * 97 + day * 13) % 3600
                energy = Decimal(8 + (day + v) % 30)
                yield (
                    "session",
                    session_row(
                        replace(
                            base_session,
                            id=f"{vehicle}/s/{day}",
                            vehicle_id=vehicle,
                            plugged_at=begin - 60,
                            started_at=begin,
                            ended_at=begin + 3600,
                            unplugged_at=begin + 3700,
                            energy_kwh=energy,
                            place=Place(_place(day), 52.5, 13.4),
                            flags={Flag.PRICE_GAP} if day % 29 == 0 else set(),
                            windows=[
                                ChargingWindow(
                                    started_at=begin,
                                    ended_at=begin + 1800,
                                    energy_kwh=energy / 2,
                                ),
                                ChargingWindow(
                                    started_at=begin + 1800,
                                    ended_at=begin + 3600,
                                    energy_kwh=energy / 2,
                                ),
                            ],
                        ),
                        "benchmark",
                    ),
                )
            for hour in (8, 17):
                begin = midnight + hour * 3600 + v * 60
                yield (
                    "trip",
                    trip_row(
                        replace(
                            base_trip,
                            id=f"{vehicle}/t/{day}/{hour}",
                            vehicle_id=vehicle,
                            started_at=begin,
                            ended_at=begin + 1800,
                        ),
                        "benchmark",
                    ),
                )


def samples(count: int, years: int) -> Iterator[list[Any]]:
    """The last week of every vehicle streamed (every 20 s), the rest spread thinly.

    The streamed week is the same in every ledger; `count` only changes the rest.
    """
    end = START + 365 * years * DAY
    streamed = 7 * DAY // 20
    rest = max(0, count - streamed * len(VEHICLES)) // len(VEHICLES)
    step = (end - START - 7 * DAY) / max(rest, 1)
    for n, vehicle in enumerate(VEHICLES):
        for i in range(streamed):
            ts = end - 7 * DAY + i * 20
            yield list(Sample(vehicle, "charger_power", ts, 7.0 + (i % 40) / 10))
        for i in range(rest):
            yield list(Sample(vehicle, "battery_level", START + i * step + n, 50.0))


def build(config: DbConfig, years: int, sample_count: int) -> None:
    connect_and_migrate(config)
    engine = make_engine(config, pooled=False)
    try:
        batch: list[tuple[str, Any]] = []
        for record in records(years):
            batch.append(record)
            if len(batch) == 2000:
                with engine.begin() as conn:
                    write_batch(conn, batch)
                batch = []
        with engine.begin() as conn:
            write_batch(conn, batch)
        rows: list[list[Any]] = []
        for row in samples(sample_count, years):
            rows.append(row)
            if len(rows) == 50_000:
                with engine.begin() as conn:
                    write_batch(conn, [("samples", rows)])
                rows = []
        with engine.begin() as conn:
            write_batch(conn, [("samples", rows)])
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE" if config.is_postgresql else "ANALYZE"
            )
    finally:
        engine.dispose()


def reads(reader: Reader, years: int) -> dict[str, Callable[[], Any]]:
    end = datetime.fromtimestamp(START + 365 * years * DAY, UTC)
    month = end - timedelta(days=30)
    vehicle = VEHICLES[3]
    view = "SELECT * FROM {}"

    def sql(name: str) -> Callable[[], Any]:
        def run() -> Any:
            with reader.engine.connect() as conn:
                return conn.execute(text(view.format(name))).all()

        return run

    # A cursor deep in history: after the vehicle's 60th-oldest session.
    total = reader.list_sessions(vehicle=vehicle, limit=1).total
    deep = reader.list_sessions(vehicle=vehicle, offset=total - 61, limit=1).next_cursor

    def ws_page(**filters: Any) -> Callable[[], Any]:
        """One page of 50 as the websocket's `ev_ledger/sessions` reads it."""
        arguments: dict[str, Any] = {
            "vehicle": vehicle,
            "start": None,
            "end": None,
            "location": None,
            "flags": None,
            "sort": "started_at",
            "descending": True,
            "cursor": None,
            "offset": 0,
            "limit": 50,
        }
        arguments.update(filters)
        return lambda: reader.list_sessions(**arguments)

    return {
        "startup_totals": lambda: reader.vehicle_totals(VEHICLES, month),
        "startup_totals_before": lambda: [
            reader.totals(
                datetime(1970, 1, 2, tzinfo=UTC), end, vehicle=v, period="year"
            )
            for v in VEHICLES
        ],
        "page_first": lambda: reader.list_sessions(vehicle=vehicle, limit=50),
        "page_5": lambda: reader.list_sessions(vehicle=vehicle, offset=200, limit=50),
        "month_of_sessions": lambda: reader.list_sessions(
            vehicle=vehicle, start=month, end=end, limit=50
        ),
        "monthly_totals_year": lambda: reader.totals(
            end - timedelta(days=365), end, vehicle=vehicle, period="month"
        ),
        "samples_week": lambda: reader.samples_of(
            [vehicle], end - timedelta(days=7), end
        ),
        "ws_page": ws_page(),
        "ws_page_location": ws_page(location="zone.work_place"),
        "ws_page_rare_location": ws_page(location="Fastned A9"),
        "ws_page_flags": ws_page(flags=["price_gap"]),
        "ws_page_cursor_deep": ws_page(cursor=deep),
        "ws_page_all_location": ws_page(vehicle=None, location="Work Place"),
        "ws_page_energy_sorted": ws_page(sort="energy_kwh", descending=False),
        "ws_trips_page": lambda: reader.list_trips(
            vehicle=vehicle, location=None, flags=None, cursor=None, limit=50
        ),
        "v_sessions_per_month": sql("v_sessions_per_month"),
        "v_efficiency_per_month": sql("v_efficiency_per_month"),
    }


def timed(call: Callable[[], Any], runs: int) -> list[float]:
    call()  # warm: connections, caches
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=3_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    cluster = new_cluster("shared_buffers = 256MB\nwork_mem = 16MB\n")
    work = Path(tempfile.mkdtemp(prefix="evl-scale-"))
    made = iter(range(100))

    def pg() -> DbConfig:
        name = f"scale_{next(made)}"
        admin = make_engine(DbConfig.from_url(cluster.url), pooled=False)
        try:
            with admin.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    f"CREATE DATABASE {name}"
                )
        finally:
            admin.dispose()
        return DbConfig.from_url(cluster.url.rsplit("/", 1)[0] + f"/{name}")

    def sqlite() -> DbConfig:
        return DbConfig.embedded(work / f"scale_{next(made)}" / "ev_ledger.db")

    lines: list[str] = []
    try:
        for backend, fresh in (("postgresql", pg), ("sqlite", sqlite)):
            figures: dict[int, dict[str, list[float]]] = {}
            for years, count in ((1, args.samples // 5), (5, args.samples)):
                config = fresh()
                started = time.perf_counter()
                build(config, years, count)
                print(
                    f"{backend}: built {years}-year ledger with {count:,} samples in"
                    f" {time.perf_counter() - started:.0f} s",
                    flush=True,
                )
                reader = Reader(config)
                try:
                    figures[years] = {
                        name: timed(call, args.runs)
                        for name, call in reads(reader, years).items()
                    }
                finally:
                    reader.close()
            for name, five in figures[5].items():
                one = figures[1][name]
                ratio = statistics.median(five) / statistics.median(one)
                print(
                    f"{backend:10} {name:24} {statistics.median(five):9.2f} ms"
                    f" [{min(five):.2f}..{max(five):.2f}]  1 year"
                    f" {statistics.median(one):8.2f} ms  ratio {ratio:5.2f}",
                    flush=True,
                )
                if name == "startup_totals_before":
                    continue
                limit = TARGET_TOTALS_MS if name == "startup_totals" else TARGET_READ_MS
                median = statistics.median(five)
                verdict = "PASS" if median <= limit else "FAIL"
                lines.append(
                    f"target {backend}_{name}: {median:.2f} ms"
                    f" [{min(five):.2f}..{max(five):.2f}] (goal <= {limit:g}) {verdict}"
                )
                if name not in BOUNDED:
                    continue
                ratios = [f / statistics.median(one) for f in five]
                verdict = "PASS" if ratio <= TARGET_GROWTH else "FAIL"
                lines.append(
                    f"target {backend}_{name}_5y_vs_1y: {ratio:.2f} x"
                    f" [{min(ratios):.2f}..{max(ratios):.2f}]"
                    f" (goal <= {TARGET_GROWTH:g}) {verdict}"
                )
    finally:
        cluster.destroy()
    for entry in lines:
        print(entry)


if __name__ == "__main__":
    main()
