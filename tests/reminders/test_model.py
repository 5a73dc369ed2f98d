"""Reminder rules as values: business days, DST, back-off, what people type."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from commsbot.domain.errors import AlreadyDecided, InvalidInput
from commsbot.reminders.config import RemindersConfig
from commsbot.reminders.model import (
    Reminder,
    ReminderKind,
    ReminderState,
    Repeat,
    add_business_days,
    next_business_morning,
    parse_due,
    parse_duration,
    rca_deadline,
    rca_early_reminder,
)
from commsbot.settings import ConfigError, parse_settings

LA = ZoneInfo("America/Los_Angeles")
CFG = RemindersConfig()


def la(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Los Angeles wall-clock time, as UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=LA).astimezone(UTC)


def test_business_days_skip_weekends_and_holidays() -> None:
    friday = date(2024, 12, 20)
    assert add_business_days(friday, 1, config=CFG) == date(2024, 12, 23)  # Monday
    assert add_business_days(friday, 5, config=CFG) == date(2024, 12, 27)
    with_holidays = RemindersConfig(holidays=[date(2024, 12, 25), date(2024, 12, 26)])
    assert add_business_days(friday, 5, config=with_holidays) == date(2024, 12, 31)
    assert add_business_days(date(2024, 12, 23), -1, config=CFG) == friday
    assert add_business_days(date(2024, 12, 21), 0, config=CFG) == date(2024, 12, 21)


def test_a_team_can_choose_its_workdays() -> None:
    sunday_to_thursday = parse_settings(
        {"reminders": {"workdays": ["sun", "mon", "tue", "wed", "thu"]}}
    ).reminders
    thursday = date(2024, 12, 19)
    assert add_business_days(thursday, 1, config=sunday_to_thursday) == date(2024, 12, 22)


def test_rca_is_due_after_n_business_days_at_the_due_time_in_local_time() -> None:
    # Recovered Wednesday 11 Dec 2024, 7:38 PM PST (the day of the outage): 5 business days.
    recovered = la(2024, 12, 11, 19, 38)
    deadline = rca_deadline(recovered, config=CFG, zone=LA)
    assert deadline == la(2024, 12, 18, 17, 0)
    assert deadline.astimezone(LA).utcoffset() == timedelta(hours=-8)
    assert rca_early_reminder(deadline, config=CFG, zone=LA) == la(2024, 12, 17, 9, 0)


def test_rca_local_date_is_the_teams_not_utcs() -> None:
    # 5:00 PM PST Friday is already Saturday in UTC; the business days count from Friday.
    recovered = la(2024, 12, 13, 17, 0)
    assert recovered.date() == date(2024, 12, 14)
    assert rca_deadline(recovered, config=RemindersConfig(rca_business_days=1), zone=LA) == la(
        2024, 12, 16, 17, 0
    )


def test_rca_deadline_across_the_march_dst_change_keeps_the_wall_clock_time() -> None:
    # Recovered Friday 7 March 2025 (PST); due Tuesday 11 March at 5 PM PDT (clocks went
    # forward on Sunday 9 March).
    recovered = la(2025, 3, 7, 10, 0)
    deadline = rca_deadline(recovered, config=RemindersConfig(rca_business_days=2), zone=LA)
    assert deadline == datetime(2025, 3, 12, 0, 0, tzinfo=UTC)  # 17:00 PDT = 00:00 UTC
    assert deadline.astimezone(LA).hour == 17
    early = rca_early_reminder(deadline, config=CFG, zone=LA)
    assert early == datetime(2025, 3, 10, 16, 0, tzinfo=UTC)  # Monday 9:00 PDT


def test_rca_deadline_across_the_november_dst_change_keeps_the_wall_clock_time() -> None:
    recovered = la(2025, 10, 31, 12, 0)  # Friday, PDT
    deadline = rca_deadline(recovered, config=RemindersConfig(rca_business_days=1), zone=LA)
    assert deadline == datetime(2025, 11, 4, 1, 0, tzinfo=UTC)  # Monday 17:00 PST
    assert deadline.astimezone(LA).hour == 17


def test_next_business_morning_is_strictly_later_and_skips_the_weekend() -> None:
    assert next_business_morning(la(2024, 12, 13, 8, 0), config=CFG, zone=LA) == la(
        2024, 12, 13, 9, 0
    )
    assert next_business_morning(la(2024, 12, 13, 9, 0), config=CFG, zone=LA) == la(
        2024, 12, 16, 9, 0
    )
    assert next_business_morning(la(2024, 12, 14, 7, 0), config=CFG, zone=LA) == la(
        2024, 12, 16, 9, 0
    )


def test_a_wall_time_the_clocks_skip_lands_just_after_the_jump() -> None:
    early = RemindersConfig(business_day_start=time(2, 30))
    # Monday 10 March 2025 is a normal day; Sunday 9 March has no 2:30 in Los Angeles.
    sunday = RemindersConfig(business_day_start=time(2, 30), workdays=["sun"])
    got = next_business_morning(la(2025, 3, 8, 12, 0), config=sunday, zone=LA)
    assert got == datetime(2025, 3, 9, 10, 30, tzinfo=UTC)  # 03:30 PDT
    assert next_business_morning(la(2025, 3, 10, 1, 0), config=early, zone=LA) == la(
        2025, 3, 10, 2, 30
    )


def _reminder(**changes: object) -> Reminder:
    fields: dict[str, object] = {
        "id": "rem000000001",
        "kind": ReminderKind.APPROVAL_WAITING,
        "incident_id": "inc000000001",
        "due_at": la(2024, 12, 11, 15, 21),
        "created_at": la(2024, 12, 11, 15, 16),
        "created_by": "maya",
    }
    fields.update(changes)
    return Reminder(**fields)  # type: ignore[arg-type]


def test_back_off_grows_each_time_up_to_the_cap_and_counts_from_when_it_fired() -> None:
    r = _reminder(repeat=Repeat.BACKOFF, interval=timedelta(minutes=5))
    gaps = []
    for _ in range(6):
        now = r.due_at
        r = r.fired(now=now, config=CFG, zone=LA)
        gaps.append(int((r.due_at - now).total_seconds() // 60))
        assert r.state is ReminderState.PENDING
    assert gaps == [10, 20, 40, 60, 60, 60]
    assert r.fire_count == 6
    # Down for a day: the next one is counted from when it fired, not from when it was due.
    late = r.due_at + timedelta(days=1)
    assert r.fired(now=late, config=CFG, zone=LA).due_at == late + timedelta(minutes=60)


def test_a_one_shot_reminder_is_fired_and_snoozing_re_arms_it() -> None:
    r = _reminder(kind=ReminderKind.UPDATE_DUE)
    fired = r.fired(now=r.due_at, config=CFG, zone=LA)
    assert fired.state is ReminderState.FIRED
    again = fired.snoozed(until=r.due_at + timedelta(minutes=15), actor="maya")
    assert again.state is ReminderState.PENDING
    assert again.due_at == again.snoozed_until == r.due_at + timedelta(minutes=15)
    cancelled = again.closed(state=ReminderState.CANCELLED, now=r.due_at, actor="sam")
    with pytest.raises(AlreadyDecided, match="already cancelled by sam"):
        cancelled.snoozed(until=r.due_at, actor="maya")


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("30m", 30), ("2h", 120), ("1h30m", 90), ("1d", 1440), ("45", 45), (" 1H 5M ", 65)],
)
def test_durations(text: str, minutes: int) -> None:
    assert parse_duration(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["", "soon", "30x", "m30", "10s", "31d", "1h30", "-5m"])
def test_bad_durations_say_how_to_write_one(text: str) -> None:
    with pytest.raises(InvalidInput, match="30m"):
        parse_duration(text)


def test_due_dates_are_read_in_the_teams_zone() -> None:
    now = la(2024, 12, 11, 19, 38)  # Wednesday evening; already Thursday in UTC
    assert parse_due("2024-12-13", now=now, config=CFG, zone=LA) == la(2024, 12, 13, 9, 0)
    assert parse_due("2024-12-13T15:00", now=now, config=CFG, zone=LA) == la(2024, 12, 13, 15, 0)
    assert parse_due("2024-12-13T23:00Z", now=now, config=CFG, zone=LA) == datetime(
        2024, 12, 13, 23, 0, tzinfo=UTC
    )
    assert parse_due("today", now=now, config=CFG, zone=LA) == la(2024, 12, 11, 9, 0)
    assert parse_due("tomorrow", now=now, config=CFG, zone=LA) == la(2024, 12, 12, 9, 0)
    assert parse_due("3bd", now=now, config=CFG, zone=LA) == la(2024, 12, 16, 9, 0)
    assert parse_due("7d", now=now, config=CFG, zone=LA) == la(2024, 12, 18, 9, 0)


@pytest.mark.parametrize(
    ("text", "message"),
    [("2024-12-10", "in the past"), ("next week", "not a due date"), ("2024-13-01", "not a due")],
)
def test_bad_due_dates_are_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_due(text, now=la(2024, 12, 11, 19, 38), config=CFG, zone=LA)


def test_bad_reminder_settings_name_the_key_and_what_is_valid() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(
            {
                "reminders": {
                    "escalate_after_minutes": 0,
                    "workdays": ["monday"],
                    "rca_due_time": "5pm",
                    "extra": 1,
                }
            }
        )
    message = str(caught.value)
    assert "reminders.escalate_after_minutes = 0" in message
    assert "reminders.workdays.0 = 'monday': must be one of" in message
    assert "reminders.rca_due_time = '5pm'" in message
    assert "reminders.extra: unknown key" in message


def test_defaults_are_the_documented_ones() -> None:
    cfg = parse_settings({}).reminders
    assert (cfg.escalate_after_minutes, cfg.approval_waiting_minutes, cfg.rca_business_days) == (
        15,
        5,
        5,
    )
    assert cfg.business_day_start == time(9, 0)
    assert cfg.rca_due_time == time(17, 0)
