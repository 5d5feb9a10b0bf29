"""Energy site subentry flow: solar, grid, home battery and house load of a zone.

The first step picks the site's devices (inverter, meter, home battery; several may
make one site). EV Ledger proposes an entity per role (logic.mapping) and the sign
conventions the current readings support (flow_signs); the site form shows them,
prefilled. Without a device the same form is filled in by hand.

Sign conventions are chosen explicitly and checked against the current readings
(flow_signs); when the readings contradict the choice the form says so and offers a
checkbox to keep the choice anyway.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.core import valid_entity_id
from homeassistant.helpers.selector import (
    BooleanSelector,
    DeviceSelector,
    DeviceSelectorConfig,
    EntitySelector,
    EntitySelectorConfig,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
import voluptuous as vol

from .const import (
    BATTERY_CHARGE_POSITIVE,
    BATTERY_DISCHARGE_POSITIVE,
    CONF_BATTERY_SIGN,
    CONF_DEVICE_ID,
    CONF_GRID_SIGN,
    CONF_LOAD_INCLUDES_EV,
    CONF_NAME,
    CONF_POLICY,
    CONF_ROLES,
    CONF_ZONE,
    GRID_EXPORT_POSITIVE,
    GRID_IMPORT_POSITIVE,
    SUBENTRY_ENERGY_SITE,
    subentry_unique_id,
)
from .flow_mapping import (
    check_role_entity,
    device_entities,
    entity_info,
    entry_removed,
    name_error,
    power_kw,
    repeated_roles,
    role_selector,
)
from .flow_signs import SiteReadings, propose_signs, suspect_signs
from .logic.mapping import DeviceKind, propose_mapping
from .logic.model import Role
from .logic.site import SITE_ROLES
from .logic.solar import AttributionPolicy

CONF_CONFIRM_SIGNS: Final = "confirm_signs"
STEP_SITE: Final = "site"
DEFAULTS: Final[dict[str, Any]] = {
    CONF_NAME: "Home",
    CONF_ZONE: "zone.home",
    CONF_GRID_SIGN: GRID_IMPORT_POSITIVE,
    CONF_BATTERY_SIGN: BATTERY_DISCHARGE_POSITIVE,
    CONF_LOAD_INCLUDES_EV: True,
    CONF_POLICY: AttributionPolicy.HOUSE_FIRST.value,
}


def _select(options: list[str], key: str) -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(
            options=options, mode=SelectSelectorMode.LIST, translation_key=key
        )
    )


_ZONE = EntitySelector(EntitySelectorConfig(domain="zone"))
_DEVICES = DeviceSelector(
    DeviceSelectorConfig(
        multiple=True, entity=[{"domain": "sensor", "device_class": "power"}]
    )
)
_GRID_SIGN = _select([GRID_IMPORT_POSITIVE, GRID_EXPORT_POSITIVE], CONF_GRID_SIGN)
_BATTERY_SIGN = _select(
    [BATTERY_DISCHARGE_POSITIVE, BATTERY_CHARGE_POSITIVE], CONF_BATTERY_SIGN
)
_POLICY = _select([p.value for p in AttributionPolicy], CONF_POLICY)


class EnergySiteSubentryFlow(ConfigSubentryFlow):
    """Add or change an energy site of the ledger."""

    def __init__(self) -> None:
        """Start from the defaults."""
        self._values: dict[str, Any] = dict(DEFAULTS)
        self._ask_confirm = False

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Pick the site's devices, or none to map the entities by hand."""
        errors: dict[str, str] = {}
        if user_input is not None:
            device_ids: list[str] = user_input.get(CONF_DEVICE_ID) or []
            if not device_ids:
                return await self.async_step_site()
            infos = [i for d in device_ids for i in device_entities(self.hass, d)]
            proposal = propose_mapping(infos, kind=DeviceKind.ENERGY_SITE)
            if not proposal.mapping:
                errors[CONF_DEVICE_ID] = "no_site_entities"
            else:
                roles = {r.value: e for r, e in proposal.mapping.items()}
                import_positive, discharge_positive = propose_signs(
                    self._readings(roles)
                )
                self._values |= roles | {
                    CONF_GRID_SIGN: GRID_IMPORT_POSITIVE
                    if import_positive
                    else GRID_EXPORT_POSITIVE,
                    CONF_BATTERY_SIGN: BATTERY_DISCHARGE_POSITIVE
                    if discharge_positive
                    else BATTERY_CHARGE_POSITIVE,
                }
                return await self.async_step_site()
        return self.async_show_form(
            step_id="user",
            data_schema=vol.Schema({vol.Optional(CONF_DEVICE_ID): _DEVICES}),
            errors=errors,
        )

    async def async_step_site(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Describe the site: its entities, sign conventions and policy."""
        return await self._async_step_site(user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change the site's entities, signs or policy."""
        if user_input is None:
            data = self._get_reconfigure_subentry().data
            self._values = {
                **{k: v for k, v in data.items() if k != CONF_ROLES},
                **data[CONF_ROLES],
            }
        return await self._async_step_site(user_input)

    async def _async_step_site(
        self, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        if user_input is not None and entry_removed(self.hass, self.handler[0]):
            return self.async_abort(reason="entry_removed")
        errors: dict[str, str] = {}
        placeholders = {"readings": ""}
        if user_input is not None:
            self._values = dict(user_input)
            errors = self._validate()
            if not errors and not user_input.get(CONF_CONFIRM_SIGNS):
                errors, placeholders["readings"] = self._check_signs()
                self._ask_confirm = self._ask_confirm or bool(errors)
            if not errors:
                return self._finish()
        return self.async_show_form(
            step_id="reconfigure" if self.source == SOURCE_RECONFIGURE else STEP_SITE,
            data_schema=self._schema(),
            errors=errors,
            description_placeholders=placeholders,
        )

    def _roles(self) -> dict[str, str]:
        return {
            r.value: self._values[r.value]
            for r in SITE_ROLES
            if self._values.get(r.value)
        }

    def _validate(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        roles = self._roles()
        for role_value, entity_id in roles.items():
            error = check_role_entity(self.hass, Role(role_value), entity_id)
            if error is not None:
                errors[role_value] = error
        for role_value in repeated_roles(roles):
            errors.setdefault(role_value, "entity_twice")
        has_import = Role.GRID_IMPORT_POWER in roles
        has_export = Role.GRID_EXPORT_POWER in roles
        if Role.GRID_POWER in roles and (has_import or has_export):
            errors[Role.GRID_POWER.value] = "grid_ambiguous"
        elif has_import != has_export:
            missing = Role.GRID_EXPORT_POWER if has_import else Role.GRID_IMPORT_POWER
            errors[missing.value] = "grid_pair_incomplete"
        if not set(roles) - {Role.BATTERY_POWER, Role.HOME_LOAD}:
            errors["base"] = "no_site_signal"
        if not valid_entity_id(self._values[CONF_ZONE]):
            errors[CONF_ZONE] = "entity_not_found"
        elif self._zone_in_use(self._values[CONF_ZONE]):
            errors[CONF_ZONE] = "zone_in_use"
        if (error := name_error(self._values[CONF_NAME].strip())) is not None:
            errors[CONF_NAME] = error
        return errors

    def _readings(self, roles: dict[str, str]) -> SiteReadings:
        """What the mapped entities read now, in kW as they report it."""
        grid = power_kw(self.hass, roles.get(Role.GRID_POWER))
        if Role.GRID_IMPORT_POWER in roles:
            imported = power_kw(self.hass, roles[Role.GRID_IMPORT_POWER])
            exported = power_kw(self.hass, roles.get(Role.GRID_EXPORT_POWER))
            grid = None if imported is None or exported is None else imported - exported
        return SiteReadings(
            solar=power_kw(self.hass, roles.get(Role.SOLAR_POWER)),
            grid=grid,
            grid_net_mapped=Role.GRID_POWER in roles,
            battery=power_kw(self.hass, roles.get(Role.BATTERY_POWER)),
            battery_mapped=Role.BATTERY_POWER in roles,
            load=power_kw(self.hass, roles.get(Role.HOME_LOAD)),
        )

    def _check_signs(self) -> tuple[dict[str, str], str]:
        """Compare the chosen signs with what the entities read now."""
        readings = self._readings(self._roles())
        suspects = suspect_signs(
            readings,
            import_positive=self._values[CONF_GRID_SIGN] == GRID_IMPORT_POSITIVE,
            discharge_positive=(
                self._values[CONF_BATTERY_SIGN] == BATTERY_DISCHARGE_POSITIVE
            ),
        )
        text = ", ".join(
            f"{name} {value:.2f} kW"
            for name, value in (
                ("solar", readings.solar),
                ("grid", readings.grid),
                ("battery", readings.battery),
                ("load", readings.load),
            )
            if value is not None
        )
        return dict.fromkeys(sorted(suspects), "sign_mismatch"), text

    def _finish(self) -> SubentryFlowResult:
        values = self._values
        data = {
            CONF_NAME: values[CONF_NAME].strip() or DEFAULTS[CONF_NAME],
            CONF_ZONE: values[CONF_ZONE],
            CONF_ROLES: self._roles(),
            CONF_GRID_SIGN: values[CONF_GRID_SIGN],
            CONF_BATTERY_SIGN: values[CONF_BATTERY_SIGN],
            CONF_LOAD_INCLUDES_EV: values[CONF_LOAD_INCLUDES_EV],
            CONF_POLICY: values[CONF_POLICY],
        }
        if self.source == SOURCE_RECONFIGURE:
            if self._reconfigure_subentry_id not in self._get_entry().subentries:
                # Removed (say in another window) while this form was open.
                return self.async_abort(reason="subentry_removed")
            return self.async_update_and_abort(
                self._get_entry(),
                self._get_reconfigure_subentry(),
                title=data[CONF_NAME],
                unique_id=subentry_unique_id(SUBENTRY_ENERGY_SITE, data[CONF_ZONE]),
                data=data,
            )
        return self.async_create_entry(
            title=data[CONF_NAME],
            data=data,
            unique_id=subentry_unique_id(SUBENTRY_ENERGY_SITE, data[CONF_ZONE]),
        )

    def _schema(self) -> vol.Schema:
        values = self._values
        fields: dict[Any, Any] = {
            vol.Required(CONF_NAME, default=values[CONF_NAME]): TextSelector(),
            vol.Required(CONF_ZONE, default=values[CONF_ZONE]): _ZONE,
        }
        for role in SITE_ROLES:
            current = values.get(role.value)
            info = entity_info(self.hass, current) if current else None
            fields[
                vol.Optional(role.value, description={"suggested_value": current})
            ] = role_selector(role, info)
        fields |= {
            vol.Required(CONF_GRID_SIGN, default=values[CONF_GRID_SIGN]): _GRID_SIGN,
            vol.Required(
                CONF_BATTERY_SIGN, default=values[CONF_BATTERY_SIGN]
            ): _BATTERY_SIGN,
            vol.Required(
                CONF_LOAD_INCLUDES_EV, default=values[CONF_LOAD_INCLUDES_EV]
            ): BooleanSelector(),
            vol.Required(CONF_POLICY, default=values[CONF_POLICY]): _POLICY,
        }
        if self._ask_confirm:
            fields[vol.Required(CONF_CONFIRM_SIGNS, default=False)] = BooleanSelector()
        return vol.Schema(fields)

    def _zone_in_use(self, zone: str) -> bool:
        """Whether another energy site of this ledger is in the zone."""
        current = (
            self._reconfigure_subentry_id if self.source == SOURCE_RECONFIGURE else None
        )
        return any(
            subentry.subentry_type == SUBENTRY_ENERGY_SITE
            and subentry.unique_id == subentry_unique_id(SUBENTRY_ENERGY_SITE, zone)
            and subentry.subentry_id != current
            for subentry in self._get_entry().subentries.values()
        )
