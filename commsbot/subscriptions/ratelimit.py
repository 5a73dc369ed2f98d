"""Sign-up rate limits: per client network and per email address, over a swappable store.

The policy (:class:`SignupLimiter`) is pure; the counting is a
:class:`~commsbot.subscriptions.ports.WindowStore`, a port with
one atomic method, so that the in-memory store here (one process, tests) can be replaced by a
SQL one when the bot runs several replicas: the limits must hold across all of them.

The window is a sliding log: a key may have at most ``limit.count`` recorded hits in any
``limit.window``. Only allowed hits are recorded, so a key holds at most ``count`` rows, and a
flood that is refused does not push the end of its own lockout further away. A SQL store does
``take`` in one transaction: lock the key (``SELECT … FOR UPDATE`` on a per-key row, or
SQLite's single writer), delete the key's hits older than the window, count the rest, insert
one if under the limit, commit.

Keys are opaque strings: the caller passes keyed hashes
(:meth:`~commsbot.subscriptions.tokens.SubscriptionKeys.client_hash` /
:meth:`~commsbot.subscriptions.tokens.SubscriptionKeys.address_hash`), so no store ever holds a
client's IP address or an email address that was only tried.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from datetime import datetime, timedelta

from commsbot.domain.errors import CommsbotError
from commsbot.subscriptions.ports import Limit, Verdict, WindowStore


class MemoryWindowStore:
    """A :class:`~commsbot.subscriptions.ports.WindowStore` in this process's memory.

    Bounded: keys whose hits have all left their window are dropped every ``sweep_every``
    calls, so a flood from many networks does not grow it without end.
    """

    def __init__(self, *, sweep_every: int = 1024) -> None:
        self._hits: dict[str, tuple[timedelta, deque[datetime]]] = {}
        self._calls = 0
        self._sweep_every = sweep_every
        self._lock = threading.Lock()

    def take(self, key: str, *, limit: Limit, now: datetime) -> Verdict:
        # Use cases run in worker threads (asyncio.to_thread): one lock makes take atomic.
        with self._lock:
            self._calls += 1
            if self._calls % self._sweep_every == 0:
                self._sweep(now)
            entry = self._hits.get(key)
            hits: deque[datetime] = entry[1] if entry else deque()
            self._hits[key] = (limit.window, hits)
            start = now - limit.window
            while hits and hits[0] <= start:
                hits.popleft()
            if len(hits) >= limit.count:
                return Verdict(allowed=False, retry_after=hits[0] + limit.window - now)
            hits.append(now)
            return Verdict(allowed=True)

    def _sweep(self, now: datetime) -> None:
        stale = [
            k for k, (window, hits) in self._hits.items() if not hits or hits[-1] <= now - window
        ]
        for key in stale:
            del self._hits[key]

    def __len__(self) -> int:
        """How many keys are held (for tests of the bound)."""
        return len(self._hits)


class RateLimited(CommsbotError):
    """Too many sign-ups; ``retry_after`` seconds until one more is allowed, ``field`` names
    what was limited (``client`` or ``email``)."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: timedelta, field: str) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.field = field

    @property
    def retry_after_seconds(self) -> int:
        """Whole seconds, rounded up (an HTTP ``Retry-After``)."""
        return max(1, math.ceil(self.retry_after.total_seconds()))


class SignupLimiter:
    """Sign-ups per client network and per email address.

    Args:
        store: where hits are counted.
        per_client: e.g. ``Limit(5, timedelta(hours=1))`` per client network.
        per_address: e.g. ``Limit(3, timedelta(days=1))`` per email address (so nobody can
            bury someone else's mailbox in confirmation emails).
    """

    def __init__(self, store: WindowStore, *, per_client: Limit, per_address: Limit) -> None:
        self._store = store
        self.per_client = per_client
        self.per_address = per_address

    def check(self, *, client_key: str | None, address_key: str, now: datetime) -> None:
        """Count one sign-up; raise :class:`RateLimited` if it is over either limit.

        The client is counted first, and a refused client is not counted against the address:
        one network flooding sign-ups for someone's address locks out only itself. A refused
        address still counts against the client. ``client_key`` None (CLI, API with a token):
        only the address is limited.
        """
        if client_key is not None:
            verdict = self._store.take(f"client:{client_key}", limit=self.per_client, now=now)
            if not verdict.allowed:
                wait = verdict.retry_after or self.per_client.window
                raise RateLimited(
                    f"too many subscription requests from your network; try again in {_wait(wait)}",
                    retry_after=wait,
                    field="client",
                )
        verdict = self._store.take(f"address:{address_key}", limit=self.per_address, now=now)
        if not verdict.allowed:
            wait = verdict.retry_after or self.per_address.window
            raise RateLimited(
                "too many subscription requests for this email address; check its inbox for "
                f"the confirmation email, or try again in {_wait(wait)}",
                retry_after=wait,
                field="email",
            )


def _wait(span: timedelta) -> str:
    minutes = max(1, math.ceil(span.total_seconds() / 60))
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = math.ceil(minutes / 60)
    return f"{hours} hours"
