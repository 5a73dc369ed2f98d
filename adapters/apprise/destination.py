"""Apprise destinations and notifiers. Apprise is synchronous: it runs in a worker thread.

Apprise reports only whether every URL was notified, so a failure is retried as *ambiguous*
(some URLs may have been notified already), and the lines it logged become the ledger's error.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import apprise

from adapters.apprise.config import AppriseOptions
from commsbot.delivery.maintenance_render import (
    maintenance_markdown,
    maintenance_plain,
    maintenance_short,
)
from commsbot.delivery.ports import DeliveryFailed, MaintenanceOutbound, Notice, Outbound, Receipt
from commsbot.delivery.render import (
    notice_plain,
    render_markdown,
    render_plain,
    render_short,
    truncate,
)

if TYPE_CHECKING:
    from commsbot.delivery.config import DestinationConfig, NotifierConfig
    from commsbot.engines.targets import AdapterContext

#: Apprise splits or cuts per service; this only bounds what we hand it.
MAX_BODY = 32_000
TITLE_LIMIT = 250


class AppriseSender:
    """One ``apprise.Apprise`` object for the URLs of one entry."""

    def __init__(self, *, urls: str, where: str) -> None:
        self._apprise = apprise.Apprise()
        if not self._apprise.add(urls) or len(self._apprise) == 0:
            from commsbot.settings import ConfigError

            raise ConfigError(
                f"{where}: its url_env holds no URL that Apprise understands; see "
                "https://github.com/caronc/apprise/wiki for the URL of each service"
            )

    def _notify(self, body: str, title: str, body_format: Any) -> tuple[bool, str]:
        with apprise.LogCapture(level=logging.WARNING) as captured:  # type: ignore[no-untyped-call]
            ok = bool(self._apprise.notify(body=body, title=title, body_format=body_format))
            logs = captured.getvalue()
        return ok, logs

    async def send(self, body: str, *, title: str, markdown: bool) -> Receipt:
        body_format = apprise.NotifyFormat.MARKDOWN if markdown else apprise.NotifyFormat.TEXT
        ok, logs = await asyncio.to_thread(self._notify, body, title, body_format)
        if not ok:
            lines = [line.strip() for line in logs.splitlines() if line.strip()]
            reason = lines[-1] if lines else "no reason logged"
            raise DeliveryFailed(
                f"Apprise could not notify every URL: {reason[:300]}",
                retryable=True,
                ambiguous=True,
            )
        return Receipt()


class AppriseDestination:
    """Published updates in the rendering the entry asks for (plain, markdown or short)."""

    def __init__(
        self, *, name: str, sender: AppriseSender, options: AppriseOptions, zone: ZoneInfo
    ) -> None:
        self.name = name
        self._sender = sender
        self._options = options
        self._zone = zone

    async def deliver(self, item: Outbound) -> Receipt:
        fmt = self._options.format
        if fmt == "short":
            body = render_short(item)
        elif fmt == "markdown":
            body = render_markdown(item, zone=self._zone, limit=MAX_BODY)
        else:
            body = render_plain(item, zone=self._zone, limit=MAX_BODY)
        title = ""
        if self._options.title and fmt != "short":
            incident = item.incident.incident
            prefix = "Correction: " if item.is_correction else ""
            title = truncate(f"{prefix}{incident.ref}: {incident.title}", TITLE_LIMIT)
        return await self._sender.send(body, title=title, markdown=fmt == "markdown")

    async def deliver_maintenance(self, item: MaintenanceOutbound) -> Receipt:
        fmt = self._options.format
        if fmt == "short":
            body = maintenance_short(item)
        elif fmt == "markdown":
            body = maintenance_markdown(item, zone=self._zone, limit=MAX_BODY)
        else:
            body = maintenance_plain(item, zone=self._zone, limit=MAX_BODY)
        title = ""
        if self._options.title and fmt != "short":
            title = truncate(f"Maintenance {item.post.ref}: {item.post.title}", TITLE_LIMIT)
        return await self._sender.send(body, title=title, markdown=fmt == "markdown")


class AppriseNotifier:
    """Internal notices, as plain text."""

    def __init__(self, *, name: str, sender: AppriseSender) -> None:
        self.name = name
        self._sender = sender

    async def notify(self, notice: Notice) -> Receipt:
        title = f"commsbot: {notice.kind} ({notice.incident_ref})"
        return await self._sender.send(
            notice_plain(notice, limit=MAX_BODY), title=title, markdown=False
        )


def _sender(
    role: str, config: DestinationConfig | NotifierConfig, context: AdapterContext
) -> AppriseSender:
    from commsbot.engines.targets import where

    options: AppriseOptions = config.options
    entry = where("destination" if role == "destination" else "notifier", config)
    urls = context.secret(where=entry, key="url_env", variable=options.url_env)
    return AppriseSender(urls=urls, where=entry)


def make_destination(config: DestinationConfig, context: AdapterContext) -> AppriseDestination:
    """The registry's factory for ``type = "apprise"`` destinations."""
    return AppriseDestination(
        name=config.name,
        sender=_sender("destination", config, context),
        options=config.options,
        zone=context.settings.zone,
    )


def make_notifier(config: NotifierConfig, context: AdapterContext) -> AppriseNotifier:
    """The registry's factory for ``type = "apprise"`` notifiers."""
    return AppriseNotifier(name=config.name, sender=_sender("notifier", config, context))
