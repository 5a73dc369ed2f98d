"""Every refusal of the HTTP API as ``{"error": {"code", "message"}}``, with its status code.

The codes are the CLI's (``invalid_input``, ``not_found``, …) plus the HTTP server's own
(``missing_token``, ``invalid_token``, ``insufficient_scope``, ``payload_too_large``, …).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from commsbot.domain.errors import CommsbotError

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


class ErrorBody(BaseModel):
    """The body of every refusal."""

    error: ErrorDetail


class ApiError(Exception):
    """A refusal made by the HTTP layer itself (authentication, scope)."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


def _describe_validation(exc: RequestValidationError) -> str:
    problems = []
    for err in exc.errors()[:10]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "request"
        problems.append(f"{where}: {err.get('msg', 'invalid')}")
    return "the request is malformed: " + "; ".join(problems)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every refusal into the one error shape."""

    @app.exception_handler(CommsbotError)
    async def _refused(request: Request, exc: CommsbotError) -> JSONResponse:
        return error_response(STATUS_BY_CODE.get(exc.code, 400), exc.code, str(exc))

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(400, "invalid_input", _describe_validation(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404:
            message = f"there is nothing at {request.url.path}; see /openapi.json for the API"
        return error_response(exc.status_code, code, message, dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        return error_response(
            500,
            "internal_error",
            "the server failed unexpectedly; check the incident before trying again",
        )


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
