"""Lost races: optimistic locking, taken numbers, and two approvers at the same instant.

The two databases keep the same promise in different ways. PostgreSQL (READ COMMITTED) lets
both writers read the same version; the loser's UPDATE matches no row and its commit raises
``ConcurrentChange``. SQLite starts every write transaction with ``BEGIN IMMEDIATE``: the
second writer waits for the first, then reads its result, so the domain refuses what is no
longer true (``AlreadyDecided``). Either way exactly one wins and nothing of the loser's is
written.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TypeVar

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from commsbot.domain.errors import AlreadyDecided, ConcurrentChange
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import ComponentStatus, DraftState, Update, publish
from tests.integration.builders import (
    ONLY_POSTGRES,
    ONLY_SQLITE,
    T0,
    UowFactory,
    approve,
    incident,
    make_id,
    note,
    seed,
    show_time,
)

R = TypeVar("R")
LOST = "was changed by someone else at the same moment; nothing was written; reload and try again"


def _race(*jobs: Callable[[], R]) -> list[R | BaseException]:
    """Run ``jobs`` in threads released together; each one's result or exception, in order."""

    def outcome(job: Callable[[], R]) -> R | BaseException:
        try:
            return job()
        except Exception as error:
            return error

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(outcome, jobs, timeout=60))


# On SQLite the second unit of work cannot even read until the first has ended.
@ONLY_POSTGRES
def test_second_commit_of_the_same_draft_raises_and_writes_nothing(uow_factory: UowFactory) -> None:
    inc, drf = seed(uow_factory)
    assert drf is not None
    with uow_factory() as first, uow_factory() as second:
        mine, theirs = first.drafts.get(drf.id), second.drafts.get(drf.id)
        second.timeline.append(note(inc, "the loser's line"))
        mine.edit(
            now=T0,
            editor="carol",
            incident_status=inc.status,
            show_time=show_time,
            body="Edited by the first.",
        )
        first.drafts.save(mine)
        first.commit()

        theirs.reject(actor="bob", reason="too vague", now=T0)
        second.drafts.save(theirs)
        with pytest.raises(ConcurrentChange, match=f"draft {drf.id} {LOST}"):
            second.commit()

    with uow_factory() as u:
        stored = u.drafts.get(drf.id)
        lines = [e.detail for e in u.timeline.for_incident(inc.id)]
    assert (stored.state, stored.version, stored.body) == (
        DraftState.PENDING,
        2,
        "Edited by the first.",
    )
    assert lines == []


# On SQLite the second unit of work cannot even read until the first has ended.
@ONLY_POSTGRES
def test_second_commit_of_the_same_incident_raises_and_writes_nothing(
    uow_factory: UowFactory,
) -> None:
    inc, _ = seed(uow_factory, with_draft=False)
    with uow_factory() as first, uow_factory() as second:
        mine, theirs = first.incidents.get(inc.id), second.incidents.get(inc.id)
        mine.status = Status.IDENTIFIED
        first.incidents.save(mine)
        first.commit()

        theirs.title = "A title nobody will see"
        theirs.components.append("Gemini")
        second.incidents.save(theirs)
        with pytest.raises(ConcurrentChange, match=f"incident INC-1 {LOST}"):
            second.commit()

    with uow_factory() as u:
        stored = u.incidents.get(inc.id)
    assert (stored.status, stored.title, stored.components, stored.version) == (
        Status.IDENTIFIED,
        inc.title,
        inc.components,
        2,
    )


# On SQLite the second unit of work cannot even read until the first has ended.
@ONLY_POSTGRES
def test_second_commit_of_the_same_component_raises_and_writes_nothing(
    uow_factory: UowFactory,
) -> None:
    seed(uow_factory, with_draft=False)
    with uow_factory() as first, uow_factory() as second:
        mine = first.components.get_many(["API"])["API"]
        theirs = second.components.get_many(["API"])["API"]
        mine.status = ComponentStatus.MAJOR_OUTAGE
        first.components.save(mine)
        first.commit()

        theirs.status = ComponentStatus.PARTIAL_OUTAGE
        second.components.save(theirs)
        with pytest.raises(ConcurrentChange, match=f"component 'API' {LOST}"):
            second.commit()

    with uow_factory() as u:
        assert u.components.get_many(["API"])["API"].status is ComponentStatus.MAJOR_OUTAGE


@ONLY_SQLITE
def test_on_sqlite_a_second_writer_waits_and_reads_the_first_ones_write(
    uow_factory: UowFactory,
) -> None:
    inc, drf = seed(uow_factory)
    assert drf is not None
    loaded = threading.Event()

    def first() -> None:
        with uow_factory() as u:
            mine = u.drafts.get(drf.id)
            loaded.set()
            mine.edit(
                now=T0,
                editor="carol",
                incident_status=inc.status,
                show_time=show_time,
                body="Edited by the first.",
            )
            u.drafts.save(mine)
            u.commit()

    def second() -> int:
        assert loaded.wait(30)
        with uow_factory() as u:
            theirs = u.drafts.get(drf.id)  # waits for the first's commit
            theirs.reject(actor="bob", reason="still too vague", now=T0)
            u.drafts.save(theirs)
            u.commit()
            return theirs.version

    assert _race(first, second) == [None, 2]
    with uow_factory() as u:
        stored = u.drafts.get(drf.id)
    assert (stored.state, stored.body) == (DraftState.REJECTED, "Edited by the first.")


def test_a_number_taken_meanwhile_raises_concurrent_change(
    uow_factory: UowFactory, migrated: Engine
) -> None:
    seed(uow_factory, with_draft=False)
    with (
        uow_factory() as u,
        pytest.raises(ConcurrentChange, match="took the same number; nothing was written"),
    ):
        u.incidents.add(incident(2, number=1))

    with migrated.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM incident")).scalar_one() == 1


def test_two_declarations_at_once_get_different_numbers(uow_factory: UowFactory) -> None:
    """What ``declare`` does: take the next number, add, retry on ConcurrentChange."""
    barrier = threading.Barrier(2, timeout=30)

    def declare(n: int) -> int:
        barrier.wait()
        for _ in range(3):
            try:
                with uow_factory() as u:
                    number = u.incidents.next_number()
                    u.incidents.add(incident(n, number=number))
                    u.commit()
                    return number
            except ConcurrentChange:
                continue
        raise AssertionError("three lost races in a row")

    assert sorted(_race(lambda: declare(1), lambda: declare(2))) == [1, 2]  # type: ignore[type-var]


@pytest.mark.parametrize("round_", range(3))
def test_two_approvers_racing_exactly_one_publishes(uow_factory: UowFactory, round_: int) -> None:
    inc, drf = seed(uow_factory)
    assert drf is not None
    barrier = threading.Barrier(2, timeout=30)

    def approver(name: str, n: int) -> Update:
        barrier.wait()
        return approve(uow_factory, drf.id, approver=name, update_id=make_id("upd", n))

    results = _race(lambda: approver("bob", 1), lambda: approver("carol", 2))

    winners = [r for r in results if isinstance(r, Update)]
    losers = [r for r in results if not isinstance(r, Update)]
    assert len(winners) == 1, results
    assert len(losers) == 1, results
    assert isinstance(losers[0], ConcurrentChange | AlreadyDecided), results
    with uow_factory() as u:
        stored_draft = u.drafts.get(drf.id)
        stored_incident = u.incidents.get(inc.id)
        updates = u.updates.for_incident(inc.id)
    assert updates == [winners[0]]
    assert stored_draft.decided_by == winners[0].approver
    assert stored_incident.published_count == 1


# On SQLite the second unit of work cannot even read until the first has ended.
@ONLY_POSTGRES
def test_on_postgres_both_approvers_read_then_the_later_commit_loses(
    uow_factory: UowFactory,
) -> None:
    """Both have read the draft before either writes: the lock alone must stop the second."""
    inc, drf = seed(uow_factory)
    assert drf is not None
    both_loaded = threading.Barrier(2, timeout=30)

    def approver(name: str, n: int) -> Update:
        with uow_factory() as u:
            draft = u.drafts.get(drf.id)
            incident_ = u.incidents.get(draft.incident_id)
            comps = u.components.get_many({*incident_.components, *draft.component_changes})
            both_loaded.wait()
            update = publish(
                incident=incident_,
                draft=draft,
                components=comps,
                approver=name,
                update_id=make_id("upd", n),
                now=T0 + timedelta(minutes=30),
                show_time=show_time,
            )
            u.incidents.save(incident_)
            u.drafts.save(draft)
            for change in update.changes:
                u.components.save(comps[change.name])
            u.updates.add(update)
            u.timeline.append(note(incident_, f"published by {name}"))
            u.commit()
            return update

    results = _race(lambda: approver("bob", 1), lambda: approver("carol", 2))

    winners = [r for r in results if isinstance(r, Update)]
    losers = [r for r in results if isinstance(r, ConcurrentChange)]
    assert (len(winners), len(losers)) == (1, 1), results
    assert "nothing was written" in str(losers[0])
    with uow_factory() as u:
        assert u.updates.for_incident(inc.id) == [winners[0]]
        assert [e.detail for e in u.timeline.for_incident(inc.id)] == [
            f"published by {winners[0].approver}"
        ]
        assert u.incidents.get(inc.id).published_count == 1
