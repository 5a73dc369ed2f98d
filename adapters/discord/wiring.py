"""Factories the broadcast engine's registry calls for ``type = "discord"`` entries.

Every Discord destination and notifier with the same token shares one REST client, hence one
set of rate-limit buckets, as Discord counts them per bot: the client is kept by the
``AdapterContext`` the composition root makes for one dispatcher (``context.shared``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.discord.destination import DiscordDestination
from adapters.discord.notifier import DiscordNotifier
from adapters.discord.rest import DiscordRest
from commsbot.discord_config import DiscordOptions, DiscordSecrets

if TYPE_CHECKING:
    from commsbot.delivery.config import DestinationConfig, NotifierConfig
    from commsbot.engines.targets import AdapterContext


def _rest(
    config: DestinationConfig | NotifierConfig, context: AdapterContext, role: str
) -> tuple[DiscordRest, DiscordOptions]:
    from commsbot.engines.targets import where
    from commsbot.settings import ConfigError

    options: DiscordOptions = config.options
    entry = where("destination" if role == "destination" else "notifier", config)
    token = context.secret(where=entry, key="token_env", variable=options.token_env)
    try:
        secrets = DiscordSecrets.from_env(context.environ)
    except ValueError as exc:
        raise ConfigError(f"{entry}: {exc}") from None
    api_url = secrets.api_url
    rest = context.shared(
        ("discord-rest", token, api_url), lambda: DiscordRest(token=token, api_url=api_url)
    )
    return rest, options


def make_destination(config: DestinationConfig, context: AdapterContext) -> DiscordDestination:
    """A Discord channel destination from its ``[[destinations]]`` entry."""
    rest, options = _rest(config, context, "destination")
    return DiscordDestination(
        name=config.name, channel_id=options.channel_id, rest=rest, publish=options.publish
    )


def make_notifier(config: NotifierConfig, context: AdapterContext) -> DiscordNotifier:
    """A Discord channel notifier from its ``[[notifiers]]`` entry."""
    rest, options = _rest(config, context, "notifier")
    return DiscordNotifier(name=config.name, channel_id=options.channel_id, rest=rest)
