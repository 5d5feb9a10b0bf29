"""Constants of the EV Ledger integration, and the shape of its stored configuration.

The config entry is one ledger (one database). Vehicles, energy sites and charging
locations are config subentries of it. The keys below are the contract between the
config flow (which writes them) and the runtime (which reads them).
"""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "ev_ledger"

# Config entry data: the storage ------------------------------------------------------
CONF_BACKEND: Final = "backend"
BACKEND_EMBEDDED: Final = "embedded"  # SQLite file in the HA config folder (default)
BACKEND_POSTGRESQL: Final = "postgresql"
# PostgreSQL settings (CONF_HOST, CONF_PORT, CONF_USERNAME, CONF_PASSWORD from
# homeassistant.const are used for host/port/user/password):
CONF_DATABASE: Final = "database"
CONF_SSLMODE: Final = "sslmode"  # disable/prefer/require/verify-ca/verify-full
CONF_SSLROOTCERT: Final = "sslrootcert"  # path to a CA certificate file
CONF_URL: Final = "url"  # alternative: one postgresql:// connection URL
# Entry option: days raw samples are kept before they are folded into minutes (0: ever).
CONF_SAMPLE_RETENTION_DAYS: Final = "sample_retention_days"
CONF_DEADBAND: Final = "deadband"
EMBEDDED_FILENAME: Final = "ev_ledger.db"
JOURNAL_DIRNAME: Final = ".ev_ledger_journal"

# Subentry types ------------------------------------------------------------------------
SUBENTRY_VEHICLE: Final = "vehicle"
SUBENTRY_ENERGY_SITE: Final = "energy_site"
SUBENTRY_LOCATION: Final = "location"


def subentry_unique_id(subentry_type: str, key: str | None) -> str | None:
    """A subentry's unique id: unique across all subentry types of the entry.

    Home Assistant checks subentry unique ids across types, so an energy site and a
    charging location in the same zone need different ids.
    """
    return None if key is None else f"{subentry_type}:{key}"


# Common subentry data
CONF_NAME: Final = "name"
CONF_ROLES: Final = "roles"  # {Role value: entity_id}

# Vehicle subentry data
CONF_DEVICE_ID: Final = "device_id"  # the vehicle integration's device (optional)
CONF_VIN: Final = "vin"  # optional
CONF_CAPACITY: Final = "usable_capacity_kwh"  # float | None (None: learned)
CONF_THRESHOLDS: Final = "thresholds"  # subset of logic.config.VehicleConfig fields
# Where the vehicle usually charges (zone entity id), assumed for a session that
# nothing else locates; "" for nowhere. Absent: zone.home without a location entity.
CONF_USUAL_ZONE: Final = "usual_zone"
THRESHOLD_KEYS: Final = (
    "session_grace_s",
    "activity_gap_s",
    "trip_end_s",
    "trip_merge_s",
    "min_session_kwh",
    "min_session_s",
    "min_trip_km",
    "power_method",
    "charging_negative",
)

# Energy site subentry data (roles: solar_power, grid_power or grid_import_power +
# grid_export_power, battery_power, home_load)
CONF_ZONE: Final = "zone"  # zone entity id, e.g. "zone.home"
CONF_GRID_SIGN: Final = "grid_sign"
GRID_IMPORT_POSITIVE: Final = "import_positive"
GRID_EXPORT_POSITIVE: Final = "export_positive"
CONF_BATTERY_SIGN: Final = "battery_sign"
BATTERY_DISCHARGE_POSITIVE: Final = "discharge_positive"
BATTERY_CHARGE_POSITIVE: Final = "charge_positive"
CONF_LOAD_INCLUDES_EV: Final = "load_includes_ev"  # bool
CONF_POLICY: Final = "policy"  # logic.solar.AttributionPolicy value

# Charging location subentry data
# CONF_ZONE: zone entity id, or LOCATION_DEFAULT for "anywhere else"
LOCATION_DEFAULT: Final = "*"
CONF_CHARGERS: Final = "chargers"  # device ids of the wallboxes that stand there
CONF_TARIFF: Final = "tariff"  # logic.tariff.Tariff.to_dict(); for PRICE_ENTITY
# tariffs price_series_id / feed_in_series_id are HA entity ids

# Events --------------------------------------------------------------------------------
EVENT_SESSION_COMPLETED: Final = "ev_ledger_charging_session_completed"
EVENT_TRIP_COMPLETED: Final = "ev_ledger_trip_completed"
