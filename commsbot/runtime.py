"""The one asyncio process of ``commsbot run``.

For now it holds the store and prints every newly published update to the console; the
broadcast engine, chat surfaces, reminders and the HTTP server join it here as they arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import TextIO

from commsbot.bootstrap import App, build
from commsbot.domain.model import Update
from commsbot.services.views import IncidentSnapshot
from commsbot.settings import redact_url

log = logging.getLogger("commsbot")

POLL_SECONDS = 1.0


def serve(*, config_path: Path | None = None, out: TextIO | None = None) -> None:
    """Start the bot and run until SIGINT/SIGTERM."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
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
    printer = asyncio.create_task(_print_published(app, out, stop))
    await stop.wait()
    printer.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await printer
    log.info("commsbot stopped")


async def _print_published(app: App, out: TextIO, stop: asyncio.Event) -> None:
    from adapters.console import render_update

    cursor = await asyncio.to_thread(_latest, app)
    while not stop.is_set():
        batch = await asyncio.to_thread(_since, app, cursor)
        for snap, update in batch:
            out.write(render_update(snap, update, app.settings.zone) + "\n")
            out.flush()
            cursor = update.published_at
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), POLL_SECONDS)


def _latest(app: App) -> datetime | None:
    with app.deps.read() as uow:
        recent = uow.updates.published_since(None, limit=1, newest=True)
        return recent[0].published_at if recent else None


def _since(app: App, cursor: datetime | None) -> list[tuple[IncidentSnapshot, Update]]:
    from commsbot.services.incidents import snapshot

    with app.deps.read() as uow:
        return [
            (snapshot(uow, uow.incidents.get(u.incident_id)), u)
            for u in uow.updates.published_since(cursor, limit=100)
        ]
