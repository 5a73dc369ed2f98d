"""Assembling subscriber emails safely and cheaply from text already rendered.

A notice goes to thousands of subscribers, and the standard library parses every header it is
given (≈0.1 ms each) and re-encodes every part: building 10,000 messages that way would cost
more than sending them. So a message is assembled from header objects parsed once per notice
(shared by every copy: they are immutable) plus the few that differ per subscriber, and from
parts encoded once per notice plus each subscriber's footer. The result is an ordinary
:class:`~email.message.EmailMessage` under :data:`POLICY`; the tests parse its bytes back with
``email.policy.default``.

Two fixes to the email package's folding, as header classes of :data:`POLICY`:

- ``List-Unsubscribe``, ``In-Reply-To``, ``References``: written as they are. The package would
  RFC 2047-encode a URL or id longer than one line, which breaks one-click unsubscribe and
  threading.
- ``Subject``: non-ASCII values are encoded whole by :class:`email.header.Header`; the package's
  own folder drops the space between two encoded words ("gestört — 決済" came back as
  "gestört —決済").
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from email import quoprimime
from email.header import Header
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage, MIMEPart
from email.policy import EmailPolicy, Policy
from email.policy import default as default_policy
from typing import Any

MAX_SUBJECT = 200
_TOKEN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
# A dot-atom address: safe to store as a raw header value without parsing it.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9.-]{1,253}")
_BIDI = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F])


class _Literal(UnstructuredHeader, BaseHeader):
    """Written as it is, folded only between list items. Values are ASCII (else the package's
    own folding applies); CR and LF are refused when the header is made."""

    def fold(self, *, policy: Policy[Any]) -> str:
        value = str(self)
        if not value.isascii():
            return super().fold(policy=policy)
        return f"{self.name}: " + f",{policy.linesep} ".join(value.split(", ")) + policy.linesep


class _Encoded(UnstructuredHeader, BaseHeader):
    """Non-ASCII values RFC 2047-encoded whole, every character (and space) kept."""

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


#: The policy of every message built here (the default one, with the two header classes).
POLICY = _policy()


def header(name: str, value: str | Address) -> Any:
    """A header object for ``name``, parsed once (CR and LF refused, as on assignment)."""
    return POLICY.header_store_parse(name, value)[1]


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
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def recipient_header(address: str) -> Any:
    """The ``To`` value for ``address``: the plain text when it is a dot-atom address (no
    parsing needed), else a parsed header. Raises ValueError on anything that is not one
    address."""
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in address) or "@" not in address:
        raise ValueError(f"not a usable recipient address: {address!r}")
    if _PLAIN_ADDRESS.fullmatch(address) and len(address) <= 70:
        return address
    local, _, domain = address.rpartition("@")
    return header("To", Address(username=local, domain=domain))


def qp(text: str) -> str:
    """``text`` (ending in a newline) as UTF-8 quoted-printable, as ``set_content`` encodes
    it. Pieces split at line ends encode to the same as the whole, so a shared part is encoded
    once per notice and only each subscriber's footer per message."""
    lines = text.encode("utf-8", "surrogatepass").splitlines()
    return quoprimime.body_encode((b"\n".join(lines) + b"\n").decode("latin-1"), 78)


def _part(subtype: str, encoded: str) -> MIMEPart:
    part = MIMEPart(policy=POLICY)
    part.set_raw("Content-Type", f'text/{subtype}; charset="utf-8"')
    part.set_raw("Content-Transfer-Encoding", "quoted-printable")
    part.set_payload(encoded)
    return part


def assemble(headers: Sequence[tuple[str, Any]], *, text: str, html: str) -> EmailMessage:
    """A multipart/alternative message of ``headers`` (header objects or safe raw text) and two
    quoted-printable parts.

    The boundary is derived from the parts: the same input gives the same bytes (a retry resends
    exactly what was sent), and no text can contain the boundary, which is a hash of that text.
    """
    message = EmailMessage(policy=POLICY)
    for name, value in headers:
        message.set_raw(name, value)
    digest = hashlib.sha256(f"{text}\x00{html}".encode("ascii")).hexdigest()[:40]
    message.set_raw("MIME-Version", "1.0")
    message.set_raw("Content-Type", f'multipart/alternative; boundary="=_commsbot_{digest}"')
    message.set_payload([_part("plain", text), _part("html", html)])
    return message


def thread_root(incident_id: str, domain: str) -> str:
    """The id every message of one incident refers to: ``<incident-{id}@{domain}>``."""
    return f"<incident-{message_token(incident_id)}@{domain}>"


def notice_message_id(notice_id: str, subscriber_id: str, domain: str) -> str:
    """The Message-ID of one notice to one subscriber, the same on every attempt."""
    return f"<{message_token(notice_id)}.{message_token(subscriber_id)}@{domain}>"
