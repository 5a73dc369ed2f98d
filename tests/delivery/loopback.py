"""A loopback HTTP server standing in for webhook receivers, that can fail on purpose.

Each path is one receiver. A receiver honours ``Idempotency-Key`` (as Stripe does): a request
whose key it already acted on gets the first answer again and changes nothing. What it does
with the next request is scripted per path:

- ``ok``: act on it (record it as *applied*) and answer 200 with ``{"id": "msg-N"}`` (N
  counts what this path applied);
- ``500``: answer 500; ``429:SECONDS``: answer 429 with ``Retry-After: SECONDS``;
- ``400``: answer 400 (not retryable);
- ``hang``: read the request and never answer;
- ``slow:SECONDS``: act on it, then answer only after SECONDS (a sender that gives up first
  cannot know it arrived);
- ``drop``: act on it, then close the connection without answering (the client cannot know).

It runs in a thread with its own event loop, so a dispatcher in the test's loop, or in another
process, talks to it over real sockets on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    #: When it arrived (``time.time()``: comparable across processes).
    at: float = field(default_factory=time.time)

    @property
    def key(self) -> str:
        return self.headers.get("idempotency-key", "")

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receivers:
    """What arrived, per path."""

    requests: dict[str, list[Received]] = field(default_factory=lambda: defaultdict(list))
    applied: dict[str, list[Received]] = field(default_factory=lambda: defaultdict(list))


class LoopbackServer:
    """Start with :meth:`start`; script receivers with :meth:`script`; stop with :meth:`stop`."""

    def __init__(self, *, delay: float = 0.0, port: int = 0) -> None:
        self.delay = delay
        self.seen = Receivers()
        self._scripts: dict[str, deque[str]] = defaultdict(deque)
        self._default: dict[str, str] = {}
        self._answers: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(port,), daemon=True)
        self._server: asyncio.Server | None = None
        self.port = 0

    # --- control (from the test's thread) ------------------------------------------------

    def start(self) -> LoopbackServer:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the loopback server did not start")
        return self

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            handlers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in handlers:
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, path: str, *modes: str, then: str | None = None) -> None:
        """The next requests to ``path`` get ``modes`` in turn, then ``then`` (default ok)."""
        with self._lock:
            self._scripts[path].extend(modes)
            if then is not None:
                self._default[path] = then

    def requests(self, path: str) -> list[Received]:
        with self._lock:
            return list(self.seen.requests[path])

    def applied(self, path: str) -> list[Received]:
        with self._lock:
            return list(self.seen.applied[path])

    def all_applied(self) -> dict[str, list[Received]]:
        with self._lock:
            return {p: list(v) for p, v in self.seen.applied.items()}

    # --- the server (its own thread) -----------------------------------------------------

    def _serve(self, port: int) -> None:
        asyncio.set_event_loop(self._loop)

        async def start() -> None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", port)
            self.port = self._server.sockets[0].getsockname()[1]

        self._loop.run_until_complete(start())
        self._ready.set()
        self._loop.run_forever()

    def _next_mode(self, path: str) -> str:
        with self._lock:
            queue = self._scripts[path]
            return queue.popleft() if queue else self._default.get(path, "ok")

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                if not await self._answer(request, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _answer(self, request: Received, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; False when the connection is to be dropped."""
        if request.path == "/_applied":  # for a test or benchmark in another process
            with self._lock:
                counts = {p: len(v) for p, v in self.seen.applied.items()}
            writer.write(_response(200, counts))
            await writer.drain()
            return True
        with self._lock:
            self.seen.requests[request.path].append(request)
            earlier = self._answers.get((request.path, request.key)) if request.key else None
        if earlier is not None:  # the key was acted on already: the same answer, no effect
            writer.write(earlier)
            await writer.drain()
            return True
        mode = self._next_mode(request.path)
        if mode == "hang":
            await asyncio.sleep(3600)
            return False
        mode, _, slow = mode.partition(":") if mode.startswith("slow:") else (mode, "", "")
        if mode in ("ok", "drop", "slow"):
            with self._lock:
                self.seen.applied[request.path].append(request)
                number = len(self.seen.applied[request.path])
                answer = _response(200, {"id": f"msg-{number}"})
                if request.key:
                    self._answers[(request.path, request.key)] = answer
            if self.delay or slow:
                await asyncio.sleep(float(slow or self.delay))
            if mode == "drop":
                return False
            writer.write(answer)
            await writer.drain()
            return True
        status, _, retry_after = mode.partition(":")
        headers = {"Retry-After": retry_after} if retry_after else {}
        writer.write(_response(int(status), {"error": f"scripted {status}"}, headers))
        await writer.drain()
        return True


async def _read_request(reader: asyncio.StreamReader) -> Received | None:
    line = await reader.readline()
    if not line:
        return None
    _method, path, _version = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        raw = await reader.readline()
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Received(path=path, headers=headers, body=body)


def _response(status: int, payload: Any, headers: dict[str, str] | None = None) -> bytes:
    body = json.dumps(payload).encode()
    lines = [
        f"HTTP/1.1 {status} X",
        f"Content-Length: {len(body)}",
        "Content-Type: application/json",
    ]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


if __name__ == "__main__":
    # ``python -m tests.delivery.loopback``: serve until killed; print the port first.
    import signal
    import sys

    server = LoopbackServer().start()
    print(server.port, flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    server.stop()
    sys.exit(0)
