"""Wiring the dispatcher into ``commsbot run``: targets from the configuration, then run.

Destinations and notifiers are made through the registry of types
(:mod:`commsbot.delivery.registry`; platform SDKs are imported here, at start, and never on
the CLI's path). A bad secret or URL fails at start with a ``ConfigError`` naming the entry
and the key.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import sys
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO, TypeVar

from commsbot.delivery.config import DestinationConfig, NotifierConfig
from commsbot.delivery.ports import Destination, Notifier
from commsbot.delivery.registry import BUILT_IN_TYPES, Role, TargetTypes, load
from commsbot.engines.dispatcher import POLL_SECONDS, Dispatcher
from commsbot.engines.outage import Diagnose
from commsbot.services.deps import Deps
from commsbot.settings import ConfigError, Settings
from commsbot.timing import Clock, Rate, Sleep

log = logging.getLogger("commsbot.delivery")

T = TypeVar("T")


@dataclass(frozen=True)
class AdapterContext:
    """What a factory may use besides its own configuration entry.

    Attributes:
        settings: the whole configuration (time zone, status page URL, …).
        environ: where secrets are read from (``os.environ`` by default).
        out: the console's stream.
        deps: the use cases' dependencies, for a target that reads the database (the static
            export); None when targets are only checked (``commsbot config check``).
    """

    settings: Settings
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    out: TextIO = field(default_factory=lambda: sys.stdout)
    deps: Deps | None = None
    _shared: dict[Hashable, object] = field(default_factory=dict, repr=False, compare=False)

    def secret(self, *, where: str, key: str, variable: str) -> str:
        """The value of the environment variable ``variable``, named by ``key`` of ``where``.

        Raises:
            ConfigError: it is unset or empty; the message says which entry and key named it.
        """
        value = self.environ.get(variable, "")
        if not value:
            raise ConfigError(
                f"{where}: {key} = {variable!r}: the environment variable {variable} is not set; "
                "set it in the environment or in .env (secrets never go in commsbot.toml)"
            )
        return value

    def shared(self, key: Hashable, make: Callable[[], T]) -> T:
        """One object per ``key`` for every target made with this context (made on first use).

        For what the targets of one platform must share: Discord counts rate limits per bot,
        so its destinations and notifiers with the same token share one REST client.
        """
        if key not in self._shared:
            self._shared[key] = make()
        found: Any = self._shared[key]
        return found  # type: ignore[no-any-return]


def where(role: Role, config: DestinationConfig | NotifierConfig) -> str:
    """How errors name a configuration entry: ``destination 'status' (type webhook)``."""
    return f"{role} {config.name!r} (type {config.type})"


def build_destination(
    config: DestinationConfig, context: AdapterContext, types: TargetTypes = BUILT_IN_TYPES
) -> Destination:
    """Make the Destination an entry of ``[[destinations]]`` describes."""
    kind = types.find(config.type)
    assert kind is not None  # validated with the configuration
    assert kind.destination is not None
    made: Destination = load(kind.destination)(config, context)
    return made


def build_notifier(
    config: NotifierConfig, context: AdapterContext, types: TargetTypes = BUILT_IN_TYPES
) -> Notifier:
    """Make the Notifier an entry of ``[[notifiers]]`` describes."""
    kind = types.find(config.type)
    assert kind is not None
    assert kind.notifier is not None
    made: Notifier = load(kind.notifier)(config, context)
    return made


def build_dispatcher(
    deps: Deps,
    *,
    out: TextIO,
    types: TargetTypes = BUILT_IN_TYPES,
    environ: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    sleep: Sleep = asyncio.sleep,
    poll_seconds: float = POLL_SECONDS,
    rng: random.Random | None = None,
    diagnose: Diagnose | None = None,
) -> Dispatcher:
    """A dispatcher for every configured destination and notifier (console by default).

    Args:
        types: the registry of destination and notifier types.
        diagnose: names a database outage behind an exception, so that the dispatcher says
            so once instead of logging a traceback a second (the composition root passes the
            store's diagnosis).

    Raises:
        ConfigError: a target cannot be made (an environment variable it names is unset, …).
    """
    from commsbot.delivery.config import destinations_of, notifiers_of

    settings = deps.settings
    context = AdapterContext(settings=settings, environ=environ or os.environ, out=out, deps=deps)
    destinations: dict[str, tuple[Destination, DestinationConfig]] = {
        cfg.name: (build_destination(cfg, context, types), cfg)
        for cfg in destinations_of(settings.destinations)
    }
    notifiers: dict[str, tuple[Notifier, NotifierConfig]] = {
        cfg.name: (build_notifier(cfg, context, types), cfg)
        for cfg in notifiers_of(settings.notifiers)
    }
    rates: dict[str, Rate] = {}
    platform_rates: dict[str, Rate] = {}
    for cfg in [*(c for _, c in destinations.values()), *(c for _, c in notifiers.values())]:
        kind = types.find(cfg.type)
        if kind is not None and kind.rate is not None:
            rates[kind.name] = kind.rate
        if kind is not None and kind.platform_rate is not None:
            platform_rates[kind.name] = kind.platform_rate
    dispatcher = Dispatcher(
        deps,
        destinations=destinations,
        notifiers=notifiers,
        type_rates=rates,
        platform_rates=platform_rates,
        clock=clock,
        sleep=sleep,
        poll_seconds=poll_seconds,
        rng=rng,
        diagnose=diagnose,
    )
    log.info(
        "broadcasting to %s; notices to %s",
        ", ".join(f"{n} ({c.type})" for n, (_, c) in destinations.items()),
        ", ".join(f"{n} ({c.type})" for n, (_, c) in notifiers.items()),
    )
    return dispatcher


async def run_dispatcher(
    dispatcher: Dispatcher, stop: asyncio.Event, *, grace: float | None = None
) -> None:
    """Run until ``stop``; then finish or release the attempts in flight (``grace``: see
    :meth:`Dispatcher.run`) and close the targets that hold connections.

    While it runs, the dispatcher answers ``deps.waker.wake()`` (a use case that queued
    something in this process, e.g. from Slack, wakes it rather than waiting for its poll).
    """
    try:
        await dispatcher.run(stop, grace=grace)
    finally:
        for target in dispatcher.targets:
            close: Any = getattr(target, "aclose", None)
            if close is not None:
                try:
                    await close()
                except Exception:
                    log.exception("closing %r failed", getattr(target, "name", target))
