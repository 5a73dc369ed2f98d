"""Planning in the approving transaction, notices, and corrections, on the in-memory fakes."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from commsbot.delivery.model import DeliveryKind
from commsbot.delivery.snapshot import freeze, thaw, update_json
from commsbot.domain.errors import InvalidInput, NotAllowed, NotFound, StaleDraft
from commsbot.domain.lifecycle import Status, Trigger
from commsbot.domain.model import (
    ComponentChange,
    ComponentStatus,
    Incident,
    IncidentSnapshot,
    Severity,
    Update,
)
from commsbot.domain.policy import Actor
from commsbot.services.corrections import propose_correction
from commsbot.services.drafts import approve_draft, edit_draft, propose_update, reject_draft
from commsbot.services.incidents import declare
from commsbot.settings import parse_settings
from tests.unit.fakes import MemoryData, make_deps

MAYA, SAM = Actor("maya"), Actor("sam")


def setup(**config: Any) -> tuple[Any, MemoryData]:
    deps, data, _ = make_deps(parse_settings({"timezone": "America/Los_Angeles", **config}))
    return deps, data


def declared(deps: Any, severity: Severity = Severity.SEV1, component: str = "ChatGPT") -> Any:
    return declare(
        deps,
        title="ChatGPT unavailable",
        severity=severity,
        components={component: None},
        actor=MAYA,
        body="We're investigating.",
    )


def notices(data: MemoryData, kind: str | None = None) -> list[Any]:
    found = [n for n, _ in data.outbox.notices.values()]
    return [n for n in found if kind is None or n.kind == kind]


def test_with_no_destinations_configured_updates_go_to_the_console() -> None:
    deps, data = setup()
    d = declared(deps)
    update = approve_draft(deps, draft_id=d.draft.id, actor=SAM).update

    (record,) = data.outbox.deliveries.values()
    assert (record.target, record.kind, record.update_id) == (
        "console",
        DeliveryKind.UPDATE,
        update.id,
    )
    snapshot = data.outbox.snapshots[record.id]
    assert snapshot["incident"]["status"] == "investigating"
    assert snapshot["components"] == {"ChatGPT": "major_outage"}


def test_destinations_filter_by_severity_and_component() -> None:
    deps, data = setup(
        destinations=[
            {"name": "all", "type": "console"},
            {"name": "sev1", "type": "console", "severities": ["sev1"]},
            {"name": "api", "type": "console", "components": ["API"]},
        ]
    )
    for severity, component in [(Severity.SEV1, "ChatGPT"), (Severity.SEV3, "api")]:
        approve_draft(deps, draft_id=declared(deps, severity, component).draft.id, actor=SAM)

    by_incident: dict[str, list[str]] = {}
    for record in data.outbox.deliveries.values():
        by_incident.setdefault(record.incident_id, []).append(record.target)
    assert sorted(map(sorted, by_incident.values())) == [["all", "api"], ["all", "sev1"]]


def test_a_refused_approval_enqueues_nothing() -> None:
    deps, data = setup()
    d = declared(deps)
    with pytest.raises(NotAllowed):
        approve_draft(deps, draft_id=d.draft.id, actor=MAYA)

    assert data.outbox.deliveries == {}
    assert [n.kind for n in notices(data)] == ["approval_requested"]


def test_approval_requests_name_the_approvers_and_how_to_approve() -> None:
    deps, data = setup(
        severities={"sev1": {"approvers": ["sam", "maya", "slack-group:S0COMMS"]}},
    )
    d = declared(deps)

    (request,) = notices(data, "approval_requested")
    assert request.audience == ("sam", "slack-group:S0COMMS")  # not the author
    assert request.draft_id == d.draft.id
    assert request.draft_version == 1
    assert "maya drafted an update for INC-1" in request.text
    # How to approve from the command line is a hint for surfaces without buttons; chat
    # surfaces show the text alone, with their own buttons and slash command.
    assert "commsbot update" not in request.text
    assert f"commsbot update approve {d.draft.id} --version 1" in request.hint
    assert request.full_text().startswith(request.text)
    assert request.full_text().endswith(request.hint)

    edit_draft(deps, draft_id=d.draft.id, actor=MAYA, body="We're on it.")
    assert [n.draft_version for n in notices(data, "approval_requested")] == [1, 2]


def test_an_approval_request_never_pings_the_person_who_wrote_it() -> None:
    deps, data = setup(
        approval={"allow_self_approval": True, "approvers": ["maya", "sam", "alex"]},
    )
    d = declared(deps)  # by maya, who may approve her own drafts here
    edit_draft(deps, draft_id=d.draft.id, actor=SAM, body="We're on it.")

    first, edited = notices(data, "approval_requested")
    assert first.audience == ("alex", "sam")
    assert edited.audience == ("alex", "maya")  # sam edited it; maya may approve it


def test_decisions_are_told_to_the_author() -> None:
    deps, data = setup()
    d = declared(deps)
    approve_draft(deps, draft_id=d.draft.id, actor=SAM)
    draft = propose_update(deps, incident_ref="INC-1", status=Status.IDENTIFIED, actor=MAYA).draft
    reject_draft(deps, draft_id=draft.id, actor=SAM, reason="say when it started")

    approved, rejected = notices(data, "draft_decided")
    assert approved.audience == ("maya",)
    assert "update #1 (investigating) is published and on its way to 1 destination" in approved.text
    assert "sam rejected draft" in rejected.text
    assert "say when it started" in rejected.text


def test_a_correction_changes_only_the_body_and_goes_where_the_original_went() -> None:
    deps, data = setup(
        destinations=[{"name": "a", "type": "console"}, {"name": "b", "type": "console"}]
    )
    d = declared(deps)
    original = approve_draft(deps, draft_id=d.draft.id, actor=SAM).update
    incident_before = data.incidents[original.incident_id]
    status_before = incident_before.status
    components_before = {n: c.status for n, c in data.components.items()}

    draft = propose_correction(deps, update_ref="INC-1#1", body="Corrected text.", actor=MAYA).draft
    assert draft.corrects == original.id
    with pytest.raises(NotAllowed, match="someone else must read and approve"):
        approve_draft(deps, draft_id=draft.id, actor=MAYA)
    with pytest.raises(InvalidInput, match="only its body can change"):
        edit_draft(deps, draft_id=draft.id, actor=MAYA, status=Status.RECOVERED)
    corrected = approve_draft(deps, draft_id=draft.id, actor=SAM).update

    assert corrected.id == original.id
    assert corrected.body == "Corrected text."
    assert corrected.corrected_at is not None
    assert data.updates[original.id].body == "Corrected text."
    assert data.incidents[original.incident_id].status is status_before
    assert {n: c.status for n, c in data.components.items()} == components_before
    assert components_before["ChatGPT"] is ComponentStatus.MAJOR_OUTAGE
    corrections = [r for r in data.outbox.deliveries.values() if r.kind is DeliveryKind.CORRECTION]
    assert sorted(r.target for r in corrections) == ["a", "b"]
    assert {r.position for r in corrections} == {2}  # after the original
    assert {r.draft_id for r in corrections} == {draft.id}
    assert data.timeline[-1].action == "corrected"


def test_corrections_are_refused_clearly() -> None:
    deps, _ = setup()
    approve_draft(deps, draft_id=declared(deps).draft.id, actor=SAM)

    with pytest.raises(NotFound, match="INC-1 has no update #7"):
        propose_correction(deps, update_ref="INC-1#7", body="x", actor=MAYA)
    with pytest.raises(NotFound, match="INCIDENT#SEQ"):
        propose_correction(deps, update_ref="nope", body="x", actor=MAYA)
    with pytest.raises(InvalidInput, match="the same as update #1"):
        propose_correction(deps, update_ref="INC-1#1", body="We're investigating.", actor=MAYA)


def test_approving_an_edited_correction_by_its_old_version_is_stale() -> None:
    deps, _ = setup()
    approve_draft(deps, draft_id=declared(deps).draft.id, actor=SAM)
    draft = propose_correction(deps, update_ref="INC-1#1", body="One.", actor=MAYA).draft
    edit_draft(deps, draft_id=draft.id, actor=MAYA, body="Two.")

    with pytest.raises(StaleDraft):
        approve_draft(deps, draft_id=draft.id, actor=SAM, version=1)
    assert approve_draft(deps, draft_id=draft.id, actor=SAM, version=2).update.body == "Two."


def test_each_delivery_freezes_the_update_it_sends_and_a_correction_the_corrected_one() -> None:
    deps, data = setup()
    d = declared(deps)
    original = approve_draft(deps, draft_id=d.draft.id, actor=SAM).update
    fix = propose_correction(deps, update_ref="INC-1#1", body="Corrected text.", actor=MAYA).draft
    corrected = approve_draft(deps, draft_id=fix.id, actor=SAM).update

    first, second = sorted(data.outbox.deliveries.values(), key=lambda r: r.position or 0)
    sent_first = thaw(data.outbox.snapshots[first.id])
    sent_second = thaw(data.outbox.snapshots[second.id])
    assert sent_first.update == original  # as approved, though corrected since
    assert sent_first.update is not None
    assert sent_first.update.body == "We're investigating."
    assert sent_second.update == corrected
    assert (
        sent_first.link
        == sent_second.link
        == f"http://127.0.0.1:8080/incidents/{d.incident.incident.id}"
    )


def test_the_frozen_json_keeps_every_field_of_the_update_and_the_incident() -> None:
    """A field added to Update or Incident must be frozen too, or deliveries would lose it."""
    when = datetime(2024, 12, 11, 23, 16, tzinfo=UTC)
    incident = Incident(
        id="i1",
        number=7,
        title="API down",
        severity=Severity.SEV2,
        status=Status.RECOVERED,
        components=["API", "Web"],
        commander="maya",
        declared_at=when,
        updated_at=when + timedelta(hours=1),
        resolved_at=when + timedelta(hours=2),
        published_count=3,
    )
    update = Update(
        id="u1",
        incident_id="i1",
        seq=3,
        status=Status.RECOVERED,
        trigger=Trigger.RECOVER,
        body="All good.",
        changes=(
            ComponentChange("API", ComponentStatus.MAJOR_OUTAGE, ComponentStatus.OPERATIONAL),
        ),
        author="maya",
        approver="sam",
        draft_id="d1",
        published_at=when,
        next_update_by=when + timedelta(minutes=30),
        corrected_at=when + timedelta(minutes=5),
        authors=("maya", "alex"),
        document="# Root cause\n\nA full disk.",
    )
    snap = IncidentSnapshot(incident=incident, components={"API": ComponentStatus.OPERATIONAL})
    data = json.loads(json.dumps(freeze(snap, update, link="https://status.test/incidents/i1")))
    back = thaw(data)
    assert back.update == update
    assert back.incident == snap
    assert back.link == "https://status.test/incidents/i1"
    assert set(update_json(update)) == {f.name for f in fields(Update)}
    store_owned = {"version"}
    assert set(data["incident"]) == {f.name for f in fields(Incident)} - store_owned
