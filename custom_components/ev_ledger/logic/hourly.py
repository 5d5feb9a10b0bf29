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

`Contributions` keeps what each session added to each hour, so that publishing a
session again (or forgetting it) rewrites its hours instead of adding to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

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


@dataclass(slots=True)
class Contributions:
    """What each session contributed to each statistic and hour.

    Publishing a session again replaces its contribution instead of adding to it; an
    hour's state is the sum of the contributions known for it. Statistics are named by
    id (a string), hours by their start; amounts are `Decimal`.
    """

    # session id -> statistic id -> hour start -> amount
    sessions: dict[str, dict[str, dict[int, Decimal]]] = field(default_factory=dict)
    # session id -> the start of its last hour (what pruning goes by)
    last_hour: dict[str, int] = field(default_factory=dict)

    def put(
        self,
        session_id: str,
        parts: dict[str, dict[int, Decimal]],
        last_hour: int,
        touched: dict[str, set[int]],
    ) -> None:
        """Replace a session's contribution; add its old and new hours to `touched`."""
        _touch(touched, self.sessions.get(session_id, {}))
        _touch(touched, parts)
        self.sessions[session_id] = parts
        self.last_hour[session_id] = last_hour

    def remove(self, session_id: str, touched: dict[str, set[int]]) -> bool:
        """Drop a session's contribution, adding its hours to `touched`.

        False if the session is not known (never put, or pruned): nothing is touched.
        """
        parts = self.sessions.pop(session_id, None)
        if parts is None:
            return False
        del self.last_hour[session_id]
        _touch(touched, parts)
        return True

    def amounts(self, statistic_id: str, hours: Iterable[int]) -> dict[int, Decimal]:
        """The total of all known contributions to `statistic_id` in `hours`."""
        total = add_hours(
            parts[statistic_id]
            for parts in self.sessions.values()
            if statistic_id in parts
        )
        return {hour: total.get(hour, _ZERO) for hour in hours}

    def statistic_ids(self) -> set[str]:
        """The statistics some known session contributes to."""
        return {
            statistic_id for parts in self.sessions.values() for statistic_id in parts
        }

    def prune(self, retain_s: int, batch_last: int) -> None:
        """Forget sessions far (over `retain_s`) from both the newest hour and a batch.

        `batch_last` is the last hour of the batch just put: its sessions are kept
        even when older, so a batch of old sessions can be corrected again.
        """
        newest = max(self.last_hour.values(), default=batch_last)
        for session_id, last in list(self.last_hour.items()):
            if last < newest - retain_s and not (
                batch_last - retain_s <= last <= batch_last
            ):
                del self.last_hour[session_id]
                del self.sessions[session_id]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready copy: amounts as strings (exact), hours as string keys.

        `{session id: {"last_hour": int, "hours": {statistic id: {hour: amount}}}}`
        """
        return {
            session_id: {
                "last_hour": self.last_hour[session_id],
                "hours": {
                    statistic_id: {
                        str(hour): str(amount)
                        for hour, amount in sorted(amounts.items())
                    }
                    for statistic_id, amounts in sorted(parts.items())
                },
            }
            for session_id, parts in sorted(self.sessions.items())
        }

    @classmethod
    def from_json(cls, raw: object) -> Contributions:
        """The contributions of `to_json`'s output.

        Raises TypeError or ValueError if `raw` is not such an output.
        """
        out = cls()
        for session_id, entry in _mapping(raw, "sessions").items():
            entry_map = _mapping(entry, f"session {session_id}")
            out.last_hour[session_id] = _hour(entry_map.get("last_hour"))
            out.sessions[session_id] = {
                statistic_id: {
                    _hour(hour): _amount(amount)
                    for hour, amount in _mapping(amounts, statistic_id).items()
                }
                for statistic_id, amounts in _mapping(
                    entry_map.get("hours"), f"hours of {session_id}"
                ).items()
            }
        return out


def _touch(
    touched: dict[str, set[int]], parts: Mapping[str, Mapping[int, Any]]
) -> None:
    for statistic_id, amounts in parts.items():
        if amounts:
            touched.setdefault(statistic_id, set()).update(amounts)


def _mapping(raw: object, what: str) -> dict[str, Any]:
    if not isinstance(raw, dict) or not all(isinstance(key, str) for key in raw):
        raise TypeError(f"{what}: not a mapping of strings")
    return raw


def _hour(raw: object) -> int:
    """An hour start, as an integer or its text."""
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise TypeError(f"{raw!r}: not an hour")
    hour = int(raw)
    if hour % HOUR_S:
        raise ValueError(f"{raw!r}: not the start of an hour")
    return hour


def _amount(raw: object) -> Decimal:
    if not isinstance(raw, str):
        raise TypeError(f"{raw!r}: not an amount")
    try:
        amount = Decimal(raw)
    except InvalidOperation as err:
        raise ValueError(f"{raw!r}: not an amount") from err
    if not amount.is_finite():
        raise ValueError(f"{raw!r}: not a finite amount")
    return amount
