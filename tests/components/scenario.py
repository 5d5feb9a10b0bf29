"""The end-to-end scenario: the engine's taper trace at home, then a trip to work.

Built with the engine tests' trace DSL so that the same readings drive the engine alone
(`expected`) and Home Assistant (`Ledger.replay`).
"""

from __future__ import annotations

from decimal import Decimal

from custom_components.ev_ledger.logic.config import VehicleConfig
from custom_components.ev_ledger.logic.model import ChargeState, Place, Reading, Role
from tests.logic.test_scenarios import T, taper_trace
from tests.logic.trace import Outcome, Trace, hours, minutes, run

from .conftest import VEHICLE_ID

HOME = Place("home", 52.52, 13.40)
AWAY = Place(None, 52.50, 13.30)
WORK = Place("work", 52.48, 13.20)

# Worked out by hand: 11 kW for an hour, then a 10-minute poll of a taper from 11 to
# 5 kW held at each poll's value: (11 + 10 + 9 + 8 + 7 + 6) kW x 1/6 h = 8.5 kWh.
SESSION_KWH = Decimal("19.500")
SESSION_COST = Decimal("5.85")  # 19.5 kWh at home, 0.30 EUR/kWh
TRIP_KM = Decimal("30.0")
TRIP_KWH = Decimal("3.750")  # 80 % -> 75 % of 75 kWh
END = T + hours(5)


def before() -> list[Reading]:
    """The states an hour before: parked at home, unplugged."""
    t = T - hours(1)
    return [
        Reading(t, Role.PLUGGED, False),
        Reading(t, Role.CHARGING_STATE, ChargeState.DISCONNECTED),
        Reading(t, Role.CHARGER_POWER, 0.0),
        Reading(t, Role.BATTERY_LEVEL, 40.0),
        Reading(t, Role.ODOMETER, 1000.0),
        Reading(t, Role.SHIFT_STATE, "P"),
        Reading(t, Role.LOCATION, HOME),
    ]


def charge() -> list[Reading]:
    """Plug in at 18:00, charge (tapering) until 20:00, unplug at 21:00."""
    trace = taper_trace(600.0)
    trace.add(T + hours(2), Role.BATTERY_LEVEL, 80.0)
    return trace.sorted()


def trip() -> list[Reading]:
    """22:00-22:30: 30 km to work, 5 % of the battery."""
    start = T + hours(4)
    trace = Trace()
    trace.add(start, Role.SHIFT_STATE, "D")
    trace.add(start + minutes(1), Role.LOCATION, AWAY)
    for i in range(1, 4):
        trace.add(start + minutes(10 * i), Role.ODOMETER, 1000.0 + 10 * i)
    trace.add(start + minutes(29), Role.BATTERY_LEVEL, 75.0)
    trace.add(start + minutes(30), Role.LOCATION, WORK)
    trace.add(start + minutes(30), Role.SHIFT_STATE, "P")
    return trace.sorted()


def expected() -> Outcome:
    """What the engine alone derives from the same readings."""
    readings = [*before(), *charge(), *trip()]
    return run(
        readings,
        VehicleConfig(vehicle_id=VEHICLE_ID, usable_capacity_kwh=75.0),
        until=END,
    )
