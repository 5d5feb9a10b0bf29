"""A car whose integration reports charging as negative power (an HV pack's power).

SAIC/MG's gateway and OVMS report the traction battery's power and current: below
zero while the car charges, above zero while it drives. Mapped as the charger power,
every charging reading was refused as negative and the session had no energy.
`VehicleConfig.charging_negative` negates them at the input; without it the refusals
while charging are counted for the runtime's repair.
"""

from __future__ import annotations

from decimal import Decimal
import json

from hypothesis import given, strategies as st
import pytest

from custom_components.ev_ledger.logic.config import VehicleConfig
from custom_components.ev_ledger.logic.model import ChargeState, Reject, Role
from custom_components.ev_ledger.logic.vehicle import VehicleLedger

from .trace import Trace, at, hours, minutes, run

START = at("2026-03-02 22:00")


def pack_trace(kw: float = -7.2, amps: float = -18.0) -> Trace:
    """Two hours of charging at `kw` as the pack reports it, then a drive."""
    trace = Trace()
    trace.add(START, Role.PLUGGED, True)
    trace.add(START, Role.CHARGING_STATE, ChargeState.CHARGING)
    trace.series(START, START + hours(2), 30.0, Role.CHARGER_POWER, lambda _t: kw)
    trace.series(START, START + hours(2), 30.0, Role.CHARGER_CURRENT, lambda _t: amps)
    end = START + hours(2)
    trace.add(end, Role.CHARGER_POWER, 0.0)
    trace.add(end, Role.CHARGING_STATE, ChargeState.COMPLETE)
    trace.add(end + minutes(5), Role.PLUGGED, False)
    # Driving: the pack discharges (positive), which is no charging.
    trace.series(
        end + minutes(10), end + minutes(40), 30.0, Role.CHARGER_POWER, lambda _t: 25.0
    )
    return trace


def test_negative_charging_is_negated_when_configured() -> None:
    config = VehicleConfig(vehicle_id="car", charging_negative=True)
    outcome = run(pack_trace().sorted(), config, until=START + hours(4))
    [session] = outcome.sessions
    assert session.energy_kwh == Decimal("14.400")
    assert session.max_power_kw == pytest.approx(7.2)
    # The drive's discharge is no charging, and no refusal either.
    assert outcome.ledger.rejected[Reject.NEGATIVE] == 0
    assert outcome.ledger.rejected[Reject.ABSURD] == 0
    assert outcome.ledger.negative_charging == 0


def test_negative_charging_unconfigured_is_refused_and_counted() -> None:
    outcome = run(pack_trace().sorted(), until=START + hours(4))
    # Every charging reading of power and current was refused.
    assert outcome.ledger.rejected[Reject.NEGATIVE] == 2 * 240
    # Those of the power while the car said it charged are counted for the repair.
    assert outcome.ledger.negative_charging == 240
    assert all(s.energy_kwh == 0 for s in outcome.sessions)


def test_a_positive_charger_is_not_counted() -> None:
    """A wallbox's V2G discharge while the car is not charging is no reversed sign."""
    trace = Trace()
    trace.add(START, Role.PLUGGED, True)
    trace.add(START, Role.CHARGING_STATE, ChargeState.PLUGGED)
    trace.series(START, START + hours(1), 60.0, Role.CHARGER_POWER, lambda _t: -5.0)
    outcome = run(trace.sorted(), until=START + hours(2))
    assert outcome.ledger.rejected[Reject.NEGATIVE] == 60
    assert outcome.ledger.negative_charging == 0


def test_configured_sign_survives_a_snapshot() -> None:
    config = VehicleConfig(vehicle_id="car", charging_negative=True)
    readings = pack_trace().sorted()
    half = len(readings) // 2
    first = run(readings[:half], config)
    restored = VehicleLedger.from_dict(
        config, json.loads(json.dumps(first.ledger.to_dict()))
    )
    events = [*first.events, *restored.replay(readings[half:])]
    events.extend(restored.advance(START + hours(4)))
    whole = run(readings, config, until=START + hours(4))
    assert [e for e in events if type(e).__name__ == "SessionCompleted"] == [
        e for e in whole.events if type(e).__name__ == "SessionCompleted"
    ]


@given(
    st.lists(
        st.floats(min_value=-1000.0, max_value=1000.0, allow_nan=False),
        min_size=1,
        max_size=50,
    )
)
def test_negated_readings_are_the_mirror_of_plain_ones(values: list[float]) -> None:
    """Charging reported negative gives the energy of the same charge reported plain."""

    def trace(sign: float) -> Trace:
        t = Trace()
        t.add(START, Role.CHARGING_STATE, ChargeState.CHARGING)
        for i, value in enumerate(values):
            t.add(START + 60.0 * i, Role.CHARGER_POWER, sign * abs(value))
        return t

    plain = run(trace(1.0).sorted())
    negated = run(
        trace(-1.0).sorted(), VehicleConfig(vehicle_id="car", charging_negative=True)
    )
    end = START + 60.0 * len(values)
    assert plain.ledger.preview(end) == negated.ledger.preview(end)
    assert plain.ledger.rejected == negated.ledger.rejected
