"""The ports the use cases need. The store, the clock and the adapters implement them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

from commsbot.domain.alerts import AlertGroup
from commsbot.domain.model import Component, Draft, Incident, TimelineEntry, Update
from commsbot.services.views import IncidentSnapshot

if TYPE_CHECKING:
    from commsbot.delivery.repository import DeliveryRepository
    from commsbot.reminders.ports import ReminderRepository


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, UTC-aware."""
        ...


class IncidentRepository(Protocol):
    def add(self, incident: Incident) -> None: ...

    def get(self, ref: str) -> Incident:
        """By id, by number (``42``) or by reference (``INC-42``); raises NotFound."""
        ...

    def list(self, *, open_only: bool = False, limit: int = 50) -> Sequence[Incident]:
        """Newest first."""
        ...

    def save(self, incident: Incident) -> None:
        """Write changes made to a loaded incident (optimistically locked)."""
        ...

    def next_number(self) -> int: ...


class DraftRepository(Protocol):
    def add(self, draft: Draft) -> None: ...

    def get(self, draft_id: str) -> Draft:
        """Raises NotFound."""
        ...

    def for_incident(self, incident_id: str, *, pending_only: bool = False) -> Sequence[Draft]: ...

    def save(self, draft: Draft) -> None:
        """Write changes made to a loaded draft (optimistically locked)."""
        ...


class UpdateRepository(Protocol):
    def add(self, update: Update) -> None: ...

    def get(self, update_id: str) -> Update: ...

    def correct(self, update: Update) -> None:
        """Store a corrected update's new ``body`` and ``corrected_at`` (nothing else changes)."""
        ...

    def for_incident(self, incident_id: str) -> Sequence[Update]:
        """Oldest first."""
        ...

    def published_since(
        self, after: datetime | None, *, limit: int = 100, newest: bool = False
    ) -> Sequence[Update]:
        """Updates of every incident published strictly after ``after`` (all when None).

        Oldest first, or newest first with ``newest``; at most ``limit``.
        """
        ...


class ComponentRepository(Protocol):
    def all(self) -> Sequence[Component]: ...

    def get_many(self, names: Iterable[str]) -> dict[str, Component]:
        """Only the names that exist."""
        ...

    def add(self, component: Component) -> None: ...

    def save(self, component: Component) -> None: ...


class Timeline(Protocol):
    def append(self, entry: TimelineEntry) -> None: ...

    def for_incident(self, incident_id: str) -> Sequence[TimelineEntry]:
        """Oldest first."""
        ...


class AlertGroupRepository(Protocol):
    """What the Alertmanager receiver did with each alert group (keyed by ``group_key``)."""

    def lock(self, group_key: str) -> AlertGroup | None:
        """The group, locked until this unit of work ends (None when never seen).

        A concurrent unit of work locking the same group waits for this one to finish.
        """
        ...

    def add(self, group: AlertGroup) -> None:
        """Store a new group at once: a concurrent ``add`` of the same key waits for this unit
        of work, then fails with ``ConcurrentChange`` (so only one acts on a new group)."""
        ...

    def save(self, group: AlertGroup) -> None:
        """Write changes made to a group returned by :meth:`lock` or passed to :meth:`add`."""
        ...

    def firing_for(self, incident_id: str) -> Sequence[AlertGroup]:
        """The groups still firing that are bound to ``incident_id``."""
        ...


class UnitOfWork(Protocol):
    """One transaction. Rolls back on exit unless :meth:`commit` was called.

    A lost optimistic-locking race surfaces as ``ConcurrentChange`` from :meth:`commit` or from
    any repository call (the store flushes as it goes).
    """

    incidents: IncidentRepository
    drafts: DraftRepository
    updates: UpdateRepository
    components: ComponentRepository
    timeline: Timeline
    reminders: ReminderRepository
    deliveries: DeliveryRepository
    alert_groups: AlertGroupRepository

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...


# --- Delivery: the broadcast engine's ports -------------------------------------------------
#
# The outbox (commsbot/delivery) turns each published update into one row per destination in
# the approving transaction, then hands each row to its Destination, retrying until it is sent.
# Internal notices (approval requests, reminders, dead deliveries) go to Notifiers the same way.


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
