"""What the subscriber use cases and the sender engine need: a mail sender, a subscriber store,
a rate-limit counter. Adapters (``adapters/email``) and the store implement them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from enum import StrEnum
from typing import Any, ClassVar, Protocol

from commsbot.subscriptions.fanout import Fanout, FanoutContent, SendState
from commsbot.subscriptions.messages import MessageState, SubscriberMessage
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
        self,
        scope: NoticeScope,
        *,
        after: str | None,
        limit: int,
        corrects: str | None = None,
        as_of: datetime | None = None,
    ) -> Sequence[Subscriber]:
        """The next batch (by id, after the cursor ``after``) of subscribers that
        :func:`~commsbot.subscriptions.model.receives` a notice of ``scope``; for a
        correction, ``corrects`` is the corrected notice and the batch is those it was sent
        to (or is being sent to). ``as_of``: only those confirmed by then."""
        ...

    def count_audience(
        self, scope: NoticeScope, *, corrects: str | None = None, as_of: datetime | None = None
    ) -> int:
        """How many :meth:`audience` would return in all ("will notify 1,204 subscribers")."""
        ...

    def count_by_state(self) -> Mapping[SubscriberState, int]:
        """How many subscribers are in each state (states with none are left out)."""
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


# --- The fan-out ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendRecord:
    """One subscriber's copy of one fan-out, as the engine claims it."""

    fanout_id: str
    subscriber_id: str
    state: SendState
    attempts: int = 0
    maybe_sent: bool = False
    next_attempt_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class NewSend:
    """A row the main pass writes for a subscriber it reaches: claimed (``sending``) by
    ``owner`` until ``until``, or ``retrying`` at ``next_attempt_at`` (it waits for an
    earlier notice of the same subject to reach this subscriber first)."""

    subscriber_id: str
    state: SendState
    next_attempt_at: datetime | None = None
    last_error: str | None = None


class FanoutRepository(Protocol):
    """Fan-out rows (one per published notice). Part of the unit of work (``uow.fanouts``)."""

    def add(self, fanout: Fanout, *, content: Mapping[str, Any]) -> None: ...

    def next_position(self, subject_id: str) -> int:
        """One more than the subject's last fan-out position (1 for the first)."""
        ...

    def get(self, fanout_id: str) -> Fanout:
        """With its counts; raises NotFound."""
        ...

    def by_notice(self, notice_id: str) -> Fanout | None: ...

    def for_updates(self, update_ids: Sequence[str]) -> Mapping[str, Sequence[Fanout]]:
        """Update id → the fan-outs of it and of its corrections, with counts (the ledger)."""
        ...

    def list(
        self, *, subject_id: str | None = None, open_only: bool = False, limit: int = 100
    ) -> Sequence[Fanout]:
        """Newest first, with counts."""
        ...

    def content(self, fanout_id: str) -> dict[str, Any]: ...

    def workable(self, *, now: datetime) -> Fanout | None:
        """The oldest fan-out whose subscribers are still being reached, not paused (or whose
        pause is over), and with no earlier fan-out of its subject still being reached;
        locked for this transaction (other replicas skip it meanwhile)."""
        ...

    def advance(
        self, fanout_id: str, *, cursor: str | None, reached: int, finished_pass: bool
    ) -> None:
        """Move the cursor past this batch (``reached`` more rows written); at the end of the
        subscribers, the fan-out is ``finishing``."""
        ...

    def pause(self, fanout_id: str, *, until: datetime, error: str) -> bool:
        """Pause it until ``until``; True when the team has not been told yet (tell them)."""
        ...

    def resume(self, fanout_id: str) -> bool:
        """Clear a pause after a message went through; True when the team had been told."""
        ...

    def settle(self, fanout_ids: Sequence[str], *, now: datetime) -> None:
        """Mark ``done`` those that are ``finishing`` with no open row left."""
        ...


class SendRepository(Protocol):
    """Per-subscriber rows of the fan-outs (``uow.sends``). Conditional updates: True when
    this caller held the claim."""

    def add_many(
        self, fanout_id: str, rows: Sequence[NewSend], *, owner: str, until: datetime
    ) -> None: ...

    def blocked(self, *, subject_id: str, position: int, subscriber_ids: Sequence[str]) -> set[str]:
        """Those of ``subscriber_ids`` with an earlier notice of the subject still open."""
        ...

    def claim_due(
        self, *, owner: str, now: datetime, until: datetime, limit: int
    ) -> Sequence[SendRecord]:
        """Claim rows due for another attempt (retrying and due, or sending with an expired
        lease: a crashed holder, marked ``maybe_sent``), of fan-outs that are not paused."""
        ...

    def finish(
        self,
        fanout_id: str,
        subscriber_id: str,
        *,
        owner: str,
        state: SendState,
        now: datetime,
        next_attempt_at: datetime | None = None,
        error: str | None = None,
    ) -> bool: ...

    def release(self, *, owner: str, now: datetime) -> int:
        """Hand back every row ``owner`` holds (it stops): due again at once; how many."""
        ...

    def extend(self, *, owner: str, until: datetime) -> None:
        """Keep holding the rows ``owner`` is still sending, until ``until``."""
        ...

    def expire(self, *, now: datetime) -> Sequence[str]:
        """Give up rows still retrying past their fan-out's deadline; the fan-outs touched."""
        ...

    def counts(self, fanout_ids: Sequence[str]) -> Mapping[str, Mapping[SendState, int]]: ...


class MessageRepository(Protocol):
    """One-off messages (``uow.subscriber_messages``)."""

    def add(self, message: SubscriberMessage) -> None: ...

    def claim_due(
        self, *, owner: str, now: datetime, until: datetime, limit: int
    ) -> Sequence[SubscriberMessage]: ...

    def finish(
        self,
        message_id: str,
        *,
        owner: str,
        state: MessageState,
        now: datetime,
        next_attempt_at: datetime | None = None,
        error: str | None = None,
    ) -> bool: ...

    def release(self, *, owner: str, now: datetime) -> int: ...

    def extend(self, *, owner: str, until: datetime) -> None: ...


class SignupWindowRepository(WindowStore, Protocol):
    """The SQL :class:`WindowStore` (``uow.signup_windows``), atomic per key across replicas."""

    def sweep(self, *, before: datetime) -> int:
        """Forget keys with no hit since ``before``; how many."""
        ...


# --- Webhook subscriptions -----------------------------------------------------------------------


@dataclass(frozen=True)
class HookAnswer:
    """What a webhook subscription answered (2xx)."""

    status: int
    body: str = ""


class HookFailed(Exception):
    """A webhook subscription's request failed.

    Args:
        retryable: trying again may work (timeouts, 5xx, 429).
        gone: the endpoint said it does not want it any more (410): disable at once.
        ambiguous: the request may have been acted on.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = True,
        gone: bool = False,
        ambiguous: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.gone = gone
        self.ambiguous = ambiguous
        self.retry_after = retry_after


class HookSender(Protocol):
    """POSTs signed JSON to webhook subscriptions (``adapters/webhook/subscriptions.py``).

    It must check every address the URL's host resolves to with
    :func:`~commsbot.subscriptions.addresses.is_public_ip` (unless private addresses are
    allowed by configuration) and connect only to a checked one.
    """

    async def deliver(
        self,
        url: str,
        *,
        content: FanoutContent,
        delivery_id: str,
        key: str,
        secret: str | None,
        maybe_sent: bool = False,
    ) -> HookAnswer:
        """Send a published notice: for updates and corrections, exactly the payload webhook
        destinations get (built from ``content.delivery``). Raises HookFailed."""
        ...

    async def challenge(
        self,
        url: str,
        *,
        subscription: Mapping[str, Any],
        challenge: str,
        secret: str,
        key: str,
    ) -> HookAnswer:
        """The confirmation request: it carries the signing secret and a challenge the
        endpoint must echo. Raises HookFailed."""
        ...

    async def aclose(self) -> None: ...
