"""The one asyncio process of ``commsbot run``.

It holds the store and the broadcast engine's dispatcher (which prints published updates to
the console when no destination is configured); chat surfaces, reminders and the HTTP server
join it here.
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

from commsbot.bootstrap import App, build
from commsbot.settings import redact_url

log = logging.getLogger("commsbot")


def serve(*, config_path: Path | None = None, out: TextIO | None = None) -> None:
    """Start the bot and run until SIGINT/SIGTERM."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per plugin otherwise
    app = build(config_path=config_path)
    asyncio.run(_main(app, out or sys.stdout))


async def _main(app: App, out: TextIO) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    log.info(
        "commsbot running on %s; published updates are printed here (Ctrl-C stops)",
        redact_url(app.database_url),
    )
    from commsbot.delivery.runner import start_delivery

    delivery = start_delivery(app.deps, stop=stop, out=out)  # the outbox's dispatcher
    from adapters.discord.runner import start_gateway

    discord = start_gateway(deps=app.deps, stop=stop)  # None unless DISCORD_BOT_TOKEN is set
    from adapters.slack.runner import start_slack

    slack = await start_slack(  # None unless SLACK_BOT_TOKEN is set
        deps=app.deps, stop=stop, http_enabled=app.settings.http.enabled
    )
    http = None
    if app.settings.http.enabled:  # status page, HTTP API, Alertmanager receiver, /metrics
        from commsbot.http.server import serve_http

        mounts = slack.mounts if slack is not None else {}  # Slack's HTTP mode: /slack/events
        http = asyncio.create_task(serve_http(app, stop, mounts=mounts))
        http.add_done_callback(lambda _: stop.set())  # a failed start stops the bot
    from commsbot.reminders.scheduler import start_reminders

    reminders = await start_reminders(app.deps)  # None when [reminders] enabled = false
    # Start-up objects (modules, models, templates) live forever: take them out of the
    # collector's generations, or full collections stall the loop ~100 ms now and then.
    gc.freeze()
    await stop.wait()
    if reminders is not None:
        await reminders.stop()
    if discord is not None:
        await discord
    if slack is not None:
        await slack.wait()  # closes Socket Mode, lets acknowledged work finish
    if http is not None:
        await http  # re-raises a start-up failure (ConfigError: port taken, …)
    await delivery  # lets running attempts record their outcome, then closes the targets
    log.info("commsbot stopped")
