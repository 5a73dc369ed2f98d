"""Starting the Discord gateway inside ``commsbot run``, only when it is configured.

Light on imports: discord.py is loaded only when the gateway actually starts, so ``make run``
without any Discord token neither needs nor loads it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from commsbot.discord_config import DiscordConfig, preflight
from commsbot.services.deps import Deps
from commsbot.settings import ConfigError


def start_gateway(
    *, deps: Deps, stop: asyncio.Event, environ: Mapping[str, str] | None = None
) -> asyncio.Task[None] | None:
    """Connect to Discord when ``DISCORD_BOT_TOKEN`` is set (and ``[discord] gateway`` is not
    false); the task ends after ``stop`` is set. None when Discord is not configured.

    Raises:
        ConfigError: ``[discord]`` is configured without a token, or a Discord variable is bad.
    """
    checked = preflight(deps.settings.discord, environ)  # as `commsbot config check` does
    if checked.problems:
        raise ConfigError(checked.problems[0])
    if not checked.starts or checked.secrets is None:
        return None
    secrets, config = checked.secrets, deps.settings.discord or DiscordConfig()
    from adapters.discord.client import run_gateway

    return asyncio.create_task(
        run_gateway(deps=deps, config=config, secrets=secrets, stop=stop),
        name="commsbot-discord",
    )
