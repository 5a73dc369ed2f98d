"""A loopback fake of Discord's REST API (v10), enough for commsbot's Discord adapter.

It records every call, stores messages, deduplicates ``enforce_nonce`` posts like Discord (for
``nonce_seconds``: Discord forgets nonces after a few minutes), lists a channel's latest messages,
enforces Discord's message limits (a message over them gets Discord's 400), and fails on
purpose when told to: a status with a body (429 with ``retry_after``, 500), or a connection
dropped after the request was applied.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "fake-bot-token"
APP_ID = 1200000000000000001
BOT_ID = 1200000000000000002
GUILD_ID = 1200000000000000003
TEXT_CHANNEL = 1200000000000000010
ANNOUNCEMENT_CHANNEL = 1200000000000000011
APPROVALS_CHANNEL = 1200000000000000012


BODY: web.RequestKey[Any] = web.RequestKey("body", object)


def _json(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly Discord's header: discord.py parses JSON only for "application/json" itself.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


@dataclass
class Call:
    method: str
    path: str
    body: Any
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: dict[str, Any] | None
    headers: dict[str, str]
    times: int
    drop: bool = False  # apply the request, then close the connection without answering


@dataclass
class FakeDiscord:
    channels: dict[int, int] = field(
        default_factory=lambda: {TEXT_CHANNEL: 0, ANNOUNCEMENT_CHANNEL: 5, APPROVALS_CHANNEL: 0}
    )
    calls: list[Call] = field(default_factory=list)
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: (channel, nonce) -> (message id, when it was posted, monotonic seconds)
    nonces: dict[tuple[int, str], tuple[int, float]] = field(default_factory=dict)
    #: How long a nonce is remembered (Discord: "a few minutes"); None: for ever.
    nonce_seconds: float | None = None
    #: Channels where the bot lacks Read Message History (listing messages answers 403).
    no_history: set[int] = field(default_factory=set)
    faults: list[Fault] = field(default_factory=list)
    commands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: interaction token -> the message its component was on (what "@original" edits)
    origins: dict[str, int] = field(default_factory=dict)
    url: str = ""
    #: The bot token it accepts (``Authorization: Bot …``).
    token: str = TOKEN
    #: Closed when the scenario ends (the clients' HTTP sessions).
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._ids = itertools.count(1300000000000000000)
        self._runner: web.AppRunner | None = None

    # --- test controls -------------------------------------------------------------------

    def fail(
        self,
        method: str,
        path: str,
        *,
        status: int,
        times: int = 1,
        retry_after: float | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` (429: Discord's body)."""
        headers: dict[str, str] = {}
        if status == 429:
            wait = retry_after if retry_after is not None else 1.0
            body = {"message": "You are being rate limited.", "retry_after": wait, "global": False}
            # Discord's 429s come through its proxy; discord.py treats one without Via as a
            # Cloudflare ban.
            headers = {"Retry-After": str(wait), "Via": "1.1 google", "X-RateLimit-Scope": "user"}
        self.faults.append(
            Fault(method, re.compile(path), status, body or {"message": "fail"}, headers, times)
        )

    def drop(self, method: str, path: str, *, times: int = 1) -> None:
        """Apply the next matching request, then drop the connection before answering."""
        self.faults.append(Fault(method, re.compile(path), 0, None, {}, times, drop=True))

    def requests(self, method: str, pattern: str) -> list[Call]:
        rx = re.compile(pattern)
        return [c for c in self.calls if c.method == method and rx.fullmatch(c.path)]

    def posts(self, channel_id: int | None = None) -> list[Call]:
        channel = str(channel_id) if channel_id else r"\d+"
        return self.requests("POST", rf"/api/v10/channels/{channel}/messages")

    def in_channel(self, channel_id: int) -> list[dict[str, Any]]:
        return [m for m in self.messages.values() if int(m["channel_id"]) == channel_id]

    def pinged(self) -> list[set[str]]:
        """Who each message sent or edited so far notified, as Discord decides it."""
        sent = [c for c in self.calls if c.method in {"POST", "PATCH"} and "/messages" in c.path]
        return [pings(c.body) for c in sent if isinstance(c.body, dict)]

    # --- server --------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(middlewares=[self._middleware], client_max_size=8 * 1024 * 1024)
        api = "/api/v10"
        app.router.add_get(f"{api}/users/@me", self._me)
        app.router.add_get(f"{api}/oauth2/applications/@me", self._application)
        app.router.add_get(f"{api}/channels/{{channel}}", self._get_channel)
        app.router.add_post(f"{api}/channels/{{channel}}/messages", self._create_message)
        app.router.add_get(f"{api}/channels/{{channel}}/messages", self._list_messages)
        app.router.add_get(f"{api}/channels/{{channel}}/messages/{{message}}", self._get_message)
        app.router.add_patch(f"{api}/channels/{{channel}}/messages/{{message}}", self._edit)
        app.router.add_post(
            f"{api}/channels/{{channel}}/messages/{{message}}/crosspost", self._crosspost
        )
        app.router.add_put(f"{api}/applications/{{app}}/commands", self._commands)
        app.router.add_put(f"{api}/applications/{{app}}/guilds/{{guild}}/commands", self._commands)
        app.router.add_post(f"{api}/interactions/{{id}}/{{token}}/callback", self._callback)
        app.router.add_post(f"{api}/webhooks/{{app}}/{{token}}", self._followup)
        app.router.add_patch(f"{api}/webhooks/{{app}}/{{token}}/messages/@original", self._original)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/api/v10"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body = await request.json() if request.can_read_body else None
        request[BODY] = body
        self.calls.append(Call(request.method, request.path, body, dict(request.headers)))
        if (
            request.headers.get("Authorization") != f"Bot {self.token}"
            and "/interactions/" not in (request.path)
            and "/webhooks/" not in request.path
        ):
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        for fault in self.faults:
            if (
                fault.times
                and fault.method == request.method
                and fault.pattern.fullmatch(request.path)
            ):
                fault.times -= 1
                if fault.drop:
                    await handler(request)
                    assert request.transport is not None
                    request.transport.close()
                    return web.Response(status=599)
                return _json(fault.body, status=fault.status, headers=fault.headers)
        response: web.StreamResponse = await handler(request)
        return response

    # --- handlers ------------------------------------------------------------------------

    def _user(self, user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
        return {
            "id": str(user_id),
            "username": name,
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
            "bot": bot,
            "flags": 0,
            "public_flags": 0,
        }

    async def _me(self, request: web.Request) -> web.Response:
        return _json(self._user(BOT_ID, "commsbot", bot=True))

    async def _application(self, request: web.Request) -> web.Response:
        return _json(
            {
                "id": str(APP_ID),
                "name": "commsbot",
                "icon": None,
                "description": "",
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": self._user(1200000000000000099, "owner"),
                "verify_key": "0" * 64,
                "flags": 0,
                "team": None,
            }
        )

    async def _get_channel(self, request: web.Request) -> web.Response:
        channel = int(request.match_info["channel"])
        if channel not in self.channels:
            return _json({"message": "Unknown Channel", "code": 10003}, status=404)
        return _json(
            {
                "id": str(channel),
                "type": self.channels[channel],
                "guild_id": str(GUILD_ID),
                "name": f"channel-{channel}",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
            }
        )

    def _message(
        self, channel: int, body: dict[str, Any], *, author: int = BOT_ID
    ) -> dict[str, Any]:
        return {
            "id": str(next(self._ids)),
            "channel_id": str(channel),
            "guild_id": str(GUILD_ID),
            "author": self._user(author, "commsbot", bot=True),
            "content": body.get("content") or "",
            "timestamp": "2024-12-11T23:16:00.000000+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": int(body.get("flags") or 0),
        }

    async def _create_message(self, request: web.Request) -> web.Response:
        channel = int(request.match_info["channel"])
        body = request[BODY]
        if channel not in self.channels:
            return _json({"message": "Unknown Channel", "code": 10003}, status=404)
        problem = limits_problem(body)
        if problem:
            return _json(
                {"message": "Invalid Form Body", "code": 50035, "errors": problem}, status=400
            )
        nonce = body.get("nonce")
        enforced = nonce and body.get("enforce_nonce")
        remembered = self.nonces.get((channel, nonce)) if enforced else None
        if remembered is not None:
            message_id, at = remembered
            if self.nonce_seconds is None or time.monotonic() - at <= self.nonce_seconds:
                return _json({**self.messages[message_id], "nonce": nonce})
        message = self._message(channel, body)
        self.messages[int(message["id"])] = message
        if enforced:
            self.nonces[(channel, nonce)] = (int(message["id"]), time.monotonic())
        # Discord echoes the nonce in its answer, not in the stored message.
        return _json({**message, "nonce": nonce} if nonce else message)

    async def _list_messages(self, request: web.Request) -> web.Response:
        """The channel's latest messages, newest first (``limit`` 1-100, default 50)."""
        channel = int(request.match_info["channel"])
        if channel not in self.channels:
            return _json({"message": "Unknown Channel", "code": 10003}, status=404)
        if channel in self.no_history:
            return _json({"message": "Missing Access", "code": 50001}, status=403)
        limit = int(request.query.get("limit", "50"))
        if not 1 <= limit <= 100:
            return _json({"message": "Invalid Form Body", "code": 50035}, status=400)
        found = sorted(self.in_channel(channel), key=lambda m: int(m["id"]), reverse=True)
        return _json(found[:limit])

    async def _get_message(self, request: web.Request) -> web.Response:
        message = self.messages.get(int(request.match_info["message"]))
        if message is None:
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        return _json(message)

    async def _edit(self, request: web.Request) -> web.Response:
        return self._apply_edit(request, int(request.match_info["message"]))

    def _apply_edit(self, request: web.Request, message_id: int | None) -> web.Response:
        message = self.messages.get(message_id) if message_id is not None else None
        if message is None:
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        body = request[BODY]
        problem = limits_problem(body)
        if problem:
            return _json({"message": "Invalid Form Body", "code": 50035}, status=400)
        for key in ("content", "embeds", "components"):
            if key in body:
                message[key] = body[key] or ([] if key != "content" else "")
        message["edited_timestamp"] = "2024-12-11T23:30:00.000000+00:00"
        return _json(message)

    async def _crosspost(self, request: web.Request) -> web.Response:
        channel = int(request.match_info["channel"])
        message = self.messages.get(int(request.match_info["message"]))
        if message is None:
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        if self.channels.get(channel) != 5:
            return _json(
                {"message": "Cannot execute action on this channel type", "code": 50024},
                status=400,
            )
        if message["flags"] & 1:
            return _json(
                {"message": "This message has already been crossposted.", "code": 40033},
                status=400,
            )
        message["flags"] |= 1
        return _json(message)

    async def _commands(self, request: web.Request) -> web.Response:
        body = request[BODY]
        self.commands[request.match_info.get("guild", "global")] = body
        return _json(
            [
                {
                    **cmd,
                    "id": str(next(self._ids)),
                    "application_id": str(APP_ID),
                    "version": "1",
                    "default_member_permissions": None,
                }
                for cmd in body
            ]
        )

    async def _callback(self, request: web.Request) -> web.Response:
        body = request[BODY]
        kind = body["type"]
        data = body.get("data") or {}
        response: dict[str, Any] = {
            "interaction": {
                "id": request.match_info["id"],
                "type": 2,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool((data.get("flags") or 0) & 64),
            },
            "resource": {"type": kind},
        }
        if kind == 4:
            response["resource"]["message"] = self._message(0, data)
        return _json(response)

    async def _followup(self, request: web.Request) -> web.Response:
        return _json(self._message(0, request[BODY]))

    async def _original(self, request: web.Request) -> web.Response:
        origin = self.origins.get(request.match_info["token"])
        if origin is None:
            return _json(self._message(0, request[BODY]))
        return self._apply_edit(request, origin)


def limits_problem(body: dict[str, Any]) -> str | None:
    """What Discord would refuse in a message body (content 2000, embed limits), or None."""
    content = body.get("content") or ""
    if len(content) > 2000:
        return f"content: {len(content)} > 2000"
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        return "embeds: more than 10"
    total = 0
    for embed in embeds:
        title = embed.get("title") or ""
        description = embed.get("description") or ""
        fields = embed.get("fields") or []
        footer = (embed.get("footer") or {}).get("text") or ""
        if len(title) > 256 or len(description) > 4096 or len(fields) > 25 or len(footer) > 2048:
            return "embed: a part is over its limit"
        for f in fields:
            if len(f["name"]) > 256 or len(f["value"]) > 1024 or not f["value"]:
                return "embed field: over its limit or empty"
        total += len(title) + len(description) + len(footer)
        total += sum(len(f["name"]) + len(f["value"]) for f in fields)
    if total > 6000:
        return f"embeds: {total} characters > 6000"
    return None


_USER = re.compile(r"<@!?(\d+)>")
_ROLE = re.compile(r"<@&(\d+)>")
_MASS = re.compile(r"@(everyone|here)\b")


def pings(body: dict[str, Any]) -> set[str]:
    """Who a message body notifies under Discord's rules: mentions in ``content`` (never in
    embeds) that ``allowed_mentions`` lets through (absent: all of them). ``user:ID``,
    ``role:ID`` or ``everyone``."""
    allowed = body.get("allowed_mentions")
    content = str(body.get("content") or "")
    parse = set(allowed.get("parse", [])) if allowed is not None else {"users", "roles", "everyone"}
    users = {str(u) for u in (allowed or {}).get("users", [])}
    roles = {str(r) for r in (allowed or {}).get("roles", [])}
    out = {f"user:{u}" for u in _USER.findall(content) if "users" in parse or u in users}
    out |= {f"role:{r}" for r in _ROLE.findall(content) if "roles" in parse or r in roles}
    if _MASS.search(content) and "everyone" in parse:
        out.add("everyone")
    return out
