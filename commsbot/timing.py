"""Time for everything that waits: the clock, backoff with full jitter, token buckets.

The clock and the sleep function are passed in, so tests move time by hand. Nothing here
knows about deliveries or subscribers: the broadcast engine and the email adapter share it.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

Sleep = Callable[[float], Awaitable[None]]


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, UTC-aware."""
        ...


class SystemClock:
    """The real clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class Rate:
    """A token bucket: ``per_second`` on average, up to ``burst`` at once."""

    per_second: float
    burst: int = 1


def backoff_delay(
    *,
    attempt: int,
    base: float,
    cap: float,
    rng: random.Random,
    retry_after: float | None = None,
) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1 for the first).

    Full jitter: uniform between 0 and ``min(cap, base * 2 ** (attempt - 1))``, so that many
    deliveries failing together (a platform outage) do not retry in lockstep when it comes
    back. A platform's ``retry_after`` is a floor: never sooner than it asked.
    """
    exponent = min(max(attempt - 1, 0), 62)  # 2**63 would overflow the float math below
    ceiling = min(cap, base * float(2**exponent))
    delay = rng.uniform(0, ceiling)
    if retry_after is not None and retry_after > delay:
        delay = retry_after
    return delay


class TokenBucket:
    """At most ``rate.burst`` at once, refilled at ``rate.per_second``; waiters queue in order.

    Example:
        >>> bucket = TokenBucket(Rate(1.0, burst=3), clock=clock, sleep=asyncio.sleep)
        >>> await bucket.acquire()  # doctest: +SKIP
    """

    def __init__(self, rate: Rate, *, clock: Clock, sleep: Sleep) -> None:
        self.rate = rate
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(rate.burst)
        self._stamp = clock.now().timestamp()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock.now().timestamp()
        elapsed = max(now - self._stamp, 0.0)
        self._stamp = now
        self._tokens = min(float(self.rate.burst), self._tokens + elapsed * self.rate.per_second)

    async def acquire(self) -> None:
        """Wait until a token is free, then take it."""
        async with self._lock:
            while True:
                self._refill()
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                await self._sleep((1.0 - self._tokens) / self.rate.per_second)
