"""The emails subscribers get, as :class:`email.message.EmailMessage` objects ready to send.

Notices (a published update, a correction, a maintenance notice) carry the approved text and
nothing else: a plain-text part and an HTML part rendered from the same lines by the Jinja2
templates in ``templates/`` (HTML autoescaped; ``http(s)`` URLs written in the text become links
showing the URL itself, and Markdown/Slack masked links are unmasked to ``label (url)`` in both
parts, so no link hides where it goes). Times are in the page's time zone.

Headers, and why:

- ``Message-ID: <{notice}.{subscriber}@{domain}>``: one per (notice, subscriber), not per
  attempt, so a retry after a crash or a lost answer sends the *same* message (mail clients
  and the crash test see one). A notice is one published thing: an update, or one correction
  of it (its own id), or one maintenance notice.
- ``In-Reply-To`` and ``References: <incident-{incident}@{domain}>``: every message of one
  incident points at the same root, so clients that thread by references (Thunderbird, Apple
  Mail, Outlook) show an incident's updates as one conversation. Gmail also needs the same
  subject; ours changes with the status, which we judged more useful in an inbox.
- ``List-Unsubscribe`` (the subscriber's signed link, plus ``mailto:`` when configured) and
  ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058); ``List-Id``.
- ``Auto-Submitted: auto-generated`` (RFC 3834: no vacation replies) and, on notices only,
  ``Precedence: bulk`` (non-standard but still what many autoresponders check) and
  ``X-Auto-Response-Suppress: All`` (Exchange's own switch).
- ``Date``: when the notice was published (or the message was asked for), in the page's zone,
  so that every attempt sends the same bytes.

Every header value made from text goes through :func:`header_text` (no CR, LF or other control
characters; non-ASCII is RFC 2047-encoded by the email package). ``Message-ID`` parts that are
not plain tokens are hashed.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import EmailPolicy, Policy
from email.policy import default as default_policy
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup, escape

from commsbot.subscriptions.model import NoticeKind, Subscriber
from commsbot.subscriptions.tokens import SubscriptionKeys, TokenPurpose
from commsbot.templates import format_date, format_time, human_list

MAX_SUBJECT = 200
#: Where the status page serves subscriber links: ``{page}/subscriptions/{action}?token=…``.
LINK_ACTIONS = {
    TokenPurpose.CONFIRM: "confirm",
    TokenPurpose.MANAGE: "manage",
    TokenPurpose.UNSUBSCRIBE: "unsubscribe",
}
_TOKEN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_URL = re.compile(r"https?://[^\s<>\"'`]+", re.I)
_MD_LINK = re.compile(r"!?\[([^\[\]]*)\]\(\s*<?(https?://[^()\s<>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_SLACK_LINK = re.compile(r"<(https?://[^|<>\s]*)(?:\|([^<>]*))?>", re.I)
_TRAILING = ".,;:!?'\"”’)]}"
_BIDI = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F])


class _Literal(UnstructuredHeader, BaseHeader):
    """A header written as it is (folded only between list items): the email package would
    otherwise RFC 2047-encode a URL or message id longer than a line, which breaks
    ``List-Unsubscribe`` and threading. Values are ASCII; CR/LF is refused on assignment."""

    def fold(self, *, policy: Policy[Any]) -> str:
        value = str(self)
        if not value.isascii():
            return super().fold(policy=policy)
        return f"{self.name}: " + f",{policy.linesep} ".join(value.split(", ")) + policy.linesep


class _Encoded(UnstructuredHeader, BaseHeader):
    """A text header whose non-ASCII value is RFC 2047-encoded whole: the email package's own
    folding drops the space between two encoded words ("gestört — 決済" came back as
    "gestört —決済"); the older :class:`email.header.Header` keeps every character."""

    def fold(self, *, policy: Policy[Any]) -> str:
        value = str(self)
        if value.isascii():
            return super().fold(policy=policy)
        encoded = Header(value, "utf-8", header_name=self.name).encode(linesep=policy.linesep)
        return f"{self.name}: {encoded}{policy.linesep}"


def _policy() -> EmailPolicy[EmailMessage]:
    registry = HeaderRegistry()
    registry.map_to_type("subject", _Encoded)
    for name in ("list-unsubscribe", "list-unsubscribe-post", "in-reply-to", "references"):
        registry.map_to_type(name, _Literal)
    return default_policy.clone(header_factory=registry)


#: The policy of every message built here (the default one, with :class:`_Literal` headers).
POLICY = _policy()


@dataclass(frozen=True)
class MailIdentity:
    """Who the mail comes from and the page it speaks for.

    Attributes:
        page_name: ``Acme Status``; in subjects as ``[Acme Status]`` and in ``List-Id``.
        page_url: the public status page; subscriber links live under ``/subscriptions/``.
        sender: the ``From`` address (a display name optional).
        zone: the page's time zone.
        reply_to: where replies go, if not to ``sender``.
        unsubscribe_mailto: an address for the ``mailto:`` in ``List-Unsubscribe`` (someone
            must read it), or None for the one-click URL alone.
    """

    page_name: str
    page_url: str
    sender: Address
    zone: ZoneInfo
    reply_to: Address | None = None
    unsubscribe_mailto: str | None = None

    @property
    def domain(self) -> str:
        """The domain of the ``From`` address, used in Message-IDs and List-Id."""
        return self.sender.domain.lower()

    @property
    def base_url(self) -> str:
        return self.page_url.rstrip("/")


@dataclass(frozen=True)
class NoticeContent:
    """One published notice, frozen as the approver approved it.

    Attributes:
        notice_id: unique per published thing (the update's id; a correction's own id; a
            maintenance notice's id); with the subscriber id it makes the Message-ID.
        kind: update, correction or maintenance.
        incident_id: the incident (or maintenance) this belongs to: the thread root.
        incident_ref: ``INC-42``.
        title: the incident's public title.
        status_label: ``Identified``, ``Postmortem``, ``In progress`` …
        body: the approved text, exactly.
        published_at: when it was published (corrections: when corrected).
        link: the incident's page.
        seq: the update's number (``update #2``), if any.
        next_update_by: the promised time of the next update, if any (not for corrections).
        components: ``(name, status label)`` as of this notice.
    """

    notice_id: str
    kind: NoticeKind
    incident_id: str
    incident_ref: str
    title: str
    status_label: str
    body: str
    published_at: datetime
    link: str
    seq: int | None = None
    next_update_by: datetime | None = None
    components: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Recipient:
    """One subscriber, as a message needs it: address, id and signed links."""

    subscriber_id: str
    address: str
    manage_url: str
    unsubscribe_url: str
    #: Their component filter (empty: all), named in the footer.
    components: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Line:
    text: str
    url: str | None = None


def header_text(text: str, *, limit: int = MAX_SUBJECT) -> str:
    """``text`` made safe for one header line: control characters (CR, LF, NUL, …) and
    bidirectional overrides removed, whitespace collapsed, cut to ``limit`` with "…"."""
    cleaned = "".join(
        " " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text.translate(_BIDI)
    )
    one = " ".join(cleaned.split())
    return one if len(one) <= limit else one[: limit - 1].rstrip() + "…"


def message_token(value: str) -> str:
    """``value`` if it is a plain token, else a hash of it: safe inside ``<…@domain>``."""
    if _TOKEN_ID.fullmatch(value):
        return value
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def thread_root(incident_id: str, domain: str) -> str:
    """The id every message of one incident refers to: ``<incident-{id}@{domain}>``."""
    return f"<incident-{message_token(incident_id)}@{domain}>"


def notice_message_id(notice_id: str, subscriber_id: str, domain: str) -> str:
    """The Message-ID of one notice to one subscriber, the same on every attempt."""
    return f"<{message_token(notice_id)}.{message_token(subscriber_id)}@{domain}>"


def _body_text(text: str) -> str:
    """The approved text as both parts show it: line breaks kept, other control characters
    dropped (RFC 5322 allows none), masked links unmasked."""

    def unmask(label: str, url: str) -> str:
        label = label.strip()
        return url if not label or label == url else f"{label} ({url})"

    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc")
    text = _SLACK_LINK.sub(lambda m: unmask(m.group(2) or "", m.group(1)), text)
    return _MD_LINK.sub(lambda m: unmask(m.group(1), m.group(2)), text).strip()


def linkify(text: str) -> Markup:
    """``text`` HTML-escaped, with each ``http(s)`` URL made a link that shows itself.

    Trailing punctuation stays outside the link ("see https://x.example/a." links ``…/a``);
    a closing parenthesis stays inside only when the URL opened one.
    """
    out: list[str] = []
    pos = 0
    for match in _URL.finditer(text):
        url = match.group(0)
        while url and url[-1] in _TRAILING:
            if url[-1] == ")" and url.count("(") >= url.count(")"):
                break
            url = url[:-1]
        start, end = match.start(), match.start() + len(url)
        out.append(str(escape(text[pos:start])))
        out.append(str(Markup('<a href="{0}">{0}</a>').format(url)))
        pos = end
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def _paragraphs(text: str) -> Markup:
    parts = [p.strip("\n") for p in re.split(r"\n[ \t]*\n", text) if p.strip()]
    html = [
        Markup('<p style="margin:0 0 16px">{}</p>').format(
            Markup("<br>\n").join(linkify(line) for line in para.split("\n"))
        )
        for para in parts
    ]
    return Markup("\n").join(html)


def when(moment: datetime, zone: ZoneInfo) -> str:
    """``Dec 11, 3:16 PM PST`` in ``zone``."""
    return f"{format_date(moment, zone)}, {format_time(moment, zone)}"


class EmailRenderer:
    """Builds every email subscribers get, for one page.

    Example:
        >>> renderer = EmailRenderer(identity)
        >>> prepared = renderer.prepare(content)        # once per notice
        >>> message = prepared.to(recipient)             # once per subscriber
    """

    def __init__(self, identity: MailIdentity) -> None:
        self.identity = identity
        self._env = jinja2.Environment(
            loader=jinja2.PackageLoader("commsbot.subscriptions", "templates"),
            autoescape=lambda name: bool(name and name.endswith(".html.j2")),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )

    # --- notices -------------------------------------------------------------------------

    def prepare(self, content: NoticeContent) -> PreparedNotice:
        """Render what every subscriber's copy of ``content`` shares (once per notice)."""
        zone = self.identity.zone
        body = _body_text(content.body)
        number = f" #{content.seq}" if content.seq is not None else ""
        stamp = when(content.published_at, zone)
        intro = None
        if content.kind is NoticeKind.CORRECTION:
            kicker = f"Correction of update{number} · {content.status_label} · {stamp}"
            intro = "This corrects an earlier update; the text below replaces it."
            subject = f"Correction: {content.title}"
        elif content.kind is NoticeKind.MAINTENANCE:
            kicker = f"Maintenance · {content.status_label} · {stamp}"
            subject = f"{content.status_label}: {content.title}"
        else:
            kicker = f"{content.status_label} · update{number} · {stamp}"
            subject = f"{content.status_label}: {content.title}"
        details = []
        if content.components:
            impact = " · ".join(f"{name}: {label.lower()}" for name, label in content.components)
            details.append(_Line(f"Affected: {impact}"))
        if content.next_update_by is not None and content.kind is not NoticeKind.CORRECTION:
            details.append(_Line(f"Next update by {when(content.next_update_by, zone)}."))
        details.append(_Line("Full update:", content.link))
        context = {
            "heading": header_text(f"{content.incident_ref} · {content.title}", limit=1000),
            "kicker": kicker,
            "intro": intro,
            "details": details,
        }
        return PreparedNotice(
            renderer=self,
            content=content,
            subject=self._subject(subject),
            context=context,
            body_text=body,
            body_html=_paragraphs(body),
        )

    def notice(self, content: NoticeContent, recipient: Recipient) -> EmailMessage:
        """One subscriber's copy of ``content`` (prefer :meth:`prepare` for many)."""
        return self.prepare(content).to(recipient)

    # --- one-off messages ----------------------------------------------------------------

    def confirmation(
        self,
        *,
        address: str,
        confirm_url: str,
        expires_at: datetime,
        components: Sequence[str],
        message_key: str,
        now: datetime,
    ) -> EmailMessage:
        """The double opt-in email: nothing else is sent until its link is opened.

        ``message_key`` identifies this email (e.g. its outbox row): the same key gives the
        same Message-ID on a retry.
        """
        name = self.identity.page_name
        what = (
            f"for {human_list(sorted(components, key=str.casefold))}"
            if components
            else ("for every component")
        )
        details = [
            _Line(
                f"Someone, probably you, asked for {name} incident updates ({what}) to be "
                f"sent to {address}."
            ),
            _Line(
                f"To confirm, open this link before {when(expires_at, self.identity.zone)}:",
                confirm_url,
            ),
            _Line(
                "If you did not ask for this, ignore this email: nothing more will be sent to "
                "this address."
            ),
        ]
        return self._message(
            template="message",
            heading=f"Confirm your subscription to {name}",
            subject="Confirm your subscription",
            to=address,
            message_id=f"<confirm.{message_token(message_key)}@{self.identity.domain}>",
            date=now,
            details=details,
            footer=[],
        )

    def already_subscribed(
        self, recipient: Recipient, *, message_key: str, now: datetime
    ) -> EmailMessage:
        """Sent instead of a confirmation when a confirmed address signs up again (the page
        answers the same either way, so only the mailbox's owner learns it was subscribed)."""
        name = self.identity.page_name
        details = [
            _Line(
                f"Someone, probably you, asked again for {name} incident updates to be sent to "
                f"{recipient.address}. This address already receives them, so nothing changed."
            ),
        ]
        return self._message(
            template="message",
            heading=f"You are already subscribed to {name}",
            subject="You are already subscribed",
            to=recipient.address,
            message_id=f"<again.{message_token(message_key)}@{self.identity.domain}>",
            date=now,
            details=details,
            footer=self._footer(recipient),
        )

    def webhook_disabled(
        self,
        *,
        owner: str,
        url: str,
        failing_since: datetime,
        last_error: str,
        message_key: str,
        now: datetime,
    ) -> EmailMessage:
        """Tells a webhook's owner that it failed for its whole give-up window and was
        disabled. The URL is shown without its query (it may hold a token)."""
        zone = self.identity.zone
        parts = urlsplit(url)
        shown = f"{parts.scheme}://{parts.netloc}{parts.path}"
        details = [
            _Line(
                f"Every attempt to deliver {self.identity.page_name} updates to {shown} has "
                f"failed since {when(failing_since, zone)}, so we stopped trying at "
                f"{when(now, zone)}."
            ),
            _Line(f"Last error: {header_text(last_error, limit=500)}"),
            _Line(
                "Once the endpoint works again, subscribe it again on the status page:",
                f"{self.identity.base_url}/subscriptions",
            ),
        ]
        return self._message(
            template="message",
            heading="Your webhook subscription was disabled",
            subject="Your webhook subscription was disabled",
            to=owner,
            message_id=f"<disabled.{message_token(message_key)}@{self.identity.domain}>",
            date=now,
            details=details,
            footer=[],
        )

    # --- shared --------------------------------------------------------------------------

    def _subject(self, text: str) -> str:
        return header_text(f"[{self.identity.page_name}] {text}")

    def _footer(self, recipient: Recipient) -> list[_Line]:
        name = self.identity.page_name
        scope = (
            f" for {human_list(sorted(recipient.components, key=str.casefold))}"
            if recipient.components
            else ""
        )
        return [
            _Line(f"You receive this because you subscribed to {name} updates{scope}."),
            _Line("Manage your subscription:", recipient.manage_url),
            _Line("Unsubscribe:", recipient.unsubscribe_url),
        ]

    def _render(self, template: str, **context: Any) -> tuple[str, str]:
        text = self._env.get_template(f"{template}.txt.j2").render(**context)
        html = self._env.get_template(f"{template}.html.j2").render(**context)
        return text, html

    def _message(
        self,
        *,
        template: str,
        heading: str,
        subject: str,
        to: str,
        message_id: str,
        date: datetime,
        details: list[_Line],
        footer: list[_Line],
    ) -> EmailMessage:
        text, html = self._render(template, heading=heading, details=details, footer=footer)
        message = self._envelope(to=to, subject=self._subject(subject), date=date)
        message["Message-ID"] = message_id
        _alternatives(message, text, html)
        return message

    def _envelope(self, *, to: str, subject: str, date: datetime) -> EmailMessage:
        identity = self.identity
        message = EmailMessage(policy=POLICY)
        message["From"] = identity.sender
        message["To"] = _recipient_address(to)
        if identity.reply_to is not None:
            message["Reply-To"] = identity.reply_to
        message["Subject"] = subject
        message["Date"] = format_datetime(date.astimezone(identity.zone))
        message["Auto-Submitted"] = "auto-generated"
        return message


@dataclass(frozen=True)
class PreparedNotice:
    """A notice rendered once; :meth:`to` makes each subscriber's copy."""

    renderer: EmailRenderer
    content: NoticeContent
    subject: str
    context: dict[str, Any]
    body_text: str
    body_html: Markup

    def to(self, recipient: Recipient) -> EmailMessage:
        """The message for ``recipient``: the shared text, their links, their Message-ID."""
        r = self.renderer
        identity = r.identity
        footer = r._footer(recipient)
        text, html = r._render(
            "notice", **self.context, body=self.body_text, body_html=self.body_html, footer=footer
        )
        message = r._envelope(
            to=recipient.address, subject=self.subject, date=self.content.published_at
        )
        domain = identity.domain
        root = thread_root(self.content.incident_id, domain)
        message["Message-ID"] = notice_message_id(
            self.content.notice_id, recipient.subscriber_id, domain
        )
        message["In-Reply-To"] = root
        message["References"] = root
        unsubscribe = [f"<{_header_url(recipient.unsubscribe_url)}>"]
        if identity.unsubscribe_mailto:
            unsubscribe.append(f"<mailto:{identity.unsubscribe_mailto}?subject=unsubscribe>")
        message["List-Unsubscribe"] = ", ".join(unsubscribe)
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message["List-Id"] = _list_id(identity)
        message["Precedence"] = "bulk"
        message["X-Auto-Response-Suppress"] = "All"
        _alternatives(message, text, html)
        return message


def _alternatives(message: EmailMessage, text: str, html: str) -> None:
    """The two parts, under a boundary derived from their content: the same input gives the
    same bytes (a retry resends exactly what was sent), and no text can contain the boundary,
    which is a hash of that text."""
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    digest = hashlib.sha256(
        "\x00".join((str(message["Message-ID"]), text, html)).encode("utf-8", "surrogatepass")
    ).hexdigest()
    message.set_boundary(f"=_commsbot_{digest[:40]}")


def subscriber_link(
    purpose: TokenPurpose,
    subscriber: Subscriber,
    *,
    keys: SubscriptionKeys,
    base_url: str,
    now: datetime,
) -> str:
    """``{base_url}/subscriptions/{confirm|manage|unsubscribe}?token=…`` for ``subscriber``."""
    token = keys.issue_for(purpose, subscriber, now=now)
    return f"{base_url.rstrip('/')}/subscriptions/{LINK_ACTIONS[purpose]}?token={token}"


def recipient_for(
    subscriber: Subscriber, *, keys: SubscriptionKeys, base_url: str, now: datetime
) -> Recipient:
    """``subscriber`` with fresh manage and unsubscribe links, ready for :meth:`PreparedNotice.to`.

    The links change with ``now`` (their signing time) but the Message-ID does not, so a
    retry is the same message with links that are, if anything, valid for longer.
    """
    return Recipient(
        subscriber_id=subscriber.id,
        address=subscriber.address,
        manage_url=subscriber_link(
            TokenPurpose.MANAGE, subscriber, keys=keys, base_url=base_url, now=now
        ),
        unsubscribe_url=subscriber_link(
            TokenPurpose.UNSUBSCRIBE, subscriber, keys=keys, base_url=base_url, now=now
        ),
        components=tuple(sorted(subscriber.components, key=str.casefold)),
    )


def _recipient_address(address: str) -> Address:
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in address) or "@" not in address:
        raise ValueError(f"not a usable recipient address: {address!r}")
    local, _, domain = address.rpartition("@")
    return Address(username=local, domain=domain)


def _header_url(url: str) -> str:
    """``url`` with anything that could end the ``<…>`` or the line percent-encoded."""
    return quote(url, safe=":/?&=#%@!$'()*+,;~.-_[]")


def _list_id(identity: MailIdentity) -> str:
    label = header_text(identity.page_name, limit=100).replace("\\", "").replace('"', "")
    phrase = f'"{label}" ' if label.isascii() and label else ""
    return f"{phrase}<updates.{identity.domain}>"
