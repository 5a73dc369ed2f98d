"""The ``[slack]`` section of ``commsbot.toml`` and the keys of ``type = "slack"`` targets.

Pydantic only (the core never imports Slack's SDK): channel ids are validated here, at start-up,
so a typo stops the bot with the key and what a valid value looks like instead of surfacing as a
``channel_not_found`` at 3 AM. The adapter itself is ``adapters/slack``.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Public channels start with C, private ones with G (older) or C; Slack ids are upper-case.
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")
_COMMAND = re.compile(r"^/[a-z0-9_\-]{1,31}$")


class SlackMode(StrEnum):
    """How Slack reaches the bot."""

    SOCKET = "socket"  # an outbound WebSocket: no public URL needed (SLACK_APP_TOKEN)
    HTTP = "http"  # signed requests to /slack/events on the bot's HTTP server


def _channel(value: str) -> str:
    value = value.strip()
    if not _CHANNEL_ID.match(value):
        raise ValueError(
            "not a Slack channel id; use the id (e.g. C0123ABCD, from the channel's "
            "'About' tab), not its #name"
        )
    return value


class SlackConfig(BaseModel):
    """The ``[slack]`` section: how the bot talks with Slack. Every field has a default.

    Status channels and the approvals channel are ``[[destinations]]`` and ``[[notifiers]]``
    entries of ``type = "slack"`` (:class:`SlackOptions`); this section is about the
    connection and the slash command.

    Attributes:
        enabled: start the Slack surface when its tokens are present.
        mode: ``socket`` (default) or ``http``.
        command: the slash command as configured in the app (default ``/incident``).
        group_cache_seconds: how long user-group memberships are trusted before asking again.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    mode: SlackMode = SlackMode.SOCKET
    command: str = "/incident"
    group_cache_seconds: float = Field(default=60.0, ge=0, le=24 * 3600)

    @field_validator("command")
    @classmethod
    def _command(cls, value: str) -> str:
        if not _COMMAND.match(value):
            raise ValueError("a slash command is '/' and 1–31 lower-case letters, digits, - or _")
        return value


class SlackOptions(BaseModel):
    """The keys of a ``type = "slack"`` entry in ``[[destinations]]`` or ``[[notifiers]]``.

    Attributes:
        channel: the channel id (``C0123ABCD``; the bot must be a member of it).
        token_env: the environment variable holding the bot token.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: str
    token_env: str = "SLACK_BOT_TOKEN"

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        return _channel(value)
