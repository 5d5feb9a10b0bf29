#!/usr/bin/env python3
"""Build the HACS installable: dist/ev_ledger.zip with the integration at its root.

HACS (zip_release) unpacks the zip into `custom_components/ev_ledger/`, the only folder
a HACS install contains, so the Alembic scripts of the top-level `migrations/` folder
are copied in as `migrations/` (the runtime looks for that packaged copy first).

Usage: scripts/build_artifact.py [--out DIR]   (prints the path of the zip)
"""

from __future__ import annotations

import argparse
from pathlib import Path
import sys
import zipfile

ROOT = Path(__file__).resolve().parents[1]
INTEGRATION = ROOT / "custom_components" / "ev_ledger"
MIGRATIONS = ROOT / "migrations"
SKIP_PARTS = {"__pycache__", ".mypy_cache", ".ruff_cache"}
SKIP_SUFFIXES = {".pyc", ".pyo"}


def _files(folder: Path) -> list[Path]:
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and not SKIP_PARTS.intersection(path.relative_to(folder).parts)
        and path.suffix not in SKIP_SUFFIXES
    )


def build(out_dir: Path) -> Path:
    """Write the zip into `out_dir` and return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "ev_ledger.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in _files(INTEGRATION):
            relative = path.relative_to(INTEGRATION)
            if relative.parts[0] == "migrations":
                continue  # a stale packaged copy: the top-level folder is the source
            archive.write(path, relative.as_posix())
        for path in _files(MIGRATIONS):
            if path.name == "alembic.ini":
                continue  # developer-only; the runtime configures Alembic itself
            archive.write(path, f"migrations/{path.relative_to(MIGRATIONS).as_posix()}")
    return target


def main(argv: list[str]) -> int:
    """Build the artifact from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    print(build(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
