"""The HTTP server as ``commsbot run`` runs it: uvicorn on loopback, real sockets."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from commsbot.http.context import HttpContext
from commsbot.http.server import bind
from commsbot.settings import ConfigError
from tests.http.conftest import StackContext, make_context
from tests.http.live import live_server
from tests.statuspage import scenario
from tests.unit.fakes import FakeClock

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def ctx(database_url: str) -> Iterator[StackContext]:
    settings = scenario.settings(http={"port": 0})
    clock = FakeClock(scenario.START)
    made = make_context(database_url, settings, clock)
    scenario.build(made.deps, clock)
    yield made
    made.engine.dispose()


@SQLITE_ONLY
def test_the_server_serves_the_page_and_the_api_on_loopback(
    ctx: HttpContext, database_url: str
) -> None:
    with live_server(ctx, database_url) as base, httpx.Client(base_url=base) as client:
        summary = client.get("/api/v2/summary.json")
        ready = client.get("/readyz")
        refused = client.get("/api/v1/incidents")
        health = client.get("/healthz")

    assert summary.status_code == 200
    assert summary.json()["page"]["name"] == "Acme Status"
    assert len(summary.json()["incidents"]) == 1
    assert "server" not in summary.headers
    assert ready.json()["status"] == "ready"
    assert refused.status_code == 401
    assert health.json() == {"status": "ok"}


def test_a_taken_port_is_a_clear_configuration_error() -> None:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        with pytest.raises(ConfigError, match=rf"cannot listen on 127.0.0.1:{port}.*\[http\]"):
            bind("127.0.0.1", port)
    finally:
        holder.close()
