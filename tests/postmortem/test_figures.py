"""Figures computed on hand-built timelines whose answers were worked out by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from commsbot.domain.lifecycle import Status, Trigger
from commsbot.domain.model import ComponentStatus
from commsbot.postmortem import compute
from commsbot.postmortem.figures import MilestoneKind, PromiseResult, RcaResult
from commsbot.postmortem.model import PostmortemFacts, RcaDue
from tests.postmortem import fixtures as fx

MIN = timedelta(minutes=1)


def test_dec11_times_to_first_update_and_recovery() -> None:
    figs = compute(fx.dec11())
    assert figs.time_to_first_update == 3 * MIN  # 3:16 → 3:19 PM PST
    assert figs.first_update_at == fx.pst(15, 19)
    assert figs.mttr == timedelta(hours=4, minutes=22)  # 3:16 → 7:38 PM PST
    assert figs.duration == figs.mttr == figs.time_unresolved
    assert figs.recovered_at == fx.pst(19, 38)
    assert not figs.open
    assert figs.reopened == 0


def test_dec11_approval_latency_per_update() -> None:
    figs = compute(fx.dec11())
    assert [(a.seq, a.latency) for a in figs.approvals] == [
        (1, 3 * MIN),
        (2, 5 * MIN),
        (3, 3 * MIN),
        (4, 2 * MIN),
    ]
    assert figs.median_approval == 3 * MIN


def test_dec11_promises_two_late_one_kept() -> None:
    figs = compute(fx.dec11())
    got = [(p.seq, p.result, p.next_seq, p.late_by) for p in figs.promises]
    assert got == [
        (1, PromiseResult.LATE, 2, 8 * MIN),  # by 3:49, came 3:57
        (2, PromiseResult.LATE, 3, 78 * MIN),  # by 4:25, came 5:43
        (3, PromiseResult.KEPT, 4, None),  # by 7:45, came 7:38
    ]
    assert (figs.promises_kept, figs.promises_judged) == (1, 3)
    assert figs.adherence == pytest.approx(1 / 3)
    assert sorted(figs.lateness) == [8 * MIN, 78 * MIN]


def test_dec11_component_impact() -> None:
    figs = compute(fx.dec11())
    assert [c.name for c in figs.components] == list(fx.PRODUCTS)
    for impact in figs.components:
        assert impact.worst is ComponentStatus.MAJOR_OUTAGE
        assert dict(impact.time_in) == {
            ComponentStatus.MAJOR_OUTAGE: timedelta(hours=2, minutes=24),  # 3:19 → 5:43
            ComponentStatus.PARTIAL_OUTAGE: timedelta(hours=1, minutes=55),  # 5:43 → 7:38
        }
        assert impact.impacted == timedelta(hours=4, minutes=19)
        assert [s.status for s in impact.spans] == [fx.OP, fx.MAJOR, fx.PARTIAL, fx.OP]
        assert impact.spans[0].start == fx.pst(15, 16)
        assert impact.spans[-1].end == fx.pst(19, 38)
    assert figs.worst is ComponentStatus.MAJOR_OUTAGE


def test_dec11_deliveries_per_destination_with_a_dead_one() -> None:
    figs = compute(fx.dec11())
    by_name = {d.destination: d for d in figs.destinations}
    assert list(by_name) == ["slack-status", "status-page", "x-apprise"]
    x = by_name["x-apprise"]
    assert (x.sent, x.dead, x.pending, x.retries) == (3, 1, 0, 3 + 4)
    assert x.max_delay == timedelta(seconds=45)
    assert x.median_delay == timedelta(seconds=3)  # of 45, 2, 3
    dead = [t for t in x.deliveries if t.outcome.dead]
    assert [t.outcome.update_seq for t in dead] == [2]
    assert dead[0].delay is None
    slack = by_name["slack-status"]
    assert (slack.sent, slack.dead, slack.retries) == (4, 0, 0)
    assert slack.median_delay == timedelta(seconds=1.2)


def test_dec11_rca_not_due_yet_then_on_time() -> None:
    waiting = compute(fx.dec11()).rca
    assert waiting.result is RcaResult.NOT_DUE
    assert waiting.due_at == fx.pst(17, 0, day=16)
    assert waiting.published_at is None

    done = compute(fx.dec11(with_rca=True))
    assert done.rca.result is RcaResult.ON_TIME
    assert done.rca.seq == 5
    assert done.rca.took == timedelta(hours=38, minutes=22)  # Dec 11 7:38 PM → Dec 13 10 AM
    # The RCA's draft took an hour: not an approval wait, left out of the median.
    assert done.approvals[-1].latency == timedelta(hours=1)
    assert done.median_approval == 3 * MIN
    # The RCA came after recovery: MTTR does not move.
    assert done.mttr == timedelta(hours=4, minutes=22)


def test_rca_late_and_overdue() -> None:
    late = fx.dec11(with_rca=True)
    late = replace(late, rca_due=(RcaDue(fx.pst(17, 0, day=12), fx.pst(19, 38)),))
    rca = compute(late).rca
    assert (rca.result, rca.late_by) == (RcaResult.LATE, timedelta(hours=17))

    overdue = replace(fx.dec11(as_of=fx.pst(9, 0, day=17)))
    rca = compute(overdue).rca
    assert rca.result is RcaResult.OVERDUE
    assert rca.late_by == timedelta(hours=16)  # due Dec 16 5 PM, read Dec 17 9 AM


def test_dec11_milestones() -> None:
    figs = compute(fx.dec11(with_rca=True))
    assert [(m.kind, m.at, m.seq) for m in figs.milestones] == [
        (MilestoneKind.DECLARED, fx.pst(15, 16), None),
        (MilestoneKind.FIRST_UPDATE, fx.pst(15, 19), 1),
        (MilestoneKind.IDENTIFIED, fx.pst(15, 57), 2),
        (MilestoneKind.FIXING, fx.pst(17, 43), 3),
        (MilestoneKind.RECOVERED, fx.pst(19, 38), 4),
        (MilestoneKind.POSTMORTEM, fx.pst(10, 0, day=13), 5),
    ]


def test_no_public_update() -> None:
    figs = compute(fx.no_update())
    assert figs.open
    assert figs.time_to_first_update is None
    assert figs.first_update_at is None
    assert figs.mttr is None
    assert figs.duration == 20 * MIN  # declared 10:00, read 10:20
    assert figs.promises == ()
    assert figs.adherence is None
    assert figs.rca.result is RcaResult.NOT_RECOVERED
    (api,) = figs.components
    assert api.worst is ComponentStatus.OPERATIONAL  # the public record never moved it
    assert api.impacted == timedelta(0)
    assert [m.kind for m in figs.milestones] == [MilestoneKind.DECLARED]


def test_reopened_incident() -> None:
    figs = compute(fx.reopened())
    assert figs.reopened == 1
    assert figs.mttr == timedelta(hours=1, minutes=45)  # declared 10:00 → last recovery 11:45
    assert figs.time_unresolved == 75 * MIN  # 10:00–10:30 and 11:00–11:45
    assert figs.recovered_at == fx.utc(11, 45)
    assert [(p.seq, p.result, p.late_by) for p in figs.promises] == [
        (1, PromiseResult.KEPT, None),  # by 10:35, recovery came 10:30
        (3, PromiseResult.LATE, 15 * MIN),  # by 11:30, came 11:45
    ]
    (api,) = figs.components
    assert dict(api.time_in) == {
        ComponentStatus.MAJOR_OUTAGE: 25 * MIN,
        ComponentStatus.PARTIAL_OUTAGE: 45 * MIN,
    }
    assert api.impacted == 70 * MIN
    assert [m.kind for m in figs.milestones] == [
        MilestoneKind.DECLARED,
        MilestoneKind.FIRST_UPDATE,
        MilestoneKind.RECOVERED,
        MilestoneKind.REOPENED,
        MilestoneKind.RECOVERED,
    ]
    # The RCA is owed from the last recovery.
    assert figs.rca.recovered_at == fx.utc(11, 45)


def test_correction_is_not_an_update() -> None:
    plain, fixed = compute(fx.reopened()), compute(fx.corrected())
    assert fixed.promises == plain.promises
    assert fixed.time_to_first_update == plain.time_to_first_update
    assert len(fixed.approvals) == len(plain.approvals) == 4
    (webhook,) = fixed.destinations
    correction = [t for t in webhook.deliveries if t.outcome.correction]
    # Timed from the correction's approval (10:25), not the update's (10:05).
    assert [t.delay for t in correction] == [timedelta(seconds=2)]


def test_open_incident_promise_overdue() -> None:
    figs = compute(fx.still_open())
    assert figs.open
    assert figs.mttr is None
    assert figs.recovered_at is None
    assert figs.duration == 50 * MIN
    assert figs.end == fx.utc(10, 50)
    (promise,) = figs.promises
    assert (promise.result, promise.late_by) == (PromiseResult.OVERDUE, 16 * MIN)
    assert figs.promises_judged == 1
    assert figs.promises_kept == 0
    api, web = figs.components
    assert api.worst is ComponentStatus.MAJOR_OUTAGE
    assert api.impacted == 46 * MIN
    assert web.worst is ComponentStatus.DEGRADED_PERFORMANCE
    (slack,) = figs.destinations
    assert (slack.pending, slack.sent, slack.retries) == (1, 0, 1)


def test_open_incident_promise_not_due_yet() -> None:
    figs = compute(replace(fx.still_open(), as_of=fx.utc(10, 20)))
    (promise,) = figs.promises
    assert promise.result is PromiseResult.NOT_DUE
    assert figs.promises_judged == 0
    assert figs.adherence is None


def test_sev4_without_promises() -> None:
    figs = compute(fx.sev4_quiet())
    assert figs.promises == ()
    assert figs.adherence is None
    assert figs.lateness == ()
    assert figs.time_to_first_update == 30 * MIN
    assert figs.mttr == timedelta(hours=3, minutes=30)
    (docs,) = figs.components
    assert dict(docs.time_in) == {ComponentStatus.DEGRADED_PERFORMANCE: 3 * timedelta(hours=1)}
    # Recovered without a due date for the RCA (reminders off).
    assert figs.rca.result is RcaResult.NO_DUE_DATE


def test_last_promise_of_a_recovered_incident_with_nothing_after_is_moot() -> None:
    facts = fx.sev4_quiet()
    last = replace(facts.updates[-1], next_update_by=fx.utc(13, 0))
    figs = compute(replace(facts, updates=(facts.updates[0], last)))
    (promise,) = figs.promises
    assert promise.result is PromiseResult.MOOT
    assert figs.promises_judged == 0


def test_bad_facts_are_refused_with_the_field_named() -> None:
    facts = fx.dec11()
    naive = facts.incident.declared_at.replace(tzinfo=None)
    with pytest.raises(ValueError, match="declared_at is a naive datetime"):
        replace(facts.incident, declared_at=naive)
    with pytest.raises(ValueError, match="repeat a seq"):
        replace(facts, updates=(facts.updates[0], facts.updates[0]))
    with pytest.raises(ValueError, match="names update #9"):
        replace(facts, deliveries=(replace(facts.deliveries[0], update_seq=9),))
    with pytest.raises(ValueError, match="published before it was drafted"):
        replace(facts.updates[0], drafted_at=fx.pst(16, 0))
    with pytest.raises(ValueError, match="before INC-1 was declared"):
        replace(facts, as_of=fx.pst(15, 0))


def test_updates_are_taken_in_seq_order() -> None:
    facts = fx.dec11()
    shuffled = PostmortemFacts(
        incident=facts.incident, as_of=facts.as_of, updates=tuple(reversed(facts.updates))
    )
    assert [u.seq for u in shuffled.updates] == [1, 2, 3, 4]


def test_from_domain_update() -> None:
    from commsbot.domain.model import Update
    from commsbot.postmortem.model import PublishedUpdate

    domain = Update(
        id="u1", incident_id="i", seq=1, status=Status.INVESTIGATING,
        trigger=Trigger.PROGRESS, body="b", changes=(), author="maya", approver="sam",
        draft_id="d", published_at=fx.pst(15, 19), next_update_by=fx.pst(15, 49),
        authors=("maya", "lee"),
    )  # fmt: skip
    made = PublishedUpdate.from_update(domain, drafted_at=fx.pst(15, 16))
    assert made.authors == ("maya", "lee")
    assert (made.approver, made.next_update_by, made.drafted_at) == (
        "sam",
        fx.pst(15, 49),
        fx.pst(15, 16),
    )
    assert PublishedUpdate.from_update(
        domain, drafted_at=fx.pst(15, 16), authors=("x",)
    ).authors == ("x",)
