"""Actions: export sessions and trips as CSV, and the home charging report."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
import os
from pathlib import Path
import re
import stat
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from homeassistant.config_entries import ConfigEntryState
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from sqlalchemy.exc import OperationalError
import voluptuous as vol

from custom_components.ev_ledger import services
from custom_components.ev_ledger.const import DOMAIN
from custom_components.ev_ledger.db import Report, parse_csv
from custom_components.ev_ledger.logic.model import Role
from tests.logic.test_scenarios import T
from tests.logic.trace import hours

from . import scenario
from .conftest import (
    START,
    VEHICLE_ID,
    Ledger,
    default_subentries,
    device_of,
    make_entry,
    vehicle_subentry,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

ZOE_ID = "01JVEHICLE0000000000000002"
BERLIN = ZoneInfo("Europe/Berlin")
NAME = re.compile(r"(?P<kind>[a-z_]+)_\d{8}T\d{6}(_\d+)?\.csv")


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def _utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.fixture
async def fleet(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry_data: dict[str, Any]
) -> AsyncIterator[Ledger]:
    """The default ledger plus a second car, Zoe, on each backend; not set up."""
    freezer.move_to(datetime.fromtimestamp(START, UTC))
    zoe = vehicle_subentry(
        {Role.BATTERY_LEVEL: "sensor.zoe_battery_level"},
        subentry_id=ZOE_ID,
        title="Zoe",
        capacity=52.0,
    )
    ledger = Ledger(hass, freezer, make_entry(entry_data, [*default_subentries(), zoe]))
    yield ledger
    if ledger.entry.state is ConfigEntryState.LOADED:
        await ledger.unload()


async def _call(hass: HomeAssistant, service: str, data: dict[str, Any]) -> Any:
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )


async def _add(
    hass: HomeAssistant,
    ledger: Ledger,
    start: float,
    *,
    vehicle: str = VEHICLE_ID,
    energy: int = 20,
    **extra: Any,
) -> str:
    result = await _call(
        hass,
        "add_session",
        {
            "config_entry_id": ledger.entry.entry_id,
            "vehicle": vehicle,
            "start": _iso(start),
            "end": _iso(start + hours(1)),
            "energy": energy,
            **extra,
        },
    )
    session_id: str = result["session_id"]
    return session_id


def _device_id(hass: HomeAssistant, subentry_id: str) -> str:
    device = device_of(hass, subentry_id)
    assert device is not None
    return device.id


def _exports(hass: HomeAssistant) -> Path:
    return Path(hass.config.path("ev_ledger", "exports"))


def _file(hass: HomeAssistant, part: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The rows of an export's file; it is where promised and holds the response."""
    path = Path(part["path"])
    assert path.parent == _exports(hass)
    match = NAME.fullmatch(path.name)
    assert match is not None, path.name
    assert match["kind"] == kind
    rows = parse_csv(path)
    assert part["count"] == len(rows)
    assert part["rows"] == Report(path, rows).json_rows()[: services.MAX_RESPONSE_ROWS]
    assert part["truncated"] is (len(rows) > services.MAX_RESPONSE_ROWS)
    return rows


async def _scenario(ledger: Ledger) -> None:
    """Model Y charges at home and drives to work, as in the end-to-end test."""
    await ledger.at(T - hours(1))
    for reading in scenario.before():
        await ledger.reading(reading)
    await ledger.setup()
    await ledger.replay([*scenario.charge(), *scenario.trip()])
    await ledger.at(scenario.END)


async def test_export_matches_the_lists(hass: HomeAssistant, fleet: Ledger) -> None:
    """Both files hold what the list actions return, oldest first."""
    await _scenario(fleet)
    entry_id = fleet.entry.entry_id
    away = await _add(hass, fleet, T + hours(24), location="zone.fastned")
    zoe = await _add(
        hass, fleet, T + hours(48), vehicle=ZOE_ID, location="home", cost=4.2
    )

    result = await _call(hass, "export", {"config_entry_id": entry_id})

    assert set(result) == {"sessions", "trips"}
    sessions = _file(hass, result["sessions"], "sessions")
    listed = await _call(
        hass, "list_sessions", {"config_entry_id": entry_id, "limit": 500}
    )
    assert [
        (row["id"], row["energy_kwh"], row["cost"], row["effective_location"])
        for row in sessions
    ] == [
        (s["id"], Decimal(s["energy_kwh"]), Decimal(s["cost"]), s["effective_location"])
        for s in reversed(listed["sessions"])
    ]
    assert [row["id"] for row in sessions][1:] == [away, zoe]
    assert sessions[0]["energy_kwh"] == scenario.SESSION_KWH
    assert sessions[0]["cost"] == scenario.SESSION_COST
    assert [row["vehicle_name"] for row in sessions] == ["Model Y", "Model Y", "Zoe"]
    assert result["sessions"]["rows"][2]["cost"] == "4.2000"

    trips = _file(hass, result["trips"], "trips")
    listed_trips = await _call(hass, "list_trips", {"config_entry_id": entry_id})
    assert [(t["id"], t["distance_km"], t["energy_kwh"]) for t in trips] == [
        (t["id"], Decimal(t["distance_km"]), Decimal(t["energy_kwh"]))
        for t in listed_trips["trips"]
    ]
    assert trips[0]["distance_km"] == scenario.TRIP_KM
    assert (trips[0]["start_zone"], trips[0]["end_zone"]) == ("home", "work")


async def test_exported_files_are_private(hass: HomeAssistant, fleet: Ledger) -> None:
    """Exports hold places and costs: files 0600, the folders EV Ledger makes 0700."""
    previous = os.umask(0o022)  # a usual install: 0644 files unless asked
    try:
        await _scenario(fleet)
        entry_id = fleet.entry.entry_id
        result = await _call(hass, "export", {"config_entry_id": entry_id})
        report = await _call(
            hass, "home_charging_report", {"config_entry_id": entry_id}
        )
    finally:
        os.umask(previous)
    files = [Path(result[kind]["path"]) for kind in ("sessions", "trips")]
    files.append(Path(report["path"]))
    assert {f: stat.S_IMODE(f.stat().st_mode) for f in files} == dict.fromkeys(
        files, 0o600
    )
    for folder in (_exports(hass), _exports(hass).parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


async def test_export_filters(hass: HomeAssistant, fleet: Ledger) -> None:
    """Vehicle, location and time range narrow the files; each call its own file."""
    await _scenario(fleet)
    entry_id = fleet.entry.entry_id
    away = await _add(hass, fleet, T + hours(24), location="zone.fastned")
    zoe = await _add(hass, fleet, T + hours(48), vehicle=ZOE_ID, location="home")
    at_home = await _call(
        hass, "list_sessions", {"config_entry_id": entry_id, "location": "home"}
    )
    home = [s["id"] for s in reversed(at_home["sessions"])]
    assert len(home) == 2
    assert zoe in home

    async def export(**data: Any) -> dict[str, list[str]]:
        result = await _call(hass, "export", {"config_entry_id": entry_id, **data})
        return {
            kind: [row["id"] for row in _file(hass, part, kind)]
            for kind, part in result.items()
        }

    assert await export(kind="sessions", vehicle=_device_id(hass, ZOE_ID)) == {
        "sessions": [zoe]
    }
    assert await export(kind="trips", vehicle=ZOE_ID) == {"trips": []}
    assert await export(kind="sessions", location="Home") == {"sessions": home}
    assert await export(kind="sessions", location="fastned") == {"sessions": [away]}
    (trip,) = (await export(kind="trips"))["trips"]
    assert await export(kind="trips", location="zone.work") == {"trips": [trip]}
    assert await export(kind="trips", location="zone.fastned") == {"trips": []}
    assert await export(start=_iso(T + hours(12)), end=_iso(T + hours(36))) == {
        "sessions": [away],
        "trips": [],
    }
    # Every export of this second has a file of its own.
    names = sorted(path.name for path in _exports(hass).iterdir())
    assert len(names) == 9
    assert len(set(names)) == 9


async def test_response_rows_are_capped(
    hass: HomeAssistant, fleet: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the cap the response is cut short and says so; the file is whole."""
    await fleet.setup()
    ids = [await _add(hass, fleet, T + hours(3 * i)) for i in range(3)]
    monkeypatch.setattr(services, "MAX_RESPONSE_ROWS", 2)

    result = await _call(
        hass, "export", {"config_entry_id": fleet.entry.entry_id, "kind": "sessions"}
    )

    part = result["sessions"]
    assert part["count"] == 3
    assert part["truncated"] is True
    assert [row["id"] for row in part["rows"]] == ids[:2]
    assert [row["id"] for row in _file(hass, part, "sessions")] == ids


async def test_home_charging_report(hass: HomeAssistant, fleet: Ledger) -> None:
    """Per car and local month, the sums of the completed sessions at home."""
    await hass.config.async_set_time_zone("Europe/Berlin")
    await fleet.setup()
    entry_id = fleet.entry.entry_id
    sessions: list[tuple[str, str, int, dict[str, Any]]] = [
        ("2026-03-10 10:00", VEHICLE_ID, 20, {"location": "home"}),  # 0.30 EUR/kWh
        # 00:30 on 1 April in Berlin: April's, though still March in UTC.
        ("2026-03-31 22:30", VEHICLE_ID, 10, {"location": "home", "cost": 2.5}),
        ("2026-04-15 08:00", VEHICLE_ID, 15, {"location": "zone.home"}),
        ("2026-03-12 08:00", VEHICLE_ID, 20, {"location": "zone.fastned"}),
        ("2026-03-20 08:00", ZOE_ID, 8, {"location": "home"}),
        ("2026-03-21 08:00", ZOE_ID, 5, {}),  # no place: not at home
    ]
    for start, vehicle, energy, extra in sessions:
        await _add(hass, fleet, _utc(start), vehicle=vehicle, energy=energy, **extra)

    result = await _call(
        hass, "home_charging_report", {"config_entry_id": entry_id, "home_zone": "Home"}
    )

    path = Path(result["path"])
    assert path.parent == _exports(hass)
    assert NAME.fullmatch(path.name)
    rows = parse_csv(path)
    assert result["rows"] == Report(path, rows).json_rows()
    assert result["count"] == 3
    assert [
        (r["vehicle_name"], r["month"], r["sessions"], r["energy_kwh"], r["cost"])
        for r in rows
    ] == [
        ("Model Y", "2026-03", 1, Decimal(20), Decimal("6.0000")),
        ("Model Y", "2026-04", 2, Decimal(25), Decimal("7.0000")),
        ("Zoe", "2026-03", 1, Decimal(8), Decimal("2.4000")),
    ]
    assert all(r["currency"] == "EUR" for r in rows)

    # The same totals from the home sessions as listed.
    listed = await _call(
        hass,
        "list_sessions",
        {"config_entry_id": entry_id, "location": "zone.home", "limit": 500},
    )
    sums: dict[tuple[str, str], list[Decimal]] = defaultdict(
        lambda: [Decimal(0), Decimal(0)]
    )
    for session in listed["sessions"]:
        started = datetime.fromisoformat(session["started_at"]).astimezone(BERLIN)
        total = sums[session["vehicle_id"], started.strftime("%Y-%m")]
        total[0] += Decimal(session["energy_kwh"])
        total[1] += Decimal(session["cost"])
    assert {
        (r["vehicle_id"], r["month"]): [r["energy_kwh"], r["cost"]] for r in rows
    } == sums

    narrowed = await _call(
        hass,
        "home_charging_report",
        {
            "config_entry_id": entry_id,
            "vehicle": _device_id(hass, VEHICLE_ID),
            "start": "2026-04-01 00:00:00",
            "end": "2026-05-01 00:00:00",
        },
    )
    (april,) = narrowed["rows"]
    assert (april["vehicle_name"], april["month"], april["sessions"]) == (
        "Model Y",
        "2026-04",
        "2",
    )
    assert Decimal(april["energy_kwh"]) == 25
    assert Decimal(april["cost"]) == 7
    assert narrowed["path"] != result["path"]


@pytest.mark.parametrize(
    ("service", "data", "key"),
    [
        ("export", {"config_entry_id": "nope"}, "entry_not_found"),
        ("export", {"vehicle": "nope"}, "vehicle_not_found"),
        ("export", {"start": _iso(T), "end": _iso(T)}, "invalid_time_range"),
        ("home_charging_report", {"config_entry_id": "nope"}, "entry_not_found"),
        ("home_charging_report", {"vehicle": "nope"}, "vehicle_not_found"),
        (
            "home_charging_report",
            {"start": _iso(T), "end": _iso(T - 1)},
            "invalid_time_range",
        ),
    ],
)
async def test_validation_errors(
    hass: HomeAssistant, fleet: Ledger, service: str, data: dict[str, Any], key: str
) -> None:
    """Bad input is refused with a translated validation error, and no file."""
    await fleet.setup()
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, service, {"config_entry_id": fleet.entry.entry_id, **data})
    assert err.value.translation_key == key
    assert not _exports(hass).exists()


async def test_unknown_kind(hass: HomeAssistant, fleet: Ledger) -> None:
    """Only sessions, trips or all can be exported."""
    await fleet.setup()
    with pytest.raises(vol.Invalid):
        await _call(
            hass, "export", {"config_entry_id": fleet.entry.entry_id, "kind": "fuel"}
        )


@pytest.mark.parametrize("service", ["export", "home_charging_report"])
async def test_write_fails(hass: HomeAssistant, fleet: Ledger, service: str) -> None:
    """A folder that cannot be written gives a translated error."""
    await fleet.setup()
    _exports(hass).parent.mkdir(parents=True)
    _exports(hass).write_text("in the way")
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, service, {"config_entry_id": fleet.entry.entry_id})
    assert err.value.translation_key == "export_failed"
    assert _exports(hass).read_text() == "in the way"


@pytest.mark.parametrize("service", ["export", "home_charging_report"])
async def test_database_error_hides_the_password(
    hass: HomeAssistant, fleet: Ledger, monkeypatch: pytest.MonkeyPatch, service: str
) -> None:
    """A failing query is a translated error without secrets, and leaves no file."""
    await fleet.setup()
    await _add(hass, fleet, T)

    def fail(*_: Any, **__: Any) -> None:
        raise OperationalError(
            "SELECT", {}, Exception("postgresql://ev_ledger:s3cret@db:5432/ha: gone")
        )

    # Sessions are written first: a failing trips export takes them back.
    monkeypatch.setattr(services, "export_trips_csv", fail)
    monkeypatch.setattr(services, "home_charging_report_csv", fail)
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, service, {"config_entry_id": fleet.entry.entry_id})
    assert err.value.translation_key == "database_error"
    assert err.value.translation_placeholders is not None
    assert "gone" in err.value.translation_placeholders["error"]
    assert "s3cret" not in err.value.translation_placeholders["error"]
    assert "s3cret" not in str(err.value)
    assert list(_exports(hass).iterdir()) == []


async def test_the_exports_folder_keeps_the_newest(
    hass: HomeAssistant, fleet: Ledger
) -> None:
    """An automation exporting every few minutes does not fill the disk.

    Writing an export removes EV Ledger's oldest exports beyond EXPORTS_KEPT; the
    user's own files in the folder are never touched.
    """
    await _scenario(fleet)
    folder = _exports(hass)
    folder.mkdir(parents=True, exist_ok=True)
    old = []
    for i in range(services.EXPORTS_KEPT + 5):
        path = folder / f"trips_2024010{i % 9 + 1}T{i:06d}.csv"
        path.write_text("id\n")
        os.utime(path, (1_700_000_000 + i * 60, 1_700_000_000 + i * 60))
        old.append(path)
    mine = [folder / "trips_my_copy.csv", folder / "notes.txt"]
    for path in mine:
        path.write_text("kept\n")
        os.utime(path, (1_000_000_000, 1_000_000_000))
    entry_id = fleet.entry.entry_id
    result = await _call(hass, "export", {"config_entry_id": entry_id})
    report = await _call(hass, "home_charging_report", {"config_entry_id": entry_id})
    new = [Path(result[k]["path"]) for k in ("sessions", "trips")]
    new.append(Path(report["path"]))
    assert all(path.exists() for path in new + mine)
    ours = sorted(p for p in folder.iterdir() if NAME.fullmatch(p.name))
    assert len(ours) == services.EXPORTS_KEPT
    # The oldest went, the newest of the earlier ones stayed.
    kept_old = services.EXPORTS_KEPT - len(new)
    assert [p.exists() for p in old] == [False] * (len(old) - kept_old) + [
        True
    ] * kept_old
