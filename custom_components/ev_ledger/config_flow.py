"""Config flow of EV Ledger: the ledger (its database), then subentries.

The config entry is one ledger: an embedded SQLite file (the default, no questions)
or a PostgreSQL database. Vehicles, energy sites and charging locations are added
to it as config subentries (flow_vehicle, flow_site, flow_location).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from . import flow_storage as storage
from .const import (
    BACKEND_EMBEDDED,
    BACKEND_POSTGRESQL,
    CONF_BACKEND,
    CONF_DATABASE,
    CONF_SSLMODE,
    CONF_SSLROOTCERT,
    CONF_URL,
    DOMAIN,
    SUBENTRY_ENERGY_SITE,
    SUBENTRY_LOCATION,
    SUBENTRY_VEHICLE,
)
from .db import SSL_MODES
from .flow_location import LocationSubentryFlow
from .flow_mapping import entry_removed
from .flow_options import LedgerOptionsFlow
from .flow_site import EnergySiteSubentryFlow
from .flow_vehicle import VehicleSubentryFlow

if TYPE_CHECKING:
    from collections.abc import Mapping

STEP_EMBEDDED: Final = "embedded"
STEP_POSTGRESQL: Final = "postgresql"
STEP_URL: Final = "postgresql_url"
STORAGE_MENU: Final = [STEP_EMBEDDED, STEP_POSTGRESQL, STEP_URL]

_TEXT = TextSelector()
_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_PORT = vol.All(
    NumberSelector(
        NumberSelectorConfig(min=1, max=65535, step=1, mode=NumberSelectorMode.BOX)
    ),
    vol.Coerce(int),
)
_SSLMODE = SelectSelector(
    SelectSelectorConfig(
        options=list(SSL_MODES),
        mode=SelectSelectorMode.DROPDOWN,
        translation_key=CONF_SSLMODE,
    )
)


def _postgresql_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    """The PostgreSQL form; the password is never prefilled."""
    return vol.Schema(
        {
            vol.Required(CONF_HOST, default=defaults.get(CONF_HOST, vol.UNDEFINED)): (
                _TEXT
            ),
            vol.Required(
                CONF_PORT, default=defaults.get(CONF_PORT, storage.DEFAULT_PORT)
            ): _PORT,
            vol.Required(
                CONF_DATABASE,
                default=defaults.get(CONF_DATABASE, storage.DEFAULT_DATABASE),
            ): _TEXT,
            vol.Required(
                CONF_USERNAME, default=defaults.get(CONF_USERNAME, vol.UNDEFINED)
            ): _TEXT,
            vol.Optional(CONF_PASSWORD): _PASSWORD,
            vol.Required(
                CONF_SSLMODE,
                default=defaults.get(CONF_SSLMODE, storage.DEFAULT_SSLMODE),
            ): _SSLMODE,
            vol.Optional(
                CONF_SSLROOTCERT,
                description={"suggested_value": defaults.get(CONF_SSLROOTCERT)},
            ): _TEXT,
        }
    )


_POSTGRESQL_FIELDS: Final = (
    CONF_HOST,
    CONF_PORT,
    CONF_DATABASE,
    CONF_USERNAME,
    CONF_PASSWORD,
    CONF_SSLMODE,
    CONF_SSLROOTCERT,
)
_URL_SCHEMA = vol.Schema({vol.Required(CONF_URL): _PASSWORD})
_REAUTH_SCHEMA = vol.Schema({vol.Required(CONF_PASSWORD): _PASSWORD})


class EvLedgerConfigFlow(ConfigFlow, domain=DOMAIN):
    """The ledger: where EV Ledger keeps its records."""

    VERSION = 1
    MINOR_VERSION = 1

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Vehicles, energy sites and charging locations live in a ledger."""
        return {
            SUBENTRY_VEHICLE: VehicleSubentryFlow,
            SUBENTRY_ENERGY_SITE: EnergySiteSubentryFlow,
            SUBENTRY_LOCATION: LocationSubentryFlow,
        }

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """How long raw samples are kept."""
        return LedgerOptionsFlow()

    # Storage choice ------------------------------------------------------------------

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the storage: embedded (default) or PostgreSQL."""
        return self.async_show_menu(step_id="user", menu_options=STORAGE_MENU)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Move the ledger to another storage target, or change its settings."""
        return self.async_show_menu(step_id="reconfigure", menu_options=STORAGE_MENU)

    async def async_step_embedded(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Use the SQLite file in the config folder: no questions, only a test.

        Shown as a form only when the test failed, so the user can retry after
        fixing the cause (disk, permissions, a newer schema).
        """
        outcome = await self._async_apply(
            {CONF_BACKEND: BACKEND_EMBEDDED}, fields=set()
        )
        if not isinstance(outcome, tuple):
            return outcome
        errors, placeholders = outcome
        return self.async_show_form(
            step_id=STEP_EMBEDDED,
            data_schema=vol.Schema({}),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_postgresql(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Connect to PostgreSQL with separate fields."""
        if self._entry_removed():
            return self.async_abort(reason="entry_removed")
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        defaults: Mapping[str, Any] = self._current_postgresql()
        if user_input is not None and (errors := storage.text_errors(user_input)):
            defaults = user_input
        elif user_input is not None:
            password = user_input.get(CONF_PASSWORD) or storage.kept_password(
                defaults, user_input
            )
            data = storage.postgresql_data(
                host=user_input[CONF_HOST],
                port=user_input[CONF_PORT],
                database=user_input[CONF_DATABASE],
                username=user_input[CONF_USERNAME],
                password=password,
                sslmode=user_input[CONF_SSLMODE],
                sslrootcert=storage.resolve_sslrootcert(
                    self.hass, user_input.get(CONF_SSLROOTCERT)
                ),
            )
            outcome = await self._async_apply(data, fields=set(_POSTGRESQL_FIELDS))
            if not isinstance(outcome, tuple):
                return outcome
            errors, placeholders = outcome
            defaults = user_input
        return self.async_show_form(
            step_id=STEP_POSTGRESQL,
            data_schema=_postgresql_schema(defaults),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_postgresql_url(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Connect to PostgreSQL with one connection URL."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            try:
                data = storage.data_from_url(user_input[CONF_URL])
            except storage.InvalidUrl:
                errors[CONF_URL] = "invalid_url"
            else:
                data[CONF_SSLROOTCERT] = storage.resolve_sslrootcert(
                    self.hass, data[CONF_SSLROOTCERT]
                )
                outcome = await self._async_apply(data, fields=set())
                if not isinstance(outcome, tuple):
                    return outcome
                errors, placeholders = outcome
        return self.async_show_form(
            step_id=STEP_URL,
            data_schema=_URL_SCHEMA,
            errors=errors,
            description_placeholders=placeholders,
        )

    # Reauth --------------------------------------------------------------------------

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """PostgreSQL refused the stored credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new password of the same role."""
        entry = self._get_reauth_entry()
        current = dict(entry.data)
        if url := current.pop(CONF_URL, None):
            # An entry made from one connection URL: its fields, from now on.
            current |= storage.data_from_url(url)
        errors: dict[str, str] = {}
        placeholders = {
            CONF_USERNAME: current[CONF_USERNAME],
            "target": storage.title(current),
        }
        if user_input is not None and "\x00" in user_input[CONF_PASSWORD]:
            errors[CONF_PASSWORD] = "invalid_character"
        elif user_input is not None:
            data = {**current, CONF_PASSWORD: user_input[CONF_PASSWORD]}
            errors, extra = await self._async_test(data, fields={CONF_PASSWORD})
            placeholders |= extra
            if not errors:
                return self._async_update_and_abort(entry, data=data)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=_REAUTH_SCHEMA,
            errors=errors,
            description_placeholders=placeholders,
        )

    # Helpers -------------------------------------------------------------------------

    def _entry_removed(self) -> bool:
        """Whether the entry being reconfigured is gone.

        Home Assistant leaves its reconfigure form open when the entry is removed
        (it aborts a reauth flow itself).
        """
        return self.source == SOURCE_RECONFIGURE and entry_removed(
            self.hass, self.context["entry_id"]
        )

    def _current_postgresql(self) -> Mapping[str, Any]:
        """Prefill values: the entry being reconfigured, if it is PostgreSQL."""
        if self.source != SOURCE_RECONFIGURE:
            return {}
        data = self._get_reconfigure_entry().data
        return data if data[CONF_BACKEND] == BACKEND_POSTGRESQL else {}

    async def _async_apply(
        self, data: dict[str, Any], *, fields: set[str]
    ) -> ConfigFlowResult | tuple[dict[str, str], dict[str, str]]:
        """Refuse a taken target, test it, then create or update the entry.

        Returns the errors and placeholders to show when the test failed.
        """
        if self._entry_removed():
            return self.async_abort(reason="entry_removed")
        new_id = storage.unique_id(data)
        if self.source == SOURCE_RECONFIGURE:
            entry = self._get_reconfigure_entry()
            for other in self._async_current_entries():
                if other.entry_id != entry.entry_id and other.unique_id == new_id:
                    return self.async_abort(reason="already_configured")
        else:
            await self.async_set_unique_id(new_id)
            self._abort_if_unique_id_configured()
        errors, placeholders = await self._async_test(data, fields=fields)
        if errors:
            return errors, placeholders
        if self.source == SOURCE_RECONFIGURE:
            return self._async_update_and_abort(
                self._get_reconfigure_entry(),
                unique_id=new_id,
                title=storage.title(data),
                data=data,
            )
        return self.async_create_entry(title=storage.title(data), data=data)

    def _async_update_and_abort(
        self, entry: ConfigEntry, **changes: Any
    ) -> ConfigFlowResult:
        """Update the entry and finish; the entry reloads to use the change.

        A loaded entry reloads through its update listener (Home Assistant 2026.11
        warns when a flow reloads an entry that has one); an entry that is not loaded
        (say, waiting for a new password) has no listener, so it is reloaded here.
        `async_update_and_abort` would do the first part but is missing before 2025.10.
        """
        self.hass.config_entries.async_update_entry(entry, **changes)
        if entry.state is not ConfigEntryState.LOADED:
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        reason = (
            "reconfigure_successful"
            if self.source == SOURCE_RECONFIGURE
            else "reauth_successful"
        )
        return self.async_abort(reason=reason)

    async def _async_test(
        self, data: Mapping[str, Any], *, fields: set[str]
    ) -> tuple[dict[str, str], dict[str, str]]:
        """Test the target; errors on `fields` when they are shown, else on base."""
        failure = await storage.async_test_target(self.hass, data)
        if failure is None:
            return {}, {}
        field = failure.field if failure.field in fields else "base"
        return {field: failure.key}, dict(failure.placeholders)
