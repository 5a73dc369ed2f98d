"""The postmortem as data (``--json``): the same facts and figures, for machines.

Times are ISO 8601 in UTC with milliseconds and ``Z``; durations are seconds (``…_s``, to the
millisecond); statuses and results are their stable string values. No zone: a reader formats.
"""

from __future__ import annotations

from typing import Any

from commsbot.postmortem.compute import compute
from commsbot.postmortem.figures import Figures, median
from commsbot.postmortem.model import PostmortemFacts
from commsbot.postmortem.report import Distribution, Group, Report
from commsbot.postmortem.text import iso, seconds


def to_json(facts: PostmortemFacts, *, figures: Figures | None = None) -> dict[str, Any]:
    """A JSON-ready dict of one postmortem (``json.dumps`` takes it as is)."""
    figs = figures or compute(facts)
    inc = facts.incident
    return {
        "draft": figs.open,
        "as_of": iso(facts.as_of),
        "incident": {
            "id": inc.id,
            "ref": inc.ref,
            "title": inc.title,
            "severity": inc.severity.value,
            "status": inc.status.value,
            "commander": inc.commander,
            "declared_at": iso(inc.declared_at),
            "resolved_at": iso(inc.resolved_at),
            "components": list(inc.components),
        },
        "updates": [
            {
                "seq": u.seq,
                "id": u.id or None,
                "status": u.status.value,
                "trigger": u.trigger.value,
                "postmortem": u.postmortem,
                "body": u.body,
                "authors": list(u.authors),
                "approver": u.approver,
                "drafted_at": iso(u.drafted_at),
                "published_at": iso(u.published_at),
                "approval_latency_s": seconds(u.published_at - u.drafted_at),
                "next_update_by": iso(u.next_update_by),
                "corrected_at": iso(u.corrected_at),
                "components": [
                    {"name": c.name, "old_status": c.old.value, "new_status": c.new.value}
                    for c in u.changes
                ],
            }
            for u in facts.updates
        ],
        "milestones": [
            {"at": iso(m.at), "kind": m.kind.value, "actor": m.actor, "seq": m.seq}
            for m in figs.milestones
        ],
        "notes": [{"at": iso(n.at), "actor": n.actor, "text": n.detail} for n in facts.notes],
        "components": [
            {
                "name": c.name,
                "worst": c.worst.value,
                "impacted_s": seconds(c.impacted),
                "time_in_s": {status.value: seconds(t) for status, t in c.time_in},
                "spans": [
                    {
                        "status": s.status.value,
                        "start": iso(s.start),
                        "end": iso(s.end),
                        "duration_s": seconds(s.duration),
                    }
                    for s in c.spans
                ],
            }
            for c in figs.components
        ],
        "figures": _figures(figs),
        "deliveries": [
            {
                "destination": d.destination,
                "sent": d.sent,
                "pending": d.pending,
                "dead": d.dead,
                "retries": d.retries,
                "median_delay_s": seconds(d.median_delay),
                "max_delay_s": seconds(d.max_delay),
                "items": [
                    {
                        "update_seq": t.outcome.update_seq,
                        "correction": t.outcome.correction,
                        "result": t.outcome.result.value,
                        "attempts": t.outcome.attempts,
                        "retries": t.outcome.retries,
                        "created_at": iso(t.outcome.created_at),
                        "sent_at": iso(t.outcome.sent_at),
                        "dead_at": iso(t.outcome.dead_at),
                        "delay_s": seconds(t.delay),
                        "last_error": t.outcome.last_error,
                    }
                    for t in d.deliveries
                ],
            }
            for d in figs.destinations
        ],
        "followups": [
            {
                "id": f.id,
                "text": f.text,
                "owner": f.owner,
                "state": f.state.value,
                "due_at": iso(f.due_at),
                "created_at": iso(f.created_at),
                "closed_at": iso(f.closed_at),
            }
            for f in facts.followups
        ],
    }


def _figures(figs: Figures) -> dict[str, Any]:
    rca = figs.rca
    latencies = figs.update_approvals
    return {
        "open": figs.open,
        "recovered_at": iso(figs.recovered_at),
        "duration_s": seconds(figs.duration),
        "time_to_recover_s": seconds(figs.mttr),
        "time_unresolved_s": seconds(figs.time_unresolved),
        "reopened": figs.reopened,
        "first_update_at": iso(figs.first_update_at),
        "time_to_first_update_s": seconds(figs.time_to_first_update),
        "worst_impact": figs.worst.value,
        "approval_latency_s": {
            "median": seconds(median(latencies)),
            "max": seconds(max(latencies, default=None)),
            "by_update": {str(a.seq): seconds(a.latency) for a in figs.approvals},
            "excluded_from_median": [a.seq for a in figs.approvals if a.postmortem],
        },
        "promises": {
            "judged": figs.promises_judged,
            "kept": figs.promises_kept,
            "adherence": figs.adherence,
            "median_lateness_s": seconds(median(figs.lateness)),
            "items": [
                {
                    "seq": p.seq,
                    "made_at": iso(p.made_at),
                    "due_at": iso(p.due_at),
                    "next_seq": p.next_seq,
                    "next_at": iso(p.next_at),
                    "result": p.result.value,
                    "late_by_s": seconds(p.late_by),
                }
                for p in figs.promises
            ],
        },
        "rca": {
            "result": rca.result.value,
            "recovered_at": iso(rca.recovered_at),
            "due_at": iso(rca.due_at),
            "published_at": iso(rca.published_at),
            "seq": rca.seq,
            "took_s": seconds(rca.took),
            "late_by_s": seconds(rca.late_by),
        },
    }


def report_to_json(report: Report) -> dict[str, Any]:
    """A JSON-ready dict of the over-time report (``commsbot report --json``)."""
    return {
        "zone": report.zone,
        "first_declared": iso(report.first_declared),
        "last_declared": iso(report.last_declared),
        "total": _group(report.total),
        "by_severity": [_group(g) for g in report.by_severity],
        "by_month": [_group(g) for g in report.by_month],
        "by_month_severity": [_group(g) for g in report.by_month_severity],
    }


def _distribution(d: Distribution) -> dict[str, Any]:
    return {"count": d.count, "median_s": seconds(d.median), "p90_s": seconds(d.p90)}


def _group(g: Group) -> dict[str, Any]:
    return {
        "month": g.month,
        "severity": g.severity.value if g.severity else None,
        "incidents": g.incidents,
        "open": g.open,
        "without_public_update": g.without_public_update,
        "reopened": g.reopened,
        "time_to_first_update": _distribution(g.time_to_first_update),
        "approval_latency": _distribution(g.approval_latency),
        "promises": {
            "judged": g.promises_judged,
            "kept": g.promises_kept,
            "adherence": g.adherence,
            "lateness": _distribution(g.lateness),
        },
        "time_to_recover": _distribution(g.mttr),
        "rca": {"judged": g.rca_judged, "on_time": g.rca_on_time, "rate": g.rca_on_time_rate},
        "deliveries": {"total": g.deliveries, "dead": g.dead_deliveries},
    }
