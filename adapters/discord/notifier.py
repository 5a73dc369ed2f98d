"""Internal notices to a Discord channel: approval requests with Approve / Edit / Reject,
reminders with Snooze / Cancel, decided drafts and dead deliveries.

Only the notice's own audience (``discord:ID``, ``discord-role:ID``) may be pinged; never
``@everyone``. A nonce derived from the notice makes a retried post return the first one; after
Discord has forgotten it, a retry that may follow a post finds it in the channel's history by
the delivery key that ends the embed's footer. A decision marks the draft's approval request,
whose message id the outbox keeps (``Notice.request_message_id``): after a restart too.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging

import discord
from discord.http import HTTPClient, handle_message_parameters

from adapters.discord import render
from adapters.discord.buttons import approval_view, reminder_view
from adapters.discord.rest import (
    DiscordRest,
    as_delivery_failed,
    find_posted,
    is_failure,
    message_ref,
    parse_message_ref,
)
from commsbot.delivery.ports import DeliveryFailed, Notice, Receipt

log = logging.getLogger("commsbot.discord")


def notice_nonce(notice: Notice) -> str:
    """The same 25 characters for every attempt at posting the same notice."""
    parts = (
        notice.kind,
        notice.incident_id,
        notice.draft_id or "",
        str(notice.draft_version or ""),
        notice.reminder_id or "",
        notice.text,
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:25]


class DiscordNotifier:
    """A Discord channel for the people running incidents (an approvals channel, say).

    Args:
        name: the notifier's name in the delivery ledger.
        channel_id: the channel.
        rest: the shared REST client.
    """

    def __init__(self, *, name: str, channel_id: int, rest: DiscordRest) -> None:
        self.name = name
        self.channel_id = channel_id
        self._rest = rest

    async def aclose(self) -> None:
        """Close the (shared) REST client when the bot stops; it reopens if used again."""
        await self._rest.close()

    async def notify(self, notice: Notice) -> Receipt:
        """Post ``notice`` (a decision edits the draft's approval request); raises
        ``DeliveryFailed``."""
        try:
            async with asyncio.timeout(self._rest.timeout):
                http = await self._rest.client()
                if notice.kind == "draft_decided" and notice.request_message_id:
                    edited = await self._mark_decided(http, notice, notice.request_message_id)
                    if edited is not None:
                        return edited
                return await self._post(http, notice)
        except DeliveryFailed:
            raise
        except Exception as exc:
            if not is_failure(exc):
                raise
            raise as_delivery_failed(exc, what=f"notify channel {self.channel_id}") from exc

    async def _post(self, http: HTTPClient, notice: Notice) -> Receipt:
        looked = None
        if notice.maybe_sent and notice.key:
            found, looked = await find_posted(
                http, self.channel_id, key=notice.key, author_id=self._rest.bot_user_id
            )
            if found is not None:
                return Receipt(
                    message_id=message_ref(self.channel_id, found["id"]),
                    note="an earlier attempt had posted it",
                )
        view: discord.ui.View | None = None
        if notice.kind == "approval_requested" and notice.draft_id and notice.draft_version:
            view = approval_view(
                notice.draft_id, notice.draft_version, subscribers=notice.subscribers
            )
        elif notice.kind == "reminder" and notice.reminder_id:
            view = reminder_view(notice.reminder_id)
        params = handle_message_parameters(
            content=render.notice_content(notice),
            embed=render.notice_embed(notice),
            view=view,
            allowed_mentions=render.notice_allowed_mentions(notice),
            nonce=notice_nonce(notice),
        )
        with params:
            data = await http.send_message(self.channel_id, params=params)
        return Receipt(message_id=message_ref(self.channel_id, data["id"]), note=looked)

    async def _mark_decided(self, http: HTTPClient, notice: Notice, ref: str) -> Receipt | None:
        """Mark the draft's approval request (``ref``, from the outbox) as decided."""
        channel_id, message_id = parse_message_ref(ref, default_channel=self.channel_id)
        try:
            current = await http.get_message(channel_id, message_id)
        except discord.NotFound:
            return None
        if not current.get("components"):
            return Receipt(message_id=ref, note="approval request already marked")
        embeds = current.get("embeds") or []
        original = discord.Embed.from_dict(embeds[0]) if embeds else None
        embed = render.decided_embed(
            original,
            verdict="Decided",
            who="",
            # When it was decided, not when this attempt runs: the same on every retry.
            at=notice.at or discord.utils.utcnow(),
            note=notice.text,
        )
        params = handle_message_parameters(
            embed=embed, view=None, allowed_mentions=discord.AllowedMentions.none()
        )
        with params:
            await http.edit_message(channel_id, message_id, params=params)
        return Receipt(message_id=ref, note="approval request marked as decided")
