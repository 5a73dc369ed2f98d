"""No field of a subscriber email can add a header or a recipient: arbitrary titles, bodies and
addresses go through validation, rendering and the SMTP sender to a real server, and what the
server received is parsed with the standard library."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from adapters.email.sender import SmtpSender
from commsbot.subscriptions.addresses import InvalidSubscription, validate_email_address
from commsbot.subscriptions.mime import header_text
from commsbot.subscriptions.render import EmailRenderer, recipient_for
from tests.adapters.email.smtpd import SmtpServer
from tests.subscriptions.support import IDENTITY, KEYS, NOW, content, html_text, parts, words
from tests.subscriptions.support import subscriber as make_subscriber

RENDERER = EmailRenderer(IDENTITY)
HEADERS = {
    "From", "To", "Subject", "Date", "Auto-Submitted", "Message-ID", "In-Reply-To",
    "References", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Precedence",
    "X-Auto-Response-Suppress", "MIME-Version", "Content-Type",
}  # fmt: skip

# Addresses worth trying: plausible ones with hostile characters mixed in.
hostile = st.sampled_from(["\r\n", "\n", "\r", "\x00", ",", "<", ">", ";", " ", '"', "Bcc:"])
addresses = st.one_of(
    st.emails(),  # valid ones, so that most examples really go through the server
    st.text(max_size=80),
    st.builds(
        lambda a, h, b: f"{a}{h}{b}@example.com",
        st.from_regex(r"[a-z]{1,10}", fullmatch=True),
        hostile,
        st.from_regex(r"[a-z.]{0,10}", fullmatch=True),
    ),
    st.builds(
        lambda h: f"ada@example.com{h}Bcc: eve@evil.example",
        hostile,
    ),
)


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(title=st.text(max_size=200), body=st.text(min_size=1, max_size=500), raw=addresses)
def test_nothing_typed_reaches_the_headers_or_the_envelope(
    smtp: SmtpServer, title: str, body: str, raw: str
) -> None:
    try:
        address = validate_email_address(raw)
    except InvalidSubscription:
        return  # refused with a message (the cases below): nothing is sent to it
    assume(address.isascii())  # non-ASCII addresses have their own test (SMTPUTF8)
    sub = make_subscriber(address)
    recipient = recipient_for(sub, keys=KEYS, base_url=IDENTITY.page_url, now=NOW)
    message = RENDERER.notice(content(title=title, body=body), recipient)
    before = len(smtp.recorder.received)

    async def send() -> None:
        sender = SmtpSender(
            host="127.0.0.1",
            port=smtp.port,
            security="none",
            timeout=5.0,
            max_per_second=None,
            local_hostname="tests.localhost",
        )
        await sender.send(message)
        await sender.aclose()

    asyncio.run(send())
    got = smtp.recorder.received[before:]
    assert len(got) == 1
    assert got[0].rcpt_tos == [address]
    parsed = got[0].parsed()
    assert set(parsed.keys()) == HEADERS
    assert [a.addr_spec for a in parsed["To"].addresses] == [address]
    assert str(parsed["Subject"]) == header_text(f"[Acme Status] Identified: {title}")
    text, markup = parts(parsed)
    assert words(text) == html_text(markup)[0]


@pytest.mark.parametrize(
    ("raw", "complaint"),
    [
        ("ada@example.com\r\nBcc: eve@evil.example", "carriage return (CR)"),
        ("ada@example.com\nBcc: eve@evil.example", "line feed (LF)"),
        ("ada\x00@example.com", "NUL character"),
        ("ada@example.com, eve@evil.example", "not a usable email address"),
        ("Ada <ada@example.com>", "display name"),
        ("a" * 250 + "@example.com", "262 characters long; the longest an address can be is 254"),
    ],
)
def test_hostile_addresses_are_refused_naming_what_is_wrong(raw: str, complaint: str) -> None:
    with pytest.raises(InvalidSubscription) as caught:
        validate_email_address(raw)
    assert complaint in str(caught.value)
    assert caught.value.field == "email"
