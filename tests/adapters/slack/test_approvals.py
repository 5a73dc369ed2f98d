"""Approving in Slack: the buttons, the core's refusals, the message once decided."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

from commsbot.domain.model import DraftState
from commsbot.domain.policy import Actor
from commsbot.services import drafts
from tests.adapters.slack.fake_slack import readable
from tests.adapters.slack.scenario import settings, world

APPROVERS = {"approval": {"approvers": ["slack:U0SAM", "slack:U0MAYA"]}}


def buttons(message: dict[str, Any]) -> list[str]:
    return [
        e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]


async def test_approval_request_shows_the_draft_with_its_buttons() -> None:
    async with world() as w:
        await w.command("declare sev1 ChatGPT, API and Sora unavailable | ChatGPT, API, Sora")
        [ts] = await w.post_approval_requests()
        message = w.slack.message("C0APPROVE", ts)
        text = readable(message)
        assert "Approval needed" in text
        assert "We're investigating an issue affecting ChatGPT, API and Sora" in text
        assert buttons(message) == ["commsbot.approve", "commsbot.edit", "commsbot.reject"]
        [draft] = w.data.drafts.values()
        values = {
            e["value"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
        }
        assert values == {f"{draft.id}:1"}
        assert message["metadata"]["event_payload"]["draft_id"] == draft.id


async def test_an_approver_publishes_and_the_message_shows_who_and_when() -> None:
    async with world(settings(**APPROVERS)) as w:
        await w.command("declare sev1 ChatGPT down | ChatGPT")
        [ts] = await w.post_approval_requests()
        await w.restart()  # buttons carry everything: a new process handles them
        response = await w.click("C0APPROVE", ts, "commsbot.approve", user_id="U0SAM")
        assert response.status == 200
        [draft] = w.data.drafts.values()
        assert draft.state is DraftState.PUBLISHED
        assert draft.decided_by == "slack:U0SAM"
        message = w.slack.message("C0APPROVE", ts)
        assert buttons(message) == []
        assert "Approved and published* by <@U0SAM> at <!date^" in readable(message)
        assert "Published update #1 of *INC-1*" in w.last_answer()


async def test_a_non_approver_is_refused_and_nothing_changes() -> None:
    async with world(settings(**APPROVERS)) as w:
        await w.command("declare sev1 ChatGPT down | ChatGPT")
        [ts] = await w.post_approval_requests()
        before = w.slack.message("C0APPROVE", ts)["blocks"]
        await w.click("C0APPROVE", ts, "commsbot.approve", user_id="U0ALEX")
        [draft] = w.data.drafts.values()
        assert draft.state is DraftState.PENDING
        assert not w.data.updates
        assert w.slack.to("chat.update") == []
        assert w.slack.message("C0APPROVE", ts)["blocks"] == before
        refusal = w.slack.responses[-1]
        assert refusal["response_type"] == "ephemeral"
        assert refusal["replace_original"] is False
        assert "alex may not approve draft" in w.last_answer()
        assert "approvers are <@U0MAYA>, <@U0SAM>" in w.last_answer()


async def test_the_author_cannot_approve_their_own_draft() -> None:
    async with world(settings(**APPROVERS)) as w:
        await w.command("declare sev1 ChatGPT down | ChatGPT", user_id="U0MAYA")
        [ts] = await w.post_approval_requests()
        await w.click("C0APPROVE", ts, "commsbot.approve", user_id="U0MAYA")
        assert not w.data.updates
        assert w.slack.to("chat.update") == []
        assert "maya may not approve draft" in w.last_answer()
        assert "someone else must read and approve" in w.last_answer()


async def test_approving_a_stale_version_is_refused_and_the_old_message_is_superseded() -> None:
    async with world() as w:
        await w.command("declare sev1 ChatGPT down | ChatGPT")
        [old] = await w.post_approval_requests()
        [draft] = w.data.drafts.values()
        drafts.edit_draft(
            w.deps, draft_id=draft.id, actor=Actor("slack:U0MAYA"), body="Better words."
        )
        [new] = await w.post_approval_requests()
        assert "Superseded" in readable(w.slack.message("C0APPROVE", old))
        assert buttons(w.slack.message("C0APPROVE", old)) == []
        # A click that raced the edit (the old buttons, still on someone's screen):
        stale = copy.deepcopy(w.slack.message("C0APPROVE", new)["blocks"])
        w.slack.message("C0APPROVE", old)["blocks"] = stale
        for block in w.slack.message("C0APPROVE", old)["blocks"]:
            for element in block.get("elements", []):
                if "value" in element:
                    element["value"] = f"{draft.id}:1"
        await w.click("C0APPROVE", old, "commsbot.approve", user_id="U0SAM")
        assert not w.data.updates
        assert "it was edited and is now at version 2" in w.last_answer()
        await w.click("C0APPROVE", new, "commsbot.approve", user_id="U0SAM")
        [update] = w.data.updates.values()
        assert update.body == "Better words."


async def test_an_approver_who_edits_in_the_form_cannot_approve_their_edit() -> None:
    async with world(settings(**APPROVERS)) as w:
        await w.command("declare sev1 ChatGPT down | ChatGPT", user_id="U0MAYA")
        [ts] = await w.post_approval_requests()
        await w.click("C0APPROVE", ts, "commsbot.edit", user_id="U0SAM")
        view = w.last_view()
        body = next(b for b in view["blocks"] if b.get("block_id", "").startswith("body:"))
        await w.submit(
            view["id"],
            {body["block_id"]: "ChatGPT errors; we're on it. Next update by {next_update_by}."},
            user_id="U0SAM",
        )
        [new] = await w.post_approval_requests()

        await w.click("C0APPROVE", new, "commsbot.approve", user_id="U0SAM")
        assert not w.data.updates
        assert "sam may not approve draft" in w.last_answer()
        assert "made its last change" in w.last_answer()
        [draft] = w.data.drafts.values()
        assert (draft.version, draft.last_editor) == (2, "slack:U0SAM")
        assert buttons(w.slack.message("C0APPROVE", new)) == [
            "commsbot.approve",
            "commsbot.edit",
            "commsbot.reject",
        ]

        await w.click("C0APPROVE", new, "commsbot.approve", user_id="U0MAYA")
        [update] = w.data.updates.values()
        assert update.authors == ("slack:U0MAYA", "slack:U0SAM")
        assert update.approver == "slack:U0MAYA"
        assert update.body == "ChatGPT errors; we're on it. Next update by 3:46 PM PST."
        assert update.next_update_by == draft.next_update_by
        # The form showed the text as written, the promised time as its placeholder.
        assert "{next_update_by}" in body["element"]["initial_value"]


async def test_the_edit_forms_next_update_field_changes_the_promise_and_its_text() -> None:
    async with world(settings(**APPROVERS)) as w:
        await w.command("declare sev1 ChatGPT down | ChatGPT", user_id="U0MAYA")
        [ts] = await w.post_approval_requests()
        await w.click("C0APPROVE", ts, "commsbot.edit", user_id="U0MAYA")
        view = w.last_view()
        field = next(b for b in view["blocks"] if b.get("block_id") == "next_update")
        assert "Now: 3:46 PM PST" in field["hint"]["text"]
        response = await w.submit(view["id"], {"next_update": "yesterday"}, user_id="U0MAYA")
        errors = json.loads(response.body)["errors"]
        assert "is not a next update time" in errors["next_update"]
        await w.submit(view["id"], {"next_update": "1h"}, user_id="U0MAYA")
        [draft] = w.data.drafts.values()
        assert draft.version == 2
        assert draft.body.endswith("We'll post an update by 4:16 PM PST.")


def test_an_approval_that_would_notify_subscribers_offers_to_approve_without_notifying() -> None:
    from adapters.slack import render
    from commsbot.delivery.ports import Notice

    notice = Notice(
        kind="approval_requested",
        incident_id="i1",
        incident_ref="INC-1",
        text="Approving it notifies 1,204 subscribers by email or webhook.",
        draft_id="d1",
        draft_version=2,
        subscribers=1204,
    )
    with_subscribers = render.approval_request(notice).blocks
    assert buttons({"blocks": with_subscribers}) == [
        "commsbot.approve",
        "commsbot.approve_quiet",
        "commsbot.edit",
        "commsbot.reject",
    ]
    none = render.approval_request(replace(notice, subscribers=0)).blocks
    assert "commsbot.approve_quiet" not in buttons({"blocks": none})


async def test_approve_without_notifying_subscribers_publishes_quietly() -> None:
    async with world(settings(**APPROVERS)) as w:
        await w.command("declare sev1 ChatGPT down | ChatGPT")
        [ts] = await w.post_approval_requests()
        # Subscriptions are off in this world, so the button is added as a subscriber
        # count above 0 would have rendered it.
        message = w.slack.message("C0APPROVE", ts)
        controls = next(b for b in message["blocks"] if b["type"] == "actions")
        quiet = copy.deepcopy(controls["elements"][0])
        quiet.update(action_id="commsbot.approve_quiet", style=None)
        controls["elements"].insert(1, {k: v for k, v in quiet.items() if v is not None})
        await w.click("C0APPROVE", ts, "commsbot.approve_quiet", user_id="U0SAM")
        [update] = w.data.updates.values()
        assert update.deliver_notifications is False
        assert "without notifying subscribers" in readable(w.slack.message("C0APPROVE", ts))
