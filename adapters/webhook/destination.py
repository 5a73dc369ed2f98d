"""Webhook destinations and notifiers: httpx POSTs with retries left to the dispatcher.

Each request carries ``Idempotency-Key`` (the delivery's key, the same on every attempt), so a
receiver that honours it applies each delivery once even when an attempt's answer was lost.
How failures are reported to the dispatcher:

- connection refused / DNS / connect timeout: retried (nothing was sent);
- no answer, or the connection dropped after the request went out: retried, *ambiguous*;
- 429 (or 503) with Retry-After: retried no sooner than it asks;
- 408, 425, 5xx: retried;
- any other 4xx, and 3xx (redirects are not followed): not retried, the delivery is dead.
"""

from __future__ import annotations

import email.utils
import functools
import logging
import ssl
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import certifi
import httpx

from adapters.webhook.config import WebhookOptions
from adapters.webhook.payload import (
    SIGNATURE_HEADER,
    encode,
    maintenance_payload,
    notice_payload,
    sign,
    update_payload,
)
from commsbot import __version__
from commsbot.delivery.ports import DeliveryFailed, MaintenanceOutbound, Notice, Outbound, Receipt

if TYPE_CHECKING:
    from commsbot.delivery.config import DestinationConfig, NotifierConfig
    from commsbot.engines.targets import AdapterContext

log = logging.getLogger("commsbot.webhook")

_RETRYABLE_4XX = frozenset({408, 425, 429})


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every webhook: loading the CA bundle costs ~20 ms and ~1 MB, and a
    bot with 200 webhooks would otherwise load it 200 times. (Each webhook keeps its own
    small connection pool: one pool shared by hundreds of concurrent requests is slower.)"""
    return ssl.create_default_context(cafile=certifi.where())


def _new_client(transport: httpx.AsyncBaseTransport | None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        follow_redirects=False,
        transport=transport,
        verify=_tls(),
        limits=httpx.Limits(max_connections=4, max_keepalive_connections=2),
        headers={"User-Agent": f"commsbot/{__version__}"},
    )


class SignedPoster:
    """POSTs signed JSON and sorts the answer into success or :class:`DeliveryFailed`.

    Shared by :class:`WebhookClient` (one configured URL) and the webhook subscriptions'
    sender (a URL per subscriber, each connection pinned to an address checked beforehand).

    Args:
        timeout: seconds for connecting, and for each read and write.
        transport: an httpx transport (tests), else httpx's default.
    """

    def __init__(
        self, *, timeout: float, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._timeout = httpx.Timeout(timeout)
        self._client = _new_client(transport)

    async def send(
        self,
        url: str,
        payload: dict[str, Any],
        *,
        secret: bytes | None,
        event: str,
        key: str,
        delivery_id: str | None = None,
        connect_to: str | None = None,
    ) -> httpx.Response:
        """POST ``payload`` to ``url``; the 2xx response, or raise DeliveryFailed.

        ``connect_to``: an IP address to connect to instead of resolving the URL's host again
        (the ``Host`` header and TLS still name the host, and its certificate is checked).
        """
        body = encode(payload)
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": key,
            "X-Commsbot-Event": event,
        }
        if delivery_id:
            headers["X-Commsbot-Delivery"] = delivery_id
        if secret is not None:
            headers[SIGNATURE_HEADER] = sign(body, secret)
        target = httpx.URL(url)
        extensions: dict[str, Any] = {}
        if connect_to is not None and connect_to != target.host:
            headers["Host"] = target.netloc.decode("ascii")
            if target.scheme == "https":
                extensions["sni_hostname"] = target.host
            target = target.copy_with(host=connect_to)
        where = _where(url)
        try:
            response = await self._client.post(
                target,
                content=body,
                headers=headers,
                timeout=self._timeout,
                extensions=extensions or None,
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise DeliveryFailed(f"cannot connect to {where}: {_reason(exc)}") from exc
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise DeliveryFailed(f"{where}: {exc}", retryable=False) from exc
        except httpx.TransportError as exc:
            # The request (or part of it) went out; the receiver may have acted on it.
            raise DeliveryFailed(f"{where} did not answer: {_reason(exc)}", ambiguous=True) from exc
        _check(response, where)
        return response

    async def aclose(self) -> None:
        await self._client.aclose()


class WebhookClient(SignedPoster):
    """POSTs signed JSON to one URL.

    Args:
        url: the receiver.
        secret: the HMAC key; None sends no signature.
        timeout: seconds for connecting, and for each read and write.
        transport: an httpx transport (tests), else httpx's default.
    """

    def __init__(
        self,
        *,
        url: str,
        secret: bytes | None,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(timeout=timeout, transport=transport)
        self.url = url
        self._secret = secret

    async def post(
        self, payload: dict[str, Any], *, event: str, key: str, delivery_id: str | None = None
    ) -> Receipt:
        """POST ``payload``; return the receiver's message id, or raise DeliveryFailed."""
        response = await self.send(
            self.url, payload, secret=self._secret, event=event, key=key, delivery_id=delivery_id
        )
        return Receipt(message_id=_message_id(response))


def _where(url: str) -> str:
    # Never the query string: it may carry a token.
    return str(httpx.URL(url).copy_with(query=None, fragment=None))


def _check(response: httpx.Response, where: str) -> None:
    """Raise DeliveryFailed unless the answer is 2xx (``status`` on it says which)."""
    status = response.status_code
    if 200 <= status < 300:
        return
    detail = f"HTTP {status} from {where}"
    snippet = response.text[:200].strip()
    if snippet:
        detail += f": {snippet}"
    retry_after = _retry_after(response.headers.get("Retry-After"))
    if status in _RETRYABLE_4XX or status >= 500:
        raise DeliveryFailed(detail, retryable=True, retry_after=retry_after, status=status)
    if 300 <= status < 400:
        where_to = response.headers.get("Location", "elsewhere")
        detail += f" (a redirect to {where_to}; set url to the final address)"
    raise DeliveryFailed(detail, retryable=False, status=status)


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def _message_id(response: httpx.Response) -> str | None:
    """The receiver's id for what it made: JSON ``id``/``message_id``, or ``X-Message-Id``."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("id", "message_id"):
            value = data.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool):
                return str(value)[:500]
    header = response.headers.get("X-Message-Id")
    return header[:500] if header else None


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


class WebhookDestination:
    """Published updates and corrections, as ``update.published`` / ``update.corrected``."""

    def __init__(self, *, name: str, client: WebhookClient, zone: ZoneInfo) -> None:
        self.name = name
        self._client = client
        self._zone = zone

    async def deliver(self, item: Outbound) -> Receipt:
        payload = update_payload(item, zone=self._zone)
        return await self._client.post(
            payload, event=payload["event"], key=item.key, delivery_id=item.delivery_id
        )

    async def deliver_maintenance(self, item: MaintenanceOutbound) -> Receipt:
        payload = maintenance_payload(item, zone=self._zone)
        return await self._client.post(
            payload, event=payload["event"], key=item.key, delivery_id=item.delivery_id
        )

    async def aclose(self) -> None:
        await self._client.aclose()


class WebhookNotifier:
    """Internal notices, as ``notice`` events."""

    def __init__(self, *, name: str, client: WebhookClient) -> None:
        self.name = name
        self._client = client

    async def notify(self, notice: Notice) -> Receipt:
        return await self._client.post(notice_payload(notice), event="notice", key=notice.key or "")

    async def aclose(self) -> None:
        await self._client.aclose()


def _client(
    role: str, config: DestinationConfig | NotifierConfig, context: AdapterContext
) -> WebhookClient:
    from commsbot.engines.targets import where

    options: WebhookOptions = config.options
    entry = where("destination" if role == "destination" else "notifier", config)
    url = options.url or context.secret(where=entry, key="url_env", variable=options.url_env or "")
    if not url.startswith(("http://", "https://")):
        from commsbot.settings import ConfigError

        raise ConfigError(f"{entry}: url_env = {options.url_env!r} holds no http(s) URL")
    secret = None
    if options.secret_env:
        secret = context.secret(where=entry, key="secret_env", variable=options.secret_env)
    else:
        log.warning("%s sends unsigned requests: set secret_env to sign them", entry)
    return WebhookClient(
        url=url, secret=secret.encode() if secret else None, timeout=options.timeout_seconds
    )


def make_destination(config: DestinationConfig, context: AdapterContext) -> WebhookDestination:
    """The registry's factory for ``type = "webhook"`` destinations."""
    return WebhookDestination(
        name=config.name,
        client=_client("destination", config, context),
        zone=context.settings.zone,
    )


def make_notifier(config: NotifierConfig, context: AdapterContext) -> WebhookNotifier:
    """The registry's factory for ``type = "webhook"`` notifiers."""
    return WebhookNotifier(name=config.name, client=_client("notifier", config, context))
