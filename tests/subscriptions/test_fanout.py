"""Published updates reach every confirmed subscriber they concern, once, in order, through a
real SMTP server (aiosmtpd), and the ledger counts them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from commsbot.domain.lifecycle import Status
from commsbot.domain.model import ComponentStatus
from commsbot.services.corrections import propose_correction
from commsbot.services.drafts import approve_draft
from commsbot.services.statuspage import load_public_data
from commsbot.services.subscriber_admin import import_subscribers
from commsbot.statuspage.v2 import incident
from commsbot.subscriptions.fanout import FanoutState
from tests.adapters.email.smtpd import SmtpServer
from tests.subscriptions.wiring import COMMS, IC, World, eventually, make_world, running


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def world(migrated: Engine, smtp: SmtpServer) -> World:
    return make_world(migrated, smtp)


def test_each_subscriber_gets_each_update_once_in_order_and_component_filters_hold(
    world: World,
) -> None:
    everyone = "ada@example.com"
    chat = "grace@example.com"
    api_only = "linus@example.com"
    world.subscribe(everyone)
    world.subscribe(chat, "ChatGPT")
    world.subscribe(api_only, "API")

    first = world.declare("ChatGPT", body="We're looking into errors in ChatGPT.")
    second = world.publish(Status.IDENTIFIED, "A bad deploy; rolling back.")
    quiet = world.publish(Status.FIXING, "Rolled back; watching.", notify_subscribers=False)
    last = world.publish(Status.RECOVERED, "Fixed.", {"ChatGPT": ComponentStatus.OPERATIONAL})

    async def scenario() -> None:
        async with running(world.sender()):
            await eventually(lambda: world.open_fanouts() == 0, what="every fan-out done")

    asyncio.run(scenario())

    # One fan-out row per notifying update, none for the quiet one.
    fanouts = world.fanouts()
    assert sorted(f.update_id or "" for f in fanouts) == sorted([first, second, last])
    assert all(f.state is FanoutState.DONE and f.counts.sent == 2 for f in fanouts)
    assert world.to(api_only) == []  # Cachet #1687: an API-only subscriber hears nothing
    for address in (everyone, chat):
        got = world.to(address)
        bodies = [m.get_body(("plain",)).get_content() for m in got]  # type: ignore[union-attr]
        assert len(got) == 3, bodies
        assert "errors in ChatGPT" in bodies[0]
        assert "rolling back" in bodies[1]
        assert "Fixed." in bodies[2]
        assert not any("watching" in b for b in bodies)
        ids = [m["Message-ID"] for m in got]
        assert len(set(ids)) == 3
        # One incident's updates thread together.
        assert got[1]["In-Reply-To"] is not None
        assert got[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with world.deps.read() as uow:
        ledger = uow.fanouts.for_updates([first, quiet])
        assert [f.counts.sent for f in ledger[first]] == [2]
        assert list(ledger.get(quiet, ())) == []
        assert uow.updates.get(quiet).deliver_notifications is False
        assert uow.updates.get(last).deliver_notifications is True


def test_a_correction_goes_to_those_who_got_the_update_and_approvers_see_the_count(
    world: World,
) -> None:
    world.subscribe("ada@example.com")
    update = world.declare("API", body="We're looking into API errors.")

    async def send_all() -> None:
        async with running(world.sender()):
            await eventually(lambda: world.open_fanouts() == 0, what="every fan-out done")

    asyncio.run(send_all())
    # Subscribed after the update: not sent the correction of an update it never got.
    world.subscribe("late@example.com")
    draft = propose_correction(
        world.deps, update_ref=update, body="We're looking into API and login errors.", actor=IC
    ).draft
    with world.deps.read() as uow:
        asked = [n for _, n, _ in uow.queue.unexpanded_notices(limit=100)]
    request = [n for n in asked if n.kind == "approval_requested" and n.draft_id == draft.id]
    assert request[0].subscribers == 1
    assert "Approving it notifies 1 subscriber by email" in request[0].text
    approve_draft(world.deps, draft_id=draft.id, actor=COMMS)
    asyncio.run(send_all())
    got = world.to("ada@example.com")
    assert len(got) == 2
    assert "login errors" in got[1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert world.to("late@example.com") == []


def test_the_statuspage_json_says_whether_an_update_notified_subscribers(world: World) -> None:
    world.subscribe("ada@example.com")
    world.declare("API", notify_subscribers=False)
    world.publish(Status.IDENTIFIED, "Found it.")
    data = load_public_data(world.deps)
    updates = incident(data, data.incidents[0])["incident_updates"]
    # Newest first: the loud one, then the quiet acknowledgment.
    assert [u["deliver_notifications"] for u in updates] == [True, False]


def test_two_senders_on_one_database_never_send_a_copy_twice(
    migrated: Engine, smtp: SmtpServer
) -> None:
    world = make_world(migrated, smtp, batch_size=20)
    rows = [{"address": f"user{n:03}@example.com"} for n in range(150)]
    import_subscribers(world.deps, rows=rows, actor=IC, confirmed=True)
    world.smtp.recorder.hang_seconds = 0.002
    world.declare("API", body="First.")
    world.publish(Status.IDENTIFIED, "Second.")

    async def scenario() -> tuple[int, int]:
        one, two = world.sender(owner="replica-1"), world.sender(owner="replica-2")
        async with running(one), running(two):
            await eventually(
                lambda: world.open_fanouts() == 0, what="every fan-out done", timeout=60
            )
        return one.sent, two.sent

    one, two = asyncio.run(scenario())
    ids = [m["Message-ID"] for m in world.received()]
    assert len(ids) == len(set(ids)) == 300
    assert one + two == 300
    assert one > 0
    assert two > 0  # both worked, taking turns by batch
