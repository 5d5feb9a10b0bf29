"""A real Home Assistant to install EV Ledger into: its venv, config folder and process.

The venv holds the Home Assistant release of the running test leg and the requirements
of what that release sets up by default, but none of EV Ledger's own requirements: Home
Assistant must install those itself, with its own installer, as on a user's machine.
Home Assistant installs into the venv it runs from (it only uses `<config>/deps` outside
a venv), so the venv is built once per release outside the clone and cloned per run
with hard links, which takes a second and leaves the cached copy untouched.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
import fcntl
import json
import os
from pathlib import Path
import re
import shutil
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any, Final
import zipfile

import homeassistant
from homeassistant import bootstrap
from homeassistant.const import __version__ as HA_VERSION
from homeassistant.requirements import DISCOVERY_INTEGRATIONS
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT: Final = Path(__file__).resolve().parents[2]
MANIFEST: Final = json.loads(
    (ROOT / "custom_components" / "ev_ledger" / "manifest.json").read_text()
)
CONSTRAINTS: Final = Path(homeassistant.__file__).with_name("package_constraints.txt")
PYTHON_TAG: Final = f"py{sys.version_info.major}{sys.version_info.minor}"
STAMP: Final = ".ev-ledger-install-test"
# What configuration.yaml sets up besides Home Assistant's defaults: the API and the
# owner (http, api, config, onboarding), the recorder (not minimal, but what users run:
# the ledger backfills a new vehicle from it and publishes statistics to it; its
# requirements are core's own) and the log levels. No default_config.
CONFIG_DOMAINS: Final = ("http", "api", "config", "onboarding", "recorder", "logger")

CONFIGURATION: Final = """\
homeassistant:
  name: EV Ledger install test
  latitude: 52.52
  longitude: 13.405
  elevation: 34
  unit_system: metric
  time_zone: UTC
  currency: EUR
  country: DE
  language: en

http:
  server_host: 127.0.0.1
  server_port: {port}

api:
config:
onboarding:
recorder:

logger:
  default: info
  logs:
    custom_components.ev_ledger: debug
"""

# Onboarding done but for the owner, who is created through the onboarding API.
ONBOARDING: Final = {
    "version": 4,
    "minor_version": 1,
    "key": "onboarding",
    "data": {"done": ["core_config", "analytics", "integration"]},
}


# The venv ------------------------------------------------------------------------


def cache_root() -> Path:
    """Where the cached venvs live, outside the clone (as scripts/newest keeps its root).

    Inside the sid root HOME is the root's own /root, kept across runs.
    """
    explicit = os.environ.get("EV_LEDGER_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ev-ledger"


def core_pinned_names() -> set[str]:
    """Names of the packages Home Assistant's constraints name."""
    names: set[str] = set()
    for line in CONSTRAINTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(canonicalize_name(Requirement(line).name))
    return names


def ledger_only_requirements() -> list[str]:
    """The manifest's requirements that Home Assistant itself never brings."""
    core = core_pinned_names()
    return [
        line
        for line in MANIFEST["requirements"]
        if canonicalize_name(Requirement(line).name) not in core
    ]


def default_requirements() -> list[str]:
    """Requirements of what this configuration sets up: the defaults and our domains.

    Followed as Home Assistant's requirement manager follows them: dependencies,
    after-dependencies and the discovery integrations a manifest asks for. Installed
    into the cached venv, so that a run installs EV Ledger's requirements only (Home
    Assistant would otherwise install the frontend and the rest at every start).
    """
    components = Path(homeassistant.__file__).parent / "components"
    todo = set(bootstrap.DEFAULT_INTEGRATIONS) | set(CONFIG_DOMAINS)
    seen: set[str] = set()
    found: set[str] = set()
    while todo:
        domain = todo.pop()
        if domain in seen:
            continue
        seen.add(domain)
        manifest = components / domain / "manifest.json"
        if not manifest.is_file():
            continue
        data = json.loads(manifest.read_text())
        todo.update(data.get("dependencies", []), data.get("after_dependencies", []))
        todo.update(
            discovery
            for discovery, keys in DISCOVERY_INTEGRATIONS.items()
            if any(key in data for key in keys)
        )
        found.update(data.get("requirements", []))
    return sorted(found)


def uv_command() -> list[str]:
    """The uv of the test environment (the leg installs it next to its python)."""
    uv = Path(sys.executable).with_name("uv")
    if uv.is_file():
        return [str(uv)]
    found = shutil.which("uv")
    return [found] if found else [sys.executable, "-m", "uv"]


def base_python() -> str:
    """The interpreter the leg's venv was made from (/usr/bin/python3.14 in the root)."""
    return str(getattr(sys, "_base_executable", None) or sys.executable)


def site_packages(venv: Path) -> Path:
    """The site-packages folder of a venv."""
    return (
        venv
        / "lib"
        / f"python{sys.version_info.major}.{sys.version_info.minor}"
        / ("site-packages")
    )


def distributions(venv: Path) -> set[str]:
    """Canonical names of the distributions installed in a venv."""
    return {
        canonicalize_name(path.name.split("-", 1)[0])
        for path in site_packages(venv).glob("*.dist-info")
    }


@dataclass(frozen=True, slots=True)
class CachedVenv:
    """The cached venv, how long it took to have it, what it could not install."""

    path: Path
    seconds: float
    built: bool
    # Default requirements with no wheel for this Python that need a compiler to
    # build (none in the sid root): Home Assistant is told to skip them.
    unavailable: tuple[str, ...]


def _key(requirements: list[str]) -> dict[str, Any]:
    return {
        "homeassistant": HA_VERSION,
        "python": sys.version,
        "requirements": requirements,
    }


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock: two runs never build the same venv at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def cached_venv() -> CachedVenv:
    """The Home Assistant venv of this release, built when missing or incomplete."""
    started = time.monotonic()
    venv = cache_root() / f"hass-{HA_VERSION}-{PYTHON_TAG}"
    requirements = default_requirements()
    key = _key(requirements)
    with _locked(venv.with_name(venv.name + ".lock")):
        built = False
        stamp = _ready_stamp(venv, key)
        if stamp is None:
            shutil.rmtree(venv, ignore_errors=True)
            unavailable = _build(venv, requirements)
            (venv / STAMP).write_text(json.dumps({**key, "unavailable": unavailable}))
            built = True
            stamp = _ready_stamp(venv, key)
        assert stamp is not None, f"the venv {venv} is not as built"
    return CachedVenv(
        venv, time.monotonic() - started, built, tuple(stamp["unavailable"])
    )


def _ready_stamp(venv: Path, key: dict[str, Any]) -> dict[str, Any] | None:
    """The stamp of a venv built completely for `key` with nothing of ours in it."""
    try:
        stamp: dict[str, Any] = json.loads((venv / STAMP).read_text())
    except (OSError, ValueError):
        return None
    if {k: stamp.get(k) for k in key} != key or not (venv / "bin" / "hass").is_file():
        return None
    ours = {canonicalize_name(Requirement(r).name) for r in ledger_only_requirements()}
    if ours & distributions(venv):
        return None
    return stamp


def _uv_install(venv: Path, *requirements: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *uv_command(),
            "pip",
            "install",
            "--quiet",
            "--python",
            str(venv / "bin" / "python"),
            *requirements,
            "--constraint",
            str(CONSTRAINTS),
        ],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )


def _build(venv: Path, requirements: list[str]) -> list[str]:
    """Make the venv with the base interpreter, install Home Assistant with uv.

    Returns the names of the default requirements that could not be installed.
    """
    subprocess.run(
        [base_python(), "-m", "venv", "--without-pip", str(venv)],
        check=True,
        timeout=300,
    )
    result = _uv_install(venv, f"homeassistant=={HA_VERSION}")
    if result.returncode:
        raise RuntimeError(f"installing homeassistant failed:\n{result.stderr}")
    if not _uv_install(venv, *requirements).returncode:
        return []
    return [
        Requirement(requirement).name
        for requirement in requirements
        if _uv_install(venv, requirement).returncode
    ]


def clone_venv(source: Path, target: Path) -> float:
    """Copy a venv with hard links and point its scripts at the copy; return seconds.

    Installers replace files rather than write into them, so the cached venv keeps
    its files whatever Home Assistant installs into the copy.
    """
    started = time.monotonic()
    try:
        subprocess.run(
            ["cp", "-a", "--link", str(source), str(target)],
            check=True,
            capture_output=True,
            timeout=300,
        )
    except (OSError, subprocess.CalledProcessError):
        # Another filesystem (or no GNU cp): a plain copy.
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target, symlinks=True)
    old, new = str(source).encode(), str(target).encode()
    for path in (target / "bin").iterdir():
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        if old not in data or b"\0" in data[:1024]:
            continue  # binaries (uv) and scripts that name no path
        mode = path.stat().st_mode
        path.unlink()  # never write through the hard link into the cache
        path.write_bytes(data.replace(old, new))
        path.chmod(mode)
    return time.monotonic() - started


def imports(venv: Path, *modules: str) -> bool:
    """Whether the venv's python imports the modules."""
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-c", f"import {', '.join(modules)}"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    return result.returncode == 0


# The config folder ---------------------------------------------------------------


def build_artifact(out: Path) -> Path:
    """Build the HACS zip with scripts/build_artifact.py; return its path."""
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "build_artifact.py"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return Path(result.stdout.strip().splitlines()[-1])


def write_config(config: Path, port: int, artifact: Path) -> Path:
    """A fresh config folder with the artifact unpacked as HACS does; return it."""
    integration = config / "custom_components" / "ev_ledger"
    integration.mkdir(parents=True)
    with zipfile.ZipFile(artifact) as archive:
        archive.extractall(integration)
    (config / "configuration.yaml").write_text(CONFIGURATION.format(port=port))
    storage = config / ".storage"
    storage.mkdir()
    (storage / "onboarding").write_text(json.dumps(ONBOARDING))
    return integration


# The process ---------------------------------------------------------------------

_DROPPED_ENV: Final = frozenset(
    {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "UV_PYTHON"}
)


def hass_environment(venv: Path) -> dict[str, str]:
    """The test's environment (proxies, CA bundles, index settings) for `venv`."""
    leg_bin = str(Path(sys.executable).parent)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _DROPPED_ENV
        and not key.startswith(("PYTEST", "COV_CORE", "COVERAGE", "UV_SYSTEM"))
    }
    path = [p for p in env.get("PATH", os.defpath).split(os.pathsep) if p != leg_bin]
    env["PATH"] = os.pathsep.join([str(venv / "bin"), *path])
    return env


@dataclass
class HassProcess:
    """`hass -c CONFIG` from a venv, in a process group of its own."""

    venv: Path
    config: Path
    port: int
    skip_pip_packages: tuple[str, ...] = ()
    process: subprocess.Popen[bytes] | None = None
    returncode: int | None = None
    _out: Any = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """The HTTP API's base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        """Home Assistant's log."""
        return self.config / "home-assistant.log"

    def start(self) -> None:
        """Start Home Assistant (it installs missing requirements: no --skip-pip)."""
        command = [str(self.venv / "bin" / "hass"), "-c", str(self.config)]
        if self.skip_pip_packages:
            command += ["--skip-pip-packages", ",".join(self.skip_pip_packages)]
        self._out = (self.config / "hass.out").open("wb")
        self.process = subprocess.Popen(
            command,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            env=hass_environment(self.venv),
            cwd=self.config,
            start_new_session=True,
        )

    def alive(self) -> bool:
        """Whether the process runs."""
        return self.process is not None and self.process.poll() is None

    def terminate(self) -> None:
        """Ask Home Assistant to stop (SIGTERM), as a service manager does."""
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """Kill the whole process group (the installer's children too); idempotent."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
        self.returncode = process.returncode
        if self._out is not None:
            self._out.close()
            self._out = None

    def log_tail(self, lines: int = 80) -> str:
        """The end of the log (and of stdout when the log is missing)."""
        for path in (self.log_file, self.config / "hass.out"):
            if path.is_file() and path.stat().st_size:
                text = path.read_text(errors="replace").splitlines()
                return f"--- {path} (last {lines} lines) ---\n" + "\n".join(
                    text[-lines:]
                )
        return "--- no log written ---"


# The log -------------------------------------------------------------------------

_HEADER: Final = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? (?P<level>[A-Z]+) "
    r"\((?P<thread>[^)]*)\) \[(?P<logger>[^\]]+)\] ?(?P<message>.*)$"
)


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One record of home-assistant.log: its header and continuation lines."""

    level: str
    logger: str
    text: str


def parse_log(text: str) -> list[LogRecord]:
    """Split a Home Assistant log into records (tracebacks stay with their record)."""
    records: list[LogRecord] = []
    current: dict[str, Any] | None = None
    for line in text.splitlines():
        match = _HEADER.match(line)
        if match:
            if current is not None:
                records.append(LogRecord(**current))
            current = {
                "level": match["level"],
                "logger": match["logger"],
                "text": match["message"],
            }
        elif current is not None:
            current["text"] += "\n" + line
    if current is not None:
        records.append(LogRecord(**current))
    return records


def ledger_errors(records: list[LogRecord]) -> list[LogRecord]:
    """Errors logged by EV Ledger, or by anyone about it (a traceback through it)."""
    return [
        record
        for record in records
        if record.level in {"ERROR", "CRITICAL"}
        and (
            record.logger.startswith("custom_components.ev_ledger")
            or "ev_ledger" in record.text
        )
    ]


def blocking_calls(records: list[LogRecord]) -> list[LogRecord]:
    """Home Assistant's reports of a blocking call in the event loop by EV Ledger."""
    return [
        record
        for record in records
        if "detected blocking call" in record.text.lower()
        and "ev_ledger" in record.text
    ]


def installs(records: list[LogRecord]) -> list[str]:
    """What Home Assistant's installer attempted to install (its INFO lines)."""
    prefix = "Attempting install of "
    return [
        record.text.removeprefix(prefix).strip()
        for record in records
        if record.logger == "homeassistant.util.package"
        and record.text.startswith(prefix)
    ]
