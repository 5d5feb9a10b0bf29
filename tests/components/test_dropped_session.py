"""Issue 15, B3: a session the engine drops leaves no row behind.

While a session is open its in-progress row is written (SQL users see it happen).
When it ends too small to keep, that row must disappear from every read: the list,
the exports and the report views.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from custom_components.ev_ledger.db import make_engine
from custom_components.ev_ledger.logic.model import ChargeState, Reading, Role
from tests.logic.trace import at, minutes

from .conftest import VEHICLE_ID

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .conftest import Ledger

T = at("2026-03-02 18:00")


def _rows(ledger: Ledger) -> dict[str, Any]:
    engine = make_engine(ledger.runtime.db_config, pooled=False)
    try:
        with engine.connect() as connection:
            prefix = (
                f"{ledger.runtime.db_config.schema}."
                if ledger.runtime.db_config.is_postgresql
                else ""
            )
            return {
                "all": connection.execute(
                    text(f"SELECT status, deleted_at FROM {prefix}charging_sessions")  # noqa: S608
                ).all(),
                "per_month": connection.execute(
                    text(f"SELECT * FROM {prefix}v_sessions_per_month")  # noqa: S608
                ).all(),
            }
    finally:
        engine.dispose()


async def test_a_dropped_session_leaves_no_row(
    hass: HomeAssistant, ledger: Ledger
) -> None:
    await ledger.setup()
    # Plugged in, 7 kW for 20 seconds: 0.04 kWh, under the 0.05 kWh minimum.
    await ledger.replay(
        [
            Reading(T, Role.PLUGGED, True),
            Reading(T, Role.CHARGING_STATE, ChargeState.CHARGING),
            Reading(T, Role.CHARGER_POWER, 7.0),
        ]
    )
    await ledger.at(T + 20)
    await ledger.synced()
    during = await hass.async_add_executor_job(_rows, ledger)
    assert [row.status for row in during["all"]] == ["in_progress"]
    await ledger.replay(
        [
            Reading(T + 20, Role.CHARGER_POWER, 0.0),
            Reading(T + 20, Role.CHARGING_STATE, ChargeState.NOT_CHARGING),
            Reading(T + minutes(1), Role.PLUGGED, False),
        ]
    )
    await ledger.at(T + minutes(10))
    page = await ledger.query("list_sessions", vehicle=VEHICLE_ID, limit=10)
    assert page.items == []
    after = await hass.async_add_executor_job(_rows, ledger)
    assert after["per_month"] == []
    assert all(row.deleted_at is not None for row in after["all"])
