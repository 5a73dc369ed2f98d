"""The promise in the text is the promise kept: a draft's ``next_update_by`` is what its text
states, what the published update records and when the team is reminded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from commsbot.domain.errors import GuardFailed, InvalidInput
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import ComponentStatus, Severity
from commsbot.domain.policy import Actor
from commsbot.domain.when import parse_next_update
from commsbot.reminders.model import ReminderKind
from commsbot.services.corrections import propose_correction
from commsbot.services.drafts import approve_draft, edit_draft, propose_update
from commsbot.services.incidents import declare, show_incident
from commsbot.statuspage.v2 import incident_update
from tests.unit.fakes import MemoryData, make_deps

LA = ZoneInfo("America/Los_Angeles")
T0 = datetime(2024, 12, 11, 23, 16, tzinfo=UTC)  # 3:16 PM PST, the fakes' clock
MAYA, SAM, LEE = Actor("maya"), Actor("sam"), Actor("lee")


def la(hour: int, minute: int, day: int = 11) -> datetime:
    return datetime(2024, 12, day, hour, minute, tzinfo=LA).astimezone(UTC)


def update_due(data: MemoryData) -> list[datetime]:
    return sorted(
        r.due_at
        for r in data.reminders.values()
        if r.kind is ReminderKind.UPDATE_DUE and r.state.active
    )


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("45m", la(16, 1)),
        ("1h30m", la(16, 46)),
        ("90", la(16, 46)),
        ("16:30", la(16, 30)),
        ("4:30 PM", la(16, 30)),
        ("4pm", la(16, 0)),
        ("1:15", la(1, 15, day=12)),  # the next 1:15 within 12 hours: tomorrow's
        ("2024-12-11T16:30:00-08:00", la(16, 30)),
        ("2024-12-12T00:30Z", la(16, 30)),
        ("2024-12-11T16:30", la(16, 30)),  # no offset: local
    ],
)
def test_next_update_times_as_people_type_them(typed: str, expected: datetime) -> None:
    assert parse_next_update(typed, now=T0, zone=LA) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("soon", "is not a next update time; give a duration like 45m"),
        ("15:00", "has already passed today"),
        ("2024-12-11T15:00-08:00", "is in the past"),
        ("8d", "out of range"),
        ("2024-12-30T10:00Z", "more than 7 days ahead"),
        ("25:00", "is not a time of day"),
        ("", "no next update time given"),
    ],
)
def test_bad_next_update_times_say_how_to_write_one(typed: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_next_update(typed, now=T0, zone=LA)


def test_the_acknowledgment_states_the_promise_the_update_records_and_the_reminder_keeps() -> None:
    deps, data, clock = make_deps()
    declared = declare(
        deps, title="Outage", severity=Severity.SEV1, components={"API": None}, actor=MAYA
    )
    draft = declared.draft
    assert draft.next_update_by == la(15, 46)  # drafted at 3:16 PM + the sev1 cadence
    assert draft.body.endswith("We'll post an update by 3:46 PM PST.")
    assert draft.body_source.endswith("We'll post an update by {next_update_by}.")
    clock.advance(minutes=3)
    published = approve_draft(deps, draft_id=draft.id, actor=SAM).update
    # Approved three minutes later: still the promise the text made, not approval + cadence.
    assert published.next_update_by == la(15, 46)
    assert published.body.endswith("We'll post an update by 3:46 PM PST.")
    assert update_due(data) == [la(15, 46)]


def test_next_update_sets_the_promise_and_an_edit_of_it_changes_the_text() -> None:
    deps, data, clock = make_deps()
    declared = declare(
        deps,
        title="Outage",
        severity=Severity.SEV1,
        components={"API": None},
        actor=MAYA,
        next_update="45m",
    )
    assert declared.draft.body.endswith("We'll post an update by 4:01 PM PST.")
    clock.advance(minutes=2)
    edited = edit_draft(deps, draft_id=declared.draft.id, actor=MAYA, next_update="16:30")
    assert edited.draft.next_update_by == la(16, 30)
    assert edited.draft.body.endswith("We'll post an update by 4:30 PM PST.")
    assert edited.draft.version == 2
    published = approve_draft(deps, draft_id=declared.draft.id, actor=SAM).update
    assert published.next_update_by == la(16, 30)
    assert "4:30 PM PST" in published.body
    assert update_due(data) == [la(16, 30)]


def test_a_promise_on_another_day_states_its_date() -> None:
    deps, data, clock = make_deps()
    declared = declare(
        deps,
        title="Outage",
        severity=Severity.SEV2,
        components={"API": None},
        actor=MAYA,
        next_update="7d",
    )
    # A bare "3:16 PM PST" would read as today's; the promise is a week out.
    assert declared.draft.body.endswith("We'll post an update by Dec 18 3:16 PM PST.")
    edited = edit_draft(deps, draft_id=declared.draft.id, actor=MAYA, next_update="1:15").draft
    assert edited.body.endswith("We'll post an update by Dec 12 1:15 AM PST.")
    # The same promise, approved after midnight, is "today" again: the text says the time.
    clock.advance(hours=9)
    published = approve_draft(deps, draft_id=declared.draft.id, actor=SAM).update
    assert published.body.endswith("We'll post an update by 1:15 AM PST.")
    assert update_due(data) == [la(1, 15, day=12)]


def test_a_typed_promise_on_another_day_follows_the_promise() -> None:
    deps, _, _ = make_deps()
    declared = declare(
        deps,
        title="Outage",
        severity=Severity.SEV2,
        components={"API": None},
        actor=MAYA,
        next_update="2d",
    )
    typed = "Still on it. We'll post an update by Dec 13 3:16 PM PST."
    edited = edit_draft(
        deps, draft_id=declared.draft.id, actor=SAM, body=typed, next_update="3d"
    ).draft
    assert edited.body == "Still on it. We'll post an update by Dec 14 3:16 PM PST."


def test_text_sent_back_with_the_old_time_as_shown_follows_the_new_promise() -> None:
    deps, _, _ = make_deps()
    declared = declare(
        deps, title="Outage", severity=Severity.SEV1, components={"API": None}, actor=MAYA
    )
    # The text as the approval request showed it, reworded, with a new time.
    typed = "Errors on the API; we're on it. We'll post an update by 3:46 PM PST."
    edited = edit_draft(
        deps, draft_id=declared.draft.id, actor=SAM, body=typed, next_update="1h"
    ).draft
    assert edited.body == "Errors on the API; we're on it. We'll post an update by 4:16 PM PST."
    assert edited.body_source.endswith("by {next_update_by}.")


def test_a_custom_text_names_the_promise_with_the_placeholder() -> None:
    deps, _, _ = make_deps()
    incident = declare(
        deps, title="Outage", severity=Severity.SEV2, components={}, actor=MAYA
    ).incident.incident
    drafted = propose_update(
        deps,
        incident_ref=incident.ref,
        status=Status.IDENTIFIED,
        actor=MAYA,
        body="Found it. More by {next_update_by}.",
        next_update="2024-12-11T16:00:00-08:00",
    ).draft
    assert drafted.body == "Found it. More by 4:00 PM PST."


def test_a_recovery_promises_nothing_and_a_promise_placeholder_without_one_is_refused() -> None:
    deps, data, _ = make_deps()
    declared = declare(
        deps, title="Outage", severity=Severity.SEV4, components={"API": None}, actor=MAYA
    )
    assert declared.draft.next_update_by is None  # sev4 promises no next update by default
    assert "as soon as we know more" in declared.draft.body
    with pytest.raises(InvalidInput, match=r"says \{next_update_by\} but this draft promises no"):
        edit_draft(deps, draft_id=declared.draft.id, actor=MAYA, body="By {next_update_by}.")
    approve_draft(deps, draft_id=declared.draft.id, actor=SAM)
    assert update_due(data) == []
    with pytest.raises(InvalidInput, match=r"a recovery .* promises no next update"):
        propose_update(
            deps,
            incident_ref="INC-1",
            status=Status.RECOVERED,
            actor=MAYA,
            component_changes={"API": ComponentStatus.OPERATIONAL},
            next_update="30m",
        )


def test_approving_a_draft_whose_promise_has_passed_is_refused_until_it_is_edited() -> None:
    deps, data, clock = make_deps()
    declared = declare(
        deps, title="Outage", severity=Severity.SEV1, components={"API": None}, actor=MAYA
    )
    clock.advance(minutes=31)  # 3:47 PM: "We'll post an update by 3:46 PM PST" is already broken
    with pytest.raises(GuardFailed) as refused:
        approve_draft(deps, draft_id=declared.draft.id, actor=SAM)
    message = str(refused.value)
    assert "promises the next update by 3:46 PM PST, which has already passed" in message
    assert f"commsbot update edit {declared.draft.id} --next-update 30m" in message
    assert data.updates == {}
    assert show_incident(deps, incident_ref="INC-1").pending[0].state.value == "pending"

    edit_draft(deps, draft_id=declared.draft.id, actor=SAM, next_update="30m")
    published = approve_draft(deps, draft_id=declared.draft.id, actor=LEE).update
    assert published.next_update_by == la(16, 17)
    assert published.body.endswith("We'll post an update by 4:17 PM PST.")
    assert published.authors == ("maya", "sam")


def test_a_correction_keeps_the_original_promise() -> None:
    deps, _, clock = make_deps()
    declared = declare(
        deps, title="Outage", severity=Severity.SEV1, components={"API": None}, actor=MAYA
    )
    original = approve_draft(deps, draft_id=declared.draft.id, actor=SAM).update
    clock.advance(minutes=5)
    fix = propose_correction(
        deps,
        update_ref="INC-1#1",
        body="API errors, not ChatGPT. Update by 3:46 PM PST.",
        actor=MAYA,
    ).draft
    assert fix.next_update_by == original.next_update_by
    with pytest.raises(InvalidInput, match="only its body can change"):
        edit_draft(deps, draft_id=fix.id, actor=MAYA, next_update="1h")
    corrected = approve_draft(deps, draft_id=fix.id, actor=SAM).update
    assert corrected.body == "API errors, not ChatGPT. Update by 3:46 PM PST."
    assert corrected.next_update_by == original.next_update_by
    assert corrected.authors == ("maya",)


# --- item 11: a component that does not move is not a change -------------------------------


def test_an_update_that_keeps_a_components_status_does_not_list_it_as_a_change() -> None:
    deps, data, _ = make_deps()
    declared = declare(
        deps,
        title="Outage",
        severity=Severity.SEV2,
        components={"API": ComponentStatus.PARTIAL_OUTAGE},
        actor=MAYA,
    )
    approve_draft(deps, draft_id=declared.draft.id, actor=SAM)
    progress = propose_update(
        deps,
        incident_ref="INC-1",
        status=Status.IDENTIFIED,
        actor=MAYA,
        component_changes={
            "API": ComponentStatus.PARTIAL_OUTAGE,
            "Web": ComponentStatus.PARTIAL_OUTAGE,
        },
    ).draft
    published = approve_draft(deps, draft_id=progress.id, actor=SAM)
    update = published.update
    assert [(c.name, c.old, c.new) for c in update.changes] == [
        ("Web", ComponentStatus.OPERATIONAL, ComponentStatus.PARTIAL_OUTAGE)
    ]
    assert published.incident.components == {
        "API": ComponentStatus.PARTIAL_OUTAGE,
        "Web": ComponentStatus.PARTIAL_OUTAGE,
    }
    [line] = [e.detail for e in data.timeline if e.action == "published" and "#2" in e.detail]
    assert "API partial_outage → partial_outage" not in line
    assert "Web operational → partial_outage" in line
    affected = incident_update(update)["affected_components"]
    assert [(a["name"], a["old_status"], a["new_status"]) for a in affected] == [
        ("Web", "operational", "partial_outage")
    ]


def test_an_update_that_moves_no_component_has_no_affected_components() -> None:
    deps, _, clock = make_deps()
    declared = declare(
        deps,
        title="Outage",
        severity=Severity.SEV2,
        components={"API": ComponentStatus.PARTIAL_OUTAGE},
        actor=MAYA,
    )
    approve_draft(deps, draft_id=declared.draft.id, actor=SAM)
    clock.advance(minutes=10)
    same = propose_update(
        deps,
        incident_ref="INC-1",
        status=Status.INVESTIGATING,
        actor=MAYA,
        component_changes={"API": ComponentStatus.PARTIAL_OUTAGE},
    ).draft
    update = approve_draft(deps, draft_id=same.id, actor=SAM).update
    assert update.changes == ()
    # Statuspage's shape: null, not an empty or a no-op list.
    assert incident_update(update)["affected_components"] is None
    assert T0 + timedelta(minutes=10) == update.published_at


def test_a_recovery_saying_next_update_by_is_told_only_to_remove_it() -> None:
    deps, _, _ = make_deps()
    declare(deps, title="Outage", severity=Severity.SEV1, components={"API": None}, actor=MAYA)

    with pytest.raises(InvalidInput) as refused:
        propose_update(
            deps,
            incident_ref="INC-1",
            status=Status.RECOVERED,
            actor=MAYA,
            component_changes={"API": ComponentStatus.OPERATIONAL},
            body="All fine. Next update by {next_update_by}.",
        )

    message = str(refused.value)
    # Giving it a time would be refused next: the advice is only to remove the placeholder.
    assert "a recovery never promises a next update" in message
    assert "write the text without {next_update_by}" in message
    assert "--next-update" not in message
    assert refused.value.field == "body"
