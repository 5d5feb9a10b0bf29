"""What hassfest and HACS would check beyond tests/test_packaging.py.

Neither validator runs offline, so their rules are restated: the manifest keys hassfest
accepts for a custom integration, translations for every raised error, repair issue
and entity (and no strings left over), an icon for every action, the HACS settings that
keep users off the default branch (it lacks the migrations), and the repository files
HACS asks for.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
import hashlib
import importlib
import json
from pathlib import Path
from string import Formatter
from typing import TYPE_CHECKING, Any

from awesomeversion import AwesomeVersion
from homeassistant import exceptions as ha_exceptions
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import __version__ as HA_VERSION
from homeassistant.util.yaml import load_yaml_dict
import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "custom_components" / "ev_ledger"
MANIFEST = json.loads((PACKAGE / "manifest.json").read_text())
HACS = json.loads((ROOT / "hacs.json").read_text())
STRINGS = json.loads((PACKAGE / "strings.json").read_text())
ICONS = json.loads((PACKAGE / "icons.json").read_text())
SERVICES = load_yaml_dict(str(PACKAGE / "services.yaml"))

# hassfest's CUSTOM_INTEGRATION_MANIFEST_SCHEMA (script/hassfest/manifest.py): the
# core schema's keys plus `version` and `import_executor`; any other key is an error.
# `homeassistant` is not one of them: the minimum version belongs in hacs.json.
HASSFEST_MANIFEST_KEYS = {
    "domain",
    "name",
    "integration_type",
    "config_flow",
    "mqtt",
    "zeroconf",
    "ssdp",
    "bluetooth",
    "homekit",
    "dhcp",
    "usb",
    "documentation",
    "issue_tracker",
    "quality_scale",
    "requirements",
    "dependencies",
    "after_dependencies",
    "codeowners",
    "loggers",
    "disabled",
    "iot_class",
    "single_config_entry",
    "version",
    "import_executor",
}

# The verbatim https://www.apache.org/licenses/LICENSE-2.0.txt (pyproject: Apache-2.0).
APACHE_2_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"

# Every Home Assistant error class: raising one shows its message to the user.
HA_ERRORS = {
    name
    for name, value in vars(ha_exceptions).items()
    if isinstance(value, type) and issubclass(value, ha_exceptions.HomeAssistantError)
}


# Manifest and HACS -----------------------------------------------------------------


def test_manifest_has_only_keys_hassfest_accepts() -> None:
    assert set(MANIFEST) - HASSFEST_MANIFEST_KEYS == set()


def test_minimum_home_assistant_is_declared_once_in_hacs_json() -> None:
    """HACS reads the minimum from hacs.json; hassfest refuses it in the manifest."""
    assert "homeassistant" not in MANIFEST
    minimum = AwesomeVersion(HACS["homeassistant"])
    assert minimum.strategy == "CalVer"
    # The tests run on a release the users may have: at or above the minimum.
    assert AwesomeVersion(HA_VERSION) >= minimum


def test_hacs_offers_only_releases() -> None:
    """The default branch lacks the migrations: HACS must install the release zip."""
    assert HACS["hide_default_branch"] is True
    assert HACS["zip_release"] is True
    assert HACS["filename"] == f"{MANIFEST['domain']}.zip"


def test_repository_has_readme_and_license() -> None:
    readme = ROOT / "README.md"
    assert readme.is_file()
    assert readme.read_text().startswith("# ")
    license_text = (ROOT / "LICENSE").read_bytes()
    assert hashlib.sha256(license_text).hexdigest() == APACHE_2_SHA256
    assert 'license = "Apache-2.0"' in (ROOT / "pyproject.toml").read_text()


# Translation keys used in the code --------------------------------------------------


@dataclass(frozen=True)
class KeyUse:
    """A `translation_key=` argument of an error or a repair issue."""

    where: str
    callee: str
    key: str | None  # None: not a literal and not a module constant
    has_domain: bool
    placeholders: frozenset[str] | None  # literal keys; None when not a literal dict
    placeholders_complete: bool  # no `**` spread and not a variable


def _module(path: Path) -> ModuleType:
    relative = path.relative_to(ROOT).with_suffix("")
    return importlib.import_module(".".join(relative.parts))


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _resolve(node: ast.expr, path: Path) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        value = getattr(_module(path), node.id, None)
        return value if isinstance(value, str) else None
    return None


def _placeholders(call: ast.Call) -> tuple[frozenset[str] | None, bool]:
    keywords = {kw.arg: kw.value for kw in call.keywords}
    node = keywords.get("translation_placeholders")
    if node is None:
        return frozenset(), True
    if not isinstance(node, ast.Dict):
        return None, False
    literal = frozenset(
        key.value
        for key in node.keys
        if isinstance(key, ast.Constant) and isinstance(key.value, str)
    )
    return literal, all(key is not None for key in node.keys)


def _key_uses(callees: set[str]) -> Iterator[KeyUse]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.relative_to(PACKAGE).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call) or _callee(node) not in callees:
                continue
            keywords = {kw.arg: kw.value for kw in node.keywords}
            key_node = keywords.get("translation_key")
            placeholders, complete = _placeholders(node)
            yield KeyUse(
                where=f"{path.relative_to(ROOT)}:{node.lineno}",
                callee=str(_callee(node)),
                key=None if key_node is None else _resolve(key_node, path),
                has_domain="translation_domain" in keywords,
                placeholders=placeholders,
                placeholders_complete=complete,
            )


ERROR_USES = list(_key_uses(HA_ERRORS))
ISSUE_USES = list(_key_uses({"async_create_issue"}))


def _fields(message: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(message) if name}


def test_the_code_raises_translated_errors() -> None:
    """The scan finds the raises (an empty scan would pass everything below)."""
    assert len(ERROR_USES) >= 10
    assert {"ConfigEntryError", "ServiceValidationError", "HomeAssistantError"} <= {
        use.callee for use in ERROR_USES
    }


def test_every_raised_error_is_translated() -> None:
    untranslated = [
        use.where for use in ERROR_USES if use.key is None or not use.has_domain
    ]
    assert untranslated == []


def test_every_raised_error_key_has_a_message() -> None:
    exceptions = STRINGS["exceptions"]
    missing = [
        f"{use.where}: {use.key}"
        for use in ERROR_USES
        if use.key not in exceptions or not exceptions[use.key].get("message")
    ]
    assert missing == []


def test_no_exception_message_is_unused() -> None:
    """A message no raise uses is dead (or its raise lost its translation_key)."""
    used = {use.key for use in ERROR_USES}
    assert set(STRINGS["exceptions"]) - used == set()


def test_raised_placeholders_match_the_message() -> None:
    """Each placeholder the code passes is in the message, and all are given."""
    wrong = []
    for use in ERROR_USES:
        if use.key not in STRINGS["exceptions"] or use.placeholders is None:
            continue
        fields = _fields(STRINGS["exceptions"][use.key]["message"])
        given = set(use.placeholders)
        if not given <= fields or (use.placeholders_complete and given != fields):
            wrong.append(f"{use.where}: {use.key} gives {sorted(given)}")
    assert wrong == []


def test_every_repair_issue_is_translated_and_no_issue_string_is_dead() -> None:
    assert ISSUE_USES, "no async_create_issue found"
    issues = STRINGS["issues"]
    missing = [
        f"{use.where}: {use.key}"
        for use in ISSUE_USES
        if use.key not in issues or not issues[use.key].get("title")
    ]
    assert missing == []
    assert set(issues) - {use.key for use in ISSUE_USES} == set()


# Entities ---------------------------------------------------------------------------

ENTITY_PLATFORMS = ("sensor", "event")


def _is_description(value: object) -> bool:
    # Home Assistant's frozen-or-thawed descriptions defeat isinstance in tests.
    return any(cls.__name__ == "EntityDescription" for cls in type(value).__mro__)


def _descriptions(platform: str) -> list[Any]:
    module = importlib.import_module(f"custom_components.ev_ledger.{platform}")
    found: list[Any] = []
    for value in vars(module).values():
        if isinstance(value, tuple | list):
            found += [item for item in value if _is_description(item)]
    return found


@pytest.mark.parametrize("platform", ENTITY_PLATFORMS)
def test_every_entity_has_a_translated_name(platform: str) -> None:
    descriptions = _descriptions(platform)
    assert descriptions, f"no entity descriptions found in {platform}.py"
    strings = STRINGS["entity"].get(platform, {})
    missing = [
        d.key
        for d in descriptions
        if d.translation_key is None
        or not strings.get(d.translation_key, {}).get("name")
    ]
    assert missing == []


@pytest.mark.parametrize("platform", ENTITY_PLATFORMS)
def test_no_entity_string_or_icon_is_dead(platform: str) -> None:
    used = {d.translation_key for d in _descriptions(platform)}
    assert set(STRINGS["entity"].get(platform, {})) - used == set()
    assert set(ICONS["entity"].get(platform, {})) - used == set()


def test_every_enum_state_and_event_type_is_translated() -> None:
    missing = []
    for d in _descriptions("sensor"):
        if d.device_class == SensorDeviceClass.ENUM:
            states = STRINGS["entity"]["sensor"][d.translation_key].get("state", {})
            missing += [f"sensor.{d.key}: {o}" for o in d.options if o not in states]
    for d in _descriptions("event"):
        attributes = STRINGS["entity"]["event"][d.translation_key].get(
            "state_attributes", {}
        )
        states = attributes.get("event_type", {}).get("state", {})
        missing += [f"event.{d.key}: {t}" for t in d.event_types if t not in states]
    assert missing == []


# Actions ----------------------------------------------------------------------------


def test_every_action_has_an_icon_and_every_icon_an_action() -> None:
    icons = ICONS["services"]
    assert set(icons) == set(SERVICES)
    for service, icon in icons.items():
        assert icon["service"].startswith("mdi:"), service
