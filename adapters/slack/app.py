"""The Slack surface: a Bolt ``AsyncApp`` with commsbot's listeners, in Socket Mode or HTTP mode.

Each listener parses a payload (:mod:`.parse`, :mod:`.forms`), calls one use case through
:class:`~adapters.slack.interact.Context` and renders the result (:mod:`.replies`,
:mod:`.render`): ``/incident`` in :mod:`.commands`, the messages' controls in :mod:`.buttons`,
the forms in :mod:`.modals`.

HTTP mode serves Slack's signed requests at ``/slack/events`` on the bot's own HTTP server: a
small Starlette application mounted at ``/slack`` rather than a FastAPI route, since Slack's
requests need none of FastAPI's machinery, and skipping it keeps a burst of commands
acknowledged nearly as fast as by a bare Bolt app (``bench/slack_ack.py``).

Example:
    >>> surface = build_surface(deps, config=SlackConfig(), secrets=SlackSecrets.from_env())
    >>> mounts = surface.http_mounts()          # HTTP mode: mount on the bot's server
    >>> await surface.run_socket_mode(stop)     # Socket Mode: until ``stop`` is set
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any, cast

from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import forms, render
from adapters.slack.buttons import Buttons
from adapters.slack.commands import Commands
from adapters.slack.config import SlackConfig, SlackSecrets, configured_groups
from adapters.slack.interact import AckGate, ActorResolver, Context
from adapters.slack.modals import Modals
from adapters.slack.webapi import CALL_ERRORS, REFUSED_TOKEN, data_of, describe, web_client
from adapters.slack.wire import AuthTestResponse
from commsbot.services.deps import Deps
from commsbot.settings import ConfigError

if TYPE_CHECKING:
    from starlette.applications import Starlette

log = logging.getLogger("commsbot.slack")

#: Where the HTTP-mode application is mounted, and its one route below it: ``/slack/events``.
MOUNT = "/slack"
EVENTS = "/events"


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
            client=client, groups=configured_groups(deps.settings), ttl=config.group_cache_seconds
        )
        self.ctx = Context(deps=deps, config=config, client=client, actors=resolver)
        self.app = _GatedApp(
            gate=self.ctx.gate,
            client=client,
            signing_secret=signing_secret or "",
            name="commsbot",
            logger=logging.getLogger("commsbot.slack.bolt"),
        )
        self._register()

    def _register(self) -> None:
        app, buttons, modals = self.app, Buttons(self.ctx), Modals(self.ctx)
        app.command(self.config.command)(Commands(self.ctx).on_command)
        app.action(render.APPROVE)(buttons.on_approve)
        app.action(render.APPROVE_QUIET)(buttons.on_approve_quiet)
        app.action(render.EDIT)(buttons.on_edit)
        app.action(render.REJECT)(buttons.on_reject)
        app.action(render.REMINDER_DRAFT)(buttons.on_reminder_draft)
        app.action(render.REMINDER_SNOOZE)(buttons.on_reminder_snooze)
        app.action(render.REMINDER_CANCEL)(buttons.on_reminder_cancel)
        app.action(forms.STATUS_CHANGED)(modals.on_status_changed)
        app.action(forms.INCIDENT_PICKED)(modals.on_incident_picked)
        app.view(forms.DECLARE)(modals.on_declare)
        app.view(forms.UPDATE)(modals.on_update)
        app.view(forms.EDIT)(modals.on_edit)
        app.view(forms.REJECT)(modals.on_reject)
        # The "pick an incident" modal turns into the update form; its own submit does nothing.
        app.view(forms.PICK)(_ack_only)

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait for the listeners still working after their acknowledgment."""
        await self.ctx.inflight.idle(timeout)

    async def aclose(self, timeout: float = 10.0) -> None:
        """Let the work in flight finish (up to ``timeout`` seconds), then release resources."""
        await self.idle(timeout)
        await self.ctx.aclose()

    async def check_token(self) -> AuthTestResponse | None:
        """``auth.test``: a rejected token stops start-up; an unreachable Slack does not.

        Raises:
            ConfigError: Slack refused the bot token.
        """
        from slack_sdk.errors import SlackApiError

        try:
            resp = await self.client.auth_test()
        except SlackApiError as exc:
            code = exc.response.get("error") if exc.response is not None else None
            if code in REFUSED_TOKEN:
                raise ConfigError(
                    f"SLACK_BOT_TOKEN: Slack refused it ({code}); {describe(exc)}"
                ) from None
            log.warning("Slack auth.test failed (%s); carrying on", describe(exc))
            return None
        except Exception as exc:  # Slack being down must not stop the bot: it is for outages
            log.warning("Slack is unreachable (%s); carrying on without it for now", exc)
            return None
        return cast(AuthTestResponse, data_of(resp)) if isinstance(resp.data, dict) else None

    def http_mounts(self) -> dict[str, Starlette]:
        """HTTP mode: what to mount on the bot's HTTP server (``/slack`` → ``/slack/events``).

        Bolt checks each request's signature and refuses one signed more than five minutes ago
        (401) before any listener runs.
        """
        from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import Response
        from starlette.routing import Route

        handler = AsyncSlackRequestHandler(self.app)

        async def slack_events(request: Request) -> Response:
            return await handler.handle(request)

        route = Route(EVENTS, slack_events, methods=["POST"], name="slack_events")
        return {MOUNT: Starlette(routes=[route])}

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
            if code in REFUSED_TOKEN:
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
