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
import signal
import sys
from pathlib import Path
from typing import TextIO

from commsbot.bootstrap import App, http_context, open_database, prepare
from commsbot.settings import redact_url
from commsbot.store.health import DatabaseUnavailable

log = logging.getLogger("commsbot")

#: Waiting for a database that is not there yet: 1 s, doubling up to 30 s between attempts.
FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0


def serve(*, config_path: Path | None = None, out: TextIO | None = None) -> None:
    """Start the bot and run until SIGINT/SIGTERM.

    Raises:
        ConfigError: the configuration is unusable.
        DatabaseUnavailable: a SQLite database cannot be opened (a PostgreSQL that is down or
            refuses the login is waited for instead: see :func:`wait_for_database`).
    """
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per plugin otherwise
    app = prepare(config_path=config_path)
    if app.engine.dialect.name == "sqlite":
        # A file beside the bot: if it cannot be opened now, waiting will not help.
        open_database(app)
        ready = True
    else:
        ready = False
    asyncio.run(_main(app, out or sys.stdout, database_ready=ready))


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
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    log.info(
        "commsbot running on %s; published updates are printed here (Ctrl-C stops)",
        redact_url(app.database_url),
    )
    from commsbot.engines.targets import build_dispatcher, run_dispatcher

    # Built now, so that a bad destination stops start-up at once, database or not.
    dispatcher = build_dispatcher(app.deps, out=out, types=app.types, diagnose=app.diagnose)
    from adapters.discord.runner import start_gateway

    discord = start_gateway(deps=app.deps, stop=stop)  # None unless DISCORD_BOT_TOKEN is set
    from adapters.slack.runner import start_slack

    slack = await start_slack(  # None unless SLACK_BOT_TOKEN is set
        deps=app.deps, stop=stop, http_enabled=app.settings.http.enabled
    )
    opened = asyncio.Event()
    http = None
    if app.settings.http.enabled:  # status page, HTTP API, Alertmanager receiver, /metrics
        from commsbot.http.server import serve_http

        mounts = slack.mounts if slack is not None else {}  # Slack's HTTP mode: /slack/events
        # Up before the database: /healthz answers, /readyz says what it waits for. With the
        # database open already, the page is rendered before the first request, as before.
        waits = None if database_ready else opened
        http = asyncio.create_task(
            serve_http(http_context(app), stop, mounts=mounts, database_ready=waits)
        )
        http.add_done_callback(lambda _: stop.set())  # a failed start stops the bot
    delivery = None
    reminders = None
    try:
        if database_ready or await wait_for_database(app, stop):
            if not database_ready:
                log.info("database %s answers; starting", redact_url(app.database_url))
            opened.set()
            # The outbox's dispatcher: it keeps the rows until they are sent, whatever happens.
            delivery = asyncio.create_task(
                run_dispatcher(dispatcher, stop), name="commsbot-delivery"
            )
            from commsbot.engines.scheduler import start_reminders

            # None when [reminders] enabled = false
            reminders = await start_reminders(app.deps, diagnose=app.diagnose)
            # Start-up objects (modules, models, templates) live forever: take them out of the
            # collector's generations, or full collections stall the loop ~100 ms now and then.
            gc.freeze()
            await stop.wait()
    finally:
        stop.set()
        if reminders is not None:
            await reminders.stop()
        if discord is not None:
            await discord
        if slack is not None:
            await slack.wait()  # closes Socket Mode, lets acknowledged work finish
        if http is not None:
            await http  # re-raises a start-up failure (ConfigError: port taken, …)
        if delivery is not None:
            await delivery  # lets running attempts record their outcome, then closes targets
    log.info("commsbot stopped")
