"""The 90-day bars: the worst status of each day, from the published changes alone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from commsbot.domain.lifecycle import Status, Trigger
from commsbot.domain.model import Component, ComponentChange, ComponentStatus, Update
from commsbot.statuspage.history import Day, component_days, group_days

C = ComponentStatus
UTC_ZONE = ZoneInfo("UTC")
TODAY = date(2024, 12, 12)


def update(at: datetime, name: str, old: ComponentStatus, new: ComponentStatus) -> Update:
    return Update(
        id="u" * 12,
        incident_id="i" * 12,
        seq=1,
        status=Status.INVESTIGATING,
        trigger=Trigger.PROGRESS,
        body="x",
        changes=(ComponentChange(name, old, new),),
        author="a",
        approver="b",
        draft_id="d" * 12,
        published_at=at,
    )


def test_a_quiet_component_is_its_current_status_every_day() -> None:
    days = component_days(Component("API"), [], today=TODAY, zone=UTC_ZONE, days=90)

    assert len(days) == 90
    assert days[0].day == TODAY - timedelta(days=89)
    assert days[-1].day == TODAY
    assert {d.status for d in days} == {C.OPERATIONAL}


def test_each_day_shows_the_worst_status_it_saw() -> None:
    history = [
        update(datetime(2024, 12, 10, 9, tzinfo=UTC), "API", C.OPERATIONAL, C.MAJOR_OUTAGE),
        update(datetime(2024, 12, 10, 10, tzinfo=UTC), "API", C.MAJOR_OUTAGE, C.PARTIAL_OUTAGE),
        update(datetime(2024, 12, 11, 8, tzinfo=UTC), "API", C.PARTIAL_OUTAGE, C.OPERATIONAL),
        update(datetime(2024, 12, 11, 9, tzinfo=UTC), "Sora", C.OPERATIONAL, C.MAJOR_OUTAGE),
    ]
    comp = Component("API", status=C.OPERATIONAL)

    days = component_days(comp, history, today=TODAY, zone=UTC_ZONE, days=4)

    assert [(d.day.day, d.status) for d in days] == [
        (9, C.OPERATIONAL),
        (10, C.MAJOR_OUTAGE),
        (11, C.PARTIAL_OUTAGE),  # it started the day partially out
        (12, C.OPERATIONAL),
    ]


def test_an_outage_still_going_colours_every_day_since_it_began() -> None:
    history = [
        update(datetime(2024, 12, 10, 23, tzinfo=UTC), "API", C.OPERATIONAL, C.DEGRADED_PERFORMANCE)
    ]
    comp = Component("API", status=C.DEGRADED_PERFORMANCE)

    days = component_days(comp, history, today=TODAY, zone=UTC_ZONE, days=3)

    assert [d.status for d in days] == [C.DEGRADED_PERFORMANCE] * 2 + [C.DEGRADED_PERFORMANCE]
    assert component_days(comp, history, today=TODAY, zone=UTC_ZONE, days=4)[0].status is (
        C.OPERATIONAL
    )


def test_days_are_counted_in_the_page_time_zone() -> None:
    # 23:00 UTC on the 10th is 3 PM on the 10th in Los Angeles, but 08:00 on the 11th in Tokyo.
    history = [update(datetime(2024, 12, 10, 23, tzinfo=UTC), "API", C.OPERATIONAL, C.MAJOR_OUTAGE)]
    comp = Component("API", status=C.MAJOR_OUTAGE)

    la = component_days(comp, history, today=TODAY, zone=ZoneInfo("America/Los_Angeles"), days=3)
    tokyo = component_days(comp, history, today=TODAY, zone=ZoneInfo("Asia/Tokyo"), days=3)

    assert [d.status for d in la] == [C.MAJOR_OUTAGE] * 3
    assert [d.status for d in tokyo] == [C.OPERATIONAL, C.MAJOR_OUTAGE, C.MAJOR_OUTAGE]


def test_a_group_shows_its_worst_component_each_day() -> None:
    a = [Day(TODAY, C.DEGRADED_PERFORMANCE), Day(TODAY, C.OPERATIONAL)]
    b = [Day(TODAY, C.UNDER_MAINTENANCE), Day(TODAY, C.MAJOR_OUTAGE)]

    assert [d.status for d in group_days([a, b])] == [C.DEGRADED_PERFORMANCE, C.MAJOR_OUTAGE]
