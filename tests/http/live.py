"""The real server (uvicorn, as ``commsbot run`` starts it) on a free loopback port."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Iterator
from typing import Any

from commsbot.http.context import HttpContext
from commsbot.http.server import serve_http


@contextlib.contextmanager
def live_server(ctx: HttpContext, database_url: str) -> Iterator[str]:
    """Serve ``ctx`` on 127.0.0.1 (port 0: any free one); yields the base URL."""
    ports: queue.Queue[int | BaseException] = queue.Queue()
    holder: dict[str, object] = {}

    async def main() -> None:
        stop = asyncio.Event()
        holder["stop"], holder["loop"] = stop, asyncio.get_running_loop()
        started: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(serve_http(ctx, stop, started=started))
        waiting: set[asyncio.Future[Any]] = {task, started}
        done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if started in done:
            ports.put(started.result())
        await task

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # reported to the test below
            ports.put(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    port = ports.get(timeout=30)
    if isinstance(port, BaseException):
        raise port
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        loop = holder["loop"]
        assert isinstance(loop, asyncio.AbstractEventLoop)
        stop = holder["stop"]
        assert isinstance(stop, asyncio.Event)
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)
        assert not thread.is_alive()
