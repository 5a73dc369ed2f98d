"""What every Slack handler shares: the core's dependencies, the Web API client, the actor
resolver, the work in flight, and the ways of answering one person.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.actors import ActorResolver
from adapters.slack.cards import Message
from adapters.slack.client import response_url_via
from adapters.slack.config import SlackConfig
from adapters.slack.errors import CALL_ERRORS, describe
from commsbot.services.deps import Deps

log = logging.getLogger("commsbot.slack")

P = ParamSpec("P")
T = TypeVar("T")

#: Use cases running at once for Slack. Each runs in a thread that holds the GIL while it works;
#: a burst of 50 commands with one thread each slows the event loop — and so every
#: acknowledgment — several times over (bench/slack_ack.py). Two keep one slow call (a busy
#: SQLite writer) from holding up the rest.
CORE_SLOTS = 2

#: A modal submission waits this long for the core before answering Slack anyway (3 s limit).
SUBMIT_BUDGET = 2.0


@dataclass
class InFlight:
    """The handlers still working after their ``ack()``: waited for on shutdown (and in tests)."""

    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def track(self) -> None:
        """Count the current task (a Bolt listener) until it finishes."""
        task = asyncio.current_task()
        if task is not None and task not in self.tasks:
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until no handler is working (at most ``timeout`` seconds)."""
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


@dataclass(frozen=True)
class Where:
    """Where and to whom an answer goes."""

    user_id: str
    channel_id: str | None = None
    response_url: str | None = None


@dataclass
class Surface:
    """The Slack surface's shared state (nothing in it is needed to survive a restart)."""

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

    async def tell(self, where: Where, message: Message, *, in_channel: bool = False) -> None:
        """Answer one person: through the response URL, else ephemerally, else by DM.

        The response URL works in any conversation, even ones the bot is not in; it lives 30
        minutes, so a late answer (a long-open modal) falls back to the Web API. It is sent
        where ``SLACK_API_URL`` points (see :func:`~adapters.slack.client.response_url_via`).
        """
        await self.gate.quiet()
        if where.response_url:
            # Through SLACK_API_URL's host like every other call, when it is not Slack's.
            url = response_url_via(where.response_url, api_url=self.client.base_url)
            try:
                webhook = AsyncWebhookClient(url=url, session=self._http())
                resp = await webhook.send(
                    text=message.text,
                    blocks=message.blocks,
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
                    channel=where.channel_id,
                    user=where.user_id,
                    text=message.text,
                    blocks=message.blocks,
                )
                return
        try:
            await self.client.chat_postMessage(
                channel=where.user_id, text=message.text, blocks=message.blocks
            )
        except CALL_ERRORS as exc:
            log.warning("cannot answer Slack user %s: %s", where.user_id, describe(exc))
