"""Webhook subscriptions: the signed payload webhook destinations get, to subscribers' URLs.

A subscriber's URL was typed by a stranger, so each request is guarded against server-side
request forgery: the host is resolved, *every* address it resolves to must be public (unless
``allow_private_addresses``), and the connection goes to the address that was checked (the
``Host`` header and TLS still name the host), so a name that resolves to a public address
when checked and to ``127.0.0.1`` a moment later (DNS rebinding) cannot reach this machine.
Redirects are not followed. The payload and its signature come from ``payload.py``, exactly
as for destinations; the confirmation request (``subscription.confirm``) carries the secret
its later payloads are signed with and a challenge the receiver must echo.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from adapters.webhook.destination import SignedPoster
from adapters.webhook.payload import VERSION, maintenance_payload, update_payload
from commsbot.delivery.ports import DeliveryFailed, MaintenanceOutbound, Outbound
from commsbot.delivery.snapshot import thaw, thaw_maintenance
from commsbot.subscriptions.addresses import is_public_ip
from commsbot.subscriptions.fanout import FanoutContent
from commsbot.subscriptions.model import NoticeKind
from commsbot.subscriptions.ports import HookAnswer, HookFailed

#: ``(host, port)`` → the IP addresses it resolves to (injectable: tests).
Resolve = Callable[[str, int], Awaitable[list[str]]]
CONFIRM_EVENT = "subscription.confirm"


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the resolver's order, without duplicates."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class SubscriptionHooks:
    """The :class:`~commsbot.subscriptions.ports.HookSender` of ``commsbot run``.

    Args:
        zone: the page's time zone (the payload's texts).
        timeout: seconds for connecting, and for each read and write.
        allow_private: ``[subscriptions.webhooks] allow_private_addresses`` (tests, intranets).
        resolver / transport: injectable (tests).
    """

    def __init__(
        self,
        *,
        zone: ZoneInfo,
        timeout: float,
        allow_private: bool = False,
        resolver: Resolve = resolve,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._zone = zone
        self._allow_private = allow_private
        self._resolve = resolver
        self._poster = SignedPoster(timeout=timeout, transport=transport)

    async def deliver(
        self,
        url: str,
        *,
        content: FanoutContent,
        delivery_id: str,
        key: str,
        secret: str | None,
        maybe_sent: bool = False,
    ) -> HookAnswer:
        """POST the notice as ``update.published``/``update.corrected`` (or
        ``maintenance.published``), built and signed as for webhook destinations."""
        payload = self._payload(content, delivery_id=delivery_id, key=key, maybe_sent=maybe_sent)
        return await self._post(
            url,
            payload,
            secret=secret,
            event=str(payload["event"]),
            key=key,
            delivery_id=delivery_id,
        )

    async def challenge(
        self,
        url: str,
        *,
        subscription: Mapping[str, Any],
        challenge: str,
        secret: str,
        key: str,
    ) -> HookAnswer:
        """POST ``subscription.confirm``: the receiver answers 2xx with the challenge."""
        payload = {
            "version": VERSION,
            "event": CONFIRM_EVENT,
            "challenge": challenge,
            "secret": secret,
            "subscription": dict(subscription),
        }
        return await self._post(url, payload, secret=secret, event=CONFIRM_EVENT, key=key)

    async def aclose(self) -> None:
        await self._poster.aclose()

    def _payload(
        self, content: FanoutContent, *, delivery_id: str, key: str, maybe_sent: bool
    ) -> dict[str, Any]:
        frozen = content.delivery
        if frozen is None:
            raise HookFailed(
                "this notice was published without a frozen payload for webhooks",
                retryable=False,
            )
        if content.notice.kind is NoticeKind.MAINTENANCE:
            return maintenance_payload(
                MaintenanceOutbound(
                    delivery_id=delivery_id,
                    key=key,
                    post=thaw_maintenance(frozen),
                    maybe_sent=maybe_sent,
                ),
                zone=self._zone,
            )
        thawed = thaw(dict(frozen))
        assert thawed.update is not None
        assert thawed.link is not None
        item = Outbound(
            delivery_id=delivery_id,
            key=key,
            incident=thawed.incident,
            update=thawed.update,
            link=thawed.link,
            is_correction=content.notice.kind is NoticeKind.CORRECTION,
            maybe_sent=maybe_sent,
        )
        return update_payload(item, zone=self._zone)

    async def _address(self, url: str) -> str:
        """The checked address to connect to (SSRF): every address the host resolves to must
        be public, unless private ones are allowed."""
        target = httpx.URL(url)
        host = target.host
        port = target.port or (443 if target.scheme == "https" else 80)
        try:
            addresses = await self._resolve(host, port)
        except OSError as exc:
            raise HookFailed(f"cannot resolve {host}: {exc}") from exc
        if not addresses:
            raise HookFailed(f"{host} resolves to no address")
        if not self._allow_private:
            for text in addresses:
                if not is_public_ip(ipaddress.ip_address(text.split("%")[0])):
                    raise HookFailed(
                        f"{host} resolves to {text}, which is not a public address; the "
                        "webhook is not called (a subscription URL must reach the internet)",
                        retryable=False,
                    )
        return addresses[0]

    async def _post(
        self,
        url: str,
        payload: dict[str, Any],
        *,
        secret: str | None,
        event: str,
        key: str,
        delivery_id: str | None = None,
    ) -> HookAnswer:
        address = await self._address(url)
        try:
            response = await self._poster.send(
                url,
                payload,
                secret=None if secret is None else secret.encode(),
                event=event,
                key=key,
                delivery_id=delivery_id,
                connect_to=address,
            )
        except DeliveryFailed as failed:
            raise HookFailed(
                str(failed),
                retryable=failed.retryable,
                gone=failed.status == 410,
                ambiguous=failed.ambiguous,
                retry_after=failed.retry_after,
            ) from failed
        return HookAnswer(status=response.status_code, body=response.text[:10_000])
