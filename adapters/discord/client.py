"""The gateway client that serves ``/incident`` and the approval buttons inside ``commsbot run``.

It receives interactions over Discord's gateway; everything it sends (answers, edits) goes over
REST to ``DISCORD_API_URL``. Announcements do not need it: they are posted by the broadcast
engine through :mod:`adapters.discord.destination`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

import discord
from discord import app_commands

from adapters.discord.buttons import DYNAMIC_ITEMS
from adapters.discord.commands import IncidentCommands
from adapters.discord.interact import INTERNAL_ERROR, reply
from adapters.discord.rest import MAX_RATELIMIT_WAIT, use_api_url
from commsbot.discord_config import DiscordConfig, DiscordSecrets
from commsbot.services.deps import Deps

log = logging.getLogger("commsbot.discord")


class CommsbotTree(app_commands.CommandTree[Any]):
    """A command tree that answers the person when a command fails unexpectedly."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError, /
    ) -> None:
        original = getattr(error, "original", error)
        log.error(
            "discord: /%s failed",
            getattr(interaction.command, "qualified_name", "?"),
            exc_info=original,
        )
        with contextlib.suppress(discord.HTTPException):
            await reply(interaction, INTERNAL_ERROR)


class CommsbotClient(discord.Client):
    """discord.py's client with ``/incident``, the persistent buttons and the use cases.

    Args:
        deps: the use cases' dependencies (buttons and commands reach them through the client).
        guild_ids: servers to register ``/incident`` in (instant); empty: globally.
        sync_commands: register the commands with Discord at start.
    """

    def __init__(
        self, *, deps: Deps, guild_ids: Sequence[int] = (), sync_commands: bool = True
    ) -> None:
        super().__init__(
            # Interactions arrive without any intent; GUILDS keeps roles and channels cached.
            intents=discord.Intents(guilds=True),
            allowed_mentions=discord.AllowedMentions.none(),
            max_ratelimit_timeout=MAX_RATELIMIT_WAIT,
        )
        self.deps = deps
        self.guild_ids = list(guild_ids)
        self.sync_commands = sync_commands
        self.tree = CommsbotTree(self)
        self.tree.add_command(IncidentCommands())

    async def setup_hook(self) -> None:
        # Buttons posted before a restart keep working: their custom_id says what they act on.
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        if self.sync_commands:
            await self.sync()

    async def sync(self) -> None:
        """Register ``/incident`` in the configured servers (or globally)."""
        try:
            if not self.guild_ids:
                await self.tree.sync()
                log.info("discord: /incident registered globally (may take up to an hour)")
            for guild_id in self.guild_ids:
                guild = discord.Object(guild_id)
                self.tree.copy_global_to(guild=guild)
                await self.tree.sync(guild=guild)
                log.info("discord: /incident registered in server %s", guild_id)
        except discord.Forbidden as exc:
            log.error(
                "discord: cannot register /incident (%s); invite the bot with the URL from "
                "`commsbot discord invite-url` (it includes the applications.commands scope)",
                exc.text,
            )


async def run_gateway(
    *, deps: Deps, config: DiscordConfig, secrets: DiscordSecrets, stop: asyncio.Event
) -> None:
    """Stay connected to Discord until ``stop`` is set; a refused token is logged, not fatal
    (the CLI, the status page and the other surfaces keep working)."""
    if not secrets.token:
        raise ValueError("run_gateway needs DISCORD_BOT_TOKEN")
    use_api_url(secrets.api_url)
    client = CommsbotClient(
        deps=deps, guild_ids=config.guild_ids, sync_commands=config.sync_commands
    )
    runner = asyncio.create_task(client.start(secrets.token), name="commsbot-discord-gateway")
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
        await client.close()
        if not runner.done():
            runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            error = await asyncio.gather(runner, return_exceptions=True)
            if isinstance(error[0], discord.LoginFailure):
                log.error(
                    "discord: the bot token was refused; set DISCORD_BOT_TOKEN to the token "
                    "on the Bot page of your app (Reset Token shows a new one)"
                )
            elif isinstance(error[0], BaseException):
                log.error("discord: gateway stopped", exc_info=error[0])
