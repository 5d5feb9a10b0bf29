"""Engine throughput: readings per second through VehicleLedger.step.

Replays a synthetic but realistic stream (1 s streaming while charging and driving:
power, voltage, current, session energy, speed, odometer; battery level and range every
30 s) of at least one million readings, and compares it with a bare loop over the same
readings measured in the same run. The bare loop is the least any consumer does per
reading: unpack it, dispatch on its role to a handler, and keep the latest value.

Usage: python benchmarks/engine.py [--readings N]
Targets (issue 2): >= 250,000 readings/s on one core, <= 6x the bare loop.
"""

from __future__ import annotations

import argparse
import gc
from pathlib import Path
import sys
import time
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custom_components.ev_ledger.logic.config import VehicleConfig
from custom_components.ev_ledger.logic.model import ChargeState, Reading, Role
from custom_components.ev_ledger.logic.vehicle import VehicleLedger

if TYPE_CHECKING:
    from collections.abc import Callable

T0 = 1_700_000_000.0


def day(start: float, readings: list[Reading]) -> float:
    """Append one day: a 40 min commute each way and a 3 h home charge."""
    t = start
    level = 80.0
    odo = 10_000.0 + (start - T0) / 86400 * 60
    # Morning drive: 1 s speed + odometer.
    readings.append(Reading(t, Role.SHIFT_STATE, "D"))
    for i in range(2400):
        ts = t + i
        speed = 60.0 + (i % 40)
        odo += speed / 3600.0
        readings.append(Reading(ts, Role.SPEED, speed))
        readings.append(Reading(ts, Role.ODOMETER, round(odo, 3)))
        if i % 30 == 0:
            level -= 0.2
            readings.append(Reading(ts, Role.BATTERY_LEVEL, round(level, 1)))
            readings.append(Reading(ts, Role.OUTSIDE_TEMP, 12.0))
    t += 2400
    readings.append(Reading(t, Role.SPEED, 0.0))
    readings.append(Reading(t, Role.SHIFT_STATE, "P"))
    # Evening: plug in, charge 3 h at 1 s streaming.
    t += 10 * 3600
    readings.append(Reading(t, Role.PLUGGED, True))
    readings.append(Reading(t, Role.CHARGING_STATE, ChargeState.CHARGING))
    energy = 0.0
    for i in range(10800):
        ts = t + i
        kw = 11.0 - (i % 7) * 0.01
        energy += kw / 3600.0
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


def build(count: int) -> list[Reading]:
    """Build at least `count` readings."""
    readings: list[Reading] = []
    start = T0
    while len(readings) < count:
        start = day(start, readings)
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
) -> list[float]:
    """Best CPU time of each function; runs are interleaved so noise hits all alike."""
    best = [float("inf")] * len(funcs)
    for _ in range(rounds):
        for i, func in enumerate(funcs):
            gc.collect()
            start = time.process_time()
            func(readings)
            best[i] = min(best[i], time.process_time() - start)
    return best


def engine_step(readings: list[Reading]) -> int:
    """One step() call per reading (as live state changes do)."""
    ledger = VehicleLedger(VehicleConfig(vehicle_id="bench", usable_capacity_kwh=75.0))
    step = ledger.step
    events = 0
    for reading in readings:
        events += len(step(reading))
    return events


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--readings", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    readings = build(args.readings)
    n = len(readings)
    bare, eng, one = timed([bare_loop, engine, engine_step], readings, args.rounds)
    print(f"readings            {n}")
    print(
        f"bare loop           {n / bare:,.0f} readings/s ({bare * 1e9 / n:.0f} ns each)"
    )
    print(
        f"engine              {n / eng:,.0f} readings/s ({eng * 1e9 / n:.0f} ns each)"
    )
    print(
        f"engine, step()      {n / one:,.0f} readings/s ({one * 1e9 / n:.0f} ns each)"
    )
    print(f"ratio engine/bare   {eng / bare:.2f}x (target <= 6x)")
    ok = n / eng >= 250_000 and eng / bare <= 6.0
    print("targets             " + ("met" if ok else "NOT met"))


if __name__ == "__main__":
    main()
