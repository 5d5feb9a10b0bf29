"""The guard that fails a test on a Home Assistant deprecation report naming ev_ledger.

A probe module under a `custom_components/ev_ledger_probe/` path calls Home Assistant's
own `report_usage`, as core does when an integration uses a deprecated API: the report
that Home Assistant logs must be one the guard (tests/conftest.py) recognises.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from tests.conftest import deprecation_reports

if TYPE_CHECKING:
    from pathlib import Path

    from homeassistant.core import HomeAssistant

PROBE = """
from homeassistant.helpers.frame import report_usage


def use_something_deprecated() -> None:
    report_usage(
        "calls `something_old`, which is deprecated; use `something_new` instead",
        breaks_in_ha_version="2099.1.0",
    )
"""


def _probe(tmp_path: Path) -> object:
    folder = tmp_path / "custom_components" / "ev_ledger_probe"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text(PROBE)
    spec = importlib.util.spec_from_file_location(
        "custom_components.ev_ledger_probe", folder / "__init__.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_a_real_report_is_recognised(
    hass: HomeAssistant, tmp_path: Path, reported: list[str]
) -> None:
    probe = _probe(tmp_path)
    probe.use_something_deprecated()  # type: ignore[attr-defined]
    reports = deprecation_reports(reported)
    assert len(reports) == 1, reported
    assert "ev_ledger_probe" in reports[0]
    # The guard would fail this test: take the report out of what it reads again.
    reported.clear()


def test_other_integrations_and_plain_warnings_pass() -> None:
    assert (
        deprecation_reports(
            [
                "Detected that custom integration 'other' calls `x`, which is deprecated",
                "EV Ledger: ev_ledger could not reach the database",
                "Setup of ev_ledger is taking over 10 seconds.",
            ]
        )
        == []
    )
    assert deprecation_reports(
        [
            "SENSOR_X was used from ev_ledger, this is a deprecated constant which "
            "will be removed in HA Core 2099.1"
        ]
    )
