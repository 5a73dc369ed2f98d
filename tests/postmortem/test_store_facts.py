"""The postmortem read use cases on the real store (SQLite and PostgreSQL): the 11 December
outage written through the real use cases and read back, compared field by field with the
answers written by hand."""

from __future__ import annotations

from dataclasses import fields
from datetime import timedelta
from typing import Any

import pytest

from commsbot.domain.errors import InvalidInput, NotFound
from commsbot.domain.lifecycle import Status, Trigger
from commsbot.domain.model import ComponentChange, ComponentStatus, Severity
from commsbot.postmortem import compute
from commsbot.postmortem.figures import PromiseResult, RcaResult
from commsbot.postmortem.model import (
    DeliveryOutcome,
    DeliveryResult,
    FollowUpState,
    PostmortemFacts,
    PublishedUpdate,
)
from commsbot.services.incidents import declare
from commsbot.services.postmortems import iter_postmortems, load_postmortem, team_report
from tests.postmortem.seed import BODIES, MAYA, NOTE, PRODUCTS, Seeded, pst, seed_dec11, wire

OP = ComponentStatus.OPERATIONAL
MAJOR = ComponentStatus.MAJOR_OUTAGE
PARTIAL = ComponentStatus.PARTIAL_OUTAGE


def moves(old: ComponentStatus, new: ComponentStatus) -> tuple[ComponentChange, ...]:
    return tuple(ComponentChange(name, old, new) for name in PRODUCTS)


def as_fields(value: Any) -> dict[str, Any]:
    return {f.name: getattr(value, f.name) for f in fields(value)}


@pytest.fixture
def story(database_url: str) -> tuple[Any, Seeded, PostmortemFacts]:
    app, clock = wire(database_url)
    seeded = seed_dec11(app, clock)
    clock.current = pst(12, 0, day=13)
    facts = load_postmortem(app.deps, incident_ref="INC-1")
    return app, seeded, facts


def test_the_incident_and_its_updates_read_back_field_by_field(
    story: tuple[Any, Seeded, PostmortemFacts],
) -> None:
    _, seeded, facts = story
    assert as_fields(facts.incident) == {
        "id": seeded.incident_id,
        "ref": "INC-1",
        "title": "ChatGPT, API and Sora unavailable",
        "severity": Severity.SEV1,
        "status": Status.RECOVERED,
        "commander": "maya",
        "declared_at": pst(15, 16),
        "resolved_at": pst(19, 38),
        "components": PRODUCTS,
    }
    assert facts.as_of == pst(12, 0, day=13)
    ids = seeded.update_ids
    expected = [
        PublishedUpdate(
            seq=1, status=Status.INVESTIGATING, trigger=Trigger.PROGRESS, body=BODIES["1c"],
            authors=("maya",), approver="sam", drafted_at=pst(15, 16), published_at=pst(15, 19),
            next_update_by=pst(15, 46), changes=moves(OP, MAJOR), corrected_at=pst(16, 5),
            id=ids[1],
        ),
        PublishedUpdate(
            seq=2, status=Status.IDENTIFIED, trigger=Trigger.IDENTIFY,
            body=BODIES[2].replace("fix.", "fix now.").replace("{next_update_by}", "4:25 PM PST"),
            authors=("maya", "lee"), approver="maya", drafted_at=pst(15, 52),
            published_at=pst(15, 57), next_update_by=pst(16, 25), id=ids[2],
        ),
        PublishedUpdate(
            seq=3, status=Status.FIXING, trigger=Trigger.FIX,
            body=BODIES[3].replace("{next_update_by}", "7:45 PM PST"), authors=("maya",),
            approver="sam", drafted_at=pst(17, 40), published_at=pst(17, 43),
            next_update_by=pst(19, 45), changes=moves(MAJOR, PARTIAL), id=ids[3],
        ),
        PublishedUpdate(
            seq=4, status=Status.RECOVERED, trigger=Trigger.RECOVER, body=BODIES[4],
            authors=("maya",), approver="sam", drafted_at=pst(19, 36), published_at=pst(19, 38),
            changes=moves(PARTIAL, OP), id=ids[4],
        ),
        PublishedUpdate(
            seq=5, status=Status.RECOVERED, trigger=Trigger.POSTMORTEM, body=BODIES[5],
            authors=("lee",), approver="maya", drafted_at=pst(9, 0, day=13),
            published_at=pst(10, 5, day=13), id=ids[5],
        ),
    ]  # fmt: skip
    assert [u.seq for u in facts.updates] == [1, 2, 3, 4, 5]
    for got, want in zip(facts.updates, expected, strict=True):
        assert as_fields(got) == as_fields(want), f"update #{want.seq}"


def test_deliveries_map_the_ledger_states_and_corrections(
    story: tuple[Any, Seeded, PostmortemFacts],
) -> None:
    _, _, facts = story
    by_key = {(d.update_seq, d.destination, d.correction): d for d in facts.deliveries}
    # Three destinations for each of five updates, and for the correction of #1.
    assert len(facts.deliveries) == 18
    assert as_fields(by_key[1, "x-apprise", False]) == as_fields(
        DeliveryOutcome(
            update_seq=1, destination="x-apprise", result=DeliveryResult.SENT,
            created_at=pst(15, 19), attempts=4, sent_at=pst(15, 19, second=45),
        )
    )  # fmt: skip
    assert as_fields(by_key[2, "x-apprise", False]) == as_fields(
        DeliveryOutcome(
            update_seq=2, destination="x-apprise", result=DeliveryResult.DEAD,
            created_at=pst(15, 57), attempts=5, dead_at=pst(16, 57),
            last_error="HTTP 503 from the X API",
        )
    )  # fmt: skip
    retrying = by_key[3, "x-apprise", False]
    assert (retrying.result, retrying.attempts, retrying.last_error, retrying.sent_at) == (
        DeliveryResult.PENDING, 2, "timeout", None,
    )  # fmt: skip
    untouched = by_key[5, "x-apprise", False]
    assert (untouched.result, untouched.attempts) == (DeliveryResult.PENDING, 0)
    correction = by_key[1, "slack-status", True]
    assert (correction.result, correction.created_at, correction.sent_at) == (
        DeliveryResult.SENT, pst(16, 5), pst(16, 5, second=2),
    )  # fmt: skip
    assert by_key[1, "status-page", True].result is DeliveryResult.PENDING
    slack = by_key[4, "slack-status", False]
    assert slack.sent_at is not None
    assert slack.sent_at - slack.created_at == timedelta(seconds=1.2)


def test_followups_rca_due_and_notes(story: tuple[Any, Seeded, PostmortemFacts]) -> None:
    _, seeded, facts = story
    by_id = {f.id: f for f in facts.followups}
    canary = by_id[seeded.followups["canary"]]
    glass = by_id[seeded.followups["glass"]]
    # Due dates are the start of business (09:00) on the day given.
    assert (canary.owner, canary.state, canary.due_at, canary.closed_at) == (
        "priya", FollowUpState.OPEN, pst(9, 0, day=18), None,
    )  # fmt: skip
    assert canary.text == "Stage cluster-wide telemetry deploys behind a canary"
    assert canary.created_at == pst(20, 0)
    assert (glass.owner, glass.state, glass.due_at, glass.closed_at) == (
        "lee", FollowUpState.DONE, pst(9, 0, day=13), pst(11, 0, day=13),
    )  # fmt: skip
    # Recovered Wednesday 7:38 PM; 5 business days later at 17:00 (the RCA reminder, done now).
    assert [(r.due_at, r.recovered_at) for r in facts.rca_due] == [
        (pst(17, 0, day=18), pst(19, 38))
    ]
    assert [(n.at, n.actor, n.detail) for n in facts.notes] == [(pst(15, 52), "maya", NOTE)]


def test_the_figures_of_the_story_read_from_the_store(
    story: tuple[Any, Seeded, PostmortemFacts],
) -> None:
    _, _, facts = story
    figs = compute(facts)
    assert figs.time_to_first_update == timedelta(minutes=3)
    assert figs.mttr == timedelta(hours=4, minutes=22)
    assert [(p.seq, p.result, p.late_by) for p in figs.promises] == [
        (1, PromiseResult.LATE, timedelta(minutes=11)),
        (2, PromiseResult.LATE, timedelta(hours=1, minutes=18)),
        (3, PromiseResult.KEPT, None),
    ]
    assert figs.update_approvals == (
        timedelta(minutes=3), timedelta(minutes=5), timedelta(minutes=3), timedelta(minutes=2),
    )  # fmt: skip
    assert figs.rca.result is RcaResult.ON_TIME
    assert figs.rca.took == pst(10, 5, day=13) - pst(19, 38)
    by_target = {d.destination: d for d in figs.destinations}
    assert (by_target["x-apprise"].sent, by_target["x-apprise"].dead) == (1, 1)
    assert by_target["x-apprise"].retries == 3 + 4 + 1


def test_an_open_incident_reads_as_facts_so_far(database_url: str) -> None:
    app, clock = wire(database_url)
    seed_dec11(app, clock)
    clock.current = pst(16, 0, day=13)
    declare(app.deps, title="Checkout failing", severity=Severity.SEV2,
            components={"API": None}, actor=MAYA)  # fmt: skip
    clock.current = pst(16, 30, day=13)
    facts = load_postmortem(app.deps, incident_ref="INC-2")
    assert facts.incident.status is Status.INVESTIGATING
    assert facts.incident.open
    assert (facts.updates, facts.deliveries, facts.followups, facts.rca_due) == ((), (), (), ())
    assert facts.as_of == pst(16, 30, day=13)
    figs = compute(facts)
    assert figs.open
    assert figs.duration == timedelta(minutes=30)
    assert figs.time_to_first_update is None


def test_an_unknown_incident_is_not_found(database_url: str) -> None:
    app, _ = wire(database_url)
    with pytest.raises(NotFound, match="there is no incident 'INC-9'"):
        load_postmortem(app.deps, incident_ref="INC-9")


def test_every_incident_since_a_time_streams_in_batches(database_url: str) -> None:
    app, clock = wire(database_url)
    seed_dec11(app, clock)
    for day in (14, 15, 16, 17, 18):
        clock.current = pst(9, 0, day=day)
        declare(app.deps, title=f"Blip on the {day}th", severity=Severity.SEV3,
                components={"API": None}, actor=MAYA)  # fmt: skip
    clock.current = pst(12, 0, day=19)

    everything = list(iter_postmortems(app.deps, since=None, batch=2))
    since_16 = list(iter_postmortems(app.deps, since=pst(9, 0, day=16), batch=2))

    assert [f.incident.ref for f in everything] == [f"INC-{n}" for n in range(1, 7)]
    assert [f.incident.ref for f in since_16] == ["INC-4", "INC-5", "INC-6"]
    # The bulk read leaves the timeline out (no figure needs it) but keeps everything else.
    first = everything[0]
    assert first.timeline == ()
    assert len(first.updates) == 5
    assert len(first.deliveries) == 18
    assert len(first.followups) == 2
    assert all(f.as_of == pst(12, 0, day=19) for f in everything)


def test_the_team_report_through_the_store(database_url: str) -> None:
    app, clock = wire(database_url)
    seed_dec11(app, clock)
    clock.current = pst(12, 0, day=20)

    found = team_report(app.deps, since="30d")
    report = found.report
    assert found.since == pst(12, 0, day=20) - timedelta(days=30)

    assert report.total.incidents == 1
    sev1 = report.by_severity[0]
    assert (sev1.severity, sev1.incidents, sev1.promises_judged, sev1.promises_kept) == (
        Severity.SEV1, 1, 3, 1,
    )  # fmt: skip
    assert sev1.time_to_first_update.median == timedelta(minutes=3)
    assert [g.month for g in report.by_month] == ["2024-12"]
    assert team_report(app.deps, since="2h").report.total.incidents == 0
    with pytest.raises(InvalidInput, match="since 'soon' is not a time") as refused:
        team_report(app.deps, since="soon")
    assert refused.value.field == "since"
