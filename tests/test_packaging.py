"""What HACS and Home Assistant's loader require of a custom integration's files.

The rules are those of hassfest's manifest schema for custom integrations and of the
HACS `hacs.json` schema, restated here (neither validator can run offline).
"""

from __future__ import annotations

import json
from pathlib import Path
import re
import subprocess
import sys
from typing import Any
import zipfile

from homeassistant.util.yaml import load_yaml_dict
from PIL import Image
import pytest

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "custom_components" / "ev_ledger"
MANIFEST = json.loads((PACKAGE / "manifest.json").read_text())
HACS = json.loads((ROOT / "hacs.json").read_text())

IOT_CLASSES = {
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
}
INTEGRATION_TYPES = {
    "device",
    "entity",
    "hardware",
    "helper",
    "hub",
    "service",
    "system",
}
HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "hide_default_branch",
    "country",
    "homeassistant",
    "hacs",
    "persistent_directory",
    "render_readme",
}


def test_manifest_has_what_a_custom_integration_needs() -> None:
    required = {
        "domain",
        "name",
        "codeowners",
        "documentation",
        "issue_tracker",
        "iot_class",
        "integration_type",
        "requirements",
        "version",
        "config_flow",
    }
    assert required <= MANIFEST.keys()
    assert MANIFEST["domain"] == PACKAGE.name
    assert MANIFEST["iot_class"] == "calculated"
    assert MANIFEST["integration_type"] in INTEGRATION_TYPES
    assert MANIFEST["config_flow"] is True
    assert re.fullmatch(r"\d+\.\d+\.\d+", MANIFEST["version"])
    assert all(owner.startswith("@") for owner in MANIFEST["codeowners"])
    for url_key in ("documentation", "issue_tracker"):
        assert MANIFEST[url_key].startswith("https://")


def test_manifest_keys_are_ordered_as_hassfest_wants() -> None:
    keys = list(MANIFEST)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_hacs_json() -> None:
    assert set(HACS) <= HACS_KEYS
    assert HACS["name"]
    assert re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", HACS["homeassistant"])
    if HACS.get("zip_release"):
        assert HACS["filename"] == "ev_ledger.zip"


def test_translations_are_the_strings() -> None:
    """Custom integrations load translations/en.json, not strings.json."""
    strings = json.loads((PACKAGE / "strings.json").read_text())
    english = json.loads((PACKAGE / "translations" / "en.json").read_text())
    assert english == strings
    # References like [%key:common::...%] are only resolved inside core.
    assert "[%key:" not in (PACKAGE / "strings.json").read_text()


SERVICES = load_yaml_dict(str(PACKAGE / "services.yaml"))


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_service_is_translated(service: str) -> None:
    strings = json.loads((PACKAGE / "strings.json").read_text())
    assert service in strings["services"]
    fields = (SERVICES[service] or {}).get("fields", {})
    assert set(fields) <= set(strings["services"][service].get("fields", {}))


def _undescribed(section: dict[str, Any], path: str) -> list[str]:
    missing = []
    for step_id, step in section.get("step", {}).items():
        parts = [(step, f"{path}.{step_id}")] + [
            (sub, f"{path}.{step_id}.{name}")
            for name, sub in step.get("sections", {}).items()
        ]
        for part, where in parts:
            described = part.get("data_description", {})
            missing += [
                f"{where}.{key}" for key in part.get("data", {}) if key not in described
            ]
    return missing


def test_every_config_field_has_a_description() -> None:
    strings = json.loads((PACKAGE / "strings.json").read_text())
    missing = _undescribed(strings["config"], "config")
    for kind, flow in strings["config_subentries"].items():
        missing += _undescribed(flow, kind)
    assert missing == []


def test_quality_scale_lists_every_rule_with_a_status() -> None:
    rules = load_yaml_dict(str(PACKAGE / "quality_scale.yaml"))["rules"]
    for name, rule in rules.items():
        status = rule if isinstance(rule, str) else rule["status"]
        assert status in {"done", "exempt", "todo"}, name
        if status == "exempt":
            assert rule["comment"], f"{name}: exempt needs a reason"


# The file names Home Assistant's brands API looks for in a custom integration's
# brand/ folder, with the size each must have (icons square, logos free).
BRAND_ICONS = {"icon.png": 256, "icon@2x.png": 512}
BRAND_NAMES = {
    f"{dark}{kind}{hdpi}.png"
    for dark in ("", "dark_")
    for kind in ("icon", "logo")
    for hdpi in ("", "@2x")
}


def test_brand_images_ship_with_the_integration() -> None:
    """The icon is in brand/, at the sizes the brand rules ask for, nothing else."""
    brand = PACKAGE / "brand"
    names = {path.name for path in brand.iterdir()}
    assert names <= BRAND_NAMES
    assert BRAND_ICONS.keys() <= names
    for name, size in BRAND_ICONS.items():
        with Image.open(brand / name) as image:
            assert image.format == "PNG"
            assert image.size == (size, size)
            assert image.mode == "RGBA"  # a transparent background


def test_artifact_contains_the_brand_images(tmp_path: Path) -> None:
    """The HACS zip carries brand/ (Home Assistant serves it from the install)."""
    built = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "build_artifact.py"),
            "--out",
            tmp_path,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    with zipfile.ZipFile(built.stdout.strip()) as zipped:
        names = set(zipped.namelist())
    assert {f"brand/{name}" for name in BRAND_ICONS} <= names
    assert "manifest.json" in names
    # The panel and the card, built (tests/test_frontend_bundle.py: fresh).
    assert {
        "frontend/ev-ledger-panel.js",
        "frontend/ev-ledger-card.js",
        "frontend/build-stamp.txt",
    } <= names
