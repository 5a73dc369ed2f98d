"""Starting Slack in ``commsbot run``: only when configured, Socket Mode, clear errors."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qsl

import pytest

from adapters.slack.runner import start_slack
from commsbot.settings import ConfigError, parse_settings
from tests.adapters.slack.fake_slack import Failure, FakeSlack
from tests.adapters.slack.scenario import TOKEN, World, settings
from tests.unit.fakes import make_deps


async def test_nothing_starts_without_a_token_and_no_slack_section() -> None:
    deps, _, _ = make_deps()
    assert await start_slack(deps=deps, stop=asyncio.Event(), http_enabled=True, environ={}) is None


@pytest.mark.parametrize(
    ("section", "environ", "says"),
    [
        ({}, {}, "needs SLACK_BOT_TOKEN, SLACK_APP_TOKEN; set them in .env"),
        (
            {"mode": "http"},
            {"SLACK_BOT_TOKEN": TOKEN},
            "needs SLACK_SIGNING_SECRET; set it in .env",
        ),
        ({"mode": "http"}, {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": "s"}, "[http]"),
    ],
)
async def test_a_configured_slack_says_what_is_missing(
    section: dict[str, Any], environ: dict[str, Any], says: str
) -> None:
    deps, _, _ = make_deps(parse_settings({"slack": section}))
    with pytest.raises(ConfigError) as error:
        await start_slack(deps=deps, stop=asyncio.Event(), http_enabled=False, environ=environ)
    assert says in str(error.value)


async def test_a_refused_token_stops_start_up_but_an_unreachable_slack_does_not() -> None:
    slack = await FakeSlack().start()
    try:
        deps, _, _ = make_deps(settings())
        env = {
            "SLACK_BOT_TOKEN": "xoxp-not-a-bot-token",
            "SLACK_APP_TOKEN": "xapp-1",
            "SLACK_API_URL": slack.api_url,
        }
        with pytest.raises(ConfigError) as error:
            await start_slack(deps=deps, stop=asyncio.Event(), http_enabled=False, environ=env)
        assert "SLACK_BOT_TOKEN" in str(error.value)
        assert "invalid_auth" in str(error.value)
    finally:
        await slack.stop()
    env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": slack.api_url}
    deps, _, _ = make_deps(parse_settings({"slack": {"mode": "http"}}))
    run = await start_slack(deps=deps, stop=asyncio.Event(), http_enabled=True, environ=env)
    assert run is not None
    assert run.mounts


async def test_socket_mode_end_to_end() -> None:
    slack = await FakeSlack().start()
    stop = asyncio.Event()
    deps, data, clock = make_deps(settings())
    env = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_APP_TOKEN": "xapp-1-A0COMMSBOT-1-abc",
        "SLACK_API_URL": slack.api_url,
    }
    run = await start_slack(deps=deps, stop=stop, http_enabled=False, environ=env)
    assert run is not None
    assert run.task is not None
    try:
        w = World(slack=slack, surface=run.surface, deps=deps, data=data, clock=clock)
        fields = dict(parse_qsl(w.command_body("declare sev1 ChatGPT unavailable")))
        ack = await slack.socket_send(
            {
                "envelope_id": "57d6a792-4d35-4d0f-b8d0-f2f5b5d81d5a",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": fields,
            }
        )
        assert ack["envelope_id"] == "57d6a792-4d35-4d0f-b8d0-f2f5b5d81d5a"
        await run.surface.idle(5)
        [incident] = data.incidents.values()
        assert incident.commander == "slack:U0MAYA"
        assert "declared *INC-1*" in w.last_answer()
        help_ack = await slack.socket_send(
            {
                "envelope_id": "e2",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": {**fields, "text": "help"},
            }
        )
        assert "/incident declare" in help_ack["payload"]["text"]
    finally:
        stop.set()
        await asyncio.wait_for(run.wait(), 10)
        await slack.stop()


async def test_a_refused_app_token_stops_start_up() -> None:
    slack = await FakeSlack().start()
    try:
        deps, _, _ = make_deps(settings())
        env = {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_APP_TOKEN": "xoxb-not-an-app-token",
            "SLACK_API_URL": slack.api_url,
        }
        with pytest.raises(ConfigError) as error:
            await start_slack(deps=deps, stop=asyncio.Event(), http_enabled=False, environ=env)
        assert "SLACK_APP_TOKEN" in str(error.value)
        assert "connections:write" in str(error.value)
    finally:
        await slack.stop()


async def test_socket_mode_keeps_trying_while_slack_is_down_and_stops_cleanly() -> None:
    slack = await FakeSlack().start()
    deps, _, _ = make_deps(settings())
    env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_APP_TOKEN": "xapp-1", "SLACK_API_URL": slack.api_url}
    slack.fail("apps.connections.open", Failure(status=503), times=100)
    stop = asyncio.Event()
    try:
        run = await start_slack(deps=deps, stop=stop, http_enabled=False, environ=env)
        assert run is not None
        assert run.task is not None
        for _ in range(200):  # the check at start, then the first tries of the connection
            if len(slack.to("apps.connections.open")) >= 2:
                break
            await asyncio.sleep(0.01)
        assert len(slack.to("apps.connections.open")) >= 2
        assert not run.task.done()  # still trying; the rest of the bot runs meanwhile
        stop.set()
        await asyncio.wait_for(run.wait(), 5)
    finally:
        await slack.stop()
