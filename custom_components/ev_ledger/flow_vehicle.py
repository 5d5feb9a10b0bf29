"""Vehicle subentry flow: pick the car's device, review the proposed mapping.

The proposal (logic.mapping) ranks the device's entities per role; the review step
shows one entity picker per role, prefilled with the proposal, so the user only
corrects what is wrong. Without a device the same step is filled in by hand. An
energy-site device is refused here (it has its own flow), and an entity another
vehicle uses is refused unless it is a shared wallbox's (logic.mapping.entity_reuse).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Final

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.core import valid_entity_id
from homeassistant.data_entry_flow import section
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.selector import (
    BooleanSelector,
    DeviceSelector,
    DeviceSelectorConfig,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
import voluptuous as vol

from .const import (
    CONF_CAPACITY,
    CONF_DEVICE_ID,
    CONF_NAME,
    CONF_ROLES,
    CONF_THRESHOLDS,
    CONF_USUAL_ZONE,
    CONF_VIN,
    DOMAIN,
    SUBENTRY_VEHICLE,
    THRESHOLD_KEYS,
    subentry_unique_id,
)
from .db.vin import InvalidVin, validate_vin
from .flow_mapping import (
    check_role_entity,
    device_entities,
    entity_info,
    entry_removed,
    name_error,
    repeated_roles,
    role_selector,
)
from .logic.config import VehicleConfig
from .logic.integrate import IntegrationMethod
from .logic.mapping import (
    VEHICLE_ROLES,
    DeviceKind,
    ReuseProblem,
    detect_kind,
    entity_reuse,
    propose_mapping,
)
from .logic.model import Role

# Any one of these lets the engine see charging; without them there are no sessions.
CHARGING_SIGNALS: Final = frozenset(
    {
        Role.BATTERY_LEVEL,
        Role.CHARGING_STATE,
        Role.PLUGGED,
        Role.CHARGER_POWER,
        Role.SESSION_ENERGY,
        Role.EVSE_ENERGY,
    }
)

THRESHOLD_DEFAULTS: Final[dict[str, Any]] = {
    f.name: f.default.value if isinstance(f.default, IntegrationMethod) else f.default
    for f in dataclasses.fields(VehicleConfig)
    if f.name in THRESHOLD_KEYS
}


def _number(maximum: float, step: float, unit: str) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=0,
            max=maximum,
            step=step,
            unit_of_measurement=unit,
            mode=NumberSelectorMode.BOX,
        )
    )


_THRESHOLD_SELECTORS: Final[dict[str, Any]] = {
    "session_grace_s": _number(86400, 1, "s"),
    "activity_gap_s": _number(86400, 1, "s"),
    "trip_end_s": _number(86400, 1, "s"),
    "trip_merge_s": _number(86400, 1, "s"),
    "min_session_kwh": _number(100, 0.01, "kWh"),
    "min_session_s": _number(86400, 1, "s"),
    "min_trip_km": _number(100, 0.1, "km"),
    "power_method": SelectSelector(
        SelectSelectorConfig(
            options=[method.value for method in IntegrationMethod],
            mode=SelectSelectorMode.DROPDOWN,
            translation_key="power_method",
        )
    ),
    "charging_negative": BooleanSelector(),
}
_CAPACITY = NumberSelector(
    NumberSelectorConfig(
        min=1, max=300, step=0.1, unit_of_measurement="kWh", mode=NumberSelectorMode.BOX
    )
)
# Where the car usually charges: assumed for a session nothing else places.
_ZONE = EntitySelector(EntitySelectorConfig(domain="zone"))
_DEVICE = DeviceSelector(
    DeviceSelectorConfig(
        entity=[{"domain": ["sensor", "binary_sensor", "device_tracker"]}]
    )
)


class VehicleSubentryFlow(ConfigSubentryFlow):
    """Add or change a vehicle of the ledger."""

    def __init__(self) -> None:
        """Start with nothing chosen."""
        self._device_id: str | None = None
        self._name = ""
        self._roles: dict[str, str] = {}
        self._capacity: float | None = None
        self._vin: str | None = None
        # None: the default (home, for a car without a location entity).
        self._usual_zone: str | None = None
        self._thresholds: dict[str, Any] = {}
        # Fields whose number was none (NaN passes the number selector).
        self._not_numbers: set[str] = set()

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Pick the vehicle's device, or none to map entities by hand."""
        if user_input is not None and entry_removed(self.hass, self.handler[0]):
            return self.async_abort(reason="entry_removed")
        errors: dict[str, str] = {}
        if user_input is not None:
            device_id = user_input.get(CONF_DEVICE_ID) or None
            if device_id is None:
                return await self.async_step_review()
            device = dr.async_get(self.hass).async_get(device_id)
            infos = device_entities(self.hass, device_id) if device else []
            if device is not None and any(
                domain == DOMAIN for domain, _ in device.identifiers
            ):
                # EV Ledger's own vehicle device (its sensors made it selectable).
                errors[CONF_DEVICE_ID] = "device_is_ev_ledger"
            elif self._device_in_use(device_id):
                errors[CONF_DEVICE_ID] = "device_in_use"
            elif device is None or not infos:
                errors[CONF_DEVICE_ID] = "no_entities"
            elif (kind := detect_kind(infos)) is DeviceKind.ENERGY_SITE:
                errors[CONF_DEVICE_ID] = "device_is_energy_site"
            else:
                self._device_id = device_id
                self._name = device.name_by_user or device.name or ""
                proposal = propose_mapping(infos, kind=kind)
                self._roles = {
                    role.value: entity_id
                    for role, entity_id in proposal.mapping.items()
                }
                return await self.async_step_review()
        return self.async_show_form(
            step_id="user",
            data_schema=vol.Schema({vol.Optional(CONF_DEVICE_ID): _DEVICE}),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change the mapping, capacity, VIN or thresholds of a vehicle."""
        data = self._get_reconfigure_subentry().data
        self._device_id = data.get(CONF_DEVICE_ID)
        self._name = data[CONF_NAME]
        self._roles = dict(data[CONF_ROLES])
        self._capacity = data.get(CONF_CAPACITY)
        self._vin = data.get(CONF_VIN)
        self._usual_zone = data.get(CONF_USUAL_ZONE) or None
        self._thresholds = dict(data.get(CONF_THRESHOLDS, {}))
        return await self.async_step_review()

    async def async_step_review(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Review the mapping: one entity picker per role, prefilled."""
        if user_input is not None and entry_removed(self.hass, self.handler[0]):
            return self.async_abort(reason="entry_removed")
        errors: dict[str, str] = {}
        owners: set[str] = set()
        if user_input is not None:
            self._take(user_input)
            errors = self._validate()
            for role, problem in self._reuse_problems().items():
                errors.setdefault(role.value, problem.error.value)
                owners.update(problem.owners)
            if not errors:
                return self._finish()
        return self.async_show_form(
            step_id="review",
            data_schema=self._review_schema(),
            errors=errors,
            description_placeholders={"owners": ", ".join(sorted(owners))},
        )

    def _take(self, user_input: dict[str, Any]) -> None:
        """Keep what was entered, so a form shown again keeps it too."""
        self._name = user_input[CONF_NAME].strip()
        self._roles = {
            role.value: user_input[role.value]
            for role in VEHICLE_ROLES
            if user_input.get(role.value)
        }
        # NaN compares false with the selector's min and max, so it gets here; it is
        # refused and the form shows the field empty (or at its default) again.
        self._not_numbers = set()
        capacity = user_input.get(CONF_CAPACITY)
        if capacity is not None and not math.isfinite(capacity):
            self._not_numbers.add(CONF_CAPACITY)
            capacity = None
        self._capacity = float(capacity) if capacity else None
        self._vin = (user_input.get(CONF_VIN) or "").strip() or None
        self._usual_zone = user_input.get(CONF_USUAL_ZONE) or None
        thresholds = user_input[CONF_THRESHOLDS]
        if any(
            isinstance(value, float) and not math.isfinite(value)
            for value in thresholds.values()
        ):
            self._not_numbers.add(CONF_THRESHOLDS)
        self._thresholds = {
            key: value
            for key, value in thresholds.items()
            if value != THRESHOLD_DEFAULTS[key]
            and not (isinstance(value, float) and not math.isfinite(value))
        }

    def _validate(self) -> dict[str, str]:
        errors: dict[str, str] = dict.fromkeys(self._not_numbers, "invalid_number")
        if not self._name:
            errors[CONF_NAME] = "name_required"
        elif (error := name_error(self._name)) is not None:
            errors[CONF_NAME] = error
        for role_value, entity_id in self._roles.items():
            error = check_role_entity(self.hass, Role(role_value), entity_id)
            if error is not None:
                errors[role_value] = error
        for role_value in repeated_roles(self._roles):
            errors.setdefault(role_value, "entity_twice")
        if self._usual_zone and not valid_entity_id(self._usual_zone):
            errors[CONF_USUAL_ZONE] = "entity_not_found"
        if not CHARGING_SIGNALS & {Role(r) for r in self._roles}:
            errors["base"] = "no_charging_signal"
        if self._vin is not None:
            try:
                self._vin, _status = validate_vin(self._vin)
            except InvalidVin:
                errors[CONF_VIN] = "invalid_vin"
        return errors

    def _finish(self) -> SubentryFlowResult:
        data = {
            CONF_NAME: self._name,
            CONF_DEVICE_ID: self._device_id,
            CONF_ROLES: self._roles,
            CONF_CAPACITY: self._capacity,
            CONF_VIN: self._vin,
            CONF_THRESHOLDS: self._thresholds,
        }
        if self._usual_zone:
            data[CONF_USUAL_ZONE] = self._usual_zone
        if self.source == SOURCE_RECONFIGURE:
            if self._reconfigure_subentry_id not in self._get_entry().subentries:
                # Removed (say in another window) while this form was open.
                return self.async_abort(reason="subentry_removed")
            return self.async_update_and_abort(
                self._get_entry(),
                self._get_reconfigure_subentry(),
                title=self._name,
                data=data,
            )
        return self.async_create_entry(
            title=self._name,
            data=data,
            unique_id=subentry_unique_id(SUBENTRY_VEHICLE, self._device_id),
        )

    def _review_schema(self) -> vol.Schema:
        fields: dict[Any, Any] = {
            vol.Required(CONF_NAME, default=self._name): TextSelector(),
        }
        for role in VEHICLE_ROLES:
            current = self._roles.get(role.value)
            info = entity_info(self.hass, current) if current else None
            fields[
                vol.Optional(role.value, description={"suggested_value": current})
            ] = role_selector(role, info)
        fields[
            vol.Optional(CONF_CAPACITY, description={"suggested_value": self._capacity})
        ] = _CAPACITY
        fields[vol.Optional(CONF_VIN, description={"suggested_value": self._vin})] = (
            TextSelector()
        )
        fields[
            vol.Optional(
                CONF_USUAL_ZONE, description={"suggested_value": self._usual_zone}
            )
        ] = _ZONE
        thresholds = THRESHOLD_DEFAULTS | self._thresholds
        fields[vol.Required(CONF_THRESHOLDS)] = section(
            vol.Schema(
                {
                    vol.Required(key, default=thresholds[key]): _THRESHOLD_SELECTORS[
                        key
                    ]
                    for key in THRESHOLD_KEYS
                }
            ),
            {"collapsed": True},
        )
        return vol.Schema(fields)

    def _reuse_problems(self) -> dict[Role, ReuseProblem]:
        """Entities of this mapping that other vehicles of the ledger already use."""
        current = (
            self._reconfigure_subentry_id if self.source == SOURCE_RECONFIGURE else None
        )
        others = [
            (subentry.title, {Role(r): e for r, e in subentry.data[CONF_ROLES].items()})
            for subentry in self._get_entry().subentries.values()
            if subentry.subentry_type == SUBENTRY_VEHICLE
            and subentry.subentry_id != current
        ]
        mine = {Role(role): entity_id for role, entity_id in self._roles.items()}
        registry = er.async_get(self.hass)
        device_of = {
            entity_id: entry.device_id
            for roles in (mine, *(roles for _, roles in others))
            for entity_id in roles.values()
            if (entry := registry.async_get(entity_id)) and entry.device_id
        }
        return entity_reuse(mine, others, device_of)

    def _device_in_use(self, device_id: str) -> bool:
        """Whether another vehicle of this ledger already uses the device."""
        return any(
            subentry.subentry_type == SUBENTRY_VEHICLE
            and subentry.unique_id == subentry_unique_id(SUBENTRY_VEHICLE, device_id)
            for subentry in self._get_entry().subentries.values()
        )
