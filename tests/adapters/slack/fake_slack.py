"""A loopback fake of the Slack Web API (aiohttp on 127.0.0.1, an ephemeral port).

It keeps channels, messages (with threads and metadata), modals and user groups, records every
call, and fails on purpose when told to: an HTTP 500, a 429 with ``Retry-After``, a
``ratelimited`` error, an applied-then-failed call, or a dropped connection. Response URLs
(``/commands/T…/ID/<name>``, ``/actions/…``, reached through the bot's ``SLACK_API_URL`` like
the Web API) and the Socket Mode WebSocket (``/socket``) live here too.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

BOT_USER = "U0BOT"
BOT_ID = "B0BOT"
TEAM = "T0ACME"
#: Where Slack's response URLs point.
HOOKS = "https://hooks.slack.com"
_JSON_FIELDS = {"blocks", "metadata", "view", "attachments"}


@dataclass
class Call:
    method: str
    args: dict[str, Any]


@dataclass
class Failure:
    status: int = 500
    error: str | None = None
    retry_after: float | None = None
    apply: bool = False  # do the work, then answer as failed (ambiguous)
    drop: bool = False  # do the work, then drop the connection without an answer


@dataclass
class FakeSlack:
    """The fake server. ``await start()``, then point ``AsyncWebClient`` at :attr:`api_url`."""

    channels: set[str] = field(default_factory=lambda: {"C0STATUS", "C0APPROVE", "C0GENERAL"})
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    responses: list[dict[str, Any]] = field(default_factory=list)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: dict[str, list[Failure]] = field(default_factory=lambda: defaultdict(list))
    socket_acks: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._last_ts = 0.0
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self._acked = asyncio.Event()
        self.port = 0

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/commands/{team}/{id}/{name}", self._response)
        app.router.add_post("/actions/{team}/{id}/{name}", self._response)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, name: str = "r1", *, kind: str = "commands") -> str:
        """A response URL as Slack sends it (``kind``: ``commands`` or ``actions``).

        It points at Slack's own host, as in production: the bot reaches this fake through
        it only because it routes response URLs where ``SLACK_API_URL`` points.
        """
        return f"{HOOKS}/{kind}/{TEAM}/{next(self._ids)}/{name}"

    # --- test controls ---------------------------------------------------------------------

    def fail(self, method: str, failure: Failure | None = None, *, times: int = 1) -> None:
        """Make the next ``times`` calls of ``method`` fail as ``failure`` says (500 by default)."""
        self.failures[method].extend([failure or Failure()] * times)

    def to(self, method: str) -> list[dict[str, Any]]:
        """The arguments of every call of ``method``, in order."""
        return [c.args for c in self.calls if c.method == method]

    def top_level(self, channel: str) -> list[dict[str, Any]]:
        """What a member sees in the channel itself (not inside threads), oldest first."""
        return [m for m in self.messages[channel] if _in_channel(m)]

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        return [m for m in self.messages[channel] if m.get("thread_ts") == ts and m["ts"] != ts]

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        return next(m for m in self.messages[channel] if m["ts"] == ts)

    def pinged(self) -> list[set[str]]:
        """Who each message posted or edited in a channel so far notified (see :func:`pings`)."""
        sent = [c.args for c in self.calls if c.method in {"chat.postMessage", "chat.update"}]
        return [pings(args) for args in sent]

    def ephemerals(self) -> list[str]:
        """Texts shown to one person: response-URL answers and chat.postEphemeral."""
        texts = [_all_text(r) for r in self.responses if r.get("response_type") != "in_channel"]
        texts += [_all_text(a) for a in self.to("chat.postEphemeral")]
        return texts

    # --- the Web API -----------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args = await _args(request)
        self.calls.append(Call(method, args))
        failure = self.failures[method].pop(0) if self.failures[method] else None
        if failure is not None and not (failure.apply or failure.drop):
            return _failed(failure)
        auth = request.headers.get("Authorization", "")
        token_kind = "Bearer xapp-" if method == "apps.connections.open" else "Bearer xoxb-"
        if not auth.startswith(token_kind):
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        body = handler(args) if handler else {"ok": False, "error": "unknown_method"}
        if failure is not None and failure.drop:
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)
        if failure is not None:
            return _failed(failure)
        return web.json_response(body)

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://acme.slack.com/",
            "team": "Acme",
            "user": "commsbot",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _next_ts(self) -> str:
        # Like Slack's: the time of posting, unique and increasing within a channel.
        self._last_ts = max(time.time(), self._last_ts + 0.000001)
        return f"{self._last_ts:.6f}"

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        if channel not in self.channels and not channel.startswith(("U", "W", "D")):
            return {"ok": False, "error": "channel_not_found"}
        thread = args.get("thread_ts")
        if thread and not any(m["ts"] == thread for m in self.messages[channel]):
            return {"ok": False, "error": "thread_not_found"}
        message = {
            "type": "message",
            "user": BOT_USER,
            "bot_id": BOT_ID,
            "ts": self._next_ts(),
            "text": args.get("text", ""),
            "blocks": args.get("blocks") or [],
        }
        if thread:
            message["thread_ts"] = thread
            message["reply_broadcast"] = bool(args.get("reply_broadcast"))
        if args.get("metadata"):
            message["metadata"] = args["metadata"]
        self.messages[channel].append(message)
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        for message in self.messages[channel]:
            if message["ts"] == args.get("ts"):
                message["text"] = args.get("text", message["text"])
                if "blocks" in args:
                    message["blocks"] = args["blocks"]
                if args.get("metadata"):
                    message["metadata"] = args["metadata"]
                message["edited"] = {"user": BOT_USER}
                return {
                    "ok": True,
                    "channel": channel,
                    "ts": message["ts"],
                    "text": message["text"],
                }
        return {"ok": False, "error": "message_not_found"}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if str(args.get("channel")) not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        view = dict(args["view"])
        view.update(id=f"V{next(self._ids):05d}", hash=f"h{next(self._ids)}", team_id=TEAM)
        self.views[view["id"]] = view
        return {"ok": True, "view": view}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = str(args.get("view_id"))
        if view_id not in self.views:
            return {"ok": False, "error": "not_found"}
        if args.get("hash") and args["hash"] != self.views[view_id]["hash"]:
            return {"ok": False, "error": "hash_conflict"}
        view = dict(args["view"])
        view.update(id=view_id, hash=f"h{next(self._ids)}", team_id=TEAM)
        self.views[view_id] = view
        return {"ok": True, "view": view}

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        found = [m for m in self.messages[channel] if _in_channel(m)]
        found = _window(found, args)
        found.sort(key=lambda m: m["ts"], reverse=True)
        return {"ok": True, "messages": [_shown(m, args) for m in found], "has_more": False}

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, root = str(args.get("channel", "")), args.get("ts")
        thread = [
            m for m in self.messages[channel] if m["ts"] == root or m.get("thread_ts") == root
        ]
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        thread = _window(thread, args)
        return {"ok": True, "messages": [_shown(m, args) for m in thread], "has_more": False}

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = str(args.get("usergroup"))
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": self.usergroups[group]}

    def _usergroups_list(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "usergroups": [{"id": g, "handle": g.lower()} for g in self.usergroups]}

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}

    # --- response URLs and Socket Mode -----------------------------------------------------

    async def _response(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name.startswith("expired"):  # used more than 5 times, or older than 30 minutes
            return web.Response(status=404, text="expired_url")
        body = await request.json()
        body["_url"] = name
        self.responses.append(body)
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1, "debug_info": {}})
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                self.socket_acks.append(json.loads(msg.data))
                self._acked.set()
        self._sockets.remove(ws)
        return ws

    async def socket_send(
        self, envelope: dict[str, Any], *, timeout: float = 5.0
    ) -> dict[str, Any]:
        """Send one Socket Mode envelope and wait for its acknowledgment."""
        for _ in range(int(timeout / 0.02)):
            if self._sockets:
                break
            await asyncio.sleep(0.02)
        assert self._sockets, "no Socket Mode connection"
        before = len(self.socket_acks)
        await self._sockets[-1].send_json(envelope)
        while len(self.socket_acks) == before:
            self._acked.clear()
            await asyncio.wait_for(self._acked.wait(), timeout)
        return self.socket_acks[-1]


def _in_channel(message: dict[str, Any]) -> bool:
    thread = message.get("thread_ts")
    return not thread or thread == message["ts"] or bool(message.get("reply_broadcast"))


def _window(messages: list[dict[str, Any]], args: dict[str, Any]) -> list[dict[str, Any]]:
    inclusive = str(args.get("inclusive", "")).lower() in {"1", "true"}
    out = []
    for m in messages:
        ts = float(m["ts"])
        if args.get("oldest") and (
            ts < float(args["oldest"]) or (ts == float(args["oldest"]) and not inclusive)
        ):
            continue
        if args.get("latest") and (
            ts > float(args["latest"]) or (ts == float(args["latest"]) and not inclusive)
        ):
            continue
        out.append(m)
    limit = int(args.get("limit") or 100)
    return out[-limit:]


def _shown(message: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    shown = dict(message)
    if str(args.get("include_all_metadata", "")).lower() not in {"1", "true"}:
        shown.pop("metadata", None)
    return shown


def _failed(failure: Failure) -> web.Response:
    headers = {}
    if failure.retry_after is not None:
        headers["Retry-After"] = str(int(failure.retry_after))
    if failure.status >= 500:
        return web.Response(status=failure.status, text="upstream error", content_type="text/html")
    return web.json_response(
        {"ok": False, "error": failure.error or "ratelimited"},
        status=failure.status,
        headers=headers,
    )


async def _args(request: web.Request) -> dict[str, Any]:
    args: dict[str, Any] = dict(request.query)
    raw = await request.read()
    if raw:
        if request.content_type == "application/json":
            args.update(json.loads(raw))
        else:
            args.update(dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True)))
    for key in _JSON_FIELDS & args.keys():
        if isinstance(args[key], str) and args[key]:
            args[key] = json.loads(args[key])
    return args


def _all_text(payload: dict[str, Any]) -> str:
    """Everything a person reads in a message: its text and all its blocks' text."""
    parts = [str(payload.get("text") or "")]
    parts += _block_text(payload.get("blocks") or [])
    return "\n".join(p for p in parts if p)


def _block_text(blocks: Any) -> list[str]:
    out: list[str] = []
    if isinstance(blocks, dict):
        if isinstance(blocks.get("text"), str) and blocks.get("type") in {"mrkdwn", "plain_text"}:
            out.append(blocks["text"])
        for value in blocks.values():
            if isinstance(value, dict | list):
                out += _block_text(value)
    elif isinstance(blocks, list):
        for item in blocks:
            out += _block_text(item)
    return out


def readable(payload: dict[str, Any]) -> str:
    """All the text of a message or modal, as a person would read it."""
    return _all_text(payload)


_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_GROUP = re.compile(r"<!subteam\^([A-Z0-9]+)(?:\|[^>]*)?>")
_SPECIAL = re.compile(r"<!(channel|here|everyone)(?:\|[^>]*)?>")
_BARE = re.compile(r"@(channel|here|everyone)\b")


def _mrkdwn(payload: Any) -> list[str]:
    """The texts Slack parses for mentions: ``text`` and mrkdwn objects (never plain_text)."""
    out: list[str] = []
    if isinstance(payload, dict):
        if payload.get("type") == "mrkdwn" and isinstance(payload.get("text"), str):
            out.append(payload["text"])
        for value in payload.values():
            if isinstance(value, dict | list):
                out += _mrkdwn(value)
    elif isinstance(payload, list):
        for item in payload:
            out += _mrkdwn(item)
    return out


def pings(args: dict[str, Any]) -> set[str]:
    """Who a ``chat.postMessage``/``chat.update`` notifies, as Slack reads it: ``user:U…``,
    ``group:S…`` or ``channel``/``here``/``everyone``. Bare ``@channel`` counts only when the
    message asks Slack to parse names (``parse=full`` or ``link_names``)."""
    texts = [str(args.get("text") or ""), *_mrkdwn(args.get("blocks") or [])]
    parses = str(args.get("parse", "")) == "full" or str(args.get("link_names", "")).lower() in {
        "1",
        "true",
    }
    out: set[str] = set()
    for text in texts:
        out |= {f"user:{u}" for u in _USER.findall(text)}
        out |= {f"group:{g}" for g in _GROUP.findall(text)}
        out |= set(_SPECIAL.findall(text))
        if parses:
            out |= set(_BARE.findall(text))
    return out
