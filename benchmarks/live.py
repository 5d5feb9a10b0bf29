"""Live cost inside one real Home Assistant core: EV Ledger vs the helper chain.

Issue 14's form: the charger's power reported every 1 s, 10 s and 30 s (cars polled
every 10-30 s are the common case), in a session already 6 h old, and at 10 s in
sessions 1 h and 48 h old (the ledger's cost must not grow with the session). Each
case runs `--rounds` (>= 3) rounds of bare, chain and EV Ledger in fresh cores; every
figure is the median with min..max, and the last lines are one per target.

The helper chain is what users build today for a subset of EV Ledger's job: the core
`integration` (Riemann sum) sensor on charger power, a monthly `utility_meter` on it and
a template cost sensor. Both are fed the same stream of charger-power state changes in
the same run, and a bare run (the same state changes, nothing listening) is the
baseline subtracted from both:

    cost per state change = (CPU time of the run - CPU time of the bare run) / changes

CPU time is the whole process's (`time.process_time`), so EV Ledger's writer thread is
counted too, and the clock stops only once EV Ledger has written everything the
changes gave it (`runtime.async_flush`): otherwise its writer's backlog would be left
out. EV Ledger also has a minute tick (running figures, timeouts, the snapshot): Home
Assistant calls it on the wall clock's minute, so here it is called on each minute of
the data clock, before the first change of that minute, as on a real car's stream.
The helpers of the chain have no timer and no writer of their own.
 Then the event-loop lag EV Ledger adds at 500 relevant state changes/s:
a probe sleeps 2 ms in a loop and records how late it wakes, with and without EV Ledger.

Usage: python -m benchmarks.live [--changes N] [--rounds R] [--seconds S]
Targets (issue 14): <= 0.5x the helper chain's cost per state change at 1, 10 and 30 s
and with a 48 h session at 10 s; the cost at 48 h within 1.5x of the cost at 1 h;
added loop lag p99 <= 5 ms (issue 4).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
import gc
import logging
from pathlib import Path
import statistics
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from homeassistant import loader
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

from benchmarks.report import target
from custom_components.ev_ledger.const import (
    BACKEND_EMBEDDED,
    CONF_BACKEND,
    CONF_ROLES,
    CONF_TARIFF,
    CONF_ZONE,
    DOMAIN,
    LOCATION_DEFAULT,
    SUBENTRY_LOCATION,
    SUBENTRY_VEHICLE,
)
from custom_components.ev_ledger.logic.tariff import Tariff, TariffKind

POWER = "sensor.bench_charger_power"
PLUG = "binary_sensor.bench_plug"
STATE = "sensor.bench_charging_state"
POWER_ATTRS = {
    "unit_of_measurement": "kW",
    "device_class": "power",
    "state_class": "measurement",
}

Tick = Callable[[datetime], None]


@dataclass(slots=True)
class Hooks:
    """What a scenario runs besides its listeners: a minute tick, a final flush."""

    minute: Tick | None = None
    flush: Callable[[], Awaitable[None]] | None = None


# A scenario sets itself up and returns its hooks.
Scenario = Callable[[HomeAssistant], Awaitable[Hooks]]


async def nothing(hass: HomeAssistant) -> Hooks:
    """The baseline: nobody listens."""
    return Hooks()


async def helper_chain(hass: HomeAssistant) -> Hooks:
    """Riemann integral + monthly utility meter + template cost sensor."""
    assert await async_setup_component(
        hass,
        "sensor",
        {
            "sensor": [
                {
                    "platform": "integration",
                    "source": POWER,
                    "name": "ev energy",
                    "round": 3,
                    "method": "left",
                }
            ]
        },
    )
    assert await async_setup_component(
        hass,
        "utility_meter",
        {"utility_meter": {"ev_energy_month": {"source": "sensor.ev_energy"}}},
    )
    assert await async_setup_component(
        hass,
        "template",
        {
            "template": [
                {
                    "sensor": [
                        {
                            "name": "ev cost month",
                            "unit_of_measurement": "EUR",
                            "state": "{{ (states('sensor.ev_energy_month') | float(0)"
                            " * 0.30) | round(2) }}",
                        }
                    ]
                }
            ]
        },
    )
    await hass.async_block_till_done()
    return Hooks()


async def ev_ledger(hass: HomeAssistant) -> Hooks:
    """EV Ledger on the embedded default, one vehicle and a fixed tariff."""
    tariff = Tariff(kind=TariffKind.FIXED, currency="EUR", price_per_kwh=_dec("0.30"))
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="EV Ledger",
        data={CONF_BACKEND: BACKEND_EMBEDDED},
        subentries_data=[
            {
                "subentry_type": SUBENTRY_VEHICLE,
                "title": "Bench car",
                "unique_id": "bench-car",
                "data": {
                    "name": "Bench car",
                    CONF_ROLES: {
                        "charger_power": POWER,
                        "plugged": PLUG,
                        "charging_state": STATE,
                    },
                },
            },
            {
                "subentry_type": SUBENTRY_LOCATION,
                "title": "Anywhere",
                "unique_id": LOCATION_DEFAULT,
                "data": {
                    CONF_ZONE: LOCATION_DEFAULT,
                    "name": "",
                    CONF_TARIFF: tariff.to_dict(),
                },
            },
        ],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    runtime = entry.runtime_data
    # The runtime's own minute handler, as `async_track_utc_time_change` calls it.
    return Hooks(minute=runtime._async_tick, flush=runtime.async_flush)  # noqa: SLF001


def _dec(text: str) -> Any:
    from decimal import Decimal

    return Decimal(text)


async def prepare(hass: HomeAssistant) -> None:
    """A car plugged in and charging; power changes are the relevant stream."""
    hass.states.async_set(PLUG, "on", {"device_class": "plug"})
    hass.states.async_set(
        STATE, "charging", {"device_class": "enum", "options": ["charging", "stopped"]}
    )
    hass.states.async_set(POWER, "0.0", POWER_ATTRS)
    await hass.async_block_till_done()


class DataClock:
    """State timestamps `spacing` seconds apart, like a car reporting that often.

    Changes are applied as fast as the CPU allows, but carry the times a real car
    would report; otherwise the helper chain's rounded energy would never change and
    it would do (and cost) nothing.
    """

    def __init__(self, spacing: float = 1.0, minute: Tick | None = None) -> None:
        self.spacing = spacing
        self.ts = time.time()
        self.minute = minute

    def tick(self) -> float:
        """The next state's timestamp; the minute tick first if a minute began."""
        before, self.ts = self.ts, self.ts + self.spacing
        if self.minute is not None:
            for m in range(int(before // 60) + 1, int(self.ts // 60) + 1):
                self.minute(datetime.fromtimestamp(m * 60, UTC))
        return self.ts


def set_power(hass: HomeAssistant, clock: DataClock, i: int) -> None:
    """One relevant state change: the charger power moves between 7.00 and 7.49 kW."""
    hass.states.async_set(
        POWER, f"{7.0 + (i % 50) / 100:.2f}", POWER_ATTRS, timestamp=clock.tick()
    )


async def cpu_per_change(
    hass: HomeAssistant,
    clock: DataClock,
    changes: int,
    flush: Callable[[], Awaitable[None]] | None = None,
) -> float:
    """CPU seconds for `changes` charger-power state changes, processed and stored."""
    gc.collect()
    start = time.process_time()
    for i in range(changes):
        set_power(hass, clock, i)
        if i % 20 == 19:
            await hass.async_block_till_done()
    await hass.async_block_till_done()
    if flush is not None:
        await flush()
    return time.process_time() - start


async def loop_lag(
    hass: HomeAssistant, clock: DataClock, rate: float, seconds: float
) -> list[float]:
    """Wake-up lateness (ms) of a 2 ms probe while `rate` changes/s are applied."""
    lags: list[float] = []
    done = asyncio.Event()

    async def probe() -> None:
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.002)
            lags.append((time.perf_counter() - before - 0.002) * 1000)

    task = asyncio.create_task(probe())
    interval = 1.0 / rate
    start = time.perf_counter()
    i = 0
    while (now := time.perf_counter()) - start < seconds:
        due = start + i * interval
        if now >= due:
            set_power(hass, clock, i)
            i += 1
        else:
            await asyncio.sleep(due - now)
    done.set()
    await task
    await hass.async_block_till_done()
    return lags


async def measure(
    scenario: Scenario,
    changes: int,
    lag_seconds: float = 0.0,
    *,
    spacing: float = 1.0,
    session_hours: float = 0.0,
    show: bool = False,
) -> tuple[float, list[float]]:
    """Run one scenario in a fresh Home Assistant; return CPU time and loop lags.

    A warm-up of `session_hours` of changes at `spacing` (at least a tenth of
    `changes`) comes before the measured changes.
    """
    warmup = max(changes // 10, int(session_hours * 3600 / spacing))
    with tempfile.TemporaryDirectory() as config_dir:
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            # Ahead of the wall clock, never behind it: the runtime's minute tick
            # (wall clock) would otherwise find hours without news and end the
            # session the warm-up builds.
            clock = DataClock(spacing)
            await prepare(hass)
            hooks = await scenario(hass)
            clock.minute = hooks.minute
            await cpu_per_change(hass, clock, warmup, hooks.flush)
            cpu = await cpu_per_change(hass, clock, changes, hooks.flush)
            lags = (
                await loop_lag(hass, clock, 500.0, lag_seconds) if lag_seconds else []
            )
            if show or session_hours >= 48:
                evidence = sorted(
                    f"{s.entity_id}={s.state}"
                    for s in hass.states.async_all()
                    if s.entity_id not in (POWER, PLUG, STATE)
                    and s.domain == "sensor"
                    and s.state not in ("unknown", "unavailable")
                )
                print(f"  {scenario.__name__}: {', '.join(evidence) or '-'}")
            await hass.async_stop(force=True)
    return cpu, lags


def p99(values: list[float]) -> float:
    """99th percentile."""
    return statistics.quantiles(values, n=100)[98] if len(values) > 1 else 0.0


# (spacing s, session age h): the common polled cases, a 1 s stream, a long session.
CASES = [(1.0, 6.0), (10.0, 6.0), (30.0, 6.0), (10.0, 1.0), (10.0, 48.0)]


async def main() -> None:
    """Run the benchmark and print the figures and the target lines."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    n, rounds = args.changes, max(3, args.rounds)
    ratios: dict[tuple[float, float], list[float]] = {}
    ledger_cost: dict[tuple[float, float], list[float]] = {}
    for spacing, hours in CASES:
        case = (spacing, hours)
        for round_ in range(rounds):
            runs = {}
            for scenario in (nothing, helper_chain, ev_ledger):
                runs[scenario.__name__], _ = await measure(
                    scenario,
                    n,
                    spacing=spacing,
                    session_hours=hours,
                    show=round_ == 0 and spacing == 1.0,
                )
            chain_us = (runs["helper_chain"] - runs["nothing"]) / n * 1e6
            ledger_us = (runs["ev_ledger"] - runs["nothing"]) / n * 1e6
            ratios.setdefault(case, []).append(ledger_us / chain_us)
            ledger_cost.setdefault(case, []).append(ledger_us)
            print(
                f"{spacing:4.0f} s, {hours:4.0f} h session, round {round_ + 1}:"
                f" bare {runs['nothing'] / n * 1e6:7.1f} us, chain {chain_us:7.1f} us,"
                f" EV Ledger {ledger_us:7.1f} us per change (net),"
                f" ratio {ledger_us / chain_us:.2f}",
                flush=True,
            )
    added: list[float] = []
    for _ in range(rounds):
        _, bare_lags = await measure(nothing, n, args.seconds)
        _, ledger_lags = await measure(ev_ledger, n, args.seconds)
        added.append(p99(ledger_lags) - p99(bare_lags))
        print(
            f"loop lag p99 at 500/s: bare {p99(bare_lags):.2f} ms,"
            f" EV Ledger {p99(ledger_lags):.2f} ms, added {added[-1]:.2f} ms",
            flush=True,
        )
    lines = [
        target(f"ledger_vs_chain_{s:.0f}s_{h:.0f}h", ratios[(s, h)], "x", "<=", 0.5)
        for s, h in CASES
        if h != 1.0
    ]
    growth = [
        long / short
        for long, short in zip(
            ledger_cost[(10.0, 48.0)], ledger_cost[(10.0, 1.0)], strict=True
        )
    ]
    lines.append(target("ledger_cost_48h_vs_1h_10s", growth, "x", "<=", 1.5))
    lines.append(target("added_loop_lag_p99", added, "ms", "<=", 5.0))
    for line in lines:
        print(line)


if __name__ == "__main__":
    asyncio.run(main())
