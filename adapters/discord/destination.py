"""Published updates to a Discord channel, crossposted when it is an announcement channel.

Every post carries ``allowed_mentions`` that allow nothing and a nonce derived from the delivery
key with ``enforce_nonce``, so a retry after an ambiguous failure returns the message already
posted instead of posting twice. Discord forgets nonces after a few minutes: a retry first looks
for the post in the channel's latest messages, by the key that ends its embed's footer.

Publishing (crossposting) is best effort: Discord allows about ten an hour, and when that limit
is hit the post stays up unpublished and the receipt says so.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

import discord
from discord.http import HTTPClient, handle_message_parameters

from adapters.discord import render
from adapters.discord.rest import (
    DiscordRest,
    as_delivery_failed,
    find_posted,
    is_failure,
    message_ref,
    nonce_for,
    parse_message_ref,
    retry_after_of,
)
from commsbot.delivery.ports import DeliveryFailed, MaintenanceOutbound, Outbound, Receipt

if TYPE_CHECKING:
    from discord.types.message import Message as MessagePayload

log = logging.getLogger("commsbot.discord")

ANNOUNCEMENT_CHANNEL = 5  # Discord's channel type for announcement ("news") channels
CROSSPOSTED_FLAG = 1 << 0
ALREADY_CROSSPOSTED = 40033  # Discord's error code: "This message has already been crossposted"
CHANNEL_TYPE_TTL = 600.0  # seconds: a channel can be converted to or from announcement


class DiscordDestination:
    """A Discord channel that published updates are posted to.

    Args:
        name: the destination's name in the delivery ledger.
        channel_id: the channel.
        rest: the shared REST client.
        publish: crosspost in announcement channels.
    """

    def __init__(
        self, *, name: str, channel_id: int, rest: DiscordRest, publish: bool = True
    ) -> None:
        self.name = name
        self.channel_id = channel_id
        self.publish = publish
        self._rest = rest
        self._channel_type: tuple[int, float] | None = None
        self._publish_blocked_until = 0.0

    async def aclose(self) -> None:
        """Close the (shared) REST client when the bot stops; it reopens if used again."""
        await self._rest.close()

    async def deliver(self, item: Outbound) -> Receipt:
        """Post ``item`` (or edit the post it corrects); raises ``DeliveryFailed``."""
        what = f"{'correct post in' if item.correction_of else 'post to'} channel {self.channel_id}"
        try:
            async with asyncio.timeout(self._rest.timeout):
                http = await self._rest.client()
                if item.correction_of:
                    return await self._correct(http, item)
                return await self._post(http, item)
        except DeliveryFailed:
            raise
        except Exception as exc:
            if not is_failure(exc):
                raise
            raise as_delivery_failed(exc, what=what) from exc

    async def deliver_maintenance(self, item: MaintenanceOutbound) -> Receipt:
        """Post one scheduled-maintenance notice, in blue; raises ``DeliveryFailed``."""
        from adapters.discord.maintenance import maintenance_content, maintenance_embeds

        try:
            async with asyncio.timeout(self._rest.timeout):
                http = await self._rest.client()
                return await self._send(
                    http,
                    key=item.key,
                    retrying=item.maybe_sent or item.attempt > 1,
                    content=maintenance_content(item),
                    embeds=maintenance_embeds(item),
                )
        except DeliveryFailed:
            raise
        except Exception as exc:
            if not is_failure(exc):
                raise
            raise as_delivery_failed(exc, what=f"post to channel {self.channel_id}") from exc

    async def _post(self, http: HTTPClient, item: Outbound, *, note: str | None = None) -> Receipt:
        corrected = item.correction_of is not None
        return await self._send(
            http,
            key=item.key,
            retrying=item.maybe_sent or item.attempt > 1,
            content=render.update_content(item, corrected=corrected),
            embeds=render.update_embeds(item, corrected=corrected),
            note=note,
        )

    async def _send(
        self,
        http: HTTPClient,
        *,
        key: str,
        retrying: bool,
        content: str,
        embeds: list[discord.Embed],
        note: str | None = None,
    ) -> Receipt:
        # Look the channel up before posting: a wrong id or a missing permission then fails the
        # delivery while nothing is posted yet.
        announcement = self.publish and await self._type(http) == ANNOUNCEMENT_CHANNEL
        if retrying:
            found, looked = await find_posted(
                http, self.channel_id, key=key, author_id=self._rest.bot_user_id
            )
            if found is not None:
                # The earlier attempt posted it: adopt that message (and publish it if the
                # attempt did not get that far).
                published = await self._crosspost(http, found) if announcement else None
                notes = [n for n in (note, "an earlier attempt had posted it", published) if n]
                return Receipt(
                    message_id=message_ref(self.channel_id, found["id"]), note="; ".join(notes)
                )
            note = "; ".join(n for n in (note, looked) if n) or None
        params = handle_message_parameters(
            content=content,
            embeds=embeds,
            allowed_mentions=discord.AllowedMentions.none(),
            nonce=nonce_for(key),
        )
        with params:
            data = await http.send_message(self.channel_id, params=params)
        published = await self._crosspost(http, data) if announcement else None
        notes = [n for n in (note, published) if n]
        return Receipt(
            message_id=message_ref(self.channel_id, data["id"]),
            note="; ".join(notes) or None,
        )

    async def _correct(self, http: HTTPClient, item: Outbound) -> Receipt:
        assert item.correction_of is not None
        channel_id, message_id = parse_message_ref(
            item.correction_of, default_channel=self.channel_id
        )
        params = handle_message_parameters(
            content=render.update_content(item, corrected=True),
            embeds=render.update_embeds(item, corrected=True),
            allowed_mentions=discord.AllowedMentions.none(),
        )
        try:
            with params:
                data = await http.edit_message(channel_id, message_id, params=params)
        except discord.NotFound:
            # The earlier post was deleted by someone: the correction still has to be seen.
            return await self._post(http, item, note="earlier post gone; correction posted anew")
        # Edits reach following servers by themselves; nothing to crosspost again.
        return Receipt(
            message_id=message_ref(channel_id, data["id"]), note="earlier post edited in place"
        )

    async def _crosspost(self, http: HTTPClient, data: MessagePayload) -> str | None:
        """Publish the message to following servers; a note for the ledger when it was not."""
        if int(data.get("flags", 0)) & CROSSPOSTED_FLAG:
            return None  # a retry got the original message back, already published
        wait = self._publish_blocked_until - time.monotonic()
        if wait > 0:
            return _not_published(wait)
        try:
            await http.publish_message(self.channel_id, data["id"])
        except Exception as exc:
            if not is_failure(exc):
                raise
            return self._publish_failed(exc)
        return None

    def _publish_failed(self, exc: BaseException) -> str | None:
        retry_after = retry_after_of(exc)
        if retry_after is not None:
            # One try per delivery, and none until Discord's window reopens: no retry storm.
            self._publish_blocked_until = time.monotonic() + retry_after
            log.warning(
                "discord channel %s: publish limit reached; posts stay unpublished for %.0fs",
                self.channel_id,
                retry_after,
            )
            return _not_published(retry_after)
        if isinstance(exc, discord.HTTPException) and exc.code == ALREADY_CROSSPOSTED:
            return None
        if isinstance(exc, discord.Forbidden):
            return (
                "posted; not published to following servers: Discord refused (403); check the "
                "bot's View Channel and Send Messages permissions in this announcement channel "
                "(publishing its own posts needs no more)"
            )
        log.warning("discord channel %s: publishing failed: %s", self.channel_id, exc)
        return (
            f"posted; not published to following servers: {as_delivery_failed(exc, what='publish')}"
        )

    async def _type(self, http: HTTPClient) -> int:
        now = time.monotonic()
        if self._channel_type is None or self._channel_type[1] < now:
            channel = await http.get_channel(self.channel_id)
            self._channel_type = (int(channel["type"]), now + CHANNEL_TYPE_TTL)
        return self._channel_type[0]


def _not_published(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return (
        "posted; not published to following servers: Discord's publish limit was reached "
        f"(it allows more in about {minutes} min)"
    )
