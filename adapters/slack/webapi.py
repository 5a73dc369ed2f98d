"""Slack's Web API: the client, its failures as :class:`DeliveryFailed`, and finding commsbot's
earlier messages again (the counterpart of ``adapters/discord/rest.py``).

Nothing is remembered in memory: each message commsbot posts carries ``metadata`` (see
:func:`adapters.slack.render.notice_metadata`), and ``conversations.history`` /
``conversations.replies`` with ``include_all_metadata`` find it again, after a restart too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.slack.config import DEFAULT_API_URL, SlackSecrets
from adapters.slack.render import Message as Outgoing
from adapters.slack.render import settled
from adapters.slack.wire import (
    Block,
    EventPayload,
    HistoryResponse,
    Message,
    Metadata,
    ModalView,
    OpenedView,
    PostMessageResponse,
    ViewResponse,
)
from commsbot.delivery.ports import DeliveryFailed

log = logging.getLogger("commsbot.slack")

#: What the Web API client raises when a call fails (catch these, not Exception).
CALL_ERRORS = (SlackApiError, aiohttp.ClientError, TimeoutError)
#: How far back a channel (or thread) is searched.
HISTORY_LIMIT = 100


def web_client(secrets: SlackSecrets, *, retries: bool = True, timeout: int = 10) -> AsyncWebClient:
    """A Web API client for ``secrets.api_url`` — Slack, a proxy, or a loopback fake in tests.

    ``retries=False`` turns off slack_sdk's own retry of dropped connections: the broadcast
    engine retries deliveries itself, after checking whether the message already went out.
    """
    client = AsyncWebClient(token=secrets.bot_token, base_url=secrets.api_url, timeout=timeout)
    if not retries:
        client.retry_handlers = []
    return client


def delivery_client(token: str, environ: Mapping[str, str]) -> AsyncWebClient:
    """The client of a ``slack`` destination or notifier: its own token, ``SLACK_API_URL``, and
    no automatic retries (the broadcast engine retries, after looking for an earlier post)."""
    api_url = SlackSecrets.from_env(environ).api_url
    secrets = SlackSecrets(bot_token=token, signing_secret=None, app_token=None, api_url=api_url)
    return web_client(secrets, retries=False)


def response_url_via(url: str, *, api_url: str) -> str:
    """Where to send an answer to Slack's ``response_url`` given ``SLACK_API_URL``.

    Slack's response URLs name its own host (``https://hooks.slack.com/commands/…``). With the
    Web API pointed elsewhere — a proxy, or the loopback fake of the tests — they go there
    too: the URL's path and query are kept, under the scheme, host and port of ``api_url``
    and its path up to a final ``api/``. With the default ``api_url``, ``url`` is unchanged.

    Example:
        >>> response_url_via("https://hooks.slack.com/commands/T1/2/x",
        ...                  api_url="https://egress.example/slack/api/")
        'https://egress.example/slack/commands/T1/2/x'
    """
    if api_url.rstrip("/") == DEFAULT_API_URL.rstrip("/"):
        return url
    api = urlsplit(api_url)
    hook = urlsplit(url)
    prefix = api.path.rstrip("/").removesuffix("/api")
    return urlunsplit((api.scheme, api.netloc, prefix + hook.path, hook.query, ""))


def data_of(resp: AsyncSlackResponse) -> dict[str, Any]:
    """A Web API answer's JSON (slack_sdk types it loosely); cast it to its ``wire`` type."""
    return resp.data if isinstance(resp.data, dict) else {}


def _loose(value: ModalView | Metadata | list[Block]) -> Any:
    # slack_sdk takes plain dicts; a TypedDict is one at run time, not to mypy.
    return value


# --- the methods commsbot calls, typed -------------------------------------------------------


async def post_message(
    client: AsyncWebClient,
    *,
    channel: str,
    message: Outgoing,
    metadata: Metadata,
    thread_ts: str | None = None,
    broadcast: bool = False,
) -> str:
    """``chat.postMessage`` without link previews or parsing (user text is escaped already);
    ``broadcast``: a thread reply also shown in the channel. Returns the message's ``ts``."""
    resp = await client.chat_postMessage(
        channel=channel,
        text=message.text,
        blocks=_loose(message.blocks),
        metadata=_loose(metadata),
        unfurl_links=False,
        unfurl_media=False,
        parse="none",
        thread_ts=thread_ts,
        reply_broadcast=True if thread_ts and broadcast else None,
    )
    return cast(PostMessageResponse, data_of(resp))["ts"]


async def update_message(
    client: AsyncWebClient,
    *,
    channel: str,
    ts: str,
    text: str,
    blocks: list[Block],
    metadata: Metadata | None,
) -> None:
    """``chat.update``; the metadata is sent again so that an edit never drops what finds the
    message."""
    await client.chat_update(
        channel=channel,
        ts=ts,
        text=text,
        blocks=_loose(blocks),
        parse="none",
        metadata=_loose(metadata) if metadata else None,
    )


async def open_view(client: AsyncWebClient, *, trigger_id: str, view: ModalView) -> OpenedView:
    """``views.open``: the opened view's id and hash."""
    resp = await client.views_open(trigger_id=trigger_id, view=_loose(view))
    return cast(ViewResponse, data_of(resp)).get("view") or {"id": "", "hash": ""}


async def update_view(
    client: AsyncWebClient, *, view_id: str, view_hash: str | None, view: ModalView
) -> None:
    """``views.update`` (refused by Slack if the view changed since ``view_hash``)."""
    await client.views_update(view_id=view_id, hash=view_hash, view=_loose(view))


# --- failures ------------------------------------------------------------------------------

#: Errors Slack documents as transient.
_TRANSIENT = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
#: What the person running the bot should do about the usual permanent errors.
_HINTS = {
    "channel_not_found": "check the channel id in [slack] of commsbot.toml, and that the bot "
    "was invited to it (private channels)",
    "not_in_channel": "invite the bot to the channel (/invite @commsbot)",
    "is_archived": "the channel is archived; unarchive it or configure another one",
    "invalid_auth": "check SLACK_BOT_TOKEN",
    "not_authed": "set SLACK_BOT_TOKEN",
    "token_revoked": "the bot token was revoked; reinstall the app and update SLACK_BOT_TOKEN",
    "account_inactive": "the bot token belongs to a deleted user or app; reinstall the app",
    "missing_scope": "add the missing scope (see adapters/slack/manifest.yml) and reinstall",
    "message_not_found": "the message to edit was deleted",
    "cant_update_message": "the message was not posted by this bot",
    "msg_too_long": "the message is too long for Slack",
}
#: Slack's answers to a token it will not accept.
REFUSED_TOKEN = frozenset({"invalid_auth", "not_authed", "token_revoked", "account_inactive"})


def error_code(exc: SlackApiError) -> str:
    """Slack's error string (``channel_not_found``), or ``http_<status>``."""
    response = exc.response
    error = response.get("error") if response is not None else None
    if error:
        return str(error)
    status = getattr(response, "status_code", None)
    return f"http_{status}" if status else "unknown_error"


def describe(exc: BaseException) -> str:
    """A one-line explanation for logs and the delivery ledger."""
    if isinstance(exc, SlackApiError):
        code = error_code(exc)
        needed = exc.response.get("needed") if exc.response is not None else None
        hint = _HINTS.get(code)
        text = f"Slack said {code}"
        if needed:
            text += f" (needs scope {needed})"
        return f"{text}: {hint}" if hint else text
    if isinstance(exc, TimeoutError):
        return "Slack did not answer in time"
    return f"cannot reach Slack: {type(exc).__name__}: {exc}"


def retry_after(exc: SlackApiError) -> float | None:
    """The ``Retry-After`` seconds of a 429, if Slack sent one."""
    headers = getattr(exc.response, "headers", None) or {}
    for key, value in headers.items():
        if str(key).lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return None
    return None


def delivery_failed(exc: BaseException, *, posting: bool) -> DeliveryFailed:
    """Classify a failed call. ``posting``: the call creates a message (a retry may duplicate).

    A server error or a dropped connection after sending may have posted anyway: it is
    ``ambiguous``, and the next attempt looks before posting again.
    """
    message = describe(exc)
    if isinstance(exc, SlackApiError):
        code = error_code(exc)
        status = getattr(exc.response, "status_code", 200) or 200
        if status == 429 or code == "ratelimited":
            return DeliveryFailed(message, retry_after=retry_after(exc) or 1.0)
        if status >= 500 or code in _TRANSIENT:
            return DeliveryFailed(message, ambiguous=posting)
        return DeliveryFailed(message, retryable=False)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return DeliveryFailed(message)  # never connected: nothing was sent
    return DeliveryFailed(message, ambiguous=posting)


# --- commsbot's earlier messages -------------------------------------------------------------


def payload_of(message: Message) -> EventPayload:
    """The ``event_payload`` a message of commsbot's carries (empty for any other)."""
    metadata = message.get("metadata")
    payload = metadata.get("event_payload") if metadata else None
    return payload if isinstance(payload, dict) else EventPayload()


async def find_messages(
    client: AsyncWebClient,
    *,
    channel: str,
    event_type: str,
    match: Callable[[EventPayload], bool],
    thread_ts: str | None = None,
    oldest: str | None = None,
) -> list[Message]:
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
    history = cast(HistoryResponse, data_of(resp))
    found = [
        m
        for m in history.get("messages") or []
        if _event_type(m) == event_type and match(payload_of(m))
    ]
    found.sort(key=lambda m: float(m.get("ts") or 0), reverse=True)
    return found


def _event_type(message: Message) -> str | None:
    metadata = message.get("metadata")
    return metadata.get("event_type") if metadata else None


async def fetch_message(client: AsyncWebClient, *, channel: str, ts: str) -> Message | None:
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
    messages = cast(HistoryResponse, data_of(resp)).get("messages") or []
    return messages[0] if messages else None


async def settle_message(
    client: AsyncWebClient,
    *,
    channel: str,
    ts: str,
    controls: tuple[str, ...],
    note: str,
    shown: Message | None = None,
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
    try:
        await update_message(
            client,
            channel=channel,
            ts=ts,
            text=message.get("text") or "",
            blocks=settled(list(message.get("blocks") or []), controls=controls, note=note),
            metadata=message.get("metadata"),
        )
    except CALL_ERRORS as exc:
        log.warning("cannot update message %s in %s: %s", ts, channel, describe(exc))
