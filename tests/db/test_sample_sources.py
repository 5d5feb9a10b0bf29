"""Samples carry a small source id and a role code (migration 0009).

The writer gives a source its id the first time it stores one of its samples, the
reader gives the source's key back; a role without a code is a quarantined, counted
rejection; a rolled-back batch leaves no id behind that a later batch trusts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import uuid

import pytest
from sqlalchemy import Engine, func, select, text

from custom_components.ev_ledger.db import DbConfig, Reader, Sample, entity_uuid
from custom_components.ev_ledger.db.models import (
    Quarantine,
    Sample as SampleModel,
    SampleRoleName,
    SampleSourceId,
)
from custom_components.ev_ledger.db.sink import write_batch
from custom_components.ev_ledger.db.types import ROLE_CODES, UncodedRoleError, role_code
from custom_components.ev_ledger.logic.model import Role

from .conftest import T0, WriterFactory

START = datetime.fromtimestamp(T0, UTC)
SOURCES = [f"vehicle-{n}" for n in range(30)] + [str(uuid.UUID(int=n)) for n in (1, 2)]


def test_every_role_the_integration_stores_has_a_code() -> None:
    assert {role.value for role in Role} <= set(ROLE_CODES)
    assert len(set(ROLE_CODES)) == len(ROLE_CODES)
    with pytest.raises(UncodedRoleError):
        role_code("some_future_role")


def count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_many_sources_round_trip(
    migrated: DbConfig, engine: Engine, make_writer: WriterFactory
) -> None:
    roles = [role.value for role in Role]
    samples = [
        Sample(
            source,
            roles[(n * 7 + i) % len(roles)],
            T0 + i * 2.5 + n / 64,
            None if i % 9 == 0 else n * 1000 + i / 4,
            "home" if i % 9 == 0 else None,
            i % 3,
            52.5 if i % 9 == 0 else None,
            13.25 if i % 9 == 0 else None,
        )
        for n, source in enumerate(SOURCES)
        for i in range(200)
    ]
    writer = make_writer(migrated)
    # In several batches, each source's samples in more than one of them.
    for first in range(0, len(samples), 1700):
        writer.enqueue_samples(samples[first : first + 1700][::-1])
    writer.synced().result(30)
    assert writer.health().quarantined == 0
    assert count(engine, SampleSourceId) == len(SOURCES)
    assert count(engine, SampleModel) == len(samples)

    reader = Reader(migrated)
    try:
        end = START + timedelta(days=1)
        got = reader.samples_of(SOURCES, START, end)
        assert sorted(got) == sorted(samples)
        one = reader.samples(SOURCES[5], START, end)
        assert one == sorted(
            (s for s in samples if s.source_id == SOURCES[5]),
            key=lambda s: (s.ts, s.seq, ROLE_CODES.index(s.role)),
        )
        assert reader.samples(SOURCES[5], START, end, roles=["odometer"]) == [
            s for s in one if s.role == "odometer"
        ]
        assert reader.samples(SOURCES[5], START, end, roles=["no_code"]) == []
        assert reader.samples("never-stored", START, end) == []
        assert reader.samples_of(["never-stored"], START, end) == []
        assert reader.folded_until(["never-stored"]) is None
    finally:
        reader.close()


def test_a_role_without_a_code_is_quarantined_and_counted(
    migrated: DbConfig, engine: Engine, make_writer: WriterFactory
) -> None:
    writer = make_writer(migrated, commit_interval=60)
    good = [Sample("vehicle-1", "odometer", T0 + i, 100.0 + i) for i in range(50)]
    odd = Sample("vehicle-1", "some_future_role", T0 + 7, 1.0)
    writer.enqueue_samples([*good[:20], odd, *good[20:]])
    writer.synced().result(10)
    health = writer.health()
    assert health.quarantined == 1
    assert "some_future_role" in (health.last_error or "")
    assert count(engine, SampleModel) == len(good)
    with engine.connect() as conn:
        kept = conn.execute(select(Quarantine.kind, Quarantine.payload)).all()
    assert [(kind, payload[0][:4]) for kind, payload in kept] == [
        ("samples", ["vehicle-1", "some_future_role", T0 + 7, 1.0])
    ]


def test_a_rolled_back_batch_leaves_no_source_behind(engine: Engine) -> None:
    with engine.connect() as conn:
        transaction = conn.begin()
        write_batch(conn, [("samples", [["vehicle-a", "odometer", T0, 1.0]])])
        transaction.rollback()
    with engine.begin() as conn:
        write_batch(conn, [("samples", [["vehicle-b", "odometer", T0, 2.0]])])
    with engine.begin() as conn:
        write_batch(conn, [("samples", [["vehicle-a", "odometer", T0, 3.0]])])
    assert count(engine, SampleSourceId) == 2
    with engine.connect() as conn:
        rows = conn.execute(
            select(SampleSourceId.source_id, SampleModel.value).join(
                SampleSourceId, SampleSourceId.id == SampleModel.source
            )
        ).all()
    assert sorted(rows) == sorted(
        [(entity_uuid("vehicle-b"), 2.0), (entity_uuid("vehicle-a"), 3.0)]
    )


def test_sample_roles_name_every_code(engine: Engine) -> None:
    """`sample_roles` (migration 0010) is `ROLE_CODES`: a new code needs its row."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(SampleRoleName.code, SampleRoleName.name).order_by(
                SampleRoleName.code
            )
        ).all()
    assert [tuple(row) for row in rows] == list(enumerate(ROLE_CODES))


def test_v_samples_reads_by_name(
    migrated: DbConfig, engine: Engine, make_writer: WriterFactory
) -> None:
    writer = make_writer(migrated)
    writer.enqueue_vehicle("vehicle-1", name="Model 3")
    writer.enqueue_samples(
        [
            Sample("vehicle-1", "charger_power", T0 + 0.25, 11.0),
            Sample("vehicle-1", "location", T0 + 60, None, "home", 0, 52.5, 13.25),
            Sample("site-without-row", "solar_power", T0, 3.5),
        ]
    )
    writer.synced().result(10)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT source_id, source_name, role, ts, value, text, latitude,"
                " longitude, seq FROM v_samples ORDER BY ts"
            )
        ).all()
    car = entity_uuid("vehicle-1")
    site = entity_uuid("site-without-row")
    times: list[object]
    ids: list[object]
    if migrated.backend == "postgresql":
        times = [START, START + timedelta(seconds=0.25), START + timedelta(minutes=1)]
        ids = [site, car, car]
    else:
        times = [
            "2025-04-30 08:00:00.000",
            "2025-04-30 08:00:00.250",
            "2025-04-30 08:01:00.000",
        ]
        ids = [site.hex, car.hex, car.hex]
    assert [tuple(row) for row in rows] == [
        (ids[0], None, "solar_power", times[0], 3.5, None, None, None, 0),
        (ids[1], "Model 3", "charger_power", times[1], 11.0, None, None, None, 0),
        (ids[2], "Model 3", "location", times[2], None, "home", 52.5, 13.25, 0),
    ]
