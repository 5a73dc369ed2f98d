"""Group commit for the dispatcher: claims and outcomes that arrive while a transaction runs
are written together in the next one, so a broadcast to hundreds of targets costs a few
transactions, not hundreds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_BATCH = 200


class Batcher(Generic[T, R]):
    """Runs what was submitted while the previous batch ran, together (group commit).

    ``run`` gets a list of at most 200 items and returns one result per item, in order.
    """

    def __init__(self, run: Callable[[list[T]], Sequence[R]]) -> None:
        self._run = run
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:_BATCH], self._queue[_BATCH:]
            try:
                results = await asyncio.to_thread(self._run, [item for item, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
