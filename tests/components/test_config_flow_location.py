"""Charging location subentries: zone or default, tariff kinds, bands, fees, solar."""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER, ConfigSubentry
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.ev_ledger.flow_tariff import BandError, format_bands, parse_bands
from custom_components.ev_ledger.logic.tariff import Tariff, TariffError, TouBand
from tests.components.flow_helpers import (
    add_ledger,
    assert_translated,
    flow_environment,  # noqa: F401
    form_values,
    subentries,
)

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

NO_FEES = {
    "per_minute": 0.0,
    "per_minute_basis": "charging",
    "session_fee": 0.0,
    "idle_fee_per_minute": 0.0,
    "idle_grace_minutes": 0,
}
FREE_SOLAR = {"solar_valuation": "free"}


async def _start(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "location"), context={"source": SOURCE_USER}
    )
    assert_translated(result, "location")
    return result


async def _submit(hass: HomeAssistant, flow_id: str, data: dict[str, Any]) -> Any:
    result = await hass.config_entries.subentries.async_configure(flow_id, data)
    assert_translated(result, "location")
    return result


async def _tariff_step(
    hass: HomeAssistant, entry: MockConfigEntry, kind: str, **place: str
) -> Any:
    result = await _start(hass, entry)
    result = await _submit(hass, result["flow_id"], {"kind": kind, **place})
    assert result["step_id"] == "tariff"
    return result


async def test_home_fixed_price_with_fees_and_feed_in(hass: HomeAssistant) -> None:
    hass.states.async_set("zone.home", "0", {"friendly_name": "Home"})
    entry = add_ledger(hass)
    result = await _tariff_step(hass, entry, "fixed", zone="zone.home")
    assert form_values(result) == {
        "price_per_kwh": 0.0,
        "currency": "EUR",
        "fees": NO_FEES,
        "solar": FREE_SOLAR,
    }
    result = await _submit(
        hass,
        result["flow_id"],
        {
            "price_per_kwh": 0.3,
            "currency": "eur",
            "fees": {**NO_FEES, "session_fee": 0.5, "idle_grace_minutes": 30},
            "solar": {"solar_valuation": "feed_in", "feed_in_price": 0.082},
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (location,) = subentries(entry, "location")
    assert location.title == "Home"
    assert location.unique_id == "location:zone.home"
    assert location.data["zone"] == "zone.home"
    tariff = Tariff.from_dict(location.data["tariff"])
    assert tariff.to_dict() == location.data["tariff"]
    assert tariff.price_per_kwh == Decimal("0.3")
    assert tariff.currency == "EUR"
    assert tariff.session_fee == Decimal("0.5")
    assert tariff.idle_grace_minutes == 30
    assert tariff.feed_in_price == Decimal("0.082")
    assert tariff.name == "Home"


async def test_default_location_is_free_without_questions(hass: HomeAssistant) -> None:
    hass.config.currency = "SEK"
    entry = add_ledger(hass)
    result = await _start(hass, entry)
    result = await _submit(hass, result["flow_id"], {"kind": "free"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (location,) = subentries(entry, "location")
    assert location.title == "Anywhere else"
    assert location.data["zone"] == "*"
    assert location.unique_id == "location:*"
    assert location.data["tariff"]["kind"] == "free"
    assert location.data["tariff"]["currency"] == "SEK"

    result = await _start(hass, entry)
    result = await _submit(hass, result["flow_id"], {"kind": "fixed"})
    assert result["errors"] == {"zone": "default_in_use"}


async def test_time_of_use_bands_with_errors_then_fixed(hass: HomeAssistant) -> None:
    entry = add_ledger(hass)
    result = await _tariff_step(
        hass, entry, "time_of_use", zone="zone.work", name="Office"
    )
    form = {
        "price_per_kwh": 0.3,
        "currency": "EUR",
        "fees": NO_FEES,
        "solar": FREE_SOLAR,
    }

    result = await _submit(
        hass,
        result["flow_id"],
        {**form, "bands": "Mon-Fri 22:00-06:00 0.20\nMon-Fry 0.1"},
    )
    assert result["errors"] == {"bands": "invalid_band"}
    assert result["description_placeholders"] == {"line": "2: Mon-Fry 0.1"}
    assert form_values(result)["bands"] == "Mon-Fri 22:00-06:00 0.20\nMon-Fry 0.1"

    result = await _submit(hass, result["flow_id"], {**form, "bands": "# none\n"})
    assert result["errors"] == {"bands": "bands_required"}

    bands = (
        "Mon-Fri 22:00-06:00 0.20\nSat,Sun 0.18  # weekend\n11:00-15:00 0.12 Jun-Sep"
    )
    result = await _submit(hass, result["flow_id"], {**form, "bands": bands})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (location,) = subentries(entry, "location")
    assert location.title == "Office"
    tariff = Tariff.from_dict(location.data["tariff"])
    assert tariff.bands == (
        TouBand(
            price=Decimal("0.20"), start=1320, end=360, weekdays=frozenset(range(5))
        ),
        TouBand(price=Decimal("0.18"), weekdays=frozenset({5, 6})),
        TouBand(
            price=Decimal("0.12"), start=660, end=900, months=frozenset(range(6, 10))
        ),
    )

    # Reconfigure shows the bands as text again and keeps them.
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "location"),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": location.subentry_id},
    )
    assert result["step_id"] == "reconfigure"
    assert form_values(result) == {
        "zone": "zone.work",
        "name": "Office",
        "kind": "time_of_use",
    }
    result = await _submit(hass, result["flow_id"], form_values(result))
    values = form_values(result)
    assert values["bands"] == (
        "Mon-Fri 22:00-06:00 0.20\nSat-Sun 0.18\n11:00-15:00 0.12 Jun-Sep"
    )
    result = await _submit(hass, result["flow_id"], {**values, "price_per_kwh": 0.35})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    updated = entry.subentries[location.subentry_id]
    assert Tariff.from_dict(updated.data["tariff"]).bands == tariff.bands
    assert updated.data["tariff"]["price_per_kwh"] == "0.35"


async def test_price_entity_with_feed_in_entity(hass: HomeAssistant) -> None:
    hass.states.async_set("sensor.nordpool", "0.21", {"unit_of_measurement": "EUR/kWh"})
    hass.states.async_set("sensor.feed_in", "0.05")
    entry = add_ledger(hass)
    result = await _tariff_step(hass, entry, "price_entity", zone="zone.home")
    base = {"currency": "EUR", "fees": NO_FEES}

    result = await _submit(
        hass,
        result["flow_id"],
        {
            **base,
            "price_entity": "sensor.missing",
            "solar": {"solar_valuation": "feed_in", "feed_in_entity": "sensor.gone"},
        },
    )
    assert result["errors"] == {
        "price_entity": "entity_not_found",
        "solar": "entity_not_found",
    }
    result = await _submit(
        hass,
        result["flow_id"],
        {
            **base,
            "price_entity": "sensor.nordpool",
            "solar": {"solar_valuation": "feed_in", "feed_in_entity": "sensor.feed_in"},
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (location,) = subentries(entry, "location")
    assert location.title == "zone.home"  # no zone state: the entity id
    tariff = location.data["tariff"]
    assert tariff["price_series_id"] == "sensor.nordpool"
    assert tariff["feed_in_series_id"] == "sensor.feed_in"
    assert tariff["feed_in_price"] is None


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"currency": "Euro"}, {"currency": "invalid_currency"}),
        ({"currency": "€€€"}, {"currency": "invalid_currency"}),
        ({"solar": {"solar_valuation": "feed_in"}}, {"solar": "feed_in_required"}),
        (
            {
                "solar": {
                    "solar_valuation": "feed_in",
                    "feed_in_price": 0.1,
                    "feed_in_entity": "sensor.feed_in",
                }
            },
            {"solar": "feed_in_ambiguous"},
        ),
    ],
)
async def test_tariff_errors_then_fixed(
    hass: HomeAssistant, changes: dict[str, Any], errors: dict[str, str]
) -> None:
    hass.states.async_set("sensor.feed_in", "0.05")
    entry = add_ledger(hass)
    result = await _tariff_step(hass, entry, "fixed", zone="zone.home")
    form = {
        "price_per_kwh": 0.25,
        "currency": "EUR",
        "fees": NO_FEES,
        "solar": FREE_SOLAR,
    }
    result = await _submit(hass, result["flow_id"], {**form, **changes})
    assert result["errors"] == errors
    result = await _submit(hass, result["flow_id"], form)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_tariff_refused_by_the_engine_then_fixed(hass: HomeAssistant) -> None:
    """Whatever the engine's own validation refuses is shown, never stored."""
    entry = add_ledger(hass)
    result = await _tariff_step(hass, entry, "fixed")
    form = {
        "price_per_kwh": 0.25,
        "currency": "EUR",
        "fees": NO_FEES,
        "solar": FREE_SOLAR,
    }
    with patch(
        "custom_components.ev_ledger.flow_location.Tariff.from_dict",
        side_effect=TariffError("no"),
    ):
        result = await _submit(hass, result["flow_id"], form)
    assert result["errors"] == {"base": "invalid_tariff"}
    result = await _submit(hass, result["flow_id"], form)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_zone_in_use_and_reconfigure_to_free(hass: HomeAssistant) -> None:
    entry = add_ledger(hass)
    form = {
        "price_per_kwh": 0.25,
        "currency": "EUR",
        "fees": NO_FEES,
        "solar": FREE_SOLAR,
    }
    for zone in ("zone.home", "zone.work"):
        result = await _tariff_step(hass, entry, "fixed", zone=zone)
        await _submit(hass, result["flow_id"], form)
    result = await _start(hass, entry)
    result = await _submit(
        hass, result["flow_id"], {"kind": "fixed", "zone": "zone.home"}
    )
    assert result["errors"] == {"zone": "zone_in_use"}

    home, _work = subentries(entry, "location")
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "location"),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": home.subentry_id},
    )
    result = await _submit(
        hass, result["flow_id"], {"kind": "free", "zone": "zone.work"}
    )
    assert result["errors"] == {"zone": "zone_in_use"}
    result = await _submit(
        hass, result["flow_id"], {"kind": "free", "zone": "zone.home"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.subentries[home.subentry_id].data["tariff"]["kind"] == "free"


async def test_free_location_with_an_unusable_currency_asks(
    hass: HomeAssistant,
) -> None:
    hass.config.currency = "XX"
    entry = add_ledger(hass)
    result = await _start(hass, entry)
    result = await _submit(
        hass, result["flow_id"], {"kind": "free", "zone": "zone.home"}
    )
    assert result["step_id"] == "tariff"
    assert result["errors"] == {"currency": "invalid_currency"}
    result = await _submit(
        hass,
        result["flow_id"],
        {"currency": "CHF", "fees": NO_FEES, "solar": FREE_SOLAR},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


# Band text (pure) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "band"),
    [
        ("0.30", TouBand(price=Decimal("0.30"))),
        ("00:00-24:00 0.3", TouBand(price=Decimal("0.3"), start=0, end=1440)),
        (
            "fri-mon 0.1",
            TouBand(price=Decimal("0.1"), weekdays=frozenset({4, 5, 6, 0})),
        ),
        (
            "0.2 Nov-Feb",
            TouBand(price=Decimal("0.2"), months=frozenset({11, 12, 1, 2})),
        ),
        (
            "Mon,Wed,Fri 6:30-9:00 0.4",
            TouBand(
                price=Decimal("0.4"), start=390, end=540, weekdays=frozenset({0, 2, 4})
            ),
        ),
    ],
)
def test_parse_band(text: str, band: TouBand) -> None:
    assert parse_bands(text) == (band,)
    assert parse_bands(format_bands([band])) == (band,)


@pytest.mark.parametrize(
    "line",
    [
        "Mon-Fri 22:00-06:00",  # no price
        "Mon-Fri 0.2 0.3",  # two prices
        "24:00-06:00 0.2",  # start past the day
        "06:00-24:01 0.2",
        "06:61-07:00 0.2",
        "Mon-Mar 0.2",  # mixed names
        "cheap 0.2",
        "Mon 0.2 -0.1",
        "Mon -0.1",  # negative band price
        "Mon nan",
    ],
)
def test_parse_band_errors(line: str) -> None:
    with pytest.raises(BandError) as caught:
        parse_bands(f"0.1\n{line}")
    assert caught.value.line == 2
    assert caught.value.text == line


async def test_location_in_the_zone_of_an_energy_site(hass: HomeAssistant) -> None:
    """Home Assistant checks subentry unique ids across types: both must fit."""
    hass.states.async_set("zone.home", "0", {"friendly_name": "Home"})
    entry = add_ledger(hass)
    hass.config_entries.async_add_subentry(
        entry,
        ConfigSubentry(
            data=MappingProxyType({"zone": "zone.home"}),
            subentry_type="energy_site",
            title="Home",
            unique_id="energy_site:zone.home",
        ),
    )
    result = await _tariff_step(hass, entry, "fixed", zone="zone.home")
    result = await _submit(
        hass,
        result["flow_id"],
        {"price_per_kwh": 0.3, "currency": "EUR", "fees": NO_FEES, "solar": FREE_SOLAR},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert [s.unique_id for s in subentries(entry, "location")] == [
        "location:zone.home"
    ]


async def test_wallboxes_stand_at_a_zone(hass: HomeAssistant) -> None:
    """A location names the wallboxes in its zone; the default location cannot."""
    entry = add_ledger(hass)
    form = {
        "price_per_kwh": 0.3,
        "currency": "EUR",
        "fees": NO_FEES,
        "solar": FREE_SOLAR,
    }
    result = await _start(hass, entry)
    result = await _submit(
        hass, result["flow_id"], {"kind": "fixed", "chargers": ["wallbox-device"]}
    )
    assert result["errors"] == {"chargers": "chargers_need_zone"}
    result = await _submit(
        hass,
        result["flow_id"],
        {"kind": "fixed", "zone": "zone.home", "chargers": ["wallbox-device"]},
    )
    assert result["step_id"] == "tariff"
    await _submit(hass, result["flow_id"], form)
    (home,) = subentries(entry, "location")
    assert home.data["chargers"] == ["wallbox-device"]

    # Reconfiguring shows the wallboxes and keeps them.
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "location"),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": home.subentry_id},
    )
    assert form_values(result)["chargers"] == ["wallbox-device"]
    result = await _submit(
        hass,
        result["flow_id"],
        {"kind": "fixed", "zone": "zone.home", "chargers": ["wallbox-device"]},
    )
    result = await _submit(hass, result["flow_id"], form)
    assert result["reason"] == "reconfigure_successful"
    assert entry.subentries[home.subentry_id].data["chargers"] == ["wallbox-device"]
