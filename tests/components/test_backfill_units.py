"""The backfill's pieces on their own: overlap rule, dedup, recorder backlog, results.

`test_backfill.py` runs whole backfills through a real recorder; here each decision
is checked against a small table, with a fake reader where the database would answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
import json
import math
from typing import TYPE_CHECKING, Any, cast

import pytest

from custom_components.ev_ledger import backfill
from custom_components.ev_ledger.backfill import (
    MAX_PAUSES,
    MAX_RECORDER_BACKLOG,
    BackfillResult,
    _async_wait_for_recorder,
    _new_days,
    _new_records,
    _older,
    _overlaps,
    notification_id,
    recorder_loaded,
)
from custom_components.ev_ledger.const import DOMAIN
from custom_components.ev_ledger.db.rows import SiteDaily
from custom_components.ev_ledger.logic.ids import record_id
from custom_components.ev_ledger.logic.model import (
    ChargingSession,
    DistanceMethod,
    EnergyMethod,
    SessionStatus,
    Trip,
)

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from custom_components.ev_ledger.db import Reader

CAR = "01JVEHICLE0000000000000001"
T0 = 1_772_460_000.0
INF = math.inf


# _overlaps -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "spans", "expected"),
    [
        pytest.param(10, 20, [], False, id="nothing stored"),
        pytest.param(10, 20, [(20, 30)], False, id="touching after"),
        pytest.param(10, 20, [(0, 10)], False, id="touching before"),
        pytest.param(10, 20, [(0, 100)], True, id="inside a stored one"),
        pytest.param(0, 100, [(10, 20)], True, id="containing a stored one"),
        pytest.param(10, 20, [(15, 30)], True, id="overlapping the end"),
        pytest.param(10, 20, [(5, 15)], True, id="overlapping the start"),
        pytest.param(10, 20, [(10, 15)], True, id="same start, shorter"),
        pytest.param(10, 10, [(10, 30)], True, id="zero-length at a start"),
        pytest.param(10, None, [(10, 30)], True, id="open at a start"),
        pytest.param(10, 10, [(0, 30)], True, id="zero-length inside"),
        pytest.param(10, None, [(0, 30)], True, id="open inside"),
        pytest.param(10, 10, [(0, 10)], False, id="zero-length at an end"),
        pytest.param(10, 10, [(10, 10)], True, id="zero-length on zero-length"),
        pytest.param(10, 10, [(11, 11)], False, id="zero-length apart"),
        pytest.param(10, 20, [(15, 15)], True, id="a stored instant inside"),
        pytest.param(10, 20, [(20, 20)], False, id="a stored instant at the end"),
        pytest.param(50, 60, [(10, INF)], True, id="inside a stored open record"),
        pytest.param(50, 50, [(10, INF)], True, id="instant in a stored open record"),
        pytest.param(0, 10, [(10, INF)], False, id="ending as a stored open starts"),
        pytest.param(0, 5, [(10, INF)], False, id="before a stored open record"),
        pytest.param(10, 20, [(0, 5), (30, 40), (19, 25)], True, id="any span counts"),
    ],
)
def test_overlaps(
    start: float,
    end: float | None,
    spans: list[tuple[float, float]],
    expected: bool,
) -> None:
    """Records overlap when they share time or a start; touching ones do not."""
    assert _overlaps(start, end, spans) is expected


# _new_records / _new_days with a fake reader ---------------------------------------


@dataclass
class FakeReader:
    """Answers `record_spans` and `site_days` from fixed data; records the calls."""

    spans: list[tuple[str, datetime, datetime | None]] = field(default_factory=list)
    days: dict[str, set[date]] = field(default_factory=dict)
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    def record_spans(
        self, kind: str, vehicle: str, start: datetime, end: datetime
    ) -> list[tuple[str, datetime, datetime | None]]:
        self.calls.append(("record_spans", kind, vehicle, start, end))
        return self.spans

    def site_days(self, site: str, first: date, last: date) -> set[date]:
        self.calls.append(("site_days", site, first, last))
        return self.days.get(site, set())


def _reader(fake: FakeReader) -> Reader:
    return cast("Reader", fake)


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _trip(start: float, end: float, seq: int = 0) -> Trip:
    return Trip(
        id=record_id(CAR, "trip", T0 + start, seq),
        vehicle_id=CAR,
        started_at=T0 + start,
        ended_at=T0 + end,
        distance_km=Decimal(10),
        distance_method=DistanceMethod.ODOMETER,
    )


def _session(start: float, end: float) -> ChargingSession:
    return ChargingSession(
        id=record_id(CAR, "session", T0 + start),
        vehicle_id=CAR,
        status=SessionStatus.COMPLETED,
        plugged_at=T0 + start,
        started_at=T0 + start,
        ended_at=T0 + end,
        unplugged_at=T0 + end,
        charging_seconds=end - start,
        plugged_seconds=end - start,
        energy_kwh=Decimal(5),
        energy_method=EnergyMethod.POWER_INTEGRATION,
    )


def _span(
    record_key: str, start: float, end: float | None
) -> tuple[str, datetime, datetime | None]:
    return (record_key, _dt(T0 + start), None if end is None else _dt(T0 + end))


def test_new_records_without_records_asks_nothing() -> None:
    """Nothing derived: no query, nothing skipped."""
    fake = FakeReader()
    assert _new_records(_reader(fake), "trip", CAR, []) == ([], 0)
    assert fake.calls == []


@pytest.mark.parametrize(
    ("stored", "kept"),
    [
        pytest.param([], [0, 1, 2], id="nothing stored: all new"),
        pytest.param(
            [_span(_trip(100, 200).id, 5000, 6000)], [0, 2], id="same id elsewhere"
        ),
        pytest.param([_span("other", 150, 160)], [0, 2], id="overlapping a stored"),
        pytest.param([_span("other", 200, 300)], [0, 1, 2], id="touching a stored"),
        pytest.param([_span("other", 250, None)], [0, 1], id="after an open stored"),
        pytest.param(
            [_span("a", 0, 50), _span("b", 300, 400)], [1], id="two stored, one free"
        ),
    ],
)
def test_new_records_trips(
    stored: list[tuple[str, datetime, datetime | None]], kept: list[int]
) -> None:
    """Derived trips already stored (by id) or overlapping a stored one are skipped."""
    trips = [_trip(0, 60), _trip(100, 200), _trip(300, 360)]
    fake = FakeReader(spans=stored)
    new, skipped = _new_records(_reader(fake), "trip", CAR, trips)
    assert new == [trips[i] for i in kept]
    assert skipped == len(trips) - len(kept)
    # One query over the whole batch, just wider than it (the bounds are exclusive).
    [(name, kind, vehicle, start, end)] = fake.calls
    assert (name, kind, vehicle) == ("record_spans", "trips", CAR)
    assert start < _dt(T0) < _dt(T0 + 360) < end
    assert end - start < timedelta(seconds=361)


def test_new_records_sessions_overlapping_each_other() -> None:
    """Of two derived sessions that overlap, the first is kept (never both)."""
    first, second, later = _session(0, 600), _session(300, 900), _session(900, 1200)
    fake = FakeReader()
    new, skipped = _new_records(_reader(fake), "session", CAR, [first, second, later])
    assert new == [first, later]
    assert skipped == 1
    assert fake.calls[0][1] == "sessions"


def _day(site: str, day: int, kwh: str) -> SiteDaily:
    return SiteDaily(site_id=site, day=date(2026, 3, day), produced_kwh=Decimal(kwh))


def test_new_days_latest_wins_and_stored_days_are_kept() -> None:
    """The last summary of a day wins; a day already stored is never written again."""
    days = [
        _day("a", 1, "1"),
        _day("a", 2, "2"),
        _day("b", 2, "20"),
        _day("a", 2, "2.5"),  # the same day again, later: this one counts
        _day("a", 4, "4"),
        _day("b", 3, "30"),
    ]
    fake = FakeReader(days={"a": {date(2026, 3, 1)}, "b": {date(2026, 3, 3)}})
    new = _new_days(_reader(fake), days)
    assert sorted((d.site_id, d.day.day, d.produced_kwh) for d in new) == [
        ("a", 2, Decimal("2.5")),
        ("a", 4, Decimal(4)),
        ("b", 2, Decimal(20)),
    ]
    # One query per site, over the site's own range of days.
    assert sorted(fake.calls) == [
        ("site_days", "a", date(2026, 3, 1), date(2026, 3, 4)),
        ("site_days", "b", date(2026, 3, 2), date(2026, 3, 3)),
    ]


def test_new_days_without_days_asks_nothing() -> None:
    """No summaries: no query."""
    fake = FakeReader()
    assert _new_days(_reader(fake), []) == []
    assert fake.calls == []


# The recorder's backlog ------------------------------------------------------------


@pytest.mark.parametrize(
    ("backlogs", "calls"),
    [
        pytest.param([0], 1, id="idle recorder: no pause"),
        pytest.param([MAX_RECORDER_BACKLOG], 1, id="at the limit: no pause"),
        pytest.param([MAX_RECORDER_BACKLOG + 1, 5], 2, id="one pause"),
        pytest.param([5000, 3000, 2000, 10], 4, id="drains after three pauses"),
        pytest.param([10**6] * (MAX_PAUSES + 5), MAX_PAUSES, id="stuck: gives up"),
    ],
)
async def test_wait_for_recorder(
    monkeypatch: pytest.MonkeyPatch, backlogs: list[int], calls: int
) -> None:
    """The backfill waits while the recorder's queue is long, but not forever."""
    monkeypatch.setattr(backfill, "BACKLOG_PAUSE_S", 0)
    asked: list[int] = []

    def backlog() -> int:
        value = backlogs[len(asked)]
        asked.append(value)
        return value

    await _async_wait_for_recorder(backlog)
    assert len(asked) == calls


# Sensors' last records -------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "ended_at", "expected"),
    [
        pytest.param(None, T0, True, id="no last record"),
        pytest.param(None, None, True, id="no last record, open"),
        pytest.param({"ended_at": _dt(T0).isoformat()}, None, False, id="open one"),
        pytest.param({}, T0, True, id="last record without an end"),
        pytest.param({"ended_at": None}, T0, True, id="last record end None"),
        pytest.param({"ended_at": _dt(T0 - 1).isoformat()}, T0, True, id="older"),
        pytest.param({"ended_at": _dt(T0).isoformat()}, T0, False, id="same"),
        pytest.param({"ended_at": _dt(T0 + 1).isoformat()}, T0, False, id="newer"),
        pytest.param(
            {"ended_at": "2026-03-02T14:59:59+01:00"}, T0, True, id="other offset"
        ),
    ],
)
def test_older(
    record: dict[str, Any] | None, ended_at: float | None, expected: bool
) -> None:
    """A backfilled record replaces a sensor's last record only when it is newer."""
    assert _older(record, ended_at) is expected


# Results ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chunks", "done", "progress"),
    [(0, 0, 1.0), (4, 0, 0.0), (4, 1, 0.25), (3, 1, 0.3333), (3, 3, 1.0)],
)
def test_result_progress(chunks: int, done: int, progress: float) -> None:
    """Progress is the share of chunks done; an empty backfill is done."""
    result = BackfillResult(start=_dt(T0), end=_dt(T0), chunks=chunks, chunks_done=done)
    assert round(result.progress, 4) == progress
    assert result.as_dict()["progress"] == progress


def test_result_as_dict_is_json() -> None:
    """The action's response: ISO times, rounded figures, plain JSON."""
    result = BackfillResult(
        start=_dt(T0),
        end=_dt(T0 + 86400),
        vehicles=[CAR],
        chunks=4,
        chunks_done=4,
        rejected={"bad_unit": 2},
        sessions_added=1,
        seconds=1.23456,
        running=False,
    )
    data = json.loads(json.dumps(result.as_dict()))
    assert data["start"] == "2026-03-02T14:00:00+00:00"
    assert data["end"] == "2026-03-03T14:00:00+00:00"
    assert data["seconds"] == 1.235
    assert data["progress"] == 1.0
    assert data["vehicles"] == [CAR]
    assert data["rejected"] == {"bad_unit": 2}
    assert data["sessions_added"] == 1
    assert data["running"] is False


# Recorder presence -----------------------------------------------------------------


async def test_recorder_loaded(hass: HomeAssistant) -> None:
    """Whether the recorder is there to read from."""
    assert "recorder" not in hass.config.components
    assert not recorder_loaded(hass)
    hass.config.components.add("recorder")
    try:
        assert recorder_loaded(hass)
    finally:
        hass.config.components.remove("recorder")


def test_notification_id_is_per_entry() -> None:
    """Each ledger has its own progress notification."""
    assert notification_id("a") != notification_id("b")
    assert notification_id("a").startswith(DOMAIN)
