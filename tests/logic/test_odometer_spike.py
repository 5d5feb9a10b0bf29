"""An odometer spike must not poison the readings after it (issue 15, B6).

A reading that jumps further than any car can drive since the last reading is held:
if the next reading continues from before the jump, the jump was a glitch (rejected,
counted as a spike); if it moves on from the jump, the jump was real (the odometer
starts from there, and the jump itself is no trip). Expected values are worked out
from the odometer readings themselves.
"""

from __future__ import annotations

from decimal import Decimal
import json
import math
from typing import Any

from hypothesis import given, strategies as st

from custom_components.ev_ledger.logic.config import VehicleConfig
from custom_components.ev_ledger.logic.model import (
    DomainEvent,
    Reading,
    Reject,
    Role,
    SessionCompleted,
    TripCompleted,
)
from custom_components.ev_ledger.logic.vehicle import VehicleLedger

from .strategies import vehicle_streams
from .trace import Trace, at, hours, minutes, run

T = at("2026-03-02 08:00")
SPIKE = 999_999.0  # within the odometer's bounds (5,000,000 km)


def _odometer_drive(trace: Trace, start: float, km_from: float, km: int) -> None:
    """An odometer-only car driving `km` at 60 km/h from `start`, a reading a minute."""
    for i in range(1, km + 1):
        trace.add(start + minutes(i), Role.ODOMETER, km_from + i)


def test_spike_while_parked_is_rejected_and_the_next_drive_is_kept() -> None:
    trace = Trace()
    trace.add(T, Role.ODOMETER, 1000.0)
    trace.add(T + minutes(10), Role.ODOMETER, SPIKE)
    trace.add(T + minutes(20), Role.ODOMETER, 1000.0)
    _odometer_drive(trace, T + minutes(20), 1000.0, 20)
    out = run(trace.readings, until=T + hours(3))
    (trip,) = out.trips
    # 1000 -> 1020 km, one kilometre a minute from 08:20 to 08:40.
    assert trip.distance_km == Decimal("20.000")
    assert trip.start_odometer_km == Decimal("1000.000")
    assert trip.end_odometer_km == Decimal("1020.000")
    assert trip.started_at == T + minutes(20)
    assert trip.ended_at == T + minutes(40)
    assert out.ledger.rejected == {Reject.SPIKE: 1}
    assert out.ledger.accepted == len(trace.readings) - 1


def test_spike_during_a_drive_leaves_the_trip_whole() -> None:
    trace = Trace().add(T, Role.SHIFT_STATE, "D").add(T, Role.ODOMETER, 1000.0)
    _odometer_drive(trace, T, 1000.0, 20)
    trace.readings.insert(12, Reading(T + minutes(10) + 30, Role.ODOMETER, SPIKE))
    trace.add(T + minutes(20), Role.SHIFT_STATE, "P")
    out = run(trace.readings, until=T + hours(3))
    (trip,) = out.trips
    assert trip.distance_km == Decimal("20.000")
    assert trip.end_odometer_km == Decimal("1020.000")
    assert out.ledger.rejected == {Reject.SPIKE: 1}


def test_a_real_jump_moves_the_odometer_and_is_no_trip() -> None:
    """A replaced instrument cluster (or a re-mapped sensor): 1,000 km, then 51,000."""
    trace = Trace()
    trace.add(T, Role.ODOMETER, 1000.0)
    trace.add(T + minutes(10), Role.ODOMETER, 51_000.0)
    trace.add(T + minutes(20), Role.ODOMETER, 51_000.0)  # parked: still held
    _odometer_drive(trace, T + minutes(20), 51_000.0, 20)
    out = run(trace.readings, until=T + hours(3))
    (trip,) = out.trips
    assert trip.distance_km == Decimal("20.000")
    assert trip.start_odometer_km == Decimal("51000.000")
    # It stood at 51,000 km at 08:20; 20 km at 60 km/h end at 08:40.
    assert trip.started_at == T + minutes(20)
    assert trip.ended_at == T + minutes(40)
    assert out.ledger.rejected == {}
    assert out.ledger.accepted == len(trace.readings)


def test_a_real_jump_during_a_trip_ends_it_there() -> None:
    trace = Trace().add(T, Role.SHIFT_STATE, "D").add(T, Role.ODOMETER, 1000.0)
    _odometer_drive(trace, T, 1000.0, 10)
    trace.add(T + minutes(11), Role.ODOMETER, 61_010.0)
    trace.add(T + minutes(12), Role.ODOMETER, 61_011.0)
    trace.add(T + minutes(15), Role.SHIFT_STATE, "P")
    out = run(trace.readings, until=T + hours(3))
    first, second = out.trips
    assert (first.start_odometer_km, first.end_odometer_km) == (1000, 1010)
    assert first.ended_at == T + minutes(10)  # its last motion
    assert (second.start_odometer_km, second.end_odometer_km) == (61_010, 61_011)
    assert second.distance_km == Decimal("1.000")
    assert second.started_at == T + minutes(11)
    assert second.ended_at == T + minutes(15)
    assert out.ledger.rejected == {}


def test_a_fast_but_drivable_rise_is_accepted_at_once() -> None:
    """500 km/h is the bound: 500 km in an hour (plus the 5 km margin) is a drive."""
    trace = Trace()
    trace.add(T, Role.ODOMETER, 1000.0)
    trace.add(T + hours(1), Role.ODOMETER, 1504.9)
    out = run(trace.readings, until=T + hours(3))
    (trip,) = out.trips
    assert trip.distance_km == Decimal("504.900")
    assert out.ledger.rejected == {}


def test_just_beyond_drivable_is_held() -> None:
    trace = Trace()
    trace.add(T, Role.ODOMETER, 1000.0)
    trace.add(T + hours(1), Role.ODOMETER, 1505.1)
    trace.add(T + hours(2), Role.ODOMETER, 1000.0)
    out = run(trace.readings, until=T + hours(3))
    assert out.trips == []
    assert out.ledger.rejected == {Reject.SPIKE: 1}


def test_spikes_in_a_row_are_each_rejected() -> None:
    trace = Trace()
    trace.add(T, Role.ODOMETER, 1000.0)
    trace.add(T + minutes(1), Role.ODOMETER, SPIKE)
    trace.add(T + minutes(2), Role.ODOMETER, 500_000.0)  # another glitch, not a drive
    trace.add(T + minutes(3), Role.ODOMETER, SPIKE)
    trace.add(T + minutes(4), Role.ODOMETER, SPIKE)  # the same glitch twice
    trace.add(T + minutes(5), Role.ODOMETER, 1000.0)
    _odometer_drive(trace, T + minutes(5), 1000.0, 12)
    out = run(trace.readings, until=T + hours(3))
    (trip,) = out.trips
    assert trip.distance_km == Decimal("12.000")
    assert out.ledger.rejected == {Reject.SPIKE: 4}
    assert out.ledger.accepted == len(trace.readings) - 4


def test_a_held_spike_survives_a_restart() -> None:
    config = VehicleConfig(vehicle_id="car")
    ledger = VehicleLedger(config)
    ledger.replay(
        [Reading(T, Role.ODOMETER, 1000.0), Reading(T + 60, Role.ODOMETER, SPIKE)]
    )
    data = json.loads(json.dumps(ledger.to_dict(), allow_nan=False))
    restored = VehicleLedger.from_dict(config, data)
    trace = Trace().add(T + minutes(2), Role.ODOMETER, 1000.0)
    _odometer_drive(trace, T + minutes(2), 1000.0, 10)
    events = restored.replay(trace.readings) + list(restored.advance(T + hours(3)))
    (trip,) = [e.trip for e in events if isinstance(e, TripCompleted)]
    assert trip.distance_km == Decimal("10.000")
    assert restored.rejected == {Reject.SPIKE: 1}


# A single spike anywhere in a plausible stream --------------------------------------


def _records(events: list[DomainEvent]) -> list[Any]:
    return [
        e.trip if isinstance(e, TripCompleted) else e.session
        for e in events
        if isinstance(e, TripCompleted | SessionCompleted)
    ]


def _replay(readings: list[Reading]) -> tuple[VehicleLedger, list[Any]]:
    ledger = VehicleLedger(VehicleConfig(vehicle_id="car", min_trip_km=0.0))
    events = ledger.replay(readings)
    end = max(r.ts for r in readings)
    events += ledger.advance(end + 1e6)
    return ledger, _records(events)


@given(st.data())
def test_a_single_spike_never_loses_the_records_after_it(data: Any) -> None:
    """A spike after any odometer reading of a stream: the same trips and sessions.

    The spike comes at the time of the reading before it, so time moves exactly as
    without it. When another odometer reading follows, the spike is counted.
    """
    _, readings = data.draw(vehicle_streams())
    odometer = [
        i
        for i, r in enumerate(readings)
        if r.role is Role.ODOMETER and r.value.__class__ is float
    ]
    if not odometer:
        return
    pos = data.draw(st.sampled_from(odometer))
    before = readings[pos]
    assert isinstance(before.value, float)
    jump = data.draw(st.floats(10.0, 4_000_000.0))
    spike = Reading(before.ts, Role.ODOMETER, min(before.value + jump, 5e6))
    spiked = [*readings[: pos + 1], spike, *readings[pos + 1 :]]
    clean_ledger, clean = _replay(readings)
    ledger, records = _replay(spiked)
    assert records == clean
    later = any(
        r.role is Role.ODOMETER and r.value is not None for r in readings[pos + 1 :]
    )
    assert ledger.rejected == ({Reject.SPIKE: 1} if later else {})
    # A spike nothing followed is still held (counted as accepted until then).
    assert ledger.accepted == clean_ledger.accepted + (0 if later else 1)
    assert math.isclose(ledger.now, clean_ledger.now)
