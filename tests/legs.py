"""Which test leg is running: `oldest` (.venv, scripts/setup) or `newest` (scripts/newest)."""

from __future__ import annotations

import os

import pytest

LEG = os.environ.get("EV_LEDGER_LEG", "oldest")
ON_NEWEST = LEG == "newest"

# The README's commands name the development environment, .venv (the oldest leg): they
# are run where that environment is the one running the tests.
readme_commands = pytest.mark.skipif(
    ON_NEWEST, reason="the README's commands use .venv: checked on the oldest leg"
)
