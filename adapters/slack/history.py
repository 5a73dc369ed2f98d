"""Finding commsbot's earlier messages again, by the metadata they carry.

Nothing is remembered in memory: each message carries ``metadata`` (see
:func:`adapters.slack.internal.notice_metadata`), and ``conversations.history`` /
``conversations.replies`` with ``include_all_metadata`` find them, after a restart too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import internal
from adapters.slack.errors import CALL_ERRORS, describe

log = logging.getLogger("commsbot.slack")

#: How far back a channel (or thread) is searched.
HISTORY_LIMIT = 100

Payload = dict[str, Any]


async def find_messages(
    client: AsyncWebClient,
    *,
    channel: str,
    event_type: str,
    match: Callable[[Payload], bool],
    thread_ts: str | None = None,
    oldest: str | None = None,
) -> list[dict[str, Any]]:
    """Recent messages of ``channel`` (or of one thread) whose metadata matches, newest first."""
    if thread_ts is None:
        resp = await client.conversations_history(
            channel=channel, include_all_metadata=True, limit=HISTORY_LIMIT, oldest=oldest
        )
    else:
        resp = await client.conversations_replies(
            channel=channel,
            ts=thread_ts,
            include_all_metadata=True,
            limit=HISTORY_LIMIT,
            oldest=oldest,
        )
    found = []
    for message in resp.get("messages") or []:
        meta = message.get("metadata") or {}
        payload = meta.get("event_payload") or {}
        if meta.get("event_type") == event_type and isinstance(payload, dict) and match(payload):
            found.append(message)
    found.sort(key=lambda m: float(m.get("ts") or 0), reverse=True)
    return found


async def fetch_message(client: AsyncWebClient, *, channel: str, ts: str) -> dict[str, Any] | None:
    """One top-level message of ``channel`` as it stands now (blocks, metadata), or None."""
    try:
        resp = await client.conversations_history(
            channel=channel,
            latest=ts,
            oldest=ts,
            inclusive=True,
            limit=1,
            include_all_metadata=True,
        )
    except CALL_ERRORS as exc:
        log.warning("cannot read message %s in %s: %s", ts, channel, describe(exc))
        return None
    messages = resp.get("messages") or []
    return dict(messages[0]) if messages else None


async def settle_message(
    client: AsyncWebClient,
    *,
    channel: str,
    ts: str,
    controls: tuple[str, ...],
    note: str,
    shown: dict[str, Any] | None = None,
) -> None:
    """Replace a message's controls by ``note`` (who did what, when), keeping its metadata.

    ``shown`` is the message as the caller has it (else it is read); its metadata, when known,
    is sent again with the edit.
    """
    # A button's payload carries the message's blocks; reading it again would cost a
    # conversations.history call (rate-limited hard for some apps) on every click.
    message = shown or await fetch_message(client, channel=channel, ts=ts)
    if not message:
        return
    kwargs: dict[str, Any] = {}
    if message.get("metadata"):
        kwargs["metadata"] = message["metadata"]
    try:
        await client.chat_update(
            channel=channel,
            ts=ts,
            text=str(message.get("text") or ""),
            blocks=internal.settled(
                list(message.get("blocks") or []), controls=controls, note=note
            ),
            parse="none",
            **kwargs,
        )
    except CALL_ERRORS as exc:
        log.warning("cannot update message %s in %s: %s", ts, channel, describe(exc))
