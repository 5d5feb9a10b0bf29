"""Where a session's energy came from: solar, the home battery or the grid.

Attribution runs minute by minute against the energy-site ledger, so a session that
charged through a sunny noon and into the evening gets exactly the solar that was
there while it charged. Minutes the site did not cover are reported as unattributed;
when too many are, there is no attribution at all: missing site data must not read as
"zero solar".
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from .model import SolarSplit

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .site import SiteLedger

_KWH: Final = Decimal("0.001")


class AttributionPolicy(StrEnum):
    """Who gets the solar first when it does not cover everything."""

    HOUSE_FIRST = "house_first"
    """The house's other load is served first; only the surplus reaches the EV."""
    EV_FIRST = "ev_first"
    """The EV takes solar (then battery) before the rest of the house."""


def _q(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(_KWH, ROUND_HALF_UP)


def attribute(
    ev_by_minute: Mapping[int, float],
    site: SiteLedger,
    policy: AttributionPolicy = AttributionPolicy.HOUSE_FIRST,
    min_coverage: float = 0.95,
) -> SolarSplit | None:
    """Split a session's energy into solar, home-battery and grid parts.

    Args:
        ev_by_minute: Energy the EV took per UTC minute (epoch minute -> kWh);
            non-positive entries are ignored.
        site: The ledger of the site where the EV charged.
        policy: Whether the house or the EV is served first.
        min_coverage: Least share of the energy that must fall in minutes the site
            covered.

    Returns:
        The split, or None when the site covered less than `min_coverage` of the
        energy. The parts are quantized to 0.001 kWh and add up exactly to the
        quantized total (the sum of the positive entries); the grid takes the
        rounding remainder.

    Raises:
        ValueError: `min_coverage` is outside [0, 1].
    """
    if not 0.0 <= min_coverage <= 1.0:
        raise ValueError("min_coverage must be within [0, 1]")
    sums = SolarSums(site, policy, by_minute=True)
    add = sums.add
    for m, energy in ev_by_minute.items():
        add(m, energy)
    return sums.split(min_coverage)


class SolarSums:
    """A session's attribution, minute by minute: running sums, then the split.

    `attribute` feeds every minute at once; a running session feeds each minute once,
    when it is final, and copies the sums to add the minutes still open.
    """

    __slots__ = (
        "battery",
        "battery_by_minute",
        "covered",
        "house_first",
        "includes_ev",
        "site",
        "solar",
        "solar_by_minute",
        "total",
        "unattributed",
    )

    def __init__(
        self,
        site: SiteLedger,
        policy: AttributionPolicy,
        *,
        by_minute: bool = False,
    ) -> None:
        self.site = site
        self.includes_ev = site.config.load_includes_ev
        self.house_first = policy is AttributionPolicy.HOUSE_FIRST
        self.total = self.covered = self.solar = self.battery = 0.0
        self.unattributed = 0.0
        # Per-minute parts only where a record needs them (pricing, hourly shares).
        self.solar_by_minute: dict[int, float] | None = {} if by_minute else None
        self.battery_by_minute: dict[int, float] | None = {} if by_minute else None

    def copy(self) -> SolarSums:
        """The sums so far (per-minute parts are not copied)."""
        other = SolarSums.__new__(SolarSums)
        for name in self.__slots__:
            setattr(other, name, getattr(self, name))
        other.solar_by_minute = other.battery_by_minute = None
        return other

    def add(self, m: int, energy: float) -> float:
        """Attribute minute `m`'s energy; return its solar part."""
        if not energy > 0:
            return 0.0
        self.total += energy
        flows = self.site.minute(m)
        if flows is None:
            self.unattributed += energy
            return 0.0
        self.covered += energy
        solar, battery = flows.solar, flows.battery_discharge
        if self.house_first:
            # A derived load is a balance of the site's meters: it always holds the EV.
            load = flows.home_load
            if self.includes_ev or not flows.load_measured:
                other = max(0.0, load - energy)
            else:
                other = load
            from_solar = min(energy, max(0.0, solar - other))
            from_battery = min(
                energy - from_solar, max(0.0, battery - max(0.0, other - solar))
            )
        else:
            from_solar = min(energy, solar)
            from_battery = min(energy - from_solar, battery)
        if from_solar > 0:
            self.solar += from_solar
            if self.solar_by_minute is not None:
                self.solar_by_minute[m] = from_solar
        else:
            from_solar = 0.0
        if from_battery > 0:
            self.battery += from_battery
            if self.battery_by_minute is not None:
                self.battery_by_minute[m] = from_battery
        return from_solar

    def split(self, min_coverage: float = 0.95) -> SolarSplit | None:
        """The split of what was added (None: the site covered too little of it)."""
        total = self.total
        if total > 0 and self.covered / total < min_coverage:
            return None
        # Quantize running sums, not parts, so every part stays >= 0 and they add up
        # exactly to the quantized total.
        upto_solar = min(self.solar, total)
        upto_battery = min(upto_solar + self.battery, total)
        upto_unattributed = min(upto_battery + self.unattributed, total)
        q_solar, q_battery = _q(upto_solar), _q(upto_battery)
        q_unattributed, q_total = _q(upto_unattributed), _q(total)
        return SolarSplit(
            solar_kwh=q_solar,
            battery_kwh=q_battery - q_solar,
            grid_kwh=q_total - q_unattributed,
            unattributed_kwh=q_unattributed - q_battery,
            solar_by_minute=self.solar_by_minute or {},
            battery_by_minute=self.battery_by_minute or {},
        )
