"""The SMTP sender against a real SMTP server in this process (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import email.policy
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import pytest

from adapters.email.sender import SmtpSender
from commsbot.subscriptions.ports import (
    FailureScope,
    MailAddressRefused,
    MailFailed,
    MailMessageRefused,
    MailServerRefused,
    MailTemporaryFailure,
)
from commsbot.subscriptions.render import EmailRenderer, recipient_for
from tests.adapters.email.smtpd import (
    Authenticator,
    SmtpServer,
    client_tls,
    free_port,
    self_signed,
    server_tls,
)
from tests.subscriptions.support import IDENTITY, KEYS, NOW, content, parts, subscriber, words

RENDERER = EmailRenderer(IDENTITY)
T = TypeVar("T")


def message_to(
    address: str = "ada@example.com", *, sub_id: str = "sub-1", notice: str = "upd-2"
) -> EmailMessage:
    sub = subscriber(address, id=sub_id)
    recipient = recipient_for(sub, keys=KEYS, base_url=IDENTITY.page_url, now=NOW)
    return RENDERER.notice(content(notice_id=notice), recipient)


def sender_for(server: SmtpServer, **options: object) -> SmtpSender:
    settings: dict[str, object] = {
        "host": "127.0.0.1",
        "port": server.port,
        "security": "none",
        "timeout": 5.0,
        "max_per_second": None,
        "local_hostname": "tests.localhost",
    }
    settings.update(options)
    return SmtpSender(**settings)  # type: ignore[arg-type]


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def test_messages_arrive_over_one_connection_with_their_headers_and_both_parts(
    smtp: SmtpServer,
) -> None:
    async def scenario() -> list[str]:
        sender = sender_for(smtp)
        ids = []
        for n in range(3):
            result = await sender.send(message_to(f"user{n}@example.com", sub_id=f"s{n}"))
            assert result.accepted == (f"user{n}@example.com",)
            assert result.response.startswith("250 2.0.0 Ok: queued as Q")
            ids.append(result.message_id or "")
        assert sender.connections == 1
        await sender.aclose()
        return ids

    ids = run(scenario())
    got = smtp.recorder.received
    assert [r.rcpt_tos for r in got] == [[f"user{n}@example.com"] for n in range(3)]
    assert all(r.mail_from == "status@acme.example" for r in got)
    first = got[0].parsed()
    assert first["Message-ID"] == ids[0] == "<upd-2.s0@acme.example>"
    assert first["In-Reply-To"] == first["References"] == "<incident-inc-42@acme.example>"
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = str(first["List-Unsubscribe"])
    assert unsubscribe.startswith("<https://status.acme.example/subscriptions/unsubscribe?token=")
    assert unsubscribe.endswith(", <mailto:unsubscribe@acme.example?subject=unsubscribe>")
    assert str(first["Subject"]) == "[Acme Status] Identified: ChatGPT, API and Sora unavailable"
    text, markup = parts(first)
    assert "We have identified the cause" in text
    assert "We have identified the cause" in markup


def test_an_idle_connection_the_server_closed_is_reopened_and_the_message_sent_once(
    smtp: SmtpServer,
) -> None:
    async def scenario() -> int:
        sender = sender_for(smtp)
        await sender.send(message_to(sub_id="a"))
        smtp.hang_up_all()
        await asyncio.sleep(0.05)
        await sender.send(message_to(sub_id="b"))
        await sender.aclose()
        return sender.connections

    assert run(scenario()) == 2
    ids = [r.parsed()["Message-ID"] for r in smtp.recorder.received]
    assert ids == ["<upd-2.a@acme.example>", "<upd-2.b@acme.example>"]


def test_a_421_on_a_reused_connection_reconnects_but_on_a_fresh_one_is_retryable(
    smtp: SmtpServer,
) -> None:
    async def scenario() -> None:
        sender = sender_for(smtp)
        await sender.send(message_to(sub_id="a"))
        smtp.recorder.mail_replies = ["421 4.3.2 Service shutting down"]
        await sender.send(message_to(sub_id="b"))  # reused connection: reconnect, send
        assert sender.connections == 2
        await sender.aclose()

        fresh = sender_for(smtp)
        smtp.recorder.mail_replies = ["421 4.3.2 Service shutting down"]
        with pytest.raises(MailTemporaryFailure, match="421") as caught:
            await fresh.send(message_to(sub_id="c"))
        assert caught.value.retryable
        assert not caught.value.maybe_sent
        await fresh.send(message_to(sub_id="c"))
        await fresh.aclose()

    run(scenario())
    assert [r.rcpt_tos for r in smtp.recorder.received] == [["ada@example.com"]] * 3


@pytest.mark.parametrize(
    ("reply", "expected", "scope"),
    [
        ("550 5.1.1 <ada@example.com>: user unknown", MailAddressRefused, FailureScope.ADDRESS),
        ("553 mailbox name not allowed", MailAddressRefused, FailureScope.ADDRESS),
        ("451 4.3.0 try again later", MailTemporaryFailure, FailureScope.TEMPORARY),
        ("552 5.2.2 mailbox full", MailTemporaryFailure, FailureScope.TEMPORARY),
        ("554 5.7.1 Relay access denied", MailServerRefused, FailureScope.SERVER),
    ],
)
def test_recipient_refusals_are_classified_and_the_connection_stays_usable(
    smtp: SmtpServer, reply: str, expected: type[MailFailed], scope: FailureScope
) -> None:
    smtp.recorder.rcpt_replies["ada@example.com"] = reply

    async def scenario() -> None:
        sender = sender_for(smtp)
        with pytest.raises(expected) as caught:
            await sender.send(message_to("ada@example.com"))
        assert caught.value.scope is scope
        assert caught.value.code == int(reply[:3])
        assert reply.split(" ", 1)[1] in str(caught.value)
        await sender.send(message_to("bob@example.com"))
        assert sender.connections == 1
        await sender.aclose()

    run(scenario())
    assert [r.rcpt_tos for r in smtp.recorder.received] == [["bob@example.com"]]


def test_one_refused_recipient_among_several_is_reported_not_raised(smtp: SmtpServer) -> None:
    smtp.recorder.rcpt_replies["gone@example.com"] = "550 5.1.1 no such user"
    message = message_to("ada@example.com")
    message["Cc"] = "gone@example.com"

    async def scenario() -> None:
        sender = sender_for(smtp)
        result = await sender.send(message)
        assert result.accepted == ("ada@example.com",)
        assert result.refused == {"gone@example.com": "550 5.1.1 no such user"}
        await sender.aclose()

    run(scenario())


def test_a_refused_sender_address_is_the_servers_problem_not_the_subscribers(
    smtp: SmtpServer,
) -> None:
    smtp.recorder.mail_replies = ["550 5.7.1 sender not allowed"]

    async def scenario() -> None:
        sender = sender_for(smtp)
        with pytest.raises(MailServerRefused, match="refused our sender address"):
            await sender.send(message_to())
        await sender.aclose()

    run(scenario())


def test_a_refused_message_is_permanent_for_that_message_only(smtp: SmtpServer) -> None:
    smtp.recorder.data_reply = "554 5.6.0 message content rejected"

    async def scenario() -> None:
        sender = sender_for(smtp)
        with pytest.raises(MailMessageRefused, match="content rejected") as caught:
            await sender.send(message_to())
        assert not caught.value.retryable
        smtp.recorder.data_reply = "451 4.7.1 greylisted, try later"
        with pytest.raises(MailTemporaryFailure, match="greylisted"):
            await sender.send(message_to())
        smtp.recorder.data_reply = None
        await sender.send(message_to())
        assert sender.connections == 1
        await sender.aclose()

    run(scenario())
    assert len(smtp.recorder.received) == 1


def test_a_server_that_hangs_or_hangs_up_after_data_may_have_queued_it(
    smtp: SmtpServer,
) -> None:
    async def scenario() -> None:
        sender = sender_for(smtp, timeout=0.3)
        smtp.recorder.hang_seconds = 2.0
        with pytest.raises(MailTemporaryFailure) as caught:
            await sender.send(message_to())
        assert caught.value.maybe_sent
        smtp.recorder.hang_seconds = 0.0
        smtp.recorder.drop_in_data = True
        with pytest.raises(MailTemporaryFailure) as caught:
            await sender.send(message_to())
        assert caught.value.maybe_sent
        smtp.recorder.drop_in_data = False
        await sender.send(message_to())
        await sender.aclose()

    run(scenario())
    assert len(smtp.recorder.received) == 1


def test_a_server_that_is_down_is_a_retryable_failure() -> None:
    async def scenario() -> None:
        sender = SmtpSender(
            host="127.0.0.1", port=free_port(), security="none", timeout=2.0, max_per_second=None
        )
        with pytest.raises(MailTemporaryFailure, match="cannot connect") as caught:
            await sender.send(message_to())
        assert caught.value.retryable

    run(scenario())


def test_login_with_the_right_password_sends_and_a_wrong_one_alerts_the_team() -> None:
    options = {"authenticator": Authenticator("bot", "s3cret"), "auth_require_tls": False}
    with SmtpServer(**options) as server:

        async def scenario() -> None:
            good = sender_for(server, username="bot", password="s3cret")
            await good.send(message_to())
            await good.aclose()
            bad = sender_for(server, username="bot", password="wrong")
            with pytest.raises(MailServerRefused, match="refused the login for user 'bot'") as c:
                await bad.send(message_to())
            assert "wrong" not in str(c.value)
            assert c.value.scope is FailureScope.SERVER

        run(scenario())
        assert len(server.recorder.received) == 1


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    made = self_signed(tmp_path_factory.mktemp("tls"))
    if made is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    return made


def test_starttls_and_implicit_tls_verify_the_servers_certificate(
    certificate: tuple[Path, Path],
) -> None:
    cert, key = certificate
    with (
        SmtpServer(tls_context=server_tls(cert, key), require_starttls=True) as starttls,
        SmtpServer(ssl_context=server_tls(cert, key)) as implicit,
    ):

        async def scenario() -> None:
            trusted = client_tls(cert)
            for server, security in ((starttls, "starttls"), (implicit, "tls")):
                sender = sender_for(server, security=security, tls_context=trusted)
                await sender.send(message_to())
                await sender.aclose()
            # The default roots do not know this certificate: a configuration problem.
            untrusted = sender_for(starttls, security="starttls")
            with pytest.raises(MailServerRefused, match=r"TLS with 127\.0\.0\.1"):
                await untrusted.send(message_to())

        run(scenario())
        assert len(starttls.recorder.received) == len(implicit.recorder.received) == 1


def test_starttls_required_but_not_offered_is_refused_not_sent_in_clear(smtp: SmtpServer) -> None:
    async def scenario() -> None:
        sender = sender_for(smtp, security="starttls")
        with pytest.raises(MailServerRefused, match="security"):
            await sender.send(message_to())

    run(scenario())
    assert smtp.recorder.received == []


def test_non_ascii_addresses_use_smtputf8_and_a_server_without_it_refuses_the_address() -> None:
    with SmtpServer() as modern, SmtpServer(enable_SMTPUTF8=False) as old:

        async def scenario() -> None:
            sender = sender_for(modern)
            await sender.send(message_to("josé@example.com"))
            await sender.aclose()
            sender = sender_for(old)
            with pytest.raises(MailAddressRefused, match="SMTPUTF8") as caught:
                await sender.send(message_to("josé@example.com"))
            assert caught.value.recipients == ("josé@example.com",)

        run(scenario())
        (got,) = modern.recorder.received
        assert "SMTPUTF8" in got.mail_options
        assert got.rcpt_tos == ["josé@example.com"]
        assert str(got.parsed()["To"]) == "josé@example.com"


class _Clock:
    def __init__(self) -> None:
        self.current = datetime(2024, 1, 1, tzinfo=UTC)
        self.slept = 0.0

    def now(self) -> datetime:
        return self.current

    async def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.current += timedelta(seconds=seconds)


def test_sending_is_paced_at_max_per_second(smtp: SmtpServer) -> None:
    clock = _Clock()

    async def scenario() -> None:
        sender = sender_for(smtp, max_per_second=2.0, clock=clock, sleep=clock.sleep)
        for n in range(5):
            await sender.send(message_to(sub_id=f"s{n}"))
        await sender.aclose()

    run(scenario())
    # Five messages at two per second: the last may go no sooner than two seconds in.
    assert clock.slept == pytest.approx(2.0)
    assert len(smtp.recorder.received) == 5


def test_the_received_message_round_trips_through_the_standard_parser(smtp: SmtpServer) -> None:
    async def scenario() -> None:
        sender = sender_for(smtp)
        await sender.send(message_to())
        await sender.aclose()

    run(scenario())
    (got,) = smtp.recorder.received
    message = got.parsed()
    assert message.policy == email.policy.default
    text, _markup = parts(message)
    assert words(text).startswith("INC-42 · ChatGPT, API and Sora unavailable")
    assert not message.defects
