"""A charging power held across hours of silence, weighed against the battery level.

A cloud-polled car that goes quiet mid-charge (its integration stops writing, the
car sleeps, the broker is down) leaves its last power standing. Zero-order hold
carried it across the whole silence: 7 kW held for six hours made a 49 kWh session
out of a 30 kWh charge. A reading held longer than `offline_after_s` is now weighed
against the battery level read after it: where the level says the battery took far
less, the session's energy is the level's estimate, flagged as inferred with a gap.
A steady charge that the level confirms keeps its metered energy.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
import json

import pytest

from custom_components.ev_ledger.logic.config import VehicleConfig
from custom_components.ev_ledger.logic.model import (
    ChargeState,
    EnergyMethod,
    Flag,
    Reading,
    Role,
)
from custom_components.ev_ledger.logic.vehicle import VehicleLedger

from .trace import Trace, at, hours, minutes, run

S = at("2026-03-02 22:00")


@dataclass(frozen=True)
class Case:
    """A charge at 7 kW, reported every `every` s for `reported` h, then silence."""

    name: str
    reported: float  # hours of readings
    silence_end: float  # hours after the start: the integration reports again
    level_end: float | None  # the level read when it does (start: 40 %)
    capacity: float | None = 75.0
    every: float = 30.0
    level_before_end: bool = False  # the level is read before the silence ends
    energy: str = "30.000"
    method: EnergyMethod = EnergyMethod.BATTERY_DELTA
    flags: frozenset[Flag] = frozenset({Flag.GAP, Flag.INFERRED})


CASES = [
    # The charge ended in the silence: 40 -> 80 % of 75 kWh, not 7 kW x 7 h.
    Case("ended_in_silence", reported=1, silence_end=7, level_end=80.0),
    # A steady charge that a wallbox reports on change only: the level confirms it.
    Case(
        "steady_on_change_confirmed",
        reported=0.1,
        silence_end=3,
        level_end=68.0,
        energy="21.000",
        method=EnergyMethod.POWER_INTEGRATION,
        flags=frozenset(),
    ),
    # No capacity (none configured, none learned yet): nothing to weigh it against.
    Case(
        "no_capacity",
        reported=1,
        silence_end=7,
        level_end=80.0,
        capacity=None,
        energy="49.000",
        method=EnergyMethod.POWER_INTEGRATION,
        flags=frozenset(),
    ),
    # No level read after the silence: the hold is not judged on a stale level.
    Case(
        "level_not_read_after",
        reported=1,
        silence_end=7,
        level_end=80.0,
        level_before_end=True,
        energy="49.000",
        method=EnergyMethod.POWER_INTEGRATION,
        flags=frozenset(),
    ),
    # A car polled every 30 minutes holds no reading across a silence.
    Case(
        "polled_every_30_min",
        reported=7,
        silence_end=7,
        level_end=80.0,
        every=1800.0,
        energy="49.000",
        method=EnergyMethod.POWER_INTEGRATION,
        flags=frozenset(),
    ),
]


def trace(case: Case) -> Trace:
    t = Trace()
    t.add(S, Role.PLUGGED, True)
    t.add(S, Role.CHARGING_STATE, ChargeState.CHARGING)
    t.add(S, Role.BATTERY_LEVEL, 40.0)
    t.series(S, S + hours(case.reported), case.every, Role.CHARGER_POWER, lambda _: 7.0)
    end = S + hours(case.silence_end)
    if case.level_end is not None:
        when = S + hours(case.reported) - 1.0 if case.level_before_end else end
        t.add(when, Role.BATTERY_LEVEL, case.level_end)
    t.add(end, Role.CHARGER_POWER, 0.0)
    t.add(end, Role.CHARGING_STATE, ChargeState.COMPLETE)
    t.add(end + minutes(30), Role.PLUGGED, False)
    return t


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_held_power_against_the_level(case: Case) -> None:
    config = VehicleConfig(vehicle_id="car", usable_capacity_kwh=case.capacity)
    outcome = run(trace(case).sorted(), config, until=S + hours(10))
    [session] = outcome.sessions
    assert session.energy_kwh == Decimal(case.energy)
    assert session.energy_method is case.method
    assert session.flags == case.flags
    # The energy per minute adds up to the record's, whichever measure it is.
    assert sum(session.energy_by_minute.values()) == pytest.approx(
        float(session.energy_kwh), abs=0.002
    )


def test_a_snapshot_in_the_silence_keeps_the_hold() -> None:
    """Home Assistant restarted during the silence: the same record after it."""
    case = CASES[0]
    config = VehicleConfig(vehicle_id="car", usable_capacity_kwh=75.0)
    readings = trace(case).sorted()
    cut = S + hours(case.silence_end)
    before = [r for r in readings if r.ts < cut]
    first = run(before, config)
    restored = VehicleLedger.from_dict(
        config, json.loads(json.dumps(first.ledger.to_dict()))
    )
    events = list(restored.replay([r for r in readings if r.ts >= cut]))
    events.extend(restored.advance(S + hours(10)))
    whole = run(readings, config, until=S + hours(10))
    assert [e for e in events if type(e).__name__ == "SessionCompleted"] == [
        e for e in whole.events if type(e).__name__ == "SessionCompleted"
    ]


# Power reported after the charging state ended the charge ------------------------


def _complete_then(power: list[tuple[float, float]]) -> list[Reading]:
    """Two hours at 7 kW, "complete", then `power` (offset s, kW); unplug at +1 h."""
    t = Trace()
    t.add(S, Role.PLUGGED, True)
    t.add(S, Role.CHARGING_STATE, ChargeState.CHARGING)
    t.series(S, S + hours(2), 600.0, Role.CHARGER_POWER, lambda _: 7.0)
    end = S + hours(2)
    t.add(end, Role.CHARGING_STATE, ChargeState.COMPLETE)
    for offset, kw in power:
        t.add(end + offset, Role.CHARGER_POWER, kw)
    t.add(end + hours(1), Role.PLUGGED, False)
    return t.readings  # in arrival order


@pytest.mark.parametrize(
    "power",
    [
        [(0.0, 5.0)],  # the last reading, at the same time
        [(30.0, 5.0)],  # a power sensor that lags the state
        # A stale 5 kW fed again every minute (the minute tick's hold, or an
        # integration that writes its unchanged state): 4.75 kWh more before.
        [(60.0 * k, 5.0) for k in range(58)],
        [(0.0, 5.0), (0.0, 0.0)],
    ],
    ids=["same_time", "lagging", "fed_again", "then_zero"],
)
def test_power_after_the_state_ended_the_charge_adds_nothing(
    power: list[tuple[float, float]],
) -> None:
    outcome = run(_complete_then(power), until=S + hours(5))
    [session] = outcome.sessions
    assert session.energy_kwh == Decimal("14.000")
    assert session.energy_method is EnergyMethod.POWER_INTEGRATION


def test_power_before_the_state_says_charging_still_counts() -> None:
    """A power sensor ahead of the state at the start keeps its reading."""
    t = Trace()
    t.add(S, Role.PLUGGED, True)
    t.add(S, Role.CHARGING_STATE, ChargeState.PLUGGED)
    t.series(S + 60.0, S + hours(2), 600.0, Role.CHARGER_POWER, lambda _: 7.0)
    t.add(S + 90.0, Role.CHARGING_STATE, ChargeState.CHARGING)
    t.add(S + hours(2), Role.CHARGER_POWER, 0.0)
    t.add(S + hours(2), Role.CHARGING_STATE, ChargeState.COMPLETE)
    t.add(S + hours(3), Role.PLUGGED, False)
    outcome = run(t.readings, until=S + hours(5))
    [session] = outcome.sessions
    # 7 kW from the first reading, a minute after the plug, to the end.
    assert session.energy_kwh == Decimal("13.883")
