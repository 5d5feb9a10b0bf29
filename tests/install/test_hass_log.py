"""The install test's reading of home-assistant.log catches what it must (every leg)."""

from __future__ import annotations

from tests.conftest import deprecation_reports

from .hass_env import blocking_calls, installs, ledger_errors, parse_log

LOG = """\
2026-12-06 04:15:41.579 WARNING (SyncWorker_0) [homeassistant.loader] We found a \
custom integration ev_ledger which has not been tested by Home Assistant.
2026-12-06 04:15:45.291 ERROR (MainThread) [homeassistant.setup] Setup failed for \
'assist_pipeline': Unable to import component: No module named 'pymicro_vad'
2026-12-06 04:15:45.451 INFO (SyncWorker_2) [homeassistant.util.package] Attempting \
install of alembic>=1.15.2,<2
2026-12-06 04:15:45.674 INFO (SyncWorker_2) [homeassistant.util.package] Attempting \
install of psycopg[binary]>=3.2.10,<4
2026-12-06 04:15:50.001 ERROR (MainThread) [custom_components.ev_ledger.runtime] \
Writer stopped: boom
2026-12-06 04:15:51.002 ERROR (MainThread) [homeassistant.core] Error doing job: \
Exception in callback
Traceback (most recent call last):
  File "/config/custom_components/ev_ledger/vehicle_runtime.py", line 1, in tick
ZeroDivisionError: division by zero
2026-12-06 04:15:52.003 WARNING (MainThread) [homeassistant.util.loop] Detected \
blocking call to open with args ('/config/x',) inside the event loop by custom \
integration 'ev_ledger' at custom_components/ev_ledger/runtime.py, line 9: open(p)
2026-12-06 04:15:53.004 WARNING (MainThread) [homeassistant.helpers.frame] Detected \
that custom integration 'ev_ledger' calls async_get_device, which is deprecated. \
This will stop working in Home Assistant 2027.1
2026-12-06 04:15:54.005 DEBUG (MainThread) [custom_components.ev_ledger.runtime] \
An error of the database was retried (not an error record)
"""


def test_records_keep_their_tracebacks() -> None:
    records = parse_log(LOG)
    assert len(records) == 9
    assert records[5].logger == "homeassistant.core"
    assert records[5].text.endswith("ZeroDivisionError: division by zero")


def test_errors_of_the_ledger_and_about_it() -> None:
    errors = ledger_errors(parse_log(LOG))
    assert [(e.logger, e.text.splitlines()[0]) for e in errors] == [
        ("custom_components.ev_ledger.runtime", "Writer stopped: boom"),
        ("homeassistant.core", "Error doing job: Exception in callback"),
    ]


def test_blocking_calls_and_deprecations_of_the_ledger() -> None:
    records = parse_log(LOG)
    assert [r.logger for r in blocking_calls(records)] == ["homeassistant.util.loop"]
    reports = deprecation_reports(r.text for r in records)
    assert len(reports) == 1
    assert "async_get_device" in reports[0]


def test_what_the_installer_attempted() -> None:
    assert installs(parse_log(LOG)) == [
        "alembic>=1.15.2,<2",
        "psycopg[binary]>=3.2.10,<4",
    ]


def test_a_clean_log_has_nothing_to_report() -> None:
    clean = "\n".join(
        line
        for line in LOG.splitlines()
        if "homeassistant.util.package" in line or "homeassistant.setup" in line
    )
    records = parse_log(clean)
    assert ledger_errors(records) == []
    assert blocking_calls(records) == []
    assert deprecation_reports(r.text for r in records) == []
