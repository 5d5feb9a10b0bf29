"""Energy site subentries: devices, entities, grid shapes, signs against readings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.ev_ledger.flow_signs import (
    BATTERY,
    GRID,
    SiteReadings,
    propose_signs,
    suspect_signs,
)
from custom_components.ev_ledger.logic import units
from custom_components.ev_ledger.logic.mapping import (
    DeviceKind,
    EntityInfo,
    propose_mapping,
)
from custom_components.ev_ledger.logic.model import Role
from tests.components.flow_helpers import (
    SITES,
    add_ledger,
    assert_translated,
    flow_environment,  # noqa: F401
    form_values,
    load_brand,
    register_device,
    subentries,
)

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry


async def _start(
    hass: HomeAssistant, entry: MockConfigEntry, devices: list[str] | None = None
) -> Any:
    """Open the flow; pick `devices` (none: map by hand) and return the site form."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "energy_site"), context={"source": SOURCE_USER}
    )
    assert_translated(result, "energy_site")
    assert result["step_id"] == "user"
    result = await _submit(
        hass, result["flow_id"], {"device_id": devices} if devices else {}
    )
    if result["step_id"] == "site":
        assert result["errors"] in ({}, None)
    return result


async def _submit(hass: HomeAssistant, flow_id: str, data: dict[str, Any]) -> Any:
    result = await hass.config_entries.subentries.async_configure(flow_id, data)
    assert_translated(result, "energy_site")
    return result


def _power(hass: HomeAssistant, entity_id: str, value: float, unit: str = "W") -> None:
    hass.states.async_set(entity_id, str(value), {"unit_of_measurement": unit})


async def test_night_import_with_the_wrong_grid_sign(hass: HomeAssistant) -> None:
    """At night the house imports 2 kW; the meter counts export as positive."""
    entry = add_ledger(hass)
    _power(hass, "sensor.solar", 0)
    _power(hass, "sensor.grid", -2000)
    result = await _start(hass, entry)
    values = form_values(result)
    assert values == {
        "name": "Home",
        "zone": "zone.home",
        "grid_sign": "import_positive",
        "battery_sign": "discharge_positive",
        "load_includes_ev": True,
        "policy": "house_first",
    }
    form = {**values, "solar_power": "sensor.solar", "grid_power": "sensor.grid"}

    result = await _submit(hass, result["flow_id"], form)
    assert result["errors"] == {"grid_sign": "sign_mismatch"}
    assert result["description_placeholders"]["readings"] == (
        "solar 0.00 kW, grid -2.00 kW"
    )
    assert form_values(result)["confirm_signs"] is False

    result = await _submit(
        hass, result["flow_id"], {**form, "grid_sign": "export_positive"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (site,) = subentries(entry, "energy_site")
    assert site.unique_id == "energy_site:zone.home"
    assert site.title == "Home"
    assert site.data == {
        "name": "Home",
        "zone": "zone.home",
        "roles": {"solar_power": "sensor.solar", "grid_power": "sensor.grid"},
        "grid_sign": "export_positive",
        "battery_sign": "discharge_positive",
        "load_includes_ev": True,
        "policy": "house_first",
    }


async def test_sign_mismatch_can_be_overridden(hass: HomeAssistant) -> None:
    entry = add_ledger(hass)
    _power(hass, "sensor.solar", 0)
    _power(hass, "sensor.grid", -2.0, "kW")
    result = await _start(hass, entry)
    form = {
        **form_values(result),
        "solar_power": "sensor.solar",
        "grid_power": "sensor.grid",
    }
    result = await _submit(hass, result["flow_id"], form)
    assert result["errors"] == {"grid_sign": "sign_mismatch"}

    result = await _submit(hass, result["flow_id"], {**form, "confirm_signs": True})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (site,) = subentries(entry, "energy_site")
    assert site.data["grid_sign"] == "import_positive"
    assert "confirm_signs" not in site.data


async def test_battery_sign_checked_by_the_balance(hass: HomeAssistant) -> None:
    """Solar 3 kW + import 1 kW + battery 0.5 kW discharge = load 4.5 kW."""
    entry = add_ledger(hass)
    _power(hass, "sensor.solar", 3000)
    _power(hass, "sensor.grid_in", 1000)
    _power(hass, "sensor.grid_out", 0)
    _power(hass, "sensor.battery", -500)  # this battery counts charge as positive
    _power(hass, "sensor.load", 4.5, "kW")
    result = await _start(hass, entry)
    form = {
        **form_values(result),
        "name": "Cottage",
        "solar_power": "sensor.solar",
        "grid_import_power": "sensor.grid_in",
        "grid_export_power": "sensor.grid_out",
        "battery_power": "sensor.battery",
        "home_load": "sensor.load",
        "policy": "ev_first",
    }
    result = await _submit(hass, result["flow_id"], form)
    assert result["errors"] == {"battery_sign": "sign_mismatch"}

    result = await _submit(
        hass, result["flow_id"], {**form, "battery_sign": "charge_positive"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (site,) = subentries(entry, "energy_site")
    assert site.data["roles"] == {
        "solar_power": "sensor.solar",
        "grid_import_power": "sensor.grid_in",
        "grid_export_power": "sensor.grid_out",
        "battery_power": "sensor.battery",
        "home_load": "sensor.load",
    }
    assert site.data["policy"] == "ev_first"


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        ({}, {"base": "no_site_signal"}),
        (
            {"grid_power": "sensor.grid", "grid_import_power": "sensor.grid_in"},
            {"grid_power": "grid_ambiguous"},
        ),
        (
            {"grid_import_power": "sensor.grid_in"},
            {"grid_export_power": "grid_pair_incomplete"},
        ),
        (
            {"grid_export_power": "sensor.grid_out"},
            {"grid_import_power": "grid_pair_incomplete"},
        ),
        ({"solar_power": "sensor.solar_energy"}, {"solar_power": "unsupported_unit"}),
        ({"solar_power": "sensor.missing"}, {"solar_power": "entity_not_found"}),
    ],
)
async def test_site_errors_then_fixed(
    hass: HomeAssistant, form: dict[str, str], errors: dict[str, str]
) -> None:
    entry = add_ledger(hass)
    for entity_id in (
        "sensor.solar",
        "sensor.grid",
        "sensor.grid_in",
        "sensor.grid_out",
    ):
        hass.states.async_set(entity_id, "unavailable")
    hass.states.async_set("sensor.solar", "n/a")
    _power(hass, "sensor.solar_energy", 5, "kWh")
    result = await _start(hass, entry)
    values = form_values(result)
    result = await _submit(hass, result["flow_id"], {**values, **form})
    assert result["errors"] == errors

    # Readings unknown: the signs cannot be checked, and are accepted.
    result = await _submit(
        hass, result["flow_id"], {**values, "solar_power": "sensor.solar"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_one_site_per_zone_and_reconfigure(hass: HomeAssistant) -> None:
    entry = add_ledger(hass)
    _power(hass, "sensor.solar", 1200)
    _power(hass, "sensor.grid", 300)
    result = await _start(hass, entry)
    form = {
        **form_values(result),
        "solar_power": "sensor.solar",
        "grid_power": "sensor.grid",
    }
    await _submit(hass, result["flow_id"], form)
    result = await _start(hass, entry)
    result = await _submit(hass, result["flow_id"], form)
    assert result["errors"] == {"zone": "zone_in_use"}
    result = await _submit(hass, result["flow_id"], {**form, "zone": "zone.work"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    home, work = subentries(entry, "energy_site")

    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "energy_site"),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": home.subentry_id},
    )
    assert_translated(result, "energy_site")
    assert result["step_id"] == "reconfigure"
    values = form_values(result)
    assert values["solar_power"] == "sensor.solar"
    assert values["grid_power"] == "sensor.grid"

    result = await _submit(hass, result["flow_id"], {**values, "zone": "zone.work"})
    assert result["errors"] == {"zone": "zone_in_use"}
    result = await _submit(
        hass, result["flow_id"], {**values, "load_includes_ev": False, "name": "House"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    home = entry.subentries[home.subentry_id]
    assert home.title == "House"
    assert home.data["load_includes_ev"] is False
    assert home.unique_id == "energy_site:zone.home"
    assert entry.subentries[work.subentry_id].data["zone"] == "zone.work"


# Sign plausibility (pure) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("readings", "import_positive", "discharge_positive", "suspects"),
    [
        # Night, no battery: exporting is impossible.
        (SiteReadings(solar=0, grid=-2, grid_net_mapped=True), True, True, {GRID}),
        (SiteReadings(solar=0, grid=2, grid_net_mapped=True), True, True, set()),
        (SiteReadings(solar=0, grid=-0.2, grid_net_mapped=True), True, True, set()),
        # Night, the home battery may feed the grid: no conclusion.
        (
            SiteReadings(
                solar=0, grid=-2, grid_net_mapped=True, battery=2.5, battery_mapped=True
            ),
            True,
            True,
            set(),
        ),
        (
            SiteReadings(solar=0, grid=-2, grid_net_mapped=True, battery_mapped=True),
            True,
            True,
            set(),
        ),
        (
            SiteReadings(
                solar=0, grid=-2, grid_net_mapped=True, battery=0, battery_mapped=True
            ),
            True,
            True,
            {GRID},
        ),
        # An import/export pair has no sign to get wrong.
        (SiteReadings(solar=0, grid=-2), True, True, set()),
        # Daytime export: fine either way without the load.
        (SiteReadings(solar=5, grid=-2, grid_net_mapped=True), True, True, set()),
        # Balance: load = solar + import + discharge.
        (
            SiteReadings(solar=3, grid=-1, grid_net_mapped=True, load=4),
            False,
            True,
            set(),
        ),
        (
            SiteReadings(solar=3, grid=-1, grid_net_mapped=True, load=4),
            True,
            True,
            {GRID},
        ),
        (
            SiteReadings(
                solar=3,
                grid=-1,
                grid_net_mapped=True,
                battery=-0.5,
                battery_mapped=True,
                load=4.5,
            ),
            True,
            True,
            {GRID, BATTERY},
        ),
        # Nothing balances: the readings are inconsistent, not the signs.
        (
            SiteReadings(solar=3, grid=1, grid_net_mapped=True, load=20),
            True,
            True,
            set(),
        ),
    ],
)
def test_suspect_signs(
    readings: SiteReadings,
    import_positive: bool,
    discharge_positive: bool,
    suspects: set[str],
) -> None:
    assert (
        suspect_signs(
            readings,
            import_positive=import_positive,
            discharge_positive=discharge_positive,
        )
        == suspects
    )


# Devices: proposed entities and signs ------------------------------------------------

SIGNS = {"grid_sign": "import_positive", "battery_sign": "discharge_positive"}
# Integrations whose own convention differs, as their readings show: Huawei Solar's
# power meter counts export as positive (wlcrs/huawei_solar), and so does GoodWe's.
OWN_SIGNS = {
    "huawei_solar": {"grid_sign": "export_positive"},
    "goodwe": {"grid_sign": "export_positive"},
}


@pytest.mark.parametrize("site", SITES)
async def test_site_device_proposes_entities_and_signs(
    hass: HomeAssistant, site: str
) -> None:
    entry = add_ledger(hass)
    device_id = register_device(hass, site, family="sites", states=True)
    rows = load_brand(site, "sites")
    expected = propose_mapping(
        (EntityInfo.from_dict(row) for row in rows), kind=DeviceKind.ENERGY_SITE
    ).mapping

    result = await _start(hass, entry, [device_id])

    assert result["step_id"] == "site"
    values = form_values(result)
    assert {r: values.get(r.value) for r in expected} == expected
    # Most of these integrations count import and discharge as positive, and the
    # fixtures' readings say so too (or, disabled, say nothing); the others' readings
    # show their own convention.
    assert {k: values[k] for k in SIGNS} == SIGNS | OWN_SIGNS.get(site, {})
    result = await _submit(hass, result["flow_id"], values)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (created,) = subentries(entry, "energy_site")
    assert created.data["roles"] == {r.value: e for r, e in expected.items()}


def _flipped(site: str, entity_id: str) -> list[dict[str, Any]]:
    """A fixture whose meter counts the other way round."""
    rows = load_brand(site, "sites")
    for row in rows:
        if row["entity_id"] == entity_id:
            row["state"] = str(-float(row["state"]))
    return rows


@pytest.mark.parametrize(
    ("entity_id", "signs"),
    [
        (
            "sensor.powerwall_site_power",
            {"grid_sign": "export_positive", "battery_sign": "discharge_positive"},
        ),
        (
            "sensor.powerwall_battery_power",
            {"grid_sign": "import_positive", "battery_sign": "charge_positive"},
        ),
    ],
)
async def test_signs_are_proposed_from_the_readings(
    hass: HomeAssistant, entity_id: str, signs: dict[str, str]
) -> None:
    entry = add_ledger(hass)
    rows = _flipped("powerwall", entity_id)
    device_id = register_device(hass, "powerwall", rows, family="sites", states=True)
    result = await _start(hass, entry, [device_id])
    values = form_values(result)
    assert {k: values[k] for k in signs} == signs

    # The proposal passes its own check; the default would not.
    result = await _submit(hass, result["flow_id"], {**values, **SIGNS})
    assert set(result["errors"]) == {next(k for k in signs if signs[k] != SIGNS[k])}
    result = await _submit(hass, result["flow_id"], values)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_several_devices_make_one_site(hass: HomeAssistant) -> None:
    """An inverter and a separate grid meter: solar from one, grid from the other."""
    entry = add_ledger(hass)
    inverter = [
        row
        for row in load_brand("solaredge", "sites")
        if row["entity_id"] == "sensor.solaredge_solar_power"
    ]
    meter = [
        row
        for row in load_brand("enphase_envoy", "sites")
        if row["entity_id"].endswith("net_power_consumption")
    ]
    devices = [
        register_device(hass, "solaredge", inverter, family="sites"),
        register_device(hass, "enphase_envoy", meter, family="sites"),
    ]
    result = await _start(hass, entry, devices)
    values = form_values(result)
    assert values["solar_power"] == "sensor.solaredge_solar_power"
    assert values["grid_power"] == (
        "sensor.envoy_122233445566_current_net_power_consumption"
    )


async def test_a_device_without_site_entities(hass: HomeAssistant) -> None:
    entry = add_ledger(hass)
    device_id = register_device(hass, "ohme", family="wallboxes")
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "energy_site"), context={"source": SOURCE_USER}
    )
    result = await _submit(hass, result["flow_id"], {"device_id": [device_id]})
    assert result["step_id"] == "user"
    assert result["errors"] == {"device_id": "no_site_entities"}

    result = await _submit(hass, result["flow_id"], {})
    assert result["step_id"] == "site"
    assert "solar_power" not in form_values(result)


def _fixture_readings(site: str, roles: dict[Role, str]) -> SiteReadings:
    """The fixture's readings of the proposed roles; a grid pair as import - export."""
    states = {
        row["entity_id"]: units.to_kw(float(row["state"]), row["unit"])
        for row in load_brand(site, "sites")
        if "state" in row and row["unit"] in ("W", "kW")
    }

    def reading(role: Role) -> float | None:
        return states.get(roles[role]) if role in roles else None

    grid = reading(Role.GRID_POWER)
    imported, exported = (
        reading(Role.GRID_IMPORT_POWER),
        reading(Role.GRID_EXPORT_POWER),
    )
    if grid is None and imported is not None and exported is not None:
        grid = imported - exported
    return SiteReadings(
        solar=reading(Role.SOLAR_POWER),
        grid=grid,
        grid_net_mapped=Role.GRID_POWER in roles,
        battery=reading(Role.BATTERY_POWER),
        battery_mapped=Role.BATTERY_POWER in roles,
        load=reading(Role.HOME_LOAD),
    )


@pytest.mark.parametrize("site", SITES)
def test_fixture_readings_balance_with_the_documented_signs(site: str) -> None:
    """Each fixture's states obey its integration's convention (most: import and
    discharge positive), and a house load it reports is a load."""
    roles = propose_mapping(
        (EntityInfo.from_dict(r) for r in load_brand(site, "sites")),
        kind=DeviceKind.ENERGY_SITE,
    ).mapping
    readings = _fixture_readings(site, roles)
    own = SIGNS | OWN_SIGNS.get(site, {})
    assert propose_signs(readings) == (
        own["grid_sign"] == "import_positive",
        own["battery_sign"] == "discharge_positive",
    )
    # A grid reported per phase only (Victron's GX) proposes no grid at all.
    grid_roles = {Role.GRID_POWER, Role.GRID_IMPORT_POWER, Role.GRID_EXPORT_POWER}
    assert (readings.grid is None) == (not grid_roles & roles.keys())
    assert (readings.load is None) == (Role.HOME_LOAD not in roles)
    assert readings.load is None or readings.load > 0


@pytest.mark.parametrize(
    ("readings", "signs"),
    [
        (SiteReadings(), (True, True)),
        # At night a meter that reads "exporting" counts export as positive.
        (SiteReadings(solar=0, grid=-2, grid_net_mapped=True), (False, True)),
        (SiteReadings(solar=0, grid=2, grid_net_mapped=True), (True, True)),
        (
            SiteReadings(
                solar=3,
                grid=1,
                grid_net_mapped=True,
                battery=0.5,
                battery_mapped=True,
                load=4.5,
            ),
            (True, True),
        ),
        (
            SiteReadings(
                solar=3,
                grid=1,
                grid_net_mapped=True,
                battery=-0.5,
                battery_mapped=True,
                load=4.5,
            ),
            (True, False),
        ),
    ],
)
def test_propose_signs(readings: SiteReadings, signs: tuple[bool, bool]) -> None:
    assert propose_signs(readings) == signs
