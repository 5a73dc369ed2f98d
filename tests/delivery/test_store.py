"""The outbox on the real store, SQLite and PostgreSQL: planning in the approving transaction,
claims that only one replica wins, leases taken over after a crash, re-driving."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from commsbot.delivery.model import DeliveryState
from commsbot.domain.errors import AlreadyDecided
from commsbot.domain.lifecycle import Status
from commsbot.engines.targets import build_dispatcher
from commsbot.services import dispatch as work
from commsbot.services.deliveries import retry_delivery
from commsbot.store.db import make_engine
from commsbot.templates import format_moment
from tests.delivery.loopback import LoopbackServer
from tests.delivery.support import COMMS, eventually, make_deps, settings_with, webhook, world


def console(name: str, **extra: object) -> dict[str, object]:
    return {"name": name, "type": "console", **extra}


def test_approving_writes_one_delivery_per_wanted_destination_in_the_same_transaction(
    migrated: Engine,
) -> None:
    w = world(
        migrated,
        [
            console("everything"),
            console("sev2-only", severities=["sev2"]),
            console("chatgpt", components=["chatgpt"]),
            console("sora", components=["Sora"]),
        ],
    )
    update_id = w.declare_and_publish()

    records = w.deliveries()
    assert sorted(r.target for r in records) == ["chatgpt", "everything"]
    assert {r.update_id for r in records} == {update_id}
    assert {r.state for r in records} == {DeliveryState.PENDING}
    assert len({r.key for r in records}) == 2
    assert all(len(r.key) <= 25 for r in records)
    assert {r.position for r in records} == {1}
    w.publish(Status.IDENTIFIED, "Found it.")
    assert sorted({r.position or 0 for r in w.deliveries()}) == [1, 2]


def test_claims_from_two_engines_at_once_are_won_once(migrated: Engine, database_url: str) -> None:
    w = world(migrated, [console(f"c{i}") for i in range(8)])
    w.declare_and_publish()
    w.publish(Status.IDENTIFIED, "Found it.")
    other = make_engine(database_url)
    try:
        replicas = [w.deps, make_deps(other, w.deps.settings, w.clock)]
        now = w.clock.now()
        wanted = [r.id for r in w.deliveries()]
        won: Counter[str] = Counter()
        start = threading.Barrier(2)

        def replica(n: int) -> None:
            start.wait()
            for delivery_id in wanted:
                claim = work.Claim(delivery_id, f"replica-{n}", now, now + timedelta(minutes=1))
                for job in work.claim_batch(replicas[n], [claim]):
                    if job is not None:
                        won[job.record.id] += 1

        threads = [threading.Thread(target=replica, args=(n,)) for n in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        other.dispose()
    # Only the first update's deliveries are claimable (the second waits behind it), once each.
    first = {r.id for r in w.deliveries() if r.position == 1}
    assert set(won) == first
    assert set(won.values()) == {1}


def test_two_dispatchers_on_one_database_send_each_delivery_once(
    migrated: Engine, database_url: str
) -> None:
    server = LoopbackServer().start()
    other = make_engine(database_url)
    try:
        w = world(migrated, [webhook(f"hook{i}", server.url(f"/{i}")) for i in range(6)])
        w.declare_and_publish()
        for n in range(4):
            w.publish(Status.IDENTIFIED, f"Progress {n}.")
        second = make_deps(other, w.deps.settings, w.clock)

        async def scenario() -> None:
            stop = asyncio.Event()
            one = build_dispatcher(w.deps, out=w.out, environ={}, poll_seconds=0.05)
            two = build_dispatcher(second, out=w.out, environ={}, poll_seconds=0.05)
            tasks = [asyncio.create_task(d.run(stop)) for d in (one, two)]
            await eventually(
                lambda: all(r.state is DeliveryState.SENT for r in w.deliveries()), what="all"
            )
            stop.set()
            await asyncio.gather(*tasks)

        asyncio.run(scenario())
    finally:
        server.stop()
        other.dispose()
    for i in range(6):
        got = server.requests(f"/{i}")
        # Every request is a distinct delivery (no key twice), in publication order.
        assert len(got) == 5
        assert len({r.key for r in got}) == 5
        assert [r.json["update"]["seq"] for r in got] == [1, 2, 3, 4, 5]


def test_an_expired_sending_lease_is_taken_over_as_maybe_sent(migrated: Engine) -> None:
    w = world(migrated, [console("console")])
    w.declare_and_publish()
    (record,) = w.deliveries()
    now = w.clock.now()
    lease = now + timedelta(seconds=60)
    (job,) = work.claim_batch(w.deps, [work.Claim(record.id, "crashed", now, lease)])
    assert job is not None
    assert not job.record.maybe_sent
    # While the lease holds nobody else may take it, even when due.
    (nobody,) = work.claim_batch(w.deps, [work.Claim(record.id, "other", now, lease)])
    assert nobody is None
    later = lease + timedelta(seconds=1)
    (taken,) = work.claim_batch(
        w.deps, [work.Claim(record.id, "other", later, later + timedelta(seconds=60))]
    )
    assert taken is not None
    assert taken.record.maybe_sent
    assert taken.record.attempts == 2
    assert taken.outbound is not None
    assert taken.outbound.maybe_sent
    # The crashed holder's late outcome is refused: the new holder's stands.
    stale = work.Outcome(record=record, owner="crashed", at=later, receipt=None, error="x")
    assert work.finish_batch(w.deps, [stale]) == [False]
    assert w.deliveries()[0].state is DeliveryState.SENDING


def test_a_dead_delivery_can_be_redriven_and_nothing_else(migrated: Engine) -> None:
    w = world(migrated, [console("console")])
    w.declare_and_publish()
    (record,) = w.deliveries()
    now = w.clock.now()
    (job,) = work.claim_batch(
        w.deps, [work.Claim(record.id, "me", now, now + timedelta(seconds=60))]
    )
    assert job is not None
    with pytest.raises(AlreadyDecided, match="only dead deliveries can be re-driven"):
        retry_delivery(w.deps, delivery_id=record.id, actor=COMMS)
    outcome = work.Outcome(record=job.record, owner="me", at=now, error="HTTP 403")
    assert work.finish_batch(w.deps, [outcome]) == [True]
    dead = w.deliveries()[0]
    assert dead.state is DeliveryState.DEAD
    w.clock.advance(3600)

    redriven = retry_delivery(w.deps, delivery_id=record.id, actor=COMMS).delivery

    assert redriven.state is DeliveryState.PENDING
    assert redriven.deadline_at == w.clock.now() + timedelta(hours=24)
    with w.deps.read() as uow:
        entries = list(uow.timeline.for_incident(record.incident_id))
    assert [e.action for e in entries][-2:] == ["delivery_dead", "redriven"]
    assert "is being sent again after 1 attempt; last error: HTTP 403" in entries[-1].detail
    # In the team's time zone, as every other human text (not a raw ISO stamp).
    shown = format_moment(record.created_at, w.deps.settings.zone)
    assert f"after 1 attempt (since {shown}): HTTP 403" in entries[-2].detail
    with pytest.raises(AlreadyDecided, match="is pending"):
        retry_delivery(w.deps, delivery_id=record.id, actor=COMMS)


def test_notices_are_expanded_once_per_notifier(migrated: Engine, database_url: str) -> None:
    settings = settings_with(
        [console("console")],
        notifiers=[
            {"name": "all", "type": "console"},
            {"name": "approvals", "type": "console", "kinds": ["approval_requested"]},
        ],
    )
    w = world(migrated, [console("console")])
    w.deps = make_deps(migrated, settings, w.clock)
    w.declare_and_publish()  # approval_requested, then draft_decided
    configs = list(settings.notifiers)
    assert work.expand_notices(w.deps, notifiers=configs, now=w.clock.now()) == 3
    assert work.expand_notices(w.deps, notifiers=configs, now=w.clock.now()) == 0
    notices = [r for r in w.deliveries() if r.kind.value == "notice"]
    assert sorted(r.target for r in notices) == ["all", "all", "approvals"]


def test_deliveries_to_a_target_no_longer_configured_go_dead_at_their_deadline(
    migrated: Engine,
) -> None:
    w = world(migrated, [console("old"), console("console")])
    w.declare_and_publish()
    now = w.clock.now()

    still = work.expire_orphans(w.deps, destinations=["console"], notifiers=["console"], now=now)
    assert still == ["destination 'old'"]
    assert [r.state for r in w.deliveries("old")] == [DeliveryState.PENDING]

    later = now + timedelta(hours=25)
    work.expire_orphans(w.deps, destinations=["console"], notifiers=["console"], now=later)
    (dead,) = w.deliveries("old")
    assert dead.state is DeliveryState.DEAD
    assert dead.last_error == "no destination named 'old' is configured (any more)"
    assert [r.state for r in w.deliveries("console")] == [DeliveryState.PENDING]
