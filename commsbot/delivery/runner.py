"""Wiring the dispatcher into ``commsbot run``: targets from the configuration, then run.

Destinations and notifiers are made through the registry (platform SDKs are imported here,
at start, and never on the CLI's path). A bad secret or URL fails at start with a
``ConfigError`` naming the entry and the key.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
from collections.abc import Mapping
from typing import Any, TextIO

from commsbot.delivery import registry
from commsbot.delivery.config import DestinationConfig, NotifierConfig
from commsbot.delivery.dispatcher import POLL_SECONDS, Dispatcher
from commsbot.delivery.ports import Destination, Notifier
from commsbot.delivery.registry import AdapterContext
from commsbot.services.deps import Deps
from commsbot.timing import Clock, Rate, Sleep

log = logging.getLogger("commsbot.delivery")

_running: list[Dispatcher] = []


def build_dispatcher(
    deps: Deps,
    *,
    out: TextIO,
    environ: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    sleep: Sleep = asyncio.sleep,
    poll_seconds: float = POLL_SECONDS,
    rng: random.Random | None = None,
) -> Dispatcher:
    """A dispatcher for every configured destination and notifier (console by default).

    Raises:
        ConfigError: a target cannot be made (an environment variable it names is unset, …).
    """
    from commsbot.delivery.config import destinations_of, notifiers_of

    settings = deps.settings
    context = AdapterContext(settings=settings, environ=environ or os.environ, out=out)
    destinations: dict[str, tuple[Destination, DestinationConfig]] = {
        cfg.name: (registry.build_destination(cfg, context), cfg)
        for cfg in destinations_of(settings.destinations)
    }
    notifiers: dict[str, tuple[Notifier, NotifierConfig]] = {
        cfg.name: (registry.build_notifier(cfg, context), cfg)
        for cfg in notifiers_of(settings.notifiers)
    }
    platform_rates: dict[str, Rate] = {}
    for cfg in [*(c for _, c in destinations.values()), *(c for _, c in notifiers.values())]:
        kind = registry.find(cfg.type)
        if kind is not None and kind.platform_rate is not None:
            platform_rates[kind.name] = kind.platform_rate
    dispatcher = Dispatcher(
        deps,
        destinations=destinations,
        notifiers=notifiers,
        platform_rates=platform_rates,
        clock=clock,
        sleep=sleep,
        poll_seconds=poll_seconds,
        rng=rng,
    )
    log.info(
        "broadcasting to %s; notices to %s",
        ", ".join(f"{n} ({c.type})" for n, (_, c) in destinations.items()),
        ", ".join(f"{n} ({c.type})" for n, (_, c) in notifiers.items()),
    )
    return dispatcher


async def run_dispatcher(dispatcher: Dispatcher, stop: asyncio.Event) -> None:
    """Run until ``stop``; then close the targets that hold connections."""
    _running.append(dispatcher)
    try:
        await dispatcher.run(stop)
    finally:
        _running.remove(dispatcher)
        for target in dispatcher.targets:
            close: Any = getattr(target, "aclose", None)
            if close is not None:
                try:
                    await close()
                except Exception:
                    log.exception("closing %r failed", getattr(target, "name", target))


def wake_dispatcher() -> None:
    """Make this process's dispatcher look at the outbox now (call after an approval made in
    this process, e.g. from Slack or the HTTP API, to skip the poll interval)."""
    for dispatcher in _running:
        dispatcher.wake()
