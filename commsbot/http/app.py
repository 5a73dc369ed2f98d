"""The FastAPI application factory.

Routes:

- public, read-only, served from memory: ``/``, ``/history``, ``/incidents/<id>``,
  ``/history.atom``, ``/history.rss``, ``/api/v2/…`` (STATUSPAGE.md);
- private, bearer token: ``/api/v1/…`` (incidents, drafts, ``/api/v1/alertmanager``);
- operations: ``/healthz``, ``/readyz``, ``/metrics``; the API's schema at ``/openapi.json``
  and its documentation at ``/docs``.

Other surfaces add their own routes without touching this file::

    router = APIRouter()

    @router.post("/slack/events")
    async def slack_events(request: Request) -> Response: ...

    app = create_app(context=ctx, extra_routers=[router])
    # or a whole ASGI application under a prefix:
    app = create_app(context=ctx, mounts={"/slack": slack_asgi_app})

``commsbot run`` passes them through :func:`commsbot.http.server.serve_http`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from commsbot import __version__
from commsbot.http import (
    alertmanager,
    api,
    errors,
    maintenance,
    ops,
    reports,
    subscribers_api,
    subscriptions,
)
from commsbot.http.context import HttpContext
from commsbot.http.metrics import Metrics
from commsbot.http.public import PublicPagesMiddleware, is_public
from commsbot.http.schema import build_schema

_DESCRIPTION = (
    "commsbot's private API: the CLI's use cases over HTTP, with the same refusals. "
    "Authenticate with `Authorization: Bearer <token>` (`commsbot token create`). Refusals are "
    '`{"error": {"code", "message", "field"}}`. The public status page (Statuspage v2 JSON under '
    "`/api/v2/`, feeds, HTML) is documented in STATUSPAGE.md."
)


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes with 413 before any route reads them.

    ``per_path`` sets another limit for some exact paths (Alertmanager's bodies grow with the
    number of alerts, and a refusal there loses the notification for good).
    """

    def __init__(
        self, app: ASGIApp, *, limit: int, per_path: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.limit = limit
        self.per_path = dict(per_path or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope.get("path", ""), self.limit)
        for key, value in scope.get("headers", ()):
            if key == b"content-length" and value.isdigit() and int(value) > limit:
                await self._too_large(send, limit)
                return
        chunks: list[bytes] = []
        total = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > limit:
                await self._too_large(send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send, limit: int) -> None:
        response = errors.error_response(
            413, "payload_too_large", f"the request body is over {limit} bytes"
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": response.raw_headers,
            }
        )
        await send({"type": "http.response.body", "body": response.body})


class _App(FastAPI):
    """FastAPI with a layer in front of its whole middleware stack (``front``), even of
    Starlette's own error handler: the public pages answer there."""

    front: Callable[[ASGIApp], ASGIApp] | None = None

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        return stack if self.front is None else self.front(stack)


def create_app(
    *,
    context: HttpContext,
    extra_routers: Sequence[APIRouter] = (),
    mounts: Mapping[str, ASGIApp] | None = None,
) -> FastAPI:
    """Make the HTTP application.

    Args:
        context: what the routes use (see :func:`commsbot.http.server.build_context`).
        extra_routers: more routes (e.g. Slack's ``/slack/events``), included as they are.
        mounts: path prefix → ASGI application, mounted under that prefix.

    Returns:
        The FastAPI application; serve it with uvicorn (``serve_http`` does).

    Example:
        >>> app = create_app(context=build_context(wired), extra_routers=[slack_router])
        ... # doctest: +SKIP
    """
    app = _App(
        title="commsbot",
        version=__version__,
        description=_DESCRIPTION,
        redoc_url=None,
    )
    app.state.commsbot = context
    metrics = Metrics(context.operations, comms=context.comms)
    app.state.metrics = metrics
    errors.install(app)
    app.include_router(api.router)
    app.include_router(reports.router)
    app.include_router(maintenance.router)
    app.include_router(alertmanager.router)
    app.include_router(ops.router)
    app.include_router(subscriptions.router)
    app.include_router(subscribers_api.router)
    for router in extra_routers:
        app.include_router(router)
    for prefix, sub in (mounts or {}).items():
        if is_public(prefix) or prefix.startswith("/api/"):
            raise ValueError(f"cannot mount at {prefix!r}: the status page and API own it")
        app.mount(prefix, sub)
    # Last added runs first: count everything, then the rest. The public pages come before
    # all of it (see _App): what everyone reloads during an outage meets no middleware.
    if context.diagnose is not None:
        app.add_middleware(errors.DatabaseOutage, diagnose=context.diagnose)
    app.add_middleware(
        BodyLimit,
        limit=context.config.max_body_bytes,
        per_path={alertmanager.PATH: context.config.alertmanager.max_body_bytes},
    )
    app.add_middleware(ops.RequestCounter, metrics=metrics)
    app.front = lambda stack: PublicPagesMiddleware(
        stack,
        pages=context.pages,
        max_age=context.config.public_max_age,
        count=ops.public_counter(metrics),
    )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_schema(
                app, components=[c.name for c in context.deps.settings.components]
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
