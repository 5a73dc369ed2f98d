"""The route class of the private API: a body that is not JSON is refused with 415.

FastAPI reads a body sent as a form (what ``curl -d`` sends without
``-H 'Content-Type: application/json'``) as no JSON at all and answers "Input should be a valid
dictionary", which hides the cause. Routes that take a JSON body answer instead 415
``unsupported_media_type`` naming the header to send. A request without a Content-Type is
read as JSON (FastAPI's behaviour), and an empty body is fine where the body is optional.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from commsbot.http.errors import ApiError

_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


def is_json(content_type: str) -> bool:
    """Whether a Content-Type header value names JSON (``application/json``, ``…+json``)."""
    media = content_type.split(";", 1)[0].strip().lower()
    kind, _, subtype = media.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


class JsonBodyRoute(APIRoute):
    """An ``APIRoute`` that refuses non-JSON bodies with 415 before FastAPI parses them."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def checked(request: Request) -> Response:
            content_type = request.headers.get("content-type")
            if (
                request.method in _WITH_BODY
                and content_type is not None
                and not is_json(content_type)
                and await request.body()
            ):
                sent = content_type.split(";")[0].strip() or "an empty Content-Type"
                raise ApiError(
                    415,
                    "unsupported_media_type",
                    f"the request body is sent as {sent}; "
                    "this endpoint takes JSON: send the header 'Content-Type: application/json' "
                    "(with curl: -H 'Content-Type: application/json')",
                )
            return await handler(request)

        return checked
