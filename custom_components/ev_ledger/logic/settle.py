"""Settling a completed session: solar share first, then the cost.

The order matters: the solar part of each minute is valued at the feed-in price (or
free), the rest at the price valid in that minute. A manual override wins over both and
keeps the computed cost as `cost_without_override` (the record layer stores both).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from .model import ChargingSession, Cost, CostSource, Flag, PriceGap
from .pricing import CostInput, EnergyPrices, price_session
from .solar import AttributionPolicy, SolarSums, attribute
from .tariff import PriceBook, TariffBook, normalize_zone

if TYPE_CHECKING:
    from datetime import tzinfo
    from decimal import Decimal

    from .integrate import MinuteEnergy
    from .site import SiteLedger


@dataclass(slots=True, kw_only=True)
class Settlement:
    """Everything needed to price a vehicle's sessions: a `Settle` callable."""

    tariffs: TariffBook
    tz: tzinfo
    prices: PriceBook = field(default_factory=PriceBook)
    site: SiteLedger | None = None
    policy: AttributionPolicy = AttributionPolicy.HOUSE_FIRST

    def __call__(self, session: ChargingSession) -> None:
        """Fill the session's solar split and cost (in place)."""
        zone = session.place.zone if session.place is not None else None
        site = self.site_for(zone)
        attributed = site is not None and bool(session.energy_by_minute)
        if site is not None and attributed:
            session.solar = attribute(session.energy_by_minute, site, self.policy)
            if session.solar is None:
                # Missing site data means no attribution, not zero solar.
                session.flags.add(Flag.SITE_GAP)
        tariff = self.tariffs.for_zone(zone)
        self.apply_cost(
            session,
            None
            if tariff is None
            else price_session(
                CostInput.from_session(session), tariff, self.tz, self.prices
            ),
        )

    def site_for(self, zone: str | None) -> SiteLedger | None:
        """The site whose zone is `zone`, if it is this settlement's."""
        site = self.site
        if (
            site is not None
            and zone is not None
            and normalize_zone(zone) == normalize_zone(site.config.zone)
        ):
            return site
        return None

    def apply_cost(self, session: ChargingSession, cost: Cost | None) -> None:
        """Set the session's cost (None: no tariff), flagging gaps in its prices."""
        if cost is None:
            # Unpriced energy where the user prices charging is a gap to show, not
            # a free charge; with no tariff at all, cost is simply not tracked.
            if (self.tariffs.rules or self.tariffs.default) and session.energy_kwh > 0:
                session.flags.add(Flag.PRICE_GAP)
                session.price_gap = (
                    PriceGap.NO_PLACE if session.place is None else PriceGap.NO_TARIFF
                )
            return
        if cost.unpriced_kwh > 0:
            session.flags.add(Flag.PRICE_GAP)
            session.price_gap = PriceGap.NO_PRICE
        session.cost = cost


class RunningSettlement:
    """Settles an open session as it grows, taking each final minute once.

    The session's own minute buckets are read live: minutes before the measurement's
    `final_before` (and, at a site, before the site's data is final) are attributed
    and priced once into running sums; the few minutes after are added to copies of
    those sums at each refresh. The cost per refresh does not grow with the session.
    The same attribution and prices as `Settlement`, so the running figures are the
    completed session's, up to its edge minutes.
    """

    __slots__ = ("_any", "_next", "_sums", "settlement")

    def __init__(self, settlement: Settlement, zone: str | None) -> None:
        self.settlement = settlement
        self._sums = _Sums.start(settlement, zone)
        self._next: int | None = None
        self._any = False

    def __call__(
        self, session: ChargingSession, minutes: MinuteEnergy, now: float
    ) -> None:
        """Fill the open session's solar split and cost (in place)."""
        first = self._next
        if first is None:
            first = minutes.first_minute()
        if first is None:
            # Nothing measured yet: its first energy may land at any minute from the
            # session's start (a counter's first step), so nothing is taken yet.
            first = int(now // 60)
        else:
            final = minutes.final_before(now)
            if self._sums.solar is not None:
                settled = self._sums.solar.site.settled_until
                final = min(final, first if settled is None else int(settled // 60))
            if final > first:
                self._any = self._sums.take(minutes, first, final) or self._any
                first = final
            self._next = first
        sums = self._sums.copy()
        last = max(int(now // 60), minutes.final_before(now)) + 1
        taken = sums.take(minutes, first, last) or self._any
        prices = sums.all_grid
        if sums.solar is not None and taken:
            session.solar = sums.solar.split()
            if session.solar is None:
                # Too little of it covered: no attribution, every kWh from the grid.
                session.flags.add(Flag.SITE_GAP)
            else:
                prices = sums.with_solar
        self.settlement.apply_cost(
            session,
            None if prices is None else prices.cost(CostInput.from_session(session)),
        )


@dataclass(slots=True)
class _Sums:
    """A running settlement's sums: the attribution, and the energy by price.

    Priced twice: with the solar part valued as solar, and all of it as grid energy
    (what it is should the site cover too little of the session to attribute it).
    """

    solar: SolarSums | None
    with_solar: EnergyPrices | None
    all_grid: EnergyPrices | None

    @classmethod
    def start(cls, settlement: Settlement, zone: str | None) -> _Sums:
        site = settlement.site_for(zone)
        tariff = settlement.tariffs.for_zone(zone)

        def prices() -> EnergyPrices | None:
            if tariff is None:
                return None
            return EnergyPrices(tariff, settlement.tz, settlement.prices)

        return cls(
            solar=None if site is None else SolarSums(site, settlement.policy),
            with_solar=None if site is None else prices(),
            all_grid=prices(),
        )

    def copy(self) -> _Sums:
        return _Sums(
            None if self.solar is None else self.solar.copy(),
            None if self.with_solar is None else self.with_solar.copy(),
            None if self.all_grid is None else self.all_grid.copy(),
        )

    def take(self, minutes: MinuteEnergy, first: int, end: int) -> bool:
        """Add minutes [first, end); whether any held energy."""
        taken = False
        minute_kwh = minutes.minute_kwh
        solar, with_solar, all_grid = self.solar, self.with_solar, self.all_grid
        for m in range(first, end):
            kwh = minute_kwh(m)
            if kwh > 0:
                taken = True
                if solar is not None:
                    part = solar.add(m, kwh)
                    if with_solar is not None:
                        with_solar.add(m, kwh, part)
                if all_grid is not None:
                    all_grid.add(m, kwh, 0.0)
        return taken


def override_cost(session: ChargingSession, total: Decimal, currency: str) -> None:
    """Apply a user's cost override; the computed cost is kept beside it."""
    computed = session.cost
    if computed is None:
        session.cost = Cost(
            total=total,
            currency=currency,
            source=CostSource.MANUAL,
            without_override=None,
        )
        return
    session.cost = replace(
        computed,
        total=total,
        currency=currency,
        source=CostSource.MANUAL,
        without_override=(
            computed.without_override
            if computed.source is CostSource.MANUAL
            else computed.total
        ),
    )
