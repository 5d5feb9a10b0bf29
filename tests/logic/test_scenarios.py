"""Scenario tests: realistic traces modelled on how real integrations report.

Every expected number is worked out here from first principles (power x time, level
delta x capacity, odometer deltas), not copied from the engine's output.
"""

from __future__ import annotations

from decimal import Decimal
import json
import random
from typing import Any

import pytest

from custom_components.ev_ledger.logic.config import VehicleConfig
from custom_components.ev_ledger.logic.integrate import IntegrationMethod
from custom_components.ev_ledger.logic.model import (
    ChargeState,
    ChargeType,
    DistanceMethod,
    EnergyMethod,
    Flag,
    Place,
    Reading,
    Reject,
    Role,
    SessionCompleted,
    SessionStatus,
)
from custom_components.ev_ledger.logic.units import to_km, to_kw
from custom_components.ev_ledger.logic.vehicle import VehicleLedger

from .trace import Trace, at, hours, minutes, run

T = at("2026-03-02 18:00")  # a Monday evening in Berlin


def cfg(**kwargs: Any) -> VehicleConfig:
    return VehicleConfig(vehicle_id="car", **kwargs)


def tapering(t: float) -> float:
    """11 kW for an hour, then a linear taper to 5 kW over the second hour."""
    if t <= 3600:
        return 11.0
    return 11.0 - 6.0 * (t - 3600) / 3600


def taper_trace(every: float) -> Trace:
    trace = Trace().add(T, Role.PLUGGED, True)
    trace.add(T, Role.CHARGING_STATE, ChargeState.CHARGING)
    trace.series(T, T + hours(2), every, Role.CHARGER_POWER, tapering)
    trace.add(T + hours(2), Role.CHARGER_POWER, 5.0)
    trace.add(T + hours(2), Role.CHARGING_STATE, ChargeState.COMPLETE)
    trace.add(T + hours(2), Role.CHARGER_POWER, 0.0)
    trace.add(T + hours(3), Role.PLUGGED, False)
    return trace


# Exact energy of the taper: 11 kWh in the first hour + mean(11, 5) x 1 h = 19 kWh.
TAPER_KWH = 11.0 + (11.0 + 5.0) / 2


def test_streaming_every_second_zero_order_hold() -> None:
    """~1 s streaming (Tesla Fleet telemetry): ZOH is exact to the Wh."""
    out = run(taper_trace(1.0).readings, until=T + hours(4))
    (session,) = out.sessions
    # Left Riemann sum on a falling ramp over-counts by about dP/2 x 1 s = 3 kWs.
    assert abs(float(session.energy_kwh) - TAPER_KWH) <= 0.002
    assert session.energy_method is EnergyMethod.POWER_INTEGRATION
    assert session.charging_seconds == hours(2)
    assert session.plugged_seconds == hours(3)
    assert session.max_power_kw == 11.0
    assert session.charge_type is ChargeType.AC
    assert session.avg_power_kw == pytest.approx(TAPER_KWH / 2, abs=0.01)
    assert session.plugged_at == T
    assert session.unplugged_at == T + hours(3)
    assert session.status is SessionStatus.COMPLETED


def test_polled_every_ten_minutes_trapezoid_vs_hold() -> None:
    """A 10-minute poll: the trapezoid rule is exact on ramps; a hold over-counts."""
    trapezoid = run(
        taper_trace(600.0).readings,
        cfg(power_method=IntegrationMethod.TRAPEZOID),
        until=T + hours(4),
    )
    assert trapezoid.sessions[0].energy_kwh == Decimal("19.000")
    # Hold: the ramp's six 10-minute steps are valued at their left ends:
    # (11 + 10 + 9 + 8 + 7 + 6) kW x 1/6 h = 8.5 kWh instead of 8.
    hold = run(taper_trace(600.0).readings, until=T + hours(4))
    assert hold.sessions[0].energy_kwh == Decimal("19.500")


def test_car_reporting_hourly_uses_battery_delta() -> None:
    """A car that reports once an hour, no power: level delta x capacity."""
    trace = Trace()
    trace.add(T + hours(1), Role.PLUGGED, True)
    trace.add(T + hours(1), Role.CHARGING_STATE, ChargeState.CHARGING)
    for i in range(7):  # 19:00 .. 01:00: 20 % -> 80 %
        trace.add(T + hours(1 + i), Role.BATTERY_LEVEL, 20.0 + 10 * i)
    trace.add(T + hours(8), Role.CHARGING_STATE, ChargeState.NOT_CHARGING)
    trace.add(T + hours(13), Role.PLUGGED, False)
    out = run(trace.readings, cfg(usable_capacity_kwh=64.0), until=T + hours(14))
    (session,) = out.sessions
    assert session.energy_kwh == Decimal("38.400")  # 60 % of 64 kWh
    assert session.energy_method is EnergyMethod.BATTERY_DELTA
    assert Flag.INFERRED in session.flags
    assert Flag.CAPACITY_ESTIMATED not in session.flags
    assert session.charging_seconds == hours(7)
    assert (session.start_level, session.end_level) == (20.0, 80.0)
    assert sum(session.energy_by_minute.values()) == pytest.approx(38.4)


def test_binary_charging_sensor_without_power_or_plug() -> None:
    """Only a binary "charging" sensor: activity-anchored, pauses within tolerance."""
    trace = Trace()
    trace.add(T + hours(4), Role.BATTERY_LEVEL, 50.0)
    trace.add(T + hours(4), Role.CHARGING_STATE, ChargeState.CHARGING)
    trace.add(T + hours(5), Role.CHARGING_STATE, ChargeState.NOT_CHARGING)
    trace.add(T + hours(5) + minutes(10), Role.CHARGING_STATE, ChargeState.CHARGING)
    trace.add(T + hours(7), Role.CHARGING_STATE, ChargeState.NOT_CHARGING)
    trace.add(T + hours(7), Role.BATTERY_LEVEL, 80.0)
    out = run(trace.readings, cfg(usable_capacity_kwh=50.0), until=T + hours(9))
    (session,) = out.sessions
    assert session.plugged_at is None
    assert session.unplugged_at is None
    assert session.ended_at == T + hours(7)
    assert len(session.windows) == 2
    assert session.charging_seconds == hours(1) + minutes(110)
    assert session.energy_kwh == Decimal("15.000")  # 30 % of 50 kWh
    # Inferred energy is shared by the windows in proportion to their duration.
    assert [w.energy_kwh for w in session.windows] == [
        Decimal(15 * 60 / 170).quantize(Decimal("0.001")),
        Decimal(15 * 110 / 170).quantize(Decimal("0.001")),
    ]


def test_binary_sensor_long_pause_splits_sessions() -> None:
    """Beyond the activity gap tolerance, two charges are two sessions."""
    trace = Trace()
    trace.add(T, Role.CHARGING_STATE, ChargeState.CHARGING)
    trace.add(T, Role.CHARGER_POWER, 7.0)
    trace.add(T + hours(1), Role.CHARGING_STATE, ChargeState.NOT_CHARGING)
    trace.add(T + hours(1), Role.CHARGER_POWER, 0.0)
    trace.add(T + hours(3), Role.CHARGING_STATE, ChargeState.CHARGING)
    trace.add(T + hours(3), Role.CHARGER_POWER, 7.0)
    trace.add(T + hours(4), Role.CHARGING_STATE, ChargeState.NOT_CHARGING)
    trace.add(T + hours(4), Role.CHARGER_POWER, 0.0)
    out = run(trace.readings, until=T + hours(6))
    assert [s.energy_kwh for s in out.sessions] == [Decimal("7.000")] * 2


def test_wallbox_only() -> None:
    """A wallbox (Easee-like): status enum, power, lifetime energy meter; no car data."""
    trace = Trace()
    trace.add(T - minutes(30), Role.CHARGING_STATE, ChargeState.DISCONNECTED)
    trace.add(T - minutes(30), Role.EVSE_ENERGY, 1000.0)
    trace.add(T, Role.CHARGING_STATE, ChargeState.PLUGGED)
    trace.add(T + minutes(1), Role.CHARGING_STATE, ChargeState.CHARGING)
    trace.series(
        T + minutes(1), T + minutes(121), 60, Role.CHARGER_POWER, lambda t: 7.2
    )
    trace.series(
        T + minutes(6),
        T + minutes(122),
        300,
        Role.EVSE_ENERGY,
        lambda t: round(1000.0 + 7.2 * min(t + 300, hours(2)) / 3600, 3),
    )
    trace.add(T + minutes(121), Role.CHARGER_POWER, 0.0)
    trace.add(T + minutes(121), Role.CHARGING_STATE, ChargeState.COMPLETE)
    trace.add(T + minutes(125), Role.EVSE_ENERGY, 1014.4)
    trace.add(T + hours(12), Role.CHARGING_STATE, ChargeState.DISCONNECTED)
    out = run(trace.sorted(), until=T + hours(13))
    (session,) = out.sessions
    assert session.energy_kwh == Decimal("14.400")  # 7.2 kW x 2 h
    assert session.wall_energy_kwh == Decimal("14.400")
    assert session.loss_kwh == Decimal("0.000")
    assert Flag.EVSE_MISMATCH not in session.flags
    assert session.plugged_at == T
    assert session.unplugged_at == T + hours(12)


def road_trip() -> Trace:
    """Drive 220 km, DC fast-charge 150/100/50 kW, drive 165 km (1-minute data)."""
    start = at("2026-07-10 10:00")
    trace = Trace()
    trace.add(start, Role.SHIFT_STATE, "D")
    for i in range(121):
        ts = start + minutes(i)
        trace.add(ts, Role.SPEED, 110.0 if i < 120 else 0.0)
        trace.add(ts, Role.ODOMETER, round(1000 + 110 / 60 * i, 3))
        trace.add(ts, Role.BATTERY_LEVEL, round(90 - 0.5 * i, 3))
        trace.add(ts, Role.OUTSIDE_TEMP, 20.0 + (i % 2))
    trace.add(start + hours(2), Role.SHIFT_STATE, "P")
    plug = start + hours(2) + minutes(5)
    trace.add(plug, Role.PLUGGED, True)
    trace.add(plug, Role.CHARGING_STATE, ChargeState.CHARGING)
    for step, kw in enumerate((150.0, 100.0, 50.0)):
        trace.add(plug + minutes(10 * step), Role.CHARGER_POWER, kw)
    trace.add(plug + minutes(30), Role.CHARGER_POWER, 0.0)
    trace.add(plug + minutes(30), Role.CHARGING_STATE, ChargeState.COMPLETE)
    trace.add(plug + minutes(30), Role.BATTERY_LEVEL, 80.0)
    trace.add(plug + minutes(35), Role.PLUGGED, False)
    leg2 = start + hours(2) + minutes(45)
    trace.add(leg2, Role.SHIFT_STATE, "D")
    for i in range(91):
        ts = leg2 + minutes(i)
        trace.add(ts, Role.SPEED, 110.0 if i < 90 else 0.0)
        trace.add(ts, Role.ODOMETER, round(1220 + 110 / 60 * i, 3))
        trace.add(ts, Role.BATTERY_LEVEL, round(80 - 0.5 * i, 3))
    trace.add(leg2 + minutes(90), Role.SHIFT_STATE, "P")
    return trace


def test_dc_fast_charging_on_a_road_trip() -> None:
    start = at("2026-07-10 10:00")
    out = run(
        road_trip().readings,
        cfg(usable_capacity_kwh=77.0),
        until=start + hours(6),
    )
    first, second = out.trips
    (session,) = out.sessions
    # Leg 1: 120 min at 110 km/h; 60 % of 77 kWh used.
    assert first.distance_km == Decimal("220.000")
    assert first.distance_method is DistanceMethod.ODOMETER
    assert first.energy_kwh == Decimal("46.200")
    assert first.efficiency_wh_km == Decimal("210.0")  # 46 200 Wh / 220 km
    assert first.started_at == start
    assert first.ended_at == start + hours(2)  # parked (P) before charging began
    assert first.avg_speed_kmh == pytest.approx(110.0)
    assert first.max_speed_kmh == 110.0
    assert first.avg_outside_temp_c == pytest.approx(20.5, abs=0.01)
    # The stop: 10 min each at 150, 100, 50 kW = 25 + 16.667 + 8.333 kWh.
    assert session.energy_kwh == Decimal("50.000")
    assert session.charge_type is ChargeType.DC
    assert session.charging_seconds == minutes(30)
    assert (session.start_level, session.end_level) == (30.0, 80.0)
    # Leg 2: 90 min at 110 km/h = 165 km; 45 % of 77 kWh = 34.65 kWh.
    assert second.distance_km == Decimal("165.000")
    assert second.energy_kwh == Decimal("34.650")
    assert second.efficiency_wh_km == Decimal("210.0")
    # Rolling efficiency over both legs: 80.85 kWh / 385 km.
    assert out.ledger.efficiency.value() == Decimal("210.0")


def test_two_windows_in_one_plug_in() -> None:
    """Plug in at 18:00, charge 1 h, scheduled pause, charge 2 h from 01:00."""
    trace = Trace()
    trace.add(T, Role.PLUGGED, True)
    trace.add(T, Role.CHARGING_STATE, ChargeState.CHARGING)
    trace.add(T, Role.CHARGER_POWER, 11.0)
    trace.add(T + hours(1), Role.CHARGING_STATE, ChargeState.PLUGGED)
    trace.add(T + hours(1), Role.CHARGER_POWER, 0.0)
    trace.add(T + hours(7), Role.CHARGING_STATE, ChargeState.CHARGING)
    trace.add(T + hours(7), Role.CHARGER_POWER, 11.0)
    trace.add(T + hours(9), Role.CHARGING_STATE, ChargeState.COMPLETE)
    trace.add(T + hours(9), Role.CHARGER_POWER, 0.0)
    trace.add(T + hours(13), Role.PLUGGED, False)
    out = run(trace.readings, until=T + hours(14))
    (session,) = out.sessions
    assert session.energy_kwh == Decimal("33.000")
    assert [w.energy_kwh for w in session.windows] == [
        Decimal("11.000"),
        Decimal("22.000"),
    ]
    assert session.charging_seconds == hours(3)
    assert session.plugged_seconds == hours(13)
    assert session.started_at == T
    assert session.ended_at == T + hours(9)
    assert session.unplugged_at == T + hours(13)


def test_counter_reset_mid_session() -> None:
    """A session counter left at 12.3 from last time, reset at plug-in, then again."""
    trace = Trace()
    trace.add(T - hours(1), Role.SESSION_ENERGY, 12.3)
    trace.add(T, Role.PLUGGED, True)
    trace.add(T, Role.CHARGING_STATE, ChargeState.CHARGING)
    trace.add(T, Role.SESSION_ENERGY, 0.0)
    trace.series(T, T + hours(1), 300, Role.CHARGER_POWER, lambda t: 5.0)
    trace.series(
        T + 300, T + hours(1) + 1, 300, Role.SESSION_ENERGY, lambda t: (t + 300) / 720
    )
    # The car restarts its counter mid-session (e.g. after a charging interruption).
    trace.add(T + hours(1) + 60, Role.SESSION_ENERGY, 0.0)
    trace.series(
        T + hours(1) + 360,
        T + hours(1.5) + 61,
        300,
        Role.SESSION_ENERGY,
        lambda t: 0.5 * (t // 300 + 1),
    )
    trace.add(T + hours(2), Role.CHARGING_STATE, ChargeState.COMPLETE)
    trace.add(T + hours(3), Role.PLUGGED, False)
    out = run(trace.sorted(), until=T + hours(4))
    (session,) = out.sessions
    # 5 kWh before the reset, 3 kWh (6 x 0.5) after it.
    assert session.energy_kwh == Decimal("8.000")
    assert session.energy_method is EnergyMethod.VEHICLE_COUNTER
    assert Flag.COUNTER_RESET in session.flags


def test_offline_overnight_charge_is_inferred() -> None:
    """The car sleeps (unavailable) overnight; the battery rose: an inferred session."""
    trace = Trace()
    trace.add(T + hours(2), Role.BATTERY_LEVEL, 30.0)
    trace.add(T + hours(2) + minutes(5), Role.BATTERY_LEVEL, None)
    trace.add(T + hours(13), Role.BATTERY_LEVEL, 80.0)
    out = run(trace.readings, cfg(usable_capacity_kwh=60.0))
    (session,) = out.sessions
    assert session.status is SessionStatus.INFERRED
    assert {Flag.INFERRED, Flag.GAP} <= session.flags
    assert session.energy_kwh == Decimal("30.000")  # 50 % of 60 kWh
    assert session.energy_method is EnergyMethod.BATTERY_DELTA
    assert (session.started_at, session.ended_at) == (T + hours(2), T + hours(13))
    assert out.ledger.inferred == 1


def test_offline_charge_without_capacity_is_kept_with_unknown_energy() -> None:
    trace = Trace()
    trace.add(T, Role.BATTERY_LEVEL, 30.0)
    trace.add(T + hours(12), Role.BATTERY_LEVEL, 80.0)
    (session,) = run(trace.readings).sessions
    assert Flag.ENERGY_UNKNOWN in session.flags
    assert session.energy_kwh == Decimal("0.000")


def test_unavailable_flapping_is_one_session() -> None:
    """Cloud integrations go unavailable for minutes at a time: gaps, not unplugs."""
    trace = Trace()
    trace.add(T, Role.PLUGGED, True)
    trace.add(T, Role.CHARGING_STATE, ChargeState.CHARGING)
    trace.add(T, Role.SESSION_ENERGY, 0.0)
    gaps = [T + minutes(30), T + minutes(60), T + minutes(90)]
    for minute in range(1, 121):
        ts = T + minutes(minute)
        if any(g <= ts < g + minutes(5) for g in gaps):
            continue
        trace.add(ts, Role.SESSION_ENERGY, round(7.4 * minute / 60, 4))
        trace.add(ts, Role.CHARGER_POWER, 7.4)
    for gap in gaps:
        for role in (Role.PLUGGED, Role.CHARGING_STATE, Role.SESSION_ENERGY):
            trace.add(gap, role, None)
        trace.add(gap + minutes(5), Role.PLUGGED, True)
        trace.add(gap + minutes(5), Role.CHARGING_STATE, ChargeState.CHARGING)
    trace.add(T + hours(2), Role.CHARGING_STATE, ChargeState.COMPLETE)
    trace.add(T + hours(2), Role.CHARGER_POWER, 0.0)
    trace.add(T + hours(3), Role.PLUGGED, False)
    out = run(trace.sorted(), until=T + hours(4))
    (session,) = out.sessions
    assert session.energy_kwh == Decimal("14.800")  # 7.4 kW x 2 h, from the counter
    assert Flag.GAP in session.flags
    assert len(session.windows) == 1


def test_plug_flapping_within_grace_is_one_session() -> None:
    trace = Trace()
    trace.add(T, Role.PLUGGED, True)
    trace.add(T, Role.CHARGER_POWER, 3.7)
    trace.add(T + hours(1), Role.PLUGGED, False)
    trace.add(T + hours(1) + 20, Role.PLUGGED, True)  # 20 s later: contact bounce
    trace.add(T + hours(2), Role.CHARGER_POWER, 0.0)
    trace.add(T + hours(2), Role.PLUGGED, False)
    out = run(trace.readings, until=T + hours(3))
    (session,) = out.sessions
    assert session.energy_kwh == Decimal("7.400")
    assert session.unplugged_at == T + hours(2)


@pytest.mark.parametrize(
    ("late", "kwh"),
    [
        # A car without a status: its power says when it charges. Each power
        # reading holds until the next (zero-order hold), the last one before the
        # unplug until the unplug: the stale 7.1 kW 10 s past it, held until 0 kW
        # 50 s later, is no energy (7.319 kWh counted it before).
        (Role.CHARGER_POWER, 7.2),
        # With a status: "complete" 10 s past the unplug stops the power; the stale
        # "charging" after it is not energy, nor are the 10 s before it.
        (Role.CHARGING_STATE, 7.2),
    ],
)
def test_a_late_charging_report_after_the_unplug_does_not_keep_the_session(
    late: Role, kwh: float
) -> None:
    """A cloud car's power or status lags its plug sensor by a poll: "charging" read
    after the plug sensor said "out" is stale, not a plug that came back. The session
    ends at the unplug (it was kept open until the next unplug, merging two charges);
    the next charge is a session of its own."""
    trace = Trace()
    trace.add(T, Role.PLUGGED, True)
    trace.add(T, Role.CHARGER_POWER, 7.2)
    if late is Role.CHARGING_STATE:
        trace.add(T, Role.CHARGING_STATE, ChargeState.CHARGING)
    trace.add(T + hours(1), Role.PLUGGED, False)
    if late is Role.CHARGER_POWER:
        trace.add(T + hours(1) + 10, Role.CHARGER_POWER, 7.1)
    else:
        trace.add(T + hours(1) + 10, Role.CHARGING_STATE, ChargeState.COMPLETE)
        trace.add(T + hours(1) + 20, Role.CHARGING_STATE, ChargeState.CHARGING)
        trace.add(T + hours(1) + 60, Role.CHARGING_STATE, ChargeState.DISCONNECTED)
    trace.add(T + hours(1) + 60, Role.CHARGER_POWER, 0.0)
    # The next evening's charge.
    trace.add(T + hours(24), Role.PLUGGED, True)
    if late is Role.CHARGING_STATE:
        trace.add(T + hours(24), Role.CHARGING_STATE, ChargeState.CHARGING)
    trace.add(T + hours(24), Role.CHARGER_POWER, 7.2)
    trace.add(T + hours(25), Role.CHARGER_POWER, 0.0)
    trace.add(T + hours(25), Role.PLUGGED, False)
    out = run(trace.sorted(), until=T + hours(27))
    first, second = out.sessions
    assert first.unplugged_at == T + hours(1)
    assert first.ended_at == T + hours(1)
    assert first.energy_kwh == Decimal(str(round(kwh, 3)))
    assert second.started_at == T + hours(24)
    assert second.energy_kwh == Decimal("7.200")


@pytest.mark.parametrize("restart", [False, True])
def test_power_reported_after_the_unplug_is_no_energy(restart: bool) -> None:
    """A cloud car polled every 5 minutes, its plug a wallbox's that reports at once:
    the poll a minute after the cable went out still shows 7 kW, within the unplug's
    grace. The charge ended at the unplug: 7 kW for 59 minutes, 6.883 kWh, its
    minutes too (7.000 counted the stale poll's minute). Also across a restart
    while the unplug waits out its grace."""
    trace = Trace()
    trace.add(T, Role.PLUGGED, True)
    for poll in range(12):
        trace.add(T + poll * 300, Role.CHARGER_POWER, 7.0)
    trace.add(T + minutes(59), Role.PLUGGED, False)
    trace.add(T + hours(1), Role.CHARGER_POWER, 7.0)  # stale
    trace.add(T + hours(1) + 300, Role.CHARGER_POWER, 0.0)
    readings = trace.sorted()
    config = VehicleConfig(vehicle_id="car")
    ledger = VehicleLedger(config)
    split = T + minutes(59) + 30
    events = list(ledger.replay(r for r in readings if r.ts <= split))
    if restart:
        data = json.loads(json.dumps(ledger.to_dict(), allow_nan=False))
        ledger = VehicleLedger.from_dict(config, data)
    events += ledger.replay(r for r in readings if r.ts > split)
    events += ledger.advance(T + hours(2))
    (session,) = [e.session for e in events if isinstance(e, SessionCompleted)]
    assert session.unplugged_at == T + minutes(59)
    assert session.energy_kwh == Decimal("6.883")
    assert sum(session.energy_by_minute.values()) == pytest.approx(7.0 * 59 / 60)
    assert max(session.energy_by_minute) == int((T + minutes(59)) // 60) - 1
    (window,) = session.windows
    assert window.energy_kwh == Decimal("6.883")


def test_a_plug_that_bounces_back_keeps_the_energy_meanwhile() -> None:
    """The plug sensor flaps "out" for 30 s while the car charges on: the unplug is
    never confirmed, and the power of that half minute is energy."""
    trace = Trace()
    trace.add(T, Role.PLUGGED, True)
    trace.add(T, Role.CHARGER_POWER, 7.2)
    trace.add(T + hours(1), Role.PLUGGED, False)
    trace.add(T + hours(1) + 30, Role.PLUGGED, True)
    trace.add(T + hours(2), Role.CHARGER_POWER, 0.0)
    trace.add(T + hours(2), Role.PLUGGED, False)
    out = run(trace.sorted(), until=T + hours(3))
    (session,) = out.sessions
    assert session.unplugged_at == T + hours(2)
    assert session.energy_kwh == Decimal("14.400")


def test_a_stale_power_after_the_grace_does_not_leave_a_session_open() -> None:
    """The car's power reports 7.2 kW five minutes after the plug sensor said "out"
    (the unplug's session has closed), then goes unavailable: nothing says a charge
    goes on, so the session that stale reading opened ends after the activity gap
    (too small to keep) instead of staying open until the next plug-in."""
    trace = Trace()
    trace.add(T, Role.PLUGGED, True)
    trace.add(T, Role.CHARGER_POWER, 7.2)
    trace.add(T + hours(1), Role.PLUGGED, False)
    trace.add(T + hours(1) + 300, Role.CHARGER_POWER, 7.2)
    trace.add(T + hours(1) + 310, Role.CHARGER_POWER, None)
    out = run(trace.readings, until=T + hours(3))
    (session,) = out.sessions
    assert session.unplugged_at == T + hours(1)
    assert session.energy_kwh == Decimal("7.200")
    assert out.ledger.session is None


def test_a_car_charging_away_while_offline_is_one_session() -> None:
    """The home wallbox's plug is mapped to the car and says "out" while the car
    charges away, in a garage where it loses its connection for two hours. The
    charge goes on meanwhile: one session, its counter's energy whole."""
    config = cfg(
        charger_zone="zone.home",
        charger_roles=(Role.PLUGGED.value,),
    )
    trace = Trace()
    trace.add(T, Role.PLUGGED, False)
    trace.add(T + minutes(5), Role.CHARGING_STATE, ChargeState.CHARGING)
    trace.add(T + minutes(5), Role.SESSION_ENERGY, 0.0)
    trace.add(T + minutes(20), Role.SESSION_ENERGY, 2.75)
    trace.add(T + minutes(30), Role.CHARGING_STATE, None)  # offline
    trace.add(T + minutes(30), Role.SESSION_ENERGY, None)
    trace.add(T + minutes(150), Role.CHARGING_STATE, ChargeState.COMPLETE)
    trace.add(T + minutes(150), Role.SESSION_ENERGY, 22.0)
    out = run(trace.sorted(), config, until=T + hours(5))
    (session,) = out.sessions
    assert session.energy_kwh == Decimal("22.000")
    assert session.started_at == T + minutes(5)
    assert session.ended_at == T + minutes(150)


def test_a_plug_sensor_that_never_saw_the_charge_does_not_keep_it_open() -> None:
    """The plug sensor says "out" through a whole top-up: it is the home wallbox's
    while the car charges away (or one polled too rarely, or stuck). The charge is a
    session, closed an activity gap after charging stopped (not at the next drive),
    ending when charging stopped, with no unplug time."""
    config = cfg()
    trace = Trace()
    trace.add(T, Role.PLUGGED, False)
    trace.add(T + minutes(5), Role.CHARGING_STATE, ChargeState.CHARGING)
    trace.add(T + minutes(5), Role.CHARGER_POWER, 50.0)
    trace.add(T + minutes(35), Role.CHARGER_POWER, 0.0)
    trace.add(T + minutes(35), Role.CHARGING_STATE, ChargeState.COMPLETE)
    out = run(trace.readings, config, until=T + hours(3))
    (session,) = out.sessions
    assert session.started_at == T + minutes(5)
    assert session.ended_at == T + minutes(35)
    assert session.unplugged_at is None
    assert session.energy_kwh == Decimal("25.000")
    # The plug sensor catching up (saying "in") hands the end back to the unplug.
    trace.add(T + minutes(40), Role.PLUGGED, True)
    trace.add(T + hours(2), Role.PLUGGED, False)
    out = run(trace.sorted(), config, until=T + hours(3))
    (session,) = out.sessions
    assert session.unplugged_at == T + hours(2)


@pytest.mark.parametrize(
    ("power_unit", "power_value", "distance_unit", "odometer"),
    [
        ("kW", 7.4, "km", (16000.0, 16016.09344)),
        ("W", 7400.0, "mi", (9941.939, 9951.939)),
    ],
)
def test_units_w_vs_kw_and_mi_vs_km(
    power_unit: str,
    power_value: float,
    distance_unit: str,
    odometer: tuple[float, float],
) -> None:
    """The same evening in kW/km and in W/mi gives the same records."""
    power = to_kw(power_value, power_unit)
    start_km, end_km = (to_km(v, distance_unit) for v in odometer)
    assert power is not None
    assert start_km is not None
    assert end_km is not None
    trace = Trace()
    trace.add(T, Role.SHIFT_STATE, "D")
    trace.add(T, Role.ODOMETER, start_km)
    trace.add(T + minutes(15), Role.ODOMETER, end_km)
    trace.add(T + minutes(15), Role.SHIFT_STATE, "P")
    trace.add(T + minutes(20), Role.PLUGGED, True)
    trace.add(T + minutes(20), Role.CHARGER_POWER, power)
    trace.add(T + minutes(80), Role.CHARGER_POWER, 0.0)
    trace.add(T + minutes(90), Role.PLUGGED, False)
    out = run(trace.readings, until=T + hours(3))
    assert out.sessions[0].energy_kwh == Decimal("7.400")
    # 10 mi = 16.09344 km exactly.
    assert out.trips[0].distance_km == Decimal("16.093")


def test_out_of_order_readings_are_rejected_and_counted() -> None:
    """Pollers deliver late: per-role stale readings are counted, energy unchanged."""
    trace = Trace()
    trace.add(T, Role.PLUGGED, True)
    trace.add(T, Role.CHARGING_STATE, ChargeState.CHARGING)
    trace.series(T, T + hours(1), 10, Role.SESSION_ENERGY, lambda t: round(t / 360, 4))
    trace.series(T, T + hours(1), 10, Role.CHARGER_POWER, lambda t: 10.0)
    trace.add(T + hours(1), Role.SESSION_ENERGY, 10.0)
    trace.add(T + hours(1), Role.CHARGING_STATE, ChargeState.COMPLETE)
    trace.add(T + hours(2), Role.PLUGGED, False)
    ordered = trace.sorted()
    jittered = sorted(
        ordered, key=lambda r: r.ts + random.Random(r.ts).uniform(-30, 30)
    )
    clean = run(ordered, until=T + hours(3))
    late = run(jittered, until=T + hours(3))
    assert late.ledger.rejected[Reject.STALE] > 0
    assert clean.sessions[0].energy_kwh == Decimal("10.000")
    # Counter readings that overtook the plug-in reading are counted into the
    # session; only what came before the first reading the ledger kept is lost
    # (here at most two 10 s increments of 0.028 kWh).
    assert abs(late.sessions[0].energy_kwh - Decimal("10.000")) <= Decimal("0.056")


def test_bad_input_is_counted_never_raised() -> None:
    trace = Trace()
    trace.add(T, Role.BATTERY_LEVEL, 150.0)
    trace.add(T, Role.BATTERY_LEVEL, "fifty")
    trace.add(T, Role.CHARGER_POWER, -12.0)
    trace.add(T, Role.CHARGER_POWER, 5e6)
    trace.add(T, Role.CHARGER_POWER, float("nan"))
    trace.add(T, Role.ODOMETER, 1000.0)
    trace.add(T + 1, Role.ODOMETER, 900.0)
    trace.add(T, Role.SPEED, True)
    trace.add(T + 2, Role.SHIFT_STATE, "X")
    trace.add(T + 2, Role.PLUGGED, "yes")
    trace.add(T + 2, Role.CHARGING_STATE, "charging")
    trace.add(T + 2, Role.LOCATION, (1.0, 2.0))  # type: ignore[arg-type]
    trace.add(T + 2, Role.CHARGER_TYPE, "dc")
    trace.add(float("inf"), Role.ODOMETER, 1.0)
    trace.readings.append(Reading(T, "tyre_pressure", 2.4))  # type: ignore[arg-type]
    out = run(trace.readings)
    assert out.events == []
    assert out.ledger.rejected == {
        Reject.OUT_OF_RANGE: 1,
        Reject.NOT_NUMERIC: 2,
        Reject.NEGATIVE: 1,
        Reject.ABSURD: 1,
        Reject.NOT_FINITE: 1,
        Reject.BACKWARDS: 1,
        Reject.BAD_VALUE: 6,
        Reject.UNKNOWN_ROLE: 1,
    }
    assert out.ledger.accepted == 1


def test_tiny_sessions_are_dropped_and_counted() -> None:
    trace = Trace()
    trace.add(T, Role.PLUGGED, True)
    trace.add(T, Role.CHARGER_POWER, 2.0)
    trace.add(T + 30, Role.CHARGER_POWER, 0.0)  # 30 s, 0.017 kWh
    trace.add(T + 600, Role.PLUGGED, False)
    out = run(trace.readings, until=T + hours(1))
    assert out.sessions == []
    assert [d.kind for d in out.dropped] == ["session"]
    assert out.ledger.dropped["session"] == 1


def commute(stop_minutes: float) -> Trace:
    """10 km, a stop (engine off, P), 10 km more; odometer only every minute."""
    trace = Trace()
    t = T
    odo = 5000.0
    trace.add(t, Role.ODOMETER, odo)
    for leg in range(2):
        trace.add(t, Role.SHIFT_STATE, "D")
        for _ in range(10):
            t += 60
            odo += 1.0
            trace.add(t, Role.ODOMETER, odo)
        trace.add(t, Role.SHIFT_STATE, "P")
        if leg == 0:
            t += minutes(stop_minutes)
    return trace


@pytest.mark.parametrize(
    ("stop_minutes", "distances"),
    [(5, ["20.000"]), (20, ["10.000", "10.000"])],
)
def test_short_stops_merge_into_one_trip(
    stop_minutes: float, distances: list[str]
) -> None:
    out = run(commute(stop_minutes).readings, until=T + hours(3))
    assert [str(t.distance_km) for t in out.trips] == distances


def test_odometer_only_car_polled_every_ten_minutes() -> None:
    """No shift or speed: trips from the odometer alone, ending after parking."""
    trace = Trace()
    trace.add(T, Role.ODOMETER, 100.0)
    trace.add(T + minutes(10), Role.ODOMETER, 108.0)
    trace.add(T + minutes(20), Role.ODOMETER, 115.0)
    trace.add(T + minutes(30), Role.ODOMETER, 115.0)
    trace.add(T + minutes(40), Role.ODOMETER, 115.0)
    (trip,) = run(trace.readings, until=T + hours(2)).trips
    assert trip.distance_km == Decimal("15.000")
    # 8 km had been driven by 18:10: at a 60 km/h average that began at 18:02
    # (not before the last reading at rest, 18:00).
    assert trip.started_at == T + minutes(2)
    assert trip.ended_at == T + minutes(20)  # the last reading that moved


def test_offline_driving_is_an_inferred_trip() -> None:
    trace = Trace()
    trace.add(T, Role.ODOMETER, 1000.0)
    trace.add(T + minutes(5), Role.ODOMETER, None)
    trace.add(T + hours(4), Role.ODOMETER, 1042.5)
    (trip,) = run(trace.readings).trips
    assert trip.distance_km == Decimal("42.500")
    assert {Flag.INFERRED, Flag.GAP} <= trip.flags


def test_trip_below_minimum_distance_is_dropped() -> None:
    trace = Trace()
    trace.add(T, Role.SHIFT_STATE, "D")
    trace.add(T, Role.ODOMETER, 10.0)
    trace.add(T + 60, Role.ODOMETER, 10.1)
    trace.add(T + 60, Role.SHIFT_STATE, "P")
    out = run(trace.readings, until=T + hours(1))
    assert out.trips == []
    assert out.ledger.dropped["trip"] == 1


def test_trip_distance_from_location_path_without_odometer() -> None:
    """No odometer: the distance is the path through the reported coordinates."""
    trace = Trace()
    trace.add(T, Role.SHIFT_STATE, "D")
    # Along a meridian: 0.1 degree of latitude = 11.119 km.
    for i in range(11):
        trace.add(T + minutes(i), Role.LOCATION, Place(None, 48.0 + 0.01 * i, 11.0))
    trace.add(T + minutes(10), Role.SHIFT_STATE, "P")
    (trip,) = run(trace.readings, until=T + hours(1)).trips
    assert trip.distance_method is DistanceMethod.LOCATION_PATH
    assert float(trip.distance_km) == pytest.approx(11.119, abs=0.01)


def test_leaving_a_zone_starts_a_trip() -> None:
    trace = Trace()
    trace.add(T, Role.LOCATION, Place("home", None, None))
    trace.add(T, Role.ODOMETER, 10.0)
    trace.add(T + minutes(10), Role.LOCATION, Place("not_home", None, None))
    trace.add(T + minutes(20), Role.ODOMETER, 22.0)
    trace.add(T + minutes(20), Role.LOCATION, Place("work", None, None))
    (trip,) = run(trace.readings, until=T + hours(2)).trips
    assert trip.started_at == T + minutes(10)
    assert trip.start_place == Place("home", None, None)
    assert trip.end_place == Place("work", None, None)
    assert trip.distance_km == Decimal("12.000")


def test_learned_capacity_from_measured_sessions() -> None:
    """No capacity configured: a measured session teaches it, later trips use it."""
    trace = Trace()
    trace.add(T, Role.BATTERY_LEVEL, 20.0)
    trace.add(T, Role.PLUGGED, True)
    trace.add(T, Role.CHARGER_POWER, 11.0)
    trace.add(T + hours(3), Role.CHARGER_POWER, 0.0)
    trace.add(T + hours(3), Role.BATTERY_LEVEL, 80.0)
    trace.add(T + hours(4), Role.PLUGGED, False)
    drive = T + hours(12)
    trace.add(drive, Role.SHIFT_STATE, "D")
    trace.add(drive, Role.ODOMETER, 100.0)
    trace.add(drive + hours(1), Role.ODOMETER, 200.0)
    trace.add(drive + hours(1), Role.BATTERY_LEVEL, 50.0)
    trace.add(drive + hours(1), Role.SHIFT_STATE, "P")
    out = run(trace.readings, until=drive + hours(2))
    # 33 kWh for 60 % -> 55 kWh usable.
    assert out.ledger.learned_capacity_kwh == pytest.approx(55.0)
    (trip,) = out.trips
    assert trip.energy_kwh == Decimal("16.500")  # 30 % of 55 kWh
    assert Flag.CAPACITY_ESTIMATED in trip.flags


def test_evse_mismatch_is_flagged() -> None:
    trace = Trace()
    trace.add(T - 60, Role.EVSE_ENERGY, 500.0)
    trace.add(T, Role.PLUGGED, True)
    trace.add(T, Role.SESSION_ENERGY, 0.0)
    trace.add(T + hours(1), Role.SESSION_ENERGY, 10.0)
    trace.add(T + hours(1), Role.EVSE_ENERGY, 520.0)  # half lost? a wrong meter
    trace.add(T + hours(2), Role.PLUGGED, False)
    trace.add(T, Role.CHARGING_STATE, ChargeState.CHARGING)
    out = run(trace.sorted(), until=T + hours(3))
    (session,) = out.sessions
    assert session.wall_energy_kwh == Decimal("20.000")
    assert session.loss_kwh == Decimal("10.000")
    assert Flag.EVSE_MISMATCH in session.flags


def test_restart_mid_session_continues_the_same_session() -> None:
    """Snapshot, restore into a new ledger, continue: one session, same figures."""
    readings = taper_trace(10.0).readings
    cut = len(readings) // 2
    first = run(readings[:cut])
    from custom_components.ev_ledger.logic.vehicle import VehicleLedger

    restored = VehicleLedger.from_dict(first.ledger.config, first.ledger.to_dict())
    events = list(restored.replay(readings[cut:])) + list(
        restored.advance(T + hours(4))
    )
    whole = run(readings, until=T + hours(4))
    assert first.events + events == whole.events


def test_odometer_reported_on_change_after_a_night_parked() -> None:
    """An on-change odometer last spoke when the car parked the evening before."""
    trace = Trace()
    trace.add(T, Role.ODOMETER, 100.0)  # parked at 18:00
    morning = T + hours(14)  # 08:00 next day: 12 km more
    trace.add(morning, Role.ODOMETER, 112.0)
    trace.add(morning + minutes(30), Role.ODOMETER, 112.0)
    (trip,) = run(trace.readings, until=morning + hours(2)).trips
    # 12 km take at least 12 minutes at a 60 km/h average: not the night before.
    assert trip.started_at == morning - minutes(12)
    assert trip.distance_km == Decimal("12.000")
    assert Flag.INFERRED in trip.flags  # the sensor was silent for 14 hours
