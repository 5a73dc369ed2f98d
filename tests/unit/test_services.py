"""The use cases through their public functions, on in-memory fakes."""

from __future__ import annotations

import pytest

from commsbot.domain.errors import (
    AlreadyDecided,
    GuardFailed,
    InvalidInput,
    InvalidTransition,
    NotAllowed,
    NotFound,
    StaleDraft,
)
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import ComponentStatus as CS
from commsbot.domain.model import Severity
from commsbot.domain.policy import Actor
from commsbot.services.drafts import approve_draft, edit_draft, propose_update, reject_draft
from commsbot.services.incidents import add_note, declare, list_incidents, show_incident
from commsbot.settings import parse_settings
from tests.unit.fakes import make_deps

ALICE, BOB, CAROL = Actor("alice"), Actor("bob"), Actor("carol")
OUTAGE = {"ChatGPT": None, "API": None, "Sora": None}


def test_declare_opens_investigating_with_an_acknowledgment_draft() -> None:
    deps, data, _ = make_deps()
    result = declare(deps, title="Outage", severity=Severity.SEV1, components=OUTAGE, actor=ALICE)
    assert result.incident.incident.status is Status.INVESTIGATING
    assert result.incident.incident.ref == "INC-1"
    # Nothing public happened yet: the components stay operational until approval.
    assert result.incident.components == dict.fromkeys(OUTAGE, CS.OPERATIONAL)
    assert result.draft.body.startswith(
        "We're investigating an issue affecting ChatGPT, API and Sora."
    )
    assert "3:46 PM PST" in result.draft.body  # 3:16 PM PST + sev1 cadence of 30 minutes
    assert result.draft.component_changes == dict.fromkeys(OUTAGE, CS.MAJOR_OUTAGE)
    assert [e.action for e in data.timeline] == ["declared", "drafted"]


def test_second_person_approval_publishes_status_and_components_together() -> None:
    deps, _, clock = make_deps()
    declared = declare(deps, title="Outage", severity=Severity.SEV1, components=OUTAGE, actor=ALICE)
    clock.advance(minutes=2)
    published = approve_draft(deps, draft_id=declared.draft.id, actor=BOB)
    assert published.update.seq == 1
    assert published.update.approver == "bob"
    assert published.incident.components == dict.fromkeys(OUTAGE, CS.MAJOR_OUTAGE)
    # The promise made when it was drafted (3:16 PM + 30 minutes), as its text states it.
    assert published.update.next_update_by == clock.now().replace(minute=46)
    assert "3:46 PM PST" in published.update.body
    detail = show_incident(deps, incident_ref="INC-1")
    assert [u.id for u in detail.updates] == [published.update.id]
    assert detail.pending == []
    assert [e.action for e in detail.timeline] == ["declared", "drafted", "published"]


def test_two_person_rule_refuses_the_author() -> None:
    deps, data, _ = make_deps()
    declared = declare(deps, title="Outage", severity=Severity.SEV1, components=OUTAGE, actor=ALICE)
    with pytest.raises(NotAllowed, match="they wrote it, and someone else must"):
        approve_draft(deps, draft_id=declared.draft.id, actor=ALICE)
    assert show_incident(deps, incident_ref="INC-1").updates == []
    assert len(data.timeline) == 2


def test_self_approval_when_the_team_allows_it() -> None:
    settings = parse_settings({"approval": {"allow_self_approval": True}})
    deps, _, _ = make_deps(settings)
    declared = declare(deps, title="Blip", severity=Severity.SEV3, components={}, actor=ALICE)
    assert approve_draft(deps, draft_id=declared.draft.id, actor=ALICE).update.approver == "alice"


def test_approver_lists_by_person_group_and_severity() -> None:
    settings = parse_settings(
        {
            "approval": {"approvers": ["bob", "slack-group:S0COMMS"]},
            "severities": {"sev1": {"approvers": ["carol"]}},
        }
    )
    deps, _, _ = make_deps(settings)
    minor = declare(deps, title="Slow", severity=Severity.SEV3, components={}, actor=ALICE)
    major = declare(deps, title="Down", severity=Severity.SEV1, components={}, actor=ALICE)
    with pytest.raises(NotAllowed, match="approvers are bob, slack-group:S0COMMS"):
        approve_draft(deps, draft_id=minor.draft.id, actor=CAROL)
    grouped = Actor("slack:U1", groups=frozenset({"slack-group:S0COMMS"}))
    approve_draft(deps, draft_id=minor.draft.id, actor=grouped)
    with pytest.raises(NotAllowed, match="approvers are carol"):
        approve_draft(deps, draft_id=major.draft.id, actor=BOB)
    approve_draft(deps, draft_id=major.draft.id, actor=CAROL)


def test_stale_version_is_refused_and_current_one_accepted() -> None:
    deps, _, _ = make_deps()
    declared = declare(deps, title="Outage", severity=Severity.SEV1, components=OUTAGE, actor=ALICE)
    edited = edit_draft(deps, draft_id=declared.draft.id, actor=ALICE, body="We're on it.")
    assert edited.draft.version == 2
    with pytest.raises(StaleDraft, match=r"version 1 .* now at version 2"):
        approve_draft(deps, draft_id=declared.draft.id, actor=BOB, version=1)
    published = approve_draft(deps, draft_id=declared.draft.id, actor=BOB, version=2)
    assert published.update.body == "We're on it."


def test_draft_written_before_the_incident_moved_is_stale() -> None:
    deps, _, _ = make_deps()
    d = declare(deps, title="Outage", severity=Severity.SEV1, components=OUTAGE, actor=ALICE)
    approve_draft(deps, draft_id=d.draft.id, actor=BOB)
    identified = propose_update(deps, incident_ref="1", status=Status.IDENTIFIED, actor=ALICE)
    fixing = propose_update(deps, incident_ref="1", status=Status.FIXING, actor=ALICE)
    approve_draft(deps, draft_id=fixing.draft.id, actor=BOB)
    with pytest.raises(StaleDraft, match="written when INC-1 was investigating"):
        approve_draft(deps, draft_id=identified.draft.id, actor=BOB)


def test_recovery_guard_and_full_day() -> None:
    deps, _, clock = make_deps()
    d = declare(deps, title="Outage", severity=Severity.SEV1, components=OUTAGE, actor=ALICE)
    approve_draft(deps, draft_id=d.draft.id, actor=BOB)
    with pytest.raises(GuardFailed, match=r"ChatGPT \(major_outage\).* not operational"):
        propose_update(deps, incident_ref="INC-1", status=Status.RECOVERED, actor=ALICE)
    clock.advance(hours=4, minutes=22)
    rec = propose_update(
        deps,
        incident_ref="INC-1",
        status=Status.RECOVERED,
        actor=ALICE,
        component_changes=dict.fromkeys(("chatgpt", "API", "Sora"), CS.OPERATIONAL),
    )
    assert rec.draft.component_changes == dict.fromkeys(OUTAGE, CS.OPERATIONAL)
    assert rec.draft.body.startswith("ChatGPT, API and Sora were down today but we've recovered.")
    assert "3:16 PM PST to 7:38 PM PST" in rec.draft.body
    done = approve_draft(deps, draft_id=rec.draft.id, actor=BOB)
    assert done.incident.incident.status is Status.RECOVERED
    assert done.incident.incident.resolved_at == clock.now()
    assert done.update.next_update_by is None
    assert list_incidents(deps, open_only=True) == []


def test_recovery_guard_at_approval_when_components_went_down_since() -> None:
    deps, _, _ = make_deps()
    d = declare(deps, title="Outage", severity=Severity.SEV2, components={"API": None}, actor=ALICE)
    approve_draft(deps, draft_id=d.draft.id, actor=BOB)
    rec = propose_update(
        deps,
        incident_ref="1",
        status=Status.RECOVERED,
        actor=ALICE,
        component_changes={"API": CS.OPERATIONAL},
    )
    other = propose_update(
        deps,
        incident_ref="1",
        status=Status.INVESTIGATING,
        actor=ALICE,
        component_changes={"Sora": CS.PARTIAL_OUTAGE},
    )
    approve_draft(deps, draft_id=other.draft.id, actor=BOB)
    # Sora went down after the recovery draft was written: approving it now is refused.
    with pytest.raises(GuardFailed, match=r"Sora \(partial_outage\)"):
        approve_draft(deps, draft_id=rec.draft.id, actor=BOB)
    with pytest.raises(GuardFailed, match=r"Sora \(partial_outage\)"):
        edit_draft(deps, draft_id=rec.draft.id, actor=ALICE, body="All good.")
    assert show_incident(deps, incident_ref="1").incident.incident.status is Status.INVESTIGATING


def test_guard_in_domain_refuses_recovery_with_components_down() -> None:
    deps, data, _ = make_deps()
    d = declare(deps, title="x", severity=Severity.SEV2, components={"API": None}, actor=ALICE)
    approve_draft(deps, draft_id=d.draft.id, actor=BOB)
    rec = propose_update(
        deps,
        incident_ref="1",
        status=Status.RECOVERED,
        actor=ALICE,
        component_changes={"API": CS.OPERATIONAL},
    )
    # The draft is tampered with after proposal (as a buggy surface might): the domain still holds.
    data.drafts[rec.draft.id].component_changes = {}
    with pytest.raises(GuardFailed, match=r"API \(partial_outage\) is not operational"):
        approve_draft(deps, draft_id=rec.draft.id, actor=BOB)


def test_reopen_needs_a_reason_and_postmortem_follows_recovery() -> None:
    deps, _, _ = make_deps()
    d = declare(deps, title="Blip", severity=Severity.SEV3, components={}, actor=ALICE)
    approve_draft(deps, draft_id=d.draft.id, actor=BOB)
    rec = propose_update(deps, incident_ref="1", status=Status.RECOVERED, actor=ALICE)
    approve_draft(deps, draft_id=rec.draft.id, actor=BOB)
    with pytest.raises(InvalidTransition, match="without a reason"):
        propose_update(deps, incident_ref="1", status=Status.INVESTIGATING, actor=ALICE)
    with pytest.raises(InvalidTransition, match="from recovered to fixing"):
        propose_update(deps, incident_ref="1", status=Status.FIXING, actor=ALICE)
    pm = propose_update(
        deps, incident_ref="1", status=Status.RECOVERED, actor=ALICE, postmortem=True
    )
    assert pm.draft.body.startswith("Root-cause analysis")
    published = approve_draft(deps, draft_id=pm.draft.id, actor=BOB)
    assert published.update.statuspage_status == "postmortem"
    reopen = propose_update(
        deps, incident_ref="1", status=Status.INVESTIGATING, actor=ALICE, reason="errors again"
    )
    assert (
        approve_draft(deps, draft_id=reopen.draft.id, actor=BOB).incident.incident.resolved_at
        is None
    )


def test_an_update_without_a_status_keeps_the_current_one_and_a_postmortem_is_recovered() -> None:
    deps, data, _ = make_deps()
    d = declare(deps, title="Blip", severity=Severity.SEV3, components={}, actor=ALICE)
    approve_draft(deps, draft_id=d.draft.id, actor=BOB)
    fixing = propose_update(deps, incident_ref="INC-1", status=Status.FIXING, actor=ALICE)
    approve_draft(deps, draft_id=fixing.draft.id, actor=BOB)
    reads = data.units_of_work

    progress = propose_update(deps, incident_ref="INC-1", actor=ALICE, body="Still rolling out.")

    assert progress.draft.status is Status.FIXING
    assert progress.draft.base_status is Status.FIXING
    assert data.units_of_work == reads + 1  # no separate look-up of the current status first
    approve_draft(deps, draft_id=progress.draft.id, actor=BOB)
    rec = propose_update(deps, incident_ref="INC-1", status=Status.RECOVERED, actor=ALICE)
    approve_draft(deps, draft_id=rec.draft.id, actor=BOB)
    pm = propose_update(deps, incident_ref="INC-1", actor=ALICE, postmortem=True)
    assert (pm.draft.status, pm.draft.postmortem) == (Status.RECOVERED, True)
    assert approve_draft(deps, draft_id=pm.draft.id, actor=BOB).update.statuspage_status == (
        "postmortem"
    )


def test_reject_then_nothing_more() -> None:
    deps, _, _ = make_deps()
    d = declare(deps, title="Outage", severity=Severity.SEV1, components=OUTAGE, actor=ALICE)
    with pytest.raises(InvalidInput, match="rejection reason is empty"):
        reject_draft(deps, draft_id=d.draft.id, actor=BOB, reason="  ")
    rejected = reject_draft(deps, draft_id=d.draft.id, actor=BOB, reason="Too vague")
    assert rejected.draft.state.value == "rejected"
    with pytest.raises(AlreadyDecided, match="already rejected by bob"):
        approve_draft(deps, draft_id=d.draft.id, actor=CAROL)
    with pytest.raises(AlreadyDecided):
        edit_draft(deps, draft_id=d.draft.id, actor=ALICE, body="x")


def test_responders_list_and_unknown_components_and_refs() -> None:
    settings = parse_settings(
        {"approval": {"responders": ["alice"]}, "components": [{"name": "API"}]}
    )
    deps, data, _ = make_deps(settings)
    with pytest.raises(NotAllowed, match="only configured responders"):
        declare(deps, title="x", severity=Severity.SEV2, components={}, actor=BOB)
    with pytest.raises(
        InvalidInput, match="unknown component 'Sora'; configured components are: API"
    ):
        declare(deps, title="x", severity=Severity.SEV2, components={"Sora": None}, actor=ALICE)
    with pytest.raises(InvalidInput, match="incident title is empty"):
        declare(deps, title=" ", severity=Severity.SEV2, components={}, actor=ALICE)
    assert data.incidents == {}
    assert data.timeline == []
    with pytest.raises(NotFound):
        show_incident(deps, incident_ref="INC-9")


def test_notes_go_on_the_timeline_only() -> None:
    deps, _, _ = make_deps()
    declare(deps, title="Outage", severity=Severity.SEV1, components=OUTAGE, actor=ALICE)
    add_note(deps, incident_ref="INC-1", text="DNS looks wrong", actor=BOB)
    detail = show_incident(deps, incident_ref="INC-1")
    assert detail.timeline[-1].action == "note"
    assert detail.timeline[-1].detail == "DNS looks wrong"
    assert detail.updates == []


def test_recovery_cannot_leave_a_newly_named_component_down() -> None:
    deps, _, _ = make_deps()
    d = declare(deps, title="x", severity=Severity.SEV2, components={"API": None}, actor=ALICE)
    approve_draft(deps, draft_id=d.draft.id, actor=BOB)
    with pytest.raises(GuardFailed, match=r"Sora \(degraded_performance\)"):
        propose_update(
            deps,
            incident_ref="1",
            status=Status.RECOVERED,
            actor=ALICE,
            component_changes={"API": CS.OPERATIONAL, "Sora": CS.DEGRADED_PERFORMANCE},
        )
