"""The built panel and card are fresh against their sources (issue 13).

The stamp in custom_components/ev_ledger/frontend/build-stamp.txt is the sha256 that
frontend/build.mjs computes over its inputs: each file's path (relative to frontend/)
and bytes, in path order, of src/**, build.mjs and package-lock.json. A source edited
without `npm --prefix frontend run build` fails here. Where the node tools are
installed (scripts/setup), the build is also run into a temporary folder and its
bytes compared with the committed bundle.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
import shutil
import subprocess

import pytest

ROOT = Path(__file__).resolve().parent.parent
FRONTEND = ROOT / "frontend"
BUILT = ROOT / "custom_components" / "ev_ledger" / "frontend"
MODULES = ("ev-ledger-panel.js", "ev-ledger-card.js")


def source_stamp() -> str:
    """The sha256 of the bundle's inputs, as build.mjs computes it."""
    inputs = [p for p in (FRONTEND / "src").rglob("*") if p.is_file()]
    inputs += [FRONTEND / "build.mjs", FRONTEND / "package-lock.json"]
    digest = hashlib.sha256()
    for path in sorted(inputs, key=lambda p: p.relative_to(FRONTEND).as_posix()):
        digest.update(path.relative_to(FRONTEND).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def test_bundle_stamp_matches_the_sources() -> None:
    for name in MODULES:
        assert (BUILT / name).is_file(), f"{name} is not built"
    stamp = (BUILT / "build-stamp.txt").read_text(encoding="utf-8").strip()
    assert stamp == source_stamp(), (
        "The frontend bundle is stale: run npm --prefix frontend run build"
    )


@pytest.mark.skipif(
    not (FRONTEND / "node_modules" / "esbuild").is_dir()
    or shutil.which("node") is None,
    reason="node tools not installed (scripts/setup installs them)",
)
def test_bundle_rebuilds_to_the_same_bytes(tmp_path: Path) -> None:
    subprocess.run(
        ["node", "build.mjs", "--outdir", str(tmp_path)],
        cwd=FRONTEND,
        check=True,
        timeout=120,
    )
    for name in (*MODULES, "build-stamp.txt"):
        assert (tmp_path / name).read_bytes() == (BUILT / name).read_bytes(), name


@pytest.mark.skipif(
    not (FRONTEND / "node_modules" / "vitest").is_dir() or shutil.which("npm") is None,
    reason="node tools not installed (scripts/setup installs them)",
)
def test_frontend_unit_tests() -> None:
    """Vitest: the formatting helpers and the elements against a fake hass."""
    subprocess.run(
        ["npm", "--prefix", str(FRONTEND), "test", "--silent"],
        check=True,
        timeout=300,
    )
