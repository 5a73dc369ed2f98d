"""Typed text never pings in Slack: only a notice's audience is mentioned."""

from __future__ import annotations

import json

from commsbot.domain.lifecycle import Status
from commsbot.domain.model import Severity
from commsbot.domain.policy import Actor
from commsbot.services import drafts
from commsbot.services.incidents import declare
from tests.adapters.slack.fake_slack import readable
from tests.adapters.slack.scenario import settings, world

#: Every way of writing a mention someone could type into a title, a draft or a reason.
TYPED = (
    "slack:U123 slack-group:S456 <@U1> <!channel> <!here> @everyone @here "
    "discord:1 discord-role:2 <@&2> <@!3>"
)
MAYA = Actor("slack:U0MAYA", display="maya")
SAM = Actor("slack:U0SAM", display="sam")


def team(**approval: object) -> object:
    return settings(
        approval={
            "approvers": ["slack:U0SAM", "slack-group:S0COMMS", "discord:42", "discord-role:43"],
            **approval,
        }
    )


async def test_titles_bodies_and_reasons_never_ping_only_the_audience_does() -> None:
    async with world(team()) as w:  # type: ignore[arg-type]
        declared = declare(
            w.deps,
            title=f"API down {TYPED}",
            severity=Severity.SEV1,
            components={"API": None},
            actor=MAYA,
            body=f"We're investigating. {TYPED}",
        )
        [request_ts] = await w.post_approval_requests()
        drafts.reject_draft(w.deps, draft_id=declared.draft.id, actor=SAM, reason=TYPED)
        second = drafts.propose_update(
            w.deps,
            incident_ref="INC-1",
            status=Status.INVESTIGATING,
            actor=MAYA,
            body=f"Still looking. {TYPED}",
        ).draft
        await w.post_approval_requests()
        drafts.approve_draft(w.deps, draft_id=second.id, actor=SAM)
        for notice in w.notices("draft_decided"):
            await w.notifier().notify(notice)

        pinged = w.slack.pinged()
        # Two approval requests, two settled requests, two decisions in their threads.
        assert len(pinged) == 6
        audience = {"user:U0SAM", "group:S0COMMS"}
        posted = [
            (c.method, (c.args.get("metadata") or {}).get("event_payload", {}).get("kind"))
            for c in w.slack.calls
            if c.method in {"chat.postMessage", "chat.update"}
        ]
        requests = [
            p
            for p, kind in zip(pinged, posted, strict=True)
            if kind == ("chat.postMessage", "approval_requested")
        ]
        assert requests == [audience, audience]
        # Nobody but the audience, ever: not U123, S456, U1, the channel, @everyone …
        assert set().union(*pinged) <= audience | {"user:U0MAYA"}
        request = w.slack.message("C0APPROVE", request_ts)
        assert "API down" in readable(request)
        assert "@\u200beveryone" in readable(request)  # shown, harmless, as everywhere
        everything = json.dumps(w.slack.to("chat.postMessage") + w.slack.to("chat.update"))
        assert "@everyone" not in everything
        assert "@here" not in everything
        # The author hears about the rejection (she is its audience), not about her own text.
        decisions = [m for m in w.slack.messages["C0APPROVE"] if m.get("thread_ts")]
        assert all("<@U0MAYA>" in readable(m) for m in decisions if m["ts"] != m["thread_ts"])


async def test_an_approval_request_reads_as_chat_and_skips_its_author() -> None:
    config = settings(
        approval={"allow_self_approval": True, "approvers": ["slack:U0MAYA", "slack:U0SAM"]}
    )
    async with world(config) as w:
        await w.command("declare sev1 ChatGPT unavailable | ChatGPT")  # maya, an approver
        [ts] = await w.post_approval_requests()
        request = w.slack.message("C0APPROVE", ts)
        text = readable(request)
        assert w.slack.pinged() == [{"user:U0SAM"}]  # not maya, who wrote it
        assert "commsbot update" not in text  # no command-line instructions in chat
        assert "--as" not in text
        assert "/incident approve" in text  # the chat's own way, next to the buttons
