"""Charging location subentry flow: a zone (or anywhere else) and its tariff.

First the place and the kind of tariff, then the prices, fees and the value of solar
energy. The result is stored as `Tariff.to_dict()`, validated by `Tariff.from_dict`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.core import valid_entity_id
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
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
    TextSelectorConfig,
)
import voluptuous as vol

from .const import (
    CONF_CHARGERS,
    CONF_NAME,
    CONF_TARIFF,
    CONF_ZONE,
    LOCATION_DEFAULT,
    SUBENTRY_LOCATION,
    subentry_unique_id,
)
from .flow_mapping import entry_removed, name_error
from .flow_tariff import MAX_PRICE, BandError, ShadowedBand, format_bands, parse_bands
from .logic.tariff import (
    MinuteBasis,
    SolarValuation,
    Tariff,
    TariffError,
    TariffKind,
    TouBand,
)

CONF_KIND: Final = "kind"
CONF_CURRENCY: Final = "currency"
CONF_PRICE: Final = "price_per_kwh"
CONF_BANDS: Final = "bands"
CONF_PRICE_ENTITY: Final = "price_entity"
CONF_FEES: Final = "fees"
CONF_PER_MINUTE: Final = "per_minute"
CONF_PER_MINUTE_BASIS: Final = "per_minute_basis"
CONF_SESSION_FEE: Final = "session_fee"
CONF_IDLE_FEE: Final = "idle_fee_per_minute"
CONF_IDLE_GRACE: Final = "idle_grace_minutes"
CONF_SOLAR: Final = "solar"
CONF_SOLAR_VALUATION: Final = "solar_valuation"
CONF_FEED_IN_PRICE: Final = "feed_in_price"
CONF_FEED_IN_ENTITY: Final = "feed_in_entity"
DEFAULT_TITLE: Final = "Anywhere else"

_MONEY = NumberSelector(
    NumberSelectorConfig(
        min=0, max=float(MAX_PRICE), step="any", mode=NumberSelectorMode.BOX
    )
)
_MINUTES = vol.All(
    NumberSelector(
        NumberSelectorConfig(
            min=0,
            max=1440,
            step=1,
            unit_of_measurement="min",
            mode=NumberSelectorMode.BOX,
        )
    ),
    vol.Coerce(int),
)
_SENSOR = EntitySelector(EntitySelectorConfig(domain=["sensor", "input_number"]))
_ZONE = EntitySelector(EntitySelectorConfig(domain="zone"))
# Wallboxes (any integration's device) that stand at this location: a session they
# deliver happened here, whatever the car's tracker knows.
_CHARGERS = DeviceSelector(DeviceSelectorConfig(multiple=True))


def _select(options: list[str], key: str) -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(
            options=options, mode=SelectSelectorMode.DROPDOWN, translation_key=key
        )
    )


_KIND = _select([k.value for k in TariffKind], CONF_KIND)
_BASIS = _select([b.value for b in MinuteBasis], CONF_PER_MINUTE_BASIS)
_VALUATION = _select([v.value for v in SolarValuation], CONF_SOLAR_VALUATION)


def _money(value: Any) -> str:
    """A form number as the tariff's decimal text (0.3, not 0.299999…)."""
    return str(Decimal(repr(float(value))).normalize()) if value else "0"


class LocationSubentryFlow(ConfigSubentryFlow):
    """Add or change a charging location and its tariff."""

    def __init__(self) -> None:
        """Start with an empty tariff."""
        self._zone = LOCATION_DEFAULT
        self._name = ""
        self._kind = TariffKind.FIXED
        self._chargers: list[str] = []
        self._tariff: dict[str, Any] = {}
        self._bands_text = ""

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Choose the place and the kind of tariff."""
        if user_input is not None and entry_removed(self.hass, self.handler[0]):
            return self.async_abort(reason="entry_removed")
        errors: dict[str, str] = {}
        if user_input is not None:
            self._zone = user_input.get(CONF_ZONE) or LOCATION_DEFAULT
            self._name = (user_input.get(CONF_NAME) or "").strip()
            self._kind = TariffKind(user_input[CONF_KIND])
            self._chargers = list(user_input.get(CONF_CHARGERS) or [])
            if (error := name_error(self._name)) is not None:
                errors[CONF_NAME] = error
            elif self._zone != LOCATION_DEFAULT and not valid_entity_id(self._zone):
                errors[CONF_ZONE] = "entity_not_found"
            elif self._chargers and self._zone == LOCATION_DEFAULT:
                errors[CONF_CHARGERS] = "chargers_need_zone"
            elif self._zone_in_use(self._zone):
                errors[CONF_ZONE] = (
                    "default_in_use"
                    if self._zone == LOCATION_DEFAULT
                    else "zone_in_use"
                )
            else:
                return await self.async_step_tariff()
        zone = None if self._zone == LOCATION_DEFAULT else self._zone
        return self.async_show_form(
            step_id=self.source,
            data_schema=vol.Schema(
                {
                    vol.Optional(CONF_ZONE, description={"suggested_value": zone}): (
                        _ZONE
                    ),
                    vol.Optional(
                        CONF_NAME, description={"suggested_value": self._name or None}
                    ): TextSelector(),
                    vol.Required(CONF_KIND, default=self._kind.value): _KIND,
                    vol.Optional(
                        CONF_CHARGERS,
                        description={"suggested_value": self._chargers or None},
                    ): _CHARGERS,
                }
            ),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change the place or the tariff."""
        if user_input is None:
            subentry = self._get_reconfigure_subentry()
            self._zone = subentry.data[CONF_ZONE]
            self._name = subentry.data.get(CONF_NAME, "")
            self._chargers = list(subentry.data.get(CONF_CHARGERS) or [])
            self._tariff = dict(subentry.data[CONF_TARIFF])
            self._kind = TariffKind(self._tariff["kind"])
        return await self.async_step_user(user_input)

    async def async_step_tariff(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Prices, fees and the value of solar energy."""
        if user_input is not None and entry_removed(self.hass, self.handler[0]):
            return self.async_abort(reason="entry_removed")
        errors: dict[str, str] = {}
        placeholders = {"line": ""}
        if user_input is None and self._kind is TariffKind.FREE:
            user_input = {
                CONF_CURRENCY: self._tariff.get("currency") or self._currency()
            }
        if user_input is not None:
            raw, errors, placeholders["line"] = self._tariff_from_input(user_input)
            if not errors:
                try:
                    tariff = Tariff.from_dict(raw)
                except TariffError:
                    errors["base"] = "invalid_tariff"
                else:
                    return self._finish(tariff)
            self._tariff = raw
        return self.async_show_form(
            step_id="tariff",
            data_schema=self._tariff_schema(),
            errors=errors,
            description_placeholders=placeholders,
        )

    def _tariff_from_input(
        self, user_input: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, str], str]:
        """Return the tariff dict, field errors and the bad band line, if any."""
        errors: dict[str, str] = {}
        bad_line = ""
        currency = str(user_input[CONF_CURRENCY]).strip().upper()
        if not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
            errors[CONF_CURRENCY] = "invalid_currency"
        raw: dict[str, Any] = {
            "kind": self._kind.value,
            "currency": currency,
            "name": self._title(),
            "price_per_kwh": _money(user_input.get(CONF_PRICE)),
        }
        if self._kind is TariffKind.TIME_OF_USE:
            self._bands_text = user_input[CONF_BANDS]
            try:
                bands = parse_bands(self._bands_text)
            except BandError as err:
                errors[CONF_BANDS] = (
                    "band_never_applies"
                    if isinstance(err, ShadowedBand)
                    else "invalid_band"
                )
                bad_line = f"{err.line}: {err.text}"
            else:
                if not bands:
                    errors[CONF_BANDS] = "bands_required"
                raw["bands"] = [band.to_dict() for band in bands]
        if self._kind is TariffKind.PRICE_ENTITY:
            raw["price_series_id"] = user_input[CONF_PRICE_ENTITY]
            if self.hass.states.get(raw["price_series_id"]) is None:
                errors[CONF_PRICE_ENTITY] = "entity_not_found"
        fees = user_input.get(CONF_FEES, {})
        raw |= {
            "per_minute": _money(fees.get(CONF_PER_MINUTE)),
            "per_minute_basis": fees.get(CONF_PER_MINUTE_BASIS, MinuteBasis.CHARGING),
            "session_fee": _money(fees.get(CONF_SESSION_FEE)),
            "idle_fee_per_minute": _money(fees.get(CONF_IDLE_FEE)),
            "idle_grace_minutes": int(fees.get(CONF_IDLE_GRACE, 0)),
        }
        solar = user_input.get(CONF_SOLAR, {})
        valuation = solar.get(CONF_SOLAR_VALUATION, SolarValuation.FREE)
        feed_in_price = solar.get(CONF_FEED_IN_PRICE)
        feed_in_entity = solar.get(CONF_FEED_IN_ENTITY) or None
        raw |= {
            "solar_valuation": valuation,
            "feed_in_price": None if feed_in_price is None else _money(feed_in_price),
            "feed_in_series_id": feed_in_entity,
        }
        if valuation == SolarValuation.FEED_IN:
            if feed_in_price is None and feed_in_entity is None:
                errors[CONF_SOLAR] = "feed_in_required"
            elif feed_in_price is not None and feed_in_entity is not None:
                errors[CONF_SOLAR] = "feed_in_ambiguous"
        if feed_in_entity and self.hass.states.get(feed_in_entity) is None:
            errors[CONF_SOLAR] = "entity_not_found"
        return raw, errors, bad_line

    def _finish(self, tariff: Tariff) -> SubentryFlowResult:
        data = {
            CONF_ZONE: self._zone,
            CONF_NAME: self._name,
            CONF_TARIFF: tariff.to_dict(),
            CONF_CHARGERS: self._chargers,
        }
        if self.source == SOURCE_RECONFIGURE:
            if self._reconfigure_subentry_id not in self._get_entry().subentries:
                # Removed (say in another window) while this form was open.
                return self.async_abort(reason="subentry_removed")
            return self.async_update_and_abort(
                self._get_entry(),
                self._get_reconfigure_subentry(),
                title=self._title(),
                unique_id=subentry_unique_id(SUBENTRY_LOCATION, self._zone),
                data=data,
            )
        return self.async_create_entry(
            title=self._title(),
            data=data,
            unique_id=subentry_unique_id(SUBENTRY_LOCATION, self._zone),
        )

    def _tariff_schema(self) -> vol.Schema:
        t = self._tariff
        fields: dict[Any, Any] = {}
        if self._kind in (TariffKind.FIXED, TariffKind.TIME_OF_USE):
            fields[
                vol.Required(CONF_PRICE, default=float(t.get("price_per_kwh", 0)))
            ] = _MONEY
        if self._kind is TariffKind.TIME_OF_USE:
            bands = self._bands_text or format_bands(
                TouBand.from_dict(band) for band in t.get("bands", ())
            )
            fields[vol.Required(CONF_BANDS, default=bands)] = TextSelector(
                TextSelectorConfig(multiline=True)
            )
        if self._kind is TariffKind.PRICE_ENTITY:
            fields[
                vol.Required(
                    CONF_PRICE_ENTITY,
                    description={"suggested_value": t.get("price_series_id")},
                )
            ] = _SENSOR
        fields[
            vol.Required(CONF_CURRENCY, default=t.get("currency") or self._currency())
        ] = TextSelector()
        fields[vol.Required(CONF_FEES)] = section(
            vol.Schema(
                {
                    vol.Required(
                        CONF_PER_MINUTE, default=float(t.get("per_minute", 0))
                    ): _MONEY,
                    vol.Required(
                        CONF_PER_MINUTE_BASIS,
                        default=t.get("per_minute_basis", MinuteBasis.CHARGING.value),
                    ): _BASIS,
                    vol.Required(
                        CONF_SESSION_FEE, default=float(t.get("session_fee", 0))
                    ): _MONEY,
                    vol.Required(
                        CONF_IDLE_FEE, default=float(t.get("idle_fee_per_minute", 0))
                    ): _MONEY,
                    vol.Required(
                        CONF_IDLE_GRACE, default=int(t.get("idle_grace_minutes", 0))
                    ): _MINUTES,
                }
            ),
            {"collapsed": True},
        )
        feed_in_price = t.get("feed_in_price")
        fields[vol.Required(CONF_SOLAR)] = section(
            vol.Schema(
                {
                    vol.Required(
                        CONF_SOLAR_VALUATION,
                        default=t.get("solar_valuation", SolarValuation.FREE.value),
                    ): _VALUATION,
                    vol.Optional(
                        CONF_FEED_IN_PRICE,
                        description={
                            "suggested_value": None
                            if feed_in_price is None
                            else float(feed_in_price)
                        },
                    ): _MONEY,
                    vol.Optional(
                        CONF_FEED_IN_ENTITY,
                        description={"suggested_value": t.get("feed_in_series_id")},
                    ): _SENSOR,
                }
            ),
            {"collapsed": True},
        )
        return vol.Schema(fields)

    def _currency(self) -> str:
        return self.hass.config.currency

    def _title(self) -> str:
        if self._name:
            return self._name
        if self._zone == LOCATION_DEFAULT:
            return DEFAULT_TITLE
        state = self.hass.states.get(self._zone)
        return state.name if state is not None else self._zone

    def _zone_in_use(self, zone: str) -> bool:
        """Whether another location of this ledger has the zone (or the default)."""
        current = (
            self._reconfigure_subentry_id if self.source == SOURCE_RECONFIGURE else None
        )
        return any(
            subentry.subentry_type == SUBENTRY_LOCATION
            and subentry.unique_id == subentry_unique_id(SUBENTRY_LOCATION, zone)
            and subentry.subentry_id != current
            for subentry in self._get_entry().subentries.values()
        )
