#!/usr/bin/env python3
"""Check the running demo in a real browser, as a newcomer would, and take screenshots.

Used by `scripts/demo --check`; needs only aiohttp (it speaks the Chrome DevTools
protocol itself) and Debian's `chromium`.

    demo_check.py --url URL --config DIR [--out docs/screenshots] [--timeout 240]

1. Waits (over the REST API, with the demo's token) until EV Ledger has recorded
   sessions and trips and its cost and efficiency sensors are non-zero.
2. Starts headless Chromium with a fresh profile, logs in as demo/demo through the
   login form, opens the EV Ledger dashboard, waits until its cards show the values
   and asserts they are there (reading the page through its shadow roots), then
   saves `dashboard.png` (once the recorder compiled the first 5-minute statistics
   the energy graphs show, up to --statistics-timeout); then opens the EV Ledger
   integration page (the entry and its vehicle, energy site and location
   subentries) and saves `config_flow.png`.

Exits 0 when every check passed, 1 otherwise (what failed is printed).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import json
import os
from pathlib import Path
import shutil
import sys
import tempfile
import time
from typing import Any, Final

import aiohttp

USERNAME: Final = "demo"
PASSWORD: Final = "demo"
TOKEN_FILE: Final = ".demo-token"
DASHBOARD_PATH: Final = "/ev-ledger/overview"
INTEGRATION_PATH: Final = "/config/integrations/integration/ev_ledger"
WINDOW: Final = (1440, 1700)
CHROMIUM_FLAGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--lang=en-US",
)
# The sensors the dashboard shows that must be non-zero once the replay has run a
# little: a completed session (energy, cost), a trip, the month's cost, efficiency.
KEY_SENSORS: Final = (
    "sensor.demo_ev_last_session_energy",
    "sensor.demo_ev_last_session_cost",
    "sensor.demo_ev_charging_cost_this_month",
    "sensor.demo_ev_last_trip_distance",
    "sensor.demo_ev_efficiency",
    "sensor.demo_ev_cost_per_100_km",
)
# What the dashboard's statistics graphs show (compiled every five minutes).
STATISTICS: Final = ("sensor.demo_ev_energy_charged", "sensor.demo_ev_charging_cost")
# Card titles that prove the dashboard rendered.
CARD_TITLES: Final = (
    "Charging now",
    "Last session",
    "Costs this month",
    "Efficiency",
    "Recent sessions and trips",
    "Energy charged",
)

# JavaScript helpers injected in the page: walk the DOM through every shadow root.
DEEP_JS: Final = """
(() => {
  const walk = (root, visit) => {
    const nodes = root.querySelectorAll('*');
    for (const node of nodes) {
      visit(node);
      if (node.shadowRoot) walk(node.shadowRoot, visit);
    }
  };
  window.__deepAll = (selector) => {
    const found = [];
    walk(document, (node) => { if (node.matches(selector)) found.push(node); });
    return found;
  };
  window.__deepText = () => {
    const parts = [];
    const collect = (root) => {
      const tree = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      while (tree.nextNode()) {
        const text = tree.currentNode.textContent.trim();
        if (text) parts.push(text);
      }
    };
    collect(document.body);
    walk(document, (node) => { if (node.shadowRoot) collect(node.shadowRoot); });
    return parts.join('\\n');
  };
  return true;
})()
"""


class CheckError(RuntimeError):
    """A check failed."""


# Chrome DevTools protocol ---------------------------------------------------------------


@dataclass
class Cdp:
    """A minimal Chrome DevTools protocol client over one page's WebSocket."""

    sock: aiohttp.ClientWebSocketResponse
    _next: int = 0
    _waiting: dict[int, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    _reader: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Dispatch answers to their callers in the background."""
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.sock:
            if message.type is not aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            future = self._waiting.pop(data.get("id", -1), None)
            if future is not None and not future.done():
                future.set_result(data)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Call a protocol method; return its result or raise its error."""
        self._next += 1
        future: asyncio.Future[dict[str, Any]] = (
            asyncio.get_running_loop().create_future()
        )
        self._waiting[self._next] = future
        await self.sock.send_json(
            {"id": self._next, "method": method, "params": params}
        )
        answer = await asyncio.wait_for(future, 60)
        if "error" in answer:
            raise CheckError(f"{method}: {answer['error']}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    async def js(self, expression: str) -> Any:
        """Evaluate JavaScript in the page (promises awaited); return its value."""
        result = await self.send(
            "Runtime.evaluate",
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
        )
        if "exceptionDetails" in result:
            raise CheckError(f"JavaScript failed: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    async def wait_for(self, expression: str, what: str, wait_s: float) -> Any:
        """Poll a JavaScript expression (helpers injected) until it is truthy."""
        deadline = time.monotonic() + wait_s
        while True:
            with contextlib.suppress(CheckError):
                await self.js(DEEP_JS)
                if value := await self.js(expression):
                    return value
            if time.monotonic() > deadline:
                raise CheckError(f"timed out waiting for {what}")
            await asyncio.sleep(0.5)

    async def screenshot(self, path: Path) -> None:
        """Save the viewport as a PNG."""
        shot = await self.send("Page.captureScreenshot", format="png")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    async def close(self) -> None:
        """Stop reading and close the socket."""
        if self._reader is not None:
            self._reader.cancel()
        await self.sock.close()


def find_chromium() -> str:
    """The Chromium binary (Debian's `chromium` package)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    raise CheckError(
        "chromium not found: apt-get install -y chromium chromium-driver "
        "(scripts/demo --check installs it when run as root)"
    )


@contextlib.asynccontextmanager
async def chromium(session: aiohttp.ClientSession) -> Any:
    """Headless Chromium with a fresh profile; yields a Cdp client of its page."""
    profile = tempfile.mkdtemp(prefix="ev-ledger-check-")
    process = await asyncio.create_subprocess_exec(
        find_chromium(),
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--remote-debugging-port=0",
        "about:blank",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    cdp: Cdp | None = None
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if process.returncode is not None or time.monotonic() > deadline:
                raise CheckError("Chromium did not start")
            await asyncio.sleep(0.2)
        port = int(port_file.read_text().split()[0])
        async with session.get(f"http://127.0.0.1:{port}/json/list") as resp:
            targets = await resp.json()
        page = next(t for t in targets if t["type"] == "page")
        sock = await session.ws_connect(
            page["webSocketDebuggerUrl"], max_msg_size=64 * 1024 * 1024
        )
        cdp = Cdp(sock)
        cdp.start()
        await cdp.send("Page.enable")
        await cdp.send("Runtime.enable")
        await cdp.send(
            "Emulation.setDeviceMetricsOverride",
            width=WINDOW[0],
            height=WINDOW[1],
            deviceScaleFactor=1,
            mobile=False,
        )
        yield cdp
    finally:
        if cdp is not None:
            await cdp.close()
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
        shutil.rmtree(profile, ignore_errors=True)


# The checks ---------------------------------------------------------------------------


async def wait_for_records(
    session: aiohttp.ClientSession, url: str, token: str, wait_s: float
) -> dict[str, Any]:
    """Wait until the key sensors are non-zero and records exist; return them."""
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + wait_s
    missing: list[str] = []
    while True:
        async with session.get(f"{url}/api/states", headers=headers) as resp:
            states = {s["entity_id"]: s for s in await resp.json()}
        values: dict[str, Any] = {}
        missing = []
        for entity_id in KEY_SENSORS:
            state = states.get(entity_id, {}).get("state")
            try:
                number = float(state) if state is not None else 0.0
            except ValueError:
                number = 0.0
            if number > 0:
                values[entity_id] = state
            else:
                missing.append(f"{entity_id}={state}")
        counts = await record_counts(session, url, headers)
        values |= counts
        missing += [f"{name}=0" for name, count in counts.items() if not count]
        if not missing:
            return values
        if time.monotonic() > deadline:
            raise CheckError(f"still zero or missing after {wait_s:.0f} s: {missing}")
        await asyncio.sleep(2)


async def record_counts(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str]
) -> dict[str, int]:
    """How many sessions and trips the list actions return."""
    async with session.get(
        f"{url}/api/config/config_entries/entry?domain=ev_ledger", headers=headers
    ) as resp:
        entries = await resp.json()
    counts = {"sessions": 0, "trips": 0}
    for entry in entries:
        for kind in counts:
            async with session.post(
                f"{url}/api/services/ev_ledger/list_{kind}?return_response",
                json={"config_entry_id": entry["entry_id"], "limit": 500},
                headers=headers,
            ) as resp:
                if resp.status != 200:
                    continue
                answer = await resp.json()
            counts[kind] += len(answer.get("service_response", {}).get(kind) or [])
    return counts


async def statistics_exist(
    session: aiohttp.ClientSession, url: str, token: str
) -> bool:
    """Whether the recorder has compiled statistics enough to graph."""
    async with session.ws_connect(
        url.replace("http", "ws", 1) + "/api/websocket"
    ) as ws:
        await ws.receive_json()
        await ws.send_json({"type": "auth", "access_token": token})
        if (await ws.receive_json()).get("type") != "auth_ok":
            raise CheckError("WebSocket authentication failed")
        start = datetime.now(UTC) - timedelta(days=1)
        await ws.send_json(
            {
                "id": 1,
                "type": "recorder/statistics_during_period",
                "start_time": start.isoformat(),
                "statistic_ids": list(STATISTICS),
                "period": "5minute",
                "types": ["state"],
            }
        )
        answer = await ws.receive_json()
    result = answer.get("result") or {}
    # Two 5-minute periods draw a line.
    return all(len(result.get(statistic_id) or []) >= 2 for statistic_id in STATISTICS)


async def wait_for_statistics(
    session: aiohttp.ClientSession, url: str, token: str, wait_s: float
) -> bool:
    """Wait until the first statistics are compiled (False: gave up)."""
    deadline = time.monotonic() + wait_s
    while not await statistics_exist(session, url, token):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(5)
    return True


async def login(cdp: Cdp, url: str) -> None:
    """Open the dashboard; Home Assistant sends us to its login form; log in."""
    await cdp.send("Page.navigate", url=url + DASHBOARD_PATH)
    await cdp.wait_for(
        "__deepAll('input[name=username], input[autocomplete=username]').length > 0",
        "the login form",
        60,
    )
    for selector, text in (
        ("input[name=username], input[autocomplete=username]", USERNAME),
        ("input[name=password], input[type=password]", PASSWORD),
    ):
        await cdp.js(f"__deepAll({json.dumps(selector)})[0].focus()")
        await cdp.send("Input.insertText", text=text)
    for kind in ("keyDown", "keyUp"):
        await cdp.send(
            "Input.dispatchKeyEvent",
            type=kind,
            key="Enter",
            code="Enter",
            windowsVirtualKeyCode=13,
            text="\r" if kind == "keyDown" else "",
        )
    await cdp.wait_for(
        "!location.pathname.startsWith('/auth') && "
        "__deepAll('home-assistant-main').length > 0",
        "the login to finish",
        60,
    )


async def navigate(cdp: Cdp, path: str) -> None:
    """Navigate inside the app (no reload: the login lives in the page)."""
    await cdp.js(
        f"history.pushState(null, '', {json.dumps(path)});"
        "window.dispatchEvent(new CustomEvent('location-changed'));"
    )


def integer_part(state: str) -> str:
    """`24` for `24.130`: what the dashboard shows whatever its rounding."""
    return str(int(float(state)))


async def open_dashboard(cdp: Cdp) -> str:
    """Open the dashboard, wait for its cards and graphs; return its text."""
    await navigate(cdp, DASHBOARD_PATH)
    titles = json.dumps(list(CARD_TITLES))
    await cdp.wait_for(
        f"{titles}.every((t) => __deepText().includes(t))", "the dashboard's cards", 60
    )
    # Let the graphs and the statistics load.
    await asyncio.sleep(4)
    text: str = await cdp.js("__deepText()")
    return text


async def check_dashboard(cdp: Cdp, values: dict[str, Any]) -> list[str]:
    """Assert the cards and the key values are on the dashboard."""
    text = await open_dashboard(cdp)
    problems = [
        f"dashboard: {entity_id} = {state} not shown"
        for entity_id, state in values.items()
        if entity_id.startswith("sensor.") and integer_part(state) not in text
    ]
    problems.extend(
        f"dashboard shows {warning!r}"
        for warning in ("Entity not available", "Configuration error")
        if warning in text
    )
    title = await cdp.js("document.title")
    print(f"  dashboard {title!r}: {len(CARD_TITLES)} card titles found")
    return problems


async def check_integration_page(cdp: Cdp, out: Path) -> list[str]:
    """The EV Ledger entry with its subentries; screenshot it."""
    await navigate(cdp, INTEGRATION_PATH)
    await cdp.wait_for(
        "['Demo EV', 'Fast chargers'].every((t) => __deepText().includes(t))",
        "the EV Ledger integration page",
        60,
    )
    await asyncio.sleep(2)
    await cdp.screenshot(out / "config_flow.png")
    print(f"  saved {out / 'config_flow.png'}")
    return []


async def run(args: argparse.Namespace) -> int:
    """All checks; prints what it found."""
    url = args.url.rstrip("/")
    out = Path(args.out)
    token = (Path(args.config) / TOKEN_FILE).read_text().strip()
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        values = await wait_for_records(session, url, token, args.timeout)
        print(f"  EV Ledger values non-zero after {time.monotonic() - started:.0f} s:")
        for name, value in values.items():
            print(f"    {name}: {value}")
        async with chromium(session) as cdp:
            await login(cdp, url)
            print(f"  logged in as {USERNAME!r} in headless Chromium")
            problems = await check_dashboard(cdp, values)
            print(
                "  the dashboard shows them "
                f"{time.monotonic() - started:.0f} s after the check started"
            )
            if args.statistics_timeout > 0:
                print("  waiting for the first 5-minute statistics (energy graphs)")
                if await wait_for_statistics(
                    session, url, token, args.statistics_timeout
                ):
                    await navigate(cdp, "/config/integrations")
                    await open_dashboard(cdp)
                else:
                    print("  no statistics yet: the energy graphs are empty")
            await cdp.screenshot(out / "dashboard.png")
            print(f"  saved {out / 'dashboard.png'}")
            problems += await check_integration_page(cdp, out)
    for problem in problems:
        print(f"  FAILED {problem}")
    print(f"  browser check {'failed' if problems else 'passed'}")
    return 1 if problems else 0


def main() -> int:
    """Parse the command line and run the check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8123")
    parser.add_argument("--config", required=True, help="the demo's config folder")
    parser.add_argument(
        "--out", default=os.fspath(Path(__file__).parent.parent / "docs/screenshots")
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=240.0,
        help="seconds to wait for non-zero values",
    )
    parser.add_argument(
        "--statistics-timeout",
        type=float,
        default=720.0,
        help="seconds to wait for statistics before the screenshot (0: do not)",
    )
    args = parser.parse_args()
    try:
        return asyncio.run(run(args))
    except CheckError as err:
        print(f"demo_check: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
