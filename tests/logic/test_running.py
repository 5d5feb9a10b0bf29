"""A running session is settled minute by minute, each minute once (issue 14).

`RunningSettlement` keeps running sums of the minutes that are final and adds the open
ones at each refresh, so a refresh costs the same in the 48th hour as in the first.
Its figures must be the ones `Settlement` gives the same minutes all at once: the
property below drives a charge and an energy site reading by reading, with
time-of-use prices, fees and solar valued at a feed-in price, and compares the two at
every refresh.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, strategies as st

from custom_components.ev_ledger.logic.config import VehicleConfig
from custom_components.ev_ledger.logic.counters import CounterTracker
from custom_components.ev_ledger.logic.integrate import MinuteEnergy, PowerIntegrator
from custom_components.ev_ledger.logic.model import (
    ChargeState,
    ChargingSession,
    Place,
    Reading,
    Role,
)
from custom_components.ev_ledger.logic.settle import RunningSettlement, Settlement
from custom_components.ev_ledger.logic.site import SiteConfig, SiteLedger
from custom_components.ev_ledger.logic.solar import AttributionPolicy
from custom_components.ev_ledger.logic.tariff import (
    SolarValuation,
    Tariff,
    TariffBook,
    TariffKind,
    TouBand,
)
from custom_components.ev_ledger.logic.vehicle import VehicleLedger

from .trace import BERLIN, at, minutes

HOME = Place("home", 52.52, 13.40)
START = at("2026-06-15 21:40")
TOU = Tariff(
    kind=TariffKind.TIME_OF_USE,
    currency="EUR",
    price_per_kwh=Decimal("0.40"),
    bands=(TouBand(price=Decimal("0.20"), start=22 * 60, end=6 * 60),),
    per_minute=Decimal("0.01"),
    session_fee=Decimal("0.50"),
    solar_valuation=SolarValuation.FEED_IN,
    feed_in_price=Decimal("0.08"),
)


def _charging_at_home() -> VehicleLedger:
    """A car plugged in and charging at home since START."""
    ledger = VehicleLedger(VehicleConfig(vehicle_id="car"))
    for role, value in (
        (Role.LOCATION, HOME),
        (Role.PLUGGED, True),
        (Role.CHARGING_STATE, ChargeState.CHARGING),
    ):
        ledger.step(Reading(START, role, value))
    return ledger


def _figures(session: ChargingSession) -> tuple[object, ...]:
    solar = session.solar
    return (
        None if session.cost is None else session.cost.total,
        None if session.cost is None else session.cost.unpriced_kwh,
        None
        if solar is None
        else (
            solar.solar_kwh,
            solar.battery_kwh,
            solar.grid_kwh,
            solar.unattributed_kwh,
        ),
        sorted(session.flags),
        session.price_gap,
    )


@given(
    steps=st.lists(
        st.tuples(
            st.floats(min_value=1.0, max_value=400.0),  # seconds to the next reading
            st.floats(min_value=0.0, max_value=22.0),  # charger power, kW
            st.floats(min_value=0.0, max_value=9.0),  # solar power, kW
            st.booleans(),  # the site reports at this step
        ),
        min_size=1,
        max_size=60,
    ),
    policy=st.sampled_from(AttributionPolicy),
    with_site=st.booleans(),
    counter=st.booleans(),
)
def test_running_figures_equal_settling_all_minutes(
    steps: list[tuple[float, float, float, bool]],
    policy: AttributionPolicy,
    with_site: bool,
    counter: bool,
) -> None:
    """Measured by the charger's power, or by the car's session energy counter."""
    site = SiteLedger(SiteConfig(site_id="home", tz=BERLIN)) if with_site else None
    settlement = Settlement(
        tariffs=TariffBook(rules={"home": TOU}), tz=BERLIN, site=site, policy=policy
    )
    ledger = _charging_at_home()
    running = RunningSettlement(settlement, "home")
    ts = START
    charged = 0.0
    for seconds, kw, solar, site_reports in steps:
        ts += seconds
        if counter:
            charged += kw * seconds / 3600
            ledger.step(Reading(ts, Role.SESSION_ENERGY, charged))
        else:
            ledger.step(Reading(ts, Role.CHARGER_POWER, kw))
        if site is not None and site_reports:
            for site_role, power in (
                (Role.SOLAR_POWER, solar),
                (Role.HOME_LOAD, 0.5 + kw),
                (Role.GRID_POWER, 0.5 + kw - solar),
            ):
                site.step(Reading(ts, site_role, power))
        measured = ledger.measured()
        live = ledger.preview(ts)
        assert live is not None
        if measured is None:
            continue
        assert isinstance(measured, CounterTracker if counter else PowerIntegrator)
        running(live, measured, ts)
        whole = ledger.preview(ts)
        assert whole is not None
        whole.energy_by_minute = dict(sorted(measured.buckets.items()))
        settlement(whole)
        assert _figures(live) == _figures(whole)


def test_a_refresh_takes_only_the_new_minutes() -> None:
    """Two days of 10 s readings: each refresh reads a handful of minutes."""
    settlement = Settlement(tariffs=TariffBook(rules={"home": TOU}), tz=BERLIN)
    ledger = _charging_at_home()
    running = RunningSettlement(settlement, "home")
    read: list[int] = []
    live: ChargingSession | None = None
    for step in range(1, 2 * 24 * 360):
        ts = START + step * 10.0
        ledger.step(Reading(ts, Role.CHARGER_POWER, 7.0 + step % 3))
        measured = ledger.measured()
        if measured is None:  # the first reading: no energy yet
            continue
        counted = _Counting(measured)
        live = ledger.preview(ts)
        assert live is not None
        running(live, counted, ts)  # type: ignore[arg-type]
        read.append(counted.reads)
    assert max(read[360:]) <= 3
    assert live is not None
    assert live.cost is not None
    assert live.cost.total > 0
    assert ts - START > minutes(60 * 47)


class _Counting:
    """A measurement that counts the minutes read from it."""

    def __init__(self, inner: MinuteEnergy) -> None:
        self.inner = inner
        self.reads = 0

    def minute_kwh(self, minute: int) -> float:
        self.reads += 1
        return self.inner.minute_kwh(minute)

    def first_minute(self) -> int | None:
        return self.inner.first_minute()

    def final_before(self, now: float) -> int:
        return self.inner.final_before(now)
