"""Shared builders for the subscriber tests."""

from __future__ import annotations

import html.parser
import re
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from commsbot.subscriptions.model import (
    ConsentSource,
    NoticeKind,
    Subscriber,
    SubscriberKind,
    new_subscriber,
)
from commsbot.subscriptions.render import MailIdentity, NoticeContent
from commsbot.subscriptions.tokens import SubscriptionKeys

NOW = datetime(2024, 12, 11, 23, 16, tzinfo=UTC)  # 3:16 PM PST
PST = ZoneInfo("America/Los_Angeles")
SECRET = "a-test-secret-that-is-long-enough-0123456789"
KEYS = SubscriptionKeys([SECRET])

IDENTITY = MailIdentity(
    page_name="Acme Status",
    page_url="https://status.acme.example/",
    sender=Address("Acme Status", "status", "acme.example"),
    zone=PST,
    unsubscribe_mailto="unsubscribe@acme.example",
)


def subscriber(
    address: str = "ada@example.com",
    *,
    id: str = "sub-1",
    components: frozenset[str] = frozenset(),
    confirmed: bool = True,
    at: datetime = NOW,
) -> Subscriber:
    return new_subscriber(
        id=id,
        kind=SubscriberKind.EMAIL,
        address=address,
        components=components,
        now=at,
        source=ConsentSource.CLI if confirmed else ConsentSource.STATUS_PAGE,
        confirmed=confirmed,
    )


def content(
    *,
    title: str = "ChatGPT, API and Sora unavailable",
    body: str = "We have identified the cause and are rolling out a fix.",
    kind: NoticeKind = NoticeKind.UPDATE,
    notice_id: str = "upd-2",
    incident_id: str = "inc-42",
    status_label: str = "Identified",
) -> NoticeContent:
    return NoticeContent(
        notice_id=notice_id,
        kind=kind,
        incident_id=incident_id,
        incident_ref="INC-42",
        title=title,
        status_label=status_label,
        body=body,
        published_at=NOW,
        link="https://status.acme.example/incidents/inc-42",
        seq=2,
        next_update_by=NOW + timedelta(minutes=30),
        components=(("ChatGPT", "Major outage"), ("API", "Partial outage")),
    )


class _Text(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hrefs: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("head", "style", "script"):
            self._skip += 1
        if tag == "a":
            self.hrefs.extend(v for k, v in attrs if k == "href" and v is not None)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("head", "style", "script"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(markup: str) -> tuple[str, list[str]]:
    """The visible text of an HTML part (whitespace collapsed) and its link targets."""
    parser = _Text()
    parser.feed(markup)
    return " ".join("".join(parser.parts).split()), parser.hrefs


def words(text: str) -> str:
    """Plain text with whitespace collapsed and the signature marker dropped."""
    return " ".join(re.sub(r"^-- \r?$", "", text, flags=re.M).split())


def parts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(("plain",))
    rich = message.get_body(("html",))
    assert plain is not None
    assert rich is not None
    text, markup = plain.get_content(), rich.get_content()
    assert isinstance(text, str)
    assert isinstance(markup, str)
    return text, markup
