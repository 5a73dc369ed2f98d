"""Computing an incident's :class:`~commsbot.postmortem.figures.Figures` from its facts.

The definitions (what counts as a recovery, a kept promise, an on-time RCA …) are written out
in :mod:`commsbot.postmortem.figures`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from commsbot.domain.lifecycle import Status
from commsbot.domain.model import ComponentStatus
from commsbot.postmortem.figures import (
    IMPACT_STATUSES,
    SEVERITY_ORDER,
    ApprovalLatency,
    ComponentImpact,
    DeliveryTiming,
    DestinationSummary,
    Figures,
    Milestone,
    MilestoneKind,
    Promise,
    PromiseResult,
    RcaFigure,
    RcaResult,
    Span,
    worst_of,
)
from commsbot.postmortem.model import DeliveryOutcome, PostmortemFacts

_STATUS_MILESTONE = {
    Status.INVESTIGATING: MilestoneKind.INVESTIGATING,
    Status.IDENTIFIED: MilestoneKind.IDENTIFIED,
    Status.FIXING: MilestoneKind.FIXING,
    Status.RECOVERED: MilestoneKind.RECOVERED,
}


def compute(facts: PostmortemFacts) -> Figures:
    """Compute every figure of one incident from its facts."""
    incident = facts.incident
    updates = facts.updates
    recoveries, reopens = _recoveries(facts)
    is_open = incident.open
    last_recovery = recoveries[-1] if recoveries else None
    if last_recovery is None and not is_open:
        last_recovery = incident.resolved_at or facts.as_of
    last_event = max([incident.declared_at, *(u.published_at for u in updates if u.changes)])
    if is_open or last_recovery is None:
        end = max(facts.as_of, last_event)
    else:
        end = max(last_recovery, last_event)
    stop = last_recovery if not is_open and last_recovery is not None else end
    first = updates[0] if updates else None
    impacts = _components(facts, end)
    return Figures(
        open=is_open,
        end=end,
        recovered_at=None if is_open else last_recovery,
        duration=stop - incident.declared_at,
        mttr=None if is_open else stop - incident.declared_at,
        time_unresolved=_unresolved(incident.declared_at, recoveries, reopens, end),
        reopened=len(reopens),
        first_update_at=first.published_at if first else None,
        time_to_first_update=(first.published_at - incident.declared_at) if first else None,
        approvals=tuple(
            ApprovalLatency(u.seq, u.drafted_at, u.published_at, u.postmortem) for u in updates
        ),
        promises=_promises(facts),
        components=impacts,
        worst=worst_of(c.worst for c in impacts),
        destinations=_destinations(facts),
        rca=_rca(facts, None if is_open else last_recovery),
        milestones=_milestones(facts),
    )


def _recoveries(facts: PostmortemFacts) -> tuple[list[datetime], list[datetime]]:
    recoveries: list[datetime] = []
    reopens: list[datetime] = []
    previous = Status.INVESTIGATING
    for u in facts.updates:
        if u.status is Status.RECOVERED and previous is not Status.RECOVERED:
            recoveries.append(u.published_at)
        elif previous is Status.RECOVERED and u.status is not Status.RECOVERED:
            reopens.append(u.published_at)
        previous = u.status
    return recoveries, reopens


def _unresolved(
    declared: datetime,
    recoveries: list[datetime],
    reopens: list[datetime],
    end: datetime,
) -> timedelta:
    starts = [declared, *reopens]
    total = timedelta(0)
    for index, start in enumerate(starts):
        stop = recoveries[index] if index < len(recoveries) else end
        total += max(timedelta(0), stop - start)
    return total


def _promises(facts: PostmortemFacts) -> tuple[Promise, ...]:
    result: list[Promise] = []
    updates = facts.updates
    for index, u in enumerate(updates):
        due = u.next_update_by
        if due is None:
            continue
        following = updates[index + 1] if index + 1 < len(updates) else None
        if following is not None:
            late = following.published_at - due
            outcome = PromiseResult.KEPT if late <= timedelta(0) else PromiseResult.LATE
            result.append(
                Promise(
                    seq=u.seq,
                    made_at=u.published_at,
                    due_at=due,
                    next_seq=following.seq,
                    next_at=following.published_at,
                    result=outcome,
                    late_by=late if outcome is PromiseResult.LATE else None,
                )
            )
            continue
        if not facts.incident.open:
            outcome, late_by = PromiseResult.MOOT, None
        elif facts.as_of > due:
            outcome, late_by = PromiseResult.OVERDUE, facts.as_of - due
        else:
            outcome, late_by = PromiseResult.NOT_DUE, None
        result.append(Promise(u.seq, u.published_at, due, None, None, outcome, late_by))
    return tuple(result)


def _components(facts: PostmortemFacts, end: datetime) -> tuple[ComponentImpact, ...]:
    names = list(dict.fromkeys(facts.incident.components))
    moves: dict[str, list[tuple[datetime, ComponentStatus]]] = {}
    initial: dict[str, ComponentStatus] = {}
    for u in facts.updates:
        for change in u.changes:
            if change.name not in names:
                names.append(change.name)
            initial.setdefault(change.name, change.old)
            moves.setdefault(change.name, []).append((u.published_at, change.new))
    start = facts.incident.declared_at
    return tuple(
        _impact(
            name, initial.get(name, ComponentStatus.OPERATIONAL), moves.get(name, []), start, end
        )
        for name in names
    )


def _impact(
    name: str,
    status: ComponentStatus,
    moves: list[tuple[datetime, ComponentStatus]],
    start: datetime,
    end: datetime,
) -> ComponentImpact:
    spans: list[Span] = []
    since = start
    for at, new in moves:
        if new is status:
            continue
        if at > since:
            spans.append(Span(status, since, at))
            since = at
        status = new
    spans.append(Span(status, since, max(since, end)))
    merged: list[Span] = []
    for span in spans:
        if merged and merged[-1].status is span.status:
            merged[-1] = Span(span.status, merged[-1].start, span.end)
        else:
            merged.append(span)
    totals: dict[ComponentStatus, timedelta] = {}
    for span in merged:
        if span.status is not ComponentStatus.OPERATIONAL:
            totals[span.status] = totals.get(span.status, timedelta(0)) + span.duration
    time_in = tuple(
        (status, totals[status]) for status in reversed(SEVERITY_ORDER) if status in totals
    )
    return ComponentImpact(
        name=name,
        spans=tuple(merged),
        worst=worst_of(s.status for s in merged),
        time_in=time_in,
        impacted=sum((t for s, t in time_in if s in IMPACT_STATUSES), timedelta(0)),
    )


def _destinations(facts: PostmortemFacts) -> tuple[DestinationSummary, ...]:
    by_target: dict[str, list[DeliveryOutcome]] = {}
    for outcome in facts.deliveries:
        by_target.setdefault(outcome.destination, []).append(outcome)
    return tuple(
        DestinationSummary(
            destination=target,
            deliveries=tuple(
                DeliveryTiming(o)
                for o in sorted(items, key=lambda o: (o.update_seq, o.correction, o.created_at))
            ),
        )
        for target, items in sorted(by_target.items())
    )


def _rca(facts: PostmortemFacts, recovered_at: datetime | None) -> RcaFigure:
    if recovered_at is None:
        return RcaFigure(RcaResult.NOT_RECOVERED)
    rca = next((u for u in facts.updates if u.postmortem and u.published_at >= recovered_at), None)
    due = max(facts.rca_due, key=lambda r: r.recovered_at, default=None)
    due_at = due.due_at if due else None
    published = rca.published_at if rca else None
    late_by: timedelta | None = None
    if due_at is None:
        result = RcaResult.NO_DUE_DATE
    elif published is not None:
        result = RcaResult.ON_TIME if published <= due_at else RcaResult.LATE
        late_by = published - due_at if result is RcaResult.LATE else None
    elif facts.as_of > due_at:
        result, late_by = RcaResult.OVERDUE, facts.as_of - due_at
    else:
        result = RcaResult.NOT_DUE
    return RcaFigure(
        result=result,
        recovered_at=recovered_at,
        due_at=due_at,
        published_at=published,
        seq=rca.seq if rca else None,
        took=(published - recovered_at) if published else None,
        late_by=late_by,
    )


def _milestones(facts: PostmortemFacts) -> tuple[Milestone, ...]:
    incident = facts.incident
    result = [Milestone(incident.declared_at, MilestoneKind.DECLARED, incident.commander)]
    previous = Status.INVESTIGATING
    for index, u in enumerate(facts.updates):
        who = u.authors[0]
        if index == 0:
            result.append(Milestone(u.published_at, MilestoneKind.FIRST_UPDATE, who, u.seq))
        if u.postmortem:
            result.append(Milestone(u.published_at, MilestoneKind.POSTMORTEM, who, u.seq))
        elif previous is Status.RECOVERED and u.status is not Status.RECOVERED:
            result.append(Milestone(u.published_at, MilestoneKind.REOPENED, who, u.seq))
        elif u.status is not previous:
            kind = _STATUS_MILESTONE[u.status]
            result.append(Milestone(u.published_at, kind, who, u.seq))
        previous = u.status
    return tuple(result)
