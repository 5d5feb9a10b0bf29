"""The live path's cost does not grow with the session (issue 14).

A plugged-in car that stopped charging keeps its session open for hours: every minute
the runtime previews it, and re-pricing it (spread over every minute of its windows,
then priced minute by minute) would cost more the longer it stays. Nothing that prices
it changes then, so its figures stand and it is not settled again. While it charges,
its in-progress row is rewritten at most every `UPSERT_INTERVAL_S`, not every minute.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING
from unittest.mock import patch

from custom_components.ev_ledger import vehicle_runtime
from custom_components.ev_ledger.builders import ZoneSettlement
from custom_components.ev_ledger.db import Writer
from custom_components.ev_ledger.logic.model import ChargeState, Reading, Role
from tests.logic.trace import at, hours, minutes

from .conftest import VEHICLE_ID, get_state

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .conftest import Ledger

T = at("2026-03-02 18:00")


def _session_cost(hass: HomeAssistant) -> str:
    [entity_id] = [
        s.entity_id
        for s in hass.states.async_all("sensor")
        if s.entity_id.endswith("_session_cost") and "last" not in s.entity_id
    ]
    return get_state(hass, entity_id).state


async def test_an_idle_session_is_not_priced_again_and_rows_are_bounded(
    hass: HomeAssistant, ledger: Ledger
) -> None:
    await ledger.setup()
    settled = 0
    upserts = 0
    settle = ZoneSettlement.__call__
    enqueue = Writer.enqueue_session

    def counted_settle(self: ZoneSettlement, session: object) -> None:
        nonlocal settled
        settled += 1
        settle(self, session)  # type: ignore[arg-type]

    def counted_enqueue(self: Writer, session: object, **kwargs: object) -> None:
        nonlocal upserts
        upserts += 1
        enqueue(self, session, **kwargs)  # type: ignore[arg-type]

    with (
        patch.object(ZoneSettlement, "__call__", counted_settle),
        patch.object(Writer, "enqueue_session", counted_enqueue),
    ):
        await ledger.replay(
            [
                Reading(T, Role.PLUGGED, True),
                Reading(T, Role.CHARGING_STATE, ChargeState.CHARGING),
            ]
        )
        # An hour at a power that changes every minute: the row follows every 5 min.
        for minute in range(60):
            await ledger.reading(
                Reading(T + minutes(minute), Role.CHARGER_POWER, 7.0 + minute % 2)
            )
        charging_upserts = upserts
        assert charging_upserts <= 60 / 5 + 2
        await ledger.replay(
            [
                Reading(T + hours(1), Role.CHARGER_POWER, 0.0),
                Reading(T + hours(1), Role.CHARGING_STATE, ChargeState.COMPLETE),
            ]
        )
        await ledger.at(T + hours(1) + minutes(2))
        cost = _session_cost(hass)
        assert Decimal(cost) > 0
        before = settled
        # Ten hours plugged in, not charging: ticks every minute, no re-pricing.
        for minute in range(3, 600):
            await ledger.at(T + hours(1) + minutes(minute))
        assert settled - before <= 2
        assert _session_cost(hass) == cost
        assert upserts - charging_upserts <= 2
        await ledger.reading(Reading(T + hours(11), Role.PLUGGED, False))
        await ledger.at(T + hours(11) + minutes(10))
    await ledger.synced()
    page = await ledger.query("list_sessions", vehicle=VEHICLE_ID, limit=10)
    [session] = page.items
    assert session["status"] == "completed"
    # 7 and 8 kW alternating, a minute each, for an hour: 7.5 kWh.
    assert session["energy_kwh"] == Decimal("7.500")
    assert Decimal(str(session["cost"])) == Decimal(cost)
    assert vehicle_runtime.UPSERT_INTERVAL_S == 300.0
