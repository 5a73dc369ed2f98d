"""What the facts add up to: the incident's durations, component impact and comms figures.

:func:`commsbot.postmortem.compute.compute` turns the facts into :class:`Figures`. The
definitions, decided once here so that every surface agrees:

- **Recovery and reopen** come from the published updates: an update whose status is
  ``recovered`` after one that was not is a recovery; one that leaves ``recovered`` is a reopen.
- **Duration / MTTR**: declaration → the *last* recovery. A reopened incident is one incident:
  the reopen says the earlier recovery was not one. ``time_unresolved`` adds up only the
  stretches it was not recovered (declared → recovery, reopen → recovery, …). An open incident
  has no MTTR; its duration runs to ``as_of`` ("so far").
- **Time to first public update**: declaration → the first published update; None without one.
- **Approval latency**: each update's draft creation → its approval (= publication). Medians
  leave out the RCA (written over days: it measures writing, not waiting for approval).
- **Promises**: an update's ``next_update_by`` is kept when the next published update came at
  or before it, late otherwise (by how much). With no update after it, a promise is *overdue*
  if the incident is still open past it (late so far, by ``as_of`` − promise), *not due* if
  open and not yet past, and *moot* if the incident is recovered (nobody owed a next update).
  Corrections are not updates: they neither keep nor break a promise.
- **Delivery**: per destination, each delivery's sent time − its planning (the approval of the
  update or of its correction), retries (attempts beyond the first), dead and pending ones.
- **RCA**: the last recovery → the first postmortem update after it, against the due date
  planned at (the latest) recovery.
- **Component impact**: each component starts, at declaration, in the status its first change
  moved it *from* (operational when no update ever moved it) and follows every published
  change until the incident's end (last recovery, or ``as_of`` while open): the public record.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from commsbot.domain.model import ComponentStatus
from commsbot.postmortem.model import DeliveryOutcome, DeliveryResult

#: Worst last: maintenance is not an outage, but it is not "operational" either.
SEVERITY_ORDER = (
    ComponentStatus.OPERATIONAL,
    ComponentStatus.UNDER_MAINTENANCE,
    ComponentStatus.DEGRADED_PERFORMANCE,
    ComponentStatus.PARTIAL_OUTAGE,
    ComponentStatus.MAJOR_OUTAGE,
)
_RANK = {status: rank for rank, status in enumerate(SEVERITY_ORDER)}
#: Statuses that count as customer impact.
IMPACT_STATUSES = frozenset(
    {
        ComponentStatus.DEGRADED_PERFORMANCE,
        ComponentStatus.PARTIAL_OUTAGE,
        ComponentStatus.MAJOR_OUTAGE,
    }
)


def worst_of(statuses: Iterable[ComponentStatus]) -> ComponentStatus:
    """The worst status of ``statuses`` (operational when empty)."""
    return max(statuses, key=_RANK.__getitem__, default=ComponentStatus.OPERATIONAL)


def median(values: Sequence[timedelta]) -> timedelta | None:
    """The median of ``values``, or None when there are none."""
    if not values:
        return None
    return timedelta(seconds=statistics.median(v.total_seconds() for v in values))


@dataclass(frozen=True)
class Span:
    """A stretch of time one component spent in one status."""

    status: ComponentStatus
    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class ComponentImpact:
    """One component over the incident.

    Attributes:
        spans: contiguous, from declaration to the incident's end, one per status change.
        worst: the worst status it was in (operational if never moved).
        time_in: time spent in each non-operational status it reached, worst first.
        impacted: time in degraded performance, partial or major outage (not maintenance).
    """

    name: str
    spans: tuple[Span, ...]
    worst: ComponentStatus
    time_in: tuple[tuple[ComponentStatus, timedelta], ...]
    impacted: timedelta


class MilestoneKind(StrEnum):
    DECLARED = "declared"
    FIRST_UPDATE = "first_update"
    INVESTIGATING = "investigating"  # back to investigating (the cause was wrong)
    IDENTIFIED = "identified"
    FIXING = "fixing"
    RECOVERED = "recovered"
    REOPENED = "reopened"
    POSTMORTEM = "postmortem"

    @property
    def label(self) -> str:
        return _MILESTONE_LABELS[self]


_MILESTONE_LABELS = {
    MilestoneKind.DECLARED: "Declared",
    MilestoneKind.FIRST_UPDATE: "First public update",
    MilestoneKind.INVESTIGATING: "Back to investigating",
    MilestoneKind.IDENTIFIED: "Cause identified",
    MilestoneKind.FIXING: "Fix rolling out",
    MilestoneKind.RECOVERED: "Recovered",
    MilestoneKind.REOPENED: "Reopened",
    MilestoneKind.POSTMORTEM: "Root-cause analysis published",
}


@dataclass(frozen=True)
class Milestone:
    """A moment the incident moved. ``seq`` is the update that moved it (None: declared)."""

    at: datetime
    kind: MilestoneKind
    actor: str
    seq: int | None = None


@dataclass(frozen=True)
class ApprovalLatency:
    """One update's draft creation → approval. ``postmortem``: the RCA, whose draft is written
    over days; it is left out of the medians, which are about getting word out."""

    seq: int
    drafted_at: datetime
    approved_at: datetime
    postmortem: bool = False

    @property
    def latency(self) -> timedelta:
        return self.approved_at - self.drafted_at


class PromiseResult(StrEnum):
    KEPT = "kept"  # the next update came at or before the promised time
    LATE = "late"  # it came after
    OVERDUE = "overdue"  # none yet, the incident is open and the time has passed
    NOT_DUE = "not_due"  # none yet, the time has not come
    MOOT = "moot"  # none after it and the incident is recovered: nothing was owed

    @property
    def judged(self) -> bool:
        """Counts towards promise adherence."""
        return self in (PromiseResult.KEPT, PromiseResult.LATE, PromiseResult.OVERDUE)


@dataclass(frozen=True)
class Promise:
    """A "next update by" and what became of it.

    Attributes:
        seq, made_at: the update that promised, and when.
        due_at: the promised time.
        next_seq, next_at: the update that followed, if any.
        late_by: LATE: next_at − due_at; OVERDUE: as_of − due_at (so far); else None.
    """

    seq: int
    made_at: datetime
    due_at: datetime
    next_seq: int | None
    next_at: datetime | None
    result: PromiseResult
    late_by: timedelta | None


@dataclass(frozen=True)
class DeliveryTiming:
    """One delivery and how long after its approval it landed (None unless sent)."""

    outcome: DeliveryOutcome

    @property
    def delay(self) -> timedelta | None:
        sent = self.outcome.sent_at
        return None if sent is None else max(timedelta(0), sent - self.outcome.created_at)


@dataclass(frozen=True)
class DestinationSummary:
    """Every delivery to one destination (by update, corrections after their update)."""

    destination: str
    deliveries: tuple[DeliveryTiming, ...]

    def _count(self, result: DeliveryResult) -> int:
        return sum(1 for d in self.deliveries if d.outcome.result is result)

    @property
    def sent(self) -> int:
        return self._count(DeliveryResult.SENT)

    @property
    def pending(self) -> int:
        return self._count(DeliveryResult.PENDING)

    @property
    def dead(self) -> int:
        return self._count(DeliveryResult.DEAD)

    @property
    def retries(self) -> int:
        return sum(d.outcome.retries for d in self.deliveries)

    @property
    def delays(self) -> tuple[timedelta, ...]:
        return tuple(d.delay for d in self.deliveries if d.delay is not None)

    @property
    def median_delay(self) -> timedelta | None:
        return median(self.delays)

    @property
    def max_delay(self) -> timedelta | None:
        return max(self.delays, default=None)


class RcaResult(StrEnum):
    ON_TIME = "on_time"  # published at or before the due date
    LATE = "late"  # published after it
    OVERDUE = "overdue"  # not published, the due date has passed
    NOT_DUE = "not_due"  # not published, due later
    NO_DUE_DATE = "no_due_date"  # no due date was planned (RCA reminders off)
    NOT_RECOVERED = "not_recovered"  # still open: nothing is due yet

    @property
    def judged(self) -> bool:
        """Counts towards the RCA on-time rate."""
        return self in (RcaResult.ON_TIME, RcaResult.LATE, RcaResult.OVERDUE)


@dataclass(frozen=True)
class RcaFigure:
    """The root-cause analysis against its due date.

    Attributes:
        took: last recovery → the RCA's publication.
        late_by: LATE: published − due; OVERDUE: as_of − due (so far); else None.
    """

    result: RcaResult
    recovered_at: datetime | None = None
    due_at: datetime | None = None
    published_at: datetime | None = None
    seq: int | None = None
    took: timedelta | None = None
    late_by: timedelta | None = None


@dataclass(frozen=True)
class Figures:
    """Everything computed from one incident's facts (see the module docstring)."""

    open: bool
    end: datetime
    recovered_at: datetime | None
    duration: timedelta
    mttr: timedelta | None
    time_unresolved: timedelta
    reopened: int
    first_update_at: datetime | None
    time_to_first_update: timedelta | None
    approvals: tuple[ApprovalLatency, ...]
    promises: tuple[Promise, ...]
    components: tuple[ComponentImpact, ...]
    worst: ComponentStatus
    destinations: tuple[DestinationSummary, ...]
    rca: RcaFigure
    milestones: tuple[Milestone, ...]

    @property
    def promises_judged(self) -> int:
        return sum(1 for p in self.promises if p.result.judged)

    @property
    def promises_kept(self) -> int:
        return sum(1 for p in self.promises if p.result is PromiseResult.KEPT)

    @property
    def adherence(self) -> float | None:
        """Kept / judged promises, or None when none was judged."""
        judged = self.promises_judged
        return self.promises_kept / judged if judged else None

    @property
    def lateness(self) -> tuple[timedelta, ...]:
        """How late each late or overdue promise was."""
        return tuple(p.late_by for p in self.promises if p.late_by is not None)

    @property
    def update_approvals(self) -> tuple[timedelta, ...]:
        """Approval latency of each update but the RCA."""
        return tuple(a.latency for a in self.approvals if not a.postmortem)

    @property
    def median_approval(self) -> timedelta | None:
        """The median of :attr:`update_approvals`."""
        return median(self.update_approvals)
