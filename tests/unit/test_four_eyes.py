"""Four eyes on the text that is published: whoever last changed a draft may not approve it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from commsbot.domain.errors import NotAllowed
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import ComponentStatus, Draft, Incident, Severity
from commsbot.domain.policy import Actor, ApprovalPolicy
from commsbot.services.drafts import approve_draft, edit_draft, propose_update
from commsbot.services.incidents import declare, show_incident
from commsbot.settings import parse_settings
from tests.unit.fakes import make_deps

T0 = datetime(2024, 12, 11, 23, 16, tzinfo=UTC)
ALICE, BOB, CAROL = Actor("alice"), Actor("bob"), Actor("carol")
POLICY = ApprovalPolicy()
INCIDENT = Incident(
    id="inc",
    number=1,
    title="Outage",
    severity=Severity.SEV1,
    status=Status.INVESTIGATING,
    components=["API"],
    commander="alice",
    declared_at=T0,
    updated_at=T0,
)


def shown(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def new_draft(author: str = "alice") -> Draft:
    draft = Draft(
        id="d1",
        incident_id="inc",
        author=author,
        body="We're investigating. Next update by {next_update_by}.",
        status=Status.INVESTIGATING,
        base_status=Status.INVESTIGATING,
        created_at=T0,
        updated_at=T0,
        component_changes={"API": ComponentStatus.MAJOR_OUTAGE},
        next_update_by=T0 + timedelta(minutes=30),
    )
    draft.write(shown)
    return draft


def edit(draft: Draft, editor: str, **changes: object) -> None:
    draft.edit(
        now=T0 + timedelta(minutes=1),
        editor=editor,
        incident_status=Status.INVESTIGATING,
        show_time=shown,
        **changes,  # type: ignore[arg-type]
    )


def test_a_new_draft_is_its_authors_alone_who_may_not_approve_it() -> None:
    draft = new_draft()
    assert (draft.authors, draft.last_editor) == (("alice",), "alice")
    with pytest.raises(NotAllowed, match=r"alice may not approve draft d1 .*they wrote it"):
        POLICY.check_approve(ALICE, draft, INCIDENT)
    POLICY.check_approve(BOB, draft, INCIDENT)


def test_the_first_author_edits_then_someone_else_approves() -> None:
    draft = new_draft()
    edit(draft, "alice", body="Errors on the API. Next update by {next_update_by}.")
    assert (draft.authors, draft.last_editor) == (("alice",), "alice")
    with pytest.raises(NotAllowed):
        POLICY.check_approve(ALICE, draft, INCIDENT)
    POLICY.check_approve(BOB, draft, INCIDENT)


def test_an_approver_who_edits_may_not_approve_their_own_words() -> None:
    draft = new_draft()
    edit(draft, "bob", body="Bob's words.")
    assert (draft.authors, draft.last_editor) == (("alice", "bob"), "bob")
    with pytest.raises(NotAllowed) as refused:
        POLICY.check_approve(BOB, draft, INCIDENT)
    message = str(refused.value)
    assert "bob may not approve draft d1 (version 2): they made its last change" in message
    assert "someone else must read and approve this version" in message


def test_the_first_author_may_approve_after_someone_elses_edit_and_so_may_a_third() -> None:
    draft = new_draft()
    edit(draft, "bob", body="Bob's words.")
    POLICY.check_approve(ALICE, draft, INCIDENT)
    POLICY.check_approve(CAROL, draft, INCIDENT)


@pytest.mark.parametrize(
    "change",
    [
        {"status": Status.IDENTIFIED},
        {"component_changes": {"API": ComponentStatus.PARTIAL_OUTAGE}},
        {"next_update_by": T0 + timedelta(minutes=45)},
        {"body": "Another text."},
    ],
    ids=["status", "components", "promised time", "text"],
)
def test_any_change_to_what_the_update_says_makes_the_editor_last(
    change: dict[str, object],
) -> None:
    draft = new_draft()
    edit(draft, "bob", **change)
    assert draft.last_editor == "bob"
    with pytest.raises(NotAllowed):
        POLICY.check_approve(BOB, draft, INCIDENT)


def test_an_edit_that_changes_nothing_said_does_not_take_the_draft_over() -> None:
    draft = new_draft()
    # The same text (with its time as shown), and a new reason: the public reads nothing new.
    edit(
        draft,
        "bob",
        body=f"We're investigating. Next update by {shown(T0 + timedelta(minutes=30))}.",
    )
    edit(draft, "bob", reason="to be explicit")
    assert (draft.version, draft.last_editor, draft.authors) == (3, "alice", ("alice",))
    POLICY.check_approve(BOB, draft, INCIDENT)


def test_allow_self_approval_lets_the_last_editor_approve_explicitly() -> None:
    draft = new_draft()
    edit(draft, "bob", body="Bob's words.")
    ApprovalPolicy(allow_self_approval=True).check_approve(BOB, draft, INCIDENT)


def test_the_approver_lists_still_apply_to_the_first_author() -> None:
    draft = new_draft()
    edit(draft, "bob", body="Bob's words.")
    policy = ApprovalPolicy(approvers=frozenset({"carol"}))
    with pytest.raises(NotAllowed, match="approvers are carol"):
        policy.check_approve(ALICE, draft, INCIDENT)
    policy.check_approve(CAROL, draft, INCIDENT)


# --- through the use cases ----------------------------------------------------------------


def test_an_approver_who_rewrites_a_draft_cannot_publish_it_and_the_author_can() -> None:
    deps, data, _ = make_deps()
    declared = declare(
        deps, title="Outage", severity=Severity.SEV1, components={"API": None}, actor=ALICE
    )
    edit_draft(deps, draft_id=declared.draft.id, actor=BOB, body="Bob's version.")
    with pytest.raises(NotAllowed, match="bob may not approve draft"):
        approve_draft(deps, draft_id=declared.draft.id, actor=BOB)
    assert data.updates == {}
    published = approve_draft(deps, draft_id=declared.draft.id, actor=ALICE).update
    assert (published.author, published.authors, published.approver) == (
        "alice",
        ("alice", "bob"),
        "alice",
    )
    assert published.body == "Bob's version."
    [line] = [
        e for e in show_incident(deps, incident_ref="INC-1").timeline if e.action == "published"
    ]
    assert "written by alice, bob, approved by alice" in line.detail


def test_the_approval_request_goes_to_everyone_but_the_last_editor() -> None:
    settings = parse_settings(
        {"timezone": "America/Los_Angeles", "approval": {"approvers": ["alice", "bob", "carol"]}}
    )
    deps, data, _ = make_deps(settings)
    drafted = propose_update(
        deps,
        incident_ref=declare(
            deps, title="Outage", severity=Severity.SEV2, components={}, actor=ALICE
        ).incident.incident.ref,
        status=Status.INVESTIGATING,
        actor=ALICE,
    )
    edit_draft(deps, draft_id=drafted.draft.id, actor=BOB, body="Bob's version.")
    notices = [n for n, _ in data.outbox.notices.values() if n.kind == "approval_requested"]
    *_, request = notices
    assert request.audience == ("alice", "carol")
    assert "someone other than bob approves version 2" in (request.hint or "")


def test_a_group_entry_refusal_says_groups_match_only_in_chat_and_what_would_match() -> None:
    draft = new_draft()
    policy = ApprovalPolicy(approvers=frozenset({"slack-group:S0COMMSLEAD", "slack:U0MAYA"}))

    # From the CLI or the API nobody says which groups the person is in.
    with pytest.raises(NotAllowed) as refused:
        policy.check_approve(Actor("slack:U0SAM"), draft, INCIDENT)
    message = str(refused.value)
    assert "approvers are slack-group:S0COMMSLEAD, slack:U0MAYA" in message
    assert "match only when acting in Slack or Discord" in message
    assert "an entry of their own, such as 'slack:U0SAM'" in message
    # In Slack, where the group is known, the same person approves.
    policy.check_approve(
        Actor("slack:U0SAM", groups=frozenset({"slack-group:S0COMMSLEAD"})), draft, INCIDENT
    )
    # Lists without group entries need no such word.
    with pytest.raises(NotAllowed) as plain:
        ApprovalPolicy(approvers=frozenset({"carol"})).check_approve(BOB, draft, INCIDENT)
    assert "Slack" not in str(plain.value)
