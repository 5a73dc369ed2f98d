"""The facts a postmortem is written from, as the store holds them: frozen values, no I/O.

The caller (a use case reading one incident) fills these from the incident row, its published
updates (with each one's draft), the timeline, the delivery ledger and the reminders; everything
else in :mod:`commsbot.postmortem` is computed from them. All times are UTC-aware.

Bad facts are a programming error of the caller, not a user's typo: they raise ``ValueError``
naming the field, before anything is computed from them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from commsbot.domain.lifecycle import Status, Trigger
from commsbot.domain.model import ComponentChange, Severity, TimelineEntry, Update

__all__ = [
    "ComponentChange",
    "DeliveryOutcome",
    "DeliveryResult",
    "FollowUp",
    "FollowUpState",
    "IncidentFacts",
    "PostmortemFacts",
    "PublishedUpdate",
    "RcaDue",
    "TimelineEntry",
]

#: Timeline actions that are internal notes (``NoteAdded``): shown in the document, never public.
NOTE_ACTION = "note"


def _aware(moment: datetime | None, what: str) -> None:
    if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
        raise ValueError(f"{what} is a naive datetime ({moment.isoformat()}); pass it UTC-aware")


@dataclass(frozen=True)
class IncidentFacts:
    """The incident itself.

    Attributes:
        status: where it stands when the facts were read (``recovered`` or still open).
        resolved_at: when it last recovered; None while open (a reopen clears it).
        components: every component it names, in the order they were named (those named at
            declaration first, then those a later update added).
    """

    id: str
    ref: str
    title: str
    severity: Severity
    status: Status
    commander: str
    declared_at: datetime
    resolved_at: datetime | None = None
    components: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _aware(self.declared_at, "incident.declared_at")
        _aware(self.resolved_at, "incident.resolved_at")

    @property
    def open(self) -> bool:
        return self.status is not Status.RECOVERED


@dataclass(frozen=True)
class PublishedUpdate:
    """One published update, with what its draft knew.

    A correction is not an update of its own: it replaces ``body`` and sets ``corrected_at``.

    Attributes:
        seq: 1, 2, … in publication order.
        trigger: the move it made (``recover``, ``reopen``, ``postmortem`` …).
        authors: everyone who wrote its text, the original author first.
        drafted_at: when its draft was created.
        published_at: when it was approved, which is when it was published.
        next_update_by: the next update it promised, or None (recovery, sev4 …).
        changes: the component moves it made, in its order.
        corrected_at: when its text was last corrected (``body`` is the corrected text).
    """

    seq: int
    status: Status
    trigger: Trigger
    body: str
    authors: tuple[str, ...]
    approver: str
    drafted_at: datetime
    published_at: datetime
    next_update_by: datetime | None = None
    changes: tuple[ComponentChange, ...] = ()
    corrected_at: datetime | None = None
    id: str = ""

    def __post_init__(self) -> None:
        where = f"update #{self.seq}"
        for name in ("drafted_at", "published_at", "next_update_by", "corrected_at"):
            _aware(getattr(self, name), f"{where}.{name}")
        if not self.authors:
            raise ValueError(f"{where} has no authors; pass at least the original author")
        if self.drafted_at > self.published_at:
            raise ValueError(f"{where} was published before it was drafted")

    @property
    def postmortem(self) -> bool:
        """True for the root-cause analysis published after recovery."""
        return self.trigger is Trigger.POSTMORTEM

    @classmethod
    def from_update(
        cls, update: Update, *, drafted_at: datetime, authors: Iterable[str] = ()
    ) -> PublishedUpdate:
        """From a domain :class:`Update` and its draft's creation time.

        ``authors`` defaults to the update's own (its author first, then whoever edited the
        text or corrected it); pass others to override.
        """
        return cls(
            seq=update.seq,
            status=update.status,
            trigger=update.trigger,
            body=update.body,
            authors=tuple(authors) or update.authors or (update.author,),
            approver=update.approver,
            drafted_at=drafted_at,
            published_at=update.published_at,
            next_update_by=update.next_update_by,
            changes=update.changes,
            corrected_at=update.corrected_at,
            id=update.id,
        )


class DeliveryResult(StrEnum):
    """Where a delivery ended: ``sent``, ``dead`` (gave up), or ``pending`` (pending, sending or
    retrying in the ledger: still on its way)."""

    SENT = "sent"
    PENDING = "pending"
    DEAD = "dead"


@dataclass(frozen=True)
class DeliveryOutcome:
    """One delivery of an update (or of its correction) to one destination.

    Attributes:
        update_seq: the update delivered.
        destination: the destination's configured name.
        correction: True for the delivery of a correction of that update.
        created_at: when it was planned (the approval).
        attempts: how many times it was tried; retries are ``attempts - 1``.
        sent_at: when the destination accepted it; None unless sent.
        dead_at: when it was given up; None unless dead.
        last_error: the last error, for a dead or retrying delivery.
    """

    update_seq: int
    destination: str
    result: DeliveryResult
    created_at: datetime
    attempts: int = 0
    sent_at: datetime | None = None
    dead_at: datetime | None = None
    last_error: str | None = None
    correction: bool = False

    def __post_init__(self) -> None:
        where = f"delivery of update #{self.update_seq} to {self.destination!r}"
        for name in ("created_at", "sent_at", "dead_at"):
            _aware(getattr(self, name), f"{where}.{name}")
        if self.attempts < 0:
            raise ValueError(f"{where} has {self.attempts} attempts; it cannot be negative")
        if self.result is DeliveryResult.SENT and self.sent_at is None:
            raise ValueError(f"{where} is sent but has no sent_at")

    @property
    def dead(self) -> bool:
        return self.result is DeliveryResult.DEAD

    @property
    def retries(self) -> int:
        return max(0, self.attempts - 1)


class FollowUpState(StrEnum):
    """A follow-up is ``open`` (pending or fired reminder), ``done`` or ``cancelled``."""

    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class FollowUp:
    """A follow-up action someone owns (a ``followup`` reminder)."""

    id: str
    text: str
    owner: str
    state: FollowUpState
    due_at: datetime
    created_at: datetime
    closed_at: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("due_at", "created_at", "closed_at"):
            _aware(getattr(self, name), f"follow-up {self.id}.{name}")


@dataclass(frozen=True)
class RcaDue:
    """When the root-cause analysis is due (the ``rca_overdue`` reminder's ``deadline_at``).

    Attributes:
        recovered_at: the recovery it was planned at (the reminder's ``created_at``): a
            reopened incident has one per recovery, and the last one counts.
    """

    due_at: datetime
    recovered_at: datetime

    def __post_init__(self) -> None:
        _aware(self.due_at, "rca.due_at")
        _aware(self.recovered_at, "rca.recovered_at")


@dataclass(frozen=True)
class PostmortemFacts:
    """Everything one postmortem is written from.

    Attributes:
        as_of: when the facts were read. An open incident's figures run until then (its
            document is a draft); a promise not yet due at ``as_of`` is not judged.
        updates: published updates, in ``seq`` order (the constructor sorts them).
        timeline: the incident's timeline; notes (action ``note``) appear in the document.
        rca_due: the RCA due dates planned (one per recovery; cancelled ones left out).
    """

    incident: IncidentFacts
    as_of: datetime
    updates: tuple[PublishedUpdate, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    deliveries: tuple[DeliveryOutcome, ...] = ()
    followups: tuple[FollowUp, ...] = ()
    rca_due: tuple[RcaDue, ...] = field(default=())

    def __post_init__(self) -> None:
        _aware(self.as_of, "as_of")
        if self.as_of < self.incident.declared_at:
            raise ValueError(f"as_of is before {self.incident.ref} was declared")
        ordered = tuple(sorted(self.updates, key=lambda u: u.seq))
        object.__setattr__(self, "updates", ordered)
        seqs = [u.seq for u in ordered]
        if len(set(seqs)) != len(seqs):
            raise ValueError(f"updates of {self.incident.ref} repeat a seq: {seqs}")
        declared = self.incident.declared_at
        for u in ordered:
            if u.published_at < declared:
                raise ValueError(
                    f"update #{u.seq} of {self.incident.ref} was published before the incident "
                    "was declared"
                )
        for a, b in itertools.pairwise(ordered):
            if b.published_at < a.published_at:
                raise ValueError(
                    f"update #{b.seq} of {self.incident.ref} was published before #{a.seq}"
                )
        known = set(seqs)
        for d in self.deliveries:
            if d.update_seq not in known:
                raise ValueError(
                    f"a delivery to {d.destination!r} names update #{d.update_seq}, which "
                    f"{self.incident.ref} has not published"
                )
        for entry in self.timeline:
            _aware(entry.at, "timeline entry")

    @property
    def notes(self) -> tuple[TimelineEntry, ...]:
        """The internal notes, in time order."""
        return tuple(
            sorted((e for e in self.timeline if e.action == NOTE_ACTION), key=lambda e: e.at)
        )
