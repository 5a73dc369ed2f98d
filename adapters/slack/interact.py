"""What every Slack listener shares: the step between parsing a payload and rendering the result.

:class:`Context` calls one use case (a sync function, in a worker thread, a few at a time),
owns the acknowledgments (work after an ``ack()`` waits while requests are being answered),
the 2-second wait of a form for the core, and the ways of answering one person. It turns a
Slack user into the core's :class:`~commsbot.domain.policy.Actor` — ``slack:<USER_ID>``, with the
configured user groups they belong to as ``slack-group:<SUBTEAM_ID>`` — and never decides what
that actor may do: the core's policy does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

import aiohttp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack import forms, replies
from adapters.slack.config import GROUP_PREFIX, SlackConfig
from adapters.slack.render import Message
from adapters.slack.webapi import CALL_ERRORS, data_of, describe, response_url_via
from adapters.slack.wire import User, UsergroupUsersResponse, View, ViewSubmission
from commsbot.domain.errors import CommsbotError
from commsbot.domain.policy import Actor
from commsbot.services.deps import Deps

log = logging.getLogger("commsbot.slack")

T = TypeVar("T")
F = TypeVar("F")

#: Use cases running at once for Slack. Each runs in a thread that holds the GIL while it works;
#: a burst of 50 commands with one thread each slows the event loop — and so every
#: acknowledgment — several times over (bench/slack_ack.py). Two keep one slow call (a busy
#: SQLite writer) from holding up the rest.
CORE_SLOTS = 2
#: A modal submission waits this long for the core before answering Slack anyway (3 s limit).
SUBMIT_BUDGET = 2.0
USER_PREFIX = "slack:"
FAILED = ":warning: commsbot failed to do that (the error is in its log)."


@dataclass(frozen=True)
class Where:
    """Where and to whom an answer goes."""

    user_id: str
    channel_id: str | None = None
    response_url: str | None = None


@dataclass
class InFlight:
    """The listeners still working after their ``ack()``: waited for on shutdown (and in tests)."""

    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def track(self) -> None:
        """Count the current task (a Bolt listener) until it finishes."""
        task = asyncio.current_task()
        if task is not None and task not in self.tasks:
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def spawn(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until no listener is working (at most ``timeout`` seconds)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.tasks:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            await asyncio.wait(set(self.tasks), timeout=left)


class AckGate:
    """Acknowledgments first: work after an ``ack()`` waits while requests are being answered.

    Slack's 3 seconds are for the acknowledgment; the work that follows it (a database read, an
    answer) shares the event loop and, through threads, the GIL. In a burst of commands the
    work of the first ones would delay the acknowledgments of the last; here it waits until no
    request is being answered (at most ``patience`` seconds, so a steady stream never starves it).
    """

    def __init__(self, *, patience: float = 0.5) -> None:
        self.patience = patience
        self._answering = 0
        self._quiet = asyncio.Event()
        self._quiet.set()

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        """Around the handling of one request, until its acknowledgment is returned."""
        self._answering += 1
        self._quiet.clear()
        try:
            yield
        finally:
            self._answering -= 1
            if not self._answering:
                self._quiet.set()

    async def quiet(self) -> None:
        """Return once no request is being answered (or ``patience`` has run out)."""
        if self._answering:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._quiet.wait(), self.patience)


class ActorResolver:
    """Maps Slack user ids to actors, with their (configured) user-group memberships.

    Memberships are looked up only for the groups the configuration names, and cached briefly
    so a burst of button presses costs one API call.

    Args:
        client: the Web API client (needs ``usergroups:read`` when groups are configured).
        groups: the user-group ids worth checking; empty means no API call at all.
        ttl: seconds a membership list is trusted.
        clock: monotonic seconds (tests pass their own).
    """

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        groups: Iterable[str],
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._groups = frozenset(groups)
        self._ttl = ttl
        self._clock = clock
        self._members: dict[str, frozenset[str]] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def actor(self, user_id: str, *, name: str | None = None) -> Actor:
        """The actor for ``user_id``; ``name`` is how they are shown (their Slack handle)."""
        members = await self._memberships()
        groups = frozenset(
            GROUP_PREFIX + group for group, users in members.items() if user_id in users
        )
        return Actor(id=USER_PREFIX + user_id, groups=groups, display=name or None)

    async def _memberships(self) -> dict[str, frozenset[str]]:
        if not self._groups:
            return {}
        async with self._lock:
            now = self._clock()
            if self._fetched_at is not None and now - self._fetched_at < self._ttl:
                return self._members
            fetched: dict[str, frozenset[str]] = {}
            for group in sorted(self._groups):
                try:
                    resp = await self._client.usergroups_users_list(usergroup=group)
                    users = cast(UsergroupUsersResponse, data_of(resp)).get("users") or ()
                    fetched[group] = frozenset(users)
                except CALL_ERRORS as exc:
                    # Keep the last known members (none if never known): a Slack hiccup must
                    # not grant anyone approval rights, nor take them from everyone at once.
                    log.warning(
                        "cannot list members of Slack user group %s (%s); using the last known "
                        "members — check the usergroups:read scope",
                        group,
                        describe(exc),
                    )
                    fetched[group] = self._members.get(group, frozenset())
            self._members = fetched
            self._fetched_at = now
            return fetched


@dataclass
class Context:
    """The Slack listeners' shared state (nothing in it is needed to survive a restart).

    Args:
        deps: the core's dependencies.
        config: the ``[slack]`` section.
        client: the Web API client.
        actors: who is acting, with their user groups.
    """

    deps: Deps
    config: SlackConfig
    client: AsyncWebClient
    actors: ActorResolver
    inflight: InFlight = field(default_factory=InFlight)
    gate: AckGate = field(default_factory=AckGate)
    core_slots: int = CORE_SLOTS

    def __post_init__(self) -> None:
        self._slots = asyncio.Semaphore(self.core_slots)
        self._session: aiohttp.ClientSession | None = None

    @property
    def zone(self) -> ZoneInfo:
        return self.deps.settings.zone

    @property
    def command(self) -> str:
        return self.config.command

    @property
    def catalogue(self) -> list[str] | None:
        names = [c.name for c in self.deps.settings.components]
        return names or None

    @property
    def approvals_channel(self) -> str | None:
        """The channel of the first Slack notifier that gets approval requests, if any."""
        for entry in self.deps.settings.notifiers:
            if entry.type == "slack" and entry.wants("approval_requested"):
                channel = getattr(entry.options, "channel", None)
                return str(channel) if channel else None
        return None

    async def actor(self, user: User) -> Actor:
        return await self.actors.actor(user["id"], name=user.get("username") or user.get("name"))

    # --- calling the core --------------------------------------------------------------------

    async def call(self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """Run a (sync) use case off the event loop, with the core's dependencies."""
        await self.gate.quiet()
        async with self._slots:
            return await asyncio.to_thread(fn, self.deps, **kwargs)

    async def act(self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """:meth:`call` a use case that changes something; the broadcast engine looks at once.

        What it queued (an approval request, a published update's deliveries) goes out now
        rather than at the engine's next poll.
        """
        result = await self.call(fn, **kwargs)
        self.deps.waker.wake()
        return result

    async def guard(self, where: Where, work: Awaitable[object], *, failed: str = FAILED) -> None:
        """Run ``work`` after an ``ack()``: a refusal goes to the person, a failure to the log."""
        try:
            await work
        except CommsbotError as exc:
            await self.tell(where, replies.refusal(exc))
        except CALL_ERRORS as exc:
            log.warning("Slack call failed: %s", describe(exc))
        except Exception:
            log.exception("Slack listener failed")
            await self.tell(where, replies.plain_message(failed))

    async def submit(
        self,
        ack: AsyncAck,
        body: ViewSubmission,
        read: Callable[[View], F],
        work: Callable[[F, forms.Meta, Actor], Coroutine[Any, Any, Message]],
    ) -> None:
        """Answer a form's submission: ``read`` it (its own errors show next to their fields),
        then ``work`` on it as the person who submitted. A refusal within ``SUBMIT_BUDGET``
        shows inside the still-open form, next to its field, with the input kept; past that
        the form closes and the outcome is told — Slack's 3-second limit holds either way."""
        self.inflight.track()
        view = body["view"]
        try:
            form = read(view)
        except forms.FormErrors as invalid:
            await ack(response_action="errors", errors=invalid.errors)
            return
        meta = forms.unpack(view)
        where = Where(body["user"]["id"], channel_id=meta.get("c"), response_url=meta.get("r"))

        async def run() -> Message:
            return await work(form, meta, await self.actor(body["user"]))

        task = self.inflight.spawn(run())
        done, _ = await asyncio.wait({task}, timeout=SUBMIT_BUDGET)
        exc = task.exception() if task in done else None
        if isinstance(exc, CommsbotError):
            errors = {forms.error_block(exc, view): str(exc)[:1500]}
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        try:
            message = await task
        except CommsbotError as refused:
            message = replies.plain_message(
                f"{replies.refusal_text(refused)}\nNothing was saved: the form had to close "
                "before commsbot could check it (Slack waits 3 seconds); run the command again."
            )
        except Exception:
            log.exception("Slack form failed")
            message = replies.plain_message(
                ":warning: commsbot failed to save that (the error is in its log)."
            )
        await self.tell(where, message)

    # --- answering one person ---------------------------------------------------------------

    def _http(self) -> aiohttp.ClientSession:
        """One HTTP session for every answer (a session per answer costs a new connection)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        return self._session

    async def aclose(self) -> None:
        """Close the answers' HTTP session (on shutdown, after the work in flight)."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def tell(self, where: Where, message: Message, *, in_channel: bool = False) -> None:
        """Answer one person: through the response URL, else ephemerally, else by DM.

        The response URL works in any conversation, even ones the bot is not in; it lives 30
        minutes, so a late answer (a long-open modal) falls back to the Web API. It is sent
        where ``SLACK_API_URL`` points (see :func:`~adapters.slack.webapi.response_url_via`).
        """
        await self.gate.quiet()
        blocks = cast(list[dict[str, Any]], message.blocks)
        if where.response_url:
            url = response_url_via(where.response_url, api_url=self.client.base_url)
            try:
                webhook = AsyncWebhookClient(url=url, session=self._http())
                resp = await webhook.send(
                    text=message.text,
                    blocks=blocks,
                    response_type="in_channel" if in_channel else "ephemeral",
                    replace_original=False,
                )
                if resp.status_code == 200:
                    return
                log.info("response_url answered %s; falling back", resp.status_code)
            except CALL_ERRORS as exc:
                log.info("response_url failed (%s); falling back", describe(exc))
        if where.channel_id:
            with contextlib.suppress(*CALL_ERRORS):
                await self.client.chat_postEphemeral(
                    channel=where.channel_id, user=where.user_id, text=message.text, blocks=blocks
                )
                return
        try:
            await self.client.chat_postMessage(
                channel=where.user_id, text=message.text, blocks=blocks
            )
        except CALL_ERRORS as exc:
            log.warning("cannot answer Slack user %s: %s", where.user_id, describe(exc))
