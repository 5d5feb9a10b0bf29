"""Deterministic record ids: replaying the same history yields the same ids."""

from __future__ import annotations

import uuid

NAMESPACE = uuid.UUID("5b0f8f2e-3c55-4a8e-9f1e-6f0d0c8e7a11")


def record_id(vehicle_id: str, kind: str, started_at: float, seq: int = 0) -> str:
    """Return the id of a vehicle's session or trip starting at `started_at`.

    Rounded to the second so that live data and a backfill of the same history (which
    may carry sub-second jitter) produce the same id. `seq` tells apart records of one
    kind that start in the same second (the ledger counts them, deterministically).
    """
    suffix = f"|{seq}" if seq else ""
    return str(
        uuid.uuid5(NAMESPACE, f"{vehicle_id}|{kind}|{round(started_at)}{suffix}")
    )
