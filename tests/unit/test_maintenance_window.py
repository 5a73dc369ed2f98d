"""Maintenance windows as people type them: the page's zone, offsets, zone names, DST nights."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commsbot.domain.errors import InvalidInput
from commsbot.maintenance.config import MaintenanceConfig
from commsbot.maintenance.window import (
    Window,
    check_window,
    parse_moment,
    parse_window,
    zone_named,
)

LA = ZoneInfo("America/Los_Angeles")
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2024, 10, 1, 12, 0, tzinfo=UTC)
CONFIG = MaintenanceConfig()


def moment(text: str, *, zone: ZoneInfo = LA, now: datetime = NOW) -> datetime:
    return parse_moment(text, now=now, zone=zone)


def test_a_time_without_offset_is_in_the_pages_zone_and_stored_utc() -> None:
    assert moment("2024-12-11 22:00") == datetime(2024, 12, 12, 6, 0, tzinfo=UTC)  # PST -8
    assert moment("2024-07-11T22:00") == datetime(2024, 7, 12, 5, 0, tzinfo=UTC)  # PDT -7
    assert moment("2024-12-11 22:00", zone=PARIS) == datetime(2024, 12, 11, 21, tzinfo=UTC)


def test_an_explicit_offset_or_zone_wins_over_the_pages_zone() -> None:
    assert moment("2024-12-11T22:00-05:00") == datetime(2024, 12, 12, 3, tzinfo=UTC)
    assert moment("2024-12-11T22:00Z") == datetime(2024, 12, 11, 22, tzinfo=UTC)
    assert moment("2024-12-11 22:00 Europe/Paris") == datetime(2024, 12, 11, 21, tzinfo=UTC)
    assert moment("2024-12-11T22:00[Asia/Tokyo]") == datetime(2024, 12, 11, 13, tzinfo=UTC)


def test_relative_and_named_days() -> None:
    assert moment("now") == NOW
    assert moment("2h") == NOW + timedelta(hours=2)
    assert moment("in 1h30m") == NOW + timedelta(minutes=90)
    # 12:00 UTC is 05:00 PDT on Oct 1: "tomorrow" is Oct 2 in Los Angeles.
    assert moment("tomorrow 22:00") == datetime(2024, 10, 3, 5, 0, tzinfo=UTC)
    assert moment("today 22:00") == datetime(2024, 10, 2, 5, 0, tzinfo=UTC)


def test_the_fall_back_hour_happens_twice_and_is_refused_with_both_readings() -> None:
    with pytest.raises(InvalidInput) as err:
        moment("2024-11-03 01:30")
    assert err.value.field == "scheduled_for"
    assert "happens twice in America/Los_Angeles" in err.value.message
    assert "2024-11-03T01:30-07:00 (PDT)" in err.value.message
    assert "2024-11-03T01:30-08:00 (PST)" in err.value.message
    # Either reading, given with its offset, is an hour apart.
    first = moment("2024-11-03T01:30-07:00")
    second = moment("2024-11-03T01:30-08:00")
    assert second - first == timedelta(hours=1)


def test_the_spring_forward_gap_does_not_exist_and_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        moment("2024-03-10 02:30")
    assert "does not exist in America/Los_Angeles" in err.value.message
    assert "2024-03-10T01:30-08:00 (PST)" in err.value.message
    assert "2024-03-10T03:30-07:00 (PDT)" in err.value.message
    with pytest.raises(InvalidInput, match="does not exist in Europe/Paris"):
        moment("2024-03-31 02:30", zone=PARIS)


def test_a_window_across_the_fall_back_night_lasts_an_hour_longer_than_the_clock_says() -> None:
    window = parse_window("2024-11-03 00:00", "2024-11-03 04:00", now=NOW, zone=LA)
    assert window.start == datetime(2024, 11, 3, 7, 0, tzinfo=UTC)
    assert window.end == datetime(2024, 11, 3, 12, 0, tzinfo=UTC)
    assert window.length == timedelta(hours=5)
    # A length is real time: 4h from local midnight ends at 03:00 local (PST) that night.
    by_length = parse_window("2024-11-03 00:00", "4h", now=NOW, zone=LA)
    assert by_length.end.astimezone(LA).hour == 3


def test_a_window_across_the_spring_forward_night_is_an_hour_shorter() -> None:
    earlier = NOW - timedelta(days=300)
    window = parse_window("2024-03-10 00:00", "2024-03-10 04:00", now=earlier, zone=LA)
    assert window.length == timedelta(hours=3)


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [("Europe/Pari", "Europe/Paris"), ("america/new_york", "America/New_York")],
)
def test_unknown_zones_are_refused_with_the_closest_names(name: str, suggestion: str) -> None:
    with pytest.raises(InvalidInput) as err:
        zone_named(name)
    assert err.value.field == "timezone"
    assert f"did you mean {suggestion}" in err.value.message


def test_abbreviations_are_explained_not_guessed() -> None:
    with pytest.raises(InvalidInput) as err:
        moment("2024-12-11 22:00 PST")
    assert "PST is an abbreviation" in err.value.message
    assert err.value.field == "scheduled_for"
    with pytest.raises(InvalidInput, match="not a time zone"):
        moment("2024-12-11 22:00 Mars/Olympus_Mons")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "no time given"),
        ("2024-12-11", "a day without a time; add the time, like 2024-12-11 22:00"),
        ("next week sometime", "is not a time"),
        ("tomorrow 25:00", "is not a time of day"),
        ("2024-12-11T22:00-05:00 Europe/Paris", "both an offset and a zone"),
    ],
)
def test_what_is_not_a_time_says_how_to_write_one(text: str, says: str) -> None:
    with pytest.raises(InvalidInput) as err:
        moment(text)
    assert says in err.value.message
    assert err.value.field == "scheduled_for"


def check(start: datetime, end: datetime, *, started: bool = False) -> None:
    check_window(Window(start, end), now=NOW, zone=LA, config=CONFIG, started=started)


def test_an_end_before_the_start_is_refused_on_the_end_field() -> None:
    with pytest.raises(InvalidInput) as err:
        check(NOW + timedelta(hours=2), NOW + timedelta(hours=1))
    assert err.value.field == "scheduled_until"
    assert "not after its start" in err.value.message
    assert "2024-10-01T07:00-07:00 (PDT)" in err.value.message  # shown in the page's zone


def test_a_start_in_the_past_is_refused_unless_the_work_began() -> None:
    with pytest.raises(InvalidInput) as err:
        check(NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    assert err.value.field == "scheduled_for"
    assert "in the past" in err.value.message
    check(NOW - timedelta(seconds=30), NOW + timedelta(hours=1))  # typing takes a moment
    check(NOW - timedelta(hours=1), NOW + timedelta(hours=1), started=True)
    with pytest.raises(InvalidInput) as ended:
        check(NOW - timedelta(hours=3), NOW - timedelta(hours=1), started=True)
    assert ended.value.field == "scheduled_until"


def test_a_window_longer_than_the_maximum_says_when_it_could_end() -> None:
    with pytest.raises(InvalidInput) as err:
        check(NOW + timedelta(hours=1), NOW + timedelta(hours=1 + 80))
    assert err.value.field == "scheduled_until"
    assert "80h long; the longest allowed is 72h" in err.value.message
    assert "max_window_hours" in err.value.message
    check(NOW + timedelta(hours=1), NOW + timedelta(hours=73))


def test_a_start_years_ahead_is_taken_for_a_typo() -> None:
    with pytest.raises(InvalidInput) as err:
        check(NOW + timedelta(days=3650), NOW + timedelta(days=3650, hours=1))
    assert err.value.field == "scheduled_for"
    assert "check the year" in err.value.message


@given(st.text(max_size=60))
def test_any_text_is_a_time_or_a_refusal_naming_its_field(text: str) -> None:
    field = None
    try:
        parsed = parse_moment(text, now=NOW, zone=LA, field="scheduled_until")
    except InvalidInput as refused:
        field = refused.field
    else:
        assert parsed.tzinfo is UTC
        return
    assert field == "scheduled_until"


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2090, 1, 1),
        timezones=st.just(UTC),
    ),
    st.sampled_from([LA, PARIS, ZoneInfo("Australia/Lord_Howe"), UTC]),
)
def test_an_instant_written_with_its_offset_reads_back_as_the_same_instant(
    instant: datetime, zone: ZoneInfo
) -> None:
    instant = instant.replace(second=0, microsecond=0)
    typed = instant.astimezone(zone).isoformat()
    assert parse_moment(typed, now=NOW, zone=LA) == instant
