"""Hour buckets of a charging session, for long-term statistics.

A session's energy, cost and solar energy are split over the UTC hours they fell in.
Every split is exact: the hourly parts add up to the session's figure at that figure's
own precision (largest remainder), so hourly statistics and session records agree.

- Energy follows the session's energy per minute (or, without it, is spread evenly over
  its charging windows).
- Cost follows its parts: the energy cost follows the grid energy (energy less solar),
  the solar value the solar energy, fees and time cost the energy. The record keeps
  one amount per part, not a price per minute, so a time-of-use session's energy cost
  is apportioned by grid energy, not re-priced. A manual cost follows the energy; a
  session without energy puts its cost (a fee) in the hour it started.
- Solar follows the solar energy per minute (or the energy, if that is missing).

Hours are identified by their start in epoch seconds (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

from .integrate import spread
from .model import CostSource

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from .model import ChargingSession, Cost

HOUR_S = 3600
_ZERO = Decimal(0)


def hour_start(ts: float) -> int:
    """The start (epoch seconds) of the UTC hour containing `ts`."""
    return int(ts // HOUR_S) * HOUR_S


def minutes_by_hour(by_minute: Mapping[int, float]) -> dict[int, float]:
    """Per-minute values (epoch minute -> value) summed per hour (hour start -> sum)."""
    out: dict[int, float] = {}
    for minute, value in by_minute.items():
        hour = minute // 60 * HOUR_S
        out[hour] = out.get(hour, 0.0) + value
    return out


def apportion(total: Decimal, weights: Mapping[int, float]) -> dict[int, Decimal]:
    """Split `total` over the keys in proportion to their positive weights.

    The parts have the precision of `total` and add up to it exactly (largest
    remainder; ties go to the earlier key). Keys without a positive weight get
    nothing; with no positive weight at all the result is empty.
    """
    positive = {k: Decimal(repr(w)) for k, w in sorted(weights.items()) if w > 0}
    if not positive:
        return {}
    exponent = total.as_tuple().exponent
    quantum = Decimal(1).scaleb(exponent if isinstance(exponent, int) else 0)
    units = (abs(total) / quantum).to_integral_value()
    weight = sum(positive.values(), _ZERO)
    shares = {k: units * w / weight for k, w in positive.items()}
    floors = {k: s.to_integral_value(rounding=ROUND_FLOOR) for k, s in shares.items()}
    left = int(units - sum(floors.values(), _ZERO))
    by_remainder = sorted(positive, key=lambda k: (-(shares[k] - floors[k]), k))
    for k in by_remainder[:left]:
        floors[k] += 1
    sign = -1 if total < 0 else 1
    return {k: (sign * n * quantum).quantize(quantum) for k, n in floors.items()}


@dataclass(slots=True, kw_only=True)
class SessionHours:
    """A session's figures per UTC hour (hour start -> amount)."""

    energy_kwh: dict[int, Decimal] = field(default_factory=dict)
    cost: dict[int, Decimal] = field(default_factory=dict)
    currency: str | None = None
    solar_kwh: dict[int, Decimal] | None = None


def _energy_weights(session: ChargingSession) -> dict[int, float]:
    if any(v > 0 for v in session.energy_by_minute.values()):
        return minutes_by_hour(session.energy_by_minute)
    # No per-minute energy (a manual or counter-only record): even over charging.
    spans = [(w.started_at, w.ended_at) for w in session.windows] or [
        (session.started_at, session.ended_at)
    ]
    seconds = sum(max(end - start, 0.0) for start, end in spans)
    by_minute: dict[int, float] = {}
    for start, end in spans:
        share = (end - start) / seconds if seconds > 0 else 1.0 / len(spans)
        if share > 0:
            spread(by_minute, start, end, share)
    return minutes_by_hour(by_minute)


def session_hours(session: ChargingSession) -> SessionHours:
    """Split a settled session's energy, cost and solar energy over UTC hours."""
    weights = _energy_weights(session)
    out = SessionHours(energy_kwh=apportion(session.energy_kwh, weights))
    solar = session.solar
    solar_weights: dict[int, float] = {}
    if solar is not None:
        solar_weights = minutes_by_hour(solar.solar_by_minute)
        out.solar_kwh = apportion(solar.solar_kwh, _positive(solar_weights, weights))
    cost = session.cost
    if cost is not None:
        out.currency = cost.currency
        # Never empty: the weights hold at least the starting minute's hour.
        out.cost = _cost_hours(session, cost, weights, solar_weights)
    return out


def _positive(
    weights: dict[int, float], fallback: dict[int, float]
) -> dict[int, float]:
    return weights if any(w > 0 for w in weights.values()) else fallback


def _cost_hours(
    session: ChargingSession,
    cost: Cost,
    weights: dict[int, float],
    solar_weights: dict[int, float],
) -> dict[int, Decimal]:
    fees = cost.time_cost + cost.session_fee + cost.idle_fee
    if (
        cost.source is CostSource.MANUAL
        or cost.energy_cost + cost.solar_value + fees != cost.total
    ):
        return apportion(cost.total, weights)
    solar_by_minute = session.solar.solar_by_minute if session.solar else {}
    grid_weights = minutes_by_hour(
        {
            minute: kwh - min(max(solar_by_minute.get(minute, 0.0), 0.0), kwh)
            for minute, kwh in session.energy_by_minute.items()
            if kwh > 0
        }
    )
    return add_hours(
        (
            apportion(cost.energy_cost, _positive(grid_weights, weights)),
            apportion(cost.solar_value, _positive(solar_weights, weights)),
            apportion(fees, weights),
        )
    )


def add_hours(parts: Iterable[Mapping[int, Decimal]]) -> dict[int, Decimal]:
    """Hour-wise sum of several hour maps."""
    out: dict[int, Decimal] = {}
    for part in parts:
        for hour, amount in part.items():
            out[hour] = out.get(hour, _ZERO) + amount
    return out


def running_sums(
    base: Decimal, states: Mapping[int, Decimal]
) -> list[tuple[int, Decimal, Decimal]]:
    """(hour, state, sum) in hour order, the sum continuing from `base`."""
    total = base
    rows: list[tuple[int, Decimal, Decimal]] = []
    for hour in sorted(states):
        total += states[hour]
        rows.append((hour, states[hour], total))
    return rows
