"""The one asyncio process of ``commsbot run``.

It holds the store and the broadcast engine's dispatcher (which prints published updates to
the console when no destination is configured); chat surfaces, reminders and the HTTP server
join it here.

A PostgreSQL that is down (or refuses the login) when the bot starts is waited for: the HTTP
server answers at once (``/healthz`` 200, ``/readyz`` 503 saying why), and the dispatcher,
reminders and status page start when the database answers. A database that goes away later
is the same: every loop keeps running, says so once, and resumes when it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

from commsbot.bootstrap import App, http_context, open_database, prepare
from commsbot.configure.secrets import TOKEN_PATTERNS, secret_values
from commsbot.logs import Redactor, configure_logging
from commsbot.runtime_config import LogFormat, LogLevel
from commsbot.settings import redact_url
from commsbot.store.health import DatabaseUnavailable

log = logging.getLogger("commsbot")

#: Waiting for a database that is not there yet: 1 s, doubling up to 30 s between attempts.
FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0


def serve(
    *,
    config_path: Path | None = None,
    out: TextIO | None = None,
    log_format: LogFormat | None = None,
    log_level: LogLevel | None = None,
) -> None:
    """Start the bot and run until SIGINT/SIGTERM; then stop within
    ``[runtime] shutdown_grace_seconds`` (see :func:`_stop_all`).

    Args:
        log_format / log_level: override ``[logging] format`` / ``level``
            (``commsbot run --log-format json``).

    Raises:
        ConfigError: the configuration is unusable.
        DatabaseUnavailable: a SQLite database cannot be opened (a PostgreSQL that is down or
            refuses the login is waited for instead: see :func:`wait_for_database`).
    """
    app = prepare(config_path=config_path)  # reads .env and commsbot.toml
    settings = app.settings
    configure_logging(
        json_lines=(log_format or settings.logging.format) is LogFormat.JSON,
        level=(log_level or settings.logging.level).value,
        redact=Redactor(secret_values(settings, os.environ), TOKEN_PATTERNS),
    )
    if app.engine.dialect.name == "sqlite":
        # A file beside the bot: if it cannot be opened now, waiting will not help.
        open_database(app)
        ready = True
    else:
        ready = False
    with asyncio.Runner(loop_factory=_event_loop()) as runner:
        runner.run(_main(app, out or sys.stdout, database_ready=ready))


def _event_loop() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (``uvicorn[standard]`` brings it; the HTTP
    server answers about twice as many requests on it), else asyncio's own."""
    try:
        import uvloop
    except ImportError:
        log.info("uvloop is not installed: running on asyncio's event loop (slower under load)")
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


async def wait_for_database(app: App, stop: asyncio.Event) -> bool:
    """Open the database (check, migrate, sync), retrying with back-off until it works.

    Each failed attempt logs one line saying why and when the next one is; the wait doubles
    from 1 s up to 30 s. Returns False if ``stop`` was set first.

    Raises:
        DatabaseUnavailable: a problem waiting cannot fix (a SQLite file that cannot be opened).
    """
    delay = FIRST_RETRY_SECONDS
    while not stop.is_set():
        try:
            await asyncio.to_thread(open_database, app)
            return True
        except DatabaseUnavailable as exc:
            if not exc.retryable:
                raise
            log.warning("%s (trying again in %g s)", exc, delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        delay = min(delay * 2, MAX_RETRY_SECONDS)
    return False


async def _main(app: App, out: TextIO, *, database_ready: bool) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    grace = app.settings.runtime.shutdown_grace_seconds

    def on_signal(name: str) -> None:
        if not stop.is_set():
            log.info("%s: stopping (within %g s)", name, grace)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, on_signal, sig.name)
    log.info(
        "commsbot running on %s; published updates are printed here (Ctrl-C stops)",
        redact_url(app.database_url),
    )
    from commsbot.engines.targets import build_dispatcher, run_dispatcher

    # Built now, so that a bad destination stops start-up at once, database or not.
    dispatcher = build_dispatcher(app.deps, out=out, types=app.types, diagnose=app.diagnose)
    # How long work in flight may take once stopping; the rest of the grace period is kept
    # for releasing what is left and closing connections.
    finishing = app.settings.runtime.delivery_grace_seconds
    parts: dict[str, Awaitable[object]] = {}
    from commsbot.bootstrap import subscriber_sender

    subscribers = subscriber_sender(app)  # None unless [subscriptions] enabled = true
    try:
        from adapters.discord.runner import start_gateway

        discord = start_gateway(deps=app.deps, stop=stop)  # None unless DISCORD_BOT_TOKEN is set
        if discord is not None:
            parts["discord"] = discord  # closes the gateway once stop is set
        from adapters.slack.runner import start_slack

        slack = await start_slack(  # None unless SLACK_BOT_TOKEN is set
            deps=app.deps, stop=stop, http_enabled=app.settings.http.enabled
        )
        if slack is not None:
            # Once stop is set: closes Socket Mode, lets acknowledged work finish.
            parts["slack"] = _after(stop, lambda: slack.wait(timeout=finishing))
        opened = asyncio.Event()
        if app.settings.http.enabled:  # status page, HTTP API, Alertmanager receiver, /metrics
            from commsbot.http.server import serve_http

            mounts = slack.mounts if slack is not None else {}  # Slack's HTTP mode
            # Up before the database: /healthz answers, /readyz says what it waits for. With
            # the database open already, the page is rendered before the first request.
            waits = None if database_ready else opened
            http = asyncio.create_task(
                serve_http(
                    http_context(app),
                    stop,
                    mounts=mounts,
                    database_ready=waits,
                    shutdown_seconds=finishing,
                    access_log=app.settings.logging.access_log,
                )
            )
            http.add_done_callback(lambda _: stop.set())  # a failed start stops the bot
            parts["http"] = http
        if database_ready or await wait_for_database(app, stop):
            if not database_ready:
                log.info("database %s answers; starting", redact_url(app.database_url))
            opened.set()
            # The outbox's dispatcher: it keeps the rows until they are sent, whatever happens.
            parts["delivery"] = asyncio.create_task(
                run_dispatcher(dispatcher, stop, grace=finishing), name="commsbot-delivery"
            )
            if subscribers is not None:
                from commsbot.engines.subscribers import run_sender

                # Stops claiming at once, records what was sent, hands back the rest.
                parts["subscribers"] = asyncio.create_task(
                    run_sender(subscribers, stop), name="commsbot-subscribers"
                )
            from commsbot.engines.scheduler import start_reminders

            # None when [reminders] enabled = false
            reminders = await start_reminders(app.deps, diagnose=app.diagnose)
            if reminders is not None:
                parts["reminders"] = _after(stop, reminders.stop)
            # Start-up objects (modules, models, templates) live forever: take them out of the
            # collector's generations, or full collections stall the loop ~100 ms now and then.
            gc.freeze()
            await stop.wait()
    finally:
        stop.set()
        await _stop_all(parts, grace=grace)
    log.info("commsbot stopped")


async def _after(stop: asyncio.Event, then: Callable[[], Awaitable[None]]) -> None:
    await stop.wait()
    await then()


async def _stop_all(parts: dict[str, Awaitable[object]], *, grace: float) -> None:
    """Wait for every part to stop (they all saw ``stop``), for at most ``grace`` seconds.

    Every part stops at once and together: no new work is claimed; deliveries being sent
    and requests being answered get most of the grace period, then deliveries still running
    are released (the dispatcher does it); Slack's socket and Discord's gateway are closed.
    A part still running at the end is cancelled and named. Re-raises the first failure of a
    part (a start-up error of the HTTP server: the port is taken, …).
    """
    if not parts:
        return
    tasks = {asyncio.ensure_future(part): name for name, part in parts.items()}
    # Most of the grace period for the parts to stop by themselves, the rest for cancelling.
    first = max(grace - 1.0, grace * 0.75)
    _, late = await asyncio.wait(tasks, timeout=first)
    for task in late:
        log.warning("%s did not stop within %g s; cancelled", tasks[task], first)
        task.cancel()
    if late:
        await asyncio.wait(late, timeout=grace - first)
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
