"""Each kind of reminder through the use cases, with a clock the test moves (in-memory store).

Times are Los Angeles wall-clock times, as the team sees them; the outage of 11 December 2024
began at 3:16 PM PST.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from commsbot.delivery.ports import Notice
from commsbot.domain.errors import AlreadyDecided, InvalidInput, NotAllowed, NotFound
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import ComponentStatus, Severity
from commsbot.domain.policy import Actor
from commsbot.reminders.model import ReminderKind, ReminderState
from commsbot.services.drafts import approve_draft, edit_draft, propose_update, reject_draft
from commsbot.services.incidents import declare
from commsbot.services.ports import UnitOfWork
from commsbot.services.reminder_firing import fire_due
from commsbot.services.reminders import (
    add_followup,
    cancel_reminder,
    complete_followup,
    list_followups,
    list_reminders,
    snooze_reminder,
)
from commsbot.settings import parse_settings
from tests.unit.fakes import FakeClock, make_deps

LA = ZoneInfo("America/Los_Angeles")
MAYA, SAM, LEE = Actor("maya"), Actor("sam"), Actor("lee")


def la(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LA).astimezone(UTC)


class Bot:
    """The use cases on fakes, a movable clock, and what the outbox received."""

    def __init__(self, start: datetime, **config: Any) -> None:
        settings = parse_settings(
            {
                "timezone": "America/Los_Angeles",
                "approval": {"approvers": ["sam", "lee"]},
                **config,
            }
        )
        self.deps, self.data, self.clock = make_deps(settings, clock=FakeClock(start))
        self.sent: list[Notice] = []

    def _enqueue(self, uow: UnitOfWork, notice: Notice) -> None:
        self.sent.append(notice)

    def at(self, moment: datetime) -> Bot:
        assert moment >= self.clock.current, "time travel goes forward only"
        self.clock.current = moment
        return self

    def fire(self) -> list[Notice]:
        return [f.notice for f in fire_due(self.deps, enqueue=self._enqueue)]

    def declare(self, severity: Severity = Severity.SEV1) -> str:
        result = declare(
            self.deps,
            title="ChatGPT, API and Sora unavailable",
            severity=severity,
            components={"ChatGPT": None},
            actor=MAYA,
        )
        return result.draft.id

    def publish(self, status: Status | None = None, **kwargs: Any) -> None:
        incident = self.data.incidents[next(iter(self.data.incidents))]
        draft = propose_update(
            self.deps,
            incident_ref=incident.ref,
            status=status or incident.status,
            actor=MAYA,
            **kwargs,
        ).draft
        approve_draft(self.deps, draft_id=draft.id, actor=SAM)

    def recover(self) -> None:
        self.publish(Status.RECOVERED, component_changes={"ChatGPT": ComponentStatus.OPERATIONAL})

    def active(self, kind: ReminderKind) -> list[Any]:
        return [r for r in self.data.reminders.values() if r.kind is kind and r.state.active]

    def timeline(self, action: str) -> list[str]:
        return [e.detail for e in self.data.timeline if e.action == action]


def test_the_commander_is_reminded_when_the_promised_update_is_due_then_approvers_too() -> None:
    bot = Bot(la(2024, 12, 11, 15, 16))
    ack = bot.declare()
    bot.at(la(2024, 12, 11, 15, 18))
    published = approve_draft(bot.deps, draft_id=ack, actor=SAM)
    # The reminder keeps the promise the text made when drafted, not approval + cadence.
    assert "We'll post an update by 3:46 PM PST." in published.update.body

    assert bot.at(la(2024, 12, 11, 15, 45)).fire() == []
    [due] = bot.at(la(2024, 12, 11, 15, 46)).fire()
    assert due.kind == "reminder"
    assert due.audience == ("maya",)
    assert due.incident_ref == "INC-1"
    assert "the public update promised by 3:46 PM PST is due now" in due.text
    assert "commsbot" not in due.text  # chat shows its buttons; the hint is for the console
    assert due.hint == "Draft it: commsbot update propose INC-1 --as <you>."
    assert due.reminder_id is not None
    assert bot.fire() == [], "fired once"

    [escalated] = bot.at(la(2024, 12, 11, 16, 1)).fire()  # 15 minutes of grace
    assert escalated.audience == ("maya", "lee", "sam")
    assert "is 15 min overdue; the last was update #1 at 3:18 PM PST" in escalated.text
    assert len(bot.timeline("reminded")) == 2
    assert bot.fire() == []


def test_a_new_published_update_reschedules_the_promise() -> None:
    bot = Bot(la(2024, 12, 11, 15, 16))
    approve_draft(bot.deps, draft_id=bot.declare(), actor=SAM)
    bot.at(la(2024, 12, 11, 15, 40))
    bot.publish(Status.IDENTIFIED)  # next update by 4:10 PM

    assert bot.at(la(2024, 12, 11, 16, 9)).fire() == []  # the 3:46/4:01 ones are done
    [due] = bot.at(la(2024, 12, 11, 16, 10)).fire()
    assert "promised by 4:10 PM PST" in due.text
    kinds = sorted(r.kind.value for r in bot.data.reminders.values() if r.state.active)
    assert kinds == ["update_due", "update_overdue"]


def test_a_pending_draft_is_named_in_the_update_reminder() -> None:
    bot = Bot(la(2024, 12, 11, 15, 16))
    approve_draft(bot.deps, draft_id=bot.declare(), actor=SAM)
    bot.at(la(2024, 12, 11, 15, 30))
    draft = propose_update(
        bot.deps, incident_ref="INC-1", status=Status.IDENTIFIED, actor=MAYA
    ).draft
    [nudge, due] = bot.at(la(2024, 12, 11, 15, 46)).fire()
    assert nudge.draft_id == draft.id
    assert f"Draft {draft.id} (v1, by maya) is waiting for approval" in due.text
    assert f"commsbot update approve {draft.id} --version 1" in (due.hint or "")


def test_a_severity_without_cadence_promises_nothing_to_remind_of() -> None:
    bot = Bot(la(2024, 12, 11, 15, 16))
    approve_draft(bot.deps, draft_id=bot.declare(Severity.SEV4), actor=SAM)
    assert bot.active(ReminderKind.UPDATE_DUE) == []
    assert bot.at(la(2024, 12, 12, 15, 16)).fire() == []


def test_a_waiting_draft_nudges_the_approvers_with_back_off_until_decided() -> None:
    bot = Bot(la(2024, 12, 11, 15, 16))
    ack = bot.declare()
    fired_at = []
    minute = la(2024, 12, 11, 15, 16)
    for _ in range(0, 100):
        minute += timedelta(minutes=1)
        for notice in bot.at(minute).fire():
            assert notice.audience == ("lee", "sam")
            assert notice.draft_id == ack
            assert notice.draft_version == 1
            fired_at.append(int((minute - la(2024, 12, 11, 15, 16)).total_seconds() // 60))
    assert fired_at == [5, 15, 35, 75]  # waits of 5, then 10, 20, 40 minutes
    last = bot.sent[-1].text
    assert f"draft {ack} (v1, investigating, by maya) has waited 1 h 15 min" in last
    assert f"commsbot update approve {ack} --version 1" in (bot.sent[-1].hint or "")
    assert "commsbot" not in last

    # Its "update by 3:46 PM" has passed: the author promises a new time, then Sam approves.
    edit_draft(bot.deps, draft_id=ack, actor=MAYA, next_update="30m")
    approve_draft(bot.deps, draft_id=ack, actor=SAM)
    assert bot.active(ReminderKind.APPROVAL_WAITING) == []
    after = bot.at(minute + timedelta(hours=3)).fire()  # only the update promise is left
    assert [n.draft_id for n in after] == [None, None]
    assert all("promised by" in n.text for n in after)


def test_rejecting_a_draft_stops_its_nudges() -> None:
    bot = Bot(la(2024, 12, 11, 15, 16))
    ack = bot.declare()
    reject_draft(bot.deps, draft_id=ack, actor=SAM, reason="say which products")
    assert bot.at(la(2024, 12, 11, 16, 16)).fire() == []
    [closed] = list(bot.data.reminders.values())
    assert (closed.state, closed.closed_by) == (ReminderState.DONE, "sam")


def test_the_rca_is_due_in_business_days_with_reminders_before_and_when_overdue() -> None:
    bot = Bot(la(2024, 12, 13, 9, 0))  # Friday
    approve_draft(bot.deps, draft_id=bot.declare(), actor=SAM)
    bot.at(la(2024, 12, 13, 10, 0))
    bot.recover()  # due Friday 20 Dec, 5 PM PST: five business days, the weekend skipped
    assert bot.active(ReminderKind.UPDATE_DUE) == []

    assert bot.at(la(2024, 12, 19, 8, 59)).fire() == []
    [soon] = bot.at(la(2024, 12, 19, 9, 0)).fire()
    assert "the root-cause analysis we promised is due Dec 20 5:00 PM PST" in soon.text
    assert soon.hint == "commsbot update propose INC-1 --postmortem --as <you>."
    assert soon.audience == ("maya", "lee", "sam")
    [due] = bot.at(la(2024, 12, 20, 17, 0)).fire()
    assert "is due now" in due.text
    assert bot.at(la(2024, 12, 23, 8, 59)).fire() == []  # not over the weekend
    [overdue] = bot.at(la(2024, 12, 23, 9, 0)).fire()
    assert "is overdue since Dec 20 5:00 PM PST" in overdue.text

    bot.at(la(2024, 12, 23, 11, 0))
    bot.publish(Status.RECOVERED, postmortem=True, body="Root cause: a telemetry service …")
    assert bot.active(ReminderKind.RCA_OVERDUE) == []
    assert bot.at(la(2024, 12, 30, 9, 0)).fire() == []


def test_reopening_withdraws_the_rca_reminders_and_the_next_recovery_plans_them_again() -> None:
    bot = Bot(la(2024, 12, 11, 15, 16))
    approve_draft(bot.deps, draft_id=bot.declare(), actor=SAM)
    bot.at(la(2024, 12, 11, 19, 38))
    bot.recover()
    bot.at(la(2024, 12, 11, 20, 0))
    bot.publish(
        Status.INVESTIGATING,
        reason="errors are back",
        component_changes={"ChatGPT": ComponentStatus.MAJOR_OUTAGE},
    )
    states = sorted(
        r.state.value for r in bot.data.reminders.values() if r.kind is ReminderKind.RCA_OVERDUE
    )
    assert states == ["cancelled"]
    bot.at(la(2024, 12, 11, 21, 0))
    bot.recover()
    assert len(bot.active(ReminderKind.RCA_OVERDUE)) == 1


def test_a_follow_up_reminds_its_owner_from_the_due_date_each_business_day_until_done() -> None:
    bot = Bot(la(2024, 12, 11, 15, 16))
    bot.declare()
    view = add_followup(
        bot.deps,
        incident_ref="INC-1",
        owner="priya",
        due="2024-12-13",
        text="Add a control-plane load test",
        actor=MAYA,
    )
    assert view.reminder.due_at == la(2024, 12, 13, 9, 0)
    assert "follow-up" in [e.action for e in bot.data.timeline]
    [first] = [n for n in bot.at(la(2024, 12, 13, 9, 0)).fire() if n.audience == ("priya",)]
    assert "follow-up for priya, due Dec 13: Add a control-plane load test" in first.text
    assert f"commsbot followup done {view.reminder.id}" in (first.hint or "")
    assert [n for n in bot.at(la(2024, 12, 16, 9, 0)).fire() if n.reminder_id == view.reminder.id]

    assert [f.reminder.id for f in list_followups(bot.deps)] == [view.reminder.id]
    complete_followup(bot.deps, followup_id=view.reminder.id, actor=Actor("priya"))
    assert list_followups(bot.deps) == []
    assert [f.reminder.state for f in list_followups(bot.deps, include_done=True)] == [
        ReminderState.DONE
    ]
    assert not [n for n in bot.at(la(2024, 12, 17, 9, 0)).fire() if n.audience == ("priya",)]
    assert bot.timeline("follow-up done")
    with pytest.raises(AlreadyDecided, match="already done by priya"):
        complete_followup(bot.deps, followup_id=view.reminder.id, actor=MAYA)


def test_follow_ups_refuse_what_cannot_be_right() -> None:
    bot = Bot(la(2024, 12, 11, 15, 16))
    bot.declare()
    with pytest.raises(InvalidInput, match="owner 'two people'"):
        add_followup(
            bot.deps, incident_ref="INC-1", owner="two people", due="3d", text="x", actor=MAYA
        )
    with pytest.raises(InvalidInput, match="in the past"):
        add_followup(
            bot.deps, incident_ref="INC-1", owner="priya", due="2024-12-01", text="x", actor=MAYA
        )
    with pytest.raises(NotFound):
        add_followup(bot.deps, incident_ref="INC-9", owner="priya", due="3d", text="x", actor=MAYA)
    [nudge] = bot.active(ReminderKind.APPROVAL_WAITING)
    with pytest.raises(InvalidInput, match="not a follow-up"):
        complete_followup(bot.deps, followup_id=nudge.id, actor=MAYA)
    assert [r.kind for r in bot.data.reminders.values()] == [ReminderKind.APPROVAL_WAITING]


def test_snoozing_moves_the_reminder_and_re_arms_a_fired_one_and_is_on_the_timeline() -> None:
    bot = Bot(la(2024, 12, 11, 15, 16), reminders={"escalate_after_minutes": None})
    approve_draft(bot.deps, draft_id=bot.declare(), actor=SAM)
    [due] = bot.at(la(2024, 12, 11, 15, 46)).fire()
    assert due.reminder_id is not None

    snoozed = snooze_reminder(
        bot.deps, reminder_id=due.reminder_id, duration=timedelta(minutes=10), actor=MAYA
    )
    assert snoozed.reminder.due_at == la(2024, 12, 11, 15, 56)
    assert bot.timeline("snoozed") == [
        f"next update due reminder {due.reminder_id} until Dec 11 3:56 PM PST"
    ]
    assert bot.at(la(2024, 12, 11, 15, 55)).fire() == []
    [again] = bot.at(la(2024, 12, 11, 15, 56)).fire()
    assert again.reminder_id == due.reminder_id
    assert "is 10 min overdue" in again.text


def test_a_cancelled_reminder_never_fires_and_cancelling_is_on_the_timeline() -> None:
    bot = Bot(la(2024, 12, 11, 15, 16))
    ack = bot.declare()
    [nudge] = bot.active(ReminderKind.APPROVAL_WAITING)
    cancel_reminder(bot.deps, reminder_id=nudge.id, actor=SAM, reason="reviewing it now")
    assert bot.at(la(2024, 12, 11, 17, 0)).fire() == []
    assert bot.timeline("reminder cancelled") == [
        f"approval waiting reminder {nudge.id}: reviewing it now"
    ]
    with pytest.raises(AlreadyDecided, match=r"cannot snooze reminder .* already cancelled by sam"):
        snooze_reminder(bot.deps, reminder_id=nudge.id, duration=timedelta(hours=1), actor=MAYA)
    assert [v.reminder.id for v in list_reminders(bot.deps)] == []
    assert [v.reminder.draft_id for v in list_reminders(bot.deps, include_closed=True)] == [ack]


def test_only_responders_may_snooze_or_cancel_and_they_change_nothing() -> None:
    bot = Bot(la(2024, 12, 11, 15, 16), approval={"approvers": [], "responders": ["maya"]})
    bot.declare()
    [nudge] = bot.active(ReminderKind.APPROVAL_WAITING)
    with pytest.raises(NotAllowed, match="mallory may not snooze a reminder"):
        snooze_reminder(
            bot.deps, reminder_id=nudge.id, duration=timedelta(hours=1), actor=Actor("mallory")
        )
    with pytest.raises(NotAllowed, match="mallory may not cancel a reminder"):
        cancel_reminder(bot.deps, reminder_id=nudge.id, actor=Actor("mallory"))
    assert bot.data.reminders[nudge.id] == nudge
    with pytest.raises(NotFound):
        cancel_reminder(bot.deps, reminder_id="nosuchremind", actor=MAYA)


def test_update_due_across_the_november_dst_change_fires_after_real_minutes() -> None:
    # 2 November 2025: at 2:00 AM PDT clocks go back to 1:00 AM PST.
    bot = Bot(datetime(2025, 11, 2, 8, 40, tzinfo=UTC))  # 1:40 AM PDT
    ack = bot.declare()
    bot.at(datetime(2025, 11, 2, 8, 41, tzinfo=UTC))
    approve_draft(bot.deps, draft_id=ack, actor=SAM)
    assert bot.at(datetime(2025, 11, 2, 9, 9, tzinfo=UTC)).fire() == []
    [due] = bot.at(datetime(2025, 11, 2, 9, 10, tzinfo=UTC)).fire()  # 30 real minutes later
    assert "promised by 1:10 AM PST is due now" in due.text


def test_update_due_across_the_march_dst_change_fires_after_real_minutes() -> None:
    # 9 March 2025: at 2:00 AM PST clocks jump to 3:00 AM PDT.
    bot = Bot(datetime(2025, 3, 9, 9, 50, tzinfo=UTC))  # 1:50 AM PST
    ack = bot.declare()
    bot.at(datetime(2025, 3, 9, 9, 51, tzinfo=UTC))
    approve_draft(bot.deps, draft_id=ack, actor=SAM)
    assert bot.at(datetime(2025, 3, 9, 10, 19, tzinfo=UTC)).fire() == []
    [due] = bot.at(datetime(2025, 3, 9, 10, 20, tzinfo=UTC)).fire()
    assert "promised by 3:20 AM PDT is due now" in due.text


def test_a_reminder_due_long_ago_fires_once_not_once_per_missed_period() -> None:
    bot = Bot(la(2024, 12, 11, 15, 16))
    bot.declare()
    # Nobody ran the bot for two days: the approval nudge fires once, then waits its step.
    fired = bot.at(la(2024, 12, 13, 15, 16)).fire()
    assert [n.draft_id is not None for n in fired] == [True]
    assert bot.fire() == []
    [nudge] = bot.active(ReminderKind.APPROVAL_WAITING)
    assert nudge.due_at == la(2024, 12, 13, 15, 26)
    assert nudge.fire_count == 1


def test_a_failing_outbox_leaves_the_reminder_due_and_the_timeline_untouched() -> None:
    bot = Bot(la(2024, 12, 11, 15, 16))
    bot.declare()

    def broken(uow: UnitOfWork, notice: Notice) -> None:
        raise RuntimeError("outbox unavailable")

    bot.at(la(2024, 12, 11, 15, 21))
    assert fire_due(bot.deps, enqueue=broken) == []
    [nudge] = bot.active(ReminderKind.APPROVAL_WAITING)
    assert (nudge.state, nudge.fire_count) == (ReminderState.PENDING, 0)
    assert bot.timeline("reminded") == []
    assert len(bot.fire()) == 1
