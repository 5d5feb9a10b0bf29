"""Replay: a history fed through fresh ledgers, as live recording would have seen it.

The replay has no Home Assistant of its own: it is built from a config entry's
subentries and fed recorder states (backfill) or stored samples (recompute). What it
derives must be what the engine derives from the same readings, plus what the live
runtime adds on top: a minute tick that re-reports a held charger power while a
session is open, site days, prices.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from homeassistant.core import State
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from sqlalchemy import update

from custom_components.ev_ledger import builders
from custom_components.ev_ledger.adapter import to_sample
from custom_components.ev_ledger.const import (
    CONF_GRID_SIGN,
    CONF_POLICY,
    CONF_ROLES,
    CONF_ZONE,
    DOMAIN,
    GRID_EXPORT_POSITIVE,
    LOCATION_DEFAULT,
    SUBENTRY_ENERGY_SITE,
    SUBENTRY_LOCATION,
    SUBENTRY_VEHICLE,
)
from custom_components.ev_ledger.db import Reader
from custom_components.ev_ledger.db.models import Trip as TripRow
from custom_components.ev_ledger.db.rows import Sample, entity_uuid
from custom_components.ev_ledger.logic.config import VehicleConfig
from custom_components.ev_ledger.logic.ids import record_id
from custom_components.ev_ledger.logic.model import (
    ChargeState,
    ChargeType,
    ChargingSession,
    CostSource,
    DistanceMethod,
    Flag,
    Place,
    Reading,
    Reject,
    Role,
    Trip,
    Value,
)
from custom_components.ev_ledger.logic.tariff import PriceBook
from custom_components.ev_ledger.replay import Replay, sample_reading
from tests.logic.test_scenarios import T
from tests.logic.trace import BERLIN, DAY, Outcome, hours, run

from . import scenario
from .conftest import (
    DEFAULT_ID,
    ENTITIES,
    HOME_ID,
    VEHICLE_ID,
    Ledger,
    default_subentries,
    location_subentry,
    priced_location_subentry,
    state_of,
    vehicle_subentry,
)
from .test_backfill import apart, drive
from .test_recompute import _stray, run_recompute, sessions_of

if TYPE_CHECKING:
    from collections.abc import Iterable

    from homeassistant.core import HomeAssistant

SITE_ID = "01JSITE0000000000000000001"
CABIN_ID = "01JSITE0000000000000000002"
PRICE = "sensor.home_price"
CONFIG = VehicleConfig(vehicle_id=VEHICLE_ID, usable_capacity_kwh=75.0)
PLUG = ENTITIES[Role.PLUGGED]
POWER = ENTITIES[Role.CHARGER_POWER]
CHARGING = ENTITIES[Role.CHARGING_STATE]
LEVEL = ENTITIES[Role.BATTERY_LEVEL]

type StateRow = tuple[float, str, State]


# Building blocks -------------------------------------------------------------------


def _site(site_id: str, zone: str, prefix: str) -> dict[str, Any]:
    """An energy site with solar and a grid meter (export positive), EV first."""
    return {
        "data": {
            CONF_ROLES: {
                Role.SOLAR_POWER.value: f"sensor.{prefix}_solar",
                Role.GRID_POWER.value: f"sensor.{prefix}_grid",
            },
            CONF_ZONE: zone,
            CONF_GRID_SIGN: GRID_EXPORT_POSITIVE,
            CONF_POLICY: "ev_first",
        },
        "subentry_id": site_id,
        "subentry_type": SUBENTRY_ENERGY_SITE,
        "title": prefix,
        "unique_id": site_id,
    }


def _priced_home() -> dict[str, Any]:
    """Home, priced by a dynamic-price entity."""
    return priced_location_subentry(
        "zone.home", PRICE, subentry_id=HOME_ID, title="Home"
    )


def _entry(subentries: list[dict[str, Any]] | None = None) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        data={},
        subentries_data=default_subentries() if subentries is None else subentries,
    )


def _state(ts: float, entity_id: str, text: str, **attributes: Any) -> StateRow:
    when = datetime.fromtimestamp(ts, UTC)
    return ts, entity_id, State(entity_id, text, attributes, last_updated=when)


def _states(readings: Iterable[Reading]) -> list[StateRow]:
    """The states a vehicle integration would have set for `readings`."""
    out: list[StateRow] = []
    for reading in readings:
        text, attributes = state_of(reading)
        out.append(_state(reading.ts, ENTITIES[reading.role], text, **attributes))
    return out


def _settle(entry: MockConfigEntry) -> builders.ZoneSettlement:
    """The settlement the replay builds, for the engine alone (no sites)."""
    locations = [
        s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_LOCATION
    ]
    return builders.ZoneSettlement(
        tariffs=builders.tariff_book(locations), tz=BERLIN, prices=PriceBook()
    )


def _engine(entry: MockConfigEntry, readings: list[Reading], until: float) -> Outcome:
    # The vehicle's configuration as live builds it (its usual place included).
    vehicle = next(
        s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_VEHICLE
    )
    config = builders.vehicle_config(vehicle)
    return run(readings, config, until=until, settle=_settle(entry))


def _without_float_noise(session: ChargingSession) -> ChargingSession:
    """The session without its per-minute floats (re-reports split them differently)."""
    return replace(session, energy_by_minute={}, avg_power_kw=None)


def _assert_same_sessions(
    got: list[ChargingSession], expected: list[ChargingSession]
) -> None:
    assert [_without_float_noise(s) for s in got] == [
        _without_float_noise(s) for s in expected
    ]
    for a, b in zip(got, expected, strict=True):
        assert a.avg_power_kw == pytest.approx(b.avg_power_kw)
        assert a.energy_by_minute == pytest.approx(b.energy_by_minute)


def _no_coordinates(reading: Reading) -> Reading:
    """What a sample without coordinates keeps of a reading: a location's zone."""
    if isinstance(reading.value, Place):
        return reading._replace(value=Place(reading.value.zone))
    return reading


def _round_trip(sample: Sample) -> Reading | Reject:
    return sample_reading(
        sample.role,
        sample.ts,
        sample.value,
        sample.text,
        sample.latitude,
        sample.longitude,
    )


# Stored samples back to readings ---------------------------------------------------

_NUMBERS = st.floats(allow_nan=False, allow_infinity=False)
# Zones as the adapter hands them over: no NUL (a database text cannot hold one).
_ZONES = st.sampled_from(["home", "work", "Grandma's", "zone.cabin"]) | st.text(
    min_size=1, max_size=40
).map(lambda text: text.replace("\x00", "")).filter(
    lambda text: text not in ("", "not_home", "unavailable")
)
_COORDINATES = st.none() | st.floats(min_value=-90, max_value=90)
_VALUES: dict[Role, st.SearchStrategy[Value]] = {
    Role.PLUGGED: st.booleans(),
    Role.CHARGING_STATE: st.sampled_from(ChargeState),
    Role.CHARGER_TYPE: st.sampled_from(ChargeType),
    Role.SHIFT_STATE: st.sampled_from(["P", "D", "R", "N"]),
    Role.LOCATION: st.builds(Place, st.none() | _ZONES, _COORDINATES, _COORDINATES),
}


@st.composite
def _readings(draw: st.DrawFn) -> Reading:
    role = draw(st.sampled_from(Role))
    value = draw(st.none() | _VALUES.get(role, _NUMBERS))
    ts = draw(st.floats(min_value=1e9, max_value=3e9))
    return Reading(ts, role, value)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_readings())
def test_sample_reading_inverts_to_sample(reading: Reading) -> None:
    """Every accepted reading comes back from its stored sample, coordinates too."""
    sample = to_sample(VEHICLE_ID, reading)
    assert _round_trip(sample) == reading
    # A sample written without coordinates (before migration 0004) gives the zone.
    bare = sample._replace(latitude=None, longitude=None)
    assert _round_trip(bare) == _no_coordinates(reading)


@pytest.mark.parametrize(
    ("role", "value", "text", "expected"),
    [
        ("battery_level", 55.5, None, Reading(T, Role.BATTERY_LEVEL, 55.5)),
        ("battery_level", None, "unavailable", Reading(T, Role.BATTERY_LEVEL, None)),
        ("battery_level", None, None, Reading(T, Role.BATTERY_LEVEL, None)),
        ("grid_power", -3.2, None, Reading(T, Role.GRID_POWER, -3.2)),
        ("plugged", 1.0, None, Reading(T, Role.PLUGGED, True)),
        ("plugged", 0.0, None, Reading(T, Role.PLUGGED, False)),
        ("plugged", None, "unavailable", Reading(T, Role.PLUGGED, None)),
        (
            "charging_state",
            None,
            "charging",
            Reading(T, Role.CHARGING_STATE, ChargeState.CHARGING),
        ),
        ("charger_type", None, "dc", Reading(T, Role.CHARGER_TYPE, ChargeType.DC)),
        ("shift_state", None, "D", Reading(T, Role.SHIFT_STATE, "D")),
        ("location", None, "home", Reading(T, Role.LOCATION, Place("home"))),
        ("location", None, "not_home", Reading(T, Role.LOCATION, Place(None))),
        ("location", None, "unavailable", Reading(T, Role.LOCATION, None)),
        ("warp_drive", 1.0, None, Reject.UNKNOWN_ROLE),
        ("", None, "home", Reject.UNKNOWN_ROLE),
        ("charging_state", None, "banana", Reject.BAD_VALUE),
        ("charger_type", None, "level 2", Reject.BAD_VALUE),
    ],
)
def test_sample_reading(
    role: str, value: float | None, text: str | None, expected: Reading | Reject
) -> None:
    """Stored samples back to readings; an unknown role or bad text is refused."""
    assert sample_reading(role, T, value, text) == expected


# The same records as the engine ----------------------------------------------------


def _scenario() -> list[Reading]:
    return apart([*scenario.before(), *scenario.charge(), *scenario.trip()])


def test_states_give_what_the_engine_gives() -> None:
    """Recorder states of the scenario: the engine's session and trip, priced."""
    entry = _entry()
    readings = _scenario()
    replay = Replay(entry, BERLIN, vehicle_ids=[VEHICLE_ID])
    replay.feed_states(_states(readings))
    replay.finish(scenario.END)
    out = replay.take()

    engine = _engine(entry, readings, scenario.END)
    _assert_same_sessions(out.sessions, engine.sessions)
    assert out.trips == engine.trips
    [session] = out.sessions
    assert session.energy_kwh == scenario.SESSION_KWH
    assert session.cost is not None
    assert session.cost.total == scenario.SESSION_COST
    [trip] = out.trips
    assert trip.end_place == scenario.WORK  # states carry coordinates
    assert replay.accepted == len(readings)
    assert not replay.rejected
    # Every accepted state is kept as a sample; taking empties the output.
    # Coordinates included (a recompute measures a path along them).
    assert out.samples == [to_sample(VEHICLE_ID, r) for r in readings]
    assert any(s.latitude is not None for s in out.samples)
    assert replay.take().sessions == []


@pytest.mark.parametrize("coordinates", [True, False])
def test_samples_give_what_the_engine_gives(coordinates: bool) -> None:
    """Stored samples (with or without coordinates) give the engine's records."""
    entry = _entry()
    readings = _scenario() if coordinates else [_no_coordinates(r) for r in _scenario()]
    replay = Replay(entry, BERLIN, vehicle_ids=[VEHICLE_ID], keep_samples=False)
    # Samples of a vehicle not replayed, and of nothing known, are ignored.
    other = [Sample("01JVEHICLE0000000000000009", "plugged", T, 1.0, None)]
    replay.feed_samples(
        [*other, *(to_sample(VEHICLE_ID, r) for r in readings)],
    )
    replay.finish(scenario.END)
    out = replay.take()

    engine = _engine(entry, readings, scenario.END)
    _assert_same_sessions(out.sessions, engine.sessions)
    assert out.trips == engine.trips
    [trip] = out.trips
    assert trip.end_place == (scenario.WORK if coordinates else Place("work"))
    assert out.samples == []
    assert replay.accepted == len(readings)


def test_samples_of_an_instant_are_numbered_in_order() -> None:
    """Samples kept by a backfill carry their order within an instant, as live's."""
    replay = Replay(_entry(), BERLIN, vehicle_ids=[VEHICLE_ID])
    replay.feed_states(
        [
            _state(T, ENTITIES[Role.SHIFT_STATE], "D"),
            _state(T, ENTITIES[Role.ODOMETER], "1000.7", unit_of_measurement="km"),
            _state(
                T, ENTITIES[Role.LOCATION], "not_home", latitude=52.5, longitude=13.4
            ),
            _state(T + 60, ENTITIES[Role.ODOMETER], "1001.5", unit_of_measurement="km"),
        ]
    )
    samples = replay.take().samples
    assert [(s.role, s.seq) for s in samples] == [
        ("shift_state", 0),
        ("odometer", 1),
        ("location", 2),
        ("odometer", 0),
    ]
    assert (samples[2].latitude, samples[2].longitude) == (52.5, 13.4)


def test_only_the_chosen_vehicles_are_replayed() -> None:
    """A vehicle left out is not read: its states are neither needed nor counted."""
    replay = Replay(_entry(), BERLIN, vehicle_ids=[])
    assert replay.entity_ids == []
    replay.feed_states(_states(_scenario()))
    replay.finish(scenario.END)
    assert replay.accepted == 0
    out = replay.take()
    assert (out.sessions, out.trips, out.samples) == ([], [], [])


# States as the recorder returns them -----------------------------------------------


@pytest.mark.parametrize("keep_samples", [True, False])
def test_duplicates_skipped_and_rejections_counted(keep_samples: bool) -> None:
    """A state read twice (chunks overlap) counts once; bad states are counted."""
    replay = Replay(
        _entry(), BERLIN, vehicle_ids=[VEHICLE_ID], keep_samples=keep_samples
    )
    replay.feed_states(
        [
            _state(T, LEVEL, "50", unit_of_measurement="%"),
            _state(T + 60, LEVEL, "abc", unit_of_measurement="%"),
            _state(T + 60, CHARGING, "banana"),
            _state(T + 60, "sensor.not_mapped", "1"),
        ]
    )
    replay.feed_states(
        [
            _state(T + 60, LEVEL, "51", unit_of_measurement="%"),  # the same again
            _state(T + 30, LEVEL, "52", unit_of_measurement="%"),  # older
            _state(T + 120, LEVEL, "53", unit_of_measurement="%"),
        ]
    )
    assert replay.accepted == 2
    assert replay.rejected == {"not_numeric": 1, "bad_value": 1}
    expected = [
        Sample(VEHICLE_ID, "battery_level", T, 50.0, None),
        Sample(VEHICLE_ID, "battery_level", T + 120, 53.0, None),
    ]
    assert replay.take().samples == (expected if keep_samples else [])


# Prices ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("later", "total", "unpriced"),
    [
        # 19.5 kWh at 0.25 EUR/kWh (250 EUR/MWh); a price that cannot be read is
        # ignored, the last one holds.
        pytest.param(("abc", "EUR/MWh"), "4.875", "0", id="unreadable price"),
        # From the first hour on (8.5 kWh) the price is unknown.
        pytest.param(("unavailable", None), "2.75", "8.5", id="price unknown"),
        # 11 kWh at 0.25 and 8.5 kWh at 0.30.
        pytest.param(("30", "ct/kWh"), "5.30", "0", id="price change"),
    ],
)
def test_price_entity_states_price_sessions(
    later: tuple[str, str | None], total: str, unpriced: str
) -> None:
    """A price entity's history prices a session minute by minute, as live."""
    entry = _entry([vehicle_subentry(), _priced_home()])
    replay = Replay(entry, BERLIN, vehicle_ids=[VEHICLE_ID])
    assert PRICE in replay.entity_ids
    text, unit = later
    states = [
        _state(T - hours(2), PRICE, "250", unit_of_measurement="EUR/MWh"),
        _state(
            T + hours(1), PRICE, text, **({"unit_of_measurement": unit} if unit else {})
        ),
        *_states(_scenario()),
    ]
    replay.feed_states(sorted(states, key=lambda row: row[0]))
    replay.finish(scenario.END)
    [session] = replay.take().sessions
    assert session.cost is not None
    assert session.cost.source is CostSource.PRICE_ENTITY
    assert session.cost.total == Decimal(total)
    assert session.cost.unpriced_kwh == Decimal(unpriced)
    assert (Flag.PRICE_GAP in session.flags) is (unpriced != "0")
    # A price is not a vehicle reading: neither accepted nor rejected.
    assert replay.accepted == len(_scenario())
    assert not replay.rejected


def test_prices_are_pruned_daily() -> None:
    """Prices older than a week are forgotten, but the one valid then is kept."""
    replay = Replay(
        _entry([vehicle_subentry(), _priced_home()]), BERLIN, vehicle_ids=[]
    )
    replay.feed_states([_state(T + i * DAY, PRICE, f"0.{i + 1}") for i in range(3)])
    series = replay.prices.get(PRICE)
    assert series is not None
    assert len(series) == 3
    replay.finish(T + 10 * DAY)
    # The last prune (on the tenth day) forgot what was a week old by then; the
    # third price was still valid at its cutoff.
    assert series.points() == [(T + 2 * DAY, Decimal("0.3"))]


# Energy sites ----------------------------------------------------------------------


def _site_states() -> list[StateRow]:
    """4 kW of solar at home, 1 kW at the cabin, all evening; no grid flow at home."""
    t = T - hours(1)
    return [
        _state(t, "sensor.home_solar", "4000", unit_of_measurement="W"),
        _state(t, "sensor.home_grid", "0", unit_of_measurement="kW"),
        _state(t, "sensor.cabin_solar", "1", unit_of_measurement="kW"),
        _state(t, "sensor.cabin_grid", "1", unit_of_measurement="kW"),
        _state(t + 1, "sensor.cabin_grid", "oops", unit_of_measurement="kW"),
    ]


@pytest.mark.parametrize(
    "site_ids", [pytest.param([SITE_ID], id="home kept"), pytest.param([], id="none")]
)
def test_sites_settle_sessions_and_keep_their_days(site_ids: list[str]) -> None:
    """Every site settles sessions; only the chosen ones keep days and samples."""
    entry = _entry(
        [
            *default_subentries(),
            _site(SITE_ID, "zone.home", "home"),
            _site(CABIN_ID, "zone.cabin", "cabin"),
        ]
    )
    replay = Replay(entry, BERLIN, vehicle_ids=[VEHICLE_ID], site_ids=site_ids)
    vehicle = _states(apart([*scenario.before(), *scenario.charge()]))
    states = sorted([*_site_states(), *vehicle], key=lambda row: row[0])
    replay.feed_states(states)
    # Past the local midnight: the day of the charge is summarised.
    replay.finish(T + hours(8))
    out = replay.take()

    [session] = out.sessions
    # 4 kW for the two hours of charging, all to the car; the rest at 0.30 EUR/kWh.
    assert session.solar is not None
    assert session.solar.solar_kwh == Decimal(8)
    assert session.cost is not None
    assert session.cost.total == Decimal("3.45")
    assert replay.rejected == {"not_numeric": 1}
    site_samples = {s.source_id for s in out.samples} - {VEHICLE_ID}
    if site_ids:
        [day] = out.site_days
        assert (day.site_id, day.day) == (SITE_ID, date(2026, 3, 2))
        # 4 kW from 17:00 (local) until midnight.
        assert day.produced_kwh == Decimal(28)
        assert site_samples == {SITE_ID}
    else:
        assert out.site_days == []
        assert site_samples == set()


def test_site_samples_replayed() -> None:
    """Stored site samples feed the site: its day is summarised again."""
    entry = _entry([_site(SITE_ID, "zone.home", "home")])
    replay = Replay(entry, BERLIN, vehicle_ids=[], site_ids=[SITE_ID])
    replay.feed_samples(
        [
            Sample(SITE_ID, "solar_power", T - hours(1), 4.0, None),
            Sample(SITE_ID, "grid_power", T - hours(1), 0.0, None),
            Sample(SITE_ID, "grid_power", T, None, "warp"),  # not a value: ignored
            Sample(SITE_ID, "warp_drive", T, 1.0, None),
        ]
    )
    replay.finish(T + hours(8))
    [day] = replay.take().site_days
    assert day.produced_kwh == Decimal(28)
    assert replay.rejected == {"unknown_role": 1}


# The minute tick ---------------------------------------------------------------------


def test_held_power_is_re_reported_while_charging() -> None:
    """A steady charge reported once (on-change sensor) counts whole, as live.

    The engine alone holds one power reading for at most 12 hours: a 13-hour charge
    at 2.3 kW reported once would be lost. Live (and so the replay) re-reports the
    held power every minute while the session is open.
    """
    entry = _entry()
    end = T + hours(13)
    states = [
        _state(T, PLUG, "on"),
        _state(T, CHARGING, "charging"),
        _state(T, POWER, "2.3", unit_of_measurement="kW"),
        _state(end, CHARGING, "complete"),
        _state(end + 1, POWER, "0", unit_of_measurement="kW"),
        _state(end + hours(1), PLUG, "off"),
    ]
    replay = Replay(entry, BERLIN, vehicle_ids=[VEHICLE_ID])
    replay.feed_states(states)
    replay.finish(end + hours(3))
    [session] = replay.take().sessions
    assert session.energy_kwh == Decimal("29.900")

    readings = [
        Reading(T, Role.PLUGGED, True),
        Reading(T, Role.CHARGING_STATE, ChargeState.CHARGING),
        Reading(T, Role.CHARGER_POWER, 2.3),
        Reading(end, Role.CHARGING_STATE, ChargeState.COMPLETE),
        Reading(end + 1, Role.CHARGER_POWER, 0.0),
        Reading(end + hours(1), Role.PLUGGED, False),
    ]
    assert _engine(entry, readings, end + hours(3)).sessions == []


def _power_only(power_off_lag: float) -> tuple[MockConfigEntry, list[Reading]]:
    """A car with a plug sensor and a wallbox power sensor only (no charging state).

    Two charges on one evening; the wallbox reports 0 kW `power_off_lag` seconds
    after each unplug.
    """
    entry = _entry(
        [
            vehicle_subentry({Role.PLUGGED: PLUG, Role.CHARGER_POWER: POWER}),
            location_subentry("zone.home", "0.30", subentry_id=HOME_ID, title="Home"),
            location_subentry(
                LOCATION_DEFAULT, "0.60", subentry_id=DEFAULT_ID, title="Elsewhere"
            ),
        ]
    )
    readings: list[Reading] = [
        Reading(T - hours(1), Role.PLUGGED, False),
        Reading(T - hours(1), Role.CHARGER_POWER, 0.0),
    ]
    for start, end in ((T, T + hours(2)), (T + hours(6), T + hours(7))):
        readings += [
            Reading(start, Role.PLUGGED, True),
            Reading(start + 1, Role.CHARGER_POWER, 7.0),
            Reading(end, Role.PLUGGED, False),
            Reading(end + power_off_lag + 0.5, Role.CHARGER_POWER, 0.0),
        ]
    return entry, readings


def _replay_power_only(power_off_lag: float) -> tuple[Outcome, list[ChargingSession]]:
    entry, readings = _power_only(power_off_lag)
    replay = Replay(entry, BERLIN, vehicle_ids=[VEHICLE_ID])
    replay.feed_states(_states(sorted(readings, key=lambda r: r.ts)))
    replay.finish(T + hours(9))
    return _engine(entry, readings, T + hours(9)), replay.take().sessions


@pytest.mark.parametrize("lag", [0.0, 30.0])
def test_no_re_report_once_the_session_is_over(lag: float) -> None:
    """A power left at 7 kW after the unplug is not re-reported once it has ended.

    Without a charging-state entity a re-reported power would open a new session.
    """
    engine, sessions = _replay_power_only(lag)
    assert len(sessions) == 2
    _assert_same_sessions(sessions, engine.sessions)


@pytest.mark.parametrize("lag", [90.0, 300.0])
def test_power_lagging_the_unplug_does_not_merge_sessions(lag: float) -> None:
    """A wallbox that reports 0 kW a minute or more after the unplug: two sessions.

    The minute tick must not re-report the held power while the unplug waits out its
    grace (it would count as proof the cable is still in); live does the same.
    """
    engine, sessions = _replay_power_only(lag)
    assert len(engine.sessions) == 2
    assert [s.started_at for s in sessions] == [s.started_at for s in engine.sessions]
    _assert_same_sessions(sessions, engine.sessions)


# Recompute: the ledger's own samples replayed ----------------------------------------


def _stray_trip(start: float, km: str = "12") -> Trip:
    """A trip the samples cannot give (as if derived with other thresholds)."""
    return Trip(
        id=record_id(VEHICLE_ID, "trip", start),
        vehicle_id=VEHICLE_ID,
        started_at=start,
        ended_at=start + 1200,
        distance_km=Decimal(km),
        distance_method=DistanceMethod.ODOMETER,
    )


async def _trips(ledger: Ledger) -> dict[str, dict[str, Any]]:
    page = await ledger.query("list_trips", vehicle=VEHICLE_ID, limit=50)
    return {str(t["id"]): t for t in page.items}


async def _set_trip_notes(hass: HomeAssistant, ledger: Ledger, trip_id: str) -> None:
    """Notes on a trip, as a user's correction (there is no action for it)."""
    await ledger.synced()
    reader = Reader(ledger.runtime.db_config)

    def write() -> None:
        with reader.engine.begin() as conn:
            conn.execute(
                update(TripRow)
                .where(TripRow.id == entity_uuid(trip_id))
                .values(notes="the long way round")
            )

    try:
        await hass.async_add_executor_job(write)
    finally:
        await hass.async_add_executor_job(reader.close)


async def test_recompute_trips(hass: HomeAssistant, ledger: Ledger) -> None:
    """Trips: other figures rewritten, strays removed unless noted, deleted left."""
    await ledger.setup()
    await drive(ledger, scenario.END)
    [derived] = scenario.expected().trips
    writer = ledger.runtime.writer
    # The live trip, stored with another distance than its samples give.
    writer.enqueue_trip(replace(derived, distance_km=Decimal(99)))
    stray, noted, deleted = (_stray_trip(T - hours(h)) for h in (8, 7, 6))
    for trip in (stray, noted, deleted):
        writer.enqueue_trip(trip, source="backfill")
    writer.delete_trip(deleted.id)
    await _set_trip_notes(hass, ledger, noted.id)

    result = await run_recompute(hass, ledger)
    trips = result["trips"]
    assert trips == {
        "added": 0,
        "changed": 1,
        "removed": 1,
        "unchanged": 0,
        "kept_corrected": 1,
        "ids": {"added": [], "changed": [derived.id], "removed": [stray.id]},
    }
    assert result["sessions"]["unchanged"] == 1
    stored = await _trips(ledger)
    assert set(stored) == {derived.id, noted.id}
    assert stored[derived.id]["distance_km"] == scenario.TRIP_KM
    assert stored[derived.id]["source"] == "live"  # rewritten, its source kept
    assert stored[noted.id]["notes"] == "the long way round"

    again = (await run_recompute(hass, ledger))["trips"]
    assert (again["unchanged"], again["changed"], again["removed"]) == (1, 0, 0)
    assert again["kept_corrected"] == 1


async def test_recompute_leaves_deleted_records_deleted(
    hass: HomeAssistant, ledger: Ledger
) -> None:
    """Records the user deleted are derived again but stay deleted, uncounted."""
    await ledger.setup()
    await drive(ledger, scenario.END)
    [session] = await sessions_of(ledger)
    [trip_id] = await _trips(ledger)
    await hass.services.async_call(
        DOMAIN,
        "delete_session",
        {"config_entry_id": ledger.entry.entry_id, "session_id": session["id"]},
        blocking=True,
    )
    writer = ledger.runtime.writer
    writer.delete_trip(trip_id)
    # Strays without a cost, and in another currency: removed, no cost moved.
    free = replace(_stray(T - hours(8), "3"), cost=None)
    dollars = _stray(T - hours(7), "4")
    assert dollars.cost is not None
    dollars.cost.currency = "USD"
    writer.enqueue_session(free)
    writer.enqueue_session(dollars)

    result = await run_recompute(hass, ledger)
    sessions = result["sessions"]
    assert (sessions["added"], sessions["changed"], sessions["unchanged"]) == (0, 0, 0)
    assert sorted(sessions["ids"]["removed"]) == sorted([free.id, dollars.id])
    assert sessions["kept_corrected"] == 0
    assert result["cost_delta"] == "0.0000"
    trips = result["trips"]
    assert (trips["added"], trips["changed"], trips["unchanged"]) == (0, 0, 0)
    assert trips["removed"] == 0
    assert await sessions_of(ledger) == []
    assert await _trips(ledger) == {}
