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

Every header value made from text goes through
:func:`~commsbot.subscriptions.mime.header_text` (no CR, LF or other control characters;
non-ASCII is RFC 2047-encoded). ``Message-ID`` parts that are not plain tokens are hashed.
Messages are assembled by :mod:`~commsbot.subscriptions.mime`: headers and text shared by every
copy of a notice are parsed and encoded once (:meth:`EmailRenderer.prepare`), and each copy adds
only its recipient, Message-ID, unsubscribe link and footer (:meth:`PreparedNotice.to`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from commsbot.subscriptions.mime import (
    assemble,
    header,
    header_text,
    message_token,
    notice_message_id,
    qp,
    recipient_header,
    thread_root,
)
from commsbot.subscriptions.model import NoticeKind, Subscriber
from commsbot.subscriptions.text import email_text, paragraphs, when
from commsbot.subscriptions.tokens import SubscriptionKeys, TokenPurpose
from commsbot.templates import human_list

#: Where the status page serves subscriber links: ``{page}/subscriptions/{action}?token=…``.
LINK_ACTIONS = {
    TokenPurpose.CONFIRM: "confirm",
    TokenPurpose.MANAGE: "manage",
    TokenPurpose.UNSUBSCRIBE: "unsubscribe",
}
_FOOTER_MARK = "<!--commsbot-footer-->\n"
ONE_CLICK = "List-Unsubscribe=One-Click"


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


class EmailRenderer:
    """Builds every email subscribers get, for one page.

    Example:
        >>> renderer = EmailRenderer(identity)
        >>> prepared = renderer.prepare(content)        # once per notice
        >>> message = prepared.to(recipient)             # once per subscriber
    """

    def __init__(self, identity: MailIdentity) -> None:
        self.identity = identity
        # Imported here, not at the top: read-only CLI commands load this module for its
        # types (through services.results) and must not pay for Jinja2.
        import jinja2

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
        body = email_text(content.body)
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
            "body": body,
            "body_html": paragraphs(body),
        }
        text = self._render("notice.txt.j2", **context)
        page = self._render("notice.html.j2", **context, footer_marker=True)
        html, _, tail = page.partition(_FOOTER_MARK)
        domain = self.identity.domain
        root = thread_root(content.incident_id, domain)
        shared = [
            *self._shared(subject=self._subject(subject), date=content.published_at),
            ("In-Reply-To", header("In-Reply-To", root)),
            ("References", header("References", root)),
            ("List-Id", header("List-Id", _list_id(self.identity))),
            (
                "List-Unsubscribe-Post",
                header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ),
            ("Precedence", header("Precedence", "bulk")),
            ("Auto-Submitted", header("Auto-Submitted", "auto-generated")),
            ("X-Auto-Response-Suppress", header("X-Auto-Response-Suppress", "All")),
        ]
        return PreparedNotice(
            renderer=self,
            content=content,
            headers=tuple(shared),
            text=qp(text),
            html=qp(html),
            html_tail=qp(tail),
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

    def _render(self, template: str, **context: Any) -> str:
        return self._env.get_template(template).render(**context)

    def _shared(self, *, subject: str, date: datetime) -> list[tuple[str, Any]]:
        """Headers every copy shares, parsed once."""
        identity = self.identity
        headers = [("From", header("From", identity.sender))]
        if identity.reply_to is not None:
            headers.append(("Reply-To", header("Reply-To", identity.reply_to)))
        headers += [
            ("Subject", header("Subject", subject)),
            ("Date", header("Date", format_datetime(date.astimezone(identity.zone)))),
        ]
        return headers

    def _message(
        self,
        *,
        heading: str,
        subject: str,
        to: str,
        message_id: str,
        date: datetime,
        details: list[_Line],
        footer: list[_Line],
    ) -> EmailMessage:
        context = {"heading": heading, "details": details, "footer": footer}
        text = self._render("message.txt.j2", **context)
        html = self._render("message.html.j2", **context, footer_marker=False)
        headers = [
            *self._shared(subject=self._subject(subject), date=date),
            ("To", recipient_header(to)),
            ("Message-ID", message_id),
            ("Auto-Submitted", "auto-generated"),
        ]
        return assemble(_ordered(headers), text=qp(text), html=qp(html))


#: The order headers are written in (those not listed come last, as given).
_ORDER = {
    name: n
    for n, name in enumerate(
        [
            "From",
            "To",
            "Reply-To",
            "Subject",
            "Date",
            "Message-ID",
            "In-Reply-To",
            "References",
            "List-Id",
            "List-Unsubscribe",
            "List-Unsubscribe-Post",
            "Precedence",
            "Auto-Submitted",
            "X-Auto-Response-Suppress",
        ]
    )
}


def _ordered(headers: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return sorted(headers, key=lambda item: _ORDER.get(item[0], len(_ORDER)))


@dataclass(frozen=True)
class PreparedNotice:
    """A notice rendered and encoded once; :meth:`to` makes each subscriber's copy.

    Attributes:
        content: the notice.
        text / html: the plain and HTML parts up to the footer, quoted-printable encoded;
            ``html_tail`` is what follows the footer.
        headers: the headers every copy shares (parsed header objects).
    """

    renderer: EmailRenderer
    content: NoticeContent
    headers: tuple[tuple[str, Any], ...]
    text: str
    html: str
    html_tail: str

    def to(self, recipient: Recipient) -> EmailMessage:
        """The message for ``recipient``: the shared text, their links, their Message-ID."""
        r = self.renderer
        identity = r.identity
        footer = r._footer(recipient)
        text = self.text + qp(r._render("_footer.txt.j2", footer=footer))
        html = self.html + qp(r._render("_footer.html.j2", footer=footer)) + self.html_tail
        unsubscribe = [f"<{_header_url(recipient.unsubscribe_url)}>"]
        if identity.unsubscribe_mailto:
            unsubscribe.append(f"<mailto:{identity.unsubscribe_mailto}?subject=unsubscribe>")
        message_id = notice_message_id(
            self.content.notice_id, recipient.subscriber_id, identity.domain
        )
        headers = [
            *self.headers,
            ("To", recipient_header(recipient.address)),
            ("Message-ID", message_id),
            ("List-Unsubscribe", header("List-Unsubscribe", ", ".join(unsubscribe))),
        ]
        return assemble(_ordered(headers), text=text, html=html)


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


def _header_url(url: str) -> str:
    """``url`` with anything that could end the ``<…>`` or the line percent-encoded."""
    return quote(url, safe=":/?&=#%@!$'()*+,;~.-_[]")


def _list_id(identity: MailIdentity) -> str:
    label = header_text(identity.page_name, limit=100).replace("\\", "").replace('"', "")
    phrase = f'"{label}" ' if label.isascii() and label else ""
    return f"{phrase}<updates.{identity.domain}>"
