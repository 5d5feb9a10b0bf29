"""Vocabulary of the engine: roles, readings, flags, records and domain events.

Timestamps inside the engine are float seconds since the Unix epoch (UTC): cheap to
compare and subtract on the hot path. Records expose aware UTC datetimes. Energies and
money on records are Decimal; measurements in flight are floats in canonical units
(kW, kWh, %, km, km/h, °C).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final, NamedTuple

# The ledgers' tick: once a minute, on the minute (live: the wall clock; backfill and
# recompute: the data's time).
TICK_S: Final = 60.0


def needs_hold(last_ts: float, tick_ts: float) -> bool:
    """Whether a tick at `tick_ts` reports again a value last read at `last_ts`.

    Home Assistant sends no state for a value that did not change, so a steady
    charger power or a meter standing still is reported again by the tick: the
    minute it covers must be counted. Only when the minute that just ended brought
    no reading of it: a source reporting every few seconds moves the ledger itself,
    and a tick's report of it would only split its interval at the minute.
    """
    return last_ts < tick_ts - TICK_S


class Role(StrEnum):
    """What a reading measures. Vehicle, energy-site and price roles."""

    # Vehicle
    BATTERY_LEVEL = "battery_level"  # %
    CHARGING_STATE = "charging_state"  # ChargeState
    PLUGGED = "plugged"  # bool
    CHARGER_POWER = "charger_power"  # kW
    CHARGER_VOLTAGE = "charger_voltage"  # V
    CHARGER_CURRENT = "charger_current"  # A
    SESSION_ENERGY = "session_energy"  # kWh, vehicle counter (may reset per session)
    EVSE_ENERGY = "evse_energy"  # kWh, wallbox meter (session or lifetime)
    CHARGER_TYPE = "charger_type"  # ChargeType
    ODOMETER = "odometer"  # km
    SPEED = "speed"  # km/h
    SHIFT_STATE = "shift_state"  # "P" | "D" | "R" | "N"
    LOCATION = "location"  # Place
    RANGE = "range"  # km
    OUTSIDE_TEMP = "outside_temp"  # °C
    ENERGY_CONSUMED = "energy_consumed"  # kWh, cumulative driving energy counter
    # Energy site (signs canonical: grid + import, battery + discharge)
    SOLAR_POWER = "solar_power"  # kW
    GRID_POWER = "grid_power"  # kW
    GRID_IMPORT_POWER = "grid_import_power"  # kW
    GRID_EXPORT_POWER = "grid_export_power"  # kW
    BATTERY_POWER = "battery_power"  # kW
    HOME_LOAD = "home_load"  # kW
    # Price series
    PRICE = "price"  # currency per kWh


class ChargeState(StrEnum):
    """Canonical charging state."""

    DISCONNECTED = "disconnected"
    PLUGGED = "plugged"  # connected, not charging (stopped, scheduled, waiting)
    CHARGING = "charging"
    COMPLETE = "complete"
    # Not charging, plug status unknown (a binary "charging" sensor that is off).
    NOT_CHARGING = "not_charging"


class ChargeType(StrEnum):
    """AC or DC charging."""

    AC = "ac"
    DC = "dc"


class Place(NamedTuple):
    """Where the vehicle is: an HA zone name and/or coordinates."""

    zone: str | None = None
    latitude: float | None = None
    longitude: float | None = None


type Value = float | bool | str | Place | ChargeState | ChargeType | None


class Reading(NamedTuple):
    """One input: a timestamp (epoch seconds, UTC), a role and a canonical value.

    `value` None means the source became unavailable/unknown: a gap, never a
    "false" or "unplugged".
    """

    ts: float
    role: Role
    value: Value


class Reject(StrEnum):
    """Why a reading was not accepted. Counted per reason."""

    NOT_NUMERIC = "not_numeric"
    OUT_OF_RANGE = "out_of_range"
    NEGATIVE = "negative"
    ABSURD = "absurd"
    BACKWARDS = "backwards"  # a monotonic value (odometer) went down
    # An odometer jump further than driving could go, that the next reading did not
    # continue from (a glitch): counted when that reading comes.
    SPIKE = "spike"
    STALE = "stale"  # older than the last accepted reading of its role
    UNKNOWN_ROLE = "unknown_role"
    BAD_UNIT = "bad_unit"
    BAD_VALUE = "bad_value"  # not a value the role knows (enum/text)
    NOT_FINITE = "not_finite"


class Flag(StrEnum):
    """Data-quality flags carried by records."""

    GAP = "gap"  # a source was unavailable during the record
    INFERRED = "inferred"  # derived across a gap, not observed
    COUNTER_RESET = "counter_reset"  # an energy counter reset mid-session
    EVSE_MISMATCH = "evse_mismatch"  # vehicle and wallbox energy disagree
    CAPACITY_ESTIMATED = "capacity_estimated"  # uses a learned/default capacity
    SITE_GAP = "site_gap"  # energy-site data incomplete: no solar attribution
    PRICE_GAP = "price_gap"  # no price known for part of the energy
    RESTORED = "restored"  # continued across a restart from a snapshot
    ENERGY_UNKNOWN = "energy_unknown"  # no method could measure the energy


class PlaceSource(StrEnum):
    """Where a session's place came from, best evidence first."""

    TRACKER = "tracker"  # the vehicle's own location entity
    CHARGER = "charger"  # the wallbox that delivered it stands at a known location
    ASSUMED = "assumed"  # nothing else knew: the vehicle's usual charging location


class PriceGap(StrEnum):
    """Why (part of) a session's energy could not be priced."""

    NO_TARIFF = "no_tariff"  # no tariff for the session's place, and no default
    NO_PLACE = "no_place"  # the place is unknown, and there is no default tariff
    NO_PRICE = "no_price"  # the price entity had no price for some of the minutes


class EnergyMethod(StrEnum):
    """How a record's energy was measured, best first."""

    VEHICLE_COUNTER = "vehicle_counter"
    POWER_INTEGRATION = "power_integration"
    EVSE_COUNTER = "evse_counter"
    BATTERY_DELTA = "battery_delta"
    MANUAL = "manual"


class DistanceMethod(StrEnum):
    """How a trip's distance was measured."""

    ODOMETER = "odometer"
    LOCATION_PATH = "location_path"


class SessionStatus(StrEnum):
    """Lifecycle of a charging session record."""

    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    INFERRED = "inferred"


class CostSource(StrEnum):
    """Where a session's cost came from."""

    TARIFF = "tariff"
    PRICE_ENTITY = "price_entity"
    LOCATION = "location"
    MANUAL = "manual"
    FREE = "free"


def to_datetime(ts: float) -> datetime:
    """Convert engine seconds to an aware UTC datetime."""
    return datetime.fromtimestamp(ts, UTC)


def to_ts(moment: datetime) -> float:
    """Convert an aware datetime to engine seconds."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: EV Ledger needs timezone-aware times")
    return moment.timestamp()


@dataclass(slots=True, kw_only=True)
class ChargingWindow:
    """A stretch of active charging inside a session."""

    started_at: float
    ended_at: float
    energy_kwh: Decimal


@dataclass(slots=True, kw_only=True)
class Cost:
    """A settled cost. Amounts in `currency`."""

    total: Decimal
    currency: str
    source: CostSource
    energy_cost: Decimal = Decimal(0)
    time_cost: Decimal = Decimal(0)
    session_fee: Decimal = Decimal(0)
    idle_fee: Decimal = Decimal(0)
    solar_value: Decimal = Decimal(0)
    unpriced_kwh: Decimal = Decimal(0)
    tariff: dict[str, Any] = field(default_factory=dict)
    # The computed total when a manual override replaced it (kept, never lost).
    without_override: Decimal | None = None


@dataclass(slots=True, kw_only=True)
class SolarSplit:
    """Where a session's energy came from."""

    solar_kwh: Decimal
    battery_kwh: Decimal
    grid_kwh: Decimal
    unattributed_kwh: Decimal = Decimal(0)
    solar_by_minute: dict[int, float] = field(default_factory=dict)
    battery_by_minute: dict[int, float] = field(default_factory=dict)

    @property
    def solar_share(self) -> Decimal | None:
        """Solar fraction (0..1) of the attributed energy, None if nothing attributed."""
        attributed = self.solar_kwh + self.battery_kwh + self.grid_kwh
        if attributed <= 0:
            return None
        return (self.solar_kwh / attributed).quantize(Decimal("0.0001"))


@dataclass(slots=True, kw_only=True)
class ChargingSession:
    """A charging session: plug-in to unplug (or a run of charging activity)."""

    id: str
    vehicle_id: str
    status: SessionStatus
    plugged_at: float | None
    started_at: float
    ended_at: float
    unplugged_at: float | None
    charging_seconds: float
    plugged_seconds: float | None
    energy_kwh: Decimal
    energy_method: EnergyMethod
    wall_energy_kwh: Decimal | None = None
    loss_kwh: Decimal | None = None
    start_level: float | None = None
    end_level: float | None = None
    range_added_km: float | None = None
    max_power_kw: float | None = None
    min_power_kw: float | None = None
    avg_power_kw: float | None = None
    avg_voltage: float | None = None
    avg_current: float | None = None
    charge_type: ChargeType | None = None
    place: Place | None = None
    place_source: PlaceSource | None = None
    outside_temp_c: float | None = None
    windows: list[ChargingWindow] = field(default_factory=list)
    flags: set[Flag] = field(default_factory=set)
    # Set with Flag.PRICE_GAP: why energy is unpriced.
    price_gap: PriceGap | None = None
    # Energy per UTC minute (epoch minute -> kWh): what cost and solar share use.
    energy_by_minute: dict[int, float] = field(default_factory=dict)
    cost: Cost | None = None
    solar: SolarSplit | None = None


@dataclass(slots=True, kw_only=True)
class Trip:
    """A drive from parking to parking."""

    id: str
    vehicle_id: str
    started_at: float
    ended_at: float
    distance_km: Decimal
    distance_method: DistanceMethod
    energy_kwh: Decimal | None = None
    energy_method: EnergyMethod | None = None
    efficiency_wh_km: Decimal | None = None
    duration_s: float = 0.0
    avg_speed_kmh: float | None = None
    max_speed_kmh: float | None = None
    start_place: Place | None = None
    end_place: Place | None = None
    start_odometer_km: float | None = None
    end_odometer_km: float | None = None
    start_level: float | None = None
    end_level: float | None = None
    avg_outside_temp_c: float | None = None
    flags: set[Flag] = field(default_factory=set)


# Domain events ---------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class SessionStarted:
    """A charging session began."""

    session_id: str
    ts: float


@dataclass(slots=True, frozen=True)
class SessionUpdated:
    """An in-progress session's figures moved on (rate-limited in data time).

    Deliberately light: `VehicleLedger.preview()` builds the full record on demand.
    """

    session_id: str
    ts: float
    energy_kwh: float
    charging_seconds: float
    power_kw: float | None
    level: float | None


@dataclass(slots=True, frozen=True)
class SessionCompleted:
    """A charging session ended (or was inferred across a gap)."""

    session: ChargingSession


@dataclass(slots=True, frozen=True)
class TripStarted:
    """A trip began."""

    trip_id: str
    ts: float


@dataclass(slots=True, frozen=True)
class TripCompleted:
    """A trip ended (or was inferred across a gap)."""

    trip: Trip


@dataclass(slots=True, frozen=True)
class RecordDropped:
    """A session or trip was too small to keep (counted, not stored)."""

    kind: str  # "session" | "trip"
    reason: str
    ts: float
    record_id: str | None = None  # its in-progress row, if one was written


type DomainEvent = (
    SessionStarted
    | SessionUpdated
    | SessionCompleted
    | TripStarted
    | TripCompleted
    | RecordDropped
)
