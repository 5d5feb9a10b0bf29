"""The release workflow: valid for GitHub, and it ships the zip that hacs.json names.

The schema check uses check-jsonschema's vendored GitHub workflow schema (offline).
The workflow's own shell steps (tag check, zip check) run here as they run on GitHub.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
import subprocess
import sys
from typing import Any
import zipfile

from homeassistant.util.yaml import load_yaml_dict
import pytest

ROOT = Path(__file__).parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
HACS = json.loads((ROOT / "hacs.json").read_text())
MANIFEST = json.loads(
    (ROOT / "custom_components" / "ev_ledger" / "manifest.json").read_text()
)
BIN = Path(sys.executable).parent


def _load(path: Path) -> dict[str, Any]:
    workflow: dict[Any, Any] = load_yaml_dict(str(path))
    # YAML 1.1 reads a bare `on` key as True.
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def _steps() -> list[dict[str, Any]]:
    jobs = _load(WORKFLOW)["jobs"]
    return [step for job in jobs.values() for step in job["steps"]]


def _step(name: str) -> dict[str, Any]:
    matches = [step for step in _steps() if step.get("name") == name]
    assert len(matches) == 1, name
    return matches[0]


def _schema_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(BIN / "check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def _plain_env(**extra: str) -> dict[str, str]:
    """The environment without pytest-cov's subprocess hooks: run from a temporary
    folder, a measured child would not find the coverage settings and would write
    statement-only data that cannot be combined with the suite's branch data."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COV_CORE_")}
    return {**env, **extra}


def _run_step(
    step: dict[str, Any], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a `run:` step with bash, as GitHub does (`bash -e {0}`)."""
    path = f"{BIN}{os.pathsep}{os.environ['PATH']}"  # `python` is the test's Python
    return subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=cwd,
        env=_plain_env(PATH=path, **(env or {})),
        capture_output=True,
        text=True,
        check=False,
    )


def test_workflow_matches_githubs_schema() -> None:
    result = _schema_check(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_broken_workflow(tmp_path: Path) -> None:
    """The check itself can fail: a misspelt key is refused."""
    broken = tmp_path / "release.yml"
    broken.write_text(WORKFLOW.read_text().replace("runs-on:", "run-on:"))
    assert broken.read_text() != WORKFLOW.read_text()
    result = _schema_check(broken)
    assert result.returncode != 0
    assert "run-on" in result.stdout + result.stderr


def test_runs_on_pushed_version_tags_and_may_write_releases() -> None:
    workflow = _load(WORKFLOW)
    assert workflow["on"]["push"]["tags"] == ["v*"]
    assert "branches" not in workflow["on"]["push"]
    assert workflow["permissions"] == {"contents": "write"}


def test_sets_up_the_oldest_supported_python() -> None:
    setup = _step("Set up Python")
    assert setup["uses"].startswith("actions/setup-python@")
    assert setup["with"]["python-version"] == "3.13"
    assert _steps()[0]["uses"].startswith("actions/checkout@")


def test_builds_with_the_artifact_script() -> None:
    build = _step("Build ev_ledger.zip")
    assert build["run"].split() == [
        "python",
        "scripts/build_artifact.py",
        "--out",
        "dist",
    ]
    assert (ROOT / "scripts" / "build_artifact.py").is_file()


def test_uploads_the_zip_hacs_installs() -> None:
    upload = _step("Upload the release asset")
    assert upload["uses"].startswith("softprops/action-gh-release@")
    assert upload["with"]["files"] == f"dist/{HACS['filename']}"
    assert upload["with"]["fail_on_unmatched_files"] is True
    names = [step.get("name") for step in _steps()]
    assert names.index("Build ev_ledger.zip") < names.index("Upload the release asset")
    assert names.index("Check that the tag matches manifest.json") < names.index(
        "Upload the release asset"
    )


@pytest.mark.parametrize(
    ("tag", "accepted"),
    [
        (f"v{MANIFEST['version']}", True),
        (MANIFEST["version"], False),  # without the v
        (f"v{MANIFEST['version']}.1", False),
        ("v99.0.0", False),
    ],
)
def test_tag_must_match_the_manifest_version(tag: str, accepted: bool) -> None:
    result = _run_step(
        _step("Check that the tag matches manifest.json"),
        ROOT,
        {"GITHUB_REF_NAME": tag},
    )
    assert (result.returncode == 0) is accepted, result.stdout + result.stderr
    if not accepted:
        assert f"does not match manifest.json version {MANIFEST['version']}" in (
            result.stdout
        )


def test_zip_check_finds_the_migrations(tmp_path: Path) -> None:
    """The built zip passes the workflow's check; a zip without migrations fails it."""
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_artifact.py"), "--out", "dist"],
        cwd=tmp_path,
        env=_plain_env(),
        check=True,
        capture_output=True,
    )
    check = _step("Check that the zip carries the migrations")
    result = _run_step(check, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr

    built = tmp_path / "dist" / "ev_ledger.zip"
    with zipfile.ZipFile(built) as source:
        kept = {n: source.read(n) for n in source.namelist() if "migrations/" not in n}
    with zipfile.ZipFile(built, "w") as stripped:
        for name, data in kept.items():
            stripped.writestr(name, data)
    result = _run_step(check, tmp_path)
    assert result.returncode != 0
    assert "migrations/env.py" in result.stderr
