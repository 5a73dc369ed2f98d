"""Discord's configuration: ``[discord]``, ``type = "discord"`` targets, and the secrets.

Only pydantic here, no discord.py: ``commsbot.settings`` imports this module to validate the
file at start, and ``commsbot --help`` must stay fast.

Example::

    [discord]
    guild_ids = [1180000000000000001]          # where /incident is registered

    [[destinations]]                           # published updates
    name = "discord-status"
    type = "discord"
    channel_id = 1180000000000000003

    [[notifiers]]                              # approval requests, reminders
    name = "discord-approvals"
    type = "discord"
    channel_id = 1180000000000000002
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: A Discord id: a positive 64-bit integer (TOML integers and quoted digits are both accepted).
Snowflake = Annotated[int, Field(gt=0, lt=2**64)]

DEFAULT_API_URL = "https://discord.com/api/v10"
TOKEN_ENV = "DISCORD_BOT_TOKEN"
APPLICATION_ID_ENV = "DISCORD_APPLICATION_ID"
API_URL_ENV = "DISCORD_API_URL"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DiscordOptions(_Strict):
    """A ``type = "discord"`` entry of ``[[destinations]]`` or ``[[notifiers]]``.

    Attributes:
        channel_id: the channel (Developer Mode on, right-click the channel, Copy Channel ID).
        publish: for a destination in an announcement channel, also publish (crosspost) each
            post to the servers that follow the channel; Discord allows about 10 an hour.
        token_env: the environment variable holding the bot token.
    """

    channel_id: Snowflake
    publish: bool = True
    token_env: str = Field(default=TOKEN_ENV, pattern=r"^[A-Z_][A-Z0-9_]*$")


class DiscordConfig(_Strict):
    """``[discord]``: the gateway connection that serves ``/incident`` and the buttons.

    It runs inside ``commsbot run`` whenever ``DISCORD_BOT_TOKEN`` is set.

    Attributes:
        gateway: connect to receive commands and button presses (false: post only).
        guild_ids: servers where ``/incident`` is registered, which shows it at once; empty
            registers it globally, which Discord can take up to an hour to show.
        sync_commands: register ``/incident`` on every start (Discord keeps the last one).
    """

    gateway: bool = True
    guild_ids: list[Snowflake] = Field(default_factory=list)
    sync_commands: bool = True

    @field_validator("guild_ids")
    @classmethod
    def _unique(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError("lists the same id twice")
        return value


class DiscordSecrets(_Strict):
    """What comes from the environment (``.env``), never from ``commsbot.toml``."""

    token: str | None = None
    application_id: int | None = None
    api_url: str = DEFAULT_API_URL

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DiscordSecrets:
        """Read ``DISCORD_BOT_TOKEN``, ``DISCORD_APPLICATION_ID`` and ``DISCORD_API_URL``.

        Raises:
            ValueError: the application id is not a snowflake or the API URL is not http(s).
        """
        env = os.environ if environ is None else environ
        raw_id = env.get(APPLICATION_ID_ENV, "").strip()
        return cls(
            token=env.get(TOKEN_ENV, "").strip() or None,
            application_id=parse_snowflake(raw_id, what=APPLICATION_ID_ENV) if raw_id else None,
            api_url=normalize_api_url(env.get(API_URL_ENV, "").strip() or DEFAULT_API_URL),
        )


class DiscordPreflight(_Strict):
    """Whether ``commsbot run`` would connect the gateway, and what stops it (no network).

    Attributes:
        starts: the gateway would connect.
        problems: what would stop start-up, each saying what to set.
        summary: one line for ``commsbot config check``.
        secrets: the variables as read (None when one of them is unusable).
    """

    starts: bool
    problems: tuple[str, ...] = ()
    summary: str
    secrets: DiscordSecrets | None = None


def preflight(
    config: DiscordConfig | None, environ: Mapping[str, str] | None = None
) -> DiscordPreflight:
    """What ``commsbot run`` checks before connecting to Discord's gateway."""
    try:
        secrets = DiscordSecrets.from_env(environ)
    except ValueError as exc:
        return DiscordPreflight(starts=False, problems=(str(exc),), summary="unusable variables")
    if not secrets.token:
        if config is not None and config.gateway:
            problem = (
                f"[discord] is configured but {TOKEN_ENV} is not set; put the bot token from "
                "the Bot page of your Discord app in .env, or remove [discord]"
            )
            return DiscordPreflight(starts=False, problems=(problem,), summary="no token")
        return DiscordPreflight(
            starts=False, summary=f"not configured (no [discord] and no {TOKEN_ENV})"
        )
    if config is not None and not config.gateway:
        return DiscordPreflight(
            starts=False, summary="post only ([discord] gateway = false)", secrets=secrets
        )
    servers = ", ".join(map(str, config.guild_ids)) if config and config.guild_ids else "global"
    return DiscordPreflight(
        starts=True,
        summary=f"gateway, /incident registered in {servers}, REST at {secrets.api_url}",
        secrets=secrets,
    )


def parse_snowflake(raw: str, *, what: str) -> int:
    """``raw`` as a Discord id, or ValueError saying what an id looks like."""
    text = raw.strip()
    if not text.isdigit() or not 17 <= len(text) <= 20 or int(text) >= 2**64:
        raise ValueError(
            f"{what} {raw!r} is not a Discord id; copy the Application ID (a number of 17 to 20 "
            "digits) from the General Information page of your app at "
            "https://discord.com/developers/applications"
        )
    return int(text)


def normalize_api_url(url: str) -> str:
    """``url`` without a trailing slash; ValueError unless it is http(s)."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(
            f"{API_URL_ENV} {url!r} is not an http(s) URL; leave it unset for Discord's own "
            f"({DEFAULT_API_URL}) or give a proxy such as http://127.0.0.1:8081/api/v10"
        )
    return url.rstrip("/")
