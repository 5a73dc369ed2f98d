"""What the sender does when the mail server says no: retry a 4xx, mark a refused address,
pause and tell the team when the server refuses us, and never wipe the list for a relay that
refuses everyone. A real SMTP server (aiosmtpd) answers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from commsbot.services.subscriber_dispatch import SUBSCRIBERS_PAUSED
from commsbot.services.subscriptions import confirm_subscription, request_subscription
from commsbot.subscriptions.model import SubscriberKind, SubscriberState
from tests.adapters.email.smtpd import SmtpServer
from tests.subscriptions.wiring import World, eventually, make_world, running

FAST = {"retry_seconds": (0.05, 0.2), "pause_seconds": (0.3, 0.6)}


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def world(migrated: Engine, smtp: SmtpServer) -> World:
    return make_world(migrated, smtp, refusals_in_a_row=3)


def states(world: World) -> dict[str, SubscriberState]:
    with world.deps.read() as uow:
        page = uow.subscribers.page(after=None, limit=100, state=None)
        return {s.address: s.state for s in page}


def test_a_temporary_refusal_is_retried_and_sent_once(world: World, smtp: SmtpServer) -> None:
    world.subscribe("ada@example.com")
    world.subscribe("grace@example.com")
    smtp.recorder.rcpt_replies["grace@example.com"] = "451 4.7.1 greylisted, try again later"
    world.declare("API")

    async def scenario() -> None:
        async with running(world.sender(**FAST)):
            await eventually(lambda: len(world.to("ada@example.com")) == 1, what="ada's copy")
            await asyncio.sleep(0.3)  # a few refused attempts
            del smtp.recorder.rcpt_replies["grace@example.com"]
            await eventually(lambda: world.open_fanouts() == 0, what="the fan-out done")

    asyncio.run(scenario())
    assert len(world.to("grace@example.com")) == 1
    assert [f.counts.sent for f in world.fanouts()] == [2]


def test_a_refused_address_is_marked_undeliverable_and_the_rest_go(
    world: World, smtp: SmtpServer
) -> None:
    for name in ("ada", "bob", "grace"):
        world.subscribe(f"{name}@example.com")
    smtp.recorder.rcpt_replies["bob@example.com"] = "550 5.1.1 user unknown"
    world.declare("API")

    async def scenario() -> None:
        async with running(world.sender(**FAST)):
            await eventually(lambda: world.open_fanouts() == 0, what="the fan-out done")

    asyncio.run(scenario())
    assert states(world)["bob@example.com"] is SubscriberState.UNDELIVERABLE
    assert states(world)["ada@example.com"] is SubscriberState.CONFIRMED
    (fanout,) = world.fanouts()
    assert (fanout.counts.sent, fanout.counts.undeliverable) == (2, 1)


@pytest.mark.parametrize(
    "reply",
    [
        "550 5.7.1 relaying denied",  # says the server refuses us
        "550 5.1.1 user unknown",  # says the address is bad, but for every one in a row
    ],
)
def test_a_relay_refusing_everyone_pauses_marks_no_one_and_tells_the_team(
    world: World, smtp: SmtpServer, reply: str
) -> None:
    names = ["a1", "a2", "a3", "a4", "a5"]
    for name in names:
        world.subscribe(f"{name}@example.com")
        smtp.recorder.rcpt_replies[f"{name}@example.com"] = reply
    world.declare("API")

    async def scenario() -> None:
        async with running(world.sender(**FAST)):
            await eventually(
                lambda: any(f.paused_until is not None for f in world.fanouts()),
                what="the fan-out paused",
            )
            assert all(s is SubscriberState.CONFIRMED for s in states(world).values())
            smtp.recorder.rcpt_replies.clear()
            await eventually(lambda: world.open_fanouts() == 0, what="the fan-out done")

    asyncio.run(scenario())
    assert all(s is SubscriberState.CONFIRMED for s in states(world).values())
    assert all(len(world.to(f"{n}@example.com")) == 1 for n in names)
    # The team was told once (a notice for the notifiers), not once per attempt.
    with world.deps.read() as uow:
        queued = uow.queue.unexpanded_notices(limit=100)
        told = [n for _, n, _ in queued if n.kind == SUBSCRIBERS_PAUSED]
    assert len(told) == 1
    assert "No address was marked undeliverable" in told[0].text


def test_the_server_refusing_our_login_pauses_and_nothing_is_lost(
    world: World, smtp: SmtpServer
) -> None:
    world.subscribe("ada@example.com")
    world.subscribe("grace@example.com")
    smtp.recorder.mail_replies.extend(["530 5.7.0 Authentication required"] * 3)
    world.declare("API")

    async def scenario() -> None:
        async with running(world.sender(**FAST)):
            await eventually(lambda: world.open_fanouts() == 0, what="the fan-out done")

    asyncio.run(scenario())
    assert all(s is SubscriberState.CONFIRMED for s in states(world).values())
    assert len(world.to("ada@example.com")) == len(world.to("grace@example.com")) == 1


def test_a_sign_up_gets_a_confirmation_email_whose_link_confirms(
    world: World, smtp: SmtpServer
) -> None:
    request_subscription(
        world.deps, kind=SubscriberKind.EMAIL, address="ken@example.com", components=["API"]
    )

    async def scenario() -> None:
        async with running(world.sender(**FAST)):
            await eventually(lambda: len(world.to("ken@example.com")) == 1, what="the email")

    asyncio.run(scenario())
    (mail,) = world.to("ken@example.com")
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    link = next(w for w in text.split() if "/subscriptions/confirm?token=" in w)
    assert link.startswith("https://status.acme.test/subscriptions/confirm?token=")
    assert states(world)["ken@example.com"] is SubscriberState.PENDING
    view = confirm_subscription(world.deps, token=link.split("token=", 1)[1])
    assert view.result == "confirmed"
    assert states(world)["ken@example.com"] is SubscriberState.CONFIRMED
