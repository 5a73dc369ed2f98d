"""Destination and notifier types: ``type = "webhook"`` in commsbot.toml → the code behind it.

Adding a type is one line at the bottom of this file::

    register("slack", options="adapters.slack.config:SlackOptions",
             destination="adapters.slack.broadcast:make_destination",
             notifier="adapters.slack.notify:make_notifier", rate=Rate(1.0, burst=3))

Everything is named by ``"module:attribute"`` and imported only when needed, so that platform
SDKs stay off the CLI's path: reading the configuration imports only the ``options`` model (keep
that module light: pydantic only); ``commsbot run`` imports the factories.

A factory is called as ``factory(config, context)`` with the entry's validated
:class:`~commsbot.delivery.config.DestinationConfig` (its ``options`` holds the type's own
keys) and an :class:`AdapterContext`, and returns the Destination (or Notifier). A factory
raises ``ConfigError`` for what only start-up can check (an unset environment variable).
Objects it returns may also have ``async def aclose(self)``, called when the bot stops.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TextIO

from commsbot.timing import Rate

if TYPE_CHECKING:
    from pydantic import BaseModel

    from commsbot.delivery.config import DestinationConfig, NotifierConfig
    from commsbot.delivery.ports import Destination, Notifier
    from commsbot.settings import Settings

Role = Literal["destination", "notifier"]


@dataclass(frozen=True)
class TargetType:
    """One registered type.

    Attributes:
        options: ``"module:Model"``, the pydantic model of the type's own keys.
        destination / notifier: ``"module:factory"``; None when the type cannot be one.
        rate: the documented limit for one destination of this type (None: unlimited).
        platform_rate: the documented limit shared by every target of this type.
    """

    name: str
    options: str
    destination: str | None = None
    notifier: str | None = None
    rate: Rate | None = None
    platform_rate: Rate | None = None

    def supports(self, role: Role) -> bool:
        return (self.destination if role == "destination" else self.notifier) is not None


_TYPES: dict[str, TargetType] = {}


def register(
    name: str,
    *,
    options: str,
    destination: str | None = None,
    notifier: str | None = None,
    rate: Rate | None = None,
    platform_rate: Rate | None = None,
) -> None:
    """Make ``type = name`` usable in ``[[destinations]]`` and/or ``[[notifiers]]``."""
    _TYPES[name] = TargetType(
        name=name,
        options=options,
        destination=destination,
        notifier=notifier,
        rate=rate,
        platform_rate=platform_rate,
    )


def find(name: str) -> TargetType | None:
    return _TYPES.get(name)


def type_names(role: Role) -> list[str]:
    return sorted(n for n, t in _TYPES.items() if t.supports(role))


def load(ref: str) -> Any:
    """Import ``"module:attribute"``."""
    module, _, attribute = ref.partition(":")
    return getattr(importlib.import_module(module), attribute)


def options_model(kind: TargetType) -> type[BaseModel]:
    model: type[BaseModel] = load(kind.options)
    return model


@dataclass(frozen=True)
class AdapterContext:
    """What a factory may use besides its own configuration entry.

    Attributes:
        settings: the whole configuration (time zone, status page URL, …).
        environ: where secrets are read from (``os.environ`` by default).
        out: the console's stream.
    """

    settings: Settings
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    out: TextIO = field(default_factory=lambda: sys.stdout)

    def secret(self, *, where: str, key: str, variable: str) -> str:
        """The value of the environment variable ``variable``, named by ``key`` of ``where``.

        Raises:
            ConfigError: it is unset or empty; the message says which entry and key named it.
        """
        value = self.environ.get(variable, "")
        if not value:
            from commsbot.settings import ConfigError

            raise ConfigError(
                f"{where}: {key} = {variable!r}: the environment variable {variable} is not set; "
                "set it in the environment or in .env (secrets never go in commsbot.toml)"
            )
        return value


def where(role: Role, config: DestinationConfig | NotifierConfig) -> str:
    """How errors name a configuration entry: ``destination 'status' (type webhook)``."""
    return f"{role} {config.name!r} (type {config.type})"


def build_destination(config: DestinationConfig, context: AdapterContext) -> Destination:
    """Make the Destination an entry of ``[[destinations]]`` describes."""
    kind = _TYPES[config.type]
    assert kind.destination is not None  # validated with the configuration
    made: Destination = load(kind.destination)(config, context)
    return made


def build_notifier(config: NotifierConfig, context: AdapterContext) -> Notifier:
    """Make the Notifier an entry of ``[[notifiers]]`` describes."""
    kind = _TYPES[config.type]
    assert kind.notifier is not None
    made: Notifier = load(kind.notifier)(config, context)
    return made


# --- the types -------------------------------------------------------------------------------
register(
    "console",
    options="adapters.console.config:ConsoleOptions",
    destination="adapters.console:make_destination",
    notifier="adapters.console:make_notifier",
)
register(
    "webhook",
    options="adapters.webhook.config:WebhookOptions",
    destination="adapters.webhook.destination:make_destination",
    notifier="adapters.webhook.destination:make_notifier",
)
register(
    "apprise",
    options="adapters.apprise.config:AppriseOptions",
    destination="adapters.apprise.destination:make_destination",
    notifier="adapters.apprise.destination:make_notifier",
    # Social networks and mail relays throttle hard; one post every 2 s keeps well inside.
    rate=Rate(0.5, burst=3),
)
register(
    "discord",
    options="commsbot.discord_config:DiscordOptions",
    destination="adapters.discord.wiring:make_destination",
    notifier="adapters.discord.wiring:make_notifier",
    # About 5 messages per 5 s per channel; 50 requests/s per bot across all channels.
    rate=Rate(1.0, burst=5),
    platform_rate=Rate(40.0, burst=40),
)
register(
    "slack",
    options="commsbot.slack_config:SlackOptions",
    destination="adapters.slack.destination:make_destination",
    notifier="adapters.slack.notifier:make_notifier",
    # chat.postMessage: ~1 message/s per channel; each delivery also edits the incident's card
    # with chat.update (Tier 3, ~50/min per workspace), shared by every Slack target.
    rate=Rate(1.0, burst=3),
    platform_rate=Rate(0.8, burst=10),
)
register(
    "static-export",
    options="commsbot.statuspage.export_options:StaticExportOptions",
    destination="commsbot.statuspage.export:make_destination",
)
