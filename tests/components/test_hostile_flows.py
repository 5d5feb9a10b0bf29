"""What a careless or hostile user can type into EV Ledger's configuration UI.

Every step is driven through Home Assistant's own flow managers, as the frontend
drives them. Whatever is typed, the answer is a translated form error (or the
schema's validation error) or a clean abort: never an exception, a stored value
that breaks the ledger later, or a password shown back. After input the flows
accept, the ledger still sets up, takes a state and unloads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_ledger.const import (
    CONF_DEADBAND,
    CONF_SAMPLE_RETENTION_DAYS,
    DOMAIN,
)
from custom_components.ev_ledger.logic.model import Role
from tests.components.flow_helpers import STRINGS, assert_translated, form_values

from .conftest import ENTITIES, HOME_ID, UNITS, VEHICLE_ID, Ledger

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

SECRET = "s3cr3t-Pa55"
# A PostgreSQL ledger nothing listens on (never set up here).
PG_DATA: dict[str, Any] = {
    "backend": "postgresql",
    "host": "127.0.0.1",
    "port": 1,
    "database": "ledger",
    "username": "ev",
    "password": "old",
    "sslmode": "disable",
    "sslrootcert": None,
}
# EV Ledger's own sensors of the embedded ledger's vehicle (Model Y).
OWN_ENERGY = "sensor.model_y_current_session_energy"
OWN_POWER = "sensor.model_y_charging_power"


def _car_states(hass: HomeAssistant) -> None:
    """The mapped car's entities exist, with their units."""
    for role, entity_id in ENTITIES.items():
        unit = UNITS.get(role)
        hass.states.async_set(
            entity_id, "50", {"unit_of_measurement": unit} if unit else {}
        )


async def _still_runs(hass: HomeAssistant, ledger: Ledger) -> None:
    """The ledger sets up after the change, takes a state and unloads."""
    await hass.async_block_till_done(wait_background_tasks=True)
    await ledger.setup()
    hass.states.async_set(
        ENTITIES[Role.CHARGER_POWER], "7.2", {"unit_of_measurement": "kW"}
    )
    await hass.async_block_till_done()
    await ledger.unload()


# Options ------------------------------------------------------------------------------


@pytest.mark.parametrize("days", ["nan", float("nan"), "NaN"])
async def test_options_refuse_a_retention_that_is_no_number(
    hass: HomeAssistant, embedded_ledger: Ledger, days: Any
) -> None:
    """NaN passes the number selector (it compares false with min and max).

    It raised ValueError in int() before: the frontend showed "Unknown error".
    """
    await embedded_ledger.setup()
    entry = embedded_ledger.entry
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SAMPLE_RETENTION_DAYS: days}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_SAMPLE_RETENTION_DAYS: "invalid_number"}
    assert "invalid_number" in STRINGS["options"]["error"]
    assert entry.options == {}

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SAMPLE_RETENTION_DAYS: "30", CONF_DEADBAND: True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {CONF_SAMPLE_RETENTION_DAYS: 30, CONF_DEADBAND: True}
    await hass.async_block_till_done(wait_background_tasks=True)
    await embedded_ledger.unload()
    await _still_runs(hass, embedded_ledger)


# Vehicles -----------------------------------------------------------------------------


async def _review(hass: HomeAssistant, ledger: Ledger) -> Any:
    result = await hass.config_entries.subentries.async_init(
        (ledger.entry.entry_id, "vehicle"),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": VEHICLE_ID},
    )
    assert result["step_id"] == "review"
    return result


def _filled(result: Any) -> dict[str, Any]:
    return {k: v for k, v in form_values(result).items() if v is not None}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"usable_capacity_kwh": "nan"}, "usable_capacity_kwh"),
        ({"usable_capacity_kwh": float("nan")}, "usable_capacity_kwh"),
        ({"thresholds": {"min_session_kwh": float("nan")}}, "thresholds"),
        ({"thresholds": {"session_grace_s": "nan"}}, "thresholds"),
    ],
)
async def test_vehicle_refuses_numbers_that_are_no_numbers(
    hass: HomeAssistant,
    embedded_ledger: Ledger,
    change: dict[str, Any],
    field: str,
) -> None:
    """A NaN capacity or threshold was stored (JSON null after a restart)."""
    _car_states(hass)
    await embedded_ledger.setup()
    entry = embedded_ledger.entry
    before = dict(entry.subentries[VEHICLE_ID].data)
    result = await _review(hass, embedded_ledger)
    values = _filled(result)
    if "thresholds" in change:
        values["thresholds"] = values["thresholds"] | change["thresholds"]
    else:
        values |= change
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], values
    )
    assert_translated(result, "vehicle")
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: "invalid_number"}
    assert dict(entry.subentries[VEHICLE_ID].data) == before

    # Corrected, it is taken and the ledger runs on.
    values = _filled(result)
    values |= {"usable_capacity_kwh": 60}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], values
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.subentries[VEHICLE_ID].data["usable_capacity_kwh"] == 60
    await hass.async_block_till_done(wait_background_tasks=True)
    await embedded_ledger.unload()
    await _still_runs(hass, embedded_ledger)


@pytest.mark.parametrize(
    ("role", "own"),
    [(Role.SESSION_ENERGY, OWN_ENERGY), (Role.CHARGER_POWER, OWN_POWER)],
)
async def test_vehicle_refuses_ev_ledgers_own_sensors(
    hass: HomeAssistant, embedded_ledger: Ledger, role: Role, own: str
) -> None:
    """EV Ledger's own sensor feeding its own vehicle is a feedback loop."""
    _car_states(hass)
    await embedded_ledger.setup()
    entry = embedded_ledger.entry
    assert hass.states.get(own) is not None
    before = dict(entry.subentries[VEHICLE_ID].data)
    result = await _review(hass, embedded_ledger)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], _filled(result) | {role.value: own}
    )
    assert_translated(result, "vehicle")
    assert result["errors"] == {role.value: "entity_is_ev_ledger"}
    assert dict(entry.subentries[VEHICLE_ID].data) == before
    await embedded_ledger.unload()


async def test_site_refuses_ev_ledgers_own_sensors(
    hass: HomeAssistant, embedded_ledger: Ledger
) -> None:
    """A site's solar or grid power cannot be one of EV Ledger's sensors."""
    _car_states(hass)
    await embedded_ledger.setup()
    entry = embedded_ledger.entry
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "energy_site"), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {})
    assert result["step_id"] == "site"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], _filled(result) | {"solar_power": OWN_POWER}
    )
    assert_translated(result, "energy_site")
    assert result["errors"] == {"solar_power": "entity_is_ev_ledger"}
    assert not [
        s for s in entry.subentries.values() if s.subentry_type == "energy_site"
    ]
    await embedded_ledger.unload()


async def test_one_entity_in_two_roles_of_a_vehicle(
    hass: HomeAssistant, embedded_ledger: Ledger
) -> None:
    """A wallbox's status sensor as both charging state and plugged was accepted;
    the runtime keys readings by entity, so only one of the roles was ever fed."""
    _car_states(hass)
    hass.states.async_set("sensor.wallbox_status", "charging")
    await embedded_ledger.setup()
    entry = embedded_ledger.entry
    before = dict(entry.subentries[VEHICLE_ID].data)
    result = await _review(hass, embedded_ledger)
    both = {
        "charging_state": "sensor.wallbox_status",
        "plugged": "sensor.wallbox_status",
    }
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], _filled(result) | both
    )
    assert_translated(result, "vehicle")
    assert result["errors"] == {"plugged": "entity_twice"}
    assert dict(entry.subentries[VEHICLE_ID].data) == before
    await embedded_ledger.unload()


async def test_one_entity_in_two_roles_of_a_site(
    hass: HomeAssistant, embedded_ledger: Ledger
) -> None:
    """The inverter's power as both solar power and house load was accepted."""
    hass.states.async_set("sensor.inverter", "2.5", {"unit_of_measurement": "kW"})
    hass.states.async_set("sensor.grid", "-1.0", {"unit_of_measurement": "kW"})
    await embedded_ledger.setup()
    entry = embedded_ledger.entry
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "energy_site"), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {})
    roles = {
        "solar_power": "sensor.inverter",
        "grid_power": "sensor.grid",
        "home_load": "sensor.inverter",
    }
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], _filled(result) | roles
    )
    assert_translated(result, "energy_site")
    assert result["errors"] == {"home_load": "entity_twice"}
    assert not [
        s for s in entry.subentries.values() if s.subentry_type == "energy_site"
    ]
    await embedded_ledger.unload()


async def _add_site(hass: HomeAssistant, ledger: Ledger) -> str:
    """Add a solar-only site through its flow; return its subentry id."""
    hass.states.async_set("sensor.solar_power", "1.5", {"unit_of_measurement": "kW"})
    result = await _name_form(hass, ledger, "energy_site")
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], _with_name("energy_site", result, "Roof")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    (site,) = [
        s for s in ledger.entry.subentries.values() if s.subentry_type == "energy_site"
    ]
    return str(site.subentry_id)


@pytest.mark.parametrize("kind", ["vehicle", "energy_site", "location"])
async def test_subentry_removed_while_its_form_is_open(
    hass: HomeAssistant, embedded_ledger: Ledger, kind: str
) -> None:
    """Deleting a vehicle, site or location in one window while its reconfigure
    form is open in another: submitting the form raised UnknownSubEntry (the
    frontend's "Unknown error")."""
    _car_states(hass)
    await embedded_ledger.setup()
    entry = embedded_ledger.entry
    subentry_id = {"vehicle": VEHICLE_ID, "location": HOME_ID}.get(kind) or (
        await _add_site(hass, embedded_ledger)
    )
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, kind),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )
    values = _filled(result)
    assert hass.config_entries.async_remove_subentry(entry, subentry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], values
    )
    if kind == "location":  # the place, then the tariff
        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"], {"currency": "EUR", "fees": {}, "solar": {}}
        )
    assert_translated(result, kind)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "subentry_removed"
    assert subentry_id not in entry.subentries
    await embedded_ledger.unload()
    await _still_runs(hass, embedded_ledger)


async def _open_form(hass: HomeAssistant, entry: Any, form: str) -> tuple[Any, Any]:
    """Open one of the ledger's forms; return its flow manager and the form."""
    flows, subentries = hass.config_entries.flow, hass.config_entries.subentries
    if form == "options":
        options = hass.config_entries.options
        return options, await options.async_init(entry.entry_id)
    if form.startswith("reconfigure"):
        result = await entry.start_reconfigure_flow(hass)
        if form == "reconfigure_url":
            result = await flows.async_configure(
                result["flow_id"], {"next_step_id": "postgresql_url"}
            )
        return flows, result
    kind, _, step = form.partition(":")
    result = await subentries.async_init(
        (entry.entry_id, kind), context={"source": SOURCE_USER}
    )
    if step == "review":
        result = await subentries.async_configure(result["flow_id"], {})
    if step == "tariff":
        result = await subentries.async_configure(
            result["flow_id"], {"kind": "fixed", "zone": "zone.work"}
        )
    if step == "site":
        result = await subentries.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    return subentries, result


SUBMITTED: dict[str, dict[str, Any]] = {
    "options": {CONF_SAMPLE_RETENTION_DAYS: 30},
    "reconfigure": {"next_step_id": "embedded"},
    "reconfigure_pg": {"next_step_id": "postgresql"},
    "reconfigure_url": {"url": "postgresql://ev@127.0.0.1:1/ledger"},
    "vehicle": {},
    "vehicle:review": {
        "name": "Car",
        "plugged": "binary_sensor.plug",
        "thresholds": {},
    },
    "location": {"kind": "fixed", "zone": "zone.work"},
    "location:tariff": {"currency": "EUR", "fees": {}, "solar": {}},
    "energy_site:site": {"solar_power": "sensor.solar_power"},
}


@pytest.mark.parametrize("form", list(SUBMITTED))
async def test_ledger_removed_while_a_form_is_open(
    hass: HomeAssistant, form: str
) -> None:
    """Deleting the ledger while one of its forms is open in another window:
    Home Assistant leaves the form open, and submitting it raised UnknownEntry."""
    hass.states.async_set("binary_sensor.plug", "off")
    hass.states.async_set("sensor.solar_power", "1.5", {"unit_of_measurement": "kW"})
    entry = MockConfigEntry(domain=DOMAIN, title="EV Ledger", data=PG_DATA)
    entry.add_to_hass(hass)
    flows, result = await _open_form(hass, entry, form)
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    values = dict(SUBMITTED[form])
    if form == "energy_site:site":
        values = _filled(result) | values
    result = await flows.async_configure(result["flow_id"], values)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_removed"
    kind = form.partition(":")[0]
    strings = (
        STRINGS["options"]
        if form == "options"
        else STRINGS["config_subentries"][kind]
        if kind in STRINGS["config_subentries"]
        else STRINGS["config"]
    )
    assert "entry_removed" in strings["abort"]


# Names ---------------------------------------------------------------------------------

# Right-to-left override, Arabic, an emoji: any script is a name, up to 100 characters.
FANCY_NAME = ("\u202e\ufed9 \U0001f697 Citro\u00ebn " * 10)[:100]


async def _name_form(hass: HomeAssistant, ledger: Ledger, kind: str) -> Any:
    """The first form of a flow that asks for a name."""
    entry_id = ledger.entry.entry_id
    if kind == "vehicle":
        return await _review(hass, ledger)
    result = await hass.config_entries.subentries.async_init(
        (entry_id, kind), context={"source": SOURCE_USER}
    )
    if kind == "energy_site":
        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"], {}
        )
    return result


def _with_name(kind: str, result: Any, name: str) -> dict[str, Any]:
    if kind == "location":
        return {"kind": "fixed", "zone": "zone.work", "name": name}
    values = _filled(result) | {"name": name}
    if kind == "energy_site":
        values["solar_power"] = "sensor.solar_power"
    return values


@pytest.mark.parametrize("kind", ["vehicle", "energy_site", "location"])
@pytest.mark.parametrize(
    ("name", "error"),
    [
        pytest.param("x" * 101, "name_too_long", id="101 characters"),
        pytest.param("Car\x00 2", "invalid_name", id="NUL"),
    ],
)
async def test_names_the_database_would_refuse(
    hass: HomeAssistant, embedded_ledger: Ledger, kind: str, name: str, error: str
) -> None:
    """A vehicle's or site's name with a NUL or over 100 characters was accepted;
    on PostgreSQL its record was then rejected on every write (quarantined: "text
    fields cannot contain NUL", "value too long for type character varying(100)").
    A location's name is the state of the vehicle's last-location sensor."""
    _car_states(hass)
    hass.states.async_set("sensor.solar_power", "1.5", {"unit_of_measurement": "kW"})
    await embedded_ledger.setup()
    entry = embedded_ledger.entry
    before = {k: dict(v.data) for k, v in entry.subentries.items()}
    result = await _name_form(hass, embedded_ledger, kind)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], _with_name(kind, result, name)
    )
    assert_translated(result, kind)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"name": error}
    assert {k: dict(v.data) for k, v in entry.subentries.items()} == before

    # Any script is a name, up to 100 characters.
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], _with_name(kind, result, FANCY_NAME)
    )
    if kind == "location":
        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"],
            {"price_per_kwh": 0.3, "currency": "EUR", "fees": {}, "solar": {}},
        )
    assert result["type"] in (FlowResultType.CREATE_ENTRY, FlowResultType.ABORT)
    assert FANCY_NAME in {s.title for s in entry.subentries.values()}
    await hass.async_block_till_done(wait_background_tasks=True)
    await embedded_ledger.unload()
    await _still_runs(hass, embedded_ledger)


# Registry ids ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("vehicle", "charger_power"),
        ("vehicle", "usual_zone"),
        ("energy_site", "zone"),
        ("location", "zone"),
    ],
)
async def test_registry_ids_instead_of_entity_ids(
    hass: HomeAssistant, embedded_ledger: Ledger, kind: str, field: str
) -> None:
    """The entity selector takes an entity's registry id (a UUID) too; one was
    stored as a role's entity or a zone, which the ledger then never saw a state
    of (the frontend sends entity ids; a websocket client need not)."""
    _car_states(hass)
    hass.states.async_set("sensor.solar_power", "1.5", {"unit_of_measurement": "kW"})
    registry = er.async_get(hass)
    domain = "sensor" if field == "charger_power" else "zone"
    target = registry.async_get_or_create(
        domain,
        "other",
        f"{kind}-{field}",
        unit_of_measurement="kW" if domain == "sensor" else None,
        original_device_class="power" if domain == "sensor" else None,
    )
    hass.states.async_set(target.entity_id, "3")
    await embedded_ledger.setup()
    entry = embedded_ledger.entry
    before = {k: dict(v.data) for k, v in entry.subentries.items()}
    result = await _name_form(hass, embedded_ledger, kind)
    values = _with_name(kind, result, "Somewhere") | {field: target.id}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], values
    )
    assert_translated(result, kind)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: "entity_not_found"}
    assert {k: dict(v.data) for k, v in entry.subentries.items()} == before
    await embedded_ledger.unload()


# Time-of-use bands ---------------------------------------------------------------------


async def _bands(hass: HomeAssistant, ledger: Ledger, bands: str) -> Any:
    result = await hass.config_entries.subentries.async_init(
        (ledger.entry.entry_id, "location"), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"kind": "time_of_use", "zone": "zone.work"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "price_per_kwh": 0.3,
            "bands": bands,
            "currency": "EUR",
            "fees": {},
            "solar": {},
        },
    )
    assert_translated(result, "location")
    return result


@pytest.mark.parametrize(
    ("bands", "error", "line"),
    [
        # Typed in cents, or nonsense: the price fields stop at 1000 per kWh.
        ("Mon-Fri 22:00-06:00 1500", "invalid_band", "1: Mon-Fri 22:00-06:00 1500"),
        ("1e400", "invalid_band", "1: 1e400"),
        ("0.20\n" + "1" * 5000, "invalid_band", f"2: {'1' * 5000}"),
        # The first line that covers a time prices it: the second never would.
        ("Mon-Fri 0.20\nMon 0.30", "band_never_applies", "2: Mon 0.30"),
        ("0.25\n22:00-06:00 0.18", "band_never_applies", "2: 22:00-06:00 0.18"),
        (
            "22:00-06:00 0.18 # night\n\n23:00-01:00 0.10",
            "band_never_applies",
            "3: 23:00-01:00 0.10",
        ),
        (
            "Jun-Sep 0.1\nJul 11:00-15:00 0.05",
            "band_never_applies",
            "2: Jul 11:00-15:00 0.05",
        ),
    ],
)
async def test_bands_that_would_never_price_or_absurdly(
    hass: HomeAssistant, embedded_ledger: Ledger, bands: str, error: str, line: str
) -> None:
    """A band price of 1e400 (or 1500, cents typed as euros) was accepted though
    the form's price fields stop at 1000 per kWh; a cost column holds 10 digits
    before the point. A band wholly covered by the lines above it was accepted and
    silently never priced anything."""
    await embedded_ledger.setup()
    result = await _bands(hass, embedded_ledger, bands)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"bands": error}
    assert result["description_placeholders"]["line"] == line
    await embedded_ledger.unload()


@pytest.mark.parametrize(
    "bands",
    [
        "00:00-24:00 0.2",  # the whole day, 24:00 as its end
        "10:00-10:00 0.2",  # start == end: the whole day, as TouBand documents
        "Mon-Fri 22:00-06:00 0.20\nMon-Fri 21:00-23:00 0.30",  # overlap, both apply
        "Mon 0.30\nMon-Fri 0.20\n0.18",  # specific first, then broader
        "Fri-Mon 07:00-09:00 0.3 Nov-Feb",  # wrapping weekdays and months
        "0 # free",
        "1000",
    ],
)
async def test_bands_that_are_fine(
    hass: HomeAssistant, embedded_ledger: Ledger, bands: str
) -> None:
    await embedded_ledger.setup()
    result = await _bands(hass, embedded_ledger, bands)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    await embedded_ledger.unload()
    await _still_runs(hass, embedded_ledger)


# Storage ------------------------------------------------------------------------------


async def _storage_step(hass: HomeAssistant, step: str) -> Any:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": step}
    )


def _no_secret(result: Any, caplog: pytest.LogCaptureFixture) -> None:
    assert SECRET not in repr(result)
    assert SECRET[3:] not in repr(result)
    assert SECRET not in caplog.text


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"host": "   "}, {"host": "value_required"}),
        ({"database": " "}, {"database": "value_required"}),
        ({"username": "\t"}, {"username": "value_required"}),
        ({"host": "127.0.0.1\x00"}, {"host": "invalid_character"}),
        ({"database": "d\x00b"}, {"database": "invalid_character"}),
        ({"username": "u\x00"}, {"username": "invalid_character"}),
        ({"password": f"{SECRET}\x00x"}, {"password": "invalid_character"}),
        ({"sslrootcert": "ca\x00.pem"}, {"sslrootcert": "invalid_character"}),
    ],
)
async def test_postgresql_fields_refuse_blank_and_nul(
    hass: HomeAssistant,
    caplog: pytest.LogCaptureFixture,
    change: dict[str, str],
    error: dict[str, str],
) -> None:
    """A blank host, database or user was PostgreSQL's default (a local socket,
    the OS user); a NUL ended the connection string there, so the test connected
    to the default port or database, not to the one typed."""
    result = await _storage_step(hass, "postgresql")
    data = {
        "host": "127.0.0.1",
        "port": 1,
        "database": "ledger",
        "username": "ev",
        "password": SECRET,
        "sslmode": "disable",
    }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], data | change
    )
    assert_translated(result)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == error
    _no_secret(result, caplog)
    assert not hass.config_entries.async_entries(DOMAIN)


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://ev:{SECRET}@127.0.0.1:99999/ledger",
        f"postgresql://ev:{SECRET}@127.0.0.1:-1/ledger",
        f"postgresql://ev:{SECRET}@127.0.0.1:1/led\x00ger",
        f"postgresql://ev:{SECRET[:3]}\x00{SECRET[3:]}@127.0.0.1:1/ledger",
        # An unescaped @ in the password: its tail became the host (and the title).
        f"postgresql://ev:{SECRET[:3]}@{SECRET[3:]}@127.0.0.1:1/ledger",
    ],
)
async def test_postgresql_url_refuses_what_libpq_would_misread(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture, url: str
) -> None:
    result = await _storage_step(hass, "postgresql_url")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"url": url}
    )
    assert_translated(result)
    assert result["errors"] == {"url": "invalid_url"}
    _no_secret(result, caplog)
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_reauth_refuses_a_password_with_nul(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    """The stored password would have been cut at the NUL by libpq."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="ev@127.0.0.1:1/ledger",
        unique_id="postgresql://ev@127.0.0.1:1/ledger",
        data=PG_DATA,
    )
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"password": f"{SECRET}\x00"}
    )
    assert_translated(result)
    assert result["errors"] == {"password": "invalid_character"}
    _no_secret(result, caplog)
    assert entry.data["password"] == "old"
