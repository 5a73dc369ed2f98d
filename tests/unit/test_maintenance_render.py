"""Maintenances rendered for the public: Statuspage v2 objects and the iCalendar feed, read back
by a real parser (the ``icalendar`` package) and by hand against RFC 5545's line rules."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from commsbot.domain.maintenance import MaintenanceStatus as M
from commsbot.domain.maintenance import MaintenanceTrigger as T
from commsbot.domain.model import ComponentChange
from commsbot.domain.model import ComponentStatus as C
from commsbot.maintenance.model import Maintenance, MaintenanceNotice
from commsbot.maintenance.render import (
    CalendarPage,
    PublicMaintenance,
    active,
    calendar,
    event_uid,
    format_moment,
    format_window,
    notice_label,
    recent,
    scheduled_maintenance,
    upcoming,
)

LA = ZoneInfo("America/Los_Angeles")
START = datetime(2024, 12, 12, 6, 0, tzinfo=UTC)
END = START + timedelta(hours=2)
ANNOUNCED = START - timedelta(days=2)
PAGE = CalendarPage(name="Example", url="https://status.example.com", host="status.example.com")
ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def maintenance(**changes: object) -> Maintenance:
    fields: dict[str, object] = {
        "id": "abcdefghij12",
        "number": 7,
        "title": "Database upgrade; part 1, with commas",
        "scheduled_for": START,
        "scheduled_until": END,
        "components": ("API", "Web"),
        "owner": "alice",
        "created_at": ANNOUNCED,
        "updated_at": ANNOUNCED,
        "announced_at": ANNOUNCED,
        "announced_by": "bob",
    }
    fields.update(changes)
    return Maintenance(**fields)  # type: ignore[arg-type]


def notice(
    seq: int, kind: T, status: M, at: datetime, body: str, **more: object
) -> MaintenanceNotice:
    return MaintenanceNotice(
        id=f"notice{seq:06d}",
        maintenance_id="abcdefghij12",
        seq=seq,
        kind=kind,
        status=status,
        body=body,
        scheduled_for=START,
        scheduled_until=END,
        author="alice",
        approver="bob",
        draft_id=None,
        published_at=at,
        **more,  # type: ignore[arg-type]
    )


ANNOUNCE = notice(1, T.ANNOUNCE, M.SCHEDULED, ANNOUNCED, "We will upgrade the database.")
STARTED = notice(
    2,
    T.START,
    M.IN_PROGRESS,
    START,
    "It has begun.",
    changes=(ComponentChange("API", C.OPERATIONAL, C.UNDER_MAINTENANCE),),
    automatic=True,
)
VERIFYING = notice(3, T.VERIFY, M.VERIFYING, START + timedelta(minutes=90), "Verifying.")


def code(name: str) -> str:
    return f"c{name.lower():0>11}"[:12]


def test_times_are_shown_in_the_pages_zone_with_their_day() -> None:
    assert format_moment(START, LA) == "Wed Dec 11, 10:00 PM PST"
    assert format_window(START, END, LA) == "Wed Dec 11, 10:00 PM PST – Thu Dec 12, 12:00 AM PST"
    same_day = START - timedelta(hours=3)
    assert format_window(same_day, same_day + timedelta(hours=1), LA) == (
        "Wed Dec 11, 7:00 PM – 8:00 PM PST"
    )


def test_the_v2_object_has_every_incident_key_plus_the_window() -> None:
    item = PublicMaintenance(
        maintenance(status=M.VERIFYING, started_at=START), (ANNOUNCE, STARTED, VERIFYING)
    )
    obj = scheduled_maintenance(
        item,
        page_id="pageid123456",
        shortlink="https://status.example.com/incidents/abcdefghij12",
        components=[{"id": "x", "name": "API"}],
        code=code,
    )
    assert set(obj) == {
        "id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at",
        "impact", "shortlink", "started_at", "page_id", "incident_updates", "components",
        "scheduled_for", "scheduled_until",
    }  # fmt: skip
    assert obj["status"] == "verifying"
    assert obj["impact"] == "maintenance"
    assert obj["resolved_at"] is None
    for key in ("created_at", "updated_at", "monitoring_at", "started_at", "scheduled_for",
                "scheduled_until"):  # fmt: skip
        assert ISO_MS.match(obj[key]), key
    assert obj["scheduled_for"] == "2024-12-12T06:00:00.000Z"
    assert obj["monitoring_at"] == "2024-12-12T07:30:00.000Z"
    updates = obj["incident_updates"]
    assert [u["status"] for u in updates] == ["verifying", "in_progress", "scheduled"]
    assert set(updates[0]) == {
        "id", "status", "body", "incident_id", "created_at", "updated_at", "display_at",
        "affected_components", "deliver_notifications", "custom_tweet", "tweet_id",
    }  # fmt: skip
    assert updates[0]["affected_components"] is None
    assert updates[1]["affected_components"] == [
        {"code": code("API"), "name": "API", "old_status": "operational",
         "new_status": "under_maintenance"}
    ]  # fmt: skip
    assert all(u["incident_id"] == "abcdefghij12" for u in updates)


def test_a_cancelled_maintenance_is_completed_for_strict_readers() -> None:
    cancelled = notice(2, T.CANCEL, M.CANCELLED, START - timedelta(days=1), "Cancelled.")
    item = PublicMaintenance(
        maintenance(status=M.CANCELLED, cancelled_at=cancelled.published_at),
        (ANNOUNCE, cancelled),
    )
    obj = scheduled_maintenance(item, page_id="p", shortlink="s", components=[], code=code)
    assert obj["status"] == "completed"
    assert obj["incident_updates"][0]["status"] == "completed"
    assert obj["resolved_at"] == "2024-12-11T06:00:00.000Z"
    assert notice_label(item, 1) == "Cancelled"


def test_upcoming_active_and_recent_lists() -> None:
    soon = PublicMaintenance(maintenance(id="a", number=1), (ANNOUNCE,))
    later = PublicMaintenance(
        maintenance(id="b", number=2, scheduled_for=END, scheduled_until=END + timedelta(hours=1)),
        (ANNOUNCE,),
    )
    running = PublicMaintenance(maintenance(id="c", number=3, status=M.IN_PROGRESS), (STARTED,))
    done = PublicMaintenance(maintenance(id="d", number=4, status=M.COMPLETED), (STARTED,))
    items = [later, done, running, soon]
    assert [i.id for i in upcoming(items)] == ["a", "b"]
    assert [i.id for i in active(items)] == ["c"]
    assert [i.id for i in recent(items)] == ["b", "d", "c", "a"]


def parse(ics: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(ics)


def test_the_calendar_is_rfc_5545_as_a_real_parser_reads_it() -> None:
    item = PublicMaintenance(maintenance(), (ANNOUNCE,))
    ics = calendar([item], page=PAGE)
    cal = parse(ics)
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"])
    events = cal.walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert str(event["UID"]) == "maintenance-abcdefghij12@status.example.com"
    assert event.decoded("DTSTART") == START
    assert event.decoded("DTEND") == END
    assert str(event["SUMMARY"]) == "Database upgrade; part 1, with commas"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert int(str(event["SEQUENCE"])) == 0
    assert str(event["URL"]) == "https://status.example.com/incidents/abcdefghij12"
    assert "We will upgrade the database." in str(event["DESCRIPTION"])
    assert "Components: API, Web" in str(event["DESCRIPTION"])


def test_every_line_ends_in_crlf_and_fits_75_octets_even_with_long_unicode_text() -> None:
    long_title = "Mise à niveau de la base de données — " * 6
    item = PublicMaintenance(
        maintenance(title=long_title),
        (notice(1, T.ANNOUNCE, M.SCHEDULED, ANNOUNCED, "Ünïcödé, ; \\ text\nover lines " * 10),),
    )
    ics = calendar([item], page=PAGE)
    assert ics.endswith(b"\r\n")
    lines = ics.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert max(len(line) for line in lines) <= 75
    for line in lines:
        line.decode("utf-8")  # folding never splits a character
    event = parse(ics).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == long_title.strip()
    assert "Ünïcödé, ; \\ text\nover lines" in str(event["DESCRIPTION"])


def test_uid_stays_sequence_grows_and_a_cancellation_says_cancelled() -> None:
    first = parse(calendar([PublicMaintenance(maintenance(), (ANNOUNCE,))], page=PAGE))
    cancelled_notice = notice(2, T.CANCEL, M.CANCELLED, START - timedelta(days=1), "Off.")
    gone = PublicMaintenance(
        maintenance(status=M.CANCELLED, sequence=1, cancelled_at=cancelled_notice.published_at),
        (ANNOUNCE, cancelled_notice),
    )
    second = parse(calendar([gone], page=PAGE))
    before, after = first.walk("VEVENT")[0], second.walk("VEVENT")[0]
    assert str(before["UID"]) == str(after["UID"]) == event_uid("abcdefghij12", PAGE.host)
    assert int(str(after["SEQUENCE"])) > int(str(before["SEQUENCE"]))
    assert str(after["STATUS"]) == "CANCELLED"
    assert str(after["SUMMARY"]).startswith("Cancelled: ")
    assert after.decoded("DTSTAMP") > before.decoded("DTSTAMP")


def test_control_characters_never_reach_the_calendar() -> None:
    item = PublicMaintenance(maintenance(title="Bell\x07 title"), (ANNOUNCE,))
    ics = calendar([item], page=PAGE)
    assert b"\x07" not in ics
    assert str(parse(ics).walk("VEVENT")[0]["SUMMARY"]) == "Bell title"
