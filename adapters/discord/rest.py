"""Discord's REST API through discord.py's ``HTTPClient``, and its errors as ``DeliveryFailed``.

Deliveries need no gateway connection: one logged-in ``HTTPClient`` per process posts, edits
and crossposts. Its rate-limit buckets are shared by every Discord destination and notifier.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import TYPE_CHECKING

import aiohttp
import discord
from discord.http import HTTPClient, Route

from commsbot.delivery.ports import DeliveryFailed
from commsbot.discord_config import DEFAULT_API_URL, normalize_api_url

if TYPE_CHECKING:
    from discord.types.message import Message as MessagePayload

log = logging.getLogger("commsbot.discord")

#: discord.py sleeps through a 429 shorter than this and raises ``RateLimited`` for a longer
#: one (30 s is the smallest value it accepts), so a delivery never waits longer than this.
MAX_RATELIMIT_WAIT = 30.0
MAX_NONCE = 25
#: How many of a channel's latest messages are searched for an earlier attempt's post (the
#: most one request returns).
HISTORY_LIMIT = 100
#: Between the rest of an embed footer and the delivery key that ends it.
MARK = " · "


def use_api_url(url: str | None) -> str:
    """Send every discord.py REST call in this process to ``url`` (a proxy or a loopback fake).

    ``Route.BASE`` is a class attribute in discord.py, so this is process-wide by design.
    """
    base = normalize_api_url(url or DEFAULT_API_URL)
    Route.BASE = base
    return base


def nonce_for(key: str) -> str:
    """A Discord nonce (≤ 25 characters) that is the same for every attempt of ``key``."""
    if len(key) <= MAX_NONCE:
        return key
    return hashlib.sha256(key.encode()).hexdigest()[:MAX_NONCE]


def message_ref(channel_id: int | str, message_id: int | str) -> str:
    """How a Discord message is named in receipts: ``channel/message``."""
    return f"{channel_id}/{message_id}"


def parse_message_ref(ref: str, *, default_channel: int) -> tuple[int, int]:
    """``(channel, message)`` from a receipt's ``channel/message`` (or a bare message id)."""
    channel, sep, message = ref.strip().rpartition("/")
    return (int(channel) if sep else default_channel), int(message)


def marked(footer: str, key: str | None) -> str:
    """``footer`` ending with the delivery key, by which a retry finds the post again."""
    if not key:
        return footer
    return f"{footer}{MARK}{key}" if footer else key


def carries(message: MessagePayload, key: str) -> bool:
    """Whether ``message`` is the post of the delivery ``key`` (its footer ends with the key,
    or Discord still reports the nonce it was posted with)."""
    if message.get("nonce") == nonce_for(key):
        return True
    for embed in message.get("embeds") or []:
        footer = embed.get("footer")
        text = (footer.get("text") or "") if footer else ""
        if text == key or text.endswith(f"{MARK}{key}"):
            return True
    return False


async def find_posted(
    http: HTTPClient, channel_id: int, *, key: str, author_id: int | None
) -> tuple[MessagePayload | None, str | None]:
    """The bot's own post of delivery ``key`` among the channel's latest messages, if there.

    Discord forgets nonces after a few minutes, so a retry of an attempt that may have posted
    looks here first. Without Read Message History nothing can be found: the second value is
    then a note for the ledger (only the nonce guards against a second post).
    """
    try:
        messages = await http.logs_from(channel_id, HISTORY_LIMIT)
    except discord.Forbidden:
        log.warning(
            "discord channel %s: cannot read its history to look for an earlier post; give the "
            "bot Read Message History there",
            channel_id,
        )
        return None, "could not look for an earlier post: Read Message History is missing"
    for message in messages:
        if author_id is not None and str(message["author"]["id"]) != str(author_id):
            continue  # someone quoting the key cannot pass for the bot's post
        if carries(message, key):
            return message, None
    return None, None


class DiscordRest:
    """A lazily logged-in ``HTTPClient``, shared by every Discord destination and notifier.

    Args:
        token: the bot token (``DISCORD_BOT_TOKEN``).
        api_url: where REST calls go (``DISCORD_API_URL``); Discord's own by default.
        timeout: the most one delivery may take, in seconds.
    """

    def __init__(self, *, token: str, api_url: str | None = None, timeout: float = 20.0) -> None:
        self._token = token
        self.api_url = normalize_api_url(api_url or DEFAULT_API_URL)
        self.timeout = timeout
        self._http: HTTPClient | None = None
        self._lock: asyncio.Lock | None = None
        self.bot_user_id: int | None = None

    async def client(self) -> HTTPClient:
        """The logged-in client (logs in on first use)."""
        if self._http is not None:
            return self._http
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._http is None:
                use_api_url(self.api_url)
                http = HTTPClient(
                    asyncio.get_running_loop(), max_ratelimit_timeout=MAX_RATELIMIT_WAIT
                )
                try:
                    me = await http.static_login(self._token)
                except BaseException:
                    await http.close()
                    raise
                self.bot_user_id = int(me["id"])
                self._http = http
        return self._http

    async def close(self) -> None:
        """Close the HTTP session (safe to call when never opened)."""
        if self._http is not None:
            await self._http.close()
            self._http = None


def is_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is a Discord or network failure that :func:`as_delivery_failed` maps."""
    return isinstance(exc, discord.DiscordException | aiohttp.ClientError | TimeoutError | OSError)


def retry_after_of(exc: BaseException) -> float | None:
    """Seconds Discord asked us to wait, from a ``RateLimited`` or a raw 429."""
    if isinstance(exc, discord.RateLimited):
        return float(exc.retry_after)
    if isinstance(exc, discord.HTTPException) and exc.status == 429:
        header = exc.response.headers.get("Retry-After") if exc.response is not None else None
        try:
            return float(header) if header else None
        except ValueError:
            return None
    return None


def as_delivery_failed(exc: BaseException, *, what: str) -> DeliveryFailed:
    """Translate a Discord or network error into the broadcast engine's ``DeliveryFailed``.

    Args:
        what: the action, for the ledger ("post to channel 123").
    """
    wait = retry_after_of(exc)
    if wait is not None:
        return DeliveryFailed(
            f"{what}: Discord rate limit, retry after {wait:.1f}s", retry_after=wait
        )
    if isinstance(exc, discord.LoginFailure):
        return DeliveryFailed(
            f"{what}: Discord refused the bot token (401); set DISCORD_BOT_TOKEN to the token "
            "from the Bot page of your app",
            retryable=False,
        )
    if isinstance(exc, discord.Forbidden):
        return DeliveryFailed(
            f"{what}: Discord refused (403, code {exc.code}: {exc.text}); give the bot View "
            "Channel, Send Messages, Embed Links and Read Message History in that channel",
            retryable=False,
        )
    if isinstance(exc, discord.NotFound):
        return DeliveryFailed(
            f"{what}: not found (404, code {exc.code}: {exc.text}); check the channel id and "
            "that the bot was invited to that server",
            retryable=False,
        )
    if isinstance(exc, discord.DiscordServerError):
        return DeliveryFailed(f"{what}: Discord server error {exc.status}: {exc.text}")
    if isinstance(exc, discord.HTTPException):
        return DeliveryFailed(
            f"{what}: Discord rejected the request ({exc.status}, code {exc.code}: {exc.text})",
            retryable=exc.status >= 500,
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        # Nothing reached Discord: no connection was made.
        return DeliveryFailed(f"{what}: cannot connect to Discord: {exc}")
    if isinstance(exc, TimeoutError):
        return DeliveryFailed(
            f"{what}: no answer from Discord in time; it may have been posted", ambiguous=True
        )
    return DeliveryFailed(
        f"{what}: connection to Discord failed ({type(exc).__name__}: {exc}); it may have been "
        "posted",
        ambiguous=True,
    )
