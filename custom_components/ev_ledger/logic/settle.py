"""Settling a completed session: solar share first, then the cost.

The order matters: the solar part of each minute is valued at the feed-in price (or
free), the rest at the price valid in that minute. A manual override wins over both and
keeps the computed cost as `cost_without_override` (the record layer stores both).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from .model import ChargingSession, Cost, CostSource, Flag, PriceGap
from .pricing import CostInput, price_session
from .solar import AttributionPolicy, attribute
from .tariff import PriceBook, TariffBook, normalize_zone

if TYPE_CHECKING:
    from datetime import tzinfo
    from decimal import Decimal

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
        site = self.site
        if (
            site is not None
            and zone is not None
            and normalize_zone(zone) == normalize_zone(site.config.zone)
            and session.energy_by_minute
        ):
            session.solar = attribute(session.energy_by_minute, site, self.policy)
            if session.solar is None:
                # Missing site data means no attribution, not zero solar.
                session.flags.add(Flag.SITE_GAP)
        tariff = self.tariffs.for_zone(zone)
        if tariff is None:
            # Unpriced energy where the user prices charging is a gap to show, not
            # a free charge; with no tariff at all, cost is simply not tracked.
            if (self.tariffs.rules or self.tariffs.default) and session.energy_kwh > 0:
                session.flags.add(Flag.PRICE_GAP)
                session.price_gap = (
                    PriceGap.NO_PLACE if session.place is None else PriceGap.NO_TARIFF
                )
            return
        cost = price_session(
            CostInput.from_session(session), tariff, self.tz, self.prices
        )
        if cost.unpriced_kwh > 0:
            session.flags.add(Flag.PRICE_GAP)
            session.price_gap = PriceGap.NO_PRICE
        session.cost = cost


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
