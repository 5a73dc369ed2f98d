"""Reminders on the real store, SQLite and PostgreSQL: claims, restarts, the outbox, listing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from commsbot.domain.errors import NotFound
from commsbot.reminders.model import ReminderKind, ReminderState
from commsbot.services.incidents import show_incident
from commsbot.services.reminder_firing import fire_due, next_due
from commsbot.services.reminder_plans import close
from commsbot.services.reminders import (
    add_followup,
    cancel_reminder,
    list_followups,
    list_reminders,
    snooze_reminder,
)
from tests.reminders.store_helpers import MAYA, SAM, T0, declared_and_published, store_deps
from tests.unit.fakes import FakeClock


def test_a_due_reminder_fires_once_and_lands_on_the_timeline(database_url: str) -> None:
    clock = FakeClock(T0)
    deps, engine = store_deps(database_url, clock=clock)
    try:
        ref = declared_and_published(deps)
        assert next_due(deps) == T0 + timedelta(minutes=30)
        clock.advance(minutes=30)

        [fired] = fire_due(deps)
        assert fired.notice.audience == ("maya",)
        assert fired.reminder.state is ReminderState.FIRED
        assert fire_due(deps) == []

        reminders = {v.reminder.kind: v.reminder for v in list_reminders(deps, incident_ref=ref)}
        assert reminders[ReminderKind.UPDATE_DUE].fire_count == 1
        assert reminders[ReminderKind.UPDATE_DUE].last_fired_at == T0 + timedelta(minutes=30)
        assert next_due(deps) == T0 + timedelta(minutes=45)
        timeline = show_incident(deps, incident_ref=ref).timeline
        [line] = [e for e in timeline if e.action == "reminded"]
        assert line.actor == "commsbot"
        assert line.detail.startswith(f"next update due reminder {fired.reminder.id} (#1) to maya")
    finally:
        engine.dispose()


def test_due_during_downtime_fires_once_after_a_restart(database_url: str) -> None:
    clock = FakeClock(T0)
    first, engine = store_deps(database_url, clock=clock)
    try:
        declared_and_published(first)
    finally:
        engine.dispose()  # the bot stops …
    clock.advance(hours=6)  # … and is down while the update and its escalation come due
    second, engine = store_deps(database_url, clock=clock)
    try:
        fired = fire_due(second)
        assert sorted(f.reminder.kind.value for f in fired) == ["update_due", "update_overdue"]
        assert fire_due(second) == []
        clock.advance(hours=6)
        assert fire_due(second) == []
    finally:
        engine.dispose()


def test_a_claim_on_a_row_changed_since_it_was_read_writes_nothing(database_url: str) -> None:
    clock = FakeClock(T0)
    deps, engine = store_deps(database_url, clock=clock)
    try:
        declared_and_published(deps)
        clock.advance(minutes=30)
        with deps.uow() as uow:
            [seen] = uow.reminders.due(clock.now(), limit=10)
        snooze_reminder(deps, reminder_id=seen.id, duration=timedelta(minutes=5), actor=MAYA)
        fired = seen.fired(now=clock.now(), config=deps.settings.reminders, zone=deps.settings.zone)
        with deps.uow() as uow:
            assert uow.reminders.replace(seen, fired) is False
            uow.commit()
        with deps.read() as uow:
            now = uow.reminders.get(seen.id)
        assert (now.state, now.fire_count, now.snoozed_by) == (ReminderState.PENDING, 0, "maya")
        assert now.version == seen.version + 1
    finally:
        engine.dispose()


def test_snooze_and_cancel_on_the_store(database_url: str) -> None:
    clock = FakeClock(T0)
    deps, engine = store_deps(database_url, clock=clock)
    try:
        ref = declared_and_published(deps)
        [due, overdue] = [v.reminder for v in list_reminders(deps)]
        assert due.kind is ReminderKind.UPDATE_DUE
        snooze_reminder(deps, reminder_id=due.id, duration=timedelta(hours=1), actor=MAYA)
        cancel_reminder(deps, reminder_id=overdue.id, actor=SAM, reason="I am on it")
        assert [v.reminder.id for v in list_reminders(deps)] == [due.id]
        clock.advance(minutes=59)
        assert fire_due(deps) == []
        clock.advance(minutes=1)
        assert [f.reminder.id for f in fire_due(deps)] == [due.id]
        actions = [e.action for e in show_incident(deps, incident_ref=ref).timeline]
        assert actions[-3:] == ["snoozed", "reminder cancelled", "reminded"]
        with pytest.raises(NotFound, match="commsbot reminder list"):
            snooze_reminder(
                deps, reminder_id="nosuchthing0", duration=timedelta(hours=1), actor=MAYA
            )
    finally:
        engine.dispose()


def test_follow_ups_are_listed_apart_from_reminders(database_url: str) -> None:
    clock = FakeClock(T0)
    deps, engine = store_deps(database_url, clock=clock)
    try:
        ref = declared_and_published(deps)
        view = add_followup(
            deps, incident_ref=ref, owner="priya", due="tomorrow", text="Load test", actor=MAYA
        )
        assert [v.reminder.id for v in list_followups(deps, incident_ref=ref)] == [view.reminder.id]
        assert ReminderKind.FOLLOWUP not in {v.reminder.kind for v in list_reminders(deps)}
        assert view.as_dict()["audience"] == ["priya"]
        assert view.as_dict()["due_at"] == "2024-12-12T17:00:00.000Z"  # 9:00 AM PST
    finally:
        engine.dispose()


def test_fired_notices_go_to_the_outbox_in_the_claiming_transaction(database_url: str) -> None:
    from commsbot.services.outbox import enqueue_notice

    clock = FakeClock(T0)
    deps, engine = store_deps(database_url, clock=clock)
    try:
        declared_and_published(deps)
        clock.advance(minutes=30)
        [fired] = fire_due(deps, enqueue=enqueue_notice)
        with deps.read() as uow:
            queued = [n for _, n, _ in uow.queue.unexpanded_notices(limit=100)]
        reminders = [n for n in queued if n.kind == "reminder"]
        assert [n.reminder_id for n in reminders] == [fired.reminder.id]
        assert reminders[0].text == fired.notice.text
    finally:
        engine.dispose()


def test_a_failed_enqueue_rolls_the_claim_back(database_url: str) -> None:
    clock = FakeClock(T0)
    deps, engine = store_deps(database_url, clock=clock)
    try:
        declared_and_published(deps)
        clock.advance(minutes=30)

        def broken(uow: object, notice: object) -> None:
            raise RuntimeError("outbox unavailable")

        assert fire_due(deps, enqueue=broken) == []
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT state, fire_count FROM reminder WHERE kind = 'update_due'")
            ).all()
            reminded = conn.execute(
                sa.text("SELECT count(*) FROM timeline WHERE action = 'reminded'")
            ).scalar_one()
        assert [tuple(r) for r in rows] == [("pending", 0)]
        assert reminded == 0
    finally:
        engine.dispose()


def test_closing_a_reminder_changed_since_it_was_read_still_closes_it(database_url: str) -> None:
    clock = FakeClock(T0)
    deps, engine = store_deps(database_url, clock=clock)
    try:
        declared_and_published(deps)
        with deps.uow() as uow:
            [first, _] = uow.reminders.find()
            later = T0 + timedelta(minutes=5)
            assert uow.reminders.replace(first, first.snoozed(until=later, actor="maya"))
            close(uow, [first], state=ReminderState.DONE, now=T0, actor="sam")  # stale copy
            uow.commit()
        with deps.read() as uow:
            closed = uow.reminders.get(first.id)
        assert (closed.state, closed.closed_by, closed.snoozed_by) == (
            ReminderState.DONE,
            "sam",
            "maya",
        )
    finally:
        engine.dispose()
