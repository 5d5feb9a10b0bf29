"""What the flows know about entities: registry facts, role selectors, unit checks.

The mapping proposal (logic.mapping) works on plain `EntityInfo`; this module builds
those from the entity registry, falling back to the current state's attributes where
an integration only reports its unit or device class there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import ATTR_DEVICE_CLASS, ATTR_UNIT_OF_MEASUREMENT
from homeassistant.core import valid_entity_id
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.selector import EntitySelector, EntitySelectorConfig

from .const import DOMAIN
from .logic import units
from .logic.mapping import EntityInfo
from .logic.model import Role

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.core import HomeAssistant


@dataclass(frozen=True, slots=True)
class RoleField:
    """How a role is picked in a form and which units it accepts."""

    domains: tuple[str, ...]
    device_class: str | None = None
    unit_table: units.UnitTable | None = None


ROLE_FIELDS: dict[Role, RoleField] = {
    Role.BATTERY_LEVEL: RoleField(("sensor",), "battery", units.PERCENT),
    Role.CHARGING_STATE: RoleField(("sensor", "binary_sensor", "switch")),
    Role.PLUGGED: RoleField(("binary_sensor", "sensor")),
    Role.CHARGER_POWER: RoleField(("sensor",), "power", units.POWER),
    Role.CHARGER_VOLTAGE: RoleField(("sensor",), "voltage", units.VOLTAGE),
    Role.CHARGER_CURRENT: RoleField(("sensor",), "current", units.CURRENT),
    Role.SESSION_ENERGY: RoleField(("sensor",), "energy", units.ENERGY),
    Role.EVSE_ENERGY: RoleField(("sensor",), "energy", units.ENERGY),
    Role.ODOMETER: RoleField(("sensor",), "distance", units.LENGTH),
    Role.SPEED: RoleField(("sensor",), "speed", units.SPEED),
    Role.SHIFT_STATE: RoleField(("sensor",)),
    Role.LOCATION: RoleField(("device_tracker",)),
    Role.RANGE: RoleField(("sensor",), "distance", units.LENGTH),
    Role.OUTSIDE_TEMP: RoleField(("sensor",), "temperature", units.TEMPERATURE),
    Role.CHARGER_TYPE: RoleField(("sensor",)),
    Role.SOLAR_POWER: RoleField(("sensor",), "power", units.POWER),
    Role.GRID_POWER: RoleField(("sensor",), "power", units.POWER),
    Role.GRID_IMPORT_POWER: RoleField(("sensor",), "power", units.POWER),
    Role.GRID_EXPORT_POWER: RoleField(("sensor",), "power", units.POWER),
    Role.BATTERY_POWER: RoleField(("sensor",), "power", units.POWER),
    Role.HOME_LOAD: RoleField(("sensor",), "power", units.POWER),
}


# The longest name of a vehicle, energy site or charging location: the database's
# name columns of vehicles and sites (db.models) hold 100 characters, and a location's
# name becomes the state of a vehicle's "last session location" sensor.
MAX_NAME_LENGTH: Final = 100


def name_error(name: str) -> str | None:
    """Return an error key when a subentry's name cannot be kept, None when it can.

    PostgreSQL refuses a NUL in text and a name longer than its column: the vehicle's
    or site's record would be rejected by the database on every write.
    """
    if len(name) > MAX_NAME_LENGTH:
        return "name_too_long"
    if "\x00" in name:
        return "invalid_name"
    return None


def entity_info(hass: HomeAssistant, entity_id: str) -> EntityInfo | None:
    """Return what the registry and the state say about an entity (None: unknown)."""
    entry = er.async_get(hass).async_get(entity_id)
    state = hass.states.get(entity_id)
    if entry is None and state is None:
        return None
    attributes: dict[str, Any] = dict(state.attributes) if state else {}
    if entry is None:
        return EntityInfo(
            entity_id=entity_id,
            domain=entity_id.partition(".")[0],
            device_class=attributes.get(ATTR_DEVICE_CLASS),
            unit=attributes.get(ATTR_UNIT_OF_MEASUREMENT),
            state_class=attributes.get("state_class"),
            name=attributes.get("friendly_name"),
            options=_options(attributes.get("options")),
        )
    return _from_entry(entry, attributes)


def _from_entry(entry: er.RegistryEntry, attributes: dict[str, Any]) -> EntityInfo:
    """Registry facts first; the state's attributes fill what the registry lacks."""
    capabilities = entry.capabilities or {}
    return EntityInfo(
        entity_id=entry.entity_id,
        domain=entry.domain,
        device_class=(
            entry.device_class
            or entry.original_device_class
            or attributes.get(ATTR_DEVICE_CLASS)
        ),
        unit=entry.unit_of_measurement or attributes.get(ATTR_UNIT_OF_MEASUREMENT),
        state_class=capabilities.get("state_class") or attributes.get("state_class"),
        name=entry.name,
        original_name=entry.original_name,
        translation_key=entry.translation_key,
        options=_options(capabilities.get("options") or attributes.get("options")),
        disabled=entry.disabled_by is not None,
        entity_category=entry.entity_category.value if entry.entity_category else None,
    )


def _options(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, list | tuple):
        return tuple(str(option) for option in value)
    return None


def device_entities(hass: HomeAssistant, device_id: str) -> list[EntityInfo]:
    """Return the facts of a device's entities (disabled ones too, not our own)."""
    registry = er.async_get(hass)
    infos = []
    for entry in er.async_entries_for_device(
        registry, device_id, include_disabled_entities=True
    ):
        if entry.platform == DOMAIN:
            continue
        state = hass.states.get(entry.entity_id)
        infos.append(_from_entry(entry, dict(state.attributes) if state else {}))
    return infos


def role_selector(role: Role, current: EntityInfo | None) -> EntitySelector:
    """An entity picker for a role, filtered by domain and, where sensible, class.

    Some integrations give a fitting sensor only a unit and no device class; if the
    current pick is such a sensor the device-class filter would hide it, so the
    filter falls back to the domain.
    """
    spec = ROLE_FIELDS[role]
    device_class = spec.device_class
    if current is not None and current.device_class != device_class:
        device_class = None
    # The top-level domain is also checked by the backend; the filter is for the UI.
    config: EntitySelectorConfig = {"domain": list(spec.domains)}
    if device_class is not None:
        config["filter"] = {"domain": list(spec.domains), "device_class": device_class}
    return EntitySelector(config)


def check_role_entity(hass: HomeAssistant, role: Role, entity_id: str) -> str | None:
    """Return an error key when the entity cannot feed the role, None when it can."""
    if not valid_entity_id(entity_id):
        # The entity selector also takes a registry id (a UUID); the runtime follows
        # entity ids, so one stored here would never see a state.
        return "entity_not_found"
    info = entity_info(hass, entity_id)
    if info is None:
        return "entity_not_found"
    entry = er.async_get(hass).async_get(entity_id)
    if entry is not None and entry.platform == DOMAIN:
        # EV Ledger's own sensor: what it reports would be fed back into it.
        return "entity_is_ev_ledger"
    table = ROLE_FIELDS[role].unit_table
    if table is not None and info.unit and table.scale(info.unit) is None:
        return "unsupported_unit"
    return None


def entry_removed(hass: HomeAssistant, entry_id: str) -> bool:
    """Whether the ledger entry a form belongs to was removed while it was open.

    Home Assistant leaves the entry's open forms open; submitting one would raise
    UnknownEntry (the frontend's "Unknown error"), so the flows abort instead.
    """
    return hass.config_entries.async_get_entry(entry_id) is None


def repeated_roles(roles: Mapping[str, str]) -> list[str]:
    """The roles whose entity an earlier role of the same mapping already has.

    The runtime keys readings by entity (`source_runtime`): an entity in two roles
    would feed only one of them.
    """
    seen: set[str] = set()
    repeated = []
    for role, entity_id in roles.items():
        if entity_id in seen:
            repeated.append(role)
        seen.add(entity_id)
    return repeated


def power_kw(hass: HomeAssistant, entity_id: str | None) -> float | None:
    """Return an entity's current power in kW, None when unknown or not a power."""
    if not entity_id:
        return None
    state = hass.states.get(entity_id)
    # "unknown", "unavailable" and anything else that is no number read as None.
    value = None if state is None else units.parse_number(state.state)
    if value is None or state is None:
        return None
    return units.to_kw(value, state.attributes.get(ATTR_UNIT_OF_MEASUREMENT))
