"""Running the HTTP server inside ``commsbot run``: uvicorn on the bot's own event loop.

``runtime.py`` starts :func:`serve_http` as one task beside the others (with the context
``bootstrap.http_context`` makes) and sets ``stop`` to end it. The status page is rendered
before the first request is accepted, and a watcher re-renders it whenever the database says
something public changed (this replica's publishes, another replica's, the CLI's).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator, Mapping, Sequence

import uvicorn
from fastapi import APIRouter
from starlette.types import ASGIApp

from commsbot.http.app import create_app
from commsbot.http.context import HttpContext
from commsbot.settings import ConfigError

log = logging.getLogger("commsbot.http")


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handling: ``commsbot run`` owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind(host: str, port: int) -> socket.socket:
    """Listen on ``host:port`` now, so a taken port is a clear start-up error.

    Raises:
        ConfigError: the address cannot be used; says which setting to change.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
        sock.setblocking(False)
    except OSError as exc:
        raise ConfigError(
            f"http: cannot listen on {host}:{port}: {exc.strerror or exc}; set [http] host/port "
            "to a free address, or [http] enabled = false"
        ) from None
    return sock


def http_protocol() -> str:
    """httptools (uvicorn's fast C parser, in ``uvicorn[standard]``) where it is installed,
    else h11 (pure Python, several times slower per request), said once."""
    try:
        import httptools  # noqa: F401
    except ImportError:
        log.info("httptools is not installed: HTTP parsed by h11 (slower under load)")
        return "h11"
    return "httptools"


async def _watch_pages(ctx: HttpContext, stop: asyncio.Event, ready: asyncio.Event | None) -> None:
    if ready is not None:
        waiting = {asyncio.ensure_future(ready.wait()), asyncio.ensure_future(stop.wait())}
        try:
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiting:
                waiter.cancel()
    await ctx.pages.watch(stop)  # its first round renders: nothing is rendered yet


async def serve_http(
    ctx: HttpContext,
    stop: asyncio.Event,
    *,
    extra_routers: Sequence[APIRouter] = (),
    mounts: Mapping[str, ASGIApp] | None = None,
    started: asyncio.Future[int] | None = None,
    database_ready: asyncio.Event | None = None,
    shutdown_seconds: float = 5.0,
    access_log: bool = False,
) -> None:
    """Serve until ``stop`` is set.

    Args:
        ctx: what the routes need (``commsbot.bootstrap.http_context`` makes it); its
            operations' connections are closed when the server stops.
        extra_routers / mounts: passed to :func:`~commsbot.http.app.create_app`.
        started: set to the port listened on once requests are accepted (tests use port 0).
        database_ready: set once the database is open and migrated. Until then requests are
            served already (``/healthz``; ``/readyz`` says what is missing; the public pages
            answer 503), and the status page is rendered only after it is set. None: the
            database is ready, and the page is rendered before the first request.
        shutdown_seconds: once ``stop`` is set, how long requests being answered may take
            (no new connection is accepted meanwhile).
        access_log: log each request on ``uvicorn.access`` (through the process's handler
            and format, like every other line).

    Raises:
        ConfigError: the address is taken or unusable.
    """
    config = ctx.config
    sock = bind(config.host, config.port)
    port = int(sock.getsockname()[1])
    if database_ready is None:
        await asyncio.to_thread(ctx.pages.refresh)
    app = create_app(context=ctx, extra_routers=extra_routers, mounts=mounts)
    server = _EmbeddedServer(
        uvicorn.Config(
            app,
            http=http_protocol(),
            # uvicorn's loggers propagate to the process's one handler (text or JSON lines,
            # secrets masked: commsbot.logs) instead of getting handlers of their own.
            log_config=None,
            access_log=access_log,
            lifespan="off",
            server_header=False,
            timeout_graceful_shutdown=max(int(shutdown_seconds), 1),
        )
    )
    if logging.getLogger("uvicorn.error").level == logging.NOTSET:
        logging.getLogger("uvicorn.error").setLevel(logging.WARNING)  # no start-up chatter
    watcher = asyncio.create_task(_watch_pages(ctx, stop, database_ready))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    log.info("status page and API on http://%s:%d", config.host, port)
    try:
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        if started is not None and not started.done():
            started.set_result(port)
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
    finally:
        server.should_exit = True
        watcher.cancel()
        try:
            await serving  # a crash of the server itself surfaces here
        finally:
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            sock.close()
            ctx.operations.close()
