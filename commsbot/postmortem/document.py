"""What a postmortem template sees: the facts and figures as ready-to-print rows.

Every value here is text already formatted for people (times in the team's zone, durations in
words) and *not* escaped: the Markdown template escapes with the ``cell`` filter, the HTML one
by autoescape. Raw values stay reachable (``doc.facts``, ``doc.figures``) for a team's own
template. The names below are the template contract; see ``templates/postmortem.md.j2``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from commsbot.domain.model import ComponentStatus
from commsbot.postmortem.figures import (
    SEVERITY_ORDER,
    ComponentImpact,
    Figures,
    PromiseResult,
    RcaFigure,
    RcaResult,
    median,
)
from commsbot.postmortem.model import DeliveryResult, FollowUpState, PostmortemFacts
from commsbot.postmortem.text import day, duration, percent, when, zone_name

#: Formats a time as the document shows it (see :func:`build`).
At = Callable[[datetime | None], str]
#: The component-impact table's columns, worst first.
IMPACT_COLUMNS = tuple(s for s in reversed(SEVERITY_ORDER) if s is not ComponentStatus.OPERATIONAL)


@dataclass(frozen=True)
class UpdateRow:
    seq: int
    time: str
    status: str
    text: str
    authors: str
    approver: str
    approval: str  # drafted → approved
    next_update_by: str  # "—" when none was promised
    corrected: str | None  # when its text was corrected


@dataclass(frozen=True)
class LogRow:
    time: str
    what: str
    who: str
    note: bool  # an internal note (else a milestone)


@dataclass(frozen=True)
class ComponentRow:
    name: str
    worst: str
    durations: tuple[str, ...]  # one per IMPACT_COLUMNS
    impacted: str


@dataclass(frozen=True)
class PromiseRow:
    seq: int
    due: str
    next: str
    result: str
    late: str


@dataclass(frozen=True)
class DestinationRow:
    name: str
    sent: int
    pending: int
    dead: int
    retries: int
    median: str
    slowest: str


@dataclass(frozen=True)
class ProblemRow:
    destination: str
    update: str
    result: str
    attempts: int
    error: str


@dataclass(frozen=True)
class FollowUpRow:
    text: str
    owner: str
    due: str
    state: str


@dataclass(frozen=True)
class FigureRow:
    label: str
    value: str


@dataclass(frozen=True)
class Doc:
    """The whole document's content. ``draft`` is True while the incident is open."""

    draft: bool
    ref: str
    title: str
    severity: str
    status: str
    commander: str
    zone: str
    declared: str
    recovered: str
    as_of: str
    duration: str
    reopened: int
    worst: str
    impact_summary: str
    summary: tuple[FigureRow, ...]
    updates: tuple[UpdateRow, ...]
    log: tuple[LogRow, ...]
    impact_columns: tuple[str, ...]
    components: tuple[ComponentRow, ...]
    figures_rows: tuple[FigureRow, ...]
    promises: tuple[PromiseRow, ...]
    destinations: tuple[DestinationRow, ...]
    problems: tuple[ProblemRow, ...]
    followups: tuple[FollowUpRow, ...]
    facts: PostmortemFacts
    figures: Figures


_PROMISE_WORDS = {
    PromiseResult.KEPT: "kept",
    PromiseResult.LATE: "late",
    PromiseResult.OVERDUE: "overdue",
    PromiseResult.NOT_DUE: "not due yet",
    PromiseResult.MOOT: "nothing owed (recovered)",
}
_RESULT_WORDS = {
    DeliveryResult.SENT: "sent",
    DeliveryResult.PENDING: "still on its way",
    DeliveryResult.DEAD: "dead (gave up)",
}


def build(facts: PostmortemFacts, figs: Figures, zone: ZoneInfo) -> Doc:
    """The template context of one postmortem."""
    inc = facts.incident
    ref_day = inc.declared_at.astimezone(zone).date()

    def at(moment: datetime | None) -> str:
        return when(moment, zone, reference=ref_day)

    impacts = ", ".join(f"{c.name} ({c.worst.label.lower()})" for c in figs.components)
    status = inc.status.label + (" (still open)" if figs.open else "")
    return Doc(
        draft=figs.open,
        ref=inc.ref,
        title=inc.title,
        severity=inc.severity.value.upper(),
        status=status,
        commander=inc.commander,
        zone=zone_name(zone, inc.declared_at),
        declared=when(inc.declared_at, zone),
        recovered=at(figs.recovered_at),
        as_of=when(facts.as_of, zone),
        duration=duration(figs.duration) + (" so far" if figs.open else ""),
        reopened=figs.reopened,
        worst=figs.worst.label,
        impact_summary=impacts or "none named",
        summary=_summary(facts, figs, at),
        updates=tuple(
            UpdateRow(
                seq=u.seq,
                time=at(u.published_at),
                status="Root-cause analysis" if u.postmortem else u.status.label,
                text=u.body,
                authors=", ".join(u.authors),
                approver=u.approver,
                approval=duration(u.published_at - u.drafted_at),
                next_update_by=at(u.next_update_by),
                corrected=at(u.corrected_at) if u.corrected_at else None,
            )
            for u in facts.updates
        ),
        log=_log(facts, figs, at),
        impact_columns=tuple(s.label for s in IMPACT_COLUMNS),
        components=tuple(_component_row(c) for c in figs.components),
        figures_rows=_figure_rows(figs, at),
        promises=tuple(
            PromiseRow(
                seq=p.seq,
                due=at(p.due_at),
                next=f"#{p.next_seq} at {at(p.next_at)}" if p.next_seq is not None else "none",
                result=_PROMISE_WORDS[p.result],
                late=duration(p.late_by) if p.late_by is not None else "—",
            )
            for p in figs.promises
        ),
        destinations=tuple(
            DestinationRow(
                name=d.destination,
                sent=d.sent,
                pending=d.pending,
                dead=d.dead,
                retries=d.retries,
                median=duration(d.median_delay),
                slowest=duration(d.max_delay),
            )
            for d in figs.destinations
        ),
        problems=tuple(
            ProblemRow(
                destination=d.destination,
                update=f"#{t.outcome.update_seq}"
                + (" (correction)" if t.outcome.correction else ""),
                result=_RESULT_WORDS[t.outcome.result],
                attempts=t.outcome.attempts,
                error=t.outcome.last_error or "—",
            )
            for d in figs.destinations
            for t in d.deliveries
            if t.outcome.result is not DeliveryResult.SENT or t.outcome.retries
        ),
        followups=tuple(
            FollowUpRow(
                text=f.text,
                owner=f.owner,
                due=day(f.due_at, zone),
                state=_followup_state(f.state, overdue=f.due_at < facts.as_of),
            )
            for f in sorted(facts.followups, key=lambda f: (f.due_at, f.id))
        ),
        facts=facts,
        figures=figs,
    )


def _component_row(impact: ComponentImpact) -> ComponentRow:
    time_in = dict(impact.time_in)
    return ComponentRow(
        name=impact.name,
        worst=impact.worst.label,
        durations=tuple(duration(time_in[s]) if s in time_in else "—" for s in IMPACT_COLUMNS),
        impacted=duration(impact.impacted),
    )


def _followup_state(state: FollowUpState, *, overdue: bool) -> str:
    if state is FollowUpState.OPEN and overdue:
        return "open, overdue"
    return state.value


def _summary(facts: PostmortemFacts, figs: Figures, at: At) -> tuple[FigureRow, ...]:
    inc = facts.incident
    rows = [
        FigureRow("Severity", inc.severity.value.upper()),
        FigureRow("Status", inc.status.label + (" (still open)" if figs.open else "")),
        FigureRow("Incident commander", inc.commander),
        FigureRow("Declared", at(inc.declared_at)),
        FigureRow("Recovered", at(figs.recovered_at) if figs.recovered_at else "not yet"),
        FigureRow("Duration", duration(figs.duration) + (" so far" if figs.open else "")),
    ]
    if figs.reopened:
        rows.append(
            FigureRow(
                "Reopened",
                f"{figs.reopened} time{'s' if figs.reopened > 1 else ''}; unresolved for "
                f"{duration(figs.time_unresolved)} in all",
            )
        )
    worst = ", ".join(f"{c.name}: {c.worst.label.lower()}" for c in figs.components)
    rows.append(FigureRow("Components (worst impact)", worst or "none named"))
    return tuple(rows)


def _log(facts: PostmortemFacts, figs: Figures, at: At) -> tuple[LogRow, ...]:
    rows: list[tuple[datetime, int, LogRow]] = []
    for m in figs.milestones:
        what = m.kind.label + (f" (update #{m.seq})" if m.seq is not None else "")
        rows.append((m.at, 0, LogRow(at(m.at), what, m.actor, note=False)))
    for n in facts.notes:
        rows.append((n.at, 1, LogRow(at(n.at), n.detail, n.actor, note=True)))
    rows.sort(key=lambda r: (r[0], r[1]))
    return tuple(r[2] for r in rows)


def _figure_rows(figs: Figures, at: At) -> tuple[FigureRow, ...]:
    first = (
        f"{duration(figs.time_to_first_update)} (at {at(figs.first_update_at)})"
        if figs.time_to_first_update is not None
        else "none: nothing was published"
    )
    slowest = max(
        (a for a in figs.approvals if not a.postmortem), key=lambda a: a.latency, default=None
    )
    approvals = (
        f"median {duration(figs.median_approval)}; longest {duration(slowest.latency)} "
        f"(#{slowest.seq})"
        if slowest
        else "—"
    )
    lateness = [p.late_by for p in figs.promises if p.late_by is not None]
    sent = sum(d.sent for d in figs.destinations)
    total = sum(len(d.deliveries) for d in figs.destinations)
    dead = sum(d.dead for d in figs.destinations)
    retries = sum(d.retries for d in figs.destinations)
    rows = [
        FigureRow("Time to first public update", first),
        FigureRow("Approval latency (drafted → approved)", approvals),
        FigureRow(
            "Promises kept (next update by)",
            percent(figs.promises_kept, figs.promises_judged)
            if figs.promises_judged
            else "none to judge",
        ),
        FigureRow(
            "Lateness of late promises",
            f"median {duration(median(lateness))}; worst {duration(max(lateness))}"
            if lateness
            else "—",
        ),
        FigureRow(
            "Deliveries",
            f"{sent} of {total} sent; {dead} dead; {retries} retries" if total else "none",
        ),
        FigureRow("Time to recover (declared → recovered)", duration(figs.mttr)),
        FigureRow("Root-cause analysis", rca_words(figs.rca, at)),
    ]
    return tuple(rows)


def rca_words(rca: RcaFigure, at: At) -> str:
    """One line on the RCA: when it was due and whether it came in time."""
    due = f"due {at(rca.due_at)}" if rca.due_at else "no due date"
    if rca.result is RcaResult.NOT_RECOVERED:
        return "not due: the incident is still open"
    if rca.published_at is not None:
        head = f"published {at(rca.published_at)}, {duration(rca.took)} after recovery"
        if rca.result is RcaResult.ON_TIME:
            return f"{head}; on time ({due})"
        if rca.result is RcaResult.LATE:
            return f"{head}; {duration(rca.late_by)} late ({due})"
        return head
    if rca.result is RcaResult.OVERDUE:
        return f"not published; {due}: {duration(rca.late_by)} overdue"
    return f"not published yet; {due}"
