"""Keys of ``type = "apprise"`` entries. Light on purpose: read on every CLI start."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class AppriseOptions(BaseModel):
    """Which Apprise URL(s) to notify, and how to render for them.

    Attributes:
        url_env: the environment variable holding one or more Apprise URLs (space or comma
            separated). Apprise URLs carry credentials (``mailto://user:pass@…``,
            ``tgram://token/chat``), so they never go in commsbot.toml.
        format: ``plain`` (email, Teams, Telegram …), ``markdown``, or ``short`` (≤ 280
            characters, for Mastodon, Bluesky, X).
        title: send the incident's reference and title as the notification's title.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    url_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    format: Literal["plain", "markdown", "short"] = "plain"
    title: bool = True
