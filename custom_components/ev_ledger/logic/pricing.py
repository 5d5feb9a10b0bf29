"""Pricing: a session's cost settled at the price valid when the energy flowed.

Energy arrives per UTC epoch minute (`int(ts // 60)` -> kWh). Each minute is priced at
the price valid at the minute's start: a fixed price, a time-of-use schedule in the
caller's local time zone, or a price series recorded from a Home Assistant price entity.
Money is Decimal and is rounded once, at the end, to 0.0001.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import pairwise
from typing import TYPE_CHECKING

from .model import Cost
from .tariff import (
    MINUTES_PER_DAY,
    MinuteBasis,
    PriceBook,
    PriceSeries,
    SolarValuation,
    Tariff,
    TariffKind,
    TouBand,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from datetime import tzinfo

    from .model import ChargingSession

MONEY_QUANTUM = Decimal("0.0001")
ENERGY_QUANTUM = Decimal("0.0001")

_ZERO = Decimal(0)
_NO_MONEY = _ZERO.quantize(MONEY_QUANTUM)
_SIXTY = Decimal(60)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)


@dataclass(frozen=True, slots=True, kw_only=True)
class CostInput:
    """What pricing needs to know about a session.

    `solar_by_minute` is the solar-attributed part of each minute's energy; `windows`
    are the charging windows as (start, end) epoch seconds.
    """

    energy_by_minute: Mapping[int, float]
    solar_by_minute: Mapping[int, float] | None = None
    plugged_at: float | None = None
    unplugged_at: float | None = None
    windows: Sequence[tuple[float, float]] = ()
    charging_seconds: float = 0.0

    @classmethod
    def from_session(cls, session: ChargingSession) -> CostInput:
        """Build the input from a session record."""
        return cls(
            energy_by_minute=session.energy_by_minute,
            solar_by_minute=None
            if session.solar is None
            else session.solar.solar_by_minute,
            plugged_at=session.plugged_at,
            unplugged_at=session.unplugged_at,
            windows=[(w.started_at, w.ended_at) for w in session.windows],
            charging_seconds=session.charging_seconds,
        )


class _LocalCalendar:
    """Maps UTC epoch minutes to local (weekday, month, minute of day) in one zone.

    The UTC offset is looked up once per UTC hour; an hour that contains a DST
    transition (possibly at a half hour, as on Lord Howe Island) is resolved minute by
    minute.
    """

    __slots__ = ("_hour_offsets", "_months", "_tz")

    def __init__(self, tz: tzinfo) -> None:
        self._tz = tz
        self._hour_offsets: dict[int, int | None] = {}
        self._months: dict[int, int] = {}

    def _offset_at(self, ts: int) -> int:
        """UTC offset in seconds at `ts`: the local wall clock read as UTC, minus ts."""
        wall = datetime.fromtimestamp(ts, self._tz).replace(tzinfo=UTC)
        return int(wall.timestamp()) - ts

    def _offset(self, minute: int) -> int:
        hour = minute // 60
        try:
            offset = self._hour_offsets[hour]
        except KeyError:
            first = self._offset_at(hour * 3600)
            last = self._offset_at(hour * 3600 + 3540)
            offset = self._hour_offsets[hour] = first if first == last else None
        return self._offset_at(minute * 60) if offset is None else offset

    def local(self, minute: int) -> tuple[int, int, int]:
        """Return (weekday 0=Mon, month 1..12, minute of the local day)."""
        local_minute = (minute * 60 + self._offset(minute)) // 60
        day, minute_of_day = divmod(local_minute, MINUTES_PER_DAY)
        month = self._months.get(day)
        if month is None:
            month = self._months[day] = date.fromordinal(_EPOCH_ORDINAL + day).month
        return (day + _EPOCH_WEEKDAY) % 7, month, minute_of_day


class _TouSchedule:
    """A time-of-use schedule compiled into per-(weekday, month) day profiles.

    Band membership can only change at a band's start or end, so between two such
    edges one price holds; a profile is the price of each segment between edges.
    """

    __slots__ = ("_bands", "_calendar", "_edges", "_fallback", "_profiles")

    def __init__(
        self, bands: tuple[TouBand, ...], fallback: Decimal, calendar: _LocalCalendar
    ) -> None:
        self._bands = bands
        self._fallback = fallback
        self._calendar = calendar
        edges = {0}
        for band in bands:
            edges.update((band.start, band.end % MINUTES_PER_DAY))
        self._edges = sorted(edges)
        self._profiles: dict[tuple[int, int], list[Decimal]] = {}

    def _profile(self, weekday: int, month: int) -> list[Decimal]:
        return [
            next(
                (b.price for b in self._bands if b.matches(weekday, month, edge)),
                self._fallback,
            )
            for edge in self._edges
        ]

    def price(self, minute: int) -> Decimal:
        """The price in UTC epoch minute `minute`."""
        weekday, month, minute_of_day = self._calendar.local(minute)
        profile = self._profiles.get((weekday, month))
        if profile is None:
            profile = self._profiles[weekday, month] = self._profile(weekday, month)
        return profile[bisect_right(self._edges, minute_of_day) - 1]


type _PriceFn = Callable[[int], Decimal | None]


def _grid_price_fn(tariff: Tariff, tz: tzinfo, book: PriceBook) -> _PriceFn:
    """Price per UTC epoch minute for energy from the grid."""
    if tariff.kind is TariffKind.TIME_OF_USE:
        return _TouSchedule(
            tariff.bands, tariff.price_per_kwh, _LocalCalendar(tz)
        ).price
    if tariff.kind is TariffKind.PRICE_ENTITY:
        return _series_price_fn(book.get(tariff.price_series_id))
    if tariff.kind is TariffKind.FREE:
        return lambda _minute: _ZERO
    fixed = tariff.price_per_kwh
    return lambda _minute: fixed


def _solar_price_fn(tariff: Tariff, book: PriceBook) -> _PriceFn:
    """Value per UTC epoch minute of solar energy put into the car."""
    if tariff.solar_valuation is SolarValuation.FREE:
        return lambda _minute: _ZERO
    if tariff.feed_in_price is not None:
        fixed = tariff.feed_in_price
        return lambda _minute: fixed
    return _series_price_fn(book.get(tariff.feed_in_series_id))


def _series_price_fn(series: PriceSeries | None) -> _PriceFn:
    if series is None:
        return lambda _minute: None
    return lambda minute: series.price_at(minute * 60)


def price_at(tariff: Tariff, ts: float, tz: tzinfo, book: PriceBook) -> Decimal | None:
    """The grid energy price at which energy flowing at `ts` is settled.

    That is the price at the start of the minute containing `ts`, exactly as
    `price_session` settles it; None when a price series has no price for it.
    """
    return _grid_price_fn(tariff, tz, book)(int(ts // 60))


def price_session(inp: CostInput, tariff: Tariff, tz: tzinfo, book: PriceBook) -> Cost:
    """Price a session with `tariff`; `tz` is the local zone for time-of-use bands.

    Energy without a known price (a gap in a price series) costs nothing and is
    reported in `unpriced_kwh`, so the caller can flag the session.
    """
    prices = EnergyPrices(tariff, tz, book)
    if tariff.kind is not TariffKind.FREE:
        solar_by_minute = inp.solar_by_minute or {}
        add = prices.add
        for minute, kwh in inp.energy_by_minute.items():
            add(minute, kwh, solar_by_minute.get(minute, 0.0))
    return prices.cost(inp)


class EnergyPrices:
    """A session's energy by price, minute by minute; then its cost.

    kWh are summed per distinct price in float and multiplied once per price in
    Decimal: a session has few distinct prices but up to thousands of minutes. A
    running session adds each minute once and copies the sums to add the open ones.
    """

    __slots__ = ("grid", "grid_price", "solar", "solar_price", "tariff", "unpriced")

    def __init__(self, tariff: Tariff, tz: tzinfo, book: PriceBook) -> None:
        self.tariff = tariff
        self.grid_price = _grid_price_fn(tariff, tz, book)
        self.solar_price = _solar_price_fn(tariff, book)
        self.grid: dict[Decimal, float] = {}
        self.solar: dict[Decimal, float] = {}
        self.unpriced = 0.0

    def copy(self) -> EnergyPrices:
        """The sums so far."""
        other = EnergyPrices.__new__(EnergyPrices)
        other.tariff = self.tariff
        other.grid_price = self.grid_price
        other.solar_price = self.solar_price
        other.grid = dict(self.grid)
        other.solar = dict(self.solar)
        other.unpriced = self.unpriced
        return other

    def add(self, minute: int, kwh: float, solar: float) -> None:
        """Minute `minute`'s energy, `solar` of it from the sun."""
        solar = min(max(solar, 0.0), max(kwh, 0.0))
        grid = kwh - solar
        if grid:
            price = self.grid_price(minute)
            if price is None:
                self.unpriced += grid
            else:
                self.grid[price] = self.grid.get(price, 0.0) + grid
        if solar:
            price = self.solar_price(minute)
            if price is None:
                self.unpriced += solar
            else:
                self.solar[price] = self.solar.get(price, 0.0) + solar

    def cost(self, inp: CostInput) -> Cost:
        """The cost: the energy added, and the fees of `inp`'s times."""
        tariff = self.tariff
        if tariff.kind is TariffKind.FREE:
            return Cost(
                total=_ZERO.quantize(MONEY_QUANTUM),
                currency=tariff.currency,
                source=tariff.cost_source,
                tariff=tariff.to_dict(),
            )
        energy_cost = _money(_dot(self.grid))
        solar_value = _money(_dot(self.solar))
        # Fees the tariff does not charge are not worked out (a running session is
        # priced every minute): zero either way.
        time_cost = (
            _money(tariff.per_minute * _basis_minutes(inp, tariff.per_minute_basis))
            if tariff.per_minute
            else _NO_MONEY
        )
        session_fee = _money(tariff.session_fee)
        idle_fee = (
            _money(
                tariff.idle_fee_per_minute
                * _billable_idle_minutes(inp, tariff.idle_grace_minutes)
            )
            if tariff.idle_fee_per_minute
            else _NO_MONEY
        )
        return Cost(
            total=energy_cost + solar_value + time_cost + session_fee + idle_fee,
            currency=tariff.currency,
            source=tariff.cost_source,
            energy_cost=energy_cost,
            time_cost=time_cost,
            session_fee=session_fee,
            idle_fee=idle_fee,
            solar_value=solar_value,
            unpriced_kwh=Decimal(repr(self.unpriced)).quantize(
                ENERGY_QUANTUM, rounding=ROUND_HALF_EVEN
            ),
            tariff=tariff.to_dict(),
        )


def _dot(kwh_by_price: Mapping[Decimal, float]) -> Decimal:
    return sum(
        (price * Decimal(repr(kwh)) for price, kwh in kwh_by_price.items()), _ZERO
    )


def _money(amount: Decimal) -> Decimal:
    return amount.quantize(MONEY_QUANTUM, rounding=ROUND_HALF_EVEN)


def _seconds_to_minutes(seconds: float) -> Decimal:
    return Decimal(repr(max(seconds, 0.0))) / _SIXTY


def _merged_windows(inp: CostInput) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(w for w in inp.windows if w[1] > w[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _basis_minutes(inp: CostInput, basis: MinuteBasis) -> Decimal:
    """Minutes the per-minute fee counts (pro rata, not per started minute).

    Without a plug signal, the plugged time falls back to the span of the charging
    windows, then to the charging time.
    """
    if basis is MinuteBasis.CHARGING:
        return _seconds_to_minutes(inp.charging_seconds)
    windows = _merged_windows(inp)
    start, end = inp.plugged_at, inp.unplugged_at
    if windows:
        start = windows[0][0] if start is None else start
        end = windows[-1][1] if end is None else end
    if start is None or end is None:
        return _seconds_to_minutes(inp.charging_seconds)
    return _seconds_to_minutes(end - start)


def _idle_stretches(inp: CostInput) -> Iterable[float]:
    """Lengths (seconds) of the stretches plugged in but not charging.

    Gaps between charging windows always count; the stretch before the first window
    needs `plugged_at` and the one after the last needs `unplugged_at`.
    """
    windows = _merged_windows(inp)
    lo = inp.plugged_at
    hi = inp.unplugged_at
    if lo is not None:
        windows = [(max(s, lo), e) for s, e in windows if e > lo]
    if hi is not None:
        windows = [(s, min(e, hi)) for s, e in windows if s < hi]
    windows = [(s, e) for s, e in windows if e > s]
    if not windows:
        if lo is not None and hi is not None:
            yield hi - lo
        return
    if lo is not None:
        yield windows[0][0] - lo
    for (_, end), (start, _) in pairwise(windows):
        yield start - end
    if hi is not None:
        yield hi - windows[-1][1]


def _billable_idle_minutes(inp: CostInput, grace_minutes: int) -> Decimal:
    grace = grace_minutes * 60.0
    return sum(
        (
            _seconds_to_minutes(idle - grace)
            for idle in _idle_stretches(inp)
            if idle > grace
        ),
        _ZERO,
    )


# Parsing helpers -------------------------------------------------------------------
