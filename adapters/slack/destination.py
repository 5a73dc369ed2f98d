"""A status channel as a broadcast :class:`~commsbot.delivery.ports.Destination`.

Per incident, one root message — a live card (title, status, components, latest update, "next
update by") edited in place on every update — and every update as a reply in its thread, also
sent to the channel when it moves the incident. The root's ``ts`` is this destination's
``thread_id``; each reply's ``ts`` is the delivery's ``message_id`` (edited by corrections).

Slack has no idempotency key for ``chat.postMessage``: every message carries its delivery key in
``metadata``, and a retry that may follow an applied attempt looks for it before posting again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.config import SlackOptions
from adapters.slack.maintenance import MAINTENANCE_EVENT, maintenance_message
from adapters.slack.render import Message, changes_status, incident_card, update_reply
from adapters.slack.webapi import (
    CALL_ERRORS,
    delivery_client,
    delivery_failed,
    error_code,
    find_messages,
    payload_of,
    post_message,
    update_message,
)
from adapters.slack.wire import EventPayload, Metadata
from commsbot.delivery.ports import MaintenanceOutbound, Outbound, Receipt
from commsbot.domain.maintenance import MaintenanceTrigger

if TYPE_CHECKING:
    from commsbot.delivery.config import DestinationConfig
    from commsbot.engines.targets import AdapterContext

log = logging.getLogger("commsbot.slack")

CARD_EVENT = "commsbot_incident"
UPDATE_EVENT = "commsbot_update"


def _look_first(item: Outbound) -> bool:
    """Whether an earlier attempt may already have posted (so look before posting)."""
    return item.maybe_sent or item.attempt > 1


class SlackDestination:
    """Posts published updates to one Slack channel.

    Args:
        name: the ``[[destinations]]`` entry's name.
        channel: the channel id; the bot must be a member.
        client: a Web API client without automatic retries (the engine retries).
        zone: the time zone of fallback times.
    """

    def __init__(self, *, name: str, channel: str, client: AsyncWebClient, zone: ZoneInfo) -> None:
        self.name = name
        self.channel = channel
        self.client = client
        self.zone = zone

    async def deliver(self, item: Outbound) -> Receipt:
        """Post (or correct) one update; raises DeliveryFailed (429 with its Retry-After)."""
        try:
            if item.is_correction:
                return await self._correct(item)
            root, fresh = await self._root(item)
            broadcast = changes_status(item.update) and not fresh
            ts = await self._reply(item, root, broadcast=broadcast)
        except CALL_ERRORS as exc:
            raise delivery_failed(exc, posting=True) from exc
        return Receipt(message_id=ts, thread_id=root)

    async def deliver_maintenance(self, item: MaintenanceOutbound) -> Receipt:
        """Post one scheduled-maintenance notice: the first to reach the channel (its
        announcement) as a message of its own, later ones in its thread, sent to the channel
        too unless they are notes (:mod:`adapters.slack.maintenance`)."""
        post = item.post
        metadata: Metadata = {
            "event_type": MAINTENANCE_EVENT,
            "event_payload": {
                "key": item.key,
                "incident_id": post.maintenance_id,
                "seq": post.notice.seq,
            },
        }
        root = item.thread_id
        try:
            if item.maybe_sent or item.attempt > 1:
                since = post.notice.published_at.timestamp() - 300
                found = await find_messages(
                    self.client,
                    channel=self.channel,
                    event_type=MAINTENANCE_EVENT,
                    match=lambda p: p.get("key") == item.key,
                    thread_ts=root,
                    oldest=f"{since:.6f}",
                )
                if found:
                    ts = found[0]["ts"]
                    return Receipt(message_id=ts, thread_id=root or ts)
            ts = await post_message(
                self.client,
                channel=self.channel,
                message=maintenance_message(post, zone=self.zone),
                metadata=metadata,
                thread_ts=root,
                broadcast=root is not None and post.notice.kind is not MaintenanceTrigger.PROGRESS,
            )
        except CALL_ERRORS as exc:
            raise delivery_failed(exc, posting=True) from exc
        return Receipt(message_id=ts, thread_id=root or ts)

    # --- the live card ---------------------------------------------------------------------

    def _card(self, item: Outbound) -> Message:
        return incident_card(item.incident, item.update, zone=self.zone, url=item.link or None)

    def _card_metadata(self, item: Outbound) -> Metadata:
        payload: EventPayload = {"incident_id": item.incident.incident.id, "key": item.key}
        return {"event_type": CARD_EVENT, "event_payload": payload}

    async def _root(self, item: Outbound) -> tuple[str, bool]:
        """The incident's root message, updated to this update; (ts, whether it is new)."""
        card = self._card(item)
        if item.thread_id:
            try:
                await self._update(item.thread_id, card, self._card_metadata(item))
                return item.thread_id, False
            except SlackApiError as exc:
                if error_code(exc) != "message_not_found":
                    raise
                log.warning(
                    "%s: the card of %s was deleted; posting a new one",
                    self.name,
                    item.incident.incident.ref,
                )
        elif _look_first(item):
            incident_id = item.incident.incident.id
            # The card was posted after the incident was declared: look no further back.
            since = item.incident.incident.declared_at.timestamp() - 300
            found = await find_messages(
                self.client,
                channel=self.channel,
                event_type=CARD_EVENT,
                match=lambda p: p.get("incident_id") == incident_id,
                oldest=f"{since:.6f}",
            )
            if found:
                ts = found[0]["ts"]
                await self._update(ts, card, self._card_metadata(item))
                # New if an earlier attempt of this very delivery posted it.
                return ts, payload_of(found[0]).get("key") == item.key
        metadata = self._card_metadata(item)
        ts = await post_message(self.client, channel=self.channel, message=card, metadata=metadata)
        return ts, True

    # --- the thread ------------------------------------------------------------------------

    async def _reply(self, item: Outbound, root: str, *, broadcast: bool = False) -> str:
        """Post the update (marked corrected for a correction) in the thread, unless an earlier
        attempt of this delivery already did."""
        if _look_first(item):
            found = await find_messages(
                self.client,
                channel=self.channel,
                event_type=UPDATE_EVENT,
                match=lambda p: p.get("key") == item.key,
                thread_ts=root,
            )
            if found:
                return found[0]["ts"]
        message, metadata = self._update_reply(item)
        return await post_message(
            self.client,
            channel=self.channel,
            message=message,
            metadata=metadata,
            thread_ts=root,
            broadcast=broadcast,
        )

    def _update_reply(self, item: Outbound) -> tuple[Message, Metadata]:
        update, corrected = item.update, item.is_correction
        payload: EventPayload = {"key": item.key, "update_id": update.id}
        if corrected:
            payload["corrected"] = True
        else:
            payload["incident_id"] = item.incident.incident.id
            payload["seq"] = update.seq
        message = update_reply(
            item.incident, update, zone=self.zone, url=item.link or None, corrected=corrected
        )
        return message, {"event_type": UPDATE_EVENT, "event_payload": payload}

    async def _correct(self, item: Outbound) -> Receipt:
        """Edit the earlier reply in place, marked corrected (or post it, marked, if it never
        reached this channel); the card follows when the corrected update is the latest."""
        latest = item.update.seq >= item.incident.incident.published_count
        if item.thread_id and latest:
            try:
                await self._update(item.thread_id, self._card(item), self._card_metadata(item))
            except SlackApiError as exc:
                if error_code(exc) != "message_not_found":
                    raise
        if item.correction_of:
            await self._update(item.correction_of, *self._update_reply(item))
            return Receipt(message_id=item.correction_of, thread_id=item.thread_id)
        root = item.thread_id or (await self._root(item))[0]
        return Receipt(message_id=await self._reply(item, root), thread_id=root)

    async def _update(self, ts: str, message: Message, metadata: Metadata) -> None:
        await update_message(
            self.client,
            channel=self.channel,
            ts=ts,
            text=message.text,
            blocks=message.blocks,
            metadata=metadata,
        )


def make_destination(config: DestinationConfig, context: AdapterContext) -> SlackDestination:
    """The registry's factory for ``type = "slack"`` in ``[[destinations]]``.

    Raises:
        ConfigError: the token's environment variable is not set.
    """
    from commsbot.engines.targets import where

    options = config.options
    assert isinstance(options, SlackOptions)
    token = context.secret(
        where=where("destination", config), key="token_env", variable=options.token_env
    )
    client = delivery_client(token, context.environ)
    return SlackDestination(
        name=config.name, channel=options.channel, client=client, zone=context.settings.zone
    )
