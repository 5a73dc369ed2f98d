"""Subscriber emails: headers, threading, both parts from the same text, nothing injected."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from email.message import EmailMessage

import pytest
from aiosmtplib.email import flatten_message
from hypothesis import given, settings
from hypothesis import strategies as st

from commsbot.subscriptions.mime import header_text
from commsbot.subscriptions.model import NoticeKind
from commsbot.subscriptions.render import EmailRenderer, Recipient, recipient_for
from commsbot.subscriptions.text import linkify
from commsbot.subscriptions.tokens import TokenPurpose
from tests.subscriptions.support import (
    IDENTITY,
    KEYS,
    NOW,
    content,
    html_text,
    parts,
    subscriber,
    words,
)

RENDERER = EmailRenderer(IDENTITY)
#: Every header a notice carries; nothing else may appear, whatever the input.
NOTICE_HEADERS = {
    "From", "To", "Subject", "Date", "Auto-Submitted", "Message-ID", "In-Reply-To",
    "References", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Precedence",
    "X-Auto-Response-Suppress", "MIME-Version", "Content-Type",
}  # fmt: skip


def recipient(address: str = "ada@example.com", **kwargs: object) -> Recipient:
    sub = subscriber(address, **kwargs)  # type: ignore[arg-type]
    return recipient_for(sub, keys=KEYS, base_url=IDENTITY.page_url, now=NOW)


def wire(message: EmailMessage) -> EmailMessage:
    """What a server receives (flattened as aiosmtplib does), parsed back."""
    raw = flatten_message(message, utf8=not all(a.isascii() for a in str(message["To"])))
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_an_update_has_subject_threading_and_one_click_unsubscribe() -> None:
    got = wire(RENDERER.notice(content(), recipient()))
    assert str(got["Subject"]) == "[Acme Status] Identified: ChatGPT, API and Sora unavailable"
    assert str(got["From"]) == "Acme Status <status@acme.example>"
    assert got["Message-ID"] == "<upd-2.sub-1@acme.example>"
    assert got["In-Reply-To"] == got["References"] == "<incident-inc-42@acme.example>"
    assert got["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert got["List-Id"] == '"Acme Status" <updates.acme.example>'
    assert got["Auto-Submitted"] == "auto-generated"
    assert got["Precedence"] == "bulk"
    # In the page's zone: 3:16 PM PST is 23:16 UTC.
    assert got["Date"] == "Wed, 11 Dec 2024 15:16:00 -0800"


def test_the_unsubscribe_header_carries_a_working_signed_link_unencoded() -> None:
    message = RENDERER.notice(content(), recipient())
    head = flatten_message(message).split(b"\r\n\r\n", 1)[0].decode()
    # Written as they are, not RFC 2047-encoded: mail clients need the URL itself, and
    # threading the ids themselves.
    assert "=?" not in head
    assert "\r\nIn-Reply-To: <incident-inc-42@acme.example>\r\n" in head
    got = wire(message)
    raw = str(got["List-Unsubscribe"])
    assert f"\r\nList-Unsubscribe: {raw.split(', ')[0]},\r\n" in head
    first, mailto = raw.split(", ")
    assert first.startswith("<https://status.acme.example/subscriptions/unsubscribe?token=")
    token = first.removesuffix(">").split("token=", 1)[1]
    claims = KEYS.verify(token, TokenPurpose.UNSUBSCRIBE, now=NOW + timedelta(days=300))
    assert (claims.subscriber_id, claims.generation) == ("sub-1", 1)
    assert mailto == "<mailto:unsubscribe@acme.example?subject=unsubscribe>"


def test_every_update_of_an_incident_threads_under_one_root_and_retries_reuse_the_id() -> None:
    first = wire(RENDERER.notice(content(notice_id="u1"), recipient()))
    second = wire(RENDERER.notice(content(notice_id="u2"), recipient()))
    again = wire(RENDERER.notice(content(notice_id="u2"), recipient()))
    other = wire(RENDERER.notice(content(notice_id="u1", incident_id="inc-7"), recipient()))
    assert first["References"] == second["References"] != other["References"]
    assert first["Message-ID"] != second["Message-ID"] == again["Message-ID"]
    assert RENDERER.notice(content(), recipient()).as_bytes() == (
        RENDERER.notice(content(), recipient()).as_bytes()
    )


def test_plain_and_html_parts_say_the_same_thing_with_times_in_the_page_zone() -> None:
    body = "We found the cause.\n\nA fix is rolling out; details at https://acme.example/rca."
    to = recipient(components=frozenset({"API"}))
    text, markup = parts(wire(RENDERER.notice(content(body=body), to)))
    shown, links = html_text(markup)
    assert words(text) == shown
    assert "Identified · update #2 · Dec 11, 3:16 PM PST" in text
    assert "Next update by Dec 11, 3:46 PM PST." in text
    assert "Affected: ChatGPT: major outage · API: partial outage" in text
    assert "You receive this because you subscribed to Acme Status updates for API." in text
    assert "https://acme.example/rca" in links  # linkified, the full stop left outside
    assert text.count("Unsubscribe: https://status.acme.example/subscriptions/unsubscribe?") == 1
    assert "Manage your subscription: https://status.acme.example/subscriptions/manage?" in text


def test_html_in_the_approved_text_is_shown_as_text_and_masked_links_are_unmasked() -> None:
    body = (
        '<script>alert(1)</script> <a href="https://evil.example">click</a> '
        "[our status](https://evil.example/x) <https://e.example|label> "
        'https://ok.example/a"onmouseover="x'
    )
    text, markup = parts(wire(RENDERER.notice(content(body=body), recipient())))
    assert "<script>" not in markup
    assert "&lt;script&gt;" in markup
    assert "our status (https://evil.example/x)" in text
    assert "label (https://e.example)" in text
    shown, links = html_text(markup)
    assert words(text) == shown
    # Only URLs written in the text (and our own links) become links, each showing itself.
    ours = {"https://status.acme.example/incidents/inc-42"}
    assert all(f">{link}</a>" in markup.replace("&amp;", "&") for link in links)
    assert {link for link in links if "/subscriptions/" not in link} - ours == {
        "https://evil.example",
        "https://evil.example/x",
        "https://e.example",
        "https://ok.example/a",
    }


def test_a_correction_says_so_and_promises_no_next_update() -> None:
    got = wire(
        RENDERER.notice(content(kind=NoticeKind.CORRECTION, notice_id="corr-1"), recipient())
    )
    text, _ = parts(got)
    assert str(got["Subject"]) == "[Acme Status] Correction: ChatGPT, API and Sora unavailable"
    assert "This corrects an earlier update; the text below replaces it." in text
    assert "Next update by" not in text
    assert got["Message-ID"] == "<corr-1.sub-1@acme.example>"


def test_a_non_ascii_title_is_encoded_in_the_subject_and_decodes_back() -> None:
    title = "Zahlungsdienst gestört — 決済が利用できません"
    message = RENDERER.notice(content(title=title), recipient())
    raw = flatten_message(message)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    assert str(wire(message)["Subject"]) == f"[Acme Status] Identified: {title}"


def test_the_confirmation_email_names_the_deadline_and_the_choice() -> None:
    message = RENDERER.confirmation(
        address="ada@example.com",
        confirm_url="https://status.acme.example/subscriptions/confirm?token=abc",
        expires_at=NOW + timedelta(hours=24),
        components=["API", "ChatGPT"],
        message_key="row-7",
        now=NOW,
    )
    got = wire(message)
    text, markup = parts(got)
    assert str(got["Subject"]) == "[Acme Status] Confirm your subscription"
    assert got["Message-ID"] == "<confirm.row-7@acme.example>"
    assert "List-Unsubscribe" not in got
    assert "(for API and ChatGPT) to be sent to ada@example.com" in text
    assert "open this link before Dec 12, 3:16 PM PST:" in text
    shown, links = html_text(markup)
    assert words(text) == shown
    assert links == ["https://status.acme.example/subscriptions/confirm?token=abc"]


def test_already_subscribed_and_webhook_disabled_messages() -> None:
    again = wire(RENDERER.already_subscribed(recipient(), message_key="k", now=NOW))
    text, _ = parts(again)
    assert "already receives them, so nothing changed" in text
    assert "Unsubscribe: https://status.acme.example/subscriptions/unsubscribe?token=" in text
    disabled = wire(
        RENDERER.webhook_disabled(
            owner="ops@example.com",
            url="https://hooks.example.com/in?token=SECRET",
            failing_since=NOW - timedelta(hours=24),
            last_error="HTTP 500 from hooks.example.com\r\nBcc: x@evil.example",
            message_key="k",
            now=NOW,
        )
    )
    text, _ = parts(disabled)
    assert "https://hooks.example.com/in" in text
    assert "SECRET" not in text
    assert "failed since Dec 10, 3:16 PM PST, so we stopped trying at Dec 11, 3:16 PM PST" in text
    assert "Bcc" not in disabled


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see https://a.example/x.", 'see <a href="https://a.example/x">https://a.example/x</a>.'),
        ("(https://a.example/x)", '(<a href="https://a.example/x">https://a.example/x</a>)'),
        (
            "https://w.example/A_(b)",
            '<a href="https://w.example/A_(b)">https://w.example/A_(b)</a>',
        ),
        ("a & b <i>", "a &amp; b &lt;i&gt;"),
        ("javascript:alert(1)", "javascript:alert(1)"),
    ],
)
def test_linkify(text: str, expected: str) -> None:
    assert str(linkify(text)) == expected


@settings(max_examples=200, deadline=None)
@given(title=st.text(max_size=300), body=st.text(min_size=1, max_size=2000))
def test_no_title_or_body_can_add_a_header_or_break_the_parts(title: str, body: str) -> None:
    got = wire(RENDERER.notice(content(title=title, body=body), recipient()))
    assert set(got.keys()) == NOTICE_HEADERS
    assert str(got["Subject"]) == header_text(f"[Acme Status] Identified: {title}")
    assert str(got["To"]) == "ada@example.com"
    text, markup = parts(got)
    shown, _ = html_text(markup)
    assert words(text) == shown
