"""Typed text never pings in Discord: only a notice's audience is mentioned and allowed."""

from __future__ import annotations

import json
from dataclasses import replace

from commsbot.domain.lifecycle import Status
from commsbot.domain.model import Severity
from commsbot.domain.policy import Actor
from commsbot.services import drafts
from commsbot.services.incidents import declare
from tests.adapters.discord.bot import MAYA_ACTOR, discord_bot, team_settings
from tests.adapters.discord.fake_discord import APPROVALS_CHANNEL
from tests.adapters.discord.helpers import APPROVER_ROLE, MAYA, SAM, run
from tests.unit.fakes import make_deps

TYPED = (
    "slack:U123 slack-group:S456 <@U1> <!channel> @everyone @here "
    f"discord:1 discord-role:2 <@&2> <@!3> <@{MAYA}> <@&{APPROVER_ROLE}>"
)
SAM_ACTOR = Actor(f"discord:{SAM}", frozenset({f"discord-role:{APPROVER_ROLE}"}), "Sam")


def test_titles_bodies_and_reasons_never_ping_only_the_audience_does() -> None:
    async def scenario() -> None:
        config = team_settings()
        config.approval.approvers.append(f"discord:{SAM}")
        config.approval.approvers.append("slack:U0SAM")
        deps, data, _ = make_deps(config)
        async with discord_bot(deps) as bot:

            async def deliver(kind: str) -> None:
                # As the dispatcher does: a decision names the request it decides.
                for notice, _ in list(data.outbox.notices.values()):
                    if notice.kind == kind and notice not in delivered:
                        delivered.append(notice)
                        request = requests.get(notice.draft_id or "")
                        receipt = await bot.notifier.notify(
                            replace(notice, request_message_id=request)
                        )
                        if kind == "approval_requested" and notice.draft_id:
                            requests[notice.draft_id] = receipt.message_id

            delivered: list[object] = []
            requests: dict[str, str | None] = {}
            first = declare(
                deps,
                title=f"API down {TYPED}",
                severity=Severity.SEV1,
                components={"API": None},
                actor=MAYA_ACTOR,
                body=f"We're investigating. {TYPED}",
            ).draft
            await deliver("approval_requested")
            drafts.reject_draft(deps, draft_id=first.id, actor=SAM_ACTOR, reason=TYPED)
            await deliver("draft_decided")  # marks the request: an edit, with the reason
            second = drafts.propose_update(
                deps,
                incident_ref="INC-1",
                status=Status.INVESTIGATING,
                actor=MAYA_ACTOR,
                body=f"Still looking. {TYPED}",
            ).draft
            await deliver("approval_requested")
            drafts.approve_draft(deps, draft_id=second.id, actor=SAM_ACTOR)
            await deliver("draft_decided")

            posts = bot.fake.posts(APPROVALS_CHANNEL)
            asked = [p for p in posts if p.body.get("components")]
            assert len(asked) == 2
            audience = {f"user:{SAM}", f"role:{APPROVER_ROLE}"}
            for request in asked:
                assert request.body["allowed_mentions"] == {
                    "parse": [],
                    "users": [SAM],
                    "roles": [APPROVER_ROLE],
                }
            pinged = bot.fake.pinged()
            assert len(pinged) == 4  # two requests, each marked decided by an edit
            assert pinged[0] == audience
            assert set().union(*pinged) <= audience
            # What was typed is shown, neutralised, and never as a mention.
            everything = json.dumps([c.body for c in bot.fake.calls if c.body])
            for typed in ("<@U1>", "<@&2>", "<@!3>", "@everyone", "@here", "<!channel>"):
                assert typed not in everything
            assert "@\\u200beveryone" in everything
            contents = [str(p.body.get("content")) for p in posts]
            assert all(f"<@{MAYA}>" not in c for c in contents)  # the author is never pinged
            for message in bot.fake.in_channel(APPROVALS_CHANNEL):
                assert "commsbot update" not in json.dumps(message)

    run(scenario)
