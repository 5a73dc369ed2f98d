"""Webhook subscriptions through real HTTP receivers on 127.0.0.1: the echo handshake, the
signed payload of webhook destinations, retries and permanent failures, the give-up window
that disables a subscription (its owner told through a real SMTP server), and SSRF refusals."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from adapters.webhook.subscriptions import SubscriptionHooks
from commsbot.domain.lifecycle import Status
from commsbot.services import subscriptions as signups
from commsbot.subscriptions.addresses import InvalidSubscription
from commsbot.subscriptions.fanout import FanoutState, send_key
from commsbot.subscriptions.model import NoticeKind, Subscriber, SubscriberKind, SubscriberState
from commsbot.subscriptions.ports import HookFailed
from tests.adapters.email.smtpd import SmtpServer
from tests.subscriptions.hookserver import Answer, Hit, HookServer, echo, hook_server
from tests.subscriptions.wiring import World, eventually, make_world, running
from tests.unit.fakes import FakeClock

HOOKS = {"enabled": True, "allow_private_addresses": True}
FAST = {"retry_seconds": (0.05, 0.1)}


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def hooks() -> Iterator[HookServer]:
    with hook_server() as server:
        yield server


def _world(migrated: Engine, smtp: SmtpServer, **webhooks: Any) -> World:
    return make_world(migrated, smtp, webhooks={**HOOKS, **webhooks})


def _sign_up(world: World, url: str, owner: str | None = None) -> str:
    result = signups.request_subscription(
        world.deps, kind=SubscriberKind.WEBHOOK, address=url, owner_email=owner, client=None
    )
    return result.subscriber.id


def _sub(world: World, sub_id: str) -> Subscriber:
    with world.deps.read() as uow:
        sub = uow.subscribers.get(sub_id)
    assert sub is not None
    return sub


def _by_path(**answers: Any) -> Any:
    def answer(hit: Hit) -> Answer:
        chosen = answers.get(hit.path.strip("/"), echo)
        result: Answer = chosen(hit)
        return result

    return answer


def test_a_webhook_is_sent_nothing_until_it_echoes_then_gets_each_update_signed_once(
    migrated: Engine, smtp: SmtpServer, hooks: HookServer
) -> None:
    world = _world(migrated, smtp)
    hooks.answer = _by_path(silent=lambda hit: (200, {}, b"ok"))
    ok = _sign_up(world, hooks.url("/ok"), owner="ops@example.com")
    silent = _sign_up(world, hooks.url("/silent"))
    world.subscribe("ada@example.com")

    async def confirm() -> None:
        async with running(world.sender(**FAST)):
            await eventually(
                lambda: _sub(world, ok).state is SubscriberState.CONFIRMED, what="the echo"
            )
            await eventually(
                lambda: any(h.path == "/silent" for h in hooks.hits), what="the silent hook"
            )

    asyncio.run(confirm())
    confirm_hit = next(h for h in hooks.hits if h.path == "/ok")
    request = confirm_hit.json
    assert request["event"] == "subscription.confirm"
    assert request["version"] == 1
    assert request["subscription"]["url"] == hooks.url("/ok")
    secret = request["secret"]
    assert confirm_hit.signed_by(secret)
    assert _sub(world, silent).state is SubscriberState.PENDING  # it answered, but no echo

    first = world.declare("API", body="We're looking into API errors.")
    second = world.publish(Status.IDENTIFIED, "A bad deploy; rolling back.")

    async def deliver() -> None:
        async with running(world.sender(**FAST)):
            await eventually(lambda: world.open_fanouts() == 0, what="every fan-out done")

    asyncio.run(deliver())
    got = [h for h in hooks.hits if h.path == "/ok" and h.event == "update.published"]
    assert [h.json["update"]["id"] for h in got] == [first, second]  # once each, in order
    for hit in got:
        assert hit.signed_by(secret)
        assert hit.headers["idempotency-key"] == send_key(hit.json["update"]["id"], ok)
        assert hit.json["incident"]["ref"] == world.incident_ref
        assert hit.json["text"]["plain"]
    assert {h.event for h in hooks.hits if h.path == "/silent"} == {"subscription.confirm"}
    # The ledger counts the webhook beside the email subscriber.
    assert all(f.state is FanoutState.DONE and f.counts.sent == 2 for f in world.fanouts())
    assert len(world.to("ada@example.com")) == 2


def test_failures_retry_honour_retry_after_and_4xx_is_final_for_that_notice(
    migrated: Engine, smtp: SmtpServer, hooks: HookServer
) -> None:
    world = _world(migrated, smtp)
    flaky_calls: list[float] = []
    limited_calls: list[float] = []

    def flaky(hit: Hit) -> Answer:
        if hit.event != "update.published":
            return echo(hit)
        flaky_calls.append(time.monotonic())
        return (500, {}, b"down") if len(flaky_calls) < 3 else (200, {}, b"")

    def limited(hit: Hit) -> Answer:
        if hit.event != "update.published":
            return echo(hit)
        limited_calls.append(time.monotonic())
        return (429, {"Retry-After": "1"}, b"") if len(limited_calls) == 1 else (204, {}, b"")

    def refusing(hit: Hit) -> Answer:
        return echo(hit) if hit.event != "update.published" else (400, {}, b"bad")

    hooks.answer = _by_path(flaky=flaky, limited=limited, refusing=refusing)
    ids = {
        name: _sign_up(world, hooks.url(f"/{name}")) for name in ("flaky", "limited", "refusing")
    }

    async def scenario() -> None:
        async with running(world.sender(**FAST)):
            await eventually(
                lambda: all(
                    _sub(world, i).state is SubscriberState.CONFIRMED for i in ids.values()
                ),
                what="three echoes",
            )
            world.declare("API")
            await eventually(lambda: world.open_fanouts() == 0, what="the fan-out done")

    asyncio.run(scenario())
    assert len(flaky_calls) == 3  # two 500s retried, then delivered; never again after
    assert len(limited_calls) == 2
    assert limited_calls[1] - limited_calls[0] >= 0.9  # no sooner than Retry-After: 1
    refused = [h for h in hooks.hits if h.path == "/refusing" and h.event == "update.published"]
    assert len(refused) == 1  # a 400 is not retried
    [fanout] = world.fanouts()
    assert (fanout.counts.sent, fanout.counts.failed) == (2, 1)
    # One refused notice is not a dead endpoint: it stays subscribed.
    assert _sub(world, ids["refusing"]).state is SubscriberState.CONFIRMED


def test_gone_disables_at_once(migrated: Engine, smtp: SmtpServer, hooks: HookServer) -> None:
    world = _world(migrated, smtp)
    hooks.answer = lambda hit: echo(hit) if hit.event != "update.published" else (410, {}, b"")
    sub_id = _sign_up(world, hooks.url("/gone"))

    async def scenario() -> None:
        async with running(world.sender(**FAST)):
            await eventually(
                lambda: _sub(world, sub_id).state is SubscriberState.CONFIRMED, what="the echo"
            )
            world.declare("API")
            await eventually(lambda: world.open_fanouts() == 0, what="the fan-out done")

    asyncio.run(scenario())
    sub = _sub(world, sub_id)
    assert sub.state is SubscriberState.DISABLED
    assert "410" in (sub.state_reason or "")


def test_failing_for_the_whole_give_up_window_disables_it_and_tells_its_owner_once(
    migrated: Engine, smtp: SmtpServer, hooks: HookServer
) -> None:
    world = _world(migrated, smtp, give_up_after_hours=1)
    clock = FakeClock()
    world.deps = dataclasses.replace(world.deps, clock=clock)
    broken = False

    def answer(hit: Hit) -> Answer:
        if broken and hit.event == "update.published":
            return 503, {}, b"maintenance"
        return echo(hit)

    hooks.answer = answer
    sub_id = _sign_up(world, hooks.url("/hook"), owner="ops@example.com")

    def deliveries() -> int:
        return len(hooks.events("update.published"))

    async def scenario() -> None:
        nonlocal broken
        async with running(world.sender(clock=clock, **FAST)):
            await eventually(
                lambda: _sub(world, sub_id).state is SubscriberState.CONFIRMED, what="the echo"
            )
            broken = True
            world.declare("API")
            await eventually(lambda: deliveries() == 1, what="the first attempt")
            await eventually(
                lambda: _sub(world, sub_id).failing_since is not None, what="failing noted"
            )
            clock.advance(minutes=40)
            await eventually(lambda: deliveries() == 2, what="a retry inside the window")
            await asyncio.sleep(0.3)
            assert _sub(world, sub_id).state is SubscriberState.CONFIRMED
            clock.advance(minutes=30)
            await eventually(lambda: deliveries() == 3, what="a retry after the window")
            await eventually(
                lambda: _sub(world, sub_id).state is SubscriberState.DISABLED, what="disabled"
            )
            await eventually(lambda: len(world.to("ops@example.com")) == 1, what="the owner mail")
            clock.advance(hours=2)
            world.publish(Status.IDENTIFIED, "Still down.")
            await asyncio.sleep(0.5)

    asyncio.run(scenario())
    sub = _sub(world, sub_id)
    assert "every delivery failed for 1 hours" in (sub.state_reason or "")
    assert "503" in (sub.state_reason or "")
    assert deliveries() == 3  # nothing is sent to it once disabled
    [mail] = world.to("ops@example.com")
    assert mail["Subject"].endswith("Your webhook subscription was disabled")
    assert hooks.url("/hook") in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]


# --- SSRF ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("http://127.0.0.1/hook", "not a public address"),
        ("https://127.0.0.1/hook", "not a public address"),
        ("https://[::1]/hook", "not a public address"),
        ("https://169.254.169.254/latest/meta-data", "not a public address"),
        ("https://10.0.0.1/hook", "not a public address"),
        ("https://192.168.1.10/hook", "not a public address"),
        ("https://224.0.0.1/hook", "not a public address"),
        ("https://0.0.0.0/hook", "not a public address"),
        ("https://localhost/hook", "not a public address"),
        ("file:///etc/passwd", "must start with https://"),
        ("ftp://hooks.example.com/x", "must start with https://"),
        ("http://user:pw@hooks.example.com/x", "user name or password"),
        ("http://hooks.example.com/x", "must use https://"),
    ],
)
def test_unsafe_urls_are_refused_at_sign_up_with_what_would_be_right(
    migrated: Engine, smtp: SmtpServer, url: str, complaint: str
) -> None:
    world = make_world(migrated, smtp, webhooks={"enabled": True})
    with pytest.raises(InvalidSubscription, match=complaint) as refused:
        signups.request_subscription(world.deps, kind=SubscriberKind.WEBHOOK, address=url)
    assert refused.value.field == "url"
    with world.deps.read() as uow:
        assert uow.subscribers.find(SubscriberKind.WEBHOOK, url) is None


def test_a_host_name_resolving_to_an_internal_address_is_refused_at_sign_up(
    migrated: Engine, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(migrated, smtp, webhooks={"enabled": True})
    answers = {"inside.example.com": ["93.184.216.34", "10.1.2.3"]}

    def fake(host: str, port: object, *args: object, **kw: object) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 443)) for a in answers[host]]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with pytest.raises(InvalidSubscription, match=r"resolves to 10\.1\.2\.3"):
        signups.request_subscription(
            world.deps, kind=SubscriberKind.WEBHOOK, address="https://inside.example.com/x"
        )


def test_the_sender_checks_every_resolved_address_and_connects_to_the_one_it_checked(
    hooks: HookServer,
) -> None:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("UTC")
    resolved = {"rebound.example.com": ["127.0.0.1"], "mixed.example.com": ["8.8.8.8", "10.0.0.1"]}

    async def resolver(host: str, port: int) -> list[str]:
        return resolved[host]

    async def scenario() -> None:
        strict = SubscriptionHooks(zone=zone, timeout=2, resolver=resolver)
        for host in ("rebound.example.com", "mixed.example.com"):
            with pytest.raises(HookFailed, match="not a public address") as failed:
                await strict.challenge(
                    f"https://{host}/x", subscription={}, challenge="c", secret="s", key="k"
                )
            assert failed.value.retryable is False
        await strict.aclose()
        # Allowed (a test or an intranet): the request goes to the address resolved and
        # checked, and still names the host.
        pinned = SubscriptionHooks(zone=zone, timeout=2, resolver=resolver, allow_private=True)
        answer = await pinned.challenge(
            f"http://rebound.example.com:{hooks.port}/pinned",
            subscription={},
            challenge="c1",
            secret="s",
            key="k",
        )
        await pinned.aclose()
        assert json.loads(answer.body) == {"challenge": "c1"}

    asyncio.run(scenario())
    [hit] = hooks.hits
    assert hit.path == "/pinned"
    assert hit.headers["host"] == f"rebound.example.com:{hooks.port}"


def test_a_maintenance_notice_goes_out_as_the_destinations_maintenance_payload(
    hooks: HookServer, tmp_path: Path
) -> None:
    from zoneinfo import ZoneInfo

    import sqlalchemy as sa

    from commsbot.subscriptions.fanout import FanoutContent
    from tests.maintenance.support import Bot, la
    from tests.subscriptions.support import content

    # What the publishing transaction froze for the destinations (here the console's).
    bot = Bot(tmp_path, la(2024, 11, 1, 9, 0))
    ref = bot.announce("2024-11-05 10:00", "2024-11-05 12:00", "API")
    with bot.engine.connect() as conn:
        frozen = conn.execute(
            sa.text("SELECT snapshot FROM delivery WHERE kind = 'maintenance'")
        ).scalar_one()
    bot.close()
    frozen = json.loads(frozen) if isinstance(frozen, str) else frozen
    notice = content(kind=NoticeKind.MAINTENANCE, notice_id=frozen["notice"]["id"])

    async def scenario() -> None:
        sender = SubscriptionHooks(zone=ZoneInfo("UTC"), timeout=2, allow_private=True)
        await sender.deliver(
            hooks.url("/m"),
            content=FanoutContent(notice=notice, delivery=frozen),
            delivery_id="fan-1",
            key="s-key",
            secret="shh",
        )
        await sender.aclose()

    asyncio.run(scenario())
    [hit] = hooks.hits
    assert hit.event == "maintenance.published"
    assert hit.signed_by("shh")
    assert hit.headers["idempotency-key"] == "s-key"
    assert hit.json["maintenance"]["ref"] == ref
    assert hit.json["notice"]["kind"] == "announce"
