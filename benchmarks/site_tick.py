"""An energy site's minute tick: today's figures, late in the day, as live computes them.

Every minute the runtime re-reports each site role the minute brought no reading of
(Home Assistant sends nothing for an unchanged value; `model.needs_hold`) and refreshes
today's summary (`SiteLedger.flush_day`). Here every role is re-reported at each tick,
as for meters that stand still: the tick's most expensive form. The summary
used to be recomputed over every minute of the day (1,440 minutes of flows each tick:
the cost grew through the day); now the totals of the final minutes are kept and only
the new minutes are added.

Measured on the path users hit: a site reporting solar, grid, battery and load every
10 s since midnight; at 23:00 each round runs `--ticks` minute ticks (the four
re-reports plus `flush_day`), against the baseline of the same ticks with the full
recomputation of the day (the former code path, `_summarise(running=False)`), in the
same round. CPU time; median of `--rounds` (>= 3) rounds with min..max.

Then the snapshot the runtime saves every 15 minutes, of a site with its three days of
minute flows and coverage (about 30,000 minutes): 5 minutes of readings, then the
snapshot's JSON (`runtime.snapshot_json`), against the same snapshot with every
minute's text made again (what each snapshot cost before the settled minutes' text
was kept, `logic.series`), in the same round.

Usage: python -m benchmarks.site_tick [--ticks N] [--rounds R] [--snapshots N]
Targets (issue 14): a tick costs <= 0.25x the full recomputation at 23:00; a snapshot
of three days costs <= 0.1x one made from scratch.
"""

from __future__ import annotations

import argparse
import copy
import gc
from pathlib import Path
import sys
import time

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import report
from custom_components.ev_ledger.logic.model import Reading, Role
from custom_components.ev_ledger.logic.site import SiteConfig, SiteLedger
from custom_components.ev_ledger.runtime import snapshot_json

MIDNIGHT = 1_700_006_400.0  # 2023-11-15 00:00 UTC
ROLES = (Role.SOLAR_POWER, Role.GRID_POWER, Role.BATTERY_POWER, Role.HOME_LOAD)


def day_until(hours: float) -> SiteLedger:
    """A site fed every 10 s from midnight until `hours` past it."""
    site = SiteLedger(SiteConfig(site_id="bench"))
    feed(site, 0, int(hours * 360))
    return site


def feed(site: SiteLedger, first: int, last: int) -> None:
    """Readings `first` to `last` (10 s apart from midnight) of every role."""
    for i in range(first, last):
        ts = MIDNIGHT + i * 10.0
        sun = max(0.0, 6.0 - abs(i / 360 - 13.0)) if 7 <= i / 360 <= 19 else 0.0
        load = 0.4 + (i % 37) / 100
        battery = 1.0 if sun > 3 else -0.5
        values = (sun, load + battery - sun, battery, load)
        for role, value in zip(ROLES, values, strict=True):
            site.step(Reading(ts, role, value))


def forget_text(site: SiteLedger) -> None:
    """Drop the kept text of every minute series (the next snapshot makes it all)."""
    for channel in site._channels.values():  # noqa: SLF001
        channel._text.reset()  # noqa: SLF001
        for integrator in channel.integrators:
            integrator._text.reset()  # noqa: SLF001


def snapshots(site: SiteLedger, first: int, n: int, *, kept: bool) -> float:
    """`n` snapshots, each after 5 minutes of readings from reading `first`."""
    spent = 0.0
    snapshot_json({"ledger": site.to_dict()})  # the previous save
    for k in range(n):
        feed(site, first + 30 * k, first + 30 * (k + 1))
        if not kept:
            forget_text(site)
        began = time.process_time()
        snapshot_json({"ledger": site.to_dict()})
        spent += time.process_time() - began
    return spent / n


def ticks(site: SiteLedger, start: float, n: int, *, running: bool) -> float:
    """`n` minute ticks from `start`: re-report every role, then today's summary."""
    began = time.process_time()
    for k in range(n):
        ts = start + 60.0 * (k + 1)
        for role in ROLES:
            site.step(Reading(ts, role, 0.5))
        if running:
            site.flush_day()
        else:
            latest = site._latest  # noqa: SLF001 - the former full recomputation
            assert latest is not None
            day = site._local_day(latest)  # noqa: SLF001
            start_min, end_min, _ = site._day_bounds(day)  # noqa: SLF001
            site._summarise(day, start_min, end_min, site._frontier())  # noqa: SLF001
    return time.process_time() - began


def spread(values: list[float]) -> str:
    """Median [min..max]."""
    return report.spread(values, "{:,.3f}")


def main() -> None:
    """Run the benchmark and print the figures and the target line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--ticks", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--snapshots", type=int, default=20)
    args = parser.parse_args()
    rounds = max(3, args.rounds)
    base = day_until(23.0)
    start = MIDNIGHT + 23 * 3600.0
    full: list[float] = []
    running: list[float] = []
    gc.disable()
    for _ in range(rounds):
        # The same ledger, copied: both do the same ticks from the same state.
        for kind, out in ((False, full), (True, running)):
            site = copy.deepcopy(base)
            site.flush_day()  # as after the previous tick
            out.append(ticks(site, start, args.ticks, running=kind) / args.ticks)
    gc.enable()
    ratios = [r / f for r, f in zip(running, full, strict=True)]
    ms = [1000 * t for t in running]
    print(
        f"site tick at 23:00, {args.ticks} ticks x {rounds} rounds (median [min..max])"
    )
    print(f"  full recomputation {spread([1000 * t for t in full])} ms/tick")
    print(f"  running summary    {spread(ms)} ms/tick")
    three_days = 72 * 360
    site_3d = day_until(72.0)
    rebuilt: list[float] = []
    kept: list[float] = []
    for _ in range(rounds):
        for keep, out in ((False, rebuilt), (True, kept)):
            site = copy.deepcopy(site_3d)
            gc.collect()
            out.append(snapshots(site, three_days, args.snapshots, kept=keep))
    size = len(snapshot_json({"ledger": site_3d.to_dict()}))
    print(f"site snapshot, three days of minutes ({size:,} bytes of JSON)")
    print(f"  made from scratch  {spread([1000 * t for t in rebuilt])} ms")
    print(f"  settled text kept  {spread([1000 * t for t in kept])} ms")
    snap = [k / r for k, r in zip(kept, rebuilt, strict=True)]
    print(report.target("site_tick_vs_full_day", ratios, "x", "<=", 0.25, "{:,.3f}"))
    print(report.target("site_snapshot_vs_scratch", snap, "x", "<=", 0.1, "{:,.3f}"))


if __name__ == "__main__":
    main()
