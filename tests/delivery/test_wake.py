"""Waking the dispatcher goes through the object the composition root made (``deps.waker``),
not a module's list of running dispatchers: what a use case queued goes out without waiting
for the poll, and only the dispatcher of these dependencies hears it."""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import Engine

from commsbot.delivery.model import DeliveryState
from tests.delivery.support import eventually, running, settle, world
from tests.integration.builders import ONLY_SQLITE

pytestmark = ONLY_SQLITE

CONSOLE = [{"name": "console", "type": "console"}]


def test_the_waker_in_deps_wakes_the_running_dispatcher_at_once(migrated: Engine) -> None:
    w = world(migrated, CONSOLE)
    other = world(migrated, CONSOLE)  # a second set of dependencies: its waker is its own

    def states() -> set[DeliveryState]:
        return {r.state for r in w.deliveries("console")}

    async def scenario() -> None:
        # The fake clock never moves here: the poll interval never passes by itself.
        async with running(w.dispatcher(poll_seconds=3600)):
            await settle()
            w.declare_and_publish()
            await settle(0.3)
            other.deps.waker.wake()  # not this dispatcher's waker: nothing happens
            await settle(0.3)
            assert states() == {DeliveryState.PENDING}
            w.deps.waker.wake()
            await eventually(lambda: states() == {DeliveryState.SENT}, what="the update sent")

    asyncio.run(scenario())
    assert "We're investigating." in w.out.getvalue()
