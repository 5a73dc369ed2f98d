"""Backoff with full jitter, and token buckets, on a hand-moved clock."""

from __future__ import annotations

import asyncio
import random

from commsbot.timing import Rate, TokenBucket, backoff_delay
from tests.delivery.support import FakeTime


def test_backoff_grows_exponentially_up_to_the_cap_with_full_jitter() -> None:
    rng = random.Random(7)
    for attempt, ceiling in [(1, 2), (2, 4), (3, 8), (8, 256), (9, 300), (60, 300)]:
        delays = [backoff_delay(attempt=attempt, base=2, cap=300, rng=rng) for _ in range(200)]
        assert 0 <= min(delays) < ceiling * 0.1  # full jitter reaches down to zero
        assert ceiling * 0.9 < max(delays) <= ceiling


def test_retry_after_is_a_floor() -> None:
    rng = random.Random(7)
    delays = [backoff_delay(attempt=1, base=2, cap=300, rng=rng, retry_after=30) for _ in range(50)]
    assert min(delays) == 30


def test_a_token_bucket_allows_a_burst_then_its_rate() -> None:
    clock = FakeTime()
    bucket = TokenBucket(Rate(2.0, burst=3), clock=clock, sleep=clock.sleep)
    taken: list[float] = []

    async def take(n: int) -> None:
        start = clock.now()
        for _ in range(n):
            await bucket.acquire()
            taken.append((clock.now() - start).total_seconds())

    async def scenario() -> None:
        task = asyncio.create_task(take(5))
        for _ in range(20):
            await asyncio.sleep(0)
            clock.advance(0.25)
            if task.done():
                break
        await task

    asyncio.run(scenario())
    assert taken[:3] == [0, 0, 0]  # the burst
    assert 0.5 <= taken[3] <= 0.75  # then one every half second
    assert 1.0 <= taken[4] <= 1.25
