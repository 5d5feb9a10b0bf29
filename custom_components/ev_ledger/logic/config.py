"""Per-vehicle thresholds of the engine, with the defaults users get."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from .integrate import IntegrationMethod


@dataclass(frozen=True, slots=True, kw_only=True)
class VehicleConfig:
    """How one vehicle's readings are turned into sessions and trips.

    Times are seconds, energies kWh, power kW, distances km.
    """

    vehicle_id: str
    # Usable battery capacity; None = learn it from qualifying sessions.
    usable_capacity_kwh: float | None = None
    # A plug-out followed by a plug-in within this time is flapping, not a new session.
    session_grace_s: float = 120.0
    # Without a plug signal: charging paused for longer than this ends the session.
    activity_gap_s: float = 1800.0
    # One power reading never stands for longer than this. Sensors that report on
    # change hold a steady charge for hours; the end of the charging window (not this
    # cap) is what stops a stale value from being held.
    max_power_gap_s: float = 12 * 3600.0
    power_method: IntegrationMethod = IntegrationMethod.ZOH
    # Above this power, charging counts as active when there is no state signal.
    charging_threshold_kw: float = 0.1
    # Above this power, charging is DC when no explicit signal says otherwise.
    dc_threshold_kw: float = 25.0
    min_session_kwh: float = 0.05
    min_session_s: float = 60.0
    # Vehicle and wallbox energy may differ by charging loss; beyond this, flag it.
    evse_mismatch_ratio: float = 0.25
    # Readings further apart than this (or across an unavailable state) are a gap:
    # a battery-level rise or odometer rise across it becomes an inferred record.
    offline_after_s: float = 7200.0
    offline_min_level_delta: float = 2.0
    # Trips: parked this long ends a trip; stops shorter than the merge window join.
    trip_end_s: float = 300.0
    trip_merge_s: float = 600.0
    min_trip_km: float = 0.2
    # Rolling efficiency over this much data time.
    efficiency_window_s: float = 30 * 86400.0
    # In-progress session updates are emitted at most this often (data time).
    update_interval_s: float = 60.0
    # Capacity learning: sessions with at least this battery-level rise qualify.
    capacity_min_level_delta: float = 20.0
    # Where a session happened when the vehicle's location is unknown. The wallbox
    # mapped to this vehicle stands in `charger_zone` (a location says so); the roles
    # in `charger_roles` are fed by it, so their activity proves it delivered. Else the
    # session is at the usual charging location, if there is one.
    charger_zone: str | None = None
    charger_roles: tuple[str, ...] = ()
    usual_zone: str | None = None
    # The car's integration reports charging as negative power and current (its HV
    # pack's, as SAIC/MG and OVMS do): those readings are negated at the input.
    charging_negative: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Serialise (JSON-safe)."""
        data = asdict(self)
        data["power_method"] = self.power_method.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VehicleConfig:
        """Build from a dict, ignoring unknown keys (forward compatible)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "power_method" in values:
            values["power_method"] = IntegrationMethod(values["power_method"])
        if "charger_roles" in values:
            values["charger_roles"] = tuple(values["charger_roles"])
        return cls(**values)

    @property
    def trip_close_s(self) -> float:
        """Parked time after which a trip is final (neither ended nor mergeable)."""
        return max(self.trip_end_s, self.trip_merge_s)
