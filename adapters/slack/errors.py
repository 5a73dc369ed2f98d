"""Slack API failures as the broadcast engine's :class:`DeliveryFailed`, with a useful hint."""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError

from commsbot.delivery.ports import DeliveryFailed

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
    response = exc.response
    headers = getattr(response, "headers", None) or {}
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


#: What the Web API client raises when a call fails (catch these, not Exception).
CALL_ERRORS = (SlackApiError, aiohttp.ClientError, TimeoutError)
