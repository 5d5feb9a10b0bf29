"""An in-progress charging session and how it becomes a record.

The vehicle ledger decides when a session opens and closes; this module accumulates
what happens inside it and, at the end, picks the best energy measurement.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .counters import CounterTracker
from .integrate import SECONDS_PER_HOUR, MinuteEnergy, PowerIntegrator, spread
from .model import (
    ChargeType,
    ChargingSession,
    ChargingWindow,
    EnergyMethod,
    Flag,
    Place,
    PlaceSource,
    SessionStatus,
)
from .tariff import normalize_zone

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .config import VehicleConfig

KWH = Decimal("0.001")
# Power held across a silence is refused when it claims more than the battery level
# rose by, times this (charging loss, a level's rounding), plus this much.
HELD_LOSS_FACTOR = 1.25
HELD_SLACK_KWH = 1.0


def kwh(value: float) -> Decimal:
    """Quantize an energy to Wh resolution."""
    return Decimal(repr(value)).quantize(KWH)


class OpenSession:
    """State of a session that has not ended yet."""

    __slots__ = (
        "charge_type",
        "charging_since",
        "current_n",
        "current_sum",
        "evse",
        "flags",
        "level_end",
        "level_start",
        "level_ts",
        "max_kw",
        "min_kw",
        "place",
        "plugged_at",
        "power",
        "range_end",
        "range_start",
        "record_id",
        "started_at",
        "temp_n",
        "temp_sum",
        "unplug_power",
        "vehicle",
        "via_charger",
        "voltage_n",
        "voltage_sum",
        "windows",
    )

    def __init__(
        self,
        config: VehicleConfig,
        started_at: float,
        *,
        record_id: str,
        plugged: bool,
        evse_history: Sequence[Sequence[float]],
        vehicle_history: Sequence[Sequence[float]],
        level: float | None,
        range_km: float | None,
        place: Place | None,
    ) -> None:
        self.record_id = record_id
        self.started_at = started_at
        self.plugged_at: float | None = started_at if plugged else None
        # A reading held across `offline_after_s` without another is weighed against
        # the battery level when the record is built (`_held_implausible`).
        self.power = PowerIntegrator(
            config.power_method, config.max_power_gap_s, config.offline_after_s
        )
        # Counter energy is never placed before the session began, however long ago
        # the baseline reading came.
        horizon = started_at - config.session_grace_s
        self.vehicle = CounterTracker.from_history(vehicle_history, horizon, started_at)
        self.evse = CounterTracker.from_history(evse_history, horizon, started_at)
        # [start, end, vehicle kWh, power kWh, evse kWh at start, the same at end];
        # end == -1 while open. Counter snapshots make window energy O(1).
        self.windows: list[list[float]] = []
        self.charging_since: float | None = None
        self.level_start = level
        self.level_end = level
        # When `level_end` was read (None: at the start, or not known).
        self.level_ts: float | None = None
        self.range_start = range_km
        self.range_end = range_km
        self.place = place
        self.max_kw: float | None = None
        self.min_kw: float | None = None
        self.voltage_sum = 0.0
        self.voltage_n = 0
        self.current_sum = 0.0
        self.current_n = 0
        self.temp_sum = 0.0
        self.temp_n = 0
        self.charge_type: ChargeType | None = None
        self.flags: set[Flag] = set()
        # A wallbox mapped to the vehicle showed this session's charge.
        self.via_charger = False
        # [time, integrated kWh] at an unplug waiting out its grace (`mark_unplug`).
        self.unplug_power: list[float] | None = None

    # Charging windows -------------------------------------------------------------

    def window_start(self, ts: float) -> None:
        """Active charging began."""
        if self.charging_since is None:
            self.charging_since = ts
            self.windows.append(
                [
                    ts,
                    -1.0,
                    self.vehicle.kwh,
                    self.power.kwh,
                    self.evse.kwh,
                    0.0,
                    0.0,
                    0.0,
                ]
            )

    def window_stop(self, ts: float) -> None:
        """Active charging stopped."""
        if self.charging_since is not None:
            # Not charging means no power, whether or not the sensor said 0 yet.
            self.power.stop(ts)
            window = self.windows[-1]
            window[1] = ts
            window[5] = self.vehicle.kwh
            window[6] = self.power.kwh
            window[7] = self.evse.kwh
            self.charging_since = None

    @property
    def charging(self) -> bool:
        """Whether a charging window is open."""
        return self.charging_since is not None

    def last_activity(self) -> float:
        """End of the last charging window (or the session start)."""
        if not self.windows:
            return self.started_at
        end = self.windows[-1][1]
        return end if end >= 0 else self.windows[-1][0]

    def end_estimate(self, ts: float) -> float:
        """When charging ended if the session ends at `ts`."""
        return ts if self.charging else min(ts, self.last_activity())

    def mark_unplug(self, ts: float) -> None:
        """The cable went out at `ts` (to be confirmed by the grace period).

        Keeps the integrated power energy up to `ts`, the last power held until
        then: should the unplug be confirmed, power reported after it is stale.
        """
        power = self.power
        held = 0.0
        last_ts, last_kw = power.last_ts, power.last_kw
        if last_ts is not None and last_kw and 0 < ts - last_ts <= power.max_gap:
            held = last_kw * (ts - last_ts) / SECONDS_PER_HOUR
        self.unplug_power = [ts, power.kwh + held]

    def _cut_at(self, unplugged_at: float) -> None:
        """Nothing charges once the cable is out.

        A status sensor may say "charging" until after the plug sensor reported the
        unplug (the window stays open through the grace period, in case the plug
        bounces back). Once the unplug is confirmed, the charge ended there at the
        latest. Energy a counter reported later still belongs to the session's last
        minute (it counted before); a power reading after the unplug is stale, so the
        power integrated after it is no energy (a cloud car's power lags its plug
        sensor by a poll; within the grace period, up to 0.23 kWh at 7 kW).
        """
        marked = self.unplug_power
        if marked is not None and marked[0] == unplugged_at:
            self.power.trim(self.power.kwh - marked[1])
        kwh_now = self.power.kwh
        for window in self.windows:
            # A window a stale "charging" opened after the unplug starts there too;
            # an open one ends at the session's end, the unplug.
            window[0] = min(window[0], unplugged_at)
            window[1] = min(window[1], unplugged_at)  # an open one's -1 stays
            window[3] = min(window[3], kwh_now)
            window[6] = min(window[6], kwh_now)

    def charging_seconds(self, until: float) -> float:
        """Total time inside charging windows."""
        return sum((w[1] if w[1] >= 0 else until) - w[0] for w in self.windows)

    # Measurements ------------------------------------------------------------------

    def on_temp(self, celsius: float) -> None:
        """An outside temperature reading."""
        self.temp_sum += celsius
        self.temp_n += 1

    def on_level(self, level: float, ts: float | None = None) -> None:
        """A battery level reading (at `ts`)."""
        if self.level_start is None:
            self.level_start = level
        self.level_end = level
        self.level_ts = ts

    def on_range(self, km: float) -> None:
        """A range reading."""
        if self.range_start is None:
            self.range_start = km
        self.range_end = km

    # The record ----------------------------------------------------------------------

    def build(
        self,
        vehicle_id: str,
        ended_at: float,
        unplugged_at: float | None,
        capacity_kwh: float | None,
        capacity_learned: bool,
        status: SessionStatus,
        config: VehicleConfig,
        *,
        final: bool = True,
    ) -> ChargingSession:
        """Turn the session into a record, choosing the best energy measurement.

        `final=False` builds a preview of an in-progress session without changing it.
        """
        if final and self.charging:
            self.power.hold_until(ended_at)
        if final and unplugged_at is not None:
            self._cut_at(unplugged_at)
        charging_s = self.charging_seconds(ended_at)
        flags = set(self.flags)
        if self.power.gaps:
            flags.add(Flag.GAP)

        method: EnergyMethod
        energy: float
        # The per-minute energy is read only for final records: previews stay cheap.
        source: MinuteEnergy | None = None
        by_minute: dict[int, float] = {}
        measured = self.measured()
        if (
            measured is not None
            and measured[1] is self.power
            and self._held_implausible(capacity_kwh)
        ):
            # Power held across hours of silence that the battery did not take: the
            # charge ended in the silence. The level's estimate stands instead.
            measured = None
            flags.add(Flag.GAP)
        if measured is not None:
            method, source = measured
            energy = source.kwh
            if isinstance(source, CounterTracker) and source.resets:
                flags.add(Flag.COUNTER_RESET)
        else:
            method = EnergyMethod.BATTERY_DELTA
            energy = 0.0
            delta = self.level_delta()
            if delta is not None and delta > 0 and capacity_kwh:
                energy = delta / 100.0 * capacity_kwh
                flags.add(Flag.INFERRED)
                if capacity_learned:
                    flags.add(Flag.CAPACITY_ESTIMATED)
                by_minute = self._spread_over_windows(energy, ended_at)
            else:
                flags.add(Flag.ENERGY_UNKNOWN)

        wall: Decimal | None = None
        loss: Decimal | None = None
        if self.evse.kwh > 0 and method is not EnergyMethod.EVSE_COUNTER:
            wall = kwh(self.evse.kwh)
            loss = wall - kwh(energy)
            if energy > self.evse.kwh * 1.03 or (
                self.evse.kwh - energy > self.evse.kwh * config.evse_mismatch_ratio
            ):
                flags.add(Flag.EVSE_MISMATCH)
        elif method is EnergyMethod.EVSE_COUNTER:
            wall = kwh(energy)

        avg_kw = (
            energy / (charging_s / 3600.0) if charging_s > 0 and energy > 0 else None
        )
        charge_type = self.charge_type
        if charge_type is None and self.max_kw is not None:
            charge_type = (
                ChargeType.DC if self.max_kw > config.dc_threshold_kw else ChargeType.AC
            )
        range_added = (
            self.range_end - self.range_start
            if self.range_end is not None and self.range_start is not None
            else None
        )
        place, place_source = self.locate(config)
        started_at = self.started_at
        first = self.windows[0][0] if self.windows else started_at
        last = self.last_activity() if not self.charging else ended_at
        minutes: dict[int, float] = {}
        if final:
            minutes = source.buckets if source is not None else by_minute
            minutes = _within(minutes, first, last)
        return ChargingSession(
            id=self.record_id,
            vehicle_id=vehicle_id,
            status=status,
            plugged_at=self.plugged_at,
            started_at=first,
            ended_at=last,
            unplugged_at=unplugged_at,
            charging_seconds=charging_s,
            plugged_seconds=(
                unplugged_at - self.plugged_at
                if unplugged_at is not None and self.plugged_at is not None
                else None
            ),
            energy_kwh=kwh(energy),
            energy_method=method,
            wall_energy_kwh=wall,
            loss_kwh=loss,
            start_level=self.level_start,
            end_level=self.level_end,
            range_added_km=range_added,
            max_power_kw=self.max_kw,
            min_power_kw=self.min_kw,
            avg_power_kw=avg_kw,
            avg_voltage=self.voltage_sum / self.voltage_n if self.voltage_n else None,
            avg_current=self.current_sum / self.current_n if self.current_n else None,
            charge_type=charge_type,
            place=place,
            place_source=place_source,
            outside_temp_c=self.temp_sum / self.temp_n if self.temp_n else None,
            windows=self._windows(method, energy, ended_at),
            flags=flags,
            energy_by_minute=minutes,
        )

    def _held_implausible(self, capacity_kwh: float | None) -> bool:
        """Whether power held across a silence claims more than the battery took.

        For the integrated power only (counters count what flowed), with a level read
        after the last long hold, and beyond any charging loss.
        """
        power = self.power
        if not power.held:
            return False
        delta = self.level_delta()
        if (
            delta is None
            or not capacity_kwh
            or self.level_ts is None
            or self.level_ts < power.held_until
        ):
            return False
        level_kwh = max(delta, 0.0) / 100.0 * capacity_kwh
        return power.kwh > level_kwh * HELD_LOSS_FACTOR + HELD_SLACK_KWH

    def measured(self) -> tuple[EnergyMethod, CounterTracker | PowerIntegrator] | None:
        """The measurement the record's energy comes from, best first (None: none).

        The vehicle's own counter, else the integrated charger power, else the
        wallbox's meter; its minute buckets are the session's energy per minute.
        """
        if self.vehicle.kwh > 0:
            return EnergyMethod.VEHICLE_COUNTER, self.vehicle
        if self.power.kwh > 0:
            return EnergyMethod.POWER_INTEGRATION, self.power
        if self.evse.kwh > 0:
            return EnergyMethod.EVSE_COUNTER, self.evse
        return None

    def locate(self, config: VehicleConfig) -> tuple[Place | None, PlaceSource | None]:
        """Where the session happened, from the best evidence there is.

        The vehicle's own location first; else the wallbox mapped to the vehicle, if
        it delivered (its meter counted, or its power, status or plug showed this
        charge) and a location says where it stands; else the usual charging place.
        """
        if self.place is not None:
            return self.place, PlaceSource.TRACKER
        charger = config.charger_zone
        if charger is not None and (self.via_charger or self.evse.kwh > 0):
            return Place(charger), PlaceSource.CHARGER
        usual = config.usual_zone
        if usual is not None and (
            # The usual place's own wallbox would have shown a charge there.
            charger is None or normalize_zone(usual) != normalize_zone(charger)
        ):
            return Place(usual), PlaceSource.ASSUMED
        return None, None

    def energy_so_far(self) -> float:
        """Energy of the best measurement available now (no inferred energy)."""
        return self.vehicle.kwh or self.power.kwh or self.evse.kwh

    def level_delta(self) -> float | None:
        """Battery level gained during the session (percentage points)."""
        if self.level_start is None or self.level_end is None:
            return None
        return self.level_end - self.level_start

    def _windows(
        self, method: EnergyMethod, energy: float, ended_at: float
    ) -> list[ChargingWindow]:
        index = {
            EnergyMethod.VEHICLE_COUNTER: 2,
            EnergyMethod.POWER_INTEGRATION: 3,
            EnergyMethod.EVSE_COUNTER: 4,
        }.get(method)
        live = (self.vehicle.kwh, self.power.kwh, self.evse.kwh)
        charging_s = self.charging_seconds(ended_at)
        windows = []
        for window in self.windows:
            start, end = window[0], window[1] if window[1] >= 0 else ended_at
            if index is None:
                # Inferred energy: shared by the windows in proportion to their time.
                share = energy * (end - start) / charging_s if charging_s > 0 else 0.0
            else:
                at_end = window[index + 3] if window[1] >= 0 else live[index - 2]
                share = at_end - window[index]
            windows.append(
                ChargingWindow(started_at=start, ended_at=end, energy_kwh=kwh(share))
            )
        return windows

    def _spread_over_windows(self, energy: float, ended_at: float) -> dict[int, float]:
        buckets: dict[int, float] = {}
        spans = [(w[0], w[1] if w[1] >= 0 else ended_at) for w in self.windows] or [
            (self.started_at, ended_at)
        ]
        total = sum(end - start for start, end in spans)
        for start, end in spans:
            share = (
                energy * ((end - start) / total) if total > 0 else energy / len(spans)
            )
            spread(buckets, start, end, share)
        return buckets

    # Snapshot ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Serialise (JSON-safe)."""
        return {
            "record_id": self.record_id,
            "started_at": self.started_at,
            "plugged_at": self.plugged_at,
            "power": self.power.to_dict(),
            "vehicle": self.vehicle.to_dict(),
            "evse": self.evse.to_dict(),
            "windows": self.windows,
            "charging_since": self.charging_since,
            "level": [self.level_start, self.level_end],
            "level_ts": self.level_ts,
            "range": [self.range_start, self.range_end],
            "place": list(self.place) if self.place else None,
            "kw": [self.max_kw, self.min_kw],
            "voltage": [self.voltage_sum, self.voltage_n],
            "current": [self.current_sum, self.current_n],
            "temp": [self.temp_sum, self.temp_n],
            "charge_type": self.charge_type.value if self.charge_type else None,
            "flags": sorted(self.flags),
            "via_charger": self.via_charger,
            "unplug_power": self.unplug_power,
        }

    @classmethod
    def from_dict(cls, config: VehicleConfig, data: dict[str, Any]) -> OpenSession:
        """Restore from `to_dict` output."""
        obj = cls(
            config,
            data["started_at"],
            record_id=data["record_id"],
            plugged=False,
            evse_history=(),
            vehicle_history=(),
            level=None,
            range_km=None,
            place=Place(*data["place"]) if data["place"] else None,
        )
        obj.plugged_at = data["plugged_at"]
        obj.power = PowerIntegrator.from_dict(data["power"])
        obj.vehicle = CounterTracker.from_dict(data["vehicle"])
        obj.evse = CounterTracker.from_dict(data["evse"])
        obj.windows = [list(w) for w in data["windows"]]
        obj.charging_since = data["charging_since"]
        obj.level_start, obj.level_end = data["level"]
        obj.level_ts = data.get("level_ts")
        obj.power.long_gap = config.offline_after_s
        obj.range_start, obj.range_end = data["range"]
        obj.max_kw, obj.min_kw = data["kw"]
        obj.voltage_sum, obj.voltage_n = data["voltage"]
        obj.current_sum, obj.current_n = data["current"]
        obj.temp_sum, obj.temp_n = data["temp"]
        obj.charge_type = (
            ChargeType(data["charge_type"]) if data["charge_type"] else None
        )
        obj.flags = {Flag(f) for f in data["flags"]}
        obj.via_charger = bool(data.get("via_charger", False))
        marked = data.get("unplug_power")
        obj.unplug_power = [float(marked[0]), float(marked[1])] if marked else None
        return obj


def _within(by_minute: dict[int, float], start: float, end: float) -> dict[int, float]:
    """Energy per minute confined to the record's span.

    A counter may report the energy of the last minutes of charging a little after
    charging stopped (or before it visibly began): that energy belongs to the edge
    minute of the session, not outside it. Totals are unchanged.
    """
    low, high = int(start // 60), int(end // 60)
    if not by_minute or (min(by_minute) >= low and max(by_minute) <= high):
        return by_minute
    out: dict[int, float] = {}
    for minute, amount in by_minute.items():
        key = min(max(minute, low), high)
        out[key] = out.get(key, 0.0) + amount
    return out
