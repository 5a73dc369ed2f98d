"""Signed links for subscribers (confirm, manage, unsubscribe) and keyed hashes of clients.

A token is ``itsdangerous``' URL-safe signed JSON of ``[purpose, subscriber id, generation,
issued at]`` under HMAC-SHA256 (constant-time comparison, key derivation with a salt of our
own). What that buys:

- **purpose-bound**: a confirm token cannot unsubscribe, nor an unsubscribe token confirm
  (:class:`TokenWrongPurpose`);
- **expiring**: each purpose has a lifetime (confirm: 24 h; manage: 90 days; unsubscribe:
  365 days, because an unsubscribe link in an old email must keep working) and an expired token
  says so (:class:`TokenExpired`), rather than looking forged;
- **replay-safe**: the token names the subscription's *generation*; after the subscriber
  starts over (signs up again after a bounce, or is deleted and re-added under a new id), old
  links no longer act on it (:func:`ensure_current` → :class:`TokenSuperseded`);
- **key rotation**: several secrets are accepted; the first signs, all verify, so a new
  secret can be put in front and the old one dropped once its links have expired.

One token serves both the unsubscribe link in the footer and the RFC 8058 one-click
``List-Unsubscribe`` URL: the page shows a button on GET and unsubscribes on POST, so that mail
scanners that follow links unsubscribe nobody.

Pure apart from the secrets passed in: the current time is an argument.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from commsbot.domain.errors import InvalidInput
from commsbot.subscriptions.addresses import address_key, client_network
from commsbot.subscriptions.model import Subscriber

#: Kept apart from any other use of the same secret.
_SALT = b"commsbot.subscriptions.link.v1"
_HASH_CONTEXT = b"commsbot.subscriptions.hash.v1"
#: Longer input is refused before any parsing (a real token is about 120 characters).
MAX_TOKEN_LENGTH = 512
MIN_SECRET_LENGTH = 32
#: Replicas' clocks may disagree a little; a token "issued" further ahead is refused.
_SKEW = timedelta(minutes=5)


class TokenPurpose(StrEnum):
    CONFIRM = "confirm"
    MANAGE = "manage"
    UNSUBSCRIBE = "unsubscribe"


DEFAULT_LIFETIMES: Mapping[TokenPurpose, timedelta] = {
    TokenPurpose.CONFIRM: timedelta(hours=24),
    TokenPurpose.MANAGE: timedelta(days=90),
    TokenPurpose.UNSUBSCRIBE: timedelta(days=365),
}

_WHAT = {
    TokenPurpose.CONFIRM: "confirmation link",
    TokenPurpose.MANAGE: "link to manage your subscription",
    TokenPurpose.UNSUBSCRIBE: "unsubscribe link",
}


class TokenError(InvalidInput):
    """A link cannot be used. The message is for the person who opened it."""

    code = "invalid_token"
    field = "token"


class TokenForged(TokenError):
    """Not a token we signed (tampered with, truncated, or signed with a retired secret)."""

    code = "forged_token"


class TokenExpired(TokenError):
    """A token we signed, older than its purpose's lifetime."""

    code = "expired_token"


class TokenWrongPurpose(TokenError):
    """A token we signed for another purpose (a confirm link used to unsubscribe, …)."""

    code = "wrong_purpose_token"


class TokenSuperseded(TokenError):
    """A token for a subscription that has since started over, or no longer exists."""

    code = "superseded_token"


@dataclass(frozen=True)
class TokenClaims:
    """What a verified token says."""

    purpose: TokenPurpose
    subscriber_id: str
    generation: int
    issued_at: datetime


class SubscriptionKeys:
    """Signs and verifies subscriber links; hashes client networks and addresses.

    Args:
        secrets: the signing secrets, newest first (at least one, each ≥ 32 characters); the
            first signs, every one verifies.
        lifetimes: per purpose, how long a token stays valid (defaults: :data:`DEFAULT_LIFETIMES`).

    Example:
        >>> keys = SubscriptionKeys(["x" * 32])
        >>> token = keys.issue(TokenPurpose.CONFIRM, subscriber_id="s1", generation=1, now=now)
        >>> keys.verify(token, TokenPurpose.CONFIRM, now=now).subscriber_id  # doctest: +SKIP
        's1'
    """

    def __init__(
        self,
        secrets: Sequence[str | bytes],
        *,
        lifetimes: Mapping[TokenPurpose, timedelta] | None = None,
    ) -> None:
        keys = [s.encode() if isinstance(s, str) else bytes(s) for s in secrets]
        if not keys:
            raise ValueError("at least one secret is needed to sign subscriber links")
        short = [i for i, k in enumerate(keys) if len(k) < MIN_SECRET_LENGTH]
        if short:
            raise ValueError(
                f"secret number {short[0] + 1} is shorter than {MIN_SECRET_LENGTH} characters; "
                "use a long random one (python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))')"
            )
        self.lifetimes = {**DEFAULT_LIFETIMES, **(lifetimes or {})}
        # itsdangerous signs with the *last* key and tries them newest first.
        self._serializer = URLSafeSerializer(
            list(reversed(keys)),
            salt=_SALT,
            signer_kwargs={"digest_method": hashlib.sha256},
        )
        self._hash_key = hmac.new(keys[0], _HASH_CONTEXT, hashlib.sha256).digest()

    def issue(
        self, purpose: TokenPurpose, *, subscriber_id: str, generation: int, now: datetime
    ) -> str:
        """A token for ``purpose`` on this subscription, valid for the purpose's lifetime."""
        stamp = int(now.timestamp())
        return self._serializer.dumps([purpose.value, subscriber_id, generation, stamp])

    def issue_for(self, purpose: TokenPurpose, subscriber: Subscriber, *, now: datetime) -> str:
        """:meth:`issue` for ``subscriber``'s id and current generation."""
        return self.issue(
            purpose, subscriber_id=subscriber.id, generation=subscriber.generation, now=now
        )

    def verify(self, token: str, purpose: TokenPurpose, *, now: datetime) -> TokenClaims:
        """What ``token`` says, if we signed it for ``purpose`` and it has not expired.

        Raises:
            TokenForged, TokenWrongPurpose, TokenExpired: with a message for the person.
        """
        what = _WHAT[purpose]
        forged = TokenForged(
            f"this {what} is not valid (it may have been cut short or changed); copy the whole "
            "link from the email, or ask for a new one"
        )
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
            raise forged
        try:
            data: Any = self._serializer.loads(token)
        except BadSignature:
            raise forged from None
        claims = _claims(data)
        if claims is None:
            raise forged
        if claims.purpose is not purpose:
            raise TokenWrongPurpose(
                f"this link is a {_WHAT[claims.purpose]}, not a {what}; use the right link "
                "from the email"
            )
        lifetime = self.lifetimes[purpose]
        if claims.issued_at > now + _SKEW:
            raise forged
        if now - claims.issued_at > lifetime:
            raise TokenExpired(
                f"this {what} has expired (links like it last {_duration(lifetime)}); "
                + (
                    "subscribe again to get a new one"
                    if purpose is TokenPurpose.CONFIRM
                    else "use the link in a more recent email, or subscribe again"
                )
            )
        return claims

    def client_hash(self, client: str) -> str:
        """A keyed hash of the client's network (:func:`~commsbot.subscriptions.addresses.
        client_network`), for consent records and per-client rate limits: equal for the same
        network, meaningless without the secret. Changes when the signing secret does."""
        return self._hash("client", client_network(client))

    def address_hash(self, address: str) -> str:
        """A keyed hash of an email address (:func:`address_key`), for per-address limits."""
        return self._hash("address", address_key(address))

    def csrf_token(self, nonce: str) -> str:
        """A form token (``nonce.mac``) for the double-submit cookie of the sign-up form."""
        return f"{nonce}.{self._hash('csrf', nonce)}"

    def check_csrf_token(self, token: str) -> bool:
        """Whether ``token`` was made by :meth:`csrf_token` with this secret."""
        nonce, _, mac = token.partition(".")
        if not nonce or len(token) > 200:
            return False
        return hmac.compare_digest(mac, self._hash("csrf", nonce))

    def _hash(self, kind: str, value: str) -> str:
        mac = hmac.new(self._hash_key, f"{kind}\x00{value}".encode(), hashlib.sha256)
        return mac.hexdigest()[:32]


def ensure_current(claims: TokenClaims, subscriber: Subscriber | None) -> Subscriber:
    """``subscriber`` if ``claims`` were issued for it as it is now.

    The caller loads the subscriber by ``claims.subscriber_id`` (None when it no longer exists)
    and calls this before acting on the link.

    Raises:
        TokenSuperseded: it no longer exists, or has started over since the link was made (an
            old unsubscribe link must not remove a new subscription).
    """
    if subscriber is None or subscriber.id != claims.subscriber_id:
        raise TokenSuperseded(
            "this link is for a subscription that no longer exists; nothing was changed"
        )
    if subscriber.generation != claims.generation:
        raise TokenSuperseded(
            "this link is from an earlier subscription of this address; nothing was changed. "
            "Use the link in the most recent email"
        )
    return subscriber


def _claims(data: Any) -> TokenClaims | None:
    if not (isinstance(data, list) and len(data) == 4):
        return None
    purpose, subscriber_id, generation, stamp = data
    if not (
        isinstance(purpose, str)
        and purpose in TokenPurpose.__members__.values()
        and isinstance(subscriber_id, str)
        and isinstance(generation, int)
        and isinstance(stamp, int)
        and not isinstance(generation, bool)
    ):
        return None
    try:
        issued = datetime.fromtimestamp(stamp, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return TokenClaims(TokenPurpose(purpose), subscriber_id, generation, issued)


def _duration(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    if hours < 48:
        return f"{hours:g} hours"
    return f"{hours / 24:g} days"
