"""The runtime's minute tick falls on the minute, whenever Home Assistant started.

The replay (backfill, recompute) ticks on the minute; so must live, or the same
states give other records (a held power re-reported at another second).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from custom_components.ev_ledger.vehicle_runtime import VehicleRuntime

from .conftest import START, Ledger

if TYPE_CHECKING:
    import pytest


async def test_ticks_fall_on_the_minute(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticks: list[datetime] = []
    real = VehicleRuntime.async_tick

    def spy(self: VehicleRuntime, now: datetime) -> None:
        ticks.append(now)
        real(self, now)

    monkeypatch.setattr(VehicleRuntime, "async_tick", spy)
    # Home Assistant starts 42.5 s past a minute.
    begin = START - START % 60 + 42.5
    await ledger.at(begin)
    await ledger.setup()
    for offset in (10.0, 17.5, 30.0, 60.0, 77.5, 120.0, 137.5):
        await ledger.at(begin + offset)
    assert ticks
    assert {tick.second for tick in ticks} == {0}
    assert {tick.microsecond for tick in ticks} == {0}
    minutes = [tick.astimezone(UTC).timestamp() for tick in ticks]
    assert minutes == sorted(set(minutes))
    assert minutes[0] == begin - 42.5 + 60
