"""Discord behind the real dispatcher and store: what a retry sends, and restarts.

The destination and notifier are built from the configuration through the registry, as
``commsbot run`` does, and talk to the fake Discord API on loopback; the clock is moved by hand.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.engine import Engine

from commsbot.delivery.model import DeliveryKind
from commsbot.domain.model import Severity
from commsbot.services.corrections import propose_correction
from commsbot.services.drafts import approve_draft
from commsbot.services.incidents import declare
from tests.adapters.discord.fake_discord import APPROVALS_CHANNEL, TEXT_CHANNEL, TOKEN, FakeDiscord
from tests.adapters.discord.helpers import buttons_of, fake_discord
from tests.delivery.support import (
    COMMS,
    IC,
    T0,
    World,
    advance_until,
    eventually,
    running,
    world,
)

ORIGINAL = "We're investigating an issue affecting ChatGPT."
CORRECTED = "We're investigating an issue affecting ChatGPT and the API."


def env(fake: FakeDiscord) -> dict[str, str]:
    return {"DISCORD_BOT_TOKEN": TOKEN, "DISCORD_API_URL": fake.url}


def discord_world(migrated: Engine, **extra: Any) -> World:
    return world(
        migrated,
        [
            {
                "name": "discord-status",
                "type": "discord",
                "channel_id": TEXT_CHANNEL,
                "backoff_base_seconds": 2,
                "backoff_cap_seconds": 60,
            }
        ],
        notifiers=[
            {"name": "discord-approvals", "type": "discord", "channel_id": APPROVALS_CHANNEL}
        ],
        **extra,
    )


def states(w: World, kind: DeliveryKind | None = None, target: str | None = None) -> list[str]:
    return [r.state.value for r in w.deliveries(target) if kind is None or r.kind is kind]


def test_a_retry_of_the_original_posts_what_was_approved_then_the_correction_edits_it(
    migrated: Engine,
) -> None:
    async def scenario() -> None:
        async with fake_discord() as fake:
            w = discord_world(migrated)
            # Not posted: a long 429 fails the attempt at once, to be retried in two minutes.
            fake.fail(
                "POST", rf"/api/v10/channels/{TEXT_CHANNEL}/messages", status=429, retry_after=120
            )
            update_id = w.declare_and_publish(ORIGINAL)
            async with running(w.dispatcher(environ=env(fake))) as dispatcher:
                await eventually(
                    lambda: states(w, target="discord-status") == ["retrying"], what="a failure"
                )
                fix = propose_correction(w.deps, update_ref=update_id, body=CORRECTED, actor=IC)
                approve_draft(w.deps, draft_id=fix.draft.id, actor=COMMS)
                dispatcher.wake()
                await advance_until(
                    w.clock,
                    lambda: states(w, target="discord-status") == ["sent", "sent"],
                    what="the original, then its correction",
                )

            refused, posted = fake.posts(TEXT_CHANNEL)
            for attempt in (refused, posted):
                [embed] = attempt.body["embeds"]
                assert embed["description"] == ORIGINAL
                assert not embed["title"].startswith("Corrected")
            assert refused.body == posted.body  # the same message, nonce and all
            [message] = fake.in_channel(TEXT_CHANNEL)
            [edit] = fake.requests("PATCH", rf"/api/v10/channels/{TEXT_CHANNEL}/messages/\d+")
            assert edit.path.endswith(f"/messages/{message['id']}")
            assert message["embeds"][0]["description"] == CORRECTED
            assert message["embeds"][0]["title"].startswith("Corrected: ")

    asyncio.run(asyncio.wait_for(scenario(), 60))


def test_a_decision_after_a_restart_marks_the_approval_request_instead_of_posting_anew(
    migrated: Engine,
) -> None:
    async def scenario() -> None:
        async with fake_discord() as fake:
            w = discord_world(migrated)
            declared = declare(
                w.deps,
                title="ChatGPT unavailable",
                severity=Severity.SEV1,
                components={"ChatGPT": None},
                actor=IC,
                body=ORIGINAL,
            )
            async with running(w.dispatcher(environ=env(fake))):
                await eventually(
                    lambda: states(w, DeliveryKind.NOTICE) == ["sent"], what="the request"
                )
            [request] = fake.in_channel(APPROVALS_CHANNEL)
            assert buttons_of(request)

            # A new process: its notifier never saw the request.
            w.clock.advance(600)
            approve_draft(w.deps, draft_id=declared.draft.id, actor=COMMS)
            async with running(w.dispatcher(environ=env(fake))):
                await eventually(
                    lambda: states(w, DeliveryKind.NOTICE) == ["sent", "sent"],
                    what="the decision",
                )

            assert fake.in_channel(APPROVALS_CHANNEL) == [request]  # edited, nothing posted
            assert len(fake.posts(APPROVALS_CHANNEL)) == 1
            assert request["components"] == []
            decided = request["embeds"][0]["fields"]
            assert decided[-2]["name"] == "Decided"
            when = int(T0.timestamp() + 600)
            assert decided[-2]["value"] == f"<t:{when}:f>"  # when it was decided, on every try
            assert "approved" in decided[-1]["value"]

    asyncio.run(asyncio.wait_for(scenario(), 60))
