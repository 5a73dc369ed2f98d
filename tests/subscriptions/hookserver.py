"""A real HTTP receiver on 127.0.0.1 for webhook subscription tests (stdlib, in a thread)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        data = json.loads(self.body)
        assert isinstance(data, dict)
        return data

    @property
    def event(self) -> str:
        return self.headers.get("x-commsbot-event", "")

    def signed_by(self, secret: str) -> bool:
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.headers.get("x-commsbot-signature-256", ""))


#: How the receiver answers one request: (status, headers, body).
Answer = tuple[int, dict[str, str], bytes]


def echo(hit: Hit) -> Answer:
    """Echo the challenge of a confirmation request as JSON; 200 to everything else."""
    if hit.event == "subscription.confirm":
        return 200, {}, json.dumps({"challenge": hit.json["challenge"]}).encode()
    return 200, {}, b'{"id": "got-it"}'


@dataclass
class HookServer:
    port: int
    hits: list[Hit] = field(default_factory=list)
    #: Answers each request; tests replace it to fail, stay silent, slow down.
    answer: Callable[[Hit], Answer] = echo

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def events(self, name: str) -> list[Hit]:
        return [h for h in self.hits if h.event == name]


@contextmanager
def hook_server() -> Iterator[HookServer]:
    state = HookServer(port=0)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            hit = Hit(
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length),
            )
            with lock:
                state.hits.append(hit)
            status, headers, body = state.answer(hit)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def slow(seconds: float, then: Callable[[Hit], Answer] = echo) -> Callable[[Hit], Answer]:
    def answer(hit: Hit) -> Answer:
        time.sleep(seconds)
        return then(hit)

    return answer
