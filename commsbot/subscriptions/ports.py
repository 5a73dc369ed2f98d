"""What the subscriber use cases and the sender engine need: a mail sender, a subscriber store,
a rate-limit counter. Adapters (``adapters/email``) and the store implement them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from enum import StrEnum
from typing import ClassVar, Protocol

from commsbot.subscriptions.model import NoticeScope, Subscriber, SubscriberKind, SubscriberState

# --- Sending mail ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SendResult:
    """A message the server accepted.

    Attributes:
        message_id: the message's ``Message-ID`` header (ours: the same on every attempt).
        accepted: the envelope recipients the server took.
        refused: recipients refused while others were accepted (address → the server's reply);
            empty for the one-recipient messages subscribers get.
        response: the server's final reply, e.g. ``250 2.0.0 Ok: queued as 4F1A``.
    """

    message_id: str | None
    accepted: tuple[str, ...]
    refused: Mapping[str, str] = field(default_factory=dict)
    response: str = ""


class FailureScope(StrEnum):
    """How far a failure reaches, which decides what the engine does next."""

    #: Try again later (back-off): 4xx, connection refused or lost, timeouts.
    TEMPORARY = "temporary"
    #: This address is bad (5xx to RCPT TO, a hard bounce): mark it undeliverable.
    ADDRESS = "address"
    #: This message is refused (5xx after DATA: too big, content): record it failed; the
    #: address stays subscribed.
    MESSAGE = "message"
    #: The server refuses *us* (authentication, TLS, our sender address, a policy block):
    #: nothing will pass until the configuration is fixed. Alert the team, pause, and mark no
    #: address.
    SERVER = "server"


class MailFailed(Exception):
    """A message was not accepted. Catch the subclasses, or read ``scope``.

    Args:
        message: what happened, for the ledger and the log (never contains the password).
        code: the SMTP reply code, when there was one.
        maybe_sent: the connection was lost after the message data went out: the server may
            have queued it. Retrying is still right (subscribers may get it twice; the
            ``Message-ID`` is the same, so mail clients show one).
        retry_after: seconds to wait at least, when known.
        recipients: the addresses concerned (for ``ADDRESS``: those refused).
    """

    scope: ClassVar[FailureScope]

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        maybe_sent: bool = False,
        retry_after: float | None = None,
        recipients: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.code = code
        self.maybe_sent = maybe_sent
        self.retry_after = retry_after
        self.recipients = recipients

    @property
    def retryable(self) -> bool:
        return self.scope is FailureScope.TEMPORARY


class MailTemporaryFailure(MailFailed):
    scope = FailureScope.TEMPORARY


class MailAddressRefused(MailFailed):
    scope = FailureScope.ADDRESS


class MailMessageRefused(MailFailed):
    scope = FailureScope.MESSAGE


class MailServerRefused(MailFailed):
    scope = FailureScope.SERVER


class MailSender(Protocol):
    """Sends email, one message at a time, over whatever connection it keeps."""

    async def send(self, message: EmailMessage) -> SendResult:
        """Send ``message`` to the addresses in its ``To``/``Cc``/``Bcc`` headers.

        Raises:
            MailFailed: one of its four subclasses (see :class:`FailureScope`).
        """
        ...

    async def aclose(self) -> None:
        """Say goodbye to the server and close the connection."""
        ...


# --- Storing subscribers ----------------------------------------------------------------------


class SubscriberRepository(Protocol):
    """Subscribers in the database (one per (kind, address key)). Part of the unit of work."""

    def add(self, subscriber: Subscriber) -> None: ...

    def get(self, subscriber_id: str) -> Subscriber | None:
        """None when it does not exist (a link to a deleted subscriber is not an error)."""
        ...

    def find(self, kind: SubscriberKind, address: str) -> Subscriber | None:
        """By address, compared as :func:`~commsbot.subscriptions.addresses.address_key`."""
        ...

    def save(self, subscriber: Subscriber) -> None:
        """Write changes made to a loaded subscriber (optimistically locked)."""
        ...

    def delete(self, subscriber_id: str) -> bool:
        """Forget a subscriber and what was sent to it; False when there was none."""
        ...

    def page(
        self, *, after: str | None, limit: int, state: SubscriberState | None = None
    ) -> Sequence[Subscriber]:
        """Subscribers with id greater than ``after`` (all when None), by id, at most
        ``limit``; for listing and export without holding every row."""
        ...

    def audience(
        self, scope: NoticeScope, *, after: str | None, limit: int, corrects: str | None = None
    ) -> Sequence[Subscriber]:
        """The next batch (by id, after the cursor ``after``) of subscribers that
        :func:`~commsbot.subscriptions.model.receives` a notice of ``scope``; for a
        correction, ``corrects`` is the corrected notice and the batch is those it was sent
        to."""
        ...

    def count_audience(self, scope: NoticeScope, *, corrects: str | None = None) -> int:
        """How many :meth:`audience` would return in all ("will notify 1,204 subscribers")."""
        ...

    def prune_pending(self, *, requested_before: datetime) -> int:
        """Delete pending subscribers requested at or before ``requested_before``; how many."""
        ...


# --- Counting sign-ups --------------------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    """At most ``count`` hits per key in any ``window``."""

    count: int
    window: timedelta

    def __post_init__(self) -> None:
        if self.count < 1 or self.window <= timedelta(0):
            raise ValueError("a limit needs count ≥ 1 and a positive window")


@dataclass(frozen=True)
class Verdict:
    """The answer of one :meth:`WindowStore.take`. ``retry_after``: how long until the oldest
    recorded hit leaves the window (None when allowed)."""

    allowed: bool
    retry_after: timedelta | None = None


class WindowStore(Protocol):
    """Counts hits per key in a sliding window. :meth:`take` must be atomic per key, across
    every replica (see :mod:`commsbot.subscriptions.ratelimit` for how a SQL store does it)."""

    def take(self, key: str, *, limit: Limit, now: datetime) -> Verdict:
        """Record a hit for ``key`` at ``now`` if it has fewer than ``limit.count`` hits in
        the window ending at ``now``, and say whether it did."""
        ...
