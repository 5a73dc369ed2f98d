"""What the HTTP routes need, bundled once when the app is made."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from commsbot.engines.comms_figures import CommsFigures
from commsbot.engines.outage import Diagnose
from commsbot.engines.statuspage import PublicPages
from commsbot.http_config import HttpConfig
from commsbot.operations.ports import Operations
from commsbot.services.deps import Deps


@dataclass(frozen=True)
class HttpContext:
    """The HTTP server's dependencies.

    Attributes:
        deps: the use cases' dependencies (the same the CLI uses; tokens are checked with them).
        operations: what ``/readyz`` and ``/metrics`` read from the database.
        pages: the public status page, rendered once per change.
        config: the ``[http]`` section.
        comms: the comms figures ``/metrics`` shows, kept until an update is published or
            they are too old.
        diagnose: names the database problem behind an exception (None: not one), so that a
            request the database cannot serve now answers 503 ``database_unavailable``.
    """

    deps: Deps
    operations: Operations
    pages: PublicPages
    config: HttpConfig
    comms: CommsFigures
    # Keyword-only: a subclass (the tests' context) may add fields without defaults.
    diagnose: Diagnose | None = field(default=None, kw_only=True)


def context(request: Request) -> HttpContext:
    """The context of the app serving ``request`` (a FastAPI dependency)."""
    found: HttpContext = request.app.state.commsbot
    return found
