"""The layering rule: logic/ is pure, db/ knows nothing of Home Assistant."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "custom_components" / "ev_ledger"

FORBIDDEN = {
    "logic": {"homeassistant", "sqlalchemy", "psycopg", "alembic"},
    "db": {"homeassistant"},
}
# The engine must stay deterministic: no clock, no I/O, no randomness.
LOGIC_FORBIDDEN_CALLS = {"now", "utcnow", "time", "monotonic", "open", "random"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (
            node.level > 1 or (node.level == 1 and (node.module or "").startswith("db"))
        ):
            # Relative imports must stay inside the layer or go downwards.
            found.add(f"..{node.module}")
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports(layer: str) -> None:
    files = sorted((PACKAGE / layer).rglob("*.py"))
    assert files, f"{layer}/ has no modules"
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            mod
            for mod in imported_modules(path)
            if mod in FORBIDDEN[layer] or (layer == "logic" and mod.startswith(".."))
        )
        for path in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_logic_reads_no_clock() -> None:
    offenders = [
        f"{path.name}:{node.lineno}"
        for path in sorted((PACKAGE / "logic").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in LOGIC_FORBIDDEN_CALLS
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in {"datetime", "time", "random", "date"}
        )
    ]
    assert offenders == []


def test_checker_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlalchemy\nfrom homeassistant.core import HomeAssistant\n")
    assert imported_modules(bad) == {"sqlalchemy", "homeassistant"}
