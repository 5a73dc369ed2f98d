"""Changing an incident's title, severity and commander, and what follows from each."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from commsbot.domain.errors import GuardFailed, InvalidInput, NotAllowed
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import Severity
from commsbot.domain.policy import Actor
from commsbot.reminders.model import ReminderKind
from commsbot.services.drafts import approve_draft, propose_update
from commsbot.services.incidents import declare, edit_incident
from commsbot.services.statuspage import load_public_data
from commsbot.settings import parse_settings
from commsbot.statuspage.v2 import documents
from tests.unit.fakes import MemoryData, make_deps

MAYA, SAM, LEE, ALEX = Actor("maya"), Actor("sam"), Actor("lee"), Actor("alex")


def world(**config: Any) -> tuple[Any, MemoryData, Any]:
    settings = parse_settings(
        {
            "timezone": "America/Los_Angeles",
            "severities": {
                "sev1": {"cadence_minutes": 30, "approvers": ["lee"]},
                "sev3": {
                    "cadence_minutes": 120,
                    "default_impact": "degraded_performance",
                    "approvers": ["sam", "alex"],
                },
            },
            **config,
        }
    )
    deps, data, clock = make_deps(settings)
    return deps, data, clock


def declared(deps: Any, severity: Severity = Severity.SEV3) -> Any:
    return declare(
        deps,
        title="Slow logins",
        severity=severity,
        components={"Login": None},
        actor=MAYA,
    )


def notices(data: MemoryData, kind: str) -> list[Any]:
    return [n for n, _ in data.outbox.notices.values() if n.kind == kind]


def public_name(deps: Any) -> str:
    [incident] = documents(load_public_data(deps))["/api/v2/incidents.json"]["incidents"]
    return str(incident["name"])


def test_a_new_title_is_internal_until_the_next_approved_update_publishes_it() -> None:
    deps, data, clock = world()
    ack = declared(deps).draft
    approve_draft(deps, draft_id=ack.id, actor=SAM)

    edited = edit_incident(deps, incident_ref="INC-1", actor=MAYA, title="Logins fail in the EU")

    assert edited.changed == ("retitled",)
    assert edited.incident.incident.title == "Logins fail in the EU"
    assert edited.incident.as_dict()["public_title"] == "Slow logins"
    [line] = [e for e in data.timeline if e.action == "retitled"]
    assert line.actor == "maya"
    assert line.detail == (
        "'Slow logins' → 'Logins fail in the EU'; the status page shows 'Slow logins' until "
        "the next update is published"
    )
    # Every public word is approved: the page keeps the published title …
    assert public_name(deps) == "Slow logins"
    clock.advance(minutes=5)
    draft = propose_update(deps, incident_ref="INC-1", status=Status.IDENTIFIED, actor=MAYA).draft
    assert "Logins fail in the EU" in " ".join(
        str(n.text) for n in notices(data, "approval_requested")
    )
    approve_draft(deps, draft_id=draft.id, actor=SAM)
    # … until the next approved update, which carries the new one everywhere.
    assert public_name(deps) == "Logins fail in the EU"
    snapshots = [s["incident"]["title"] for s in data.outbox.snapshots.values()]
    assert snapshots == ["Slow logins", "Logins fail in the EU"]


def test_a_handoff_moves_the_commanders_reminders_and_pings_the_new_commander() -> None:
    deps, data, clock = world()
    approve_draft(deps, draft_id=declared(deps).draft.id, actor=SAM)  # promises a next update
    clock.advance(minutes=10)

    edited = edit_incident(deps, incident_ref="INC-1", actor=MAYA, commander="slack:U0PRIYA")

    assert edited.changed == ("handoff",)
    assert edited.incident.incident.commander == "slack:U0PRIYA"
    by_kind = {r.kind: r for r in data.reminders.values() if r.state.active}
    assert by_kind[ReminderKind.UPDATE_DUE].audience == ("slack:U0PRIYA",)
    assert by_kind[ReminderKind.UPDATE_OVERDUE].audience == ("slack:U0PRIYA", "alex", "sam")
    [told] = notices(data, "incident_changed")
    assert told.audience == ("slack:U0PRIYA",)
    assert "commander maya → slack:U0PRIYA" in told.text
    [line] = [e for e in data.timeline if e.action == "handoff"]
    assert line.detail == "commander maya → slack:U0PRIYA"

    # Taking over yourself pings nobody.
    edit_incident(deps, incident_ref="INC-1", actor=SAM, commander="sam")
    assert notices(data, "incident_changed")[-1].audience == ()


def test_a_new_severity_changes_who_approves_pending_drafts_and_who_is_nudged() -> None:
    deps, data, clock = world()
    draft = declared(deps).draft  # sev3: sam or alex approve
    [waiting] = [r for r in data.reminders.values() if r.kind is ReminderKind.APPROVAL_WAITING]
    assert waiting.audience == ("alex", "sam")

    edited = edit_incident(deps, incident_ref="INC-1", actor=SAM, severity=Severity.SEV1)

    assert edited.changed == ("severity",)
    assert [e.detail for e in data.timeline if e.action == "severity"] == ["sev3 → sev1"]
    assert data.reminders[waiting.id].audience == ("lee",)
    first, again = notices(data, "approval_requested")
    assert first.audience == ("alex", "sam")
    assert (again.draft_id, again.draft_version) == (draft.id, 1)
    assert again.audience == ("lee",)
    assert "changed the severity from sev3 to sev1" in again.text
    with pytest.raises(NotAllowed, match="approvers are lee"):
        approve_draft(deps, draft_id=draft.id, actor=SAM)
    clock.advance(minutes=2)
    published = approve_draft(deps, draft_id=draft.id, actor=LEE)
    # A draft keeps the time its text states; drafts written from now on promise sev1's
    # cadence (30 min), not sev3's (2 h).
    assert published.update.next_update_by == draft.next_update_by
    later = propose_update(deps, incident_ref="INC-1", status=Status.IDENTIFIED, actor=MAYA)
    assert later.draft.next_update_by == clock.now() + timedelta(minutes=30)


def test_several_changes_at_once_each_get_their_own_line() -> None:
    deps, data, _ = world()
    declared(deps)
    edited = edit_incident(
        deps,
        incident_ref="INC-1",
        actor=MAYA,
        title="Logins fail",
        severity=Severity.SEV1,
        commander="sam",
    )
    assert edited.changed == ("retitled", "severity", "handoff")
    actions = [e.action for e in data.timeline]
    assert actions[-3:] == ["retitled", "severity", "handoff"]
    [told] = notices(data, "incident_changed")
    assert told.text.startswith("maya changed INC-1 “Logins fail”: retitled: 'Slow logins' →")


@pytest.mark.parametrize(
    ("change", "refusal", "message"),
    [
        ({}, InvalidInput, "nothing to change; give a new title, severity or commander"),
        (
            {"title": "Slow logins", "severity": Severity.SEV3},
            GuardFailed,  # well formed; the incident's state makes it a no-op (409 in the API)
            "nothing to change: INC-1 already has the title 'Slow logins' and severity sev3",
        ),
        ({"commander": "maya"}, GuardFailed, "nothing to change: INC-1 already has commander maya"),
        ({"commander": "  "}, InvalidInput, "the new commander is empty"),
        ({"commander": "sam and lee"}, InvalidInput, "'sam and lee' is not an actor id"),
        (
            {"commander": "sam\x07"},
            InvalidInput,
            "the new commander contains U+0007 BELL at position 4",
        ),
        ({"title": "API\x1b[2J down"}, InvalidInput, "the incident title contains U+001B"),
        ({"title": "   "}, InvalidInput, "the incident title is empty"),
    ],
)
def test_a_change_that_changes_nothing_is_refused_and_writes_nothing(
    change: dict[str, Any], refusal: type[Exception], message: str
) -> None:
    deps, data, _ = world()
    declared(deps)
    before = (list(data.timeline), dict(data.outbox.notices))
    with pytest.raises(refusal, match=re.escape(message)):
        edit_incident(deps, incident_ref="INC-1", actor=MAYA, **change)
    assert (list(data.timeline), dict(data.outbox.notices)) == before


def test_only_responders_may_edit_an_incident() -> None:
    deps, data, _ = world(approval={"responders": ["maya"]})
    declared(deps)
    with pytest.raises(NotAllowed, match="alex may not edit an incident: only configured"):
        edit_incident(deps, incident_ref="INC-1", actor=ALEX, commander="alex")
    assert data.incidents[next(iter(data.incidents))].commander == "maya"
    assert not [e for e in data.timeline if e.action == "handoff"]
