"""Where a session happened without a tracker, and what "offline" means for a polled car.

Issue 12: a car with no location entity (and a wallbox-only setup) never got a place,
so the home tariff and the solar split never applied; a polled car parked all day had
its evening commute split into an inferred "gap" trip and a separate trip. Expected
numbers are worked out here from first principles.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from custom_components.ev_ledger.logic.config import VehicleConfig
from custom_components.ev_ledger.logic.model import (
    ChargeState,
    Flag,
    Place,
    PlaceSource,
    PriceGap,
    Role,
    SessionStatus,
)
from custom_components.ev_ledger.logic.settle import Settlement
from custom_components.ev_ledger.logic.tariff import Tariff, TariffBook
from custom_components.ev_ledger.logic.vehicle import VehicleLedger

from .trace import Trace, at, hours, minutes, run

T = at("2026-03-02 19:00")  # a Monday evening in Berlin (no solar)
HOME = Tariff.from_dict({"kind": "fixed", "currency": "EUR", "price_per_kwh": "0.30"})
WORK = Tariff.from_dict({"kind": "fixed", "currency": "EUR", "price_per_kwh": "0.45"})
ANYWHERE = Tariff.from_dict(
    {"kind": "fixed", "currency": "EUR", "price_per_kwh": "0.60"}
)


def cfg(**kwargs: Any) -> VehicleConfig:
    return VehicleConfig(vehicle_id="car", usable_capacity_kwh=60.0, **kwargs)


def settlement(*, default: Tariff | None = None) -> Settlement:
    return Settlement(
        tariffs=TariffBook(
            rules={"zone.home": HOME, "zone.work": WORK}, default=default
        ),
        tz=ZoneInfo("Europe/Berlin"),
    )


def kia_charge() -> Trace:
    """A Kia/Hyundai-style car: binary charging, plug, battery level every 30 min.

    No power, no location. 40 % → 70 % of 60 kWh over 3 hours: 18 kWh.
    """
    trace = Trace().add(T - hours(1), Role.BATTERY_LEVEL, 40.0)
    trace.add(T - hours(1), Role.PLUGGED, False)
    trace.add(T, Role.PLUGGED, True)
    trace.add(T, Role.CHARGING_STATE, ChargeState.CHARGING)
    for step in range(1, 7):
        trace.add(T + minutes(30 * step), Role.BATTERY_LEVEL, 40.0 + 5.0 * step)
    trace.add(T + hours(3), Role.CHARGING_STATE, ChargeState.NOT_CHARGING)
    trace.add(T + hours(4), Role.PLUGGED, False)
    return trace


def wallbox_charge(*, delivered: bool) -> Trace:
    """A wallbox-only mapping: the wallbox's power (kW) and lifetime meter (kWh).

    11 kW for 2 hours: 22 kWh by the power, and the meter counts the same.
    """
    trace = Trace().add(T - minutes(5), Role.EVSE_ENERGY, 1000.0)
    power = 11.0 if delivered else 0.0
    trace.add(T, Role.PLUGGED, True)
    trace.add(T, Role.CHARGER_POWER, power)
    trace.add(T + hours(1), Role.EVSE_ENERGY, 1000.0 + (11.0 if delivered else 0.0))
    trace.add(T + hours(2), Role.EVSE_ENERGY, 1000.0 + (22.0 if delivered else 0.0))
    trace.add(T + hours(2), Role.CHARGER_POWER, 0.0)
    trace.add(T + hours(3), Role.PLUGGED, False)
    return trace


# Where: tracker, charger, assumed ----------------------------------------------------


def test_a_car_without_a_tracker_charges_at_its_usual_place() -> None:
    outcome = run(
        kia_charge().sorted(),
        cfg(usual_zone="zone.home"),
        until=T + hours(5),
        settle=settlement(default=ANYWHERE),
    )
    (session,) = outcome.sessions
    assert session.energy_kwh == Decimal("18.000")  # 30 % of 60 kWh
    assert session.place == Place("zone.home")
    assert session.place_source is PlaceSource.ASSUMED
    assert session.cost is not None
    assert session.cost.total == Decimal("5.40")  # 18 kWh x 0.30 EUR (home)
    assert Flag.PRICE_GAP not in session.flags


def test_a_tracker_wins_over_the_usual_place() -> None:
    trace = kia_charge().add(T, Role.LOCATION, Place("Work"))
    outcome = run(
        trace.sorted(),
        cfg(usual_zone="zone.home"),
        until=T + hours(5),
        settle=settlement(),
    )
    (session,) = outcome.sessions
    assert session.place == Place("Work")
    assert session.place_source is PlaceSource.TRACKER
    assert session.cost is not None
    assert session.cost.total == Decimal("8.10")  # 18 kWh x 0.45 EUR (work)


def test_a_location_heard_only_during_the_session_places_it() -> None:
    trace = kia_charge().add(T + minutes(20), Role.LOCATION, Place("Work"))
    outcome = run(trace.sorted(), cfg(), until=T + hours(5), settle=settlement())
    (session,) = outcome.sessions
    assert session.place == Place("Work")
    assert session.place_source is PlaceSource.TRACKER


def test_the_wallbox_that_delivered_places_the_session() -> None:
    config = cfg(
        charger_zone="zone.home",
        charger_roles=(Role.CHARGER_POWER.value, Role.EVSE_ENERGY.value),
    )
    outcome = run(
        wallbox_charge(delivered=True).sorted(),
        config,
        until=T + hours(4),
        settle=settlement(default=ANYWHERE),
    )
    (session,) = outcome.sessions
    assert session.energy_kwh == Decimal("22.000")  # 11 kW x 2 h
    assert session.place == Place("zone.home")
    assert session.place_source is PlaceSource.CHARGER
    assert session.cost is not None
    assert session.cost.total == Decimal("6.60")  # 22 kWh x 0.30 EUR


def test_a_charge_the_home_wallbox_did_not_deliver_is_not_assumed_at_home() -> None:
    """The car charged (its level rose) while the home wallbox stayed at 0 kW: away."""
    config = cfg(
        charger_zone="zone.home",
        charger_roles=(Role.CHARGER_POWER.value,),
        usual_zone="zone.home",
    )
    trace = wallbox_charge(delivered=False)
    trace.add(T, Role.CHARGING_STATE, ChargeState.CHARGING)
    trace.add(T - minutes(5), Role.BATTERY_LEVEL, 20.0)
    trace.add(T + hours(2), Role.BATTERY_LEVEL, 50.0)
    trace.add(T + hours(2), Role.CHARGING_STATE, ChargeState.NOT_CHARGING)
    outcome = run(
        trace.sorted(), config, until=T + hours(4), settle=settlement(default=ANYWHERE)
    )
    (session,) = outcome.sessions
    assert session.place is None
    assert session.place_source is None
    assert session.cost is not None
    # 30 % of 60 kWh = 18 kWh at the default 0.60 EUR.
    assert session.cost.total == Decimal("10.80")


# Price gaps ----------------------------------------------------------------------------


def test_a_place_without_a_tariff_is_a_price_gap() -> None:
    trace = kia_charge().add(T, Role.LOCATION, Place("Grandma's"))
    outcome = run(trace.sorted(), cfg(), until=T + hours(5), settle=settlement())
    (session,) = outcome.sessions
    assert session.cost is None
    assert Flag.PRICE_GAP in session.flags
    assert session.price_gap is PriceGap.NO_TARIFF


def test_an_unknown_place_without_a_default_is_a_price_gap() -> None:
    outcome = run(kia_charge().sorted(), cfg(), until=T + hours(5), settle=settlement())
    (session,) = outcome.sessions
    assert session.place is None
    assert session.cost is None
    assert session.price_gap is PriceGap.NO_PLACE


def test_no_tariffs_at_all_is_no_price_gap() -> None:
    """A user who prices nothing does not track cost: nothing to flag."""
    empty = Settlement(tariffs=TariffBook(), tz=ZoneInfo("Europe/Berlin"))
    outcome = run(kia_charge().sorted(), cfg(), until=T + hours(5), settle=empty)
    (session,) = outcome.sessions
    assert Flag.PRICE_GAP not in session.flags
    assert session.price_gap is None


# Offline means no news at all ------------------------------------------------------


def _commute_after_parking(parked_hours: float, *, reports: bool) -> Trace:
    """A polled car (10 min): parked at work, then a 24 km drive home.

    The odometer only changes when the car moves. While parked, the car keeps
    reporting its plug state every 10 minutes (`reports`), or it says nothing.
    """
    park = at("2026-03-02 08:00")
    leave = park + hours(parked_hours)
    trace = Trace().add(park, Role.ODOMETER, 10_000.0)
    trace.add(park, Role.BATTERY_LEVEL, 70.0)
    trace.add(park, Role.PLUGGED, False)
    if reports:
        t = park + minutes(10)
        while t < leave:
            trace.add(t, Role.PLUGGED, False)
            t += minutes(10)
    # The first poll after leaving: 8 km done, then 8 km a poll, battery falling.
    for step, odometer in enumerate((10_008.0, 10_016.0, 10_024.0), start=1):
        trace.add(leave + minutes(10 * step), Role.ODOMETER, odometer)
        trace.add(leave + minutes(10 * step), Role.BATTERY_LEVEL, 70.0 - 2.0 * step)
    return trace


@pytest.mark.parametrize("parked_hours", [8.0, 14.0])
def test_a_parked_polled_car_drives_one_trip(parked_hours: float) -> None:
    trace = _commute_after_parking(parked_hours, reports=True)
    end = at("2026-03-02 08:00") + hours(parked_hours) + hours(2)
    outcome = run(trace.sorted(), cfg(), until=end)
    (trip,) = outcome.trips
    assert trip.distance_km == Decimal("24.000")
    assert Flag.INFERRED not in trip.flags
    # The battery drop of the whole drive: 70 % → 64 %.
    assert trip.start_level == 70.0
    assert trip.end_level == 64.0


def test_a_car_that_said_nothing_for_hours_was_offline() -> None:
    """No news at all for 8 hours: the first 8 km are an inferred (gap) trip."""
    trace = _commute_after_parking(8.0, reports=False)
    end = at("2026-03-02 18:00")
    outcome = run(trace.sorted(), cfg(), until=end)
    first, *rest = outcome.trips
    assert {Flag.INFERRED, Flag.GAP} <= first.flags
    assert first.distance_km == Decimal("8.000")
    assert sum((t.distance_km for t in rest), Decimal(0)) == Decimal("16.000")


def test_news_survives_a_restart() -> None:
    trace = _commute_after_parking(8.0, reports=True).sorted()
    leave = at("2026-03-02 16:00")
    before = [r for r in trace if r.ts < leave]
    after = [r for r in trace if r.ts >= leave]
    ledger = VehicleLedger(cfg())
    ledger.replay(before)
    restored = VehicleLedger.from_dict(cfg(), ledger.to_dict())
    events = [*restored.replay(after), *restored.advance(leave + hours(2))]
    trips = [e.trip for e in events if hasattr(e, "trip")]
    assert len(trips) == 1
    assert Flag.INFERRED not in trips[0].flags


def test_inferred_status_is_kept_for_offline_charging() -> None:
    """Unchanged: a level rise across hours of silence is an inferred session."""
    trace = Trace().add(T, Role.BATTERY_LEVEL, 40.0)
    trace.add(T + hours(8), Role.BATTERY_LEVEL, 70.0)
    outcome = run(trace.sorted(), cfg(usual_zone="zone.home"), settle=settlement())
    (session,) = outcome.sessions
    assert session.status is SessionStatus.INFERRED
    assert session.place_source is PlaceSource.ASSUMED
