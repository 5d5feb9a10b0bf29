"""Repair issues: only problems the user can act on."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN

ISSUE_SCHEMA_TOO_NEW = "schema_too_new"
ISSUE_DB_UNREACHABLE = "database_unreachable"
ISSUE_DB_DAMAGED = "database_damaged"
ISSUE_DB_FULL = "database_disk_full"
ISSUE_MISSING_ENTITY = "missing_entity"
ISSUE_CHARGING_NEGATIVE = "charging_power_negative"
# Readings below zero while charging before the repair says the sign is reversed.
NEGATIVE_CHARGING_READINGS = 3


def _id(kind: str, entry_id: str, *parts: str) -> str:
    return "_".join((kind, entry_id, *parts))


@callback
def async_schema_too_new(hass: HomeAssistant, entry_id: str, title: str) -> None:
    """The database was migrated by a newer EV Ledger than this one."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        _id(ISSUE_SCHEMA_TOO_NEW, entry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_SCHEMA_TOO_NEW,
        translation_placeholders={"title": title},
    )


@callback
def async_clear_schema_too_new(hass: HomeAssistant, entry_id: str) -> None:
    """The schema is usable again."""
    ir.async_delete_issue(hass, DOMAIN, _id(ISSUE_SCHEMA_TOO_NEW, entry_id))


@callback
def async_db_unreachable(
    hass: HomeAssistant, entry_id: str, title: str, waiting: int, error: str | None
) -> None:
    """The database has been unreachable for a while; records wait in the journal."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        _id(ISSUE_DB_UNREACHABLE, entry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_DB_UNREACHABLE,
        translation_placeholders={
            "title": title,
            "waiting": str(waiting),
            "error": error or "-",
        },
    )


@callback
def async_clear_db_unreachable(hass: HomeAssistant, entry_id: str) -> None:
    """The database is back."""
    ir.async_delete_issue(hass, DOMAIN, _id(ISSUE_DB_UNREACHABLE, entry_id))


@callback
def async_db_damaged(
    hass: HomeAssistant, entry_id: str, title: str, target: str, error: str
) -> None:
    """The embedded database file is damaged; records wait in the journal."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        _id(ISSUE_DB_DAMAGED, entry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_DB_DAMAGED,
        translation_placeholders={"title": title, "target": target, "error": error},
    )


@callback
def async_clear_db_damaged(hass: HomeAssistant, entry_id: str) -> None:
    """The database file is usable again."""
    ir.async_delete_issue(hass, DOMAIN, _id(ISSUE_DB_DAMAGED, entry_id))


@callback
def async_db_full(
    hass: HomeAssistant, entry_id: str, title: str, target: str, waiting: int
) -> None:
    """The database's disk is full; records wait in the journal where it has room."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        _id(ISSUE_DB_FULL, entry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_DB_FULL,
        translation_placeholders={
            "title": title,
            "target": target,
            "waiting": str(waiting),
        },
    )


@callback
def async_clear_db_full(hass: HomeAssistant, entry_id: str) -> None:
    """The database takes writes again."""
    ir.async_delete_issue(hass, DOMAIN, _id(ISSUE_DB_FULL, entry_id))


def missing_entity_issue_id(entry_id: str, subentry_id: str, role: str) -> str:
    """The issue id of a mapped entity that no longer exists."""
    return _id(ISSUE_MISSING_ENTITY, entry_id, subentry_id, role)


@callback
def async_missing_entity(
    hass: HomeAssistant,
    issue_id: str,
    *,
    name: str,
    role: str,
    entity_id: str,
) -> None:
    """A mapped entity no longer exists."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_MISSING_ENTITY,
        translation_placeholders={"name": name, "role": role, "entity_id": entity_id},
    )


def charging_negative_issue_id(entry_id: str, subentry_id: str) -> str:
    """The issue id of a vehicle whose charging power is reported below zero."""
    return _id(ISSUE_CHARGING_NEGATIVE, entry_id, subentry_id)


@callback
def async_charging_negative(
    hass: HomeAssistant, issue_id: str, *, name: str, entity_id: str
) -> None:
    """The car's charging power is reported negative: its readings are refused."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_CHARGING_NEGATIVE,
        translation_placeholders={"name": name, "entity_id": entity_id},
    )


@callback
def async_delete(hass: HomeAssistant, issue_id: str) -> None:
    """Remove an issue that no longer applies."""
    ir.async_delete_issue(hass, DOMAIN, issue_id)
