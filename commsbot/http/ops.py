"""Operations: ``/healthz``, ``/readyz``, ``/metrics``, and the request counter middleware."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from commsbot.http.context import HttpContext, context
from commsbot.http.metrics import Metrics
from commsbot.http.public import PUBLIC_EXACT, is_public
from commsbot.statuspage import v2

router = APIRouter(tags=["operations"])
Ctx = Annotated[HttpContext, Depends(context)]


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up and serving (no dependency is checked)."""
    return {"status": "ok"}


def _readiness(ctx: HttpContext) -> dict[str, str]:
    checks = ctx.operations.readiness()
    checks["statuspage"] = "ok" if ctx.pages.current is not None else "not rendered yet"
    return checks


@router.get("/readyz", responses={503: {"description": "Not ready; the body says why"}})
async def readyz(ctx: Ctx) -> JSONResponse:
    """Ready: the database answers, its migrations are current, the status page is rendered."""
    checks = await asyncio.to_thread(_readiness, ctx)
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status_code=200 if ready else 503,
    )


@router.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """Prometheus text format."""
    registry: Metrics = request.app.state.metrics
    body = await asyncio.to_thread(generate_latest, registry.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


#: Label values of ``commsbot_http_requests_total``: anything else is counted as ``other``, so
#: that strangers cannot add series (the public prefixes take any path).
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_PUBLIC_ROUTES = frozenset({*PUBLIC_EXACT, "/history/", *v2.PATHS})
OTHER = "other"


class RequestCounter:
    """Counts every response by method, route template and status (bounded label values).

    The route is the template of the route that answered (``/api/v1/incidents/{ref}``), a
    public document's path (``/api/v2/summary.json``, ``/incidents/{incident_id}``), or
    ``other`` for a path nothing serves; the method is one of HTTP's usual seven or ``other``.
    """

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = [500]

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            method = scope.get("method", "")
            self.metrics.requests.labels(
                method if method in _METHODS else OTHER,
                route_label(scope, status[0]),
                str(status[0]),
            ).inc()


def route_label(scope: Scope, status: int) -> str:
    """The ``route`` label of a request answered with ``status``: a template, or ``other``."""
    path: str = scope.get("path", "")
    if is_public(path):
        return _public_route(path, status)
    template = getattr(scope.get("route"), "path", None)
    return template if isinstance(template, str) and template else OTHER


def _public_route(path: str, status: int) -> str:
    if status == 404:
        return OTHER
    if path.startswith("/incidents/"):
        if path.rstrip("/").endswith("/postmortem"):
            return "/incidents/{incident_id}/postmortem"
        return "/incidents/{incident_id}"
    return path if path in _PUBLIC_ROUTES else OTHER


def public_counter(metrics: Metrics) -> Callable[[str, str, int], None]:
    """Counts a request the public pages answered, as :class:`RequestCounter` would, with
    the counter's children kept (the labels' look-up is most of the cost of counting)."""
    children: dict[tuple[str, str, int], Any] = {}

    def count(method: str, path: str, status: int) -> None:
        label = method if method in _METHODS else OTHER
        key = (label, _public_route(path, status), status)
        child = children.get(key)
        if child is None:
            child = children[key] = metrics.requests.labels(key[0], key[1], str(status))
        child.inc()

    return count
