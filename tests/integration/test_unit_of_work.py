"""Transactions: rollback unless committed, read-only units, and the append-only timeline."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from commsbot.domain.lifecycle import Status
from commsbot.services.ports import UnitOfWork
from commsbot.store.uow import SqlUnitOfWork, unit_of_work_factory
from tests.integration.builders import ONLY_POSTGRES, UowFactory, incident, note, seed


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_leaving_without_commit_writes_nothing(uow_factory: UowFactory, migrated: Engine) -> None:
    with uow_factory() as u:
        u.incidents.add(incident(1))
        u.timeline.append(note(incident(1), "never kept"))

    assert _count(migrated, "incident") == 0
    assert _count(migrated, "timeline") == 0


def test_an_exception_rolls_back_and_propagates(uow_factory: UowFactory, migrated: Engine) -> None:
    def declare_then_fail() -> None:
        with uow_factory() as u:
            u.incidents.add(incident(1))
            raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        declare_then_fail()

    assert _count(migrated, "incident") == 0


def test_changes_after_a_commit_need_another_commit(
    uow_factory: UowFactory, migrated: Engine
) -> None:
    with uow_factory() as u:
        u.incidents.add(incident(1))
        u.commit()
        u.incidents.add(incident(2))

    with uow_factory() as u:
        assert [i.number for i in u.incidents.list()] == [1]


def test_commit_outside_the_with_block_is_refused(migrated: Engine) -> None:
    uow = SqlUnitOfWork(migrated)
    with pytest.raises(RuntimeError, match="outside its with block"):
        uow.commit()


def test_a_unit_of_work_can_be_used_again_after_it_ended(migrated: Engine) -> None:
    uow = SqlUnitOfWork(migrated)
    with uow:
        uow.incidents.add(incident(1))
        uow.commit()
    with uow:
        assert uow.incidents.get("1").number == 1


def test_saving_an_object_read_in_another_unit_of_work_is_refused(
    uow_factory: UowFactory,
) -> None:
    inc, drf = seed(uow_factory)
    assert drf is not None
    with uow_factory() as u:
        with pytest.raises(ValueError, match="was not loaded by this unit of work"):
            u.incidents.save(inc)
        with pytest.raises(ValueError, match="was not loaded by this unit of work"):
            u.drafts.save(drf)


def test_the_factory_makes_fresh_units_that_satisfy_the_port(migrated: Engine) -> None:
    factory = unit_of_work_factory(migrated)
    first, second = factory(), factory()
    assert first is not second
    uow: UnitOfWork = first
    with uow as u:
        u.incidents.add(incident(1))
        u.commit()
    with second as u:
        assert u.incidents.get("INC-1").status is Status.INVESTIGATING


def test_a_read_only_unit_refuses_to_write(uow_factory: UowFactory, migrated: Engine) -> None:
    seed(uow_factory)
    with unit_of_work_factory(migrated, read_only=True)() as u:
        loaded = u.incidents.get("1")
        loaded.title = "changed"
        u.incidents.save(loaded)
        with pytest.raises(RuntimeError, match="read-only"):
            u.commit()


def test_a_read_only_unit_reads_beside_an_open_writer(
    uow_factory: UowFactory, migrated: Engine
) -> None:
    """On SQLite the reader does not queue for the write lock (it would wait 5 s, then fail)."""
    seed(uow_factory)
    reader = unit_of_work_factory(migrated, read_only=True)
    with uow_factory() as writer:
        loaded = writer.incidents.get("1")
        loaded.title = "being changed"
        writer.incidents.save(loaded)
        writer.timeline.append(note(loaded, "flushed, not committed"))
        with reader() as r:
            assert r.incidents.get("1").title == "Incident 1"
        writer.commit()
    with reader() as r:
        assert r.incidents.get("1").title == "being changed"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE timeline SET detail = 'rewritten'",
        "DELETE FROM timeline",
    ],
)
def test_the_database_refuses_to_change_the_timeline(
    uow_factory: UowFactory, migrated: Engine, statement: str
) -> None:
    inc, _ = seed(uow_factory)
    with uow_factory() as u:
        u.timeline.append(note(inc, "what happened"))
        u.commit()

    with pytest.raises(IntegrityError, match="append-only"), migrated.begin() as conn:
        conn.execute(sa.text(statement))

    with uow_factory() as u:
        assert [e.detail for e in u.timeline.for_incident(inc.id)] == ["what happened"]


@ONLY_POSTGRES  # SQLite has no TRUNCATE
def test_postgres_refuses_to_truncate_the_timeline(
    uow_factory: UowFactory, migrated: Engine
) -> None:
    inc, _ = seed(uow_factory)
    with uow_factory() as u:
        u.timeline.append(note(inc, "what happened"))
        u.commit()

    with pytest.raises(IntegrityError, match="append-only"), migrated.begin() as conn:
        conn.execute(sa.text("TRUNCATE timeline"))

    assert _count(migrated, "timeline") == 1
