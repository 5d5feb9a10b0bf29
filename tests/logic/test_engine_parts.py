"""The engine's smaller parts: time conversion, efficiency, capacity, live views."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
import json

import pytest

from custom_components.ev_ledger.logic.config import VehicleConfig
from custom_components.ev_ledger.logic.efficiency import (
    CapacityLearner,
    RollingEfficiency,
)
from custom_components.ev_ledger.logic.model import (
    ChargeState,
    ChargingSession,
    DistanceMethod,
    EnergyMethod,
    Flag,
    Reading,
    Role,
    SessionStarted,
    SessionStatus,
    SessionUpdated,
    SolarSplit,
    Trip,
    to_datetime,
    to_ts,
)
from custom_components.ev_ledger.logic.vehicle import VehicleLedger

from .trace import Trace, hours, minutes, run as trace_run

T = 1_767_000_000.0


def test_time_conversion_round_trip() -> None:
    moment = to_datetime(T)
    assert moment.tzinfo is UTC
    assert to_ts(moment) == T
    with pytest.raises(ValueError, match="naive"):
        to_ts(datetime(2026, 1, 1))


def test_solar_share_without_attributed_energy() -> None:
    split = SolarSplit(
        solar_kwh=Decimal(0),
        battery_kwh=Decimal(0),
        grid_kwh=Decimal(0),
        unattributed_kwh=Decimal(3),
    )
    assert split.solar_share is None


def trip(ended: float, km: str, kwh: str | None) -> Trip:
    return Trip(
        id="t",
        vehicle_id="car",
        started_at=ended - 600,
        ended_at=ended,
        distance_km=Decimal(km),
        distance_method=DistanceMethod.ODOMETER,
        energy_kwh=None if kwh is None else Decimal(kwh),
    )


def test_rolling_efficiency_window() -> None:
    rolling = RollingEfficiency(window_s=86400)
    assert rolling.value() is None
    rolling.add(trip(T, "10", None))  # no energy: not counted
    rolling.add(trip(T, "0", "1"))  # no distance: not counted
    assert rolling.value() is None
    rolling.add(trip(T, "10", "2"))
    rolling.add(trip(T + 3600, "10", "1"))
    assert rolling.value() == Decimal("150.0")  # 3 kWh / 20 km
    rolling.add(trip(T + 2 * 86400, "10", "1.8"))  # the first two fall out
    assert rolling.value() == Decimal("180.0")
    restored = RollingEfficiency.from_dict(json.loads(json.dumps(rolling.to_dict())))
    assert restored.value() == rolling.value()


def session(start: float, end: float, kwh: str, **kwargs: object) -> ChargingSession:
    values: dict[str, object] = {
        "id": "s",
        "vehicle_id": "car",
        "status": SessionStatus.COMPLETED,
        "plugged_at": None,
        "started_at": T,
        "ended_at": T + 3600,
        "unplugged_at": None,
        "charging_seconds": 3600.0,
        "plugged_seconds": None,
        "energy_kwh": Decimal(kwh),
        "energy_method": EnergyMethod.VEHICLE_COUNTER,
        "start_level": start,
        "end_level": end,
    }
    values.update(kwargs)
    return ChargingSession(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("record", "learns"),
    [
        (session(20, 80, "45"), True),  # 75 kWh
        (session(20, 30, "7.5"), False),  # rise too small to trust
        (session(20, 80, "1"), False),  # 1.7 kWh battery: a measurement error
        (session(20, 80, "45", energy_method=EnergyMethod.BATTERY_DELTA), False),
        (session(20, 80, "45", flags={Flag.GAP}), False),
    ],
)
def test_capacity_learning_uses_only_qualifying_sessions(
    record: ChargingSession, learns: bool
) -> None:
    learner = CapacityLearner(min_delta=20)
    assert learner.learn(record) is learns
    assert learner.value() == (75.0 if learns else None)


def status(ledger: VehicleLedger) -> ChargeState:
    return ledger.charge_status  # a call: mypy does not narrow across steps


def test_live_views_of_a_session() -> None:
    ledger = VehicleLedger(VehicleConfig(vehicle_id="car", update_interval_s=600))
    assert ledger.preview(T) is None
    assert status(ledger) is ChargeState.DISCONNECTED
    trace = Trace()
    trace.add(T, Role.PLUGGED, True)
    trace.add(T + 60, Role.CHARGER_POWER, 10.0)
    trace.add(T + 60, Role.CHARGING_STATE, ChargeState.CHARGING)
    events = ledger.replay(trace.readings)
    assert isinstance(events[0], SessionStarted)
    assert status(ledger) is ChargeState.CHARGING
    updates = list(ledger.advance(T + minutes(15)))
    assert updates == [
        SessionUpdated(events[0].session_id, T + minutes(15), 0.0, 840.0, 10.0, None)
    ]
    preview = ledger.preview(T + minutes(31))
    assert preview is not None
    assert preview.status is SessionStatus.IN_PROGRESS
    assert preview.energy_kwh == Decimal("0.000")  # a preview does not integrate
    ledger.step(Reading(T + minutes(31), Role.CHARGING_STATE, ChargeState.COMPLETE))
    assert status(ledger) is ChargeState.COMPLETE
    ledger.step(Reading(T + minutes(32), Role.CHARGING_STATE, ChargeState.PLUGGED))
    assert status(ledger) is ChargeState.PLUGGED
    ledger.step(Reading(T + hours(1), Role.PLUGGED, False))
    assert status(ledger) is ChargeState.PLUGGED  # within the grace period
    assert ledger.advance(T + hours(1)) == ()  # time did not move
    ledger.advance(T + hours(2))
    assert status(ledger) is ChargeState.DISCONNECTED


def test_snapshot_of_another_version_is_refused() -> None:
    config = VehicleConfig(vehicle_id="car")
    data = VehicleLedger(config).to_dict()
    data["version"] = 99
    with pytest.raises(ValueError, match="snapshot version"):
        VehicleLedger.from_dict(config, data)


def test_integer_timestamps_and_values_are_accepted() -> None:
    ledger = VehicleLedger(VehicleConfig(vehicle_id="car"))
    ledger.step(Reading(int(T), Role.BATTERY_LEVEL, 50))
    assert ledger.level == 50.0
    assert ledger.accepted == 1


def test_counter_reported_after_charging_stays_in_the_session() -> None:
    """A session counter's last report after charging stopped belongs to its last minute.

    Found by hypothesis (test_energy_flows_inside_the_session): the charge ends at
    :30:00, the counter reports its last 0.078 kWh at :31:00.
    """
    t = 1_700_000_000.0
    readings = [
        Reading(t, Role.CHARGING_STATE, None),
        Reading(t, Role.CHARGER_POWER, 0.0),
        Reading(t, Role.SESSION_ENERGY, 0.0),
        Reading(t + 1200, Role.CHARGING_STATE, ChargeState.CHARGING),
        Reading(t + 1200, Role.CHARGER_POWER, 0.47),
        Reading(t + 1200, Role.SESSION_ENERGY, 0.039),
        Reading(t + 1500, Role.CHARGER_POWER, 0.93),
        Reading(t + 1500, Role.SESSION_ENERGY, None),
        Reading(t + 1800, Role.CHARGING_STATE, ChargeState.NOT_CHARGING),
        Reading(t + 1800, Role.CHARGER_POWER, None),
        Reading(t + 1860, Role.SESSION_ENERGY, 0.117),
    ]
    [session] = trace_run(readings, until=t + 7200).sessions
    assert session.ended_at == t + 1800
    assert max(session.energy_by_minute) <= session.ended_at // 60
    assert min(session.energy_by_minute) >= session.started_at // 60
    assert sum(session.energy_by_minute.values()) == pytest.approx(
        float(session.energy_kwh), abs=1e-4
    )
