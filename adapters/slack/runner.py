"""Starting Slack inside ``commsbot run``, only when it is configured.

Light on imports: slack_bolt is loaded only when Slack actually starts, so ``make run`` without
any Slack token neither needs nor loads it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from adapters.slack.config import SlackMode, SlackSecrets, preflight
from commsbot.services.deps import Deps
from commsbot.settings import ConfigError

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from adapters.slack.app import SlackSurface

log = logging.getLogger("commsbot.slack")


@dataclass
class SlackRun:
    """A started Slack surface: what to mount on the HTTP server (HTTP mode), or the Socket
    Mode connection's task."""

    surface: SlackSurface
    mounts: dict[str, Starlette] = field(default_factory=dict)
    task: asyncio.Task[None] | None = None

    async def wait(self, timeout: float = 10.0) -> None:
        """After ``stop``: let the Socket Mode connection close and in-flight work finish
        (for up to ``timeout`` seconds)."""
        if self.task is not None:
            await self.task
        await self.surface.aclose(timeout)


async def start_slack(
    *,
    deps: Deps,
    stop: asyncio.Event,
    http_enabled: bool,
    environ: Mapping[str, str] | None = None,
) -> SlackRun | None:
    """Start Slack when ``SLACK_BOT_TOKEN`` is set (and ``[slack] enabled`` is not false).

    Returns None when Slack is not configured. In HTTP mode, pass ``mounts`` to the HTTP
    server; in Socket Mode the connection runs as ``task`` until ``stop`` is set.

    Raises:
        ConfigError: ``[slack]`` is configured without the tokens its mode needs, HTTP mode
            without the HTTP server, or Slack refused the bot token.
    """
    config = deps.settings.slack
    secrets = SlackSecrets.from_env(environ)
    checked = preflight(  # the same checks as `commsbot config check`
        config,
        configured="slack" in deps.settings.model_fields_set,
        secrets=secrets,
        http_enabled=http_enabled,
    )
    if checked.problems:
        raise ConfigError(checked.problems[0])
    if not checked.starts:
        return None
    from adapters.slack.app import build_surface

    surface = build_surface(deps, config=config, secrets=secrets)
    identity = await surface.check_token()
    if identity:
        log.info(
            "Slack: %s in %s (%s mode, %s)",
            identity.get("user"),
            identity.get("team"),
            config.mode.value,
            config.command,
        )
    if config.mode is SlackMode.HTTP:
        return SlackRun(surface=surface, mounts=surface.http_mounts())
    assert secrets.app_token is not None
    await surface.check_app_token(secrets.app_token)
    task = asyncio.create_task(
        surface.run_socket_mode(secrets.app_token, stop), name="commsbot-slack"
    )
    return SlackRun(surface=surface, task=task)
