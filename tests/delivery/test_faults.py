"""The dispatcher against loopback webhook receivers that fail on purpose, with a hand-moved
clock: order kept, nothing lost, no duplicates where the receiver honours the key, and healthy
destinations served at once while another stays down."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from commsbot.delivery.model import DeliveryState
from commsbot.domain.lifecycle import Status
from tests.delivery.loopback import LoopbackServer
from tests.delivery.support import (
    World,
    advance_until,
    eventually,
    running,
    settle,
    webhook,
    world,
)
from tests.integration.builders import ONLY_SQLITE

pytestmark = ONLY_SQLITE


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    srv = LoopbackServer().start()
    yield srv
    srv.stop()


def two_hooks(migrated: Engine, server: LoopbackServer, **down_extra: object) -> World:
    return world(
        migrated,
        [
            webhook(
                "down",
                server.url("/down"),
                backoff_base_seconds=2,
                backoff_cap_seconds=60,
                **down_extra,
            ),
            webhook("healthy", server.url("/healthy")),
        ],
    )


def seqs(server: LoopbackServer, path: str, *, applied: bool = True) -> list[int]:
    got = server.applied(path) if applied else server.requests(path)
    return [r.json["update"]["seq"] for r in got]


def state(w: World, target: str) -> list[str]:
    return [r.state.value for r in w.deliveries(target)]


def test_500s_keep_order_and_lose_nothing_while_healthy_ones_are_served(
    migrated: Engine, server: LoopbackServer
) -> None:
    w = two_hooks(migrated, server)
    server.script("/down", "500", "500", "500")
    w.declare_and_publish("We're investigating.")
    w.publish(Status.IDENTIFIED, "We've found the cause.")
    w.publish(Status.FIXING, "A fix is rolling out.")
    published_at = w.clock.now()

    async def scenario() -> None:
        async with running(w.dispatcher()):
            await eventually(lambda: state(w, "healthy") == ["sent"] * 3, what="healthy x3")
            # Healthy: all three, in order, at the instant they were published.
            assert seqs(server, "/healthy") == [1, 2, 3]
            for record in w.deliveries("healthy"):
                assert record.sent_at is not None
                assert record.sent_at - published_at <= timedelta(seconds=1)
            # Down: only the first was tried; the later ones wait behind it.
            await eventually(lambda: state(w, "down")[0] == "retrying", what="retrying")
            assert seqs(server, "/down", applied=False) == [1]
            assert state(w, "down") == ["retrying", "pending", "pending"]
            # Each step is the backoff cap: every retry is due.
            await advance_until(w.clock, lambda: state(w, "down") == ["sent"] * 3, what="x3")

    asyncio.run(scenario())

    assert seqs(server, "/down") == [1, 2, 3]
    assert seqs(server, "/down", applied=False) == [1, 1, 1, 1, 2, 3]
    first = w.deliveries("down")[0]
    assert (first.state, first.attempts) == (DeliveryState.SENT, 4)
    assert "HTTP 500" in (first.last_error or "")
    assert state(w, "healthy") == ["sent", "sent", "sent"]


def test_429_retry_after_is_honoured(migrated: Engine, server: LoopbackServer) -> None:
    w = two_hooks(migrated, server)
    server.script("/down", "429:30")
    w.declare_and_publish()

    async def scenario() -> None:
        async with running(w.dispatcher()):
            await eventually(lambda: state(w, "down") == ["retrying"], what="retrying")
            record = w.deliveries("down")[0]
            assert record.next_attempt_at is not None
            assert record.next_attempt_at >= w.clock.now() + timedelta(seconds=30)
            w.clock.advance(29)
            await settle()
            assert len(server.requests("/down")) == 1, "retried before Retry-After"
            await advance_until(
                w.clock, lambda: state(w, "down") == ["sent"], what="sent after 30 s", step=1.5
            )

    asyncio.run(scenario())
    assert len(server.applied("/down")) == 1
    assert len(server.requests("/down")) == 2


def test_a_hanging_destination_delays_no_one_and_is_retried_as_ambiguous(
    migrated: Engine, server: LoopbackServer
) -> None:
    w = two_hooks(migrated, server, timeout_seconds=0.3)
    server.script("/down", "hang")
    w.declare_and_publish()
    w.publish(Status.IDENTIFIED, "Found it.")

    async def scenario() -> None:
        async with running(w.dispatcher()):
            await eventually(lambda: len(server.requests("/down")) == 1, what="the hung request")
            await eventually(lambda: state(w, "healthy") == ["sent"] * 2, what="healthy x2")
            # Served while the other destination's request was still hanging.
            assert len(server.requests("/down")) == 1
            await eventually(lambda: state(w, "down")[0] == "retrying", what="timed out")
            assert w.deliveries("down")[0].maybe_sent
            await advance_until(w.clock, lambda: state(w, "down") == ["sent"] * 2, what="sent")

    asyncio.run(scenario())
    assert seqs(server, "/down") == [1, 2]
    assert "did not answer" in (w.deliveries("down")[0].last_error or "")


def test_a_dropped_connection_after_accepting_is_not_a_duplicate(
    migrated: Engine, server: LoopbackServer
) -> None:
    w = two_hooks(migrated, server)
    server.script("/down", "drop")
    w.declare_and_publish()

    async def scenario() -> None:
        async with running(w.dispatcher()):
            await eventually(lambda: state(w, "down") == ["retrying"], what="ambiguous failure")
            await advance_until(w.clock, lambda: state(w, "down") == ["sent"], what="retried")

    asyncio.run(scenario())
    requests = server.requests("/down")
    assert len(requests) == 2
    assert requests[0].key == requests[1].key  # the same Idempotency-Key on the retry
    assert len(server.applied("/down")) == 1  # so the receiver acted once
    record = w.deliveries("down")[0]
    assert record.maybe_sent
    assert record.message_id == "msg-1"  # the answer to the first, lost, attempt


def test_a_refusal_is_dead_at_once_raised_on_the_timeline_and_stops_blocking(
    migrated: Engine, server: LoopbackServer
) -> None:
    w = two_hooks(migrated, server)
    server.script("/down", "400")
    w.declare_and_publish()
    w.publish(Status.IDENTIFIED, "Found it.")

    async def scenario() -> None:
        async with running(w.dispatcher()):
            await eventually(lambda: state(w, "down") == ["dead", "sent"], what="dead, then next")
            await eventually(lambda: "delivery_dead" in w.out.getvalue(), what="notice printed")

    asyncio.run(scenario())
    assert len(server.requests("/down")) == 2
    dead = w.deliveries("down")[0]
    assert dead.attempts == 1
    assert "HTTP 400" in (dead.last_error or "")
    with w.deps.read() as uow:
        incident = uow.incidents.get(w.incident_ref)
        lines = [e for e in uow.timeline.for_incident(incident.id) if e.action == "delivery_dead"]
    assert len(lines) == 1
    assert f"commsbot delivery retry {dead.id}" in lines[0].detail
    assert "update #1" in lines[0].detail


def test_retries_stop_at_the_deadline(migrated: Engine, server: LoopbackServer) -> None:
    w = two_hooks(migrated, server, give_up_after_hours=0.1)  # six minutes
    server.script("/down", then="500")
    w.declare_and_publish()

    async def scenario() -> None:
        async with running(w.dispatcher()):
            await eventually(lambda: state(w, "down") == ["retrying"], what="first failure")
            await advance_until(w.clock, lambda: state(w, "down") == ["dead"], what="dead")

    asyncio.run(scenario())
    dead = w.deliveries("down")[0]
    assert dead.dead_at is not None
    assert dead.dead_at >= dead.deadline_at
    assert dead.attempts == len(server.requests("/down"))
    assert dead.attempts >= 3
    assert server.applied("/down") == []
