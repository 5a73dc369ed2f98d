"""HTTP mode: Slack's signed requests at ``/slack/events`` on the bot's own HTTP server.

The Slack endpoint is a small Starlette application mounted at ``/slack`` rather than a FastAPI
route: Slack's requests need none of FastAPI's machinery, and skipping it keeps a burst of
commands acknowledged nearly as fast as by a bare Bolt app (``bench/slack_ack.py``).
"""

from __future__ import annotations

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

#: Where the application is mounted, and its one route below it: ``/slack/events``.
MOUNT = "/slack"
EVENTS = "/events"


def slack_asgi(app: AsyncApp) -> Starlette:
    """An ASGI application handing Slack's POSTs at ``/events`` to the Bolt ``app``.

    Bolt checks each request's signature and refuses one signed more than five minutes ago
    (401) before any listener runs.
    """
    handler = AsyncSlackRequestHandler(app)

    async def slack_events(request: Request) -> Response:
        return await handler.handle(request)

    return Starlette(routes=[Route(EVENTS, slack_events, methods=["POST"], name="slack_events")])
