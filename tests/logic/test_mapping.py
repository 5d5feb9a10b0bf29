"""Role mapping proposals for real integrations' entity sets, decoys included."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.ev_ledger.logic.mapping import (
    VEHICLE_ROLES,
    DeviceKind,
    EntityInfo,
    MappingProposal,
    detect_kind,
    propose_mapping,
)
from custom_components.ev_ledger.logic.model import Role

FIXTURES = Path(__file__).parents[1] / "fixtures" / "vehicles"


def load(brand: str) -> list[dict[str, Any]]:
    data = json.loads((FIXTURES / f"{brand}.json").read_text())
    rows: list[dict[str, Any]] = data["entities"]
    return rows


def entities(brand: str) -> list[EntityInfo]:
    return [EntityInfo.from_dict(row) for row in load(brand)]


R = Role

EXPECTED: dict[str, dict[Role, str]] = {
    "tesla_teslemetry": {
        R.BATTERY_LEVEL: "sensor.roadrunner_battery_level",
        R.CHARGING_STATE: "sensor.roadrunner_charging",
        R.PLUGGED: "binary_sensor.roadrunner_charge_cable",
        R.CHARGER_POWER: "sensor.roadrunner_charger_power",
        R.CHARGER_VOLTAGE: "sensor.roadrunner_charger_voltage",
        R.CHARGER_CURRENT: "sensor.roadrunner_charger_current",
        R.SESSION_ENERGY: "sensor.roadrunner_charge_energy_added",
        R.ODOMETER: "sensor.roadrunner_odometer",
        R.SPEED: "sensor.roadrunner_speed",
        R.SHIFT_STATE: "sensor.roadrunner_shift_state",
        R.LOCATION: "device_tracker.roadrunner_location",
        R.RANGE: "sensor.roadrunner_battery_range",
        R.OUTSIDE_TEMP: "sensor.roadrunner_outside_temperature",
        R.CHARGER_TYPE: "sensor.roadrunner_fast_charger_type",
    },
    "kia_uvo": {
        R.BATTERY_LEVEL: "sensor.ev6_ev_battery_level",
        R.CHARGING_STATE: "binary_sensor.ev6_ev_battery_charge",
        R.PLUGGED: "binary_sensor.ev6_ev_battery_plug",
        R.CHARGER_POWER: "sensor.ev6_ev_charging_power",
        R.ODOMETER: "sensor.ev6_odometer",
        R.LOCATION: "device_tracker.ev6_location",
        R.RANGE: "sensor.ev6_ev_range",
    },
    "fordpass": {
        R.BATTERY_LEVEL: "sensor.fordpass_wf0tk3r7xpma01234_soc",
        R.CHARGING_STATE: "sensor.fordpass_wf0tk3r7xpma01234_elvehcharging",
        R.PLUGGED: "sensor.fordpass_wf0tk3r7xpma01234_elvehplug",
        R.ODOMETER: "sensor.fordpass_wf0tk3r7xpma01234_odometer",
        R.SPEED: "sensor.fordpass_wf0tk3r7xpma01234_speed",
        R.SHIFT_STATE: "sensor.fordpass_wf0tk3r7xpma01234_gearleverposition",
        R.LOCATION: "device_tracker.fordpass_wf0tk3r7xpma01234_tracker",
        R.RANGE: "sensor.fordpass_wf0tk3r7xpma01234_elveh",
        R.OUTSIDE_TEMP: "sensor.fordpass_wf0tk3r7xpma01234_outsidetemp",
    },
    "volkswagen_we_connect_id": {
        R.BATTERY_LEVEL: "sensor.volkswagen_id_komo_state_of_charge",
        R.CHARGING_STATE: "sensor.volkswagen_id_komo_charging_state",
        R.PLUGGED: "binary_sensor.volkswagen_id_komo_plug_connection_state",
        R.CHARGER_POWER: "sensor.volkswagen_id_komo_charge_power",
        R.ODOMETER: "sensor.volkswagen_id_komo_odometer",
        R.LOCATION: "device_tracker.volkswagen_id_komo_position",
        R.RANGE: "sensor.volkswagen_id_komo_range",
        R.CHARGER_TYPE: "sensor.volkswagen_id_komo_charge_type",
    },
    "bmw_connected_drive": {
        R.BATTERY_LEVEL: "sensor.i4_edrive40_remaining_battery_percent",
        R.CHARGING_STATE: "sensor.i4_edrive40_charging_status",
        R.PLUGGED: "binary_sensor.i4_edrive40_charging_connection_status",
        R.ODOMETER: "sensor.i4_edrive40_mileage",
        R.LOCATION: "device_tracker.i4_edrive40",
        R.RANGE: "sensor.i4_edrive40_remaining_range_electric",
    },
    "renault": {
        R.BATTERY_LEVEL: "sensor.reg_number_battery",
        R.CHARGING_STATE: "sensor.reg_number_charge_state",
        R.PLUGGED: "binary_sensor.reg_number_plug",
        R.CHARGER_POWER: "sensor.reg_number_charging_power",
        R.ODOMETER: "sensor.reg_number_mileage",
        R.LOCATION: "device_tracker.reg_number_location",
        R.RANGE: "sensor.reg_number_battery_autonomy",
        R.OUTSIDE_TEMP: "sensor.reg_number_outside_temperature",
    },
    "easee": {
        R.CHARGING_STATE: "sensor.eh123456_status",
        R.CHARGER_POWER: "sensor.eh123456_power",
        R.CHARGER_VOLTAGE: "sensor.eh123456_voltage",
        R.CHARGER_CURRENT: "sensor.eh123456_current",
        R.EVSE_ENERGY: "sensor.eh123456_lifetime_energy",
    },
}
BRANDS = sorted(EXPECTED)


def test_every_fixture_has_an_expectation() -> None:
    assert sorted(p.stem for p in FIXTURES.glob("*.json")) == BRANDS


@pytest.mark.parametrize("brand", BRANDS)
def test_fixture_mapping_is_exactly_as_expected(brand: str) -> None:
    assert propose_mapping(entities(brand)).mapping == EXPECTED[brand]


@pytest.mark.parametrize("brand", BRANDS)
def test_decoys_are_never_chosen(brand: str) -> None:
    decoys = {row["entity_id"]: row["decoy"] for row in load(brand) if "decoy" in row}
    assert decoys, f"{brand} fixture lists no decoys"
    chosen = propose_mapping(entities(brand)).mapping
    assert not {role: e for role, e in chosen.items() if e in decoys}


@pytest.mark.parametrize(
    ("brand", "kind"),
    [
        (brand, DeviceKind.WALLBOX if brand == "easee" else DeviceKind.VEHICLE)
        for brand in BRANDS
    ],
)
def test_kind_is_detected(brand: str, kind: DeviceKind) -> None:
    assert detect_kind(entities(brand)) is kind
    assert propose_mapping(entities(brand)).kind is kind


@pytest.mark.parametrize("brand", BRANDS)
def test_proposal_lists_every_vehicle_role_in_model_order(brand: str) -> None:
    proposal = propose_mapping(entities(brand))
    assert tuple(p.role for p in proposal.roles) == VEHICLE_ROLES


def _assert_well_formed(proposal: MappingProposal) -> None:
    chosen = [p.chosen.entity_id for p in proposal.roles if p.chosen]
    assert len(chosen) == len(set(chosen)), "an entity feeds two roles"
    for role_proposal in proposal.roles:
        scores = [c.score for c in role_proposal.alternatives]
        assert scores == sorted(scores, reverse=True)
        ids = [c.entity_id for c in role_proposal.alternatives]
        assert len(ids) == len(set(ids))
        if role_proposal.chosen:
            assert role_proposal.chosen.entity_id not in ids
            assert role_proposal.chosen.reasons


@pytest.mark.parametrize("brand", BRANDS)
def test_proposals_are_well_formed(brand: str) -> None:
    _assert_well_formed(propose_mapping(entities(brand)))


@pytest.mark.parametrize("brand", BRANDS)
@settings(max_examples=25)
@given(data=st.data())
def test_entity_order_does_not_matter(brand: str, data: st.DataObject) -> None:
    original = entities(brand)
    shuffled = data.draw(st.permutations(original))
    assert propose_mapping(shuffled) == propose_mapping(original)


# Targeted behaviour ----------------------------------------------------------------


def test_admissible_charging_power_is_not_charger_power() -> None:
    # Renault cars that do not report watts expose only the maximum the car would
    # accept; integrating it as if it flowed would invent energy.
    rows = [
        {**row, "translation_key": "admissible_charging_power"}
        | {"original_name": "Admissible charging power"}
        if row["entity_id"] == "sensor.reg_number_charging_power"
        else row
        for row in load("renault")
    ]
    proposal = propose_mapping([EntityInfo.from_dict(r) for r in rows])
    power = proposal.get(Role.CHARGER_POWER)
    assert power.chosen is None
    assert [c.entity_id for c in power.alternatives] == [
        "sensor.reg_number_charging_power"
    ]
    assert any("admissible" in reason for reason in power.alternatives[0].reasons)


def test_12v_and_state_of_health_are_no_fallback_for_battery_level() -> None:
    kia = [
        e for e in entities("kia_uvo") if e.entity_id != "sensor.ev6_ev_battery_level"
    ]
    assert propose_mapping(kia).get(Role.BATTERY_LEVEL).chosen is None


def test_charge_rate_is_not_speed() -> None:
    # VW has no speed sensor at all, only the km/h "charge rate".
    speed = propose_mapping(entities("volkswagen_we_connect_id")).get(Role.SPEED)
    assert speed.chosen is None
    assert speed.alternatives == ()


def test_route_origin_and_destination_trackers_lose_to_the_car() -> None:
    trackers = [
        EntityInfo(
            entity_id=f"device_tracker.model_3_{key}",
            domain="device_tracker",
            original_name=key.title(),
            translation_key=key,
        )
        for key in ("route", "origin", "destination", "location")
    ]
    proposal = propose_mapping(trackers, kind=DeviceKind.VEHICLE)
    assert proposal.mapping == {Role.LOCATION: "device_tracker.model_3_location"}


def test_device_name_words_are_not_read_as_entity_words() -> None:
    # Old-style names repeat the device name: a car called "Long Range" must score
    # exactly like one called "Blue", not make every entity look like a range sensor.
    def car(device: str) -> list[EntityInfo]:
        slug = device.lower().replace(" ", "_")

        def sensor(key: str, **kwargs: Any) -> EntityInfo:
            return EntityInfo(
                entity_id=f"sensor.{slug}_{key}",
                domain="sensor",
                original_name=f"{device} {key.replace('_', ' ').title()}",
                **kwargs,
            )

        return [
            sensor(
                "odometer",
                device_class="distance",
                unit="km",
                state_class="total_increasing",
            ),
            sensor(
                "trip_a",
                device_class="distance",
                unit="km",
                state_class="total_increasing",
            ),
            sensor("charge_level", device_class="battery", unit="%"),
            sensor("charger_power", device_class="power", unit="kW"),
        ]

    def scores(proposal: MappingProposal) -> list[tuple[Role, int | None, list[int]]]:
        return [
            (
                p.role,
                p.chosen.score if p.chosen else None,
                [c.score for c in p.alternatives],
            )
            for p in proposal.roles
        ]

    long_range = propose_mapping(car("Long Range"))
    assert scores(long_range) == scores(propose_mapping(car("Blue")))
    assert long_range.mapping[Role.ODOMETER] == "sensor.long_range_odometer"
    assert Role.RANGE not in long_range.mapping


def test_disabled_twin_ranks_lower() -> None:
    twins = [
        EntityInfo(
            entity_id=f"sensor.car_{n}_battery_level",
            domain="sensor",
            device_class="battery",
            unit="%",
            state_class="measurement",
            translation_key="battery_level",
            disabled=n == "a",
        )
        for n in ("a", "b")
    ]
    role = propose_mapping(twins, kind=DeviceKind.VEHICLE).get(Role.BATTERY_LEVEL)
    assert role.chosen is not None
    assert role.chosen.entity_id == "sensor.car_b_battery_level"
    assert [c.entity_id for c in role.alternatives] == ["sensor.car_a_battery_level"]


def test_explicit_kind_overrides_detection() -> None:
    # The same wallbox meters, declared as a car's: the session counter becomes the
    # vehicle session energy and the lifetime meter is no longer wanted.
    proposal = propose_mapping(entities("easee"), kind=DeviceKind.VEHICLE)
    assert proposal.kind is DeviceKind.VEHICLE
    assert proposal.mapping[Role.SESSION_ENERGY] == "sensor.eh123456_session_energy"
    assert Role.EVSE_ENERGY not in proposal.mapping


def test_empty_input() -> None:
    proposal = propose_mapping([])
    assert proposal.kind is DeviceKind.WALLBOX
    assert proposal.mapping == {}
    assert all(p.alternatives == () for p in proposal.roles)


def test_get_for_a_role_outside_the_proposal_is_empty() -> None:
    proposal = propose_mapping(entities("renault"))
    assert proposal.get(Role.PRICE).chosen is None
    assert proposal.get(Role.PRICE).alternatives == ()


def test_duplicate_entity_ids_count_once() -> None:
    battery = EntityInfo(
        entity_id="sensor.car_battery_level",
        domain="sensor",
        device_class="battery",
        unit="%",
    )
    proposal = propose_mapping([battery, battery], kind=DeviceKind.VEHICLE)
    assert proposal.mapping == {Role.BATTERY_LEVEL: "sensor.car_battery_level"}
    assert proposal.get(Role.BATTERY_LEVEL).alternatives == ()


def test_entity_info_from_dict() -> None:
    info = EntityInfo.from_dict(
        {
            "entity_id": "sensor.car_charging",
            "unit_of_measurement": None,
            "options": ["charging", "stopped"],
            "disabled": 1,
            "ignored": "extra keys are fine",
        }
    )
    assert info.domain == "sensor"
    assert info.options == ("charging", "stopped")
    assert info.disabled is True
    assert info.unit is None
    assert dataclasses.replace(info, unit="kW").unit == "kW"


# Robustness ------------------------------------------------------------------------

_words = st.sampled_from(
    [
        "battery",
        "level",
        "charging",
        "state",
        "plug",
        "range",
        "odometer",
        "power",
        "12v",
        "target",
        "speed",
        "outside",
        "temperature",
        "energy",
        "added",
        "location",
        "route",
        "gear",
        "type",
        "ÄÖ",
        "",
        "_",
        "car",
    ]
)
_text = st.one_of(
    st.none(), st.text(max_size=30), st.lists(_words, max_size=4).map("_".join)
)
_entity = st.builds(
    EntityInfo,
    entity_id=st.one_of(
        st.text(max_size=40),
        st.tuples(
            st.sampled_from(["sensor", "binary_sensor", "device_tracker", "switch"]),
            st.lists(_words, min_size=1, max_size=4).map("_".join),
        ).map(".".join),
    ),
    domain=st.sampled_from(
        ["sensor", "binary_sensor", "device_tracker", "switch", "select", "number", ""]
    ),
    device_class=st.one_of(
        st.none(),
        st.sampled_from(
            [
                "battery",
                "power",
                "energy",
                "distance",
                "speed",
                "temperature",
                "enum",
                "plug",
                "connectivity",
                "battery_charging",
                "current",
                "voltage",
            ]
        ),
    ),
    unit=st.one_of(
        st.none(),
        st.sampled_from(
            ["%", "kW", "W", "kWh", "km", "mi", "km/h", "°C", "A", "V", "mW", "min"]
        ),
    ),
    state_class=st.one_of(
        st.none(), st.sampled_from(["measurement", "total", "total_increasing"])
    ),
    name=_text,
    original_name=_text,
    translation_key=_text,
    options=st.one_of(st.none(), st.lists(st.text(max_size=12), max_size=6).map(tuple)),
    disabled=st.booleans(),
    entity_category=st.one_of(st.none(), st.sampled_from(["diagnostic", "config"])),
)


@given(st.lists(_entity, max_size=12), st.sampled_from([None, *DeviceKind]))
def test_any_input_gives_a_well_formed_proposal(
    infos: list[EntityInfo], kind: DeviceKind | None
) -> None:
    proposal = propose_mapping(infos, kind=kind)
    _assert_well_formed(proposal)
    assert set(proposal.mapping.values()) <= {i.entity_id for i in infos}


@given(st.lists(_entity, max_size=8), st.randoms(use_true_random=False))
def test_random_sets_do_not_depend_on_order(infos: list[EntityInfo], rnd: Any) -> None:
    shuffled = list(infos)
    rnd.shuffle(shuffled)
    assert propose_mapping(shuffled).mapping == propose_mapping(infos).mapping
