#!/usr/bin/env python3
"""Configure the running demo Home Assistant as a newcomer would, over its API.

Used by `scripts/demo`; no Home Assistant imports, only aiohttp, so the steps can be
adjusted when the config flow changes.

    demo_configure.py setup   --url URL --config DIR [--pg-url URL]
    demo_configure.py summary --url URL --config DIR

`setup` waits for Home Assistant, finishes onboarding with the demo owner (or logs
in when that is done), stores a long-lived token in DIR/.demo-token, drives the EV
Ledger config flow (embedded SQLite, or PostgreSQL from --pg-url) and its vehicle,
energy site and charging location subentry flows, then starts the simulator's
replay. `summary` prints what EV Ledger has recorded so far.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass, field
from pathlib import Path
import sys
import time
from typing import TYPE_CHECKING, Any, Final

import aiohttp

if TYPE_CHECKING:
    from collections.abc import Coroutine

USERNAME: Final = "demo"
PASSWORD: Final = "demo"
OWNER_NAME: Final = "Demo owner"
CLIENT_ID_PATH: Final = "/"
TOKEN_FILE: Final = ".demo-token"

VEHICLE_DEVICE: Final = "Demo EV"
# What the mapping proposal should pick for the simulated car (checked, and
# corrected if the proposal differs, so the demo works while it is tuned).
EXPECTED_VEHICLE_ROLES: Final = {
    "battery_level": "sensor.demo_ev_battery_level",
    "charging_state": "sensor.demo_ev_charging_state",
    "plugged": "binary_sensor.demo_ev_charge_cable",
    "charger_power": "sensor.demo_ev_charger_power",
    "session_energy": "sensor.demo_ev_charge_energy_added",
    "odometer": "sensor.demo_ev_odometer",
    "speed": "sensor.demo_ev_speed",
    "shift_state": "sensor.demo_ev_shift_state",
    "location": "device_tracker.demo_ev_location",
    "range": "sensor.demo_ev_range",
    "outside_temp": "sensor.demo_ev_outside_temperature",
}
# The simulator stamps its states with simulated time (ahead of the wall clock at the
# replay's pace), so EV Ledger's default thresholds apply unchanged.
CAPACITY_KWH: Final = 75
SITE_INPUT: Final = {
    "name": "Home",
    "zone": "zone.home",
    "solar_power": "sensor.demo_home_energy_solar_power",
    "grid_power": "sensor.demo_home_energy_grid_power",
    "battery_power": "sensor.demo_home_energy_battery_power",
    "home_load": "sensor.demo_home_energy_house_load",
    "grid_sign": "import_positive",
    "battery_sign": "discharge_positive",
    "load_includes_ev": True,
    "policy": "house_first",
}
PRICE_ENTITY: Final = "sensor.demo_tariff_price"
LOCATIONS: Final = (
    # (place form, tariff form overrides)
    (
        {"zone": "zone.home", "name": "Home", "kind": "price_entity"},
        {
            "price_entity": PRICE_ENTITY,
            "solar": {"solar_valuation": "feed_in", "feed_in_price": 0.08},
        },
    ),
    (
        {"zone": "zone.work", "name": "Work charger", "kind": "fixed"},
        {"price_per_kwh": 0.39, "fees": {"session_fee": 1.0}},
    ),
    (
        {"name": "Fast chargers", "kind": "fixed"},
        {"price_per_kwh": 0.59},
    ),
)


class DemoError(RuntimeError):
    """A step of the demo set-up failed."""


@dataclass
class Api:
    """A small REST/WebSocket client of one Home Assistant."""

    session: aiohttp.ClientSession
    url: str
    token: str = ""
    log: list[str] = field(default_factory=list)

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def get(self, path: str) -> Any:
        """GET a JSON resource."""
        async with self.session.get(self.url + path, headers=self._headers) as resp:
            if resp.status >= 400:
                raise DemoError(f"GET {path}: {resp.status} {await resp.text()}")
            return await resp.json()

    async def post(self, path: str, payload: dict[str, Any] | None = None) -> Any:
        """POST JSON, return the JSON answer."""
        async with self.session.post(
            self.url + path, json=payload or {}, headers=self._headers
        ) as resp:
            if resp.status >= 500:
                raise DemoError(f"POST {path}: {resp.status}, see home-assistant.log")
            if resp.status >= 400:
                raise DemoError(f"POST {path}: {resp.status} {await resp.text()}")
            return await resp.json()

    async def ws(self, *messages: dict[str, Any]) -> list[Any]:
        """Send WebSocket commands in order; return their results."""
        results: list[Any] = []
        ws_url = self.url.replace("http", "ws", 1) + "/api/websocket"
        async with self.session.ws_connect(ws_url) as sock:
            await sock.receive_json()  # auth_required
            await sock.send_json({"type": "auth", "access_token": self.token})
            if (await sock.receive_json())["type"] != "auth_ok":
                raise DemoError("WebSocket authentication failed")
            for number, message in enumerate(messages, start=1):
                await sock.send_json({"id": number, **message})
                answer = await sock.receive_json()
                if not answer.get("success"):
                    raise DemoError(f"{message['type']}: {answer.get('error')}")
                results.append(answer["result"])
        return results


# Start-up and login -------------------------------------------------------------------


async def wait_until_up(api: Api, wait_s: float) -> None:
    """Wait until the HTTP API answers (onboarding state is readable)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            await api.get("/api/onboarding")
        except (aiohttp.ClientError, DemoError, TimeoutError):
            if time.monotonic() > deadline:
                raise DemoError(f"Home Assistant did not answer on {api.url}") from None
            await asyncio.sleep(1)
        else:
            return


async def confirm_http_config(api: Api) -> None:
    """Keep the demo's HTTP settings (its port, loopback only) on newer releases.

    Newer Home Assistant releases move `http:` from configuration.yaml into a store:
    the YAML becomes a pending configuration that reverts to the default, restarting
    Home Assistant, unless it is confirmed within five minutes (as a user confirms
    it in the UI). Older releases have no such command; nothing to do there.
    """
    try:
        (current,) = await api.ws({"type": "http/config"})
    except DemoError:
        return  # an older release: http: in configuration.yaml is simply used
    if current.get("revert_at") and current.get("active_config_type") == "pending":
        await api.ws({"type": "http/config/promote"})
        api.log.append("confirmed the HTTP settings (newer releases ask for it)")


async def login(api: Api) -> None:
    """Create the owner through onboarding, or log in when that is done."""
    client_id = api.url + CLIENT_ID_PATH
    steps = await api.get("/api/onboarding")
    user_step = next((s for s in steps if s["step"] == "user"), {"done": True})
    if not user_step["done"]:
        answer = await api.post(
            "/api/onboarding/users",
            {
                "client_id": client_id,
                "name": OWNER_NAME,
                "username": USERNAME,
                "password": PASSWORD,
                "language": "en",
            },
        )
        code = answer["auth_code"]
        api.log.append(f"created the owner {USERNAME!r} through onboarding")
    else:
        flow = await api.post(
            "/auth/login_flow",
            {
                "client_id": client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": client_id,
            },
        )
        done = await api.post(
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": client_id, "username": USERNAME, "password": PASSWORD},
        )
        if done.get("type") != "create_entry":
            raise DemoError(f"login as {USERNAME!r} failed: {done.get('errors')}")
        code = done["result"]
    form = aiohttp.FormData(
        {"grant_type": "authorization_code", "code": code, "client_id": client_id}
    )
    async with api.session.post(api.url + "/auth/token", data=form) as resp:
        if resp.status != 200:
            raise DemoError(f"token exchange failed: {await resp.text()}")
        api.token = (await resp.json())["access_token"]


async def long_lived_token(api: Api, config: Path) -> None:
    """Create a long-lived token for scripts (screenshots, checks) and store it."""
    (token,) = await api.ws(
        {
            "type": "auth/long_lived_access_token",
            "client_name": f"EV Ledger demo {int(time.time())}",
            "lifespan": 365,
        }
    )
    path = config / TOKEN_FILE
    path.write_text(token + "\n")
    path.chmod(0o600)
    api.token = token


async def wait_for_entities(api: Api, entity_ids: list[str], wait_s: float) -> None:
    """Wait until the simulator's entities exist."""
    deadline = time.monotonic() + wait_s
    while True:
        states = {s["entity_id"] for s in await api.get("/api/states")}
        missing = [e for e in entity_ids if e not in states]
        if not missing:
            return
        if time.monotonic() > deadline:
            raise DemoError(f"simulator entities missing: {', '.join(missing)}")
        await asyncio.sleep(1)


# Config flows ---------------------------------------------------------------------------


def form_defaults(schema: list[dict[str, Any]]) -> dict[str, Any]:
    """The values a user would submit unchanged: suggested values and defaults."""
    values: dict[str, Any] = {}
    for item in schema:
        name = item["name"]
        if item.get("type") == "expandable":
            values[name] = form_defaults(item["schema"])
            continue
        suggested = (item.get("description") or {}).get("suggested_value")
        if suggested is not None:
            values[name] = suggested
        elif "default" in item:
            values[name] = item["default"]
    return values


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`base` updated with `extra`, nested dicts (form sections) merged."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


async def submit(
    api: Api, flow_path: str, result: dict[str, Any], extra: dict[str, Any]
) -> dict[str, Any]:
    """Submit a form with its defaults overridden by `extra`."""
    values = merge(form_defaults(result.get("data_schema") or []), extra)
    answer: dict[str, Any] = await api.post(f"{flow_path}/{result['flow_id']}", values)
    return answer


def expect(result: dict[str, Any], kind: str, what: str) -> None:
    """Fail with the flow's own words when a step did not end as expected."""
    if result.get("type") != kind:
        detail = result.get("errors") or result.get("reason") or result
        raise DemoError(f"{what}: expected {kind}, got {detail}")


async def configure_ledger(api: Api, pg_url: str | None) -> str:
    """Create the EV Ledger entry (embedded, or PostgreSQL from a URL)."""
    flow = "/api/config/config_entries/flow"
    for entry in await api.get("/api/config/config_entries/entry?domain=ev_ledger"):
        api.log.append(f"EV Ledger entry exists: {entry['title']}")
        return str(entry["entry_id"])
    result = await api.post(flow, {"handler": "ev_ledger"})
    expect(result, "menu", "EV Ledger flow")
    step = "postgresql_url" if pg_url else "embedded"
    result = await api.post(f"{flow}/{result['flow_id']}", {"next_step_id": step})
    if pg_url:
        expect(result, "form", "PostgreSQL URL form")
        result = await submit(api, flow, result, {"url": pg_url})
    expect(result, "create_entry", f"EV Ledger storage ({step})")
    api.log.append(f"created the EV Ledger entry: {result['title']}")
    return str(result["result"]["entry_id"])


async def add_subentry(
    api: Api, entry_id: str, kind: str, forms: list[dict[str, Any]], what: str
) -> None:
    """Run a subentry flow, submitting one override dict per form shown."""
    flow = "/api/config/config_entries/subentries/flow"
    result = await api.post(flow, {"handler": [entry_id, kind]})
    for extra in forms:
        expect(result, "form", what)
        result = await submit(api, flow, result, extra)
    if result.get("type") == "form" and result.get("errors"):
        raise DemoError(f"{what}: {result['errors']}")
    if result.get("type") == "abort":
        api.log.append(f"{what}: {result.get('reason')}")
        return
    expect(result, "create_entry", what)
    api.log.append(f"added {what}: {result.get('title')}")


async def vehicle_device_id(api: Api) -> str:
    """The device id of the simulated car."""
    (devices,) = await api.ws({"type": "config/device_registry/list"})
    for device in devices:
        if device["name"] == VEHICLE_DEVICE:
            return str(device["id"])
    raise DemoError(f"device {VEHICLE_DEVICE!r} not found")


async def add_vehicle(api: Api, entry_id: str) -> None:
    """Pick the car's device, check the proposed mapping, set the capacity."""
    flow = "/api/config/config_entries/subentries/flow"
    result = await api.post(flow, {"handler": [entry_id, "vehicle"]})
    expect(result, "form", "vehicle device step")
    result = await submit(
        api, flow, result, {"device_id": await vehicle_device_id(api)}
    )
    expect(result, "form", "vehicle review step")
    proposal = form_defaults(result["data_schema"])
    for role, wanted in EXPECTED_VEHICLE_ROLES.items():
        got = proposal.get(role)
        if got != wanted:
            api.log.append(f"mapping proposal: {role} = {got!r}, using {wanted}")
    decoys = sorted(
        f"{role}={eid}"
        for role, eid in proposal.items()
        if isinstance(eid, str) and ("12v" in eid or "charge_limit" in eid)
    )
    if decoys:
        api.log.append(f"mapping proposal picked decoys: {', '.join(decoys)}")
    result = await submit(
        api,
        flow,
        result,
        {
            **EXPECTED_VEHICLE_ROLES,
            "usable_capacity_kwh": CAPACITY_KWH,
        },
    )
    if result.get("type") == "abort":
        api.log.append(f"vehicle: {result.get('reason')}")
        return
    expect(result, "create_entry", "vehicle")
    api.log.append(f"added vehicle: {result.get('title')}")


async def add_site(api: Api, entry_id: str) -> None:
    """Add the home energy site; confirm the signs if the check asks to."""
    flow = "/api/config/config_entries/subentries/flow"
    result = await api.post(flow, {"handler": [entry_id, "energy_site"]})
    expect(result, "form", "energy site form")
    if result.get("step_id") == "user":
        # The device step: no device, the simulator's entities are picked by hand.
        result = await submit(api, flow, result, {})
        expect(result, "form", "energy site form")
    result = await submit(api, flow, result, SITE_INPUT)
    if result.get("type") == "form" and set(result.get("errors") or {}) <= {
        "grid_sign",
        "battery_sign",
    }:
        api.log.append(f"sign check asked to confirm: {result.get('errors')}")
        result = await submit(api, flow, result, {**SITE_INPUT, "confirm_signs": True})
    if result.get("type") == "abort":
        api.log.append(f"energy site: {result.get('reason')}")
        return
    expect(result, "create_entry", "energy site")
    api.log.append(f"added energy site: {result.get('title')}")


async def attempt(api: Api, name: str, step: Coroutine[Any, Any, None]) -> bool:
    """Run one step; log its failure and go on with the next."""
    try:
        await step
    except DemoError as err:
        api.log.append(f"FAILED {name}: {err}")
        return False
    return True


async def add_subentries(api: Api, entry_id: str) -> bool:
    """The vehicle, the energy site and the locations; False if one failed."""
    ok = await attempt(api, "vehicle", add_vehicle(api, entry_id))
    ok = await attempt(api, "energy site", add_site(api, entry_id)) and ok
    for place, tariff in LOCATIONS:
        name = f"location {place['name']}"
        step = add_subentry(api, entry_id, "location", [place, tariff], name)
        ok = await attempt(api, name, step) and ok
    return ok


async def setup(args: argparse.Namespace) -> int:
    """The whole set-up; prints what it did."""
    config = Path(args.config)
    async with aiohttp.ClientSession() as session:
        api = Api(session, args.url.rstrip("/"))
        await wait_until_up(api, args.timeout)
        await login(api)
        await long_lived_token(api, config)
        await confirm_http_config(api)
        await wait_for_entities(
            api, [*EXPECTED_VEHICLE_ROLES.values(), PRICE_ENTITY], args.timeout
        )
        failed = False
        try:
            entry_id: str | None = await configure_ledger(api, args.pg_url)
        except DemoError as err:
            entry_id = None
            failed = True
            api.log.append(f"FAILED: {err}")
        if entry_id is not None:
            failed = not await add_subentries(api, entry_id) or failed
        await api.post("/api/services/ev_ledger_sim/start")
        api.log.append("started the simulator's replay")
        for line in api.log:
            print(f"  - {line}")
        return 1 if failed else 0


# Summary -------------------------------------------------------------------------------


def _describe(record: dict[str, Any], keys: tuple[str, ...]) -> str:
    return ", ".join(f"{k}={record[k]}" for k in keys if record.get(k) is not None)


async def summary(args: argparse.Namespace) -> int:
    """Print the simulated time, EV Ledger's sensors and its recent records."""
    config = Path(args.config)
    token = (config / TOKEN_FILE).read_text().strip()
    async with aiohttp.ClientSession() as session:
        api = Api(session, args.url.rstrip("/"), token)
        states = {s["entity_id"]: s for s in await api.get("/api/states")}
        clock = states.get("sensor.demo_tariff_simulated_time")
        if clock:
            print(f"  simulated time: {clock['state']}")
        (registry,) = await api.ws({"type": "config/entity_registry/list"})
        ours = sorted(e["entity_id"] for e in registry if e["platform"] == "ev_ledger")
        print(f"  EV Ledger entities: {len(ours)}")
        for entity_id in ours:
            state = states.get(entity_id)
            if state is None or state["state"] in ("unknown", "unavailable"):
                continue
            unit = state["attributes"].get("unit_of_measurement") or ""
            print(f"    {entity_id}: {state['state']} {unit}".rstrip())
        entries = await api.get("/api/config/config_entries/entry?domain=ev_ledger")
        for entry in entries:
            for service, keys in (
                (
                    "list_sessions",
                    ("start", "location", "energy_kwh", "cost", "solar_share"),
                ),
                ("list_trips", ("start", "distance_km", "efficiency_wh_per_km")),
            ):
                try:
                    answer = await api.post(
                        f"/api/services/ev_ledger/{service}?return_response",
                        {"config_entry_id": entry["entry_id"], "limit": 500},
                    )
                except DemoError as err:
                    print(f"  {service}: not available ({err})")
                    continue
                response = answer.get("service_response") or {}
                records = next(
                    (v for v in response.values() if isinstance(v, list)), []
                )
                print(f"  {service}: {len(records)} records")
                for record in records[:3]:
                    print(f"    {_describe(record, keys) or record}")
    return 0


def main() -> int:
    """Parse the command line and run a command."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["setup", "summary"])
    parser.add_argument("--url", default="http://127.0.0.1:8123")
    parser.add_argument("--config", required=True, help="the demo's config folder")
    parser.add_argument("--pg-url", default=None, help="PostgreSQL URL (else embedded)")
    parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args()
    command = setup if args.command == "setup" else summary
    try:
        return asyncio.run(command(args))
    except DemoError as err:
        print(f"demo_configure: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
