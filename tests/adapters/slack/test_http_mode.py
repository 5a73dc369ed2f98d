"""HTTP mode: signed requests at /slack/events on the bot's own HTTP server, real store."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator

import httpx

from adapters.slack.app import SlackSurface
from adapters.slack.webapi import web_client
from commsbot.bootstrap import build, http_context
from commsbot.http.app import create_app
from commsbot.settings import parse_settings
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.scenario import SECRET, World, sign


@contextlib.asynccontextmanager
async def served(database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, World]]:
    """The real HTTP app with Slack's router, on an empty SQLite or PostgreSQL database."""
    slack = await FakeSlack().start()
    config = parse_settings({"database_url": database_url, "slack": {"mode": "http"}})
    wired = build(config)
    w = World(slack=slack, surface=None, deps=wired.deps, data=None, clock=None)  # type: ignore[arg-type]
    w.surface = SlackSurface(
        wired.deps, config=config.slack, client=web_client(w.secrets()), signing_secret=SECRET
    )
    context = http_context(wired)
    app = create_app(context=context, mounts=w.surface.http_mounts())
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://commsbot.test") as http:
            yield http, w
    finally:
        await w.surface.aclose(5)
        context.operations.close()
        await slack.stop()


def incidents(w: World) -> int:
    with w.deps.read() as uow:
        return len(uow.incidents.list())


async def test_a_signed_command_is_handled(database_url: str) -> None:
    async with served(database_url) as (http, w):
        body = w.command_body("declare sev1 ChatGPT unavailable")
        response = await http.post("/slack/events", content=body, headers=sign(body))
        assert response.status_code == 200
        await w.surface.idle(5)
        assert incidents(w) == 1
        assert "declared *INC-1*" in w.last_answer()


async def test_a_forged_signature_is_refused_and_changes_nothing(database_url: str) -> None:
    async with served(database_url) as (http, w):
        body = w.command_body("declare sev1 ChatGPT unavailable")
        forged = sign(body, secret="not-the-signing-secret")
        response = await http.post("/slack/events", content=body, headers=forged)
        assert response.status_code == 401
        tampered = sign(body)
        response = await http.post(
            "/slack/events", content=body.replace("sev1", "sev4"), headers=tampered
        )
        assert response.status_code == 401
        unsigned = {"content-type": "application/x-www-form-urlencoded"}
        response = await http.post("/slack/events", content=body, headers=unsigned)
        assert response.status_code == 401
        await w.surface.idle(5)
        assert incidents(w) == 0
        assert w.slack.calls == []
        assert w.slack.responses == []


async def test_a_replayed_request_older_than_five_minutes_is_refused(database_url: str) -> None:
    async with served(database_url) as (http, w):
        body = w.command_body("declare sev1 ChatGPT unavailable")
        old = sign(body, timestamp=int(time.time()) - 6 * 60)
        response = await http.post("/slack/events", content=body, headers=old)
        assert response.status_code == 401
        await w.surface.idle(5)
        assert incidents(w) == 0
        assert w.slack.calls == []


async def test_buttons_work_over_http_on_the_real_store(database_url: str) -> None:
    async with served(database_url) as (http, w):
        body = w.command_body("declare sev1 ChatGPT unavailable")
        await http.post("/slack/events", content=body, headers=sign(body))
        await w.surface.idle(5)
        with w.deps.read() as uow:
            [incident] = uow.incidents.list()
            [draft] = uow.drafts.for_incident(incident.id)
        body = w.command_body(f"approve {draft.id} v1", user_id="U0SAM")
        response = await http.post("/slack/events", content=body, headers=sign(body))
        assert response.status_code == 200
        await w.surface.idle(5)
        assert "Published update #1 of *INC-1*" in w.last_answer()
        with w.deps.read() as uow:
            assert len(uow.updates.for_incident(incident.id)) == 1
