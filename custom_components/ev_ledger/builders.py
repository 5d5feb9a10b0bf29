"""From stored configuration (entry and subentry data) to engine and storage objects.

Pure translation: no I/O, no Home Assistant state. The keys are those of `const.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import logging
from typing import TYPE_CHECKING, Any

from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME

from .const import (
    BACKEND_POSTGRESQL,
    BATTERY_DISCHARGE_POSITIVE,
    CONF_BACKEND,
    CONF_BATTERY_SIGN,
    CONF_CAPACITY,
    CONF_DATABASE,
    CONF_GRID_SIGN,
    CONF_LOAD_INCLUDES_EV,
    CONF_POLICY,
    CONF_ROLES,
    CONF_SSLMODE,
    CONF_SSLROOTCERT,
    CONF_TARIFF,
    CONF_THRESHOLDS,
    CONF_URL,
    CONF_USUAL_ZONE,
    CONF_ZONE,
    GRID_IMPORT_POSITIVE,
    LOCATION_DEFAULT,
    THRESHOLD_KEYS,
)
from .db import DbConfig
from .logic.config import VehicleConfig
from .logic.model import ChargingSession, Role
from .logic.settle import Settlement
from .logic.site import SiteConfig
from .logic.solar import AttributionPolicy
from .logic.tariff import PriceBook, Tariff, TariffBook, TariffError, normalize_zone

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import tzinfo

    from homeassistant.config_entries import ConfigSubentry

    from .logic.site import SiteLedger

_LOGGER = logging.getLogger(__name__)


def db_config(data: Mapping[str, Any], embedded_path: str) -> DbConfig:
    """The database of a ledger entry.

    Args:
        data: The config entry's data.
        embedded_path: The SQLite file in the HA config folder (embedded backend).
    """
    if data.get(CONF_BACKEND) != BACKEND_POSTGRESQL:
        # A file path, not a folder: DbConfig.embedded would stat it on the loop.
        return DbConfig(backend="sqlite", path=embedded_path)
    if url := data.get(CONF_URL):
        return DbConfig.from_url(str(url))
    values: dict[str, Any] = {
        "host": data[CONF_HOST],
        "port": int(data.get(CONF_PORT, 5432)),
        "database": data.get(CONF_DATABASE, "postgres"),
        "user": data.get(CONF_USERNAME, "postgres"),
        "password": data.get(CONF_PASSWORD) or None,
    }
    if sslmode := data.get(CONF_SSLMODE):
        values["sslmode"] = sslmode
    if sslrootcert := data.get(CONF_SSLROOTCERT):
        values["sslrootcert"] = sslrootcert
    return DbConfig(**values)


def roles(subentry: ConfigSubentry) -> dict[Role, str]:
    """The subentry's role → entity id mapping (unknown roles are ignored)."""
    mapping: dict[Role, str] = {}
    for key, entity_id in dict(subentry.data.get(CONF_ROLES) or {}).items():
        if not entity_id:
            continue
        try:
            mapping[Role(key)] = str(entity_id)
        except ValueError:
            _LOGGER.warning("Ignoring unknown role %r of %s", key, subentry.title)
    return mapping


def vehicle_config(
    subentry: ConfigSubentry, chargers: Mapping[str, str] | None = None
) -> VehicleConfig:
    """The engine configuration of a vehicle subentry.

    `chargers` maps the entities of wallboxes that a location names to that
    location's zone (see `chargers.charger_zones`).
    """
    data = subentry.data
    thresholds = dict(data.get(CONF_THRESHOLDS) or {})
    values: dict[str, Any] = {
        key: thresholds[key]
        for key in THRESHOLD_KEYS
        if thresholds.get(key) is not None
    }
    values["vehicle_id"] = subentry.subentry_id
    capacity = data.get(CONF_CAPACITY)
    values["usable_capacity_kwh"] = float(capacity) if capacity else None
    mapping = roles(subentry)
    if CONF_USUAL_ZONE in data:
        values["usual_zone"] = data[CONF_USUAL_ZONE] or None
    elif Role.LOCATION not in mapping:
        # Without a location entity, a session nothing else places is at home.
        values["usual_zone"] = "zone.home"
    fed = {
        role: chargers[entity_id]
        for role, entity_id in mapping.items()
        if chargers and entity_id in chargers
    }
    if fed:
        # One wallbox per vehicle mapping; the zone most of its roles name.
        zones = list(fed.values())
        values["charger_zone"] = max(sorted(set(zones)), key=zones.count)
        values["charger_roles"] = sorted(
            role.value for role, zone in fed.items() if zone == values["charger_zone"]
        )
    return VehicleConfig.from_dict(values)


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteSettings:
    """An energy site's configuration as the runtime needs it."""

    config: SiteConfig
    grid_sign: str
    battery_sign: str
    policy: AttributionPolicy


def site_settings(subentry: ConfigSubentry, tz: tzinfo) -> SiteSettings:
    """The engine configuration of an energy-site subentry."""
    data = subentry.data
    zone = str(data.get(CONF_ZONE) or "zone.home")
    try:
        policy = AttributionPolicy(
            data.get(CONF_POLICY) or AttributionPolicy.HOUSE_FIRST
        )
    except ValueError:
        policy = AttributionPolicy.HOUSE_FIRST
    return SiteSettings(
        config=SiteConfig(
            site_id=subentry.subentry_id,
            zone=normalize_zone(zone),
            load_includes_ev=bool(data.get(CONF_LOAD_INCLUDES_EV, True)),
            tz=tz,
        ),
        grid_sign=str(data.get(CONF_GRID_SIGN) or GRID_IMPORT_POSITIVE),
        battery_sign=str(data.get(CONF_BATTERY_SIGN) or BATTERY_DISCHARGE_POSITIVE),
        policy=policy,
    )


def tariff_book(locations: list[ConfigSubentry]) -> TariffBook:
    """Tariffs per zone from the location subentries (`*` is the default).

    A location whose tariff cannot be read is left out (logged), so one bad location
    does not stop the ledger; its sessions are priced by the default tariff.
    """
    rules: dict[str, Tariff] = {}
    default: Tariff | None = None
    for subentry in locations:
        try:
            tariff = Tariff.from_dict(dict(subentry.data[CONF_TARIFF]))
        except (KeyError, TypeError, TariffError) as err:
            _LOGGER.error("Ignoring the tariff of %s: %s", subentry.title, err)
            continue
        zone = str(subentry.data.get(CONF_ZONE) or LOCATION_DEFAULT)
        if zone == LOCATION_DEFAULT:
            default = tariff
        else:
            rules[normalize_zone(zone)] = tariff
    return TariffBook(rules=rules, default=default)


def price_entities(book: TariffBook) -> set[str]:
    """The HA entities whose states are prices (tariff and feed-in series)."""
    tariffs = [*book.rules.values(), *([book.default] if book.default else [])]
    found: set[str] = set()
    for tariff in tariffs:
        for series in (tariff.price_series_id, tariff.feed_in_series_id):
            if series:
                found.add(series)
    return found


@dataclass(slots=True, kw_only=True)
class ZoneSettlement:
    """Settles a session with the energy site of the zone it happened in, if any.

    `Settlement` takes a single site; a ledger may have several, so pick the one whose
    zone is the session's.
    """

    tariffs: TariffBook
    tz: tzinfo
    prices: PriceBook
    sites: dict[str, tuple[SiteLedger, AttributionPolicy]] = field(default_factory=dict)

    def site_settled(self, session: ChargingSession, until: float) -> float | None:
        """How far the session's site has final data, up to `until` (None: no site).

        The solar split of energy before `until` cannot change once this reaches it.
        """
        site = self._site(session.place.zone if session.place is not None else None)
        if site is None:
            return None
        settled = site[0].settled_until
        return None if settled is None else min(settled, until)

    def _site(self, zone: str | None) -> tuple[SiteLedger, AttributionPolicy] | None:
        return self.sites.get(normalize_zone(zone)) if zone else None

    def settlement(self, zone: str | None) -> Settlement:
        """The settlement of sessions in `zone`: its site, if it has one."""
        site = self._site(zone)
        return Settlement(
            tariffs=self.tariffs,
            tz=self.tz,
            prices=self.prices,
            site=site[0] if site else None,
            policy=site[1] if site else AttributionPolicy.HOUSE_FIRST,
        )

    def __call__(self, session: ChargingSession) -> None:
        """Fill the session's solar split and cost (in place)."""
        self.settlement(session.place.zone if session.place is not None else None)(
            session
        )

    def running_key(self, zone: str | None) -> tuple[object, ...]:
        """What a running settlement in `zone` was made of: when it changes, renew.

        Tariffs and sites are replaced (not changed) when the user edits them, and a
        price entity's series when it is first seen.
        """
        site = self._site(zone)
        tariff = self.tariffs.for_zone(zone)
        series = (
            ()
            if tariff is None
            else tuple(
                id(self.prices.get(s))
                for s in (tariff.price_series_id, tariff.feed_in_series_id)
            )
        )
        return (
            zone,
            id(self.tariffs),
            id(tariff),
            None if site is None else id(site[0]),
            series,
        )
