"""An install without the Alembic scripts (the default branch) stops with a clear error.

HACS copies only `custom_components/ev_ledger/` when a user installs the default branch;
the release zip carries the scripts inside that folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
import pytest

from custom_components.ev_ledger.const import EMBEDDED_FILENAME
from custom_components.ev_ledger.db import (
    DbConfig,
    MigrationError,
    MigrationsMissing,
    connect_and_migrate,
    migrate as migrate_module,
)
from custom_components.ev_ledger.db.migrate import script_location

from .conftest import make_entry

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

STRINGS = json.loads(
    (
        Path(__file__).parents[2] / "custom_components" / "ev_ledger" / "strings.json"
    ).read_text()
)


@pytest.fixture
def no_scripts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Point both script folders at empty folders; return the packaged one."""
    packaged = tmp_path / "integration" / "migrations"
    repository = tmp_path / "repository" / "migrations"
    for folder in (packaged, repository):
        folder.mkdir(parents=True)
    monkeypatch.setattr(migrate_module, "PACKAGED", packaged)
    monkeypatch.setattr(migrate_module, "REPOSITORY", repository)
    return packaged


def test_script_location_raises_migrations_missing(no_scripts: Path) -> None:
    """Empty folders (no env.py) are no scripts; the error names the install path."""
    with pytest.raises(MigrationsMissing) as caught:
        script_location()
    assert isinstance(caught.value, MigrationError)  # older handlers still catch it
    assert caught.value.folder == str(no_scripts)
    assert str(no_scripts) in str(caught.value)
    assert "release" in str(caught.value)


def test_missing_scripts_are_found_before_the_database_is_touched(
    no_scripts: Path, tmp_path: Path
) -> None:
    """connect_and_migrate refuses at once: no SQLite file is created."""
    (tmp_path / "config").mkdir()
    config = DbConfig.embedded(tmp_path / "config")
    with pytest.raises(MigrationsMissing):
        connect_and_migrate(config)
    assert list((tmp_path / "config").iterdir()) == []


async def test_setup_fails_with_the_translated_error(
    hass: HomeAssistant, no_scripts: Path, embedded_data: dict[str, Any]
) -> None:
    """The entry stops (no retry) and says to install a release."""
    entry = make_entry(embedded_data)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.error_reason_translation_key == "migrations_missing"
    assert entry.error_reason_translation_placeholders == {"folder": str(no_scripts)}
    template = STRINGS["exceptions"]["migrations_missing"]["message"]
    # Home Assistant drops the final period of translated exception messages.
    assert entry.reason == template.format(folder=no_scripts).rstrip(".")
    assert "release" in entry.reason
    assert "default branch" in entry.reason
    assert not Path(hass.config.path(EMBEDDED_FILENAME)).exists()
