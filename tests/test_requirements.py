"""The manifest's requirements install on the Home Assistant of this test leg.

Home Assistant installs an integration's `requirements` with its own
`homeassistant/package_constraints.txt` as constraints, on the platforms it runs on
(glibc and musl, x86_64 and aarch64), from wheels. So the requirements are resolved here
exactly that way, with the uv that Home Assistant itself installs with, against the
constraints of the Home Assistant installed in this leg: the oldest supported release on
the oldest leg and the newest one on the newest leg. Resolving needs the package index.
"""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys
import tomllib

import homeassistant
from packaging.requirements import Requirement
import pytest

ROOT = Path(__file__).parents[1]
MANIFEST = json.loads(
    (ROOT / "custom_components" / "ev_ledger" / "manifest.json").read_text()
)
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
CONSTRAINTS = Path(homeassistant.__file__).with_name("package_constraints.txt")
PLATFORMS = (
    "x86_64-manylinux_2_28",
    "aarch64-manylinux_2_28",
    "x86_64-unknown-linux-musl",  # the Home Assistant container and OS are Alpine
    "aarch64-unknown-linux-musl",
)
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def core_pins() -> dict[str, str]:
    """The packages Home Assistant pins exactly, by normalised name."""
    pins: dict[str, str] = {}
    for line in CONSTRAINTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        requirement = Requirement(line)
        for spec in requirement.specifier:
            if spec.operator == "==":
                pins[_name(requirement.name)] = spec.version
    return pins


def _name(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def resolve(requirements: list[str], platform: str) -> subprocess.CompletedProcess[str]:
    """Resolve `requirements` as Home Assistant installs them, wheels only."""
    uv = Path(sys.executable).with_name("uv")
    return subprocess.run(
        [
            str(uv),
            "pip",
            "compile",
            "-",
            "--constraint",
            str(CONSTRAINTS),
            "--python-version",
            PYTHON,
            "--python-platform",
            platform,
            "--only-binary",
            ":all:",
            "--no-header",
            "--quiet",
        ],
        input="\n".join(requirements),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_manifest_and_pyproject_ask_for_the_same() -> None:
    assert MANIFEST["requirements"] == PYPROJECT["project"]["dependencies"]


def test_nothing_core_pins_is_pinned_by_us() -> None:
    """A package core pins gets at most a range that core's pin satisfies."""
    pins = core_pins()
    assert "sqlalchemy" in pins  # Home Assistant always brings SQLAlchemy
    for line in MANIFEST["requirements"]:
        requirement = Requirement(line)
        name = _name(requirement.name)
        assert all(spec.operator != "==" for spec in requirement.specifier), line
        if name in pins:
            assert requirement.specifier.contains(pins[name]), (line, pins[name])


def test_our_own_requirements_are_bounded() -> None:
    """What core does not pin gets a lower and an upper bound."""
    pins = core_pins()
    for line in MANIFEST["requirements"]:
        requirement = Requirement(line)
        if _name(requirement.name) in pins:
            continue
        operators = {spec.operator for spec in requirement.specifier}
        assert operators & {">=", ">"}, line
        assert operators & {"<", "<="}, line


@pytest.mark.parametrize("platform", PLATFORMS)
def test_requirements_resolve_under_core_constraints(platform: str) -> None:
    result = resolve(MANIFEST["requirements"], platform)
    assert result.returncode == 0, result.stderr
    resolved = {
        _name(line.split("==", 1)[0].split("[", 1)[0]): line.split("==", 1)[1]
        for line in result.stdout.splitlines()
        if "==" in line and not line.startswith(" ")
    }
    # Core's pins are what gets installed, and every requirement is there.
    for name, version in core_pins().items():
        if name in resolved:
            assert resolved[name] == version, name
    for line in MANIFEST["requirements"]:
        assert _name(Requirement(line).name) in resolved, line


def test_a_pin_against_core_does_not_resolve() -> None:
    """The check above can fail: a pin of SQLAlchemy other than core's is refused,
    as `SQLAlchemy==2.0.39` (our old pin) is on every release since 2025.5."""
    pinned = core_pins()["sqlalchemy"]
    other = "2.0.38" if pinned != "2.0.38" else "2.0.37"
    result = resolve([f"SQLAlchemy=={other}"], PLATFORMS[0])
    assert result.returncode != 0
    assert "unsatisfiable" in result.stderr or "No solution" in result.stderr
