"""The APScheduler wiring in a real event loop: start-up catch-up, next-due wake-ups, wake().

Waits are bounded loops on observable state (ticks, fired reminders), never timing assertions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from commsbot.engines.scheduler import NEXT_DUE_JOB, ReminderScheduler
from commsbot.reminders.model import Reminder, ReminderKind
from commsbot.services.ports import UnitOfWork
from commsbot.services.reminder_firing import Fired, fire_due
from tests.reminders.store_helpers import T0, declared_and_published, store_deps
from tests.unit.fakes import FakeClock


async def _until(condition: Callable[[], bool], *, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the scheduler did not get there in time")


def _run(main: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(main(), timeout=30))


def test_a_restart_fires_what_came_due_during_the_downtime_once(database_url: str) -> None:
    clock = FakeClock(T0)
    deps, engine = store_deps(database_url, clock=clock)
    try:
        declared_and_published(deps)
        clock.advance(hours=3)  # the bot was down while both reminders came due
        fired: list[Fired] = []

        async def main() -> None:
            scheduler = ReminderScheduler(
                deps, enqueue=None, on_fired=fired.extend, poll_seconds=0.05
            )
            await scheduler.start()
            await _until(lambda: scheduler.ticks >= 6)  # start-up tick and safety ticks
            await scheduler.stop()

        _run(main)
        assert sorted(f.reminder.kind.value for f in fired) == ["update_due", "update_overdue"]
        assert {f.fired_at for f in fired} == {T0 + timedelta(hours=3)}
    finally:
        engine.dispose()


class StepClock:
    """Every reading is 10 ms after the one before: time passes while the bot works."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        self.current += timedelta(milliseconds=10)
        return self.current


def test_the_next_due_job_wakes_the_bot_at_each_due_time(database_url: str) -> None:
    clock = FakeClock(T0)
    deps, engine = store_deps(database_url, clock=clock)
    try:
        ref = declared_and_published(deps)  # its update is due at T0 + 30 min
        due = T0 + timedelta(minutes=30)
        with deps.uow() as uow:
            # Due 5 ms after the first: by the time the tick that fired the first re-arms the
            # next-due job, this one is already due, and the job must run although that tick
            # (an instance of the same job) has not returned yet.
            incident_id = uow.incidents.get(ref).id
            uow.reminders.add(
                Reminder(
                    id="closebehind1",
                    kind=ReminderKind.FOLLOWUP,
                    incident_id=incident_id,
                    due_at=due + timedelta(milliseconds=5),
                    audience=("priya",),
                    text="close behind",
                    created_at=T0,
                    created_by="maya",
                )
            )
            uow.commit()
        live = replace(deps, clock=StepClock(due - timedelta(milliseconds=50)))
        fired: list[Fired] = []

        async def main() -> None:
            # The safety tick is an hour away: only the next-due job can fire them.
            scheduler = ReminderScheduler(
                live, enqueue=None, on_fired=fired.extend, poll_seconds=3600
            )
            await scheduler.start()
            await _until(lambda: len(fired) == 2)
            await scheduler.stop()

        _run(main)
        assert [f.reminder.kind.value for f in fired] == ["update_due", "followup"]
        assert all(f.fired_at >= f.due_at for f in fired)
    finally:
        engine.dispose()


def test_wake_fires_at_once_and_rearms_for_the_next_one(database_url: str) -> None:
    clock = FakeClock(T0)
    deps, engine = store_deps(database_url, clock=clock)
    try:
        declared_and_published(deps)
        fired: list[Fired] = []

        async def main() -> None:
            scheduler = ReminderScheduler(
                deps, enqueue=None, on_fired=fired.extend, poll_seconds=3600
            )
            await scheduler.start()
            await _until(lambda: scheduler.ticks == 1)
            assert fired == []
            clock.advance(minutes=30)  # as if a chat button had just snoozed it to now
            scheduler.wake()
            await _until(lambda: bool(fired))
            job = scheduler._scheduler.get_job(NEXT_DUE_JOB)
            assert job is not None  # re-armed for the escalation, 15 minutes on
            remaining = job.next_run_time - datetime.now(UTC)
            assert timedelta(minutes=14) < remaining <= timedelta(minutes=15)
            await scheduler.stop()

        _run(main)
        assert [f.reminder.kind.value for f in fired] == ["update_due"]
    finally:
        engine.dispose()


def test_a_failing_database_is_logged_and_the_scheduler_keeps_going(database_url: str) -> None:
    clock = FakeClock(T0)
    deps, engine = store_deps(database_url, clock=clock)
    try:
        declared_and_published(deps)
        calls = {"n": 0}
        real = deps.uow

        def flaky() -> UnitOfWork:
            calls["n"] += 1
            if calls["n"] == 1:
                raise ConnectionError("database unreachable")
            return real()

        broken = replace(deps, uow=flaky)
        clock.advance(minutes=30)
        fired: list[Fired] = []

        async def main() -> None:
            scheduler = ReminderScheduler(
                broken, enqueue=None, on_fired=fired.extend, poll_seconds=0.05
            )
            await scheduler.start()
            await _until(lambda: bool(fired))
            await scheduler.stop()

        _run(main)
        assert [f.reminder.kind.value for f in fired] == ["update_due"]
    finally:
        engine.dispose()


def test_a_database_outage_is_said_once_without_a_traceback_per_tick(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(T0)
    deps, engine = store_deps(database_url, clock=clock)
    try:
        declared_and_published(deps)
        calls = {"n": 0}
        real = deps.uow

        def down_for_a_while() -> UnitOfWork:
            calls["n"] += 1
            if calls["n"] <= 12:
                raise ConnectionError("connection refused")
            return real()

        def diagnose(exc: BaseException) -> str | None:
            return "connection refused" if isinstance(exc, ConnectionError) else None

        broken = replace(deps, uow=down_for_a_while)
        clock.advance(minutes=30)
        fired: list[Fired] = []

        async def main() -> None:
            scheduler = ReminderScheduler(
                broken, enqueue=None, on_fired=fired.extend, poll_seconds=0.05, diagnose=diagnose
            )
            await scheduler.start()
            await _until(lambda: bool(fired))
            await scheduler.stop()

        with caplog.at_level(logging.INFO, logger="commsbot.reminders"):
            _run(main)
        assert [f.reminder.kind.value for f in fired] == ["update_due"]
        said = [r for r in caplog.records if r.name == "commsbot.reminders"]
        assert [r for r in said if r.levelno >= logging.ERROR or r.exc_info] == []
        assert [r.getMessage() for r in said if "waits" in r.getMessage()] == [
            "reminders waits: connection refused (trying again)"
        ]
        assert sum("works again" in r.getMessage() for r in said) == 1
    finally:
        engine.dispose()


def test_a_reminder_that_cannot_fire_does_not_make_the_scheduler_spin(database_url: str) -> None:
    clock = FakeClock(T0)
    deps, engine = store_deps(database_url, clock=clock)
    try:
        declared_and_published(deps)
        clock.advance(minutes=30)

        def broken(uow: object, notice: object) -> None:
            raise RuntimeError("outbox unavailable")

        async def main() -> None:
            scheduler = ReminderScheduler(deps, enqueue=broken, poll_seconds=3600)
            await scheduler.start()
            await _until(lambda: scheduler.ticks == 1)
            await asyncio.sleep(0.3)
            # It stays due for the safety tick; no busy loop of immediate re-ticks meanwhile.
            assert scheduler.ticks == 1
            assert scheduler._scheduler.get_job(NEXT_DUE_JOB) is None
            await scheduler.stop()

        _run(main)
        # Nothing was half-written: with a working outbox it fires, once.
        assert [f.reminder.kind.value for f in fire_due(deps)] == ["update_due"]
    finally:
        engine.dispose()
