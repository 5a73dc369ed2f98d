"""A logged-in commsbot Discord client on the fake API, fed real-format gateway payloads."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from adapters.discord.client import CommsbotClient
from adapters.discord.notifier import DiscordNotifier
from adapters.discord.rest import DiscordRest, use_api_url
from commsbot.delivery.ports import Notice
from commsbot.domain.model import Severity
from commsbot.domain.policy import Actor
from commsbot.services.deps import Deps
from commsbot.services.incidents import declare
from commsbot.services.results import Declared
from commsbot.settings import Settings, parse_settings
from tests.adapters.discord.fake_discord import APPROVALS_CHANNEL, GUILD_ID, TOKEN, FakeDiscord
from tests.adapters.discord.helpers import (
    ALEX,
    APPROVER_ROLE,
    MAYA,
    RESPONDER_ROLE,
    SAM,
    fake_discord,
    member,
    settle,
)

MAYA_M = member(MAYA, "maya", (RESPONDER_ROLE,))
SAM_M = member(SAM, "sam", (APPROVER_ROLE,))
ALEX_M = member(ALEX, "alex")
MAYA_ACTOR = Actor(f"discord:{MAYA}", frozenset({f"discord-role:{RESPONDER_ROLE}"}), "Maya")


def declare_as_maya(deps: Deps) -> Declared:
    """INC-1, sev1, ChatGPT down, declared by Maya (the acknowledgment waits for approval)."""
    return declare(
        deps,
        title="ChatGPT, API and Sora unavailable",
        severity=Severity.SEV1,
        components={"ChatGPT": None},
        actor=MAYA_ACTOR,
    )


def team_settings(**extra: Any) -> Settings:
    """Approvers: the approver role; responders: responders and approvers."""
    return parse_settings(
        {
            "timezone": "America/Los_Angeles",
            "components": [{"name": "ChatGPT"}, {"name": "API"}, {"name": "Sora"}],
            "approval": {
                "approvers": [f"discord-role:{APPROVER_ROLE}"],
                "responders": [f"discord-role:{RESPONDER_ROLE}", f"discord-role:{APPROVER_ROLE}"],
            },
            **extra,
        }
    )


@dataclass
class Bot:
    fake: FakeDiscord
    client: CommsbotClient
    notifier: DiscordNotifier

    async def dispatch(self, payload: dict[str, Any]) -> None:
        """Hand ``payload`` to discord.py as the gateway's INTERACTION_CREATE does."""
        if "message" in payload:
            self.fake.origins[payload["token"]] = int(payload["message"]["id"])
        self.client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
        await settle()

    async def request_approval(
        self, *, draft_id: str, version: int, ref: str = "INC-1"
    ) -> dict[str, Any]:
        """Post an approval request as the broadcast engine would; returns the stored message."""
        receipt = await self.notifier.notify(
            Notice(
                kind="approval_requested",
                incident_id="i",
                incident_ref=ref,
                text=f"Maya drafted an update to {ref}; it needs someone else's approval.",
                draft_id=draft_id,
                draft_version=version,
                audience=(f"discord-role:{APPROVER_ROLE}",),
            )
        )
        assert receipt.message_id is not None
        return self.fake.messages[int(receipt.message_id.split("/")[1])]

    def answers(self, payload: dict[str, Any]) -> list[Any]:
        """What the bot sent back for one interaction: its callback, then follow-ups/edits."""
        token = payload["token"]
        return [c for c in self.fake.calls if token in c.path]


@contextlib.asynccontextmanager
async def discord_bot(deps: Deps) -> AsyncIterator[Bot]:
    async with fake_discord() as fake:
        use_api_url(fake.url)
        client = CommsbotClient(deps=deps, guild_ids=[GUILD_ID])
        await client.login(TOKEN)
        rest = DiscordRest(token=TOKEN, api_url=fake.url)
        fake.closers += [client.close, rest.close]
        yield Bot(
            fake, client, DiscordNotifier(name="approvals", channel_id=APPROVALS_CHANNEL, rest=rest)
        )
