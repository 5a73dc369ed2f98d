"""Every refusal of the HTTP API as ``{"error": {"code", "message", "field"}}``, with its status.

The codes are the CLI's (``invalid_input``, ``not_found``, …) plus the HTTP server's own
(``missing_token``, ``invalid_token``, ``insufficient_scope``, ``payload_too_large``,
``unsupported_media_type``, ``method_not_allowed``, …). ``field`` names the input a refusal is
about (``title``, ``version``), or is null; a form places the message by it, never by parsing
the message.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from commsbot.domain.errors import CommsbotError
from commsbot.engines.outage import Diagnose

log = logging.getLogger("commsbot.http")

STATUS_BY_CODE = {
    "invalid_input": 400,
    "not_allowed": 403,
    "not_found": 404,
    "stale_draft": 409,
    "already_decided": 409,
    "concurrent_change": 409,
    "invalid_transition": 409,
    "guard_failed": 409,
    "rate_limited": 429,
}
_HTTP_CODES = {
    400: "invalid_input",
    401: "invalid_token",
    403: "not_allowed",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    """The body of every refusal."""

    error: ErrorDetail


class ApiError(Exception):
    """A refusal made by the HTTP layer itself (authentication, scope, media type)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        self.field = field


def error_response(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    *,
    field: str | None = None,
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "field": field}},
        status_code=status,
        headers=headers,
    )


#: Where a request's parts sit in a validation error's ``loc``; not part of the field's name.
_LOCATIONS = {"body", "query", "path", "header", "cookie"}


def _problem(err: Mapping[str, Any]) -> str:
    """One validation error in words a person can act on."""
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    if kind == "string_too_short":
        least = ctx.get("min_length", 1)
        return "must not be empty" if least == 1 else f"must be at least {least} characters"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters"
    if kind == "too_long":
        return f"must have at most {ctx.get('max_length')} entries"
    if kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        return (
            f"must be {bound} or more" if kind == "greater_than_equal" else f"must be over {bound}"
        )
    if kind in ("less_than_equal", "less_than"):
        bound = ctx.get("le", ctx.get("lt"))
        return f"must be {bound} or less" if kind == "less_than_equal" else f"must be under {bound}"
    if kind == "enum":
        return f"must be one of {ctx.get('expected')}"
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a field of this request; remove it"
    if kind in ("model_type", "model_attributes_type", "dict_type") and not _field_loc(err):
        return "the body must be a JSON object"
    if kind == "json_invalid":
        # Its loc is the character offset, not a field: say where in the words.
        at = [p for p in err.get("loc", ()) if isinstance(p, int)]
        where = f" at character {at[0]}" if at else ""
        return f"the body is not valid JSON ({ctx.get('error', 'malformed')}{where})"
    message = str(err.get("msg", "is not valid"))
    message = message.removeprefix("Value error, ")
    return message[:1].lower() + message[1:]


def _field_loc(err: Mapping[str, Any]) -> list[str]:
    if err.get("type") == "json_invalid":
        return []
    loc = [str(p) for p in err.get("loc", ())]
    if loc and loc[0] in _LOCATIONS:
        loc = loc[1:]
    return [p for p in loc if p != "[key]"]


def _without_union_branches(errors: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """``errors`` as if optional fields (``X | None``) were plain ``X``.

    Pydantic reports each branch of a union: the branch's name in ``loc`` ("str-enum[Severity]",
    "function-after[…]") and a second error for the ``none`` branch. A person sent a value for
    the field, so only the non-null branch's problem, at the field itself, means anything.
    """
    unions = {
        tuple(err["loc"][:-1])
        for err in errors
        if err.get("type") == "none_required" and err.get("loc") and err["loc"][-1] == "none"
    }
    kept: list[Mapping[str, Any]] = []
    for err in errors:
        loc = tuple(err.get("loc", ()))
        if err.get("type") == "none_required" and loc[:-1] in unions:
            continue
        for prefix in unions:
            if len(loc) > len(prefix) and loc[: len(prefix)] == prefix:
                loc = loc[: len(prefix)] + loc[len(prefix) + 1 :]
                break
        kept.append({**err, "loc": loc})
    return kept


def describe_validation(exc: RequestValidationError) -> tuple[str, str | None]:
    """(message, field) of a malformed request: ``("title: must not be empty", "title")``.

    The field is the top-level input of the first problem; the message lists up to 10.
    """
    problems: list[str] = []
    field: str | None = None
    for err in _without_union_branches(exc.errors())[:10]:
        where = _field_loc(err)
        if where and field is None:
            field = where[0]
        text = _problem(err)
        problems.append(f"{'.'.join(where)}: {text}" if where else text)
    return "; ".join(problems) or "the request is malformed", field


#: The methods a 405 may list, in the order they are listed.
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at ``request``'s path.

    Asked of the routes themselves, method by method (``BaseRoute.matches``), so included
    routers and mounts answer for their own routes.
    """
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


def install(app: FastAPI) -> None:
    """Register the handlers that turn every refusal into the one error shape."""

    @app.exception_handler(CommsbotError)
    async def _refused(request: Request, exc: CommsbotError) -> JSONResponse:
        status = STATUS_BY_CODE.get(exc.code, 400)
        return error_response(status, exc.code, str(exc), field=exc.field)

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers, field=exc.field)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, field = describe_validation(exc)
        return error_response(400, "invalid_input", message, field=field)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        headers = dict(exc.headers or {})
        if exc.status_code == 404:
            message = f"there is nothing at {request.url.path}; see /openapi.json for the API"
        if exc.status_code == 405:
            # Starlette's Allow names one route's methods; a path may have several routes.
            allowed = ", ".join(allowed_methods(request))
            headers["Allow"] = allowed
            message = (
                f"{request.method} is not allowed at {request.url.path}; use {allowed}"
                if allowed
                else f"{request.method} is not allowed at {request.url.path}"
            )
        return error_response(exc.status_code, code, message, headers)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        return error_response(
            500,
            "internal_error",
            "the server failed unexpectedly; check the incident before trying again",
        )


#: Seconds a client is asked to wait when the database cannot serve a request now.
DATABASE_RETRY_AFTER = "5"


class DatabaseOutage:
    """Answers 503 ``database_unavailable`` (with ``Retry-After``) to a request that failed
    because the database cannot be used now, with one log line instead of a traceback.

    A middleware, not an exception handler: Starlette re-raises what its catch-all handler
    answered, and the server would log a traceback per request for as long as the outage lasts.
    """

    def __init__(self, app: ASGIApp, *, diagnose: Diagnose) -> None:
        self._app = app
        self._diagnose = diagnose

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, receive, sending)
        except Exception as exc:
            problem = self._diagnose(exc)
            if problem is None or started:
                raise
            log.warning("%s %s: %s", scope["method"], scope["path"], problem)
            response = error_response(
                503,
                "database_unavailable",
                f"{problem}; try again in a few seconds",
                {"Retry-After": DATABASE_RETRY_AFTER},
            )
            await response(scope, receive, send)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the refusals a route can make."""
    words = {
        400: "Malformed request (invalid_input)",
        401: "Missing or unknown bearer token",
        403: "Token scope too small (insufficient_scope) or policy refusal (not_allowed)",
        404: "No such incident or draft",
        409: "stale_draft, already_decided, concurrent_change, invalid_transition, guard_failed",
        413: "Request body too large",
        415: "The body is not JSON (send Content-Type: application/json)",
        503: "Try again later (Retry-After); nothing was written",
    }
    return {s: {"model": ErrorBody, "description": words[s]} for s in statuses}
