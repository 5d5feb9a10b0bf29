"""Live cost inside one real Home Assistant core: EV Ledger vs the helper chain.

The helper chain is what users build today for a subset of EV Ledger's job: the core
`integration` (Riemann sum) sensor on charger power, a monthly `utility_meter` on it and
a template cost sensor. Both are fed the same stream of charger-power state changes in
the same run, and a bare run (the same state changes, nothing listening) is the
baseline subtracted from both:

    cost per state change = (CPU time of the run - CPU time of the bare run) / changes

CPU time is the whole process's (`time.process_time`), so EV Ledger's writer thread is
counted too. Then the event-loop lag EV Ledger adds at 500 relevant state changes/s:
a probe sleeps 2 ms in a loop and records how late it wakes, with and without EV Ledger.

Usage: python benchmarks/live.py [--changes N] [--seconds S]
Targets (issue 4): <= 1.0x the helper chain's cost per state change; added loop lag
p99 <= 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
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

Scenario = Callable[[HomeAssistant], Awaitable[None]]


async def nothing(hass: HomeAssistant) -> None:
    """The baseline: nobody listens."""


async def helper_chain(hass: HomeAssistant) -> None:
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


async def ev_ledger(hass: HomeAssistant) -> None:
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
    """State timestamps 1 s apart, like a car streaming at 1 Hz.

    Changes are applied as fast as the CPU allows, but carry the times a real car
    would report; otherwise the helper chain's rounded energy would never change and
    it would do (and cost) nothing.
    """

    def __init__(self) -> None:
        self.ts = time.time()

    def tick(self) -> float:
        """The next state's timestamp."""
        self.ts += 1.0
        return self.ts


def set_power(hass: HomeAssistant, clock: DataClock, i: int) -> None:
    """One relevant state change: the charger power moves between 7.00 and 7.49 kW."""
    hass.states.async_set(
        POWER, f"{7.0 + (i % 50) / 100:.2f}", POWER_ATTRS, timestamp=clock.tick()
    )


async def cpu_per_change(hass: HomeAssistant, clock: DataClock, changes: int) -> float:
    """CPU seconds for `changes` charger-power state changes, processed."""
    gc.collect()
    start = time.process_time()
    for i in range(changes):
        set_power(hass, clock, i)
        if i % 20 == 19:
            await hass.async_block_till_done()
    await hass.async_block_till_done()
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
    scenario: Scenario, changes: int, lag_seconds: float
) -> tuple[float, list[float]]:
    """Run one scenario in a fresh Home Assistant; return CPU time and loop lags."""
    with tempfile.TemporaryDirectory() as config_dir:
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            clock = DataClock()
            await prepare(hass)
            await scenario(hass)
            await cpu_per_change(hass, clock, changes // 10)  # warm-up
            cpu = await cpu_per_change(hass, clock, changes)
            lags = (
                await loop_lag(hass, clock, 500.0, lag_seconds) if lag_seconds else []
            )
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


async def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    n = args.changes
    bare, bare_lags = await measure(nothing, n, args.seconds)
    chain, _ = await measure(helper_chain, n, 0)
    ledger, ledger_lags = await measure(ev_ledger, n, args.seconds)
    chain_us = (chain - bare) / n * 1e6
    ledger_us = (ledger - bare) / n * 1e6
    print(f"state changes               {n}")
    print(f"bare Home Assistant         {bare / n * 1e6:8.1f} us CPU per change")
    print(f"helper chain (net)          {chain_us:8.1f} us CPU per change")
    print(f"EV Ledger (net)             {ledger_us:8.1f} us CPU per change")
    print(f"ratio EV Ledger / chain     {ledger_us / chain_us:8.2f}x (target <= 1.0x)")
    print(
        f"loop lag p99 at 500/s       bare {p99(bare_lags):.2f} ms, "
        f"EV Ledger {p99(ledger_lags):.2f} ms, "
        f"added {p99(ledger_lags) - p99(bare_lags):.2f} ms (target <= 5 ms)"
    )
    ok = ledger_us <= chain_us and p99(ledger_lags) - p99(bare_lags) <= 5.0
    print("targets                     " + ("met" if ok else "NOT met"))


if __name__ == "__main__":
    asyncio.run(main())
