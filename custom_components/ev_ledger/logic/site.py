"""The energy-site ledger: solar, grid, home battery and house load, minute by minute.

Each power role is integrated with zero-order hold into per-UTC-minute kWh buckets, and
the seconds each role actually covered are kept per minute too: a minute with zero
solar at night and a minute with no solar data look the same in energy, but only one
of them can be attributed. Charging sessions read the flows back per minute
(`solar.attribute`); when a local day is settled the ledger emits its daily summary.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
import math
from typing import TYPE_CHECKING, Any, Final

from .integrate import IntegrationMethod, PowerIntegrator, spread
from .model import Flag, Reading, Reject, Role
from .series import SeriesText, drop_before, pairs_from

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

SNAPSHOT_VERSION: Final = 1
MAX_ABS_KW: Final = 1000.0
# Inverters and meters idle a few watts below zero; that is noise, not a fault.
NEGATIVE_TOLERANCE_KW: Final = 0.05
SITE_ROLES: Final = (
    Role.SOLAR_POWER,
    Role.GRID_POWER,
    Role.GRID_IMPORT_POWER,
    Role.GRID_EXPORT_POWER,
    Role.BATTERY_POWER,
    Role.HOME_LOAD,
)
_SIGNED: Final = frozenset({Role.GRID_POWER, Role.BATTERY_POWER})
# Coverage is a float sum of seconds; allow for its rounding.
_FULL_MINUTE: Final = 60.0 - 1e-6
# Pruning walks every bucket, so do it hourly rather than on every new minute.
_PRUNE_EVERY_MIN: Final = 60
_KWH: Final = Decimal("0.001")
_PCT: Final = Decimal("0.1")


@dataclass(slots=True, frozen=True, kw_only=True)
class SiteConfig:
    """Static description of an energy site.

    Map either `GRID_POWER` or the `GRID_IMPORT_POWER`/`GRID_EXPORT_POWER` pair: when
    both are fed, their flows add up.

    Attributes:
        site_id: Stable identifier of the site.
        zone: The Home Assistant zone where the site is.
        max_gap_s: Longest interval one power reading may cover; a longer silence is a
            gap, not a hold.
        load_includes_ev: Whether the house-load sensor includes the EV charger (as a
            Powerwall's "home load" does).
        retention_minutes: How long per-minute flows are kept for attribution.
        tz: Time zone of the local day used for daily summaries.
    """

    site_id: str
    zone: str = "home"
    max_gap_s: float = 900.0
    load_includes_ev: bool = True
    retention_minutes: int = 3 * 24 * 60
    tz: tzinfo = UTC

    def __post_init__(self) -> None:
        """Refuse settings that would make the ledger meaningless."""
        if not self.max_gap_s > 0:
            raise ValueError("max_gap_s must be positive")
        if self.retention_minutes <= 0:
            raise ValueError("retention_minutes must be positive")


@dataclass(slots=True, frozen=True, kw_only=True)
class SiteMinute:
    """Energy (kWh) that flowed through the site during one UTC minute.

    `home_load` is the house-load sensor's value when it covered the minute
    (`load_measured`), else the balance solar + import − export + discharge − charge,
    which always includes an EV charging at the site.
    """

    solar: float
    grid_import: float
    grid_export: float
    battery_discharge: float
    battery_charge: float
    home_load: float
    load_measured: bool


@dataclass(slots=True, kw_only=True)
class SiteDailySummary:
    """One local day of an energy site, like the daily view of a Tesla/Tessie app.

    Solar is allocated per minute: first to the house, then into the battery, then
    to the grid. `self_consumption_pct` is the share of solar not exported;
    `self_sufficiency_pct` the share of home consumption not served by the grid. Both
    are None when their denominator is zero. `Flag.GAP` means a mapped source did not
    cover every minute of the day (including a first, partial day).
    """

    site_id: str
    day: date
    solar_produced_kwh: Decimal
    to_home_kwh: Decimal
    to_battery_kwh: Decimal
    to_grid_kwh: Decimal
    grid_imported_kwh: Decimal
    grid_exported_kwh: Decimal
    battery_charged_kwh: Decimal
    battery_discharged_kwh: Decimal
    home_consumed_kwh: Decimal
    self_consumption_pct: Decimal | None
    self_sufficiency_pct: Decimal | None
    flags: set[Flag] = field(default_factory=set)


_EMPTY: Final[tuple[SiteDailySummary, ...]] = ()


class _Channel:
    """One role: its integrator(s) and the seconds it covered per minute.

    A signed role keeps two integrators, for its positive and negative parts; with
    zero-order hold the sign is constant over each interval, so the split is exact.
    """

    __slots__ = (
        "_text",
        "coverage",
        "integrators",
        "last_ts",
        "max_gap",
        "signed",
    )

    def __init__(self, *, signed: bool, max_gap: float) -> None:
        self.signed = signed
        self.max_gap = max_gap
        self.integrators = tuple(
            PowerIntegrator(IntegrationMethod.ZOH, max_gap) for _ in range(1 + signed)
        )
        self.coverage: dict[int, float] = {}
        # The snapshot's text of `coverage`.
        self._text = SeriesText()
        # Last accepted reading, None readings included: a role that was ever fed is
        # mapped, and from then on a minute it does not cover is missing data.
        self.last_ts: float | None = None

    def open_since(self) -> float | None:
        """Start of the interval still waiting for its closing reading."""
        head = self.integrators[0]
        return head.last_ts if head.last_kw is not None else None

    def _cover(self, ts: float) -> None:
        head = self.integrators[0]
        start = head.last_ts
        if start is None or head.last_kw is None:
            return
        seconds = ts - start
        if 0 < seconds <= self.max_gap:
            minute = int(start // 60)
            text = self._text
            text.changed = min(text.changed, minute)
            if int(ts // 60) == minute:
                coverage = self.coverage
                coverage[minute] = coverage.get(minute, 0.0) + seconds
            else:
                spread(self.coverage, start, ts, seconds)

    def feed(self, ts: float, kw: float) -> None:
        self._cover(ts)
        if self.signed:
            self.integrators[0].feed(ts, kw if kw > 0 else 0.0)
            self.integrators[1].feed(ts, -kw if kw < 0 else 0.0)
        else:
            self.integrators[0].feed(ts, kw)

    def pause(self, ts: float) -> None:
        self._cover(ts)
        for integrator in self.integrators:
            integrator.pause(ts)

    def covers(self, minute: int) -> bool:
        return self.coverage.get(minute, 0.0) >= _FULL_MINUTE

    def pos(self, minute: int) -> float:
        return self.integrators[0].minute_kwh(minute)

    def neg(self, minute: int) -> float:
        return self.integrators[-1].minute_kwh(minute) if self.signed else 0.0

    def prune(self, cutoff: int) -> None:
        if drop_before(self.coverage, cutoff):
            self._text.reset()
        for integrator in self.integrators:
            integrator.prune(cutoff)

    def to_dict(self) -> dict[str, Any]:
        # Coverage is added from the open interval's start on: earlier is settled.
        since = self.open_since()
        settled = self.last_ts if since is None else since
        coverage = self._text.text(
            self.coverage, -math.inf if settled is None else settled // 60
        )
        return {
            "last_ts": self.last_ts,
            "coverage": coverage,
            "integrators": [i.to_dict() for i in self.integrators],
        }

    def restore(self, data: Mapping[str, Any]) -> None:
        self.last_ts = data["last_ts"]
        self.coverage = {int(k): float(v) for k, v in pairs_from(data["coverage"])}
        self._text.reset()
        integrators = tuple(PowerIntegrator.from_dict(i) for i in data["integrators"])
        if len(integrators) != len(self.integrators):
            raise ValueError("snapshot does not match the role's sign convention")
        for integrator in integrators:
            # The configured gap wins over the one in force when the snapshot was taken.
            integrator.max_gap = self.max_gap
        self.integrators = integrators


def _kwh(value: float) -> Decimal:
    return Decimal(repr(max(value, 0.0))).quantize(_KWH, ROUND_HALF_UP)


def _pct(part: float, whole: float) -> Decimal | None:
    if whole <= 0:
        return None
    share = min(max(part / whole, 0.0), 1.0)
    return Decimal(repr(100.0 * share)).quantize(_PCT, ROUND_HALF_UP)


@dataclass(slots=True)
class _Running:
    """The totals of a day's final minutes, before `upto` (see `flush_day`)."""

    key: tuple[date, tuple[bool, ...]]
    upto: int
    totals: list[float] = field(default_factory=lambda: [0.0] * 10)
    gap: bool = False
    seen: bool = False


class SiteLedger:
    """Turns energy-site readings into per-minute flows and daily summaries.

    Feed readings in time order (each role on its own may lag the others by up to
    `max_gap_s`). Every mapped role must report at least every `max_gap_s` while its
    value holds: re-reported unchanged states count.
    """

    def __init__(self, config: SiteConfig) -> None:
        """Start an empty ledger for `config`."""
        self.config = config
        self.rejected: Counter[Reject] = Counter()
        self._channels = {
            role: _Channel(signed=role in _SIGNED, max_gap=config.max_gap_s)
            for role in SITE_ROLES
        }
        ch = self._channels
        self._solar = ch[Role.SOLAR_POWER]
        self._grid = ch[Role.GRID_POWER]
        self._grid_in = ch[Role.GRID_IMPORT_POWER]
        self._grid_out = ch[Role.GRID_EXPORT_POWER]
        self._battery = ch[Role.BATTERY_POWER]
        self._load = ch[Role.HOME_LOAD]
        self._latest: float | None = None
        self._next_prune = 0
        # The oldest local day not yet summarised, and its bounds.
        self._day: date | None = None
        self._day_start_min = 0
        self._day_end_min = 0
        self._day_end = math.inf
        # Today's running summary (flush_day), derived: not in the snapshot.
        self._running: _Running | None = None

    # Input -----------------------------------------------------------------------

    def step(self, reading: Reading) -> Sequence[SiteDailySummary]:
        """Accept one reading; return the daily summaries it settles (usually none).

        Invalid readings are counted in `rejected` and otherwise ignored. A None value
        means the source is unavailable: its interval is integrated up to the reading
        and stops there.
        """
        ts, role, value = reading
        channel = self._channels.get(role)
        if channel is None:
            return self._reject(Reject.UNKNOWN_ROLE)
        try:
            if not math.isfinite(ts):
                return self._reject(Reject.NOT_FINITE)
        except TypeError:
            return self._reject(Reject.NOT_NUMERIC)
        kw: float | None = None
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                return self._reject(Reject.NOT_NUMERIC)
            try:
                kw = float(value)
            except OverflowError:
                return self._reject(Reject.ABSURD)
            if not math.isfinite(kw):
                return self._reject(Reject.NOT_FINITE)
            if abs(kw) > MAX_ABS_KW:
                return self._reject(Reject.ABSURD)
            if kw < 0 and not channel.signed:
                if kw < -NEGATIVE_TOLERANCE_KW:
                    return self._reject(Reject.NEGATIVE)
                kw = 0.0
        last = channel.last_ts
        if last is not None and ts < last:
            return self._reject(Reject.STALE)
        channel.last_ts = ts
        if kw is None:
            channel.pause(ts)
        else:
            channel.feed(ts, kw)

        latest = self._latest
        if latest is None:
            self._set_day(self._local_day(ts))
        if latest is None or ts > latest:
            self._latest = latest = ts
        out: Sequence[SiteDailySummary] = _EMPTY
        if latest >= self._day_end:
            out = self._close_days()
        if latest // 60 >= self._next_prune:
            self._prune(int(latest // 60))
        return out

    def _reject(self, reason: Reject) -> Sequence[SiteDailySummary]:
        self.rejected[reason] += 1
        return _EMPTY

    # Per-minute flows ----------------------------------------------------------------

    def minute(self, m: int) -> SiteMinute | None:
        """Flows of UTC minute `m` (epoch seconds // 60), None unless `covered(m)`.

        A minute is covered when solar covered all of it, the house load is known
        (its sensor covered the minute, or the grid did so the load can be derived),
        and the home battery, if one is mapped, covered it too. Minutes older than
        `retention_minutes` before the latest reading are forgotten.
        """
        latest = self._latest
        if latest is None or m < latest // 60 - self.config.retention_minutes:
            return None
        if not self._solar.covers(m):
            return None
        battery = self._battery
        if battery.last_ts is not None and not battery.covers(m):
            return None
        measured = self._load.covers(m)
        if not measured and not self._grid_covers(m):
            return None
        solar, grid_import, grid_export, discharge, charge = self._flows(m)
        if measured:
            load = self._load.pos(m)
        else:
            load = max(0.0, solar + grid_import - grid_export + discharge - charge)
        return SiteMinute(
            solar=solar,
            grid_import=grid_import,
            grid_export=grid_export,
            battery_discharge=discharge,
            battery_charge=charge,
            home_load=load,
            load_measured=measured,
        )

    def covered(self, m: int) -> bool:
        """Whether minute `m` has the data needed to attribute energy in it."""
        return self.minute(m) is not None

    @property
    def settled_until(self) -> float | None:
        """Instant (epoch s) before which every role's data is final.

        A role's last reading holds until its next one, so the interval it opened is
        only integrated then; attribute a session once this has passed its end.
        """
        return None if self._latest is None else self._frontier()

    def _flows(self, m: int) -> tuple[float, float, float, float, float]:
        grid = self._grid
        return (
            self._solar.pos(m),
            grid.pos(m) + self._grid_in.pos(m),
            grid.neg(m) + self._grid_out.pos(m),
            self._battery.pos(m),
            self._battery.neg(m),
        )

    def _grid_covers(self, m: int) -> bool:
        if self._grid.covers(m):
            return True
        grid_in, grid_out = self._grid_in, self._grid_out
        in_seen = grid_in.last_ts is not None
        out_seen = grid_out.last_ts is not None
        return (
            (in_seen or out_seen)
            and (not in_seen or grid_in.covers(m))
            and (not out_seen or grid_out.covers(m))
        )

    def _frontier(self) -> float:
        """Latest instant up to which no open interval can still add energy."""
        latest = self._latest
        assert latest is not None
        frontier = latest
        max_gap = self.config.max_gap_s
        for channel in self._channels.values():
            since = channel.open_since()
            # Past max_gap the open interval can only end as a gap: it adds nothing.
            if since is not None and since < frontier and latest - since <= max_gap:
                frontier = since
        return frontier

    def _prune(self, now_min: int) -> None:
        # Never drop minutes of a day that still awaits its summary.
        cutoff = min(now_min - self.config.retention_minutes, self._day_start_min)
        for channel in self._channels.values():
            channel.prune(cutoff)
        self._next_prune = now_min + _PRUNE_EVERY_MIN

    # Daily summaries -----------------------------------------------------------------

    def _local_day(self, ts: float) -> date:
        return datetime.fromtimestamp(ts, self.config.tz).date()

    def _day_bounds(self, day: date) -> tuple[int, int, float]:
        tz = self.config.tz
        start = datetime.combine(day, time(), tz).timestamp()
        end = datetime.combine(day + timedelta(days=1), time(), tz).timestamp()
        return int(start // 60), int(end // 60), end

    def _set_day(self, day: date) -> None:
        self._day = day
        self._day_start_min, self._day_end_min, self._day_end = self._day_bounds(day)

    def _close_days(self) -> Sequence[SiteDailySummary]:
        frontier = self._frontier()
        out: list[SiteDailySummary] = []
        while self._day_end <= frontier:
            assert self._day is not None
            summary = self._summarise(
                self._day, self._day_start_min, self._day_end_min, frontier
            )
            if summary is not None:
                out.append(summary)
            self._set_day(self._next_day(frontier))
        return out or _EMPTY

    def _next_day(self, frontier: float) -> date:
        """The next day that may hold data, skipping silent stretches in one go."""
        assert self._day is not None
        end_min = self._day_end_min
        channels = self._channels.values()
        if any(end_min in c.coverage for c in channels):
            return self._day + timedelta(days=1)
        later = [m for c in channels for m in c.coverage if m >= end_min]
        # Data still to come starts at or after the frontier.
        moment = min(min(later) * 60.0, frontier) if later else frontier
        return max(self._local_day(moment), self._day + timedelta(days=1))

    def flush_day(self, day: date | None = None) -> SiteDailySummary | None:
        """Summarise a local day so far, without closing it.

        Args:
            day: The local day; defaults to the day of the latest reading.

        Returns:
            The (possibly partial) summary, or None when the site has no data for the
            day. Gaps are judged only up to `settled_until`.
        """
        if self._latest is None:
            return None
        if day is None:
            day = self._local_day(self._latest)
        start_min, end_min, _ = self._day_bounds(day)
        return self._summarise(day, start_min, end_min, self._frontier(), running=True)

    def _grid_seen(self) -> bool:
        return any(
            c.last_ts is not None for c in (self._grid, self._grid_in, self._grid_out)
        )

    def _seen_groups(self) -> list[Callable[[int], bool]]:
        groups: list[Callable[[int], bool]] = [
            channel.covers
            for channel in (self._solar, self._battery, self._load)
            if channel.last_ts is not None
        ]
        if self._grid_seen():
            groups.append(self._grid_covers)
        return groups

    def _summarise(
        self,
        day: date,
        start_min: int,
        end_min: int,
        frontier: float,
        *,
        running: bool = False,
    ) -> SiteDailySummary | None:
        """The summary of [start_min, end_min); `running`: today's, every minute.

        A running summary keeps the totals of the minutes before the frontier (they
        are final) and adds only what came since, and the minutes after it up to
        the latest reading: its cost does not grow with the day. Its sums are taken
        in the same order as a full one, so both give the same numbers.
        """
        groups = self._seen_groups()
        checked_until = min(end_min, int(frontier // 60))
        if running:
            assert self._latest is not None
            key = (day, tuple(c.last_ts is not None for c in self._channels.values()))
            cache = self._running
            if cache is None or cache.key != key or cache.upto > checked_until:
                cache = self._running = _Running(key, start_min)
            upto = max(cache.upto, start_min)
            self._accumulate(cache.totals, upto, checked_until)
            cache.gap = cache.gap or self._gap_in(upto, checked_until, groups)
            cache.seen = cache.seen or self._has_data(upto, checked_until)
            cache.upto = max(upto, checked_until)
            totals = list(cache.totals)
            tail_end = min(end_min, int(self._latest // 60) + 1)
            self._accumulate(totals, cache.upto, tail_end)
            if not (cache.seen or self._has_data(cache.upto, tail_end)):
                return None
            gap = cache.gap
        else:
            channels = tuple(self._channels.values())
            if not any(start_min <= m < end_min for c in channels for m in c.coverage):
                return None
            totals = [0.0] * 10
            self._accumulate(totals, start_min, end_min)
            gap = self._gap_in(start_min, checked_until, groups)
        (
            solar_t,
            import_t,
            export_t,
            discharge_t,
            charge_t,
            home_t,
            to_home_t,
            to_battery_t,
            to_grid_t,
            grid_home_t,
        ) = totals
        # Without a grid meter, exports and imports are unknown, and so are both shares.
        grid = self._grid_seen()
        return SiteDailySummary(
            site_id=self.config.site_id,
            day=day,
            solar_produced_kwh=_kwh(solar_t),
            to_home_kwh=_kwh(to_home_t),
            to_battery_kwh=_kwh(to_battery_t),
            to_grid_kwh=_kwh(to_grid_t),
            grid_imported_kwh=_kwh(import_t),
            grid_exported_kwh=_kwh(export_t),
            battery_charged_kwh=_kwh(charge_t),
            battery_discharged_kwh=_kwh(discharge_t),
            home_consumed_kwh=_kwh(home_t),
            self_consumption_pct=_pct(solar_t - to_grid_t, solar_t) if grid else None,
            self_sufficiency_pct=_pct(home_t - grid_home_t, home_t) if grid else None,
            flags={Flag.GAP} if gap else set(),
        )

    def _accumulate(self, totals: list[float], start_min: int, end_min: int) -> None:
        """Add the flows of minutes [start_min, end_min) to `totals`, in order."""
        if end_min <= start_min:
            return
        (
            solar_t,
            import_t,
            export_t,
            discharge_t,
            charge_t,
            home_t,
            to_home_t,
            to_battery_t,
            to_grid_t,
            grid_home_t,
        ) = totals
        load = self._load
        for m in range(start_min, end_min):
            solar, grid_import, grid_export, discharge, charge = self._flows(m)
            if load.covers(m):
                home = load.pos(m)
            else:
                home = max(0.0, solar + grid_import - grid_export + discharge - charge)
            to_home = min(solar, home)
            to_battery = min(solar - to_home, charge)
            to_grid = min(solar - to_home - to_battery, grid_export)
            battery_home = min(discharge, home - to_home)
            solar_t += solar
            import_t += grid_import
            export_t += grid_export
            discharge_t += discharge
            charge_t += charge
            home_t += home
            to_home_t += to_home
            to_battery_t += to_battery
            to_grid_t += to_grid
            grid_home_t += min(grid_import, home - to_home - battery_home)
        totals[:] = (
            solar_t,
            import_t,
            export_t,
            discharge_t,
            charge_t,
            home_t,
            to_home_t,
            to_battery_t,
            to_grid_t,
            grid_home_t,
        )

    @staticmethod
    def _gap_in(
        start_min: int, end_min: int, groups: list[Callable[[int], bool]]
    ) -> bool:
        return any(
            not covers(m) for m in range(start_min, end_min) for covers in groups
        )

    def _has_data(self, start_min: int, end_min: int) -> bool:
        channels = tuple(self._channels.values())
        return any(m in c.coverage for m in range(start_min, end_min) for c in channels)

    # Snapshot ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Serialise the whole state (JSON-safe)."""
        return {
            "version": SNAPSHOT_VERSION,
            "site_id": self.config.site_id,
            "latest": self._latest,
            "next_prune": self._next_prune,
            "day": None if self._day is None else self._day.isoformat(),
            "rejected": {reason.value: n for reason, n in self.rejected.items()},
            "channels": {role.value: c.to_dict() for role, c in self._channels.items()},
        }

    @classmethod
    def from_dict(cls, config: SiteConfig, data: Mapping[str, Any]) -> SiteLedger:
        """Restore a ledger from `to_dict` output; continuing it is as if never stopped.

        Raises:
            ValueError: The snapshot is of another version or another site.
        """
        if data.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"unsupported site snapshot version {data.get('version')}")
        if data.get("site_id") != config.site_id:
            raise ValueError("snapshot belongs to another site")
        ledger = cls(config)
        ledger.rejected = Counter(
            {Reject(k): int(n) for k, n in data["rejected"].items()}
        )
        for role, channel in data["channels"].items():
            ledger._channels[Role(role)].restore(channel)
        ledger._latest = data["latest"]
        ledger._next_prune = int(data["next_prune"])
        if data["day"] is not None:
            ledger._set_day(date.fromisoformat(data["day"]))
        return ledger
