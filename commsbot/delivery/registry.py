"""Destination and notifier types: ``type = "webhook"`` in commsbot.toml → the code behind it.

Adding a type is one line in :data:`BUILT_IN_TYPES` at the bottom of this file::

    TargetType("pager", options="adapters.pager.config:PagerOptions",
               destination="adapters.pager:make_destination", rate=Rate(1.0, burst=3)),

Everything is named by ``"module:attribute"`` and imported only when needed, so that platform
SDKs stay off the CLI's path: reading the configuration imports only the ``options`` model (keep
that module light: pydantic only); ``commsbot run`` imports the factories
(:mod:`commsbot.engines.targets`).

A factory is called as ``factory(config, context)`` with the entry's validated
:class:`~commsbot.delivery.config.DestinationConfig` (its ``options`` holds the type's own
keys) and an :class:`~commsbot.engines.targets.AdapterContext`, and returns the Destination (or
Notifier). A factory raises ``ConfigError`` for what only start-up can check (an unset
environment variable). Objects it returns may also have ``async def aclose(self)``, called
when the bot stops.

The registry is a value (:class:`TargetTypes`), never changed once made: the composition root
passes it to what reads the configuration and to the dispatcher; a test that needs a type of
its own passes ``BUILT_IN_TYPES.with_types(...)``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from commsbot.timing import Rate

if TYPE_CHECKING:
    from pydantic import BaseModel

Role = Literal["destination", "notifier"]


@dataclass(frozen=True)
class TargetType:
    """One type.

    Attributes:
        name: what ``type =`` says in commsbot.toml.
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

    def options_model(self) -> type[BaseModel]:
        """The pydantic model of this type's own keys (imported now)."""
        model: type[BaseModel] = load(self.options)
        return model


class TargetTypes:
    """The types commsbot knows, by name. Immutable: :meth:`with_types` makes a new one."""

    def __init__(self, types: Iterable[TargetType]) -> None:
        self._types = {kind.name: kind for kind in types}

    def __iter__(self) -> Iterator[TargetType]:
        return iter(self._types.values())

    def find(self, name: str) -> TargetType | None:
        return self._types.get(name)

    def type_names(self, role: Role) -> list[str]:
        return sorted(n for n, t in self._types.items() if t.supports(role))

    def with_types(self, *types: TargetType) -> TargetTypes:
        """These types and ``types`` (a type of the same name replaces this one's)."""
        return TargetTypes([*self._types.values(), *types])


def load(ref: str) -> Any:
    """Import ``"module:attribute"``."""
    module, _, attribute = ref.partition(":")
    return getattr(importlib.import_module(module), attribute)


# --- the types -------------------------------------------------------------------------------
BUILT_IN_TYPES = TargetTypes(
    [
        TargetType(
            "console",
            options="adapters.console.config:ConsoleOptions",
            destination="adapters.console:make_destination",
            notifier="adapters.console:make_notifier",
        ),
        TargetType(
            "webhook",
            options="adapters.webhook.config:WebhookOptions",
            destination="adapters.webhook.destination:make_destination",
            notifier="adapters.webhook.destination:make_notifier",
        ),
        TargetType(
            "apprise",
            options="adapters.apprise.config:AppriseOptions",
            destination="adapters.apprise.destination:make_destination",
            notifier="adapters.apprise.destination:make_notifier",
            # Social networks and mail relays throttle hard; one post every 2 s keeps well inside.
            rate=Rate(0.5, burst=3),
        ),
        TargetType(
            "discord",
            options="commsbot.discord_config:DiscordOptions",
            destination="adapters.discord.wiring:make_destination",
            notifier="adapters.discord.wiring:make_notifier",
            # About 5 messages per 5 s per channel; 50 requests/s per bot across all channels.
            rate=Rate(1.0, burst=5),
            platform_rate=Rate(40.0, burst=40),
        ),
        TargetType(
            "slack",
            options="commsbot.slack_config:SlackOptions",
            destination="adapters.slack.destination:make_destination",
            notifier="adapters.slack.notifier:make_notifier",
            # chat.postMessage: ~1 message/s per channel; each delivery also edits the
            # incident's card with chat.update (Tier 3, ~50/min per workspace), shared by every
            # Slack target.
            rate=Rate(1.0, burst=3),
            platform_rate=Rate(0.8, burst=10),
        ),
        TargetType(
            "static-export",
            options="commsbot.statuspage.config:StaticExportOptions",
            destination="commsbot.engines.static_export:make_destination",
        ),
    ]
)
