"""Two OS processes, each with its own engine, fire the same due reminders: each fires once.

This is the promise that lets several replicas share one PostgreSQL (SQLite keeps it too: its
writers take turns). Both processes start together and claim in small batches, so their
transactions interleave.
"""

from __future__ import annotations

import multiprocessing
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from commsbot.reminders.model import Reminder, ReminderKind, Repeat
from tests.reminders.store_helpers import T0, declared_and_published, store_deps
from tests.unit.fakes import FakeClock

REMINDERS = 300
FIRE_AT = T0 + timedelta(hours=1)


def _worker(url: str, start: Any, results: Any) -> None:
    from commsbot.services.reminder_firing import fire_due

    deps, engine = store_deps(url, clock=FakeClock(FIRE_AT), migrate=False)
    try:
        start.wait(timeout=60)
        fired: list[str] = []
        for _ in range(3):  # keep asking: a lost claim must not make anything fire twice
            fired += [f.reminder.id for f in fire_due(deps, batch=7)]
        results.put(fired)
    finally:
        engine.dispose()


def test_two_processes_fire_each_reminder_exactly_once(database_url: str) -> None:
    deps, engine = store_deps(database_url, clock=FakeClock(T0))
    try:
        ref = declared_and_published(deps)
        with deps.uow() as uow:
            incident = uow.incidents.get(ref)
            for n in range(REMINDERS):
                uow.reminders.add(
                    Reminder(
                        id=f"race{n:08d}",
                        kind=ReminderKind.FOLLOWUP,
                        incident_id=incident.id,
                        due_at=T0 + timedelta(seconds=n),
                        deadline_at=T0,
                        repeat=Repeat.WORKDAYS,
                        audience=("priya",),
                        text=f"follow-up {n}",
                        created_at=T0,
                        created_by="maya",
                    )
                )
            uow.commit()

        ctx = multiprocessing.get_context("spawn")
        start, results = ctx.Event(), ctx.Queue()
        workers = [ctx.Process(target=_worker, args=(database_url, start, results)) for _ in "ab"]
        for w in workers:
            w.start()
        start.set()
        shares = [results.get(timeout=120) for _ in workers]
        for w in workers:
            w.join(timeout=60)
            assert w.exitcode == 0

        first, second = shares
        everything = {f"race{n:08d}" for n in range(REMINDERS)}
        assert not set(first) & set(second), "a reminder fired in both processes"
        assert len(first) == len(set(first))
        assert len(second) == len(set(second))
        fired_followups = {i for i in first + second if i.startswith("race")}
        assert fired_followups == everything
        with engine.connect() as conn:
            counts = conn.execute(
                sa.text(
                    "SELECT fire_count, count(*) FROM reminder WHERE id LIKE 'race%' GROUP BY 1"
                )
            ).all()
            lines = conn.execute(
                sa.text("SELECT count(*) FROM timeline WHERE action = 'reminded'")
            ).scalar_one()
        assert [tuple(c) for c in counts] == [(1, REMINDERS)]
        assert lines == len(first) + len(second)
    finally:
        engine.dispose()
