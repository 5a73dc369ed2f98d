"""The approvals channel as a :class:`~commsbot.delivery.ports.Notifier`.

- ``approval_requested``: the draft with Approve / Edit / Reject for its version; earlier
  versions' messages lose their buttons ("superseded").
- ``draft_decided``: the draft's messages lose their buttons and say what became of it; the
  notice itself goes in their thread (mentioning the author).
- ``reminder``: with Draft update / Snooze / Cancel; anything else (``delivery_dead``, …) as is.

Every message carries the notice's key and draft in ``metadata``: a retry after an ambiguous
failure finds what the earlier attempt posted, and a decision made anywhere finds its messages.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render
from adapters.slack.blocks import escaped_truncated
from adapters.slack.config import SlackOptions
from adapters.slack.render import Message
from adapters.slack.webapi import (
    CALL_ERRORS,
    delivery_client,
    delivery_failed,
    find_messages,
    payload_of,
    post_message,
    settle_message,
)
from adapters.slack.wire import Message as Posted
from adapters.slack.wire import Metadata
from commsbot.delivery.ports import Notice, Receipt

if TYPE_CHECKING:
    from commsbot.delivery.config import NotifierConfig
    from commsbot.engines.targets import AdapterContext

log = logging.getLogger("commsbot.slack")

APPROVAL_REQUESTED = "approval_requested"
DRAFT_DECIDED = "draft_decided"


def _has_controls(message: Posted) -> bool:
    return any(
        b.get("block_id", "").startswith(render.APPROVAL_CONTROLS)
        for b in message.get("blocks") or []
    )


class SlackNotifier:
    """Posts internal notices to one Slack channel (the approvals channel).

    Args:
        name: the ``[[notifiers]]`` entry's name.
        channel: the channel id; the bot must be a member.
        client: a Web API client without automatic retries (the engine retries).
        command: the slash command, for the hints under approval requests.
    """

    def __init__(
        self, *, name: str, channel: str, client: AsyncWebClient, command: str = "/incident"
    ) -> None:
        self.name = name
        self.channel = channel
        self.client = client
        self.command = command

    async def notify(self, notice: Notice) -> Receipt:
        """Post ``notice``; raises DeliveryFailed (429 with its Retry-After)."""
        try:
            if notice.kind == APPROVAL_REQUESTED and notice.draft_id and notice.draft_version:
                ts = await self._approval(notice)
            elif notice.kind == DRAFT_DECIDED and notice.draft_id:
                ts = await self._decided(notice)
            else:
                ts = await self._once(notice, render.notice_message(notice))
        except CALL_ERRORS as exc:
            raise delivery_failed(exc, posting=True) from exc
        return Receipt(message_id=ts)

    async def _draft_messages(self, draft_id: str) -> list[Posted]:
        """The approval requests of ``draft_id`` in this channel, newest first."""
        return await find_messages(
            self.client,
            channel=self.channel,
            event_type=render.NOTICE_EVENT,
            match=lambda p: p.get("draft_id") == draft_id and p.get("kind") == APPROVAL_REQUESTED,
        )

    async def _approval(self, notice: Notice) -> str:
        assert notice.draft_id is not None
        assert notice.draft_version is not None
        earlier = await self._draft_messages(notice.draft_id)
        ts = None
        if notice.maybe_sent and notice.key:
            ts = next((m["ts"] for m in earlier if payload_of(m).get("key") == notice.key), None)
        if ts is None:
            message = render.approval_request(notice, command=self.command)
            ts = await self._post(message, render.notice_metadata(notice))
        note = (
            f":arrows_counterclockwise: *Superseded:* the draft was edited; "
            f"v{notice.draft_version} waits for approval in a newer message."
        )
        for old in earlier:
            version = payload_of(old).get("version")
            if isinstance(version, int) and version < notice.draft_version and _has_controls(old):
                await self._settle(old, note)
        return ts

    async def _decided(self, notice: Notice) -> str:
        assert notice.draft_id is not None
        requests = await self._draft_messages(notice.draft_id)
        note = f":ballot_box_with_check: {escaped_truncated(notice.text, 2500)}"
        for message in requests:
            if _has_controls(message):
                await self._settle(message, note)
        root = requests[0]["ts"] if requests else None
        return await self._once(notice, render.notice_message(notice), thread_ts=root)

    async def _once(self, notice: Notice, message: Message, *, thread_ts: str | None = None) -> str:
        """Post ``message`` unless an earlier attempt of this notice already did."""
        if notice.maybe_sent and notice.key:
            found = await find_messages(
                self.client,
                channel=self.channel,
                event_type=render.NOTICE_EVENT,
                match=lambda p: p.get("key") == notice.key,
                thread_ts=thread_ts,
            )
            if found:
                return found[0]["ts"]
        return await self._post(message, render.notice_metadata(notice), thread_ts=thread_ts)

    async def _post(
        self, message: Message, metadata: Metadata, *, thread_ts: str | None = None
    ) -> str:
        return await post_message(
            self.client,
            channel=self.channel,
            message=message,
            metadata=metadata,
            thread_ts=thread_ts,
        )

    async def _settle(self, message: Posted, note: str) -> None:
        """Best effort: the notice itself went out; a stale button is refused by the core."""
        await settle_message(
            self.client,
            channel=self.channel,
            ts=message["ts"],
            controls=(render.APPROVAL_CONTROLS,),
            note=note,
            shown=message,
        )


def make_notifier(config: NotifierConfig, context: AdapterContext) -> SlackNotifier:
    """The registry's factory for ``type = "slack"`` in ``[[notifiers]]``.

    Raises:
        ConfigError: the token's environment variable is not set.
    """
    from commsbot.engines.targets import where

    options = config.options
    assert isinstance(options, SlackOptions)
    token = context.secret(
        where=where("notifier", config), key="token_env", variable=options.token_env
    )
    return SlackNotifier(
        name=config.name,
        channel=options.channel,
        client=delivery_client(token, context.environ),
        command=context.settings.slack.command,
    )
