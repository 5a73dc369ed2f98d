"""A maintenance from scheduling to completion, with the bot keeping the window on its own.

Real store (SQLite), a clock the test moves, the reminder scheduler's ``fire_due`` firing the
timers; what the public sees is read from the status page's renderings (JSON, HTML, iCalendar
parsed by the ``icalendar`` package).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from commsbot.domain.errors import InvalidInput, NotAllowed, StaleDraft
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import ComponentStatus, Severity
from commsbot.maintenance.views import MaintenanceDraftResult, MaintenancePublished
from commsbot.services.drafts import approve_any_draft, approve_draft, propose_update
from commsbot.services.incidents import declare
from commsbot.services.maintenance import cancel, complete, extend, show
from commsbot.services.maintenance import edit_draft as edit_maintenance
from tests.maintenance.support import LEE, MAYA, SAM, Bot, la
from tests.statuspage import shape


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[Bot]:
    made = Bot(tmp_path, la(2024, 11, 1, 9, 0))
    yield made
    made.close()


def _json(bot: Bot, path: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(bot.public()[path])
    shape.document(path, doc)
    return doc


def _names(doc: dict[str, Any]) -> list[str]:
    items = doc["scheduled_maintenances"]
    assert isinstance(items, list)
    return [m["name"] for m in items]


def test_nothing_is_public_until_a_second_person_approves_the_announcement(bot: Bot) -> None:
    made = bot.schedule("2024-11-02 22:00", "2h", "API")
    assert _names(_json(bot, "/api/v2/scheduled-maintenances.json")) == []
    assert bot.calendar() == []

    with pytest.raises(NotAllowed, match="someone else must read and approve"):
        approve_any_draft(bot.deps, draft_id=made.draft.id, actor=MAYA)
    # Sam edits the text: now neither maya's approval of v1 nor sam's own of v2 is accepted.
    edit_maintenance(bot.deps, draft_id=made.draft.id, actor=SAM, body="DB upgrade {start}.")
    with pytest.raises(StaleDraft):
        approve_any_draft(bot.deps, draft_id=made.draft.id, actor=LEE, version=1)
    with pytest.raises(NotAllowed):
        approve_any_draft(bot.deps, draft_id=made.draft.id, actor=SAM)
    published = approve_any_draft(bot.deps, draft_id=made.draft.id, actor=LEE, version=2)
    assert isinstance(published, MaintenancePublished)

    upcoming = _json(bot, "/api/v2/scheduled-maintenances/upcoming.json")
    item = upcoming["scheduled_maintenances"][0]
    assert item["status"] == "scheduled"
    assert item["scheduled_for"] == "2024-11-03T05:00:00.000Z"  # 10 PM PDT
    assert item["scheduled_until"] == "2024-11-03T07:00:00.000Z"
    assert item["incident_updates"][0]["body"].startswith("DB upgrade Sat Nov 2, 10:00 PM PDT")
    assert _names(_json(bot, "/api/v2/summary.json")) == ["Database upgrade"]
    assert _names(_json(bot, "/api/v2/scheduled-maintenances/active.json")) == []
    page = bot.public()["/"].decode()
    assert "Upcoming maintenance" in page
    assert "Database upgrade" in page


def test_the_bot_starts_and_completes_it_on_time_across_the_fall_back_night(bot: Bot) -> None:
    # 3 November 2024: 1:59 AM PDT is followed by 1:00 AM PST in Los Angeles. A window typed
    # 00:30 to 03:00 local lasts 3 h 30 min of real time.
    ref = bot.announce("2024-11-03 00:30", "2024-11-03 03:00", "API")
    before = bot.at(la(2024, 11, 3, 0, 29)).fire()
    # The 24 h and 1 h reminders were both due: the team hears the nearest one only.
    assert ["starts in 1 min" in n.text for n in before] == [True]
    assert bot.status(ref) == "scheduled"

    started = bot.at(la(2024, 11, 3, 0, 30)).fire()
    assert [n.incident_ref for n in started] == [ref]
    assert "started on time" in started[0].text
    assert bot.status(ref) == "in_progress"
    assert bot.component("API") == "under_maintenance"
    assert bot.fire() == []  # once
    active = _json(bot, "/api/v2/scheduled-maintenances/active.json")
    assert _names(active) == ["Database upgrade"]
    components = _json(bot, "/api/v2/components.json")["components"]
    assert {c["name"]: c["status"] for c in components}["API"] == "under_maintenance"

    # The second 1:30 (PST) is not the end: the window ends at 3:00 PST, 11:00 UTC.
    assert bot.at(la(2024, 11, 3, 1, 30, fold=1)).fire() == []
    assert bot.at(la(2024, 11, 3, 2, 59)).fire() == []
    ended = bot.at(la(2024, 11, 3, 3, 0)).fire()
    assert [n.incident_ref for n in ended] == [ref]
    assert bot.clock.current - la(2024, 11, 3, 0, 30) == timedelta(hours=3, minutes=30)
    assert bot.status(ref) == "completed"
    assert bot.component("API") == "operational"
    assert bot.at(la(2024, 11, 3, 4, 0)).fire() == []

    notices = show(bot.deps, ref=ref).notices
    assert [n.kind.value for n in notices] == ["announce", "start", "complete"]
    assert all(n.approver == "sam" for n in notices)  # the bot published only approved words
    every = _json(bot, "/api/v2/scheduled-maintenances.json")["scheduled_maintenances"]
    assert every[0]["status"] == "completed"
    assert every[0]["resolved_at"] == "2024-11-03T11:00:00.000Z"
    assert "Maintenance history" in bot.public()["/history"].decode()


def test_a_window_that_started_while_the_bot_was_down_starts_when_it_is_back_once(
    bot: Bot,
) -> None:
    ref = bot.announce("2024-11-02 22:00", "4h", "API")
    back = bot.at(la(2024, 11, 2, 23, 10)).fire()
    starts = [n for n in back if "started" in n.text]
    assert len(starts) == 1
    assert "1 h 10 min late" in starts[0].text or "late (the bot was away)" in starts[0].text
    assert bot.status(ref) == "in_progress"
    assert bot.fire() == []


def test_the_team_is_reminded_24_and_1_hours_before_the_start(bot: Bot) -> None:
    # 24 hours of real time: the night between has 25, so it is 11 AM PDT the day before.
    ref = bot.announce("2024-11-03 10:00", "1h", "API")
    assert bot.at(la(2024, 11, 2, 10, 59)).fire() == []
    day_before = bot.at(la(2024, 11, 2, 11, 0)).fire()
    assert [n.incident_ref for n in day_before] == [ref]
    assert "starts in 1 d" in day_before[0].text or "starts in 24 h" in day_before[0].text
    hour_before = bot.at(la(2024, 11, 3, 9, 0)).fire()
    assert len(hour_before) == 1
    assert "starts in 1 h" in hour_before[0].text


def test_completing_never_marks_a_component_up_while_an_incident_holds_it_down(
    bot: Bot,
) -> None:
    ref = bot.announce("2024-11-02 22:00", "2h", "API")
    bot.at(la(2024, 11, 2, 22, 0)).fire()
    assert bot.component("API") == "under_maintenance"

    declared = declare(
        bot.deps, title="API errors", severity=Severity.SEV1, components={"API": None}, actor=MAYA
    )
    approve_draft(bot.deps, draft_id=declared.draft.id, actor=SAM)
    assert bot.component("API") == "major_outage"  # the worse of the two is shown

    done = complete(bot.deps, ref=ref, actor=MAYA)
    assert isinstance(done, MaintenancePublished)
    assert bot.component("API") == "major_outage"
    assert bot.status(ref) == "completed"

    # And the incident's recovery returns it to operational once the maintenance is over.
    fix = propose_update(
        bot.deps,
        incident_ref=declared.incident.incident.ref,
        status=Status.RECOVERED,
        component_changes={"API": ComponentStatus.OPERATIONAL},
        actor=MAYA,
    )
    approve_draft(bot.deps, draft_id=fix.draft.id, actor=SAM)
    assert bot.component("API") == "operational"


def test_an_approved_extension_moves_the_window_and_bumps_the_calendar_sequence(
    bot: Bot,
) -> None:
    ref = bot.announce("2024-11-02 22:00", "2h", "API")
    [event] = bot.calendar()
    assert int(event["SEQUENCE"]) == 0
    uid = str(event["UID"])
    bot.at(la(2024, 11, 2, 22, 0)).fire()

    drafted = extend(bot.deps, ref=ref, actor=MAYA, end="2024-11-03 02:00")
    assert isinstance(drafted, MaintenanceDraftResult)
    # Until the extension is approved, the end of the window completes nothing.
    assert bot.at(la(2024, 11, 3, 0, 0)).fire()[0].text.count("waits for approval") == 1
    assert bot.status(ref) == "in_progress"
    approve_any_draft(bot.deps, draft_id=drafted.draft.id, actor=SAM)

    [event] = bot.calendar()
    assert str(event["UID"]) == uid
    assert int(event["SEQUENCE"]) >= 2
    assert event.decoded("DTEND") == la(2024, 11, 3, 2, 0)
    assert bot.at(la(2024, 11, 3, 2, 0)).fire()
    assert bot.status(ref) == "completed"


def test_a_cancelled_maintenance_is_cancelled_in_the_calendar(bot: Bot) -> None:
    ref = bot.announce("2024-11-03 10:00", "1h", "API")
    drafted = cancel(bot.deps, ref=ref, actor=MAYA)
    assert isinstance(drafted, MaintenanceDraftResult)  # announced: a notice to approve
    [event] = bot.calendar()
    assert str(event["STATUS"]) == "CONFIRMED"
    approve_any_draft(bot.deps, draft_id=drafted.draft.id, actor=SAM)
    [event] = bot.calendar()
    assert str(event["STATUS"]) == "CANCELLED"
    assert bot.status(ref) == "cancelled"
    assert bot.at(la(2024, 11, 3, 10, 0)).fire() == []  # nothing starts


@pytest.mark.parametrize(
    ("start", "end", "components", "field", "says"),
    [
        ("2024-11-02 22:00", "2024-11-02 21:00", ["API"], "scheduled_until", "not after its start"),
        (
            "2024-11-02 22:00",
            "2024-11-03 01:30",
            ["API"],
            "scheduled_until",
            "2024-11-03T01:30-07:00 (PDT) or 2024-11-03T01:30-08:00 (PST)",
        ),
        ("2024-10-30 22:00", "2h", ["API"], "scheduled_for", "in the past"),
        ("2024-11-02 22:00", "100h", ["API"], "scheduled_until", "72"),
        ("2024-11-02 22:00", "2h", ["Nope"], "components", "Nope"),
        ("2024-11-02 22:00 Mars/Olympus", "2h", ["API"], "scheduled_for", "zone"),
    ],
)
def test_bad_windows_are_refused_with_the_field_and_what_would_do(
    bot: Bot, start: str, end: str, components: list[str], field: str, says: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        bot.schedule(start, end, *components)
    assert refused.value.field == field
    assert says in refused.value.message
    assert _names(_json(bot, "/api/v2/scheduled-maintenances.json")) == []


def test_an_unknown_time_zone_is_refused(bot: Bot) -> None:
    with pytest.raises(InvalidInput) as refused:
        bot.schedule("2024-11-02 22:00", "2h", "API", timezone="Europe/Atlantis")
    assert refused.value.field == "timezone"


def test_overlapping_windows_on_a_component_are_allowed_and_said(bot: Bot) -> None:
    bot.announce("2024-11-02 22:00", "2h", "API")
    second = bot.schedule("2024-11-02 23:00", "2h", "API", "Web", title="Cache flush")
    assert len(second.warnings) == 1
    assert "API is also under maintenance MNT-1" in second.warnings[0]
