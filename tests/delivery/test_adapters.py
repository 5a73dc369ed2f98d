"""The webhook, Apprise and console adapters against loopback receivers (no network)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import commsbot
from adapters.console import ConsoleDestination, ConsoleNotifier
from adapters.webhook.destination import WebhookClient, WebhookDestination, WebhookNotifier
from adapters.webhook.payload import SIGNATURE_HEADER
from commsbot.delivery.ports import DeliveryFailed, Notice
from commsbot.engines.targets import AdapterContext, build_destination
from commsbot.settings import parse_settings
from tests.delivery.loopback import LoopbackServer
from tests.delivery.test_render import LINK, PST, outbound

SECRET = b"It's a secret to everybody."


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    srv = LoopbackServer().start()
    yield srv
    srv.stop()


def hook(server: LoopbackServer, path: str = "/hook", timeout: float = 2.0) -> WebhookDestination:
    client = WebhookClient(url=server.url(path), secret=SECRET, timeout=timeout)
    return WebhookDestination(name="hook", client=client, zone=PST)


def deliver(dest: WebhookDestination, **kw: Any) -> object:
    async def go() -> object:
        try:
            return await dest.deliver(outbound("We're investigating @everyone.", **kw))
        finally:
            await dest.aclose()

    return asyncio.run(go())


def test_the_payload_is_signed_keyed_and_documented(server: LoopbackServer) -> None:
    receipt = deliver(hook(server))

    (request,) = server.requests("/hook")
    expected = "sha256=" + hmac.new(SECRET, request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers[SIGNATURE_HEADER.lower()], expected)
    assert request.headers["idempotency-key"] == "uupd000000001abcdef0123"
    assert request.headers["x-commsbot-event"] == "update.published"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == f"commsbot/{commsbot.__version__}"
    body = request.json
    assert set(body) == {
        "version",
        "event",
        "delivery",
        "incident",
        "update",
        "correction_of",
        "thread_id",
        "text",
    }
    assert body["incident"]["ref"] == "INC-1"
    assert body["incident"]["url"] == LINK
    assert body["update"]["seq"] == 1
    assert body["update"]["statuspage_status"] == "investigating"
    # Everyone who wrote the text; "author" stays the first of them for older receivers.
    assert body["update"]["authors"] == [body["update"]["author"]]
    assert set(body["text"]) == {"markdown", "plain", "short"}
    assert "@everyone" not in body["text"]["markdown"]
    assert len(body["text"]["short"]) <= 280
    assert receipt.message_id == "msg-1"  # type: ignore[attr-defined]


def test_a_correction_is_its_own_event(server: LoopbackServer) -> None:
    deliver(hook(server), is_correction=True, correction_of="msg-1")

    (request,) = server.requests("/hook")
    assert request.json["event"] == "update.corrected"
    assert request.json["correction_of"] == "msg-1"


@pytest.mark.parametrize(
    ("mode", "retryable", "retry_after", "ambiguous"),
    [
        ("500", True, None, False),
        ("429:7", True, 7.0, False),
        ("400", False, None, False),
        ("drop", True, None, True),
    ],
)
def test_failures_are_classified(
    server: LoopbackServer, mode: str, retryable: bool, retry_after: float | None, ambiguous: bool
) -> None:
    server.script("/hook", mode)
    with pytest.raises(DeliveryFailed) as caught:
        deliver(hook(server))

    failed = caught.value
    assert (failed.retryable, failed.retry_after, failed.ambiguous) == (
        retryable,
        retry_after,
        ambiguous,
    )


def test_a_hang_times_out_as_ambiguous(server: LoopbackServer) -> None:
    server.script("/hook", "hang")
    with pytest.raises(DeliveryFailed, match="did not answer") as caught:
        deliver(hook(server, timeout=0.2))

    assert caught.value.ambiguous


def test_nobody_listening_is_retryable_and_not_ambiguous() -> None:
    client = WebhookClient(url="http://127.0.0.1:9/hook", secret=None, timeout=1)
    dest = WebhookDestination(name="hook", client=client, zone=PST)
    with pytest.raises(DeliveryFailed, match="cannot connect") as caught:
        deliver(dest)

    assert caught.value.retryable
    assert not caught.value.ambiguous


def test_redirects_are_not_followed_and_not_retried() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"Location": "https://elsewhere.test/"})

    client = WebhookClient(
        url="https://hooks.test/x?token=abc",
        secret=None,
        timeout=1,
        transport=httpx.MockTransport(answer),
    )
    with pytest.raises(DeliveryFailed) as caught:
        deliver(WebhookDestination(name="hook", client=client, zone=PST))

    assert not caught.value.retryable
    assert "https://elsewhere.test/" in str(caught.value)
    assert "token=abc" not in str(caught.value)  # a token in the URL stays out of the ledger


def test_notices_go_to_webhook_notifiers_with_their_key(server: LoopbackServer) -> None:
    client = WebhookClient(url=server.url("/notices"), secret=SECRET, timeout=2)
    notifier = WebhookNotifier(name="ops", client=client)
    notice = Notice(
        kind="approval_requested",
        incident_id="k2v9x0q7ab1c",
        incident_ref="INC-1",
        text="maya drafted…",
        draft_id="drf000000001",
        draft_version=2,
        key="nabc",
        audience=("sam",),
    )

    async def go() -> None:
        await notifier.notify(notice)
        await notifier.aclose()

    asyncio.run(go())
    (request,) = server.requests("/notices")
    assert request.headers["idempotency-key"] == "nabc"
    assert request.json["notice"]["draft_version"] == 2


def test_apprise_posts_to_any_apprise_url(server: LoopbackServer) -> None:
    # json:// is Apprise's own generic JSON webhook: a loopback receiver stands in for Teams,
    # Telegram or Mastodon, which the tests never reach.
    url = f"json://127.0.0.1:{server.port}/apprise"
    settings = parse_settings(
        {
            "destinations": [
                {"name": "social", "type": "apprise", "url_env": "APPRISE_URLS", "format": "short"}
            ]
        }
    )
    context = AdapterContext(settings=settings, environ={"APPRISE_URLS": url}, out=io.StringIO())
    dest = build_destination(settings.destinations[0], context)

    asyncio.run(dest.deliver(outbound("We're investigating <!channel>.")))
    (request,) = server.requests("/apprise")
    message = request.json["message"]
    assert message.startswith("INC-1 Investigating: We're investigating")
    assert "<!channel>" not in message
    assert len(message) <= 280

    server.script("/apprise", "500")
    with pytest.raises(DeliveryFailed) as caught:
        asyncio.run(dest.deliver(outbound("Again.")))
    assert caught.value.retryable
    assert caught.value.ambiguous


def test_the_console_prints_updates_corrections_and_notices() -> None:
    out = io.StringIO()

    asyncio.run(ConsoleDestination(name="console", out=out, zone=PST).deliver(outbound("Hi.")))
    asyncio.run(
        ConsoleDestination(name="console", out=out, zone=PST).deliver(
            outbound("Fixed.", is_correction=True)
        )
    )
    asyncio.run(
        ConsoleNotifier(name="console", out=out).notify(
            Notice(kind="delivery_dead", incident_id="i", incident_ref="INC-1", text="@here x")
        )
    )
    text = out.getvalue()
    assert "PUBLISHED  INC-1" in text
    assert "CORRECTED  INC-1" in text
    assert "NOTICE delivery_dead  INC-1" in text
    assert "@here" not in text


def test_the_console_never_lets_typed_text_ping_or_hide_a_link() -> None:
    out = io.StringIO()
    item = outbound(
        "Body <!channel> see [click](http://evil.example) <@U123>",
        title="Payments @everyone",
    )

    asyncio.run(ConsoleDestination(name="console", out=out, zone=PST).deliver(item))

    text = out.getvalue()
    assert "@everyone" not in text
    assert "<!channel>" not in text
    assert "<@U123>" not in text
    assert "[click]" not in text
    assert "click (http://evil.example)" in text
    assert "Payments @\u200beveryone" in text


def test_static_export_is_a_registered_destination_type(tmp_path: object) -> None:
    from pathlib import Path

    from commsbot.bootstrap import build
    from commsbot.domain.model import Severity
    from commsbot.domain.policy import Actor
    from commsbot.services.drafts import approve_draft
    from commsbot.services.incidents import declare

    folder = Path(str(tmp_path))
    settings = parse_settings(
        {
            "database_url": f"sqlite:///{folder / 'export.db'}",
            "destinations": [
                {"name": "mirror", "type": "static-export", "directory": str(folder / "site")}
            ],
        }
    )
    app = build(settings)
    d = declare(
        app.deps,
        title="API down",
        severity=Severity.SEV2,
        components={"API": None},
        actor=Actor("maya"),
    )
    published = approve_draft(app.deps, draft_id=d.draft.id, actor=Actor("sam"))
    context = AdapterContext(settings=settings, deps=app.deps)  # as the dispatcher makes it
    dest = build_destination(settings.destinations[0], context)
    asyncio.run(dest.deliver(outbound(published.update.body)))  # the export reads the store
    summary = (folder / "site" / "api" / "v2" / "summary.json").read_text(encoding="utf-8")
    assert "API down" in summary
    assert (folder / "site" / "incidents" / d.incident.incident.id / "index.html").exists()
