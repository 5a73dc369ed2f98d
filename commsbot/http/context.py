"""What the HTTP routes need, bundled once when the app is made."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Request

from commsbot.engines.statuspage import PublicPages
from commsbot.http.config import HttpConfig
from commsbot.http.tokens import TokenStore
from commsbot.services.deps import Deps

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


@dataclass(frozen=True)
class HttpContext:
    """The HTTP server's dependencies.

    Attributes:
        deps: the use cases' dependencies (the same the CLI uses).
        engine: the database, for health checks, metrics and tokens.
        pages: the public status page, rendered once per change.
        tokens: the API tokens.
        config: the ``[http]`` section.
    """

    deps: Deps
    engine: Engine
    pages: PublicPages
    tokens: TokenStore
    config: HttpConfig


def context(request: Request) -> HttpContext:
    """The context of the app serving ``request`` (a FastAPI dependency)."""
    found: HttpContext = request.app.state.commsbot
    return found
