"""Where subscribers are reached: email addresses and webhook URLs, checked before they are kept.

Every refusal is an :class:`InvalidSubscription` naming the field (``email``, ``url``) and saying
what is wrong and what would be right. Nothing here touches the network: email deliverability
(DNS) is checked only when the caller asks for it.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from commsbot.domain.errors import InvalidInput

#: RFC 5321 (4.5.3.1.3 and errata 1690): a path is at most 256 octets including the angle
#: brackets, so an address is at most 254.
MAX_EMAIL_LENGTH = 254
#: Longer URLs are refused by many servers and proxies; no real webhook needs more.
MAX_URL_LENGTH = 2000
#: Characters that end or split a header line, or end a C string.
_BREAKERS = {"\r": "a carriage return (CR)", "\n": "a line feed (LF)", "\x00": "a NUL character"}
_LOCAL_HOSTS = frozenset({"localhost", "localhost.localdomain"})


class InvalidSubscription(InvalidInput):
    """A subscription request was refused; ``field`` names the part that is wrong."""

    code = "invalid_subscription"

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


def _control(text: str) -> str | None:
    """A description of the first control character in ``text``, or None."""
    for char in text:
        if char in _BREAKERS:
            return _BREAKERS[char]
        if unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            return f"the control character U+{ord(char):04X}"
    return None


def validate_email_address(raw: str, *, check_deliverability: bool = False) -> str:
    """The normalised form of ``raw`` (domain lower-cased and IDNA-checked), or a refusal.

    Args:
        raw: what the person typed; surrounding spaces are ignored.
        check_deliverability: also look up the domain's MX records (DNS). Off by default: a
            sign-up must not wait on DNS, and the confirmation email proves the address.

    Raises:
        InvalidSubscription: with ``field="email"``: header-breaking characters (CR, LF, NUL),
            longer than 254 characters, a display name, or not an address at all.

    Example:
        >>> validate_email_address("  Ada@Example.COM ")
        'Ada@example.com'
    """
    text = raw.strip()
    if not text:
        raise InvalidSubscription(
            "the email address is empty; write one like ada@example.com", field="email"
        )
    bad = _control(text)
    if bad is not None:
        raise InvalidSubscription(
            f"the email address contains {bad}; write the address alone on one line",
            field="email",
        )
    if len(text) > MAX_EMAIL_LENGTH:
        raise InvalidSubscription(
            f"the email address is {len(text)} characters long; the longest an address can be "
            f"is {MAX_EMAIL_LENGTH}",
            field="email",
        )
    try:
        checked = validate_email(text, check_deliverability=check_deliverability)
    except EmailNotValidError as exc:
        raise InvalidSubscription(
            f"{text!r} is not a usable email address: {exc}", field="email"
        ) from None
    return checked.normalized


def address_key(address: str) -> str:
    """The form two addresses are compared in (unique per subscriber, rate-limit key).

    The local part is case-sensitive in theory, but no mail provider treats ``Ada@`` and
    ``ada@`` as two people, and treating them as two would let one person be signed up twice.
    """
    return unicodedata.normalize("NFC", address).casefold()


def is_public_ip(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether ``address`` is a global unicast address (not private, loopback, link-local,
    multicast, reserved or unspecified). A webhook sender calls this on each address the host
    name resolves to, so a public host name cannot point us at an internal service."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return is_public_ip(address.ipv4_mapped)
    return address.is_global and not address.is_multicast


def _is_loopback(host: str) -> bool:
    if host in _LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_webhook_url(raw: str, *, allow_private: bool = False) -> str:
    """``raw`` checked as a webhook subscription's URL, returned stripped.

    Rules: ``https://`` with a host; no user name or password in the URL (use a token in the
    path or query); no fragment; at most 2,000 characters. An IP address or host name that
    cannot be public (``10.0.0.1``, ``localhost``, ``[::1]``, ``169.254.169.254``) is refused
    unless ``allow_private`` (a test or an intranet deployment): otherwise anyone could make the
    bot POST to services behind the firewall. With ``allow_private``, plain ``http://`` is
    accepted for loopback hosts only (a receiver on the same machine).

    Raises:
        InvalidSubscription: with ``field="url"``, saying which rule was broken.
    """
    text = raw.strip()
    if not text:
        raise InvalidSubscription(
            "the webhook URL is empty; write one like https://hooks.example.com/status",
            field="url",
        )
    bad = _control(text)
    if bad is not None or any(c.isspace() for c in text):
        what = bad or "a space"
        raise InvalidSubscription(
            f"the webhook URL contains {what}; write the URL alone, without spaces",
            field="url",
        )
    if len(text) > MAX_URL_LENGTH:
        raise InvalidSubscription(
            f"the webhook URL is {len(text)} characters long; the most allowed is {MAX_URL_LENGTH}",
            field="url",
        )
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").rstrip(".")
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError as exc:
        raise InvalidSubscription(f"the webhook URL is malformed: {exc}", field="url") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise InvalidSubscription(
            f"the webhook URL must start with https:// (it starts with {scheme or text[:10]!r})",
            field="url",
        )
    if not host:
        raise InvalidSubscription(
            "the webhook URL has no host; write one like https://hooks.example.com/status",
            field="url",
        )
    if parts.username is not None or parts.password is not None:
        raise InvalidSubscription(
            "the webhook URL carries a user name or password (user:pass@host); those would be "
            "stored and shown in clear: put a token in the path or query instead",
            field="url",
        )
    if parts.fragment or text.endswith("#"):
        raise InvalidSubscription(
            "the webhook URL has a #fragment, which is never sent to the server; remove it",
            field="url",
        )
    private = _is_loopback(host) or _private_literal(host)
    if private and not allow_private:
        raise InvalidSubscription(
            f"the webhook URL points at {host}, which is not a public address; use a URL "
            "that the internet can reach",
            field="url",
        )
    if scheme == "http" and not (allow_private and _is_loopback(host)):
        raise InvalidSubscription(
            "the webhook URL must use https:// so that updates and their signature cannot be "
            "read or changed on the way",
            field="url",
        )
    return text


def _private_literal(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        # A name: only its resolution tells, and the sender checks that (is_public_ip).
        return host.endswith((".localhost", ".local", ".internal"))
    return not is_public_ip(address)


def client_network(client: str) -> str:
    """The network a client address stands for, as text: an IPv4 address itself, an IPv6
    address's /64 (one household or server gets a whole /64, so limiting single IPv6 addresses
    would limit nothing). IPv4-mapped IPv6 counts as IPv4. Not an IP address (a proxy gave
    something odd): the text itself, stripped.
    """
    text = client.strip()
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return text
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
