"""The broadcast engine's ports: the outbox's repository, and the targets it delivers to.

The outbox (``uow.deliveries``) holds one row per published update and destination, written
in the approving transaction; the dispatcher hands each row to its :class:`Destination`,
retrying until it is sent. Internal notices (approval requests, reminders, dead deliveries)
go to :class:`Notifier` s the same way. The SQL implementation is in ``commsbot.store``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from commsbot.delivery.model import DeliveryRecord, DeliveryState
from commsbot.domain.model import IncidentSnapshot, Update


class DeliveryRepository(Protocol):
    # planning, inside the use cases' transactions
    def add(self, record: DeliveryRecord, *, snapshot: Mapping[str, Any] | None = None) -> None:
        """Insert a delivery; ``snapshot`` is what it sends (``delivery.snapshot.freeze``)."""
        ...

    def next_position(self, incident_id: str) -> int: ...

    def add_notice(
        self, notice_id: str, notice: Notice, *, created_at: datetime | None
    ) -> None: ...

    # reading
    def get(self, delivery_id: str) -> DeliveryRecord:
        """Raises NotFound."""
        ...

    def for_update(self, update_id: str) -> Sequence[DeliveryRecord]: ...

    def for_incident(self, incident_id: str) -> Sequence[DeliveryRecord]: ...

    def list(
        self,
        *,
        state: DeliveryState | None = None,
        incident_id: str | None = None,
        limit: int = 100,
    ) -> Sequence[DeliveryRecord]: ...

    def snapshot_of(self, delivery_id: str) -> dict[str, Any] | None: ...

    def message_id_for(self, *, update_id: str, target: str) -> str | None: ...

    def thread_for(self, *, target: str, incident_id: str) -> str | None: ...

    def notice(self, notice_id: str) -> Notice: ...

    def notice_message_id(
        self, *, target: str, incident_id: str, kind: str, draft_id: str
    ) -> str | None:
        """The message id ``target`` returned for the latest sent notice of ``kind`` about
        ``draft_id`` (e.g. the approval request a decision marks), or None."""
        ...

    # re-driving and dispatching (conditional updates: True/record when this caller won)
    def redrive(self, delivery_id: str, *, now: datetime, deadline_at: datetime) -> bool: ...

    def unexpanded_notices(
        self, *, limit: int = 100
    ) -> Sequence[tuple[str, Notice, datetime | None]]: ...

    def claim_notice(self, notice_id: str, *, now: datetime) -> bool: ...

    def due(
        self,
        *,
        now: datetime,
        destinations: Collection[str],
        notifiers: Collection[str],
        limit: int = 500,
    ) -> Sequence[DeliveryRecord]: ...

    def next_wakeup(self, *, after: datetime) -> datetime | None: ...

    def claim(
        self, delivery_id: str, *, owner: str, now: datetime, until: datetime
    ) -> DeliveryRecord | None: ...

    def mark_sent(
        self, delivery_id: str, *, owner: str, now: datetime, receipt: Receipt
    ) -> bool: ...

    def mark_retry(
        self,
        delivery_id: str,
        *,
        owner: str,
        next_attempt_at: datetime,
        error: str,
        maybe_sent: bool,
    ) -> bool: ...

    def mark_dead(
        self, delivery_id: str, *, owner: str, now: datetime, error: str, maybe_sent: bool
    ) -> bool: ...

    def expire(self, delivery_id: str, *, now: datetime, error: str) -> bool: ...

    def open_targets(self) -> set[tuple[bool, str]]: ...

    def open_for_target(
        self, *, notice: bool, target: str, limit: int = 100
    ) -> Sequence[DeliveryRecord]: ...

    def remember_thread(
        self, *, target: str, incident_id: str, thread_id: str, now: datetime
    ) -> None: ...


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
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = True,
        retry_after: float | None = None,
        ambiguous: bool = False,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.ambiguous = ambiguous


class Destination(Protocol):
    """A public surface updates are broadcast to (Slack channel, Discord channel, webhook, …)."""

    name: str

    async def deliver(self, item: Outbound) -> Receipt:
        """Post ``item`` (or, for a correction, edit/mark the earlier post); raise DeliveryFailed.

        Must be safe to call again for the same ``item.key`` after an ambiguous failure: use
        the platform's idempotency mechanism or look before posting again.
        """
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

    def full_text(self) -> str:
        """``text`` followed by ``hint``: the notice for surfaces without buttons."""
        return f"{self.text}\n\n{self.hint}" if self.hint else self.text


class Notifier(Protocol):
    """An internal channel (Slack/Discord incident or approvals channel, the console)."""

    name: str

    async def notify(self, notice: Notice) -> Receipt:
        """Post ``notice``; raise DeliveryFailed like a Destination."""
        ...
