"""The whole way: /incident in Slack → the broadcast engine → approvals and status channels.

The real store (SQLite and PostgreSQL), the real dispatcher with the ``slack`` destination and
notifier built from the configuration through the registry, the real Bolt entry point, and the
fake Slack Web API on loopback. Waits are bounded loops on what the fake has seen.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from typing import Any

from adapters.slack.app import SlackSurface
from adapters.slack.webapi import web_client
from commsbot.bootstrap import build
from commsbot.engines.targets import build_dispatcher, run_dispatcher
from commsbot.settings import parse_settings
from tests.adapters.slack.fake_slack import FakeSlack, readable
from tests.adapters.slack.scenario import SECRET, TOKEN, World


async def until(condition: Callable[[], object], what: str, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


def buttons(message: dict[str, Any]) -> list[str]:
    return [
        e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]


async def test_declare_approve_and_broadcast_through_the_engine(database_url: str) -> None:
    slack = await FakeSlack().start()
    config = parse_settings(
        {
            "database_url": database_url,
            "timezone": "America/Los_Angeles",
            "destinations": [{"name": "slack-status", "type": "slack", "channel": "C0STATUS"}],
            "notifiers": [{"name": "slack-approvals", "type": "slack", "channel": "C0APPROVE"}],
            "reminders": {"enabled": False},
        }
    )
    wired = build(config)
    env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": slack.api_url}
    dispatcher = build_dispatcher(wired.deps, out=io.StringIO(), environ=env, poll_seconds=0.05)
    stop = asyncio.Event()
    engine = asyncio.create_task(run_dispatcher(dispatcher, stop))
    w = World(slack=slack, surface=None, deps=wired.deps, data=None, clock=None)  # type: ignore[arg-type]
    w.surface = SlackSurface(
        wired.deps, config=config.slack, client=web_client(w.secrets()), signing_secret=SECRET
    )
    try:
        await w.command("declare sev1 ChatGPT, API and Sora unavailable | ChatGPT, API, Sora")
        await until(lambda: slack.top_level("C0APPROVE"), "the approval request")
        [request] = slack.top_level("C0APPROVE")
        assert buttons(request) == ["commsbot.approve", "commsbot.edit", "commsbot.reject"]
        assert "We're investigating an issue affecting ChatGPT, API and Sora" in readable(request)

        await w.click("C0APPROVE", request["ts"], "commsbot.approve", user_id="U0SAM")
        await until(lambda: len(slack.messages["C0STATUS"]) == 2, "the card and its first reply")
        [card] = slack.top_level("C0STATUS")
        assert "*Status:* Investigating" in readable(card)
        assert "*ChatGPT*\nMajor outage" in readable(card)
        await until(lambda: slack.thread("C0APPROVE", request["ts"]), "the decision in the thread")
        assert buttons(slack.message("C0APPROVE", request["ts"])) == []

        await w.command("update INC-1 identified We found the cause: DNS. | API=partial_outage")
        await until(lambda: len(slack.top_level("C0APPROVE")) == 2, "the second request")
        second = slack.top_level("C0APPROVE")[-1]
        await w.click("C0APPROVE", second["ts"], "commsbot.approve", user_id="U0SAM")
        await until(lambda: len(slack.thread("C0STATUS", card["ts"])) == 2, "the second reply")
        card = slack.message("C0STATUS", card["ts"])
        assert "*Status:* Identified" in readable(card)
        assert "We found the cause: DNS." in readable(card)
        reply = slack.thread("C0STATUS", card["ts"])[-1]
        assert reply["reply_broadcast"] is True
        assert len(slack.to("chat.postMessage")) == len(
            [m for ms in slack.messages.values() for m in ms]
        )  # every post made one message: nothing was posted twice
    finally:
        stop.set()
        await asyncio.wait_for(engine, 10)
        await w.surface.aclose(5)
        await slack.stop()
