"""Tariffs, price series and tariff books (pricing itself is in `pricing.py`).

A tariff serialises to a JSON-safe dict that is stored with every priced session, so
changing a tariff later never rewrites the cost of past sessions.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
import math
from typing import TYPE_CHECKING, Any

from .model import CostSource

if TYPE_CHECKING:
    from collections.abc import Mapping


MINUTES_PER_DAY = 1440
TARIFF_FORMAT_VERSION = 1

_ZERO = Decimal(0)
_ALL_WEEKDAYS = frozenset(range(7))
_ALL_MONTHS = frozenset(range(1, 13))


class TariffError(ValueError):
    """A tariff, tariff book or price series is invalid or cannot be restored."""


class TariffKind(StrEnum):
    """How the energy price is determined."""

    FIXED = "fixed"
    TIME_OF_USE = "time_of_use"
    PRICE_ENTITY = "price_entity"
    FREE = "free"


class MinuteBasis(StrEnum):
    """What the per-minute fee counts."""

    CHARGING = "charging"
    PLUGGED = "plugged"


class SolarValuation(StrEnum):
    """What solar energy put into the car is worth."""

    FREE = "free"
    FEED_IN = "feed_in"  # the feed-in revenue given up by charging with it


# Price series ----------------------------------------------------------------------


class PriceSeries:
    """Prices over time, as recorded from a price entity: a step function.

    A price holds from its timestamp until the next one; None means the price is
    unknown from then on (the entity was unavailable).
    """

    __slots__ = ("_prices", "_times")

    def __init__(self) -> None:
        self._times: list[float] = []
        self._prices: list[Decimal | None] = []

    def __len__(self) -> int:
        return len(self._times)

    def points(self) -> list[tuple[float, Decimal | None]]:
        """Return the change points, oldest first."""
        return list(zip(self._times, self._prices, strict=True))

    def add(self, ts: float, price: Decimal | None) -> bool:
        """Record that `price` is valid from `ts` on.

        Returns False, and changes nothing, for a reading older than the last one or
        a time or price that is not a finite number. A reading at the same instant as
        the last one replaces it; a repeated price is accepted but not stored twice.
        """
        if not math.isfinite(ts) or (price is not None and not price.is_finite()):
            return False
        times, prices = self._times, self._prices
        if times:
            last = times[-1]
            if ts < last:
                return False
            if ts == last:
                prices[-1] = price
                if len(prices) > 1 and prices[-2] == price:
                    del times[-1], prices[-1]
                return True
            if prices[-1] == price:
                return True
        times.append(ts)
        prices.append(price)
        return True

    def price_at(self, ts: float) -> Decimal | None:
        """Return the price valid at `ts`, None if unknown."""
        index = bisect_right(self._times, ts) - 1
        return self._prices[index] if index >= 0 else None

    def prune(self, before_ts: float) -> None:
        """Forget changes before `before_ts`, keeping the price valid at it."""
        index = bisect_right(self._times, before_ts) - 1
        if index > 0:
            del self._times[:index], self._prices[:index]

    def to_dict(self) -> dict[str, Any]:
        """Serialise (JSON-safe; prices as strings)."""
        return {
            "points": [
                [ts, None if price is None else str(price)]
                for ts, price in zip(self._times, self._prices, strict=True)
            ]
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PriceSeries:
        """Restore from `to_dict` output; raises TariffError if it is malformed."""
        try:
            points = [(float(t), _opt_decimal(p, "price")) for t, p in data["points"]]
        except TariffError:
            raise
        except (KeyError, TypeError, ValueError) as err:
            raise TariffError(f"malformed price series: {err!r}") from err
        series = cls()
        for ts, price in points:
            if not series.add(ts, price):
                raise TariffError(f"price series point at {ts} is out of order")
        return series


class PriceBook:
    """Price series by id (usually the price entity's id)."""

    __slots__ = ("_series",)

    def __init__(self, series: Mapping[str, PriceSeries] | None = None) -> None:
        self._series: dict[str, PriceSeries] = dict(series or {})

    def __contains__(self, series_id: object) -> bool:
        return series_id in self._series

    def series(self, series_id: str) -> PriceSeries:
        """Return the series `series_id`, creating it empty if needed."""
        found = self._series.get(series_id)
        if found is None:
            found = self._series[series_id] = PriceSeries()
        return found

    def get(self, series_id: str | None) -> PriceSeries | None:
        """Return the series `series_id` if it exists (never creates one)."""
        return None if series_id is None else self._series.get(series_id)

    def merge(self, other: PriceBook) -> None:
        """Take `other`'s points too (a backfill's prices joining the live ones).

        The points of both are put in time order; at the same instant this book's
        point wins.
        """
        for series_id, theirs in other._series.items():
            ours = self._series.get(series_id)
            points = sorted(
                [*theirs.points(), *(ours.points() if ours else [])],
                key=lambda point: point[0],
            )  # stable: at the same instant ours come last and replace theirs
            merged = PriceSeries()
            for ts, price in points:
                merged.add(ts, price)
            self._series[series_id] = merged

    def prune(self, before_ts: float) -> None:
        """Prune every series (see `PriceSeries.prune`)."""
        for series in self._series.values():
            series.prune(before_ts)

    def to_dict(self) -> dict[str, Any]:
        """Serialise (JSON-safe)."""
        return {key: series.to_dict() for key, series in self._series.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PriceBook:
        """Restore from `to_dict` output; raises TariffError if it is malformed."""
        return cls({str(k): PriceSeries.from_dict(v) for k, v in data.items()})


# Tariffs ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TouBand:
    """A time-of-use band: a price on some local weekdays, hours and months.

    Validated on construction. Times are minutes of the local day. A band with `end <= start` wraps past
    midnight, and each calendar day is judged on its own: "Mon-Fri 22:00-06:00"
    covers Monday 00:00-06:00 and 22:00-24:00, and Friday 22:00-24:00, but not
    Saturday 00:00-06:00. `start == end` covers the whole day. An empty `weekdays`
    or `months` set means every day or the whole year.
    """

    price: Decimal
    start: int = 0
    end: int = 0
    weekdays: frozenset[int] = frozenset()
    months: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        self.validate()

    def matches(self, weekday: int, month: int, minute_of_day: int) -> bool:
        """Whether the band applies at a local weekday (0=Mon), month and minute."""
        if self.weekdays and weekday not in self.weekdays:
            return False
        if self.months and month not in self.months:
            return False
        if self.start < self.end:
            return self.start <= minute_of_day < self.end
        return minute_of_day >= self.start or minute_of_day < self.end

    def validate(self) -> None:
        """Raise TariffError if the band is inconsistent."""
        _check_money(self.price, "band price")
        if not 0 <= self.start < MINUTES_PER_DAY:
            raise TariffError(f"band start must be a minute 0..1439, got {self.start}")
        if not 0 <= self.end <= MINUTES_PER_DAY:
            raise TariffError(f"band end must be a minute 0..1440, got {self.end}")
        if not self.weekdays <= _ALL_WEEKDAYS:
            raise TariffError(
                f"band weekdays must be 0..6, got {sorted(self.weekdays)}"
            )
        if not self.months <= _ALL_MONTHS:
            raise TariffError(f"band months must be 1..12, got {sorted(self.months)}")

    def to_dict(self) -> dict[str, Any]:
        """Serialise (JSON-safe)."""
        return {
            "price": str(self.price),
            "start": self.start,
            "end": self.end,
            "weekdays": sorted(self.weekdays),
            "months": sorted(self.months),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TouBand:
        """Restore from `to_dict` output; raises TariffError if it is malformed."""
        if "price" not in data:
            raise TariffError("a band needs a price")
        return cls(
            price=_decimal(data["price"], "band price"),
            start=_int(data.get("start", 0), "band start"),
            end=_int(data.get("end", 0), "band end"),
            weekdays=_int_set(data.get("weekdays", ()), "weekdays"),
            months=_int_set(data.get("months", ()), "months"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Tariff:
    """How charging is billed at a place. Validated on construction.

    Energy is priced per `kind`. On top come a per-minute fee (per minute charging
    or plugged in), a session fee, and an idle fee per minute plugged in but not
    charging, each idle stretch billed only beyond `idle_grace_minutes`. Fixed
    amounts may not be negative; series prices (dynamic tariffs) may.
    """

    kind: TariffKind
    currency: str
    price_per_kwh: Decimal = _ZERO
    bands: tuple[TouBand, ...] = ()
    price_series_id: str | None = None
    per_minute: Decimal = _ZERO
    per_minute_basis: MinuteBasis = MinuteBasis.CHARGING
    session_fee: Decimal = _ZERO
    idle_fee_per_minute: Decimal = _ZERO
    idle_grace_minutes: int = 0
    solar_valuation: SolarValuation = SolarValuation.FREE
    feed_in_price: Decimal | None = None
    feed_in_series_id: str | None = None
    name: str = ""

    def __post_init__(self) -> None:
        self.validate()

    @property
    def cost_source(self) -> CostSource:
        """The `CostSource` recorded on costs priced with this tariff."""
        if self.kind is TariffKind.FREE:
            return CostSource.FREE
        if self.kind is TariffKind.PRICE_ENTITY:
            return CostSource.PRICE_ENTITY
        return CostSource.TARIFF

    def validate(self) -> None:
        """Raise TariffError with a clear message if the tariff is inconsistent."""
        if not (
            len(self.currency) == 3
            and self.currency.isascii()
            and self.currency.isalpha()
            and self.currency.isupper()
        ):
            raise TariffError(
                f"currency must be an ISO 4217 code like 'EUR', got {self.currency!r}"
            )
        for name in (
            "price_per_kwh",
            "per_minute",
            "session_fee",
            "idle_fee_per_minute",
        ):
            _check_money(getattr(self, name), name)
        if isinstance(self.idle_grace_minutes, bool) or self.idle_grace_minutes < 0:
            raise TariffError(
                f"idle_grace_minutes must be 0 or more, got {self.idle_grace_minutes}"
            )
        if self.kind is TariffKind.TIME_OF_USE and not self.bands:
            raise TariffError("a time-of-use tariff needs at least one band")
        if self.kind is TariffKind.PRICE_ENTITY and not self.price_series_id:
            raise TariffError("a price-entity tariff needs price_series_id")
        if self.feed_in_price is not None:
            _check_money(self.feed_in_price, "feed_in_price")
        if self.solar_valuation is SolarValuation.FEED_IN and (
            (self.feed_in_price is None) == (not self.feed_in_series_id)
        ):
            raise TariffError(
                "feed-in solar valuation needs exactly one of feed_in_price "
                "and feed_in_series_id"
            )

    def to_dict(self) -> dict[str, Any]:
        """Serialise losslessly (JSON-safe; amounts as strings)."""
        return {
            "version": TARIFF_FORMAT_VERSION,
            "kind": self.kind.value,
            "currency": self.currency,
            "price_per_kwh": str(self.price_per_kwh),
            "bands": [band.to_dict() for band in self.bands],
            "price_series_id": self.price_series_id,
            "per_minute": str(self.per_minute),
            "per_minute_basis": self.per_minute_basis.value,
            "session_fee": str(self.session_fee),
            "idle_fee_per_minute": str(self.idle_fee_per_minute),
            "idle_grace_minutes": self.idle_grace_minutes,
            "solar_valuation": self.solar_valuation.value,
            "feed_in_price": _opt_str(self.feed_in_price),
            "feed_in_series_id": self.feed_in_series_id,
            "name": self.name,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Tariff:
        """Restore from `to_dict` output (or a hand-written subset of it).

        Only `kind` and `currency` are required. Raises TariffError for unknown keys,
        a newer format version, wrong types and anything `validate` refuses.
        """
        unknown = set(data) - _TARIFF_KEYS
        if unknown:
            raise TariffError(f"unknown tariff keys: {sorted(unknown)}")
        version = data.get("version", TARIFF_FORMAT_VERSION)
        if version != TARIFF_FORMAT_VERSION:
            raise TariffError(f"unsupported tariff format version {version!r}")
        try:
            return cls(
                kind=TariffKind(data["kind"]),
                currency=_str(data["currency"], "currency"),
                price_per_kwh=_decimal(data.get("price_per_kwh", 0), "price_per_kwh"),
                bands=tuple(TouBand.from_dict(b) for b in data.get("bands", ())),
                price_series_id=_opt_id(data.get("price_series_id"), "price_series_id"),
                per_minute=_decimal(data.get("per_minute", 0), "per_minute"),
                per_minute_basis=MinuteBasis(
                    data.get("per_minute_basis", MinuteBasis.CHARGING)
                ),
                session_fee=_decimal(data.get("session_fee", 0), "session_fee"),
                idle_fee_per_minute=_decimal(
                    data.get("idle_fee_per_minute", 0), "idle_fee_per_minute"
                ),
                idle_grace_minutes=_int(
                    data.get("idle_grace_minutes", 0), "idle_grace_minutes"
                ),
                solar_valuation=SolarValuation(
                    data.get("solar_valuation", SolarValuation.FREE)
                ),
                feed_in_price=_opt_decimal(data.get("feed_in_price"), "feed_in_price"),
                feed_in_series_id=_opt_id(
                    data.get("feed_in_series_id"), "feed_in_series_id"
                ),
                name=_str(data.get("name", ""), "name"),
            )
        except TariffError:
            raise
        except (KeyError, TypeError, ValueError) as err:
            raise TariffError(f"malformed tariff: {err!r}") from err


_TARIFF_KEYS = frozenset(Tariff.__dataclass_fields__) | {"version"}


def normalize_zone(zone: str) -> str:
    """Key for an HA zone: "zone.home", "home" and "Home" are the same place.

    Zone names (a device tracker's state) and zone entity ids both work: "Work Place"
    and "zone.work_place" normalise to "work_place".
    """
    key = zone.strip().casefold()
    key = key.removeprefix("zone.")
    return "_".join(key.replace("-", " ").split())


@dataclass(frozen=True, slots=True, kw_only=True)
class TariffBook:
    """Which tariff applies where: per HA zone, with a default for everywhere else."""

    rules: Mapping[str, Tariff] = field(default_factory=dict)
    default: Tariff | None = None

    def __post_init__(self) -> None:
        rules: dict[str, Tariff] = {}
        for zone, tariff in self.rules.items():
            key = normalize_zone(zone)
            if not key:
                raise TariffError("a tariff rule needs a zone name")
            if key in rules:
                raise TariffError(f"two tariff rules for the same zone {key!r}")
            rules[key] = tariff
        object.__setattr__(self, "rules", rules)

    def for_zone(self, zone: str | None) -> Tariff | None:
        """The tariff for a zone (name or entity id), else the default."""
        if zone is None:
            return self.default
        return self.rules.get(normalize_zone(zone), self.default)

    def to_dict(self) -> dict[str, Any]:
        """Serialise (JSON-safe)."""
        return {
            "rules": {zone: tariff.to_dict() for zone, tariff in self.rules.items()},
            "default": None if self.default is None else self.default.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TariffBook:
        """Restore from `to_dict` output; raises TariffError if it is malformed."""
        try:
            rules = {
                str(zone): Tariff.from_dict(t)
                for zone, t in data.get("rules", {}).items()
            }
            default = data.get("default")
        except AttributeError as err:
            raise TariffError(f"malformed tariff book: {err!r}") from err
        return cls(
            rules=rules, default=None if default is None else Tariff.from_dict(default)
        )


def _check_money(amount: Decimal, name: str) -> None:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise TariffError(f"{name} must be a finite Decimal, got {amount!r}")
    if amount < 0:
        raise TariffError(f"{name} must not be negative, got {amount}")


def _decimal(value: object, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise TariffError(f"{name} must be a number or numeric string, got {value!r}")
    try:
        # str() of a float gives its shortest repr, not its binary expansion.
        result = Decimal(
            value if isinstance(value, str | int | Decimal) else str(value)
        )
    except InvalidOperation as err:
        raise TariffError(f"{name} is not a number: {value!r}") from err
    if not result.is_finite():
        raise TariffError(f"{name} must be finite, got {value!r}")
    return result


def _opt_decimal(value: object, name: str) -> Decimal | None:
    return None if value is None else _decimal(value, name)


def _opt_str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TariffError(f"{name} must be an integer, got {value!r}")
    return value


def _int_set(value: object, name: str) -> frozenset[int]:
    if not isinstance(value, list | tuple | set | frozenset):
        raise TariffError(f"{name} must be a list of integers, got {value!r}")
    return frozenset(_int(item, name) for item in value)


def _str(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise TariffError(f"{name} must be a string, got {value!r}")
    return value


def _opt_id(value: object, name: str) -> str | None:
    return None if value is None else _str(value, name)
