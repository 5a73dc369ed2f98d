"""The approvals channel: decisions close their requests, reminders, alerts, no duplicates."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from commsbot.delivery.ports import DeliveryFailed, Notice
from commsbot.domain.policy import Actor
from commsbot.reminders.model import ReminderState
from commsbot.services import drafts
from tests.adapters.slack.fake_slack import Failure, readable
from tests.adapters.slack.scenario import world


def controls(message: dict[str, Any]) -> list[str]:
    return [
        e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]


async def test_a_decision_made_elsewhere_closes_the_request_and_tells_its_thread() -> None:
    async with world() as w:
        await w.command("declare sev1 ChatGPT unavailable | ChatGPT")
        [ts] = await w.post_approval_requests()
        [draft] = w.data.drafts.values()
        drafts.approve_draft(w.deps, draft_id=draft.id, actor=Actor("sam"))  # from the CLI
        [decided] = w.notices("draft_decided")
        receipt = await w.notifier().notify(decided)
        request = w.slack.message("C0APPROVE", ts)
        assert controls(request) == []
        assert "sam approved draft" in readable(request)
        [reply] = w.slack.thread("C0APPROVE", ts)
        assert reply["ts"] == receipt.message_id
        assert "<@U0MAYA>" in readable(reply)  # the author hears about it


async def test_a_retried_notice_is_not_posted_twice() -> None:
    async with world() as w:
        await w.command("declare sev1 ChatGPT unavailable")
        [notice] = w.notices("approval_requested")
        notice = replace(notice, key="nid0000000001abcdef")
        notifier = w.notifier()
        w.slack.fail("chat.postMessage", Failure(drop=True))
        with pytest.raises(DeliveryFailed) as failed:
            await notifier.notify(notice)
        assert failed.value.ambiguous
        first = await notifier.notify(replace(notice, maybe_sent=True))
        assert len(w.slack.top_level("C0APPROVE")) == 1
        assert first.message_id == w.slack.top_level("C0APPROVE")[0]["ts"]


async def test_a_reminder_has_its_controls_and_snooze_and_cancel_work() -> None:
    async with world() as w:
        await w.command("declare sev1 ChatGPT unavailable | ChatGPT")
        [reminder] = w.data.reminders.values()  # "approval waiting", planned with the draft
        [draft] = w.data.drafts.values()
        nudge = Notice(
            kind="reminder",
            incident_id=reminder.incident_id,
            incident_ref="INC-1",
            text="INC-1: draft waiting for approval for 5 min",
            draft_id=draft.id,
            draft_version=draft.version,
            reminder_id=reminder.id,
            audience=("slack-group:S0COMMS",),
        )
        receipt = await w.notifier().notify(nudge)
        ts = str(receipt.message_id)
        message = w.slack.message("C0APPROVE", ts)
        assert controls(message) == [
            "commsbot.approve",
            "commsbot.reject",
            "commsbot.reminder.snooze",
            "commsbot.reminder.cancel",
        ]
        assert "<!subteam^S0COMMS>" in readable(message)
        await w.click(
            "C0APPROVE",
            ts,
            "commsbot.reminder.snooze",
            user_id="U0SAM",
            selected=f"{reminder.id}:30",
        )
        assert w.data.reminders[reminder.id].snoozed_by == "slack:U0SAM"
        assert controls(w.slack.message("C0APPROVE", ts)) == []
        assert "Snoozed for 30 min by <@U0SAM>" in readable(w.slack.message("C0APPROVE", ts))
        receipt = await w.notifier().notify(nudge)
        ts = str(receipt.message_id)
        await w.click("C0APPROVE", ts, "commsbot.reminder.cancel", user_id="U0SAM")
        assert w.data.reminders[reminder.id].state is ReminderState.CANCELLED
        assert "Reminder cancelled by <@U0SAM>" in readable(w.slack.message("C0APPROVE", ts))


async def test_a_next_update_reminder_offers_to_draft_the_update() -> None:
    async with world() as w:
        await w.command("declare sev1 ChatGPT unavailable | ChatGPT")
        [incident] = w.data.incidents.values()
        due = Notice(
            kind="reminder",
            incident_id=incident.id,
            incident_ref="INC-1",
            text="INC-1: the next update was promised by 3:46 PM PST",
            reminder_id="r0000000001",
        )
        ts = str((await w.notifier().notify(due)).message_id)
        assert controls(w.slack.message("C0APPROVE", ts))[0] == "commsbot.reminder.draft"
        await w.click("C0APPROVE", ts, "commsbot.reminder.draft", user_id="U0MAYA")
        view = w.last_view()
        assert view["callback_id"] == "commsbot.update"
        assert "INC-1 · ChatGPT unavailable" in readable(view)


async def test_a_dead_delivery_is_reported_as_it_is() -> None:
    async with world() as w:
        dead = Notice(
            kind="delivery_dead",
            incident_id="i1",
            incident_ref="INC-1",
            text="Update #2 of INC-1 could not reach status-webhook <https://x|y> after 24 h",
        )
        ts = str((await w.notifier().notify(dead)).message_id)
        text = readable(w.slack.message("C0APPROVE", ts))
        assert ":rotating_light:" in text
        assert "y (https://x)" in text  # a masked link shows where it goes
        assert controls(w.slack.message("C0APPROVE", ts)) == []
