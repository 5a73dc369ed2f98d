"""A Slack workspace for the tests: the fake Web API, the real Bolt app, signed real payloads.

Requests go through the real entry points — ``AsyncApp.async_dispatch`` with a signed
``AsyncBoltRequest`` (as Slack's HTTP mode delivers them), or the Starlette route — with the
fields Slack sends (slash-command form bodies; ``payload=`` JSON for buttons and modals).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from adapters.slack.app import SlackSurface
from adapters.slack.config import SlackSecrets
from adapters.slack.notifier import SlackNotifier
from adapters.slack.webapi import web_client
from commsbot.delivery.ports import Notice
from commsbot.services.deps import Deps
from commsbot.settings import Settings, parse_settings
from tests.adapters.slack.fake_slack import TEAM, FakeSlack, readable
from tests.unit.fakes import FakeClock, MemoryData, make_deps

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"
APP_ID = "A0COMMSBOT"
_counter = itertools.count(1)


def sign(body: str, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Slack's request signature: ``v0=`` HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": ts,
        "x-slack-signature": f"v0={digest}",
    }


def user(user_id: str) -> dict[str, str]:
    name = {"U0MAYA": "maya", "U0SAM": "sam", "U0ALEX": "alex"}.get(user_id, user_id.lower())
    return {"id": user_id, "username": name, "name": name, "team_id": TEAM}


@dataclass
class World:
    slack: FakeSlack
    surface: SlackSurface
    deps: Deps
    data: MemoryData
    clock: FakeClock
    channel: str = "C0GENERAL"
    bodies: list[str] = field(default_factory=list)
    _delivered: list[Notice] = field(default_factory=list)

    # --- what Slack sends ------------------------------------------------------------------

    def command_body(
        self, text: str, *, user_id: str = "U0MAYA", channel: str | None = None
    ) -> str:
        n = next(_counter)
        fields = {
            "token": "gIkuvaNzQIHg97ATvDxqgjtO",
            "team_id": TEAM,
            "team_domain": "acme",
            "enterprise_id": "E0ACME",
            "enterprise_name": "Acme Corp",
            "channel_id": channel or self.channel,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": user(user_id)["username"],
            "command": "/incident",
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": self.slack.response_url(f"cmd{n}"),
            "trigger_id": f"{n}.1733958960.{n:032x}",
        }
        return urlencode(fields)

    async def dispatch(self, body: str, headers: Mapping[str, str] | None = None) -> BoltResponse:
        """One signed request through Bolt's entry point; waits for the work after the ack."""
        self.bodies.append(body)
        request = AsyncBoltRequest(body=body, headers=dict(headers or sign(body)))
        response = await self.surface.app.async_dispatch(request)
        await self.surface.idle(10)
        return response

    async def command(self, text: str, *, user_id: str = "U0MAYA") -> BoltResponse:
        """``/incident TEXT`` typed by ``user_id`` in #general."""
        return await self.dispatch(self.command_body(text, user_id=user_id))

    async def click(
        self,
        channel: str,
        ts: str,
        action_id: str,
        *,
        user_id: str,
        selected: str | None = None,
    ) -> BoltResponse:
        """Press the control ``action_id`` of message ``ts`` (as it now stands in the fake)."""
        message = self.slack.message(channel, ts)
        block, element = _find_element(message["blocks"], action_id)
        n = next(_counter)
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block["block_id"],
            "type": element["type"],
            "action_ts": f"1733958960.{n:06d}",
        }
        if element["type"] == "button":
            action.update(text=element["text"], value=element["value"])
            if "style" in element:
                action["style"] = element["style"]
        else:
            option = next(o for o in element["options"] if o["value"] == selected)
            action["selected_option"] = option
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": user(user_id),
            "api_app_id": APP_ID,
            "token": "gIkuvaNzQIHg97ATvDxqgjtO",
            "container": {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": False,
            },
            "trigger_id": f"{n}.1733958960.{n:032x}",
            "team": {"id": TEAM, "domain": "acme"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": "approvals"},
            "message": {k: v for k, v in message.items() if k != "metadata"},
            "state": {"values": {}},
            "response_url": self.slack.response_url(f"act{n}", kind="actions"),
            "actions": [action],
        }
        return await self.dispatch("payload=" + quote(json.dumps(payload)))

    async def change(
        self, view_id: str, action_id: str, value: str, *, user_id: str
    ) -> BoltResponse:
        """Pick ``value`` in the select ``action_id`` of an open modal (``dispatch_action``)."""
        view = self.slack.views[view_id]
        block, element = _find_element(view["blocks"], action_id)
        option = next(o for o in element["options"] if o["value"] == value)
        n = next(_counter)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": user(user_id),
            "api_app_id": APP_ID,
            "token": "gIkuvaNzQIHg97ATvDxqgjtO",
            "container": {"type": "view", "view_id": view_id},
            "trigger_id": f"{n}.1733958960.{n:032x}",
            "team": {"id": TEAM, "domain": "acme"},
            "view": _submitted(view, {}),
            "actions": [
                {
                    "type": "static_select",
                    "action_id": action_id,
                    "block_id": block["block_id"],
                    "selected_option": option,
                    "action_ts": f"1733958960.{n:06d}",
                }
            ],
        }
        return await self.dispatch("payload=" + quote(json.dumps(payload)))

    async def submit(
        self, view_id: str, values: Mapping[str, str | None], *, user_id: str
    ) -> BoltResponse:
        """Submit the modal ``view_id`` with ``values`` (block id → text or option value)."""
        view = self.slack.views[view_id]
        n = next(_counter)
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "acme"},
            "user": user(user_id),
            "api_app_id": APP_ID,
            "token": "gIkuvaNzQIHg97ATvDxqgjtO",
            "trigger_id": f"{n}.1733958960.{n:032x}",
            "view": _submitted(view, values),
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return await self.dispatch("payload=" + quote(json.dumps(payload)))

    async def restart(self) -> None:
        """A new process: a new Bolt app and client, the same database and workspace."""
        await self.surface.aclose(5)
        self.surface = SlackSurface(
            self.deps,
            config=self.deps.settings.slack,
            client=web_client(self.secrets()),
            signing_secret=SECRET,
        )

    def secrets(self) -> SlackSecrets:
        return SlackSecrets(
            bot_token=TOKEN, signing_secret=SECRET, app_token=None, api_url=self.slack.api_url
        )

    def notifier(self, channel: str = "C0APPROVE") -> SlackNotifier:
        return SlackNotifier(
            name="approvals", channel=channel, client=web_client(self.secrets(), retries=False)
        )

    def notices(self, kind: str | None = None) -> list[Notice]:
        """The notices the core queued for the notifiers, oldest first."""
        found = [n for n, _ in self.data.outbox.notices.values()]
        return [n for n in found if kind is None or n.kind == kind]

    async def post_approval_requests(self) -> list[str]:
        """Deliver the queued approval requests (the broadcast engine's job); their ts."""
        notifier = self.notifier()
        done = []
        for notice in self.notices("approval_requested"):
            if notice in self._delivered:
                continue
            self._delivered.append(notice)
            receipt = await notifier.notify(notice)
            assert receipt.message_id
            done.append(receipt.message_id)
        return done

    # --- what people see -------------------------------------------------------------------

    def said_to(self, name: str | None = None) -> list[str]:
        """Texts answered through response URLs (``name``: only that one), oldest first."""
        return [readable(r) for r in self.slack.responses if name is None or r["_url"] == name]

    def last_answer(self) -> str:
        assert self.slack.responses, "nobody was answered"
        return readable(self.slack.responses[-1])

    def last_view(self) -> dict[str, Any]:
        assert self.slack.views, "no modal was opened"
        return list(self.slack.views.values())[-1]


def _find_element(
    blocks: list[dict[str, Any]], action_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    for block in blocks:
        elements = block.get("elements") or ([block["element"]] if "element" in block else [])
        for element in elements:
            if element.get("action_id") == action_id:
                return block, element
    raise AssertionError(f"no control {action_id!r} in {json.dumps(blocks)[:400]}")


def _submitted(view: dict[str, Any], values: Mapping[str, str | None]) -> dict[str, Any]:
    """The view as Slack sends it back: with ``state.values`` for every input."""
    state: dict[str, dict[str, Any]] = {}
    for block in view.get("blocks") or []:
        if block.get("type") != "input":
            continue
        element = block["element"]
        bid = block["block_id"]
        given = values.get(bid, _initial(element))
        if element["type"] == "plain_text_input":
            state[bid] = {element["action_id"]: {"type": "plain_text_input", "value": given}}
        else:
            option = next((o for o in element["options"] if o["value"] == given), None)
            state[bid] = {
                element["action_id"]: {"type": element["type"], "selected_option": option}
            }
    unknown = set(values) - set(state)
    assert not unknown, f"the modal has no inputs {sorted(unknown)}"
    out = dict(view)
    out.update(
        state={"values": state},
        previous_view_id=None,
        root_view_id=view["id"],
        app_id=APP_ID,
        external_id="",
        app_installed_team_id=TEAM,
        bot_id="B0BOT",
    )
    return out


def _initial(element: dict[str, Any]) -> str | None:
    if element["type"] == "plain_text_input":
        value = element.get("initial_value")
        return str(value) if value is not None else None
    option = element.get("initial_option")
    return str(option["value"]) if option else None


def settings(**extra: Any) -> Settings:
    data: dict[str, Any] = {
        "timezone": "America/Los_Angeles",
        "notifiers": [{"name": "approvals", "type": "slack", "channel": "C0APPROVE"}],
    }
    data.update(extra)
    return parse_settings(data)


@contextlib.asynccontextmanager
async def world(
    config: Settings | None = None, *, deps: Deps | None = None
) -> AsyncIterator[World]:
    """A running fake Slack and a Slack surface on in-memory fakes of the store."""
    slack = await FakeSlack().start()
    made, data, clock = make_deps(config or settings())
    deps = deps or made
    secrets = SlackSecrets(
        bot_token=TOKEN, signing_secret=SECRET, app_token=None, api_url=slack.api_url
    )
    surface = SlackSurface(
        deps, config=deps.settings.slack, client=web_client(secrets), signing_secret=SECRET
    )
    w = World(slack=slack, surface=surface, deps=deps, data=data, clock=clock)
    try:
        yield w
    finally:
        await w.surface.aclose(5)
        await slack.stop()
