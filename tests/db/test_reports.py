"""SQL views, CSV exports and the home-charging reimbursement report, on both backends.

Records go in through the real `Writer`; every expected aggregate below is computed by
hand from the scenario in `ledger`.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
import json
from pathlib import Path
import re
import tempfile
from typing import TYPE_CHECKING, Any

from hypothesis import given, strategies as st
import pytest
from sqlalchemy import inspect, text

from custom_components.ev_ledger.db import DbConfig, Reader, Sample, make_engine
from custom_components.ev_ledger.db.migrate import migrate
from custom_components.ev_ledger.db.reports import (
    HOME_CHARGING_COLUMNS,
    SESSION_COLUMNS,
    TRIP_COLUMNS,
    Report,
    _cell,
    describe_tariff,
    export_sessions_csv,
    export_trips_csv,
    home_charging_report_csv,
    home_charging_rows,
    parse_csv,
    write_csv,
)
from custom_components.ev_ledger.db.retention import fold_samples
from custom_components.ev_ledger.db.rows import zone_key
from custom_components.ev_ledger.logic.model import (
    Cost,
    CostSource,
    Place,
    SessionStatus,
)
from custom_components.ev_ledger.logic.tariff import normalize_zone

from .conftest import T0, WriterFactory, make_session, make_trip

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Engine

ROOT = Path(__file__).resolve().parents[2]
VIEWS = {
    "v_sessions_per_month",
    "v_cost_per_location",
    "v_efficiency_per_month",
    "v_samples",
    "v_sample_buckets",
}
D = Decimal
NIGHT = {
    "kind": "time_of_use",
    "name": "Night",
    "currency": "EUR",
    "bands": [
        {"price": "0.35", "start": 0, "end": 360},
        {"price": "0.20", "start": 360, "end": 1440},
    ],
}
TIBBER = {
    "kind": "price_entity",
    "name": "Tibber",
    "currency": "EUR",
    "price_series_id": "sensor.tibber_price",
}
IONITY = {"kind": "fixed", "name": "Ionity", "currency": "EUR", "price_per_kwh": "0.5"}


def cost(total: str, tariff: dict[str, Any]) -> Cost:
    return Cost(total=D(total), currency="EUR", source=CostSource.TARIFF, tariff=tariff)


@pytest.fixture
def ledger(migrated: DbConfig, make_writer: WriterFactory) -> Iterator[Reader]:
    """Two vehicles; sessions at home, work, a fast charger, unknown; trips.

    vehicle-1 (UTC): index 0..3 on 2025-04-30, 9.. on 2025-05-01 (2 h apart).
      s0 Home 10.5 kWh 3.1415 | s1 Home 20 kWh, cost override 0 | s2 Home -> Work
      s3 deleted | s7 (9, 02:00 UTC) Home 8 kWh 2.00 Night | s4 (10) Supercharger
      40 kWh 20.00 | s5 (11) nowhere, unpriced 5 kWh | s6 (12) Home in progress
      10.5 kWh 3.1415 | s8 (13) Home 6 kWh 1.50 Tibber
    vehicle-2: Home 10.5 kWh 3.1415, and "home" 10.5 kWh overridden to 1.00.
    """
    writer = make_writer(migrated)
    writer.enqueue_vehicle("vehicle-1", name="Model 3")
    writer.enqueue_vehicle("vehicle-2", name="Zoe")
    sessions = [
        make_session(0),
        make_session(1, energy=D(20)),
        make_session(2),
        make_session(3),
        replace(
            make_session(9, energy=D(8)),
            cost=cost("2.00", NIGHT),
        ),
        replace(
            make_session(10, energy=D(40)),
            place=Place("Supercharger"),
            cost=cost("20.00", IONITY),
            solar=None,
        ),
        replace(make_session(11, energy=D(5)), place=None, cost=None, solar=None),
        make_session(12, status=SessionStatus.IN_PROGRESS),
        replace(make_session(13, energy=D(6)), cost=cost("1.50", TIBBER)),
        make_session(0, vehicle="vehicle-2"),
        replace(make_session(1, vehicle="vehicle-2"), place=Place("home")),
    ]
    for session in sessions:
        writer.enqueue_session(session)
    writer.update_session(make_session(1).id, cost_override=D(0))
    writer.update_session(make_session(2).id, location_override="Work")
    writer.delete_session(make_session(3).id)
    writer.update_session(
        make_session(1, vehicle="vehicle-2").id, cost_override=D("1.00")
    )
    unmeasured = replace(
        make_trip(10),
        energy_kwh=None,
        energy_method=None,
        efficiency_wh_km=None,
        distance_km=D(10),
    )
    for trip in (
        make_trip(0),
        make_trip(1),
        make_trip(2),
        make_trip(9),
        unmeasured,
        make_trip(0, vehicle="vehicle-2"),
    ):
        writer.enqueue_trip(trip)
    writer.delete_trip(make_trip(2).id)
    # The first session's charging power, raw (v_samples).
    writer.enqueue_samples(
        [Sample("vehicle-1", "charger_power", T0 + 60.0 * i, 11.0) for i in range(5)]
    )
    # A charge a year before, its samples past the retention window (v_sample_buckets).
    year_ago = T0 - 365 * 86_400
    writer.enqueue_samples(
        [
            Sample("vehicle-1", "charger_power", year_ago + 60.0 * i, 7.0 + i % 4)
            for i in range(30)
        ]
    )
    writer.synced().result(10)
    reader = Reader(migrated)
    fold_samples(reader.engine, datetime(2024, 6, 1, tzinfo=UTC))
    yield reader
    reader.close()


def num(value: Any) -> Decimal | None:
    """A number of either backend as a Decimal (SQLite returns floats)."""
    return None if value is None else D(str(value))


def month_of(value: Any) -> str:
    """A view's month (date on PostgreSQL, text on SQLite) as 'YYYY-MM-01'."""
    return value.isoformat() if isinstance(value, date) else str(value)


def view(engine: Engine, name: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        query = text(f"SELECT * FROM {name}")  # noqa: S608 - a fixed view name
        return [dict(row) for row in conn.execute(query).mappings()]


# Views -----------------------------------------------------------------------------


def test_views_exist_and_go_with_a_downgrade(migrated: DbConfig) -> None:
    engine = make_engine(migrated, pooled=False)
    try:
        with engine.connect() as conn:
            assert set(inspect(conn).get_view_names()) == VIEWS
        migrate(migrated, "0001", downgrade=True)
        with engine.connect() as conn:
            assert set(inspect(conn).get_view_names()) == set()
            assert "charging_sessions" in inspect(conn).get_table_names()
        migrate(migrated)
        with engine.connect() as conn:
            assert set(inspect(conn).get_view_names()) == VIEWS
            if migrated.is_postgresql:
                schemas = conn.execute(
                    text(
                        "SELECT DISTINCT table_schema FROM information_schema.views"
                        " WHERE table_name LIKE 'v\\_%'"
                    )
                ).scalars()
                assert set(schemas) == {"ev_ledger"}
    finally:
        engine.dispose()


def test_sessions_per_month(ledger: Reader) -> None:
    rows = {
        (r["vehicle_key"], month_of(r["month"]), r["currency"]): r
        for r in view(ledger.engine, "v_sessions_per_month")
    }
    columns = [
        "sessions",
        "energy_kwh",
        "cost",
        "solar_kwh",
        "home_sessions",
        "home_energy_kwh",
        "home_cost",
        "away_sessions",
        "away_energy_kwh",
        "away_cost",
    ]
    expected = {
        ("vehicle-1", "2025-04-01", "EUR"): (
            3, "41", "6.283", "12", 2, "30.5", "3.1415", 1, "10.5", "3.1415",
        ),
        ("vehicle-1", "2025-05-01", "EUR"): (
            4, "64.5", "26.6415", "12", 3, "24.5", "6.6415", 1, "40", "20",
        ),
        ("vehicle-1", "2025-05-01", None): (
            1, "5", None, "0", 0, "0", None, 1, "5", None,
        ),
        ("vehicle-2", "2025-04-01", "EUR"): (
            2, "21", "4.1415", "8", 2, "21", "4.1415", 0, "0", None,
        ),
    }  # fmt: skip
    assert set(rows) == set(expected)
    for key, values in expected.items():
        row = rows[key]
        got = tuple(row[c] if c.endswith("sessions") else num(row[c]) for c in columns)
        want = tuple(v if isinstance(v, int) or v is None else D(v) for v in values)
        assert got == want, key
        assert row["vehicle_name"] == ("Model 3" if key[0] == "vehicle-1" else "Zoe")


def test_cost_per_location(ledger: Reader) -> None:
    rows = {
        (r["vehicle_key"], r["location"], r["currency"]): r
        for r in view(ledger.engine, "v_cost_per_location")
    }
    expected = {
        ("vehicle-1", "Home", "EUR"): (5, "55", "9.783", "0.1779"),
        ("vehicle-1", "Work", "EUR"): (1, "10.5", "3.1415", "0.2992"),
        ("vehicle-1", "Supercharger", "EUR"): (1, "40", "20", "0.5"),
        ("vehicle-1", None, None): (1, "5", None, None),
        ("vehicle-2", "Home", "EUR"): (1, "10.5", "3.1415", "0.2992"),
        ("vehicle-2", "home", "EUR"): (1, "10.5", "1", "0.0952"),
    }
    assert set(rows) == set(expected)
    for key, (sessions, energy, total, average) in expected.items():
        row = rows[key]
        assert row["sessions"] == sessions, key
        assert num(row["energy_kwh"]) == D(energy), key
        assert num(row["cost"]) == (None if total is None else D(total)), key
        assert num(row["avg_cost_per_kwh"]) == (
            None if average is None else D(average)
        ), key
    home = rows["vehicle-1", "Home", "EUR"]
    first, last = (str(home[c])[:16] for c in ("first_session_at", "last_session_at"))
    assert (first, last) == ("2025-04-30 08:00", "2025-05-01 10:00")


def test_efficiency_per_month(ledger: Reader) -> None:
    rows = {
        (r["vehicle_key"], month_of(r["month"])): r
        for r in view(ledger.engine, "v_efficiency_per_month")
    }
    expected = {
        ("vehicle-1", "2025-04-01"): (2, "46.8", "7.8", "166.7", "16.67", "11"),
        ("vehicle-1", "2025-05-01"): (2, "33.4", "3.9", "166.7", "16.67", "11"),
        ("vehicle-2", "2025-04-01"): (1, "23.4", "3.9", "166.7", "16.67", "11"),
    }
    assert set(rows) == set(expected)
    for key, (trips, *values) in expected.items():
        row = rows[key]
        assert row["trips"] == trips
        got = [
            num(row[c])
            for c in (
                "distance_km",
                "energy_kwh",
                "wh_per_km",
                "kwh_per_100km",
                "avg_outside_temp_c",
            )
        ]
        assert got == [D(v) for v in values], key


def doc_queries() -> list[str]:
    """The ```sql blocks of docs/sql.md."""
    doc = (ROOT / "docs" / "sql.md").read_text()
    return re.findall(r"```sql\n(.*?)```", doc, flags=re.DOTALL)


def test_docs_have_examples() -> None:
    assert 4 <= len(doc_queries()) <= 8


@pytest.mark.parametrize("index", range(len(doc_queries())))
def test_doc_queries_run(ledger: Reader, index: int) -> None:
    query = doc_queries()[index].strip().rstrip(";")
    with ledger.engine.connect() as conn:
        rows = conn.execute(text(query)).all()
    assert rows, query


# Exports ---------------------------------------------------------------------------


def test_session_export_parses_back_to_the_records(
    ledger: Reader, tmp_path: Path
) -> None:
    report = export_sessions_csv(ledger, tmp_path / "out" / "sessions.csv")
    assert report.path == tmp_path / "out" / "sessions.csv"
    assert parse_csv(report.path) == report.rows
    stored = {row["id"]: row for row in ledger.list_sessions(limit=500).items}
    assert len(report.rows) == len(stored) == 10
    starts = [row["started_at"] for row in report.rows]
    assert starts == sorted(starts)
    for row in report.rows:
        record = stored[row["id"]]
        assert set(row) == set(record) | {"vehicle_key", "vehicle_name"}
        for column, value in record.items():
            assert row[column] == value, column
            assert type(row[column]) is type(value), column
    with report.path.open() as stream:
        header = stream.readline().strip().split(",")
    assert tuple(header) == SESSION_COLUMNS
    text_cells = report.path.read_text()
    assert "2025-04-30T08:00:00+00:00" in text_cells
    assert ",10.5000," in text_cells
    json.dumps(report.json_rows())  # response data is JSON-safe
    assert report.json_rows()[0]["energy_kwh"] == "10.5000"


def test_session_export_filters(ledger: Reader, tmp_path: Path) -> None:
    home = export_sessions_csv(
        ledger, tmp_path / "home.csv", vehicle="vehicle-1", location="zone.home"
    )
    assert [r["energy_kwh"] for r in home.rows] == [
        D("10.5"), D(20), D(8), D("10.5"), D(6),
    ]  # fmt: skip
    april = export_sessions_csv(
        ledger,
        tmp_path / "april.csv",
        start=datetime(2025, 4, 1, tzinfo=UTC),
        end=datetime(2025, 5, 1, tzinfo=UTC),
        location="HOME",
    )
    assert {r["vehicle_key"] for r in april.rows} == {"vehicle-1", "vehicle-2"}
    assert len(april.rows) == 4
    assert parse_csv(april.path) == april.rows


def test_trip_export_parses_back_and_filters(
    ledger: Reader, migrated: DbConfig, tmp_path: Path
) -> None:
    report = export_trips_csv(migrated, tmp_path / "trips.csv")  # from a config
    assert parse_csv(report.path) == report.rows
    stored = {row["id"]: row for row in ledger.list_trips(limit=500).items}
    assert len(report.rows) == len(stored) == 5
    for row in report.rows:
        for column, value in stored[row["id"]].items():
            assert row[column] == value, column
    assert tuple(report.rows[0]) == TRIP_COLUMNS
    assert report.rows[0]["flags"] == ["inferred"]
    unmeasured = [r for r in report.rows if r["energy_kwh"] is None]
    assert len(unmeasured) == 1
    mine = export_trips_csv(
        ledger, tmp_path / "mine.csv", vehicle="vehicle-2", location="Home"
    )
    assert len(mine.rows) == 1
    nowhere = export_trips_csv(ledger, tmp_path / "none.csv", location="Nowhere")
    assert nowhere.rows == []
    assert parse_csv(nowhere.path) == []
    assert nowhere.path.read_text().startswith("id,vehicle_id,")


# Reimbursement report ------------------------------------------------------------


def test_home_charging_report(ledger: Reader, tmp_path: Path) -> None:
    report = home_charging_report_csv(ledger, tmp_path / "home.csv")
    assert parse_csv(report.path) == report.rows
    got = [
        (
            r["vehicle_key"],
            r["vehicle_name"],
            r["month"],
            r["currency"],
            r["sessions"],
            r["energy_kwh"],
            r["wall_energy_kwh"],
            r["cost"],
            r["tariffs"],
        )
        for r in report.rows
    ]
    assert got == [
        ("vehicle-1", "Model 3", "2025-04", "EUR", 2, D("30.5"), D("32.5"),
         D("3.1415"), "fixed 0.30/kWh"),
        ("vehicle-1", "Model 3", "2025-05", "EUR", 2, D(14), D(16), D("3.5"),
         "Night: time_of_use 0.20-0.35 EUR/kWh; Tibber: price_entity (dynamic) EUR"),
        ("vehicle-2", "Zoe", "2025-04", "EUR", 2, D(21), D(23), D("4.1415"),
         "fixed 0.30/kWh"),
    ]  # fmt: skip
    assert tuple(report.rows[0]) == HOME_CHARGING_COLUMNS
    # Totals match the completed home sessions, found independently.
    sessions = [
        s
        for s in ledger.list_sessions(limit=500).items
        if normalize_zone(s["effective_location"] or "-") == "home"
        and s["status"] == "completed"
    ]
    assert sum(r["sessions"] for r in report.rows) == len(sessions) == 6
    assert sum(r["energy_kwh"] for r in report.rows) == sum(
        s["energy_kwh"] for s in sessions
    )
    assert sum(r["cost"] for r in report.rows) == sum(s["cost"] for s in sessions)
    assert report.json_rows()[0]["cost"] == "3.1415"


def test_home_charging_report_local_months_and_filters(
    ledger: Reader, migrated: DbConfig, tmp_path: Path
) -> None:
    # 2025-05-01 02:00 UTC is still April in Los Angeles.
    local = home_charging_report_csv(
        migrated,
        tmp_path / "la.csv",
        vehicle="vehicle-1",
        tz="America/Los_Angeles",
    )
    assert [(r["month"], r["sessions"], r["cost"]) for r in local.rows] == [
        ("2025-04", 3, D("5.1415")),
        ("2025-05", 1, D("1.5")),
    ]
    assert local.rows[0]["tariffs"] == (
        "fixed 0.30/kWh; Night: time_of_use 0.20-0.35 EUR/kWh"
    )
    work = home_charging_report_csv(ledger, tmp_path / "work.csv", home_zone="Work")
    assert [(r["sessions"], r["energy_kwh"]) for r in work.rows] == [(1, D("10.5"))]
    none = home_charging_report_csv(
        ledger,
        tmp_path / "none.csv",
        start=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert none.rows == []


# Pieces ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (None, None),
        ({}, None),
        ({"kind": "free", "name": "Work"}, "Work: free"),
        ({"kind": "fixed", "price_per_kwh": "0.31", "currency": "EUR"},
         "fixed 0.31 EUR/kWh"),
        ({"kind": "fixed"}, "fixed"),
        ({"kind": "time_of_use", "bands": [{"price": "0.2"}], "currency": "CHF"},
         "time_of_use 0.2 CHF/kWh"),
        ({"kind": "price_entity"}, "price_entity (dynamic)"),
        ({"price": "0.30"}, "unknown 0.30/kWh"),
    ],
)  # fmt: skip
def test_describe_tariff(doc: dict[str, Any] | None, expected: str | None) -> None:
    assert describe_tariff(doc) == expected


@pytest.mark.parametrize("zone", ["home", "Home", "zone.home", " Work Place ", "a-b"])
def test_zone_keys_match_the_engine(zone: str) -> None:
    assert zone_key(zone) == normalize_zone(zone)
    assert zone_key(None) is None
    assert zone_key(" ") is None  # no place, not a place named ""


def test_parse_refuses_bad_cells(tmp_path: Path) -> None:
    bad_bool = tmp_path / "bool.csv"
    bad_bool.write_text("is_free\nyes\n")
    with pytest.raises(ValueError, match="boolean"):
        parse_csv(bad_bool)
    naive = tmp_path / "naive.csv"
    naive.write_text("started_at\n2025-04-30T08:00:00\n")
    with pytest.raises(ValueError, match="offset"):
        parse_csv(naive)
    good = tmp_path / "good.csv"
    good.write_text("is_free,started_at,notes\nfalse,2025-04-30T10:00:00+02:00,\n")
    assert parse_csv(good) == [
        {
            "is_free": False,
            "started_at": datetime(2025, 4, 30, 8, tzinfo=UTC),
            "notes": None,
        }
    ]


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "x.csv"
    target.write_text("old")
    with pytest.raises(ValueError, match="fields not in fieldnames"):
        write_csv(target, ("a",), [{"a": 1, "b": 2}])
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"]
    assert target.read_text() == "old"
    written = write_csv(target, ("a", "b"), [{"a": True, "b": None}])
    assert parse_csv(written) == [{"a": "true", "b": None}]
    assert Report(written).rows == []


def test_home_rows_without_cost_wall_energy_or_tariff() -> None:
    session = {
        "vehicle_id": "v",
        "vehicle_key": None,
        "vehicle_name": None,
        "status": "inferred",
        "effective_location": "zone.home",
        "started_at": datetime(2025, 1, 31, 23, 30, tzinfo=UTC),
        "currency": None,
        "energy_kwh": D("2.5"),
        "wall_energy_kwh": None,
        "cost": None,
        "tariff": None,
    }
    rows = home_charging_rows([session, session], tz="Europe/Berlin")
    assert rows == [
        {
            "vehicle_id": "v",
            "vehicle_key": None,
            "vehicle_name": None,
            "month": "2025-02",
            "currency": None,
            "sessions": 2,
            "energy_kwh": D(5),
            "wall_energy_kwh": None,
            "cost": None,
            "tariffs": None,
        }
    ]


@given(st.lists(st.text(max_size=12), min_size=1, max_size=6))
def test_text_never_reads_as_a_formula(texts: list[str]) -> None:
    """Notes and place names come from users: a spreadsheet must show them as text.

    A cell starting with =, +, -, @, a tab or a carriage return would run as a formula
    (CSV injection); such text gets a leading apostrophe, and reads back unchanged.
    """
    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(
            Path(folder) / "notes.csv",
            ("notes",),
            [{"notes": text} for text in texts],
        )
        with path.open(newline="", encoding="utf-8") as stream:
            cells = [row["notes"] for row in csv.DictReader(stream)]
        assert not any(
            cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells
        )
        assert parse_csv(path) == [{"notes": text or None} for text in texts]
    assert _cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert _cell(Decimal("-1.5")) == "-1.5"  # numbers stay numbers
