"""Engine throughput: readings per second through VehicleLedger.step, as live uses it.

Two streams of at least `--readings` readings each, a day repeated (two 40-minute
drives, a 3-hour home charge):

- polled (the headline): a car whose integration polls every 10 s and reports every
  role each time (power, energy, battery level, range, odometer, speed, shift state,
  charging state, plug, location, outside temperature): the common case;
- streaming: 1 s power, voltage, current and session energy while charging, speed and
  odometer while driving, the rest every 30 s (mostly cheap electrical readings).

Each is fed one `step()` per reading (what a live state change does) and, for
comparison, through `replay()` (backfill), against a bare loop over the same readings
measured in the same round: unpack a reading, dispatch on its role, keep the value.
Rounds are interleaved so noise hits all alike; every figure is the median of
`--rounds` (>= 3) rounds with min..max, in CPU time.

Usage: python -m benchmarks.engine [--readings N] [--rounds R]
Targets (issue 2, issue 14): step() >= 250,000 readings/s, <= 6x the bare loop.
"""

from __future__ import annotations

import argparse
import gc
from pathlib import Path
import statistics
import sys
import time
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import report
from custom_components.ev_ledger.logic.config import VehicleConfig
from custom_components.ev_ledger.logic.model import ChargeState, Place, Reading, Role
from custom_components.ev_ledger.logic.vehicle import VehicleLedger

if TYPE_CHECKING:
    from collections.abc import Callable

T0 = 1_700_000_000.0
HOME = Place("home", 52.52, 13.40)
WORK = Place("work", 52.48, 13.20)
AWAY = Place(None, 52.50, 13.30)


def day(start: float, readings: list[Reading], poll: int) -> float:
    """Append one day: a 40 min commute each way and a 3 h home charge.

    `poll` 0 streams (1 s electrical and motion readings, the rest every 30 s); a
    positive `poll` reports every role every `poll` seconds.
    """
    t = start
    level = 80.0
    odo = 10_000.0 + (start - T0) / 86400 * 60
    for leg in range(2):
        readings.append(Reading(t, Role.SHIFT_STATE, "D"))
        readings.append(Reading(t, Role.LOCATION, AWAY))
        for i in range(0, 2400, poll or 1):
            ts = t + i
            speed = 60.0 + (i % 40)
            odo += speed * (poll or 1) / 3600.0
            if (poll and i % 30 == 0) or poll:
                level -= 0.2 * (poll or 1) / 30
            if poll:
                readings.extend(
                    [
                        Reading(ts, Role.SPEED, speed),
                        Reading(ts, Role.ODOMETER, round(odo, 3)),
                        Reading(ts, Role.BATTERY_LEVEL, round(level, 1)),
                        Reading(ts, Role.RANGE, round(level * 4.5, 1)),
                        Reading(ts, Role.SHIFT_STATE, "D"),
                        Reading(ts, Role.OUTSIDE_TEMP, 12.0),
                        Reading(ts, Role.CHARGER_POWER, 0.0),
                        Reading(ts, Role.PLUGGED, False),
                        Reading(ts, Role.LOCATION, AWAY),
                    ]
                )
                continue
            readings.append(Reading(ts, Role.SPEED, speed))
            readings.append(Reading(ts, Role.ODOMETER, round(odo, 3)))
            if i % 30 == 0:
                level -= 0.2
                readings.append(Reading(ts, Role.BATTERY_LEVEL, round(level, 1)))
                readings.append(Reading(ts, Role.OUTSIDE_TEMP, 12.0))
        t += 2400
        readings.append(Reading(t, Role.SPEED, 0.0))
        readings.append(Reading(t, Role.SHIFT_STATE, "P"))
        readings.append(Reading(t, Role.LOCATION, WORK if leg == 0 else HOME))
        t += 9 * 3600 if leg == 0 else 3600
    # Evening: plug in, charge 3 h.
    readings.append(Reading(t, Role.PLUGGED, True))
    readings.append(Reading(t, Role.CHARGING_STATE, ChargeState.CHARGING))
    energy = 0.0
    for i in range(0, 10800, poll or 1):
        ts = t + i
        kw = 11.0 - (i % 7) * 0.01
        energy += kw * (poll or 1) / 3600.0
        if poll:
            level = min(100.0, level + 0.15 * poll / 30)
            readings.extend(
                [
                    Reading(ts, Role.CHARGER_POWER, kw),
                    Reading(ts, Role.SESSION_ENERGY, round(energy, 3)),
                    Reading(ts, Role.BATTERY_LEVEL, round(level, 1)),
                    Reading(ts, Role.RANGE, round(level * 4.5, 1)),
                    Reading(ts, Role.CHARGING_STATE, ChargeState.CHARGING),
                    Reading(ts, Role.PLUGGED, True),
                    Reading(ts, Role.ODOMETER, round(odo, 3)),
                    Reading(ts, Role.SHIFT_STATE, "P"),
                    Reading(ts, Role.SPEED, 0.0),
                    Reading(ts, Role.OUTSIDE_TEMP, 10.0),
                    Reading(ts, Role.LOCATION, HOME),
                ]
            )
            continue
        readings.append(Reading(ts, Role.CHARGER_POWER, kw))
        readings.append(Reading(ts, Role.CHARGER_VOLTAGE, 230.0 + (i % 3)))
        readings.append(Reading(ts, Role.CHARGER_CURRENT, 16.0))
        readings.append(Reading(ts, Role.SESSION_ENERGY, round(energy, 3)))
        if i % 30 == 0:
            level = min(100.0, level + 0.15)
            readings.append(Reading(ts, Role.BATTERY_LEVEL, round(level, 1)))
            readings.append(Reading(ts, Role.RANGE, level * 4.5))
    t += 10800
    readings.append(Reading(t, Role.CHARGER_POWER, 0.0))
    readings.append(Reading(t, Role.CHARGING_STATE, ChargeState.COMPLETE))
    readings.append(Reading(t + 600, Role.PLUGGED, False))
    return start + 86400


def build(count: int, poll: int) -> list[Reading]:
    """Build at least `count` readings."""
    readings: list[Reading] = []
    start = T0
    while len(readings) < count:
        start = day(start, readings, poll)
    return readings


def bare_loop(readings: list[Reading]) -> int:
    """Unpack, dispatch on role, keep the latest value."""
    latest: dict[Role, Any] = {}

    def keep(role: Role) -> Callable[[float, Any], None]:
        def handler(ts: float, value: Any) -> None:
            latest[role] = value

        return handler

    handlers = {role: keep(role) for role in Role}
    for ts, role, value in readings:
        handlers[role](ts, value)
    return len(latest)


def engine(readings: list[Reading]) -> int:
    """Replay through the ledger (as backfill does); return the number of events."""
    ledger = VehicleLedger(VehicleConfig(vehicle_id="bench", usable_capacity_kwh=75.0))
    return len(ledger.replay(readings))


def timed(
    funcs: list[Callable[[list[Reading]], int]], readings: list[Reading], rounds: int
) -> list[list[float]]:
    """CPU seconds of each function in each round (interleaved)."""
    times: list[list[float]] = [[] for _ in funcs]
    for _ in range(rounds):
        for i, func in enumerate(funcs):
            gc.collect()
            start = time.process_time()
            func(readings)
            times[i].append(time.process_time() - start)
    return times


def spread(values: list[float], fmt: str = "{:,.0f}") -> str:
    """Median [min..max]."""
    return (
        f"{fmt.format(statistics.median(values))}"
        f" [{fmt.format(min(values))}..{fmt.format(max(values))}]"
    )


def engine_step(readings: list[Reading]) -> int:
    """One step() call per reading (as live state changes do)."""
    ledger = VehicleLedger(VehicleConfig(vehicle_id="bench", usable_capacity_kwh=75.0))
    step = ledger.step
    events = 0
    for reading in readings:
        events += len(step(reading))
    return events


def main() -> None:
    """Run the benchmark and print the figures and the target lines."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--readings", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rounds = max(3, args.rounds)
    targets: list[str] = []
    for name, poll in (("polled", 10), ("streaming", 0)):
        readings = build(args.readings, poll)
        n = len(readings)
        bare, step, replay = timed([bare_loop, engine_step, engine], readings, rounds)
        step_rates = [n / t for t in step]
        ratios = [s / b for s, b in zip(step, bare, strict=True)]
        print(f"{name}: {n:,} readings, {rounds} rounds (median [min..max])")
        print(f"  bare loop       {spread([n / t for t in bare])} readings/s")
        print(f"  engine step()   {spread(step_rates)} readings/s")
        print(f"  engine replay() {spread([n / t for t in replay])} readings/s")
        print(f"  step()/bare     {spread(ratios, '{:.2f}')} x")
        if name != "polled":
            continue
        targets.append(
            report.target(
                "engine_step_rate", step_rates, "readings/s", ">=", 250_000, "{:,.0f}"
            )
        )
        targets.append(report.target("engine_step_vs_bare", ratios, "x", "<=", 6.0))
    for line in targets:
        print(line)


if __name__ == "__main__":
    main()
