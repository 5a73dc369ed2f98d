"""Two OS processes, each with its own engine, keep the same maintenance windows: each window
starts once and ends once (one start notice, one end notice, one delivery of each per
destination), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import multiprocessing
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from commsbot.services.drafts import approve_any_draft
from commsbot.services.maintenance import schedule
from tests.reminders.store_helpers import MAYA, SAM, T0, store_deps
from tests.unit.fakes import FakeClock

WINDOWS = 12
CONFIG: dict[str, Any] = {
    "components": [{"name": f"C{n}"} for n in range(WINDOWS)],
    "maintenance": {"remind_before_hours": [1]},
}
START, END = T0 + timedelta(minutes=10), T0 + timedelta(minutes=40)


def _worker(url: str, at: Any, start: Any, results: Any) -> None:
    from commsbot.services.reminder_firing import fire_due

    deps, engine = store_deps(url, clock=FakeClock(at), migrate=False, **CONFIG)
    try:
        start.wait(timeout=60)
        fired: list[str] = []
        for _ in range(3):  # keep asking: a lost claim must not make anything fire twice
            fired += [f.reminder.kind.value for f in fire_due(deps, batch=3)]
        results.put(fired)
    finally:
        engine.dispose()


def _race(url: str, at: Any) -> list[list[str]]:
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Event(), ctx.Queue()
    workers = [ctx.Process(target=_worker, args=(url, at, start, results)) for _ in "ab"]
    for w in workers:
        w.start()
    start.set()
    shares = [results.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    return shares


def test_two_processes_start_and_end_each_window_once(database_url: str) -> None:
    deps, engine = store_deps(database_url, clock=FakeClock(T0), **CONFIG)
    try:
        for n in range(WINDOWS):
            made = schedule(
                deps,
                title=f"Upgrade {n}",
                start=START.isoformat(),
                end=END.isoformat(),
                components=[f"C{n}"],
                actor=MAYA,
            )
            approve_any_draft(deps, draft_id=made.draft.id, actor=SAM)

        started = _race(database_url, START + timedelta(minutes=5))
        ended = _race(database_url, END + timedelta(minutes=5))

        starts = [k for share in started for k in share if k == "maintenance_start"]
        ends = [k for share in ended for k in share if k == "maintenance_end"]
        assert len(starts) == WINDOWS
        assert len(ends) == WINDOWS
        with engine.connect() as conn:
            notices = conn.execute(
                sa.text("SELECT kind, count(*) FROM maintenance_notice GROUP BY kind ORDER BY kind")
            ).all()
            statuses = conn.execute(sa.text("SELECT DISTINCT status FROM maintenance")).all()
            deliveries = conn.execute(
                sa.text("SELECT count(*), count(DISTINCT key) FROM delivery WHERE kind = :k"),
                {"k": "maintenance"},
            ).one()
        assert [tuple(n) for n in notices] == [
            ("announce", WINDOWS),
            ("complete", WINDOWS),
            ("start", WINDOWS),
        ]
        assert [s[0] for s in statuses] == ["completed"]
        # One destination (the console): one delivery per notice, none twice.
        assert tuple(deliveries) == (3 * WINDOWS, 3 * WINDOWS)
    finally:
        engine.dispose()
