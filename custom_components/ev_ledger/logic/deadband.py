"""A deadband: readings that barely moved are left out, before the ledger and the store.

A charger or an energy meter reporting every second (or every poll, unchanged values
included) fills the sample store with readings that say "still about the same". With
the deadband on, a reading of a banded role is dropped when it is within the role's
band of the last reading kept and younger than the role's hold; the ledger holds the
last kept value in between, as it holds any value until the next one.

Always kept: the first reading of a role, a gap (`None`), a reading at or after the
hold, a reading whose sign differs from the kept one (zero included: a charge that
stops, a battery that turns from charging to discharging, a grid that turns from
import to export), and a reading older than the kept one (the ledger refuses and
counts it as stale, as without the deadband).

The filter sits in front of the ledger on every path that reads states (live, and a
backfill from the recorder), and the samples stored are the readings it kept, so a
recompute from them replays exactly what live took: it does not filter again
(filtering kept readings again would drop none of them). Its state is part of the
runtime's snapshot, so a restart continues as an unbroken stream would.

What it costs in accuracy is measured on the demo's weeks (`benchmarks/deadband.py`).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from .model import Reading, Role

if TYPE_CHECKING:
    from collections.abc import Mapping


class Band(NamedTuple):
    """How far a role's value may move, and for how long, before it is reported."""

    absolute: float  # in the role's canonical unit
    relative: float  # of the kept value's magnitude; the larger of the two counts
    hold_s: float  # a reading this long after the kept one is always kept


# Charger power in kW: 1 W or 0.1 %, whichever is larger, so a session's energy is
# within 0.1 % of what every reading gives whatever the readings do (above 1 kW; the
# error is at most the band times the time a value is held). At least one reading
# every 15 minutes is kept. Voltage and current only feed a session's averages.
_POWER: Final = Band(0.001, 0.001, 900.0)
# An energy site's flows: only unchanged values (meters polled with every value
# reported); solar share is worked out minute by minute from their differences.
_SITE: Final = Band(0.0, 0.0, 900.0)
BANDS: Final[Mapping[Role, Band]] = {
    Role.CHARGER_POWER: _POWER,
    Role.CHARGER_VOLTAGE: Band(1.0, 0.0, 900.0),
    Role.CHARGER_CURRENT: Band(0.1, 0.0, 900.0),
    Role.SOLAR_POWER: _SITE,
    Role.GRID_POWER: _SITE,
    Role.GRID_IMPORT_POWER: _SITE,
    Role.GRID_EXPORT_POWER: _SITE,
    Role.BATTERY_POWER: _SITE,
    Role.HOME_LOAD: _SITE,
}


def _sign(value: float) -> int:
    return (value > 0) - (value < 0)


class Deadband:
    """Decides, reading by reading, which ones the ledger and the store take."""

    __slots__ = ("_bands", "_kept", "_last_dropped", "dropped")

    def __init__(self, bands: Mapping[Role, Band] = BANDS) -> None:
        self._bands = bands
        # role -> (ts, value) of the last reading kept
        self._kept: dict[Role, tuple[float, float]] = {}
        # role -> time of the last reading dropped: the same state fed again (the
        # entity's current state, after a restart) is not counted twice.
        self._last_dropped: dict[Role, float] = {}
        self.dropped: Counter[Role] = Counter()

    def keep(self, reading: Reading) -> bool:
        """Whether `reading` goes on to the ledger and the store."""
        band = self._bands.get(reading.role)
        if band is None:
            return True
        ts, role, value = reading
        if (
            value is None
            or isinstance(value, bool)
            or not isinstance(value, float | int)
        ):
            # A gap (or a value the ledger will refuse): the band starts again.
            self._kept.pop(role, None)
            return True
        kept = self._kept.get(role)
        if kept is not None:
            kept_ts, kept_value = kept
            if ts < kept_ts:
                return True  # stale: the ledger counts it
            if (
                ts - kept_ts < band.hold_s
                and _sign(value) == _sign(kept_value)
                and abs(value - kept_value)
                <= max(band.absolute, band.relative * abs(kept_value))
            ):
                if self._last_dropped.get(role) != ts:
                    self._last_dropped[role] = ts
                    self.dropped[role] += 1
                return False
        self._kept[role] = (ts, value)
        return True

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe state (for the runtime's snapshot)."""
        return {
            "kept": {role.value: [ts, v] for role, (ts, v) in self._kept.items()},
            "dropped": {role.value: n for role, n in self.dropped.items()},
            "last_dropped": {role.value: ts for role, ts in self._last_dropped.items()},
        }

    def restore(self, data: Any) -> None:
        """Take back `to_dict`'s state; anything malformed is left out."""
        if not isinstance(data, dict):
            return
        kept = data.get("kept")
        for key, pair in (kept if isinstance(kept, dict) else {}).items():
            role = _role(key)
            if (
                role is not None
                and isinstance(pair, list)
                and len(pair) == 2
                and all(_number(x) for x in pair)
            ):
                self._kept[role] = (float(pair[0]), float(pair[1]))
        dropped = data.get("dropped")
        for key, count in (dropped if isinstance(dropped, dict) else {}).items():
            role = _role(key)
            if role is not None and _number(count) and count >= 0:
                self.dropped[role] = int(count)
        last = data.get("last_dropped")
        for key, ts in (last if isinstance(last, dict) else {}).items():
            role = _role(key)
            if role is not None and _number(ts):
                self._last_dropped[role] = float(ts)


def _role(key: Any) -> Role | None:
    try:
        return Role(key)
    except ValueError:
        return None


def _number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and value == value  # noqa: PLR0124 - NaN
        and abs(value) != float("inf")
    )
