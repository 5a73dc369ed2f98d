"""The broadcast engine's ports: the outbox's three faces, and the targets it delivers to.

The outbox holds one row per published update and destination, written in the approving
transaction (:class:`DeliveryOutbox`, ``uow.outbox``); the dispatcher works the rows
(:class:`DeliveryQueue`, ``uow.queue``) and hands each to its :class:`Destination`, retrying
until it is sent; what was delivered is read back from :class:`DeliveryLedger`
(``uow.ledger``). Internal notices (approval requests, reminders, dead deliveries) go to
:class:`Notifier` s the same way. The SQL implementation is ``commsbot.store.deliveries``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from commsbot.delivery.model import DeliveryRecord, DeliveryState
from commsbot.delivery.snapshot import MaintenancePost
from commsbot.domain.model import IncidentSnapshot, Update


class DeliveryOutbox(Protocol):
    """Planning deliveries and notices inside the use cases' transactions (``uow.outbox``)."""

    def add(self, record: DeliveryRecord, *, snapshot: Mapping[str, Any] | None = None) -> None:
        """Insert a delivery; ``snapshot`` is what it sends (``delivery.snapshot.freeze``)."""
        ...

    def next_position(self, incident_id: str) -> int:
        """One more than the highest position of the incident's deliveries (1 for the first)."""
        ...

    def add_notice(self, notice_id: str, notice: Notice, *, created_at: datetime | None) -> None:
        """Store a notice; the dispatcher expands it into one delivery per notifier."""
        ...

    def for_update(self, update_id: str) -> Sequence[DeliveryRecord]:
        """Deliveries of the update itself and of its corrections, oldest first."""
        ...


class DeliveryQueue(Protocol):
    """What the dispatcher works (``uow.queue``): notices to expand, due deliveries, claims
    with leases, and how each attempt ended. Conditional updates: True (or the record) when
    this caller won."""

    def unexpanded_notices(
        self, *, limit: int = 100
    ) -> Sequence[tuple[str, Notice, datetime | None]]:
        """Notices no dispatcher has expanded yet: (id, notice, enqueued at)."""
        ...

    def claim_notice(self, notice_id: str, *, now: datetime) -> bool:
        """Mark a notice expanded; only the one caller that gets True adds its deliveries."""
        ...

    def due(
        self,
        *,
        now: datetime,
        destinations: Collection[str],
        notifiers: Collection[str],
        limit: int = 500,
    ) -> Sequence[DeliveryRecord]:
        """The first claimable delivery of each of these targets, oldest first."""
        ...

    def next_wakeup(self, *, after: datetime) -> datetime | None:
        """The earliest future moment an open delivery becomes due or its lease expires."""
        ...

    def claim(
        self, delivery_id: str, *, owner: str, now: datetime, until: datetime
    ) -> DeliveryRecord | None:
        """Take a delivery for one attempt until ``until``, or None when someone else has it."""
        ...

    def mark_sent(self, delivery_id: str, *, owner: str, now: datetime, receipt: Receipt) -> bool:
        """Record success; False when ``owner`` no longer holds the lease."""
        ...

    def mark_retry(
        self,
        delivery_id: str,
        *,
        owner: str,
        next_attempt_at: datetime,
        error: str,
        maybe_sent: bool,
    ) -> bool:
        """Record a failure to try again at ``next_attempt_at``; False when the lease was lost."""
        ...

    def mark_dead(
        self, delivery_id: str, *, owner: str, now: datetime, error: str, maybe_sent: bool
    ) -> bool:
        """Record that it will not be tried again; False when the lease was lost."""
        ...

    def expire(self, delivery_id: str, *, now: datetime, error: str) -> bool:
        """Make an open delivery to an unconfigured target dead (no lease needed)."""
        ...

    def open_targets(self) -> set[tuple[bool, str]]:
        """(is a notice, target) of every target that has open deliveries."""
        ...

    def open_for_target(
        self, *, notice: bool, target: str, limit: int = 100
    ) -> Sequence[DeliveryRecord]:
        """Open deliveries to ``target``."""
        ...

    def remember_thread(
        self, *, target: str, incident_id: str, thread_id: str, now: datetime
    ) -> None:
        """Keep the thread ``target`` returned for the incident (later deliveries reply in it)."""
        ...


class DeliveryLedger(Protocol):
    """What was delivered and how it stands (``uow.ledger``): for people (``delivery list``,
    ``incident show``, re-driving) and for an attempt (what it sends, what came before)."""

    def get(self, delivery_id: str) -> DeliveryRecord:
        """Raises NotFound."""
        ...

    def list(
        self,
        *,
        state: DeliveryState | None = None,
        incident_id: str | None = None,
        limit: int = 100,
    ) -> Sequence[DeliveryRecord]:
        """Newest first."""
        ...

    def for_incident(self, incident_id: str) -> Sequence[DeliveryRecord]:
        """Deliveries of the incident's updates and corrections (not notices), in order."""
        ...

    def redrive(self, delivery_id: str, *, now: datetime, deadline_at: datetime) -> bool:
        """Make a dead delivery pending again; False when it is not dead (any more)."""
        ...

    def notice(self, notice_id: str) -> Notice:
        """The notice as enqueued; raises NotFound."""
        ...

    def snapshot_of(self, delivery_id: str) -> dict[str, Any] | None:
        """What the delivery sends, frozen when it was planned (None for very old rows)."""
        ...

    def message_id_for(self, *, update_id: str, target: str) -> str | None:
        """The platform's id for the delivery of the update itself (not a correction)."""
        ...

    def thread_for(self, *, target: str, incident_id: str) -> str | None:
        """The thread ``target`` returned for the incident's earlier deliveries, if any."""
        ...

    def notice_message_id(
        self, *, target: str, incident_id: str, kind: str, draft_id: str
    ) -> str | None:
        """The message id ``target`` returned for the latest sent notice of ``kind`` about
        ``draft_id`` (e.g. the approval request a decision marks), or None."""
        ...


@dataclass(frozen=True)
class Outbound:
    """One delivery of one published update (or correction) to one destination.

    Attributes:
        delivery_id: the outbox row.
        key: stable idempotency key (≤ 25 characters: usable as a Discord nonce), the same on
            every attempt of this delivery.
        incident: the incident and its components' status as of this update, frozen when the
            delivery was planned.
        update: what was approved for this delivery, frozen when it was planned: the update
            as published (even if corrected since), or for a correction the corrected text.
        correction_of: for a correction, the platform message id of the delivery it corrects
            (None when the original never reached this destination).
        thread_id: what this destination returned as ``thread_id`` for earlier deliveries of
            the same incident (a Slack root message ts, a Discord thread, …), else None.
        link: where the full update can be read (the status page's incident page).
        attempt: 1 on the first try.
        is_correction: this delivery corrects ``update`` (whose ``body`` is the corrected
            text); True even when ``correction_of`` is None because the original never
            reached this destination (then post a marked correction).
        maybe_sent: an earlier attempt may have been applied (it failed ambiguously, or the
            process sending it died): look before posting again (e.g. Slack: search recent
            history for the key in the message metadata).
    """

    delivery_id: str
    key: str
    incident: IncidentSnapshot
    update: Update
    link: str
    attempt: int = 1
    correction_of: str | None = None
    thread_id: str | None = None
    is_correction: bool = False
    maybe_sent: bool = False


@dataclass(frozen=True)
class MaintenanceOutbound:
    """One delivery of one published scheduled-maintenance notice to one destination.

    Attributes:
        delivery_id / key / attempt / maybe_sent: as for :class:`Outbound`.
        post: the notice and the maintenance as it left it, frozen when the delivery was
            planned (:class:`~commsbot.delivery.snapshot.MaintenancePost`).
        thread_id: what this destination returned as ``thread_id`` for earlier notices of the
            same maintenance (a Slack root message ts, …), else None.
    """

    delivery_id: str
    key: str
    post: MaintenancePost
    attempt: int = 1
    thread_id: str | None = None
    maybe_sent: bool = False


@dataclass(frozen=True)
class Receipt:
    """What a destination reports after delivering.

    ``message_id`` is the platform's id for the message (kept for corrections); ``thread_id``,
    when set, is remembered for later deliveries of the same incident; ``note`` is shown in the
    ledger (e.g. "posted; not crossposted: publish limit reached").
    """

    message_id: str | None = None
    thread_id: str | None = None
    note: str | None = None


class DeliveryFailed(Exception):
    """A delivery attempt failed.

    Args:
        message: what went wrong, for the ledger.
        retryable: whether trying again may succeed (5xx, 429, timeouts) or not (400, 403).
        retry_after: seconds the platform asked us to wait (429 Retry-After), if any.
        ambiguous: the request may have been applied (the connection dropped after sending);
            the next attempt must check before posting again.
        status: the HTTP status the receiver answered, when it answered one.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = True,
        retry_after: float | None = None,
        ambiguous: bool = False,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.ambiguous = ambiguous
        self.status = status


class Destination(Protocol):
    """A public surface updates are broadcast to (Slack channel, Discord channel, webhook, …)."""

    name: str

    async def deliver(self, item: Outbound) -> Receipt:
        """Post ``item`` (or, for a correction, edit/mark the earlier post); raise DeliveryFailed.

        Must be safe to call again for the same ``item.key`` after an ambiguous failure: use
        the platform's idempotency mechanism or look before posting again.
        """
        ...

    async def deliver_maintenance(self, item: MaintenanceOutbound) -> Receipt:
        """Post a scheduled-maintenance notice (announcement, start, extension, completion,
        cancellation), with the same safety as :meth:`deliver`; raise DeliveryFailed."""
        ...


@dataclass(frozen=True)
class Notice:
    """An internal message to the people running an incident (never public).

    Attributes:
        kind: ``approval_requested``, ``draft_decided``, ``delivery_dead``, ``reminder``, …
        text: plain text, complete on its own: what happened, never how to type a command.
            It quotes what people typed (titles, drafts, reasons): surfaces render it
            neutralised, and never turn anything in it into a mention.
        hint: how to act on it from the command line (``commsbot update approve …``), for
            surfaces without buttons (the console, email, webhooks); chat surfaces, whose
            messages carry the buttons and slash commands for it, leave it out.
        draft_id / draft_version: set for approval requests (surfaces add Approve/Edit/Reject).
        reminder_id: set for reminders (surfaces add Snooze/Cancel).
        audience: actor ids or groups to mention (as in the approver lists): the only people
            a surface may ping for this notice.
        key: the delivery's idempotency key (≤ 25 characters, the same on every attempt to
            this notifier), set by the dispatcher; usable as a Discord nonce.
        maybe_sent: as for ``Outbound``: an earlier attempt may have been applied.
        at: when the notice was enqueued (a decision: when it was made), set by the
            dispatcher; the same on every attempt.
        request_message_id: for ``draft_decided``, the message id this notifier returned for
            the draft's latest approval request (None when it has none): the one to mark as
            decided. Read from the outbox, so it survives restarts.
        subscribers: for approval requests, how many subscribers approving would notify
            (counted when it was asked); None when subscriptions are off. Surfaces with
            buttons offer "Approve without notifying subscribers" when it is above 0.
    """

    kind: str
    incident_id: str
    incident_ref: str
    text: str
    draft_id: str | None = None
    draft_version: int | None = None
    reminder_id: str | None = None
    audience: tuple[str, ...] = ()
    key: str | None = None
    maybe_sent: bool = False
    at: datetime | None = None
    request_message_id: str | None = None
    hint: str | None = None
    subscribers: int | None = None

    def full_text(self) -> str:
        """``text`` followed by ``hint``: the notice for surfaces without buttons."""
        return f"{self.text}\n\n{self.hint}" if self.hint else self.text


class Notifier(Protocol):
    """An internal channel (Slack/Discord incident or approvals channel, the console)."""

    name: str

    async def notify(self, notice: Notice) -> Receipt:
        """Post ``notice``; raise DeliveryFailed like a Destination."""
        ...
