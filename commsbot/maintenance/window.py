"""Maintenance windows as people type them, and the checks every window passes.

Pure: ``now`` and the page's zone are passed in. A time without an offset is read in the page's
``timezone``; one with an offset (``…-08:00``, ``…Z``) or a zone name (``2024-11-03 01:30
America/Chicago``) is read as it says. Stored times are UTC. Wall times that a DST change skips
or repeats are refused with both readings spelled out, never guessed.

Every refusal carries the ``field`` it is about (``scheduled_for``, ``scheduled_until``,
``timezone``), so a form shows it next to that input.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from commsbot.domain import when
from commsbot.domain.errors import InvalidInput
from commsbot.maintenance.config import MaintenanceConfig

START_FIELD, END_FIELD, ZONE_FIELD = "scheduled_for", "scheduled_until", "timezone"
MOMENT_EXAMPLE = (
    "write it like 2024-12-11 22:00 (in the page's time zone), 2024-12-11T22:00-08:00, "
    "2024-12-11 22:00 Europe/Paris, tomorrow 22:00, or a duration from now like 2h"
)
END_EXAMPLE = f"{MOMENT_EXAMPLE.replace(' from now', ' from the start')}"
#: A start this close to now is "now": the time it took to type it is not "the past".
_GRACE = timedelta(minutes=2)
_RELATIVE = re.compile(r"^(?:in\s+|\+)?(?P<span>(?:\d+\s*[smhdw]\s*)+)$")
_DAY_AND_TIME = re.compile(r"^(?P<day>today|tomorrow)\s+(?P<h>\d{1,2}):(?P<m>\d{2})$")
_ZONE_SUFFIX = re.compile(r"^(?P<moment>.+?)(?:\s+|\[)(?P<zone>[A-Za-z][A-Za-z0-9_+\-/]*)\]?$")


@dataclass(frozen=True)
class Window:
    """A planned window, UTC."""

    start: datetime
    end: datetime

    @property
    def length(self) -> timedelta:
        return self.end - self.start


@functools.cache
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def zone_named(name: str, *, field: str = ZONE_FIELD) -> ZoneInfo:
    """The IANA zone called ``name``.

    Raises:
        InvalidInput: no such zone; the message suggests the closest names (``Europe/Pari`` →
            ``Europe/Paris``) and explains abbreviations such as ``PST``, which name no zone.
    """
    cleaned = name.strip()
    try:
        if cleaned and cleaned in _zone_names():
            return ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    if cleaned.isalpha() and cleaned.isupper() and 2 <= len(cleaned) <= 5:
        hint = (
            f"{cleaned} is an abbreviation, and an abbreviation names no single zone nor "
            "follows its daylight saving time; "
        )
    else:
        close = difflib.get_close_matches(cleaned, _zone_names(), n=3, cutoff=0.6)
        lowered = {z.lower(): z for z in _zone_names()}
        if cleaned.lower() in lowered:
            close = [lowered[cleaned.lower()]]
        hint = f"did you mean {' or '.join(close)}? " if close else ""
    raise InvalidInput(
        f"{cleaned!r} is not a time zone; {hint}give an IANA name like America/Los_Angeles, "
        "Europe/Paris or UTC, or an offset in the time itself (2024-12-11T22:00-08:00)",
        field=field,
    )


def parse_moment(text: str, *, now: datetime, zone: ZoneInfo, field: str = START_FIELD) -> datetime:
    """When something is planned, from what someone typed; UTC.

    Accepts ``now``, a duration from ``now`` (``2h``, ``in 90m``, ``+1d``), ``today 22:00`` or
    ``tomorrow 22:00`` (in ``zone``), and ISO 8601 (``2024-12-11 22:00``, ``…T22:00``) with an
    offset, ``Z``, a trailing zone name or none (then in ``zone``).

    Raises:
        InvalidInput: none of those, an unknown zone, or a local time that does not exist or
            happens twice in its zone (a DST change): the message gives both readings.
    """
    raw = " ".join(text.split())
    if not raw:
        raise InvalidInput(f"no time given; {MOMENT_EXAMPLE}", field=field)
    lowered = raw.lower()
    if lowered == "now":
        return now.astimezone(UTC)
    if (span := _RELATIVE.match(lowered)) is not None:
        return now.astimezone(UTC) + _duration(span["span"], typed=raw, field=field)
    if (day := _DAY_AND_TIME.match(lowered)) is not None:
        local_day = now.astimezone(zone).date() + timedelta(days=day["day"] == "tomorrow")
        hour, minute = int(day["h"]), int(day["m"])
        if hour > 23 or minute > 59:
            raise InvalidInput(f"{raw!r} is not a time of day; {MOMENT_EXAMPLE}", field=field)
        return local_to_utc(datetime.combine(local_day, time(hour, minute)), zone, field=field)
    moment_text, in_zone = raw, zone
    try:
        parsed = _iso(raw)
    except ValueError:
        suffix = _ZONE_SUFFIX.match(raw)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            raise InvalidInput(
                f"{raw!r} is a day without a time; add the time, like {raw} 22:00", field=field
            ) from None
        if suffix is None:
            raise InvalidInput(f"{raw!r} is not a time; {MOMENT_EXAMPLE}", field=field) from None
        moment_text = suffix["moment"]
        try:
            parsed = _iso(moment_text)
        except ValueError:
            raise InvalidInput(f"{raw!r} is not a time; {MOMENT_EXAMPLE}", field=field) from None
        in_zone = zone_named(suffix["zone"], field=field)
        if parsed.tzinfo is not None:
            raise InvalidInput(
                f"{raw!r} gives both an offset and a zone; give one of them", field=field
            ) from None
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    return local_to_utc(parsed, in_zone, field=field, typed=raw)


def _iso(text: str) -> datetime:
    # fromisoformat takes "2024-12-11 22:00" and "…T22:00Z"; a bare date is not a moment.
    if len(text) <= 10:
        raise ValueError(text)  # a date alone: which time of that day?
    return datetime.fromisoformat(text.upper() if "t" in text else text)


def _duration(span: str, *, typed: str, field: str) -> timedelta:
    try:
        return when.parse_duration(
            span, what="time from now", minimum=timedelta(0), maximum=timedelta(days=3660)
        )
    except InvalidInput as refused:
        raise InvalidInput(f"{typed!r}: {refused.message}", field=field) from None


def local_to_utc(
    local: datetime, zone: ZoneInfo, *, field: str = START_FIELD, typed: str | None = None
) -> datetime:
    """The wall-clock time ``local`` (naive) in ``zone``, as UTC.

    Raises:
        InvalidInput: clocks skip it (spring forward) or show it twice (fall back) in ``zone``;
            the message says which and gives the readings that do exist, with their offsets.
    """
    shown = typed or f"{local:%Y-%m-%d %H:%M}"
    first = local.replace(tzinfo=zone, fold=0)
    second = local.replace(tzinfo=zone, fold=1)
    readings = []
    for candidate in (first, second):
        utc = candidate.astimezone(UTC)
        if utc.astimezone(zone).replace(tzinfo=None) == local and utc not in readings:
            readings.append(utc)
    if len(readings) == 1:
        return readings[0]
    if len(readings) == 2:
        options = " or ".join(_with_offset(r, zone) for r in readings)
        raise InvalidInput(
            f"{shown} happens twice in {zone.key} (clocks go back that night): write which one "
            f"with its offset, {options}",
            field=field,
        )
    # Read with the offset before the change and with the one after: the two moments a
    # person who typed it may have meant, ordered in time.
    readings = sorted({first.astimezone(UTC), second.astimezone(UTC)})
    options = " or ".join(_with_offset(r, zone) for r in readings)
    raise InvalidInput(
        f"{shown} does not exist in {zone.key}: clocks skip it that night (they go forward); "
        f"did you mean {options}? Give one of them, or another time",
        field=field,
    )


def _with_offset(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.isoformat(timespec='minutes')} ({local.tzname()})"


def parse_window(
    start: str,
    end: str,
    *,
    now: datetime,
    zone: ZoneInfo,
    started_at: datetime | None = None,
) -> Window:
    """A window from what was typed. ``end`` may be a duration from the start (``2h``).

    ``started_at``: the maintenance already started at that time; ``start`` is then ignored
    (a window under way keeps its start) and may be empty.
    """
    if started_at is not None:
        begin = started_at
    else:
        begin = parse_moment(start, now=now, zone=zone, field=START_FIELD)
    raw_end = " ".join(end.split()).lower()
    if (span := _RELATIVE.match(raw_end)) is not None:
        return Window(begin, begin + _duration(span["span"], typed=end, field=END_FIELD))
    return Window(begin, parse_moment(end, now=now, zone=zone, field=END_FIELD))


def check_window(
    window: Window,
    *,
    now: datetime,
    zone: ZoneInfo,
    config: MaintenanceConfig,
    started: bool = False,
) -> None:
    """Refuse a window that ends before it starts, lies in the past, is too long, or starts
    too far ahead. ``started``: its work has begun, so its start is rightly in the past.

    Raises:
        InvalidInput: with the field, the window as typed (in ``zone``) and what would do.
    """

    def show(moment: datetime) -> str:
        return _with_offset(moment, zone)

    if window.end <= window.start:
        raise InvalidInput(
            f"the window ends at {show(window.end)}, which is not after its start at "
            f"{show(window.start)}; give an end after the start, or a length like 2h",
            field=END_FIELD,
        )
    if not started and window.start < now - _GRACE:
        raise InvalidInput(
            f"the window starts at {show(window.start)}, which is in the past (it is now "
            f"{show(now)}); give a later start, or now",
            field=START_FIELD,
        )
    if window.end <= now:
        raise InvalidInput(
            f"the window ends at {show(window.end)}, which is in the past (it is now "
            f"{show(now)}); give a later end",
            field=END_FIELD,
        )
    if window.length > config.max_window:
        raise InvalidInput(
            f"the window is {_hours(window.length)} long; the longest allowed is "
            f"{config.max_window_hours:g}h ([maintenance] max_window_hours): end it by "
            f"{show(window.start + config.max_window)}, or split the work into several windows",
            field=END_FIELD,
        )
    if window.start > now + config.max_ahead:
        raise InvalidInput(
            f"the window starts at {show(window.start)}, more than {config.max_ahead_days} days "
            "from now ([maintenance] max_ahead_days); check the year, or schedule it later",
            field=START_FIELD,
        )


def _hours(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    return f"{hours}h{rest:02d}m" if rest else f"{hours}h"
