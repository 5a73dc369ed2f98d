"""Maintenances and their drafts, without a database: what publishing a draft does."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from commsbot.domain.errors import (
    AlreadyDecided,
    GuardFailed,
    InvalidInput,
    InvalidTransition,
    StaleDraft,
)
from commsbot.domain.maintenance import MaintenanceStatus as M
from commsbot.domain.maintenance import MaintenanceTrigger as T
from commsbot.domain.model import ComponentChange, DraftState
from commsbot.domain.model import ComponentStatus as C
from commsbot.maintenance.model import (
    Approval,
    Components,
    Maintenance,
    MaintenanceDraft,
    cancel_unannounced,
    fill_window,
    overlapping,
    publish,
    publish_approved,
)
from commsbot.maintenance.render import format_moment

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2024, 12, 10, 18, 0, tzinfo=UTC)
START = datetime(2024, 12, 12, 6, 0, tzinfo=UTC)  # Wed Dec 11, 10:00 PM PST
END = START + timedelta(hours=2)
ALL_OPERATIONAL = Components({"API": C.OPERATIONAL, "Web": C.OPERATIONAL})


def show(moment: datetime) -> str:
    return format_moment(moment, LA)


def approval(approver: str = "bob", *, now: datetime = NOW, version: int | None = None) -> Approval:
    return Approval(
        approver=approver, notice_id=f"n{now:%H%M%S}", now=now, show=show, version=version
    )


def proposal() -> tuple[Maintenance, MaintenanceDraft]:
    maintenance = Maintenance(
        id="m1",
        number=1,
        title="Database upgrade",
        scheduled_for=START,
        scheduled_until=END,
        components=("API", "Web"),
        owner="alice",
        created_at=NOW,
        updated_at=NOW,
    )
    draft = MaintenanceDraft(
        id="d1",
        maintenance_id="m1",
        kind=T.ANNOUNCE,
        author="alice",
        body="We will upgrade the database from {start} to {end}.",
        base_status=M.SCHEDULED,
        created_at=NOW,
        updated_at=NOW,
        title="Database upgrade",
        scheduled_for=START,
        scheduled_until=END,
        components=("API", "Web"),
        start_text="The upgrade has begun; expected to end {end}.",
        end_text="The upgrade is complete.",
    )
    return maintenance, draft


def announced() -> Maintenance:
    maintenance, draft = proposal()
    publish(maintenance, draft, approval=approval(), components=ALL_OPERATIONAL)
    return maintenance


def test_announcing_makes_the_proposal_public_with_its_times_filled_in() -> None:
    maintenance, draft = proposal()
    notice = publish(maintenance, draft, approval=approval(), components=ALL_OPERATIONAL)
    assert maintenance.announced_at == NOW
    assert maintenance.announced_by == "bob"
    assert maintenance.status is M.SCHEDULED
    assert maintenance.sequence == 0
    assert maintenance.start_source == "The upgrade has begun; expected to end {end}."
    assert notice.body == (
        "We will upgrade the database from Wed Dec 11, 10:00 PM PST to Thu Dec 12, 12:00 AM PST."
    )
    assert (notice.seq, notice.kind, notice.status, notice.changes) == (
        1,
        T.ANNOUNCE,
        M.SCHEDULED,
        (),
    )
    assert draft.state is DraftState.PUBLISHED
    assert draft.decided_by == "bob"


def test_the_bot_starts_and_completes_with_the_approved_texts_only() -> None:
    maintenance = announced()
    start = publish_approved(
        maintenance, T.START, notice_id="n2", now=START, show=show, components=ALL_OPERATIONAL
    )
    assert start.body == "The upgrade has begun; expected to end Thu Dec 12, 12:00 AM PST."
    assert start.automatic
    assert start.draft_id is None
    assert (start.author, start.approver) == ("alice", "bob")
    assert start.changes == (
        ComponentChange("API", C.OPERATIONAL, C.UNDER_MAINTENANCE),
        ComponentChange("Web", C.OPERATIONAL, C.UNDER_MAINTENANCE),
    )
    assert maintenance.status is M.IN_PROGRESS
    assert maintenance.started_at == START
    done = publish_approved(
        maintenance, T.COMPLETE, notice_id="n3", now=END, show=show, components=ALL_OPERATIONAL
    )
    assert done.body == "The upgrade is complete."
    assert done.changes == (
        ComponentChange("API", C.UNDER_MAINTENANCE, C.OPERATIONAL),
        ComponentChange("Web", C.UNDER_MAINTENANCE, C.OPERATIONAL),
    )
    assert maintenance.status.value == "completed"  # (mypy narrowed it to in_progress above)
    assert maintenance.completed_at == END
    assert maintenance.sequence == 2  # each notice after the announcement is a new version


def test_completing_leaves_a_component_an_incident_holds_down_as_the_incident_says() -> None:
    maintenance = announced()
    publish_approved(
        maintenance, T.START, notice_id="n2", now=START, show=show, components=ALL_OPERATIONAL
    )
    held = Components({"API": C.MAJOR_OUTAGE, "Web": C.OPERATIONAL})
    done = publish_approved(
        maintenance, T.COMPLETE, notice_id="n3", now=END, show=show, components=held
    )
    # API was shown as major outage during the maintenance (worse of the two) and stays so.
    assert done.changes == (ComponentChange("Web", C.UNDER_MAINTENANCE, C.OPERATIONAL),)


def test_completing_one_of_two_overlapping_maintenances_keeps_the_shared_component_blue() -> None:
    maintenance = announced()
    publish_approved(
        maintenance, T.START, notice_id="n2", now=START, show=show, components=ALL_OPERATIONAL
    )
    other = Components(ALL_OPERATIONAL.statuses, elsewhere=frozenset({"API"}))
    done = publish_approved(
        maintenance, T.COMPLETE, notice_id="n3", now=END, show=show, components=other
    )
    assert done.changes == (ComponentChange("Web", C.UNDER_MAINTENANCE, C.OPERATIONAL),)


def test_nothing_is_published_before_the_announcement() -> None:
    maintenance, _ = proposal()
    with pytest.raises(GuardFailed, match="never announced"):
        publish_approved(
            maintenance, T.START, notice_id="n", now=START, show=show, components=ALL_OPERATIONAL
        )
    cancel = MaintenanceDraft(
        id="d2",
        maintenance_id="m1",
        kind=T.CANCEL,
        author="alice",
        body="Cancelled.",
        base_status=M.SCHEDULED,
        created_at=NOW,
        updated_at=NOW,
    )
    with pytest.raises(GuardFailed, match="approve its announcement first"):
        publish(maintenance, cancel, approval=approval(), components=ALL_OPERATIONAL)
    assert maintenance.published_count == 0


def test_a_draft_written_before_the_maintenance_moved_is_stale() -> None:
    maintenance = announced()
    extend = MaintenanceDraft(
        id="d2",
        maintenance_id="m1",
        kind=T.EXTEND,
        author="alice",
        body="Until {end}.",
        base_status=M.SCHEDULED,
        created_at=NOW,
        updated_at=NOW,
        scheduled_until=END + timedelta(hours=1),
    )
    publish_approved(
        maintenance, T.START, notice_id="n2", now=START, show=show, components=ALL_OPERATIONAL
    )
    with pytest.raises(StaleDraft, match="it is now in_progress"):
        publish(maintenance, extend, approval=approval(now=START), components=ALL_OPERATIONAL)
    extend.edit(now=START, editor="alice", maintenance_status=maintenance.status)
    notice = publish(maintenance, extend, approval=approval(now=START), components=ALL_OPERATIONAL)
    assert notice.body == "Until Thu Dec 12, 1:00 AM PST."
    assert maintenance.scheduled_until == END + timedelta(hours=1)


def test_an_approval_names_the_version_it_read() -> None:
    maintenance, draft = proposal()
    draft.edit(now=NOW, editor="carol", maintenance_status=M.SCHEDULED, body="New text {start}.")
    with pytest.raises(StaleDraft) as err:
        publish(maintenance, draft, approval=approval(version=1), components=ALL_OPERATIONAL)
    assert err.value.field == "version"
    assert not maintenance.announced
    publish(maintenance, draft, approval=approval(version=2), components=ALL_OPERATIONAL)
    with pytest.raises(AlreadyDecided):
        publish(maintenance, draft, approval=approval(), components=ALL_OPERATIONAL)


def test_an_edit_that_changes_what_it_says_makes_the_editor_the_last_editor() -> None:
    _, draft = proposal()
    draft.edit(now=NOW, editor="carol", maintenance_status=M.SCHEDULED, body=draft.body)
    assert (draft.last_editor, draft.version) == ("alice", 2)  # same words: nothing to review
    draft.edit(now=NOW, editor="carol", maintenance_status=M.SCHEDULED, end_text="Done!")
    assert draft.last_editor == "carol"
    assert draft.authors == ("alice", "carol")
    draft.edit(
        now=NOW,
        editor="dave",
        maintenance_status=M.SCHEDULED,
        scheduled_until=END + timedelta(minutes=30),
    )
    assert draft.last_editor == "dave"


def test_a_draft_takes_only_what_its_kind_carries() -> None:
    cancel = MaintenanceDraft(
        id="d2",
        maintenance_id="m1",
        kind=T.CANCEL,
        author="alice",
        body="Cancelled.",
        base_status=M.SCHEDULED,
        created_at=NOW,
        updated_at=NOW,
    )
    with pytest.raises(InvalidInput) as err:
        cancel.edit(now=NOW, editor="bob", maintenance_status=M.SCHEDULED, scheduled_until=END)
    assert err.value.field == "scheduled_until"
    assert cancel.version == 1


def test_an_announcement_whose_window_has_passed_is_refused() -> None:
    maintenance, draft = proposal()
    with pytest.raises(GuardFailed) as err:
        publish(
            maintenance,
            draft,
            approval=approval(now=END + timedelta(minutes=1)),
            components=ALL_OPERATIONAL,
        )
    assert err.value.field == "scheduled_until"
    assert "ends Thu Dec 12, 12:00 AM PST, which has already passed" in err.value.message


def test_cancelling_before_the_announcement_publishes_nothing_and_after_needs_a_draft() -> None:
    maintenance, _ = proposal()
    cancel_unannounced(maintenance, now=NOW)
    assert maintenance.status is M.CANCELLED
    assert maintenance.published_count == 0
    public = announced()
    with pytest.raises(GuardFailed, match="drafted and approved"):
        cancel_unannounced(public, now=NOW)


def test_work_under_way_cannot_be_cancelled() -> None:
    maintenance = announced()
    publish_approved(
        maintenance, T.START, notice_id="n2", now=START, show=show, components=ALL_OPERATIONAL
    )
    cancel = MaintenanceDraft(
        id="d2",
        maintenance_id="m1",
        kind=T.CANCEL,
        author="alice",
        body="Cancelled.",
        base_status=M.IN_PROGRESS,
        created_at=NOW,
        updated_at=NOW,
    )
    with pytest.raises(InvalidTransition, match="complete it"):
        publish(maintenance, cancel, approval=approval(now=START), components=ALL_OPERATIONAL)


def test_overlaps_are_found_on_shared_components_only() -> None:
    mine = announced()
    same_time_other_component = replace(mine, id="m2", number=2, components=("Billing",))
    same_component_later = replace(
        mine, id="m3", number=3, scheduled_for=END, scheduled_until=END + timedelta(hours=1)
    )
    overlapping_on_web = replace(
        mine,
        id="m4",
        number=4,
        components=("Web",),
        scheduled_for=START + timedelta(hours=1),
        scheduled_until=END + timedelta(hours=1),
    )
    cancelled = replace(overlapping_on_web, id="m5", number=5, status=M.CANCELLED)
    found = overlapping(
        mine, [mine, same_time_other_component, same_component_later, overlapping_on_web, cancelled]
    )
    assert [(m.ref, shared) for m, shared in found] == [("MNT-4", ("Web",))]


def test_placeholders_are_filled_from_the_window() -> None:
    text = fill_window("From {start} to {end}; {other} stays.", start=START, end=END, show=show)
    assert text == "From Wed Dec 11, 10:00 PM PST to Thu Dec 12, 12:00 AM PST; {other} stays."
    with pytest.raises(InvalidInput, match="characters long"):
        fill_window("{start}" * 700, start=START, end=END, show=show)
