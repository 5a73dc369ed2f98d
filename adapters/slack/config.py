"""Slack secrets from the environment (``.env``), the checks before start-up, and the user
groups the configuration names; the settings models live in the core."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from commsbot.slack_config import SlackConfig, SlackMode, SlackOptions

if TYPE_CHECKING:
    from commsbot.settings import Settings

__all__ = ["DEFAULT_API_URL", "SlackConfig", "SlackMode", "SlackOptions", "SlackSecrets"]

DEFAULT_API_URL = "https://slack.com/api/"
GROUP_PREFIX = "slack-group:"


def configured_groups(settings: Settings) -> frozenset[str]:
    """The Slack user-group ids named anywhere in the approval configuration."""
    entries: list[str] = [*settings.approval.approvers, *settings.approval.responders]
    for cfg in settings.severities.values():
        entries += cfg.approvers or []
    return frozenset(e.removeprefix(GROUP_PREFIX) for e in entries if e.startswith(GROUP_PREFIX))


@dataclass(frozen=True)
class SlackSecrets:
    """Tokens from the environment (``.env``). ``app_token`` is needed only in Socket Mode."""

    bot_token: str | None
    signing_secret: str | None
    app_token: str | None
    api_url: str = DEFAULT_API_URL

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SlackSecrets:
        """Read the ``SLACK_BOT_TOKEN``/``SIGNING_SECRET``/``APP_TOKEN``/``API_URL`` variables."""
        env = os.environ if environ is None else environ
        url = (env.get("SLACK_API_URL") or "").strip() or DEFAULT_API_URL
        return cls(
            bot_token=(env.get("SLACK_BOT_TOKEN") or "").strip() or None,
            signing_secret=(env.get("SLACK_SIGNING_SECRET") or "").strip() or None,
            app_token=(env.get("SLACK_APP_TOKEN") or "").strip() or None,
            api_url=url if url.endswith("/") else url + "/",
        )

    def missing(self, mode: SlackMode) -> list[str]:
        """The variables ``mode`` needs that are not set."""
        need = {"SLACK_BOT_TOKEN": self.bot_token}
        if mode is SlackMode.SOCKET:
            need["SLACK_APP_TOKEN"] = self.app_token
        else:
            need["SLACK_SIGNING_SECRET"] = self.signing_secret
        return [name for name, value in need.items() if not value]


@dataclass(frozen=True)
class SlackPreflight:
    """Whether ``commsbot run`` would start Slack, and what stops it (no network asked).

    Attributes:
        starts: Slack is configured (a ``[slack]`` section or ``SLACK_BOT_TOKEN``) and enabled.
        problems: what would stop start-up, each saying what to set.
        summary: one line for ``commsbot config check``.
    """

    starts: bool
    problems: tuple[str, ...]
    summary: str


def preflight(
    config: SlackConfig, *, configured: bool, secrets: SlackSecrets, http_enabled: bool
) -> SlackPreflight:
    """What ``commsbot run`` checks before connecting to Slack.

    Args:
        config: ``[slack]``.
        configured: the file has a ``[slack]`` section (then the tokens are required).
        http_enabled: ``[http] enabled`` (HTTP mode needs the server for /slack/events).
    """
    if not config.enabled:
        return SlackPreflight(False, (), "off ([slack] enabled = false)")
    if not secrets.bot_token and not configured:
        return SlackPreflight(False, (), "not configured (no [slack] and no SLACK_BOT_TOKEN)")
    problems: list[str] = []
    missing = secrets.missing(config.mode)
    if missing:
        problems.append(
            f"[slack] mode = {config.mode.value!r} needs {', '.join(missing)}; set "
            f"{'it' if len(missing) == 1 else 'them'} in .env "
            "(see .env.example and the README's Slack section), or set [slack] enabled = false"
        )
    if config.mode is SlackMode.HTTP and not http_enabled:
        problems.append(
            '[slack] mode = "http" needs the HTTP server for /slack/events; set [http] '
            'enabled = true, or use mode = "socket" (no public URL needed)'
        )
    summary = f"{config.mode.value} mode, {config.command}, Web API at {secrets.api_url}"
    return SlackPreflight(True, tuple(problems), summary)
