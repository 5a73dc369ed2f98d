"""The Slack surface: a Bolt ``AsyncApp`` wired to the core, in Socket Mode or HTTP mode.

Example:
    >>> surface = build_surface(deps, config=SlackConfig(), secrets=SlackSecrets.from_env())
    >>> mounts = surface.http_mounts()          # HTTP mode: mount on the bot's server
    >>> await surface.run_socket_mode(stop)     # Socket Mode: until ``stop`` is set
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import internal, modals
from adapters.slack.actors import ActorResolver, configured_groups
from adapters.slack.client import web_client
from adapters.slack.commands import SlashCommand
from adapters.slack.config import SlackConfig, SlackSecrets
from adapters.slack.errors import CALL_ERRORS, describe
from adapters.slack.interactions import Interactions
from adapters.slack.submissions import Submissions
from adapters.slack.surface import AckGate, Surface
from commsbot.services.deps import Deps
from commsbot.settings import ConfigError

if TYPE_CHECKING:
    from starlette.applications import Starlette

log = logging.getLogger("commsbot.slack")

#: Slack's answers to a token it will not accept.
_REFUSED = frozenset({"invalid_auth", "not_authed", "token_revoked", "account_inactive"})


class SlackSurface:
    """The Bolt app and the handlers of ``/incident``, its buttons and its modals.

    Args:
        deps: the core's dependencies.
        config: the ``[slack]`` section.
        client: the Web API client the handlers use.
        signing_secret: verifies HTTP-mode requests (not needed in Socket Mode).
    """

    def __init__(
        self,
        deps: Deps,
        *,
        config: SlackConfig,
        client: AsyncWebClient,
        signing_secret: str | None,
    ) -> None:
        self.config = config
        self.client = client
        resolver = ActorResolver(
            client=client,
            groups=configured_groups(deps.settings),
            ttl=config.group_cache_seconds,
        )
        self.surface = Surface(deps=deps, config=config, client=client, actors=resolver)
        self.app = _GatedApp(
            gate=self.surface.gate,
            client=client,
            signing_secret=signing_secret or "",
            name="commsbot",
            logger=logging.getLogger("commsbot.slack.bolt"),
        )
        self._register()

    def _register(self) -> None:
        app, cmd, act = self.app, SlashCommand(self.surface), Interactions(self.surface)
        sub = Submissions(self.surface)
        app.command(self.config.command)(cmd.on_command)
        app.action(internal.APPROVE)(act.on_approve)
        app.action(internal.EDIT)(act.on_edit)
        app.action(internal.REJECT)(act.on_reject)
        app.action(internal.REMINDER_DRAFT)(act.on_reminder_draft)
        app.action(internal.REMINDER_SNOOZE)(act.on_reminder_snooze)
        app.action(internal.REMINDER_CANCEL)(act.on_reminder_cancel)
        app.action(modals.STATUS_CHANGED)(act.on_status_changed)
        app.action(modals.INCIDENT_PICKED)(act.on_incident_picked)
        app.view(modals.DECLARE)(sub.on_declare)
        app.view(modals.UPDATE)(sub.on_update)
        app.view(modals.EDIT)(sub.on_edit)
        app.view(modals.REJECT)(sub.on_reject)
        # The "pick an incident" modal turns into the update form; its own submit does nothing.
        app.view(modals.PICK)(_ack_only)

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait for the handlers still working after their acknowledgment."""
        await self.surface.inflight.idle(timeout)

    async def aclose(self, timeout: float = 10.0) -> None:
        """Let the work in flight finish (up to ``timeout`` seconds), then release resources."""
        await self.idle(timeout)
        await self.surface.aclose()

    async def check_token(self) -> dict[str, Any] | None:
        """``auth.test``: a rejected token stops start-up; an unreachable Slack does not.

        Raises:
            ConfigError: Slack refused the bot token.
        """
        from slack_sdk.errors import SlackApiError

        try:
            resp = await self.client.auth_test()
        except SlackApiError as exc:
            code = exc.response.get("error") if exc.response is not None else None
            if code in _REFUSED:
                raise ConfigError(
                    f"SLACK_BOT_TOKEN: Slack refused it ({code}); {describe(exc)}"
                ) from None
            log.warning("Slack auth.test failed (%s); carrying on", describe(exc))
            return None
        except Exception as exc:  # Slack being down must not stop the bot: it is for outages
            log.warning("Slack is unreachable (%s); carrying on without it for now", exc)
            return None
        return dict(resp.data) if isinstance(resp.data, dict) else None

    def http_mounts(self) -> dict[str, Starlette]:
        """HTTP mode: what to mount on the bot's HTTP server (``/slack`` → ``/slack/events``)."""
        from adapters.slack.http import MOUNT, slack_asgi

        return {MOUNT: slack_asgi(self.app)}

    async def check_app_token(self, app_token: str) -> None:
        """Socket Mode: a refused ``SLACK_APP_TOKEN`` stops start-up; an unreachable Slack does not.

        Raises:
            ConfigError: Slack refused the app-level token.
        """
        from slack_sdk.errors import SlackApiError

        try:
            await self.client.apps_connections_open(app_token=app_token)
        except SlackApiError as exc:
            code = exc.response.get("error") if exc.response is not None else None
            if code in _REFUSED:
                raise ConfigError(
                    f"SLACK_APP_TOKEN: Slack refused it ({code}); generate an app-level token "
                    "with the connections:write scope (Basic Information → App-Level Tokens)"
                ) from None
            log.warning("Slack apps.connections.open failed (%s); will keep trying", describe(exc))
        except CALL_ERRORS as exc:
            log.warning("Slack is unreachable (%s); will keep trying", describe(exc))

    async def run_socket_mode(self, app_token: str, stop: asyncio.Event) -> None:
        """Hold a Socket Mode connection until ``stop`` is set.

        While Slack cannot be reached, slack_sdk keeps trying to connect (the rest of the bot runs
        meanwhile), and once connected it reconnects by itself.
        """
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(self.app, app_token)
        connecting = asyncio.ensure_future(handler.connect_async())  # type: ignore[no-untyped-call]
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if connecting.done() and connecting.exception() is None:
                log.info("Slack connected in Socket Mode (%s)", self.config.command)
            await stopping
        finally:
            stopping.cancel()
            with contextlib.suppress(Exception):
                await handler.close_async()  # type: ignore[no-untyped-call]
            if not connecting.done():
                connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await connecting


class _GatedApp(AsyncApp):
    """Bolt's app, counting the requests being answered (see :class:`AckGate`).

    Both entry points — the HTTP handler and Socket Mode — go through ``async_dispatch``, which
    returns once the listener has acknowledged.
    """

    def __init__(self, *, gate: AckGate, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._gate = gate

    async def async_dispatch(self, req: AsyncBoltRequest) -> BoltResponse:
        with self._gate.answering():
            return await super().async_dispatch(req)


async def _ack_only(ack: Any) -> None:
    await ack()


def build_surface(deps: Deps, *, config: SlackConfig, secrets: SlackSecrets) -> SlackSurface:
    """The Slack surface for ``config``; check ``secrets.missing(config.mode)`` first."""
    return SlackSurface(
        deps,
        config=config,
        client=web_client(secrets),
        signing_secret=secrets.signing_secret,
    )
