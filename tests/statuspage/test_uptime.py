"""The 90-day bars and uptime percentage: no data before a component existed, maintenance blue,
and Statuspage's weighting (major in full, partial at 30 %, degraded and maintenance not at all)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from commsbot.domain.model import ComponentStatus as C
from commsbot.statuspage.uptime import (
    Change,
    History,
    Span,
    component_history,
    group_history,
    uptime_label,
)

UTC_ZONE = ZoneInfo("UTC")
LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2024, 12, 11, 12, 0, tzinfo=UTC)
MIDNIGHT = datetime(2024, 12, 11, tzinfo=UTC)


def history(
    *,
    changes: list[Change] | None = None,
    maintenance: list[Span] | None = None,
    since: datetime | None = None,
    current: C = C.OPERATIONAL,
    zone: ZoneInfo = UTC_ZONE,
    now: datetime = NOW,
) -> History:
    return component_history(
        current=current,
        changes=changes or [],
        maintenance=maintenance or [],
        since=since,
        now=now,
        zone=zone,
        days=90,
    )


def test_days_before_the_component_existed_have_no_data() -> None:
    result = history(since=MIDNIGHT - timedelta(days=9, hours=12))
    statuses = [d.status for d in result.days]
    # Dec 1 (from noon) to Dec 11: eleven days with data.
    assert statuses[:79] == [None] * 79
    assert statuses[79:] == [C.OPERATIONAL] * 11
    assert result.uptime == 100.0
    assert uptime_label(result.uptime) == "100.00 % uptime"


def test_a_component_listed_seconds_ago_has_data_for_today_only() -> None:
    result = history(since=NOW - timedelta(seconds=1))
    assert [d.status for d in result.days].count(None) == 89
    assert history(since=NOW + timedelta(hours=1)).uptime is None
    assert uptime_label(None) == "No data"


def test_major_counts_in_full_partial_at_thirty_percent_degraded_not_at_all() -> None:
    since = MIDNIGHT - timedelta(days=9)  # 9.5 days of life: 13,680 minutes
    t = MIDNIGHT - timedelta(days=2)
    changes = [
        Change(t, C.OPERATIONAL, C.MAJOR_OUTAGE),
        Change(t + timedelta(hours=1), C.MAJOR_OUTAGE, C.PARTIAL_OUTAGE),
        Change(t + timedelta(hours=2), C.PARTIAL_OUTAGE, C.DEGRADED_PERFORMANCE),
        Change(t + timedelta(hours=5), C.DEGRADED_PERFORMANCE, C.OPERATIONAL),
    ]
    result = history(changes=changes, since=since)
    down = 60 + 0.3 * 60
    assert result.uptime == pytest.approx(100 * (1 - down / 13_680))
    assert uptime_label(result.uptime) == "99.42 % uptime"
    day = result.days[-3]
    assert day.day == t.date()
    assert day.status is C.MAJOR_OUTAGE
    assert day.down_minutes == pytest.approx(down)


def test_maintenance_days_are_blue_and_cost_no_uptime() -> None:
    start = MIDNIGHT - timedelta(days=3, hours=-22)
    result = history(maintenance=[Span(start, start + timedelta(hours=4))])
    assert result.days[-4].status is C.UNDER_MAINTENANCE  # 22:00–24:00
    assert result.days[-3].status is C.UNDER_MAINTENANCE  # 00:00–02:00
    assert result.days[-2].status is C.OPERATIONAL
    assert result.uptime == 100.0


def test_an_incident_during_a_maintenance_shows_the_incident() -> None:
    start = MIDNIGHT - timedelta(days=1)
    maintenance = [Span(start, start + timedelta(hours=6))]
    changes = [
        Change(start + timedelta(hours=1), C.OPERATIONAL, C.MAJOR_OUTAGE),
        Change(start + timedelta(hours=2), C.MAJOR_OUTAGE, C.OPERATIONAL),
    ]
    result = history(changes=changes, maintenance=maintenance)
    assert result.days[-2].status is C.MAJOR_OUTAGE
    assert result.days[-2].down_minutes == pytest.approx(60)


def test_an_active_maintenance_is_blue_today() -> None:
    result = history(maintenance=[Span(NOW - timedelta(hours=1), None)])
    assert result.days[-1].status is C.UNDER_MAINTENANCE


def test_the_status_before_the_first_change_is_what_it_moved_from() -> None:
    changes = [Change(MIDNIGHT - timedelta(days=5), C.PARTIAL_OUTAGE, C.OPERATIONAL)]
    result = history(changes=changes)
    assert result.days[0].status is C.PARTIAL_OUTAGE
    assert result.days[-1].status is C.OPERATIONAL
    assert history(current=C.DEGRADED_PERFORMANCE).days[0].status is C.DEGRADED_PERFORMANCE


def test_days_are_local_and_the_fall_back_day_has_25_hours() -> None:
    now = datetime(2024, 11, 5, 20, 0, tzinfo=UTC)
    result = history(zone=LA, now=now)
    by_day = {d.day.isoformat(): d for d in result.days}
    assert by_day["2024-11-03"].counted_minutes == 25 * 60
    assert by_day["2024-11-04"].counted_minutes == 24 * 60
    assert by_day["2024-11-05"].counted_minutes == 12 * 60  # 00:00 PST to now, 12:00 PST
    spring = history(zone=LA, now=datetime(2024, 3, 12, 20, 0, tzinfo=UTC))
    assert {d.day.isoformat(): d for d in spring.days}["2024-03-10"].counted_minutes == 23 * 60


def test_a_group_shows_the_worst_existing_child_and_pools_their_time() -> None:
    old = history(
        changes=[
            Change(MIDNIGHT - timedelta(days=1), C.OPERATIONAL, C.MAJOR_OUTAGE),
            Change(MIDNIGHT - timedelta(hours=23), C.MAJOR_OUTAGE, C.OPERATIONAL),
        ]
    )
    new = history(since=MIDNIGHT - timedelta(days=1))
    group = group_history([old, new])
    assert group.days[0].status is C.OPERATIONAL  # only the old one existed then
    assert group.days[-2].status is C.MAJOR_OUTAGE
    assert group_history([history(since=NOW + timedelta(days=1))]).days[0].status is None
    expected = 100 * (
        1
        - 60
        / (old.days[-1].counted_minutes * 0 + sum(d.counted_minutes for d in old.days + new.days))
    )
    assert group.uptime == pytest.approx(expected)


def test_labels_cut_rather_than_round() -> None:
    assert uptime_label(99.9999) == "99.99 % uptime"
    assert uptime_label(0.0) == "0.00 % uptime"
