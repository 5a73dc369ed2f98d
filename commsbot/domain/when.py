"""Times people type: durations (``45m``, ``1h30m``) and the "next update by" of a draft.

Pure: ``now`` and the zone are passed in. Shared by every surface (CLI, API, Slack, Discord) so
the same words mean the same time everywhere, with the same refusals.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from commsbot.domain.errors import InvalidInput

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
DURATION_EXAMPLE = "write it like 30m, 2h, 1h30m or 1d"

#: The furthest ahead a draft may promise its next update: further is not a cadence.
MAX_PROMISE = timedelta(days=7)
#: "16:30" means the next 16:30 within this long; a wall time further ahead has just passed.
_WALL_TIME_AHEAD = timedelta(hours=12)
_WALL_TIME = re.compile(r"^(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?$")
NEXT_UPDATE_EXAMPLE = (
    "give a duration like 45m or 1h30m, a local time like 16:30 or 4:30 PM, "
    "or an ISO time with its offset like 2024-12-11T16:30-08:00"
)


def parse_duration(
    text: str,
    *,
    what: str = "duration",
    minimum: timedelta = timedelta(minutes=1),
    maximum: timedelta = timedelta(days=30),
) -> timedelta:
    """``30m``, ``2h``, ``1h30m``, ``1d``, ``45s`` or a bare number of minutes.

    Args:
        what: names the duration in the out-of-range message ("a snooze of 90d …").

    Raises:
        InvalidInput: not a duration, or outside ``minimum`` … ``maximum``.
    """
    raw = text.strip().lower().replace(" ", "")
    if not raw:
        raise InvalidInput(f"no duration given; {DURATION_EXAMPLE}")
    if raw.isdigit():
        raw += "m"
    total = 0
    number = ""
    for ch in raw:
        if ch.isdigit():
            number += ch
        elif ch in _UNITS and number and len(number) <= 6:
            total += int(number) * _UNITS[ch]
            number = ""
        else:
            raise InvalidInput(f"{text.strip()!r} is not a duration; {DURATION_EXAMPLE}")
    if number:
        raise InvalidInput(f"{text.strip()!r} is not a duration; {DURATION_EXAMPLE}")
    duration = timedelta(seconds=total)
    if not minimum <= duration <= maximum:
        raise InvalidInput(
            f"a {what} of {text.strip()!r} is out of range; give {_span(minimum)} to "
            f"{_span(maximum)} ({DURATION_EXAMPLE})"
        )
    return duration


def _span(duration: timedelta) -> str:
    minutes = int(duration.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def parse_next_update(text: str, *, now: datetime, zone: ZoneInfo) -> datetime:
    """When a draft promises its next update, from what someone typed; UTC.

    Accepts a duration from ``now`` (``45m``, ``1h30m``, ``90``: minutes), a local wall-clock
    time in ``zone`` (``16:30``, ``4:30 PM``: the next such time, within 12 hours), or an ISO
    8601 time (``2024-12-11T16:30-08:00``, ``…Z``; without an offset it is local).

    Raises:
        InvalidInput: none of those, in the past, or more than 7 days ahead.
    """
    raw = text.strip()
    if not raw:
        raise InvalidInput(f"no next update time given; {NEXT_UPDATE_EXAMPLE}")
    lowered = raw.lower()
    moment: datetime | None = None
    if re.fullmatch(r"(\d+[smhdw]?)+", lowered.replace(" ", "")):
        moment = now + parse_duration(
            raw, what="next update time", minimum=timedelta(minutes=1), maximum=MAX_PROMISE
        )
    elif (match := _WALL_TIME.match(lowered)) is not None:
        moment = _next_wall_time(match, now=now, zone=zone, typed=raw)
    else:
        try:
            parsed = datetime.fromisoformat(raw.upper() if "t" in lowered else raw)
        except ValueError:
            raise InvalidInput(
                f"{raw!r} is not a next update time; {NEXT_UPDATE_EXAMPLE}"
            ) from None
        moment = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)
    moment = moment.astimezone(UTC)
    if moment <= now:
        raise InvalidInput(
            f"the next update time {raw!r} is in the past (it is now "
            f"{now.astimezone(zone):%Y-%m-%d %H:%M} in {zone.key}); {NEXT_UPDATE_EXAMPLE}"
        )
    if moment - now > MAX_PROMISE:
        raise InvalidInput(
            f"the next update time {raw!r} is more than 7 days ahead; promise a nearer one"
        )
    return moment


def _next_wall_time(match: re.Match[str], *, now: datetime, zone: ZoneInfo, typed: str) -> datetime:
    hour, minute = int(match["h"]), int(match["m"] or 0)
    ampm = (match["ampm"] or "").replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            raise InvalidInput(
                f"{typed!r} is not a time of day for the next update time; {NEXT_UPDATE_EXAMPLE}"
            )
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    elif match["m"] is None:
        # A bare number without am/pm is minutes, handled before; never reached.
        raise InvalidInput(f"{typed!r} is not a next update time; {NEXT_UPDATE_EXAMPLE}")
    if hour > 23 or minute > 59:
        raise InvalidInput(
            f"{typed!r} is not a time of day for the next update time; {NEXT_UPDATE_EXAMPLE}"
        )
    local_now = now.astimezone(zone)
    for offset in (0, 1):
        day = local_now.date() + timedelta(days=offset)
        # fold=0 and a round trip through UTC settle DST gaps and repeats the usual way.
        candidate = datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)
        if now < candidate <= now + _WALL_TIME_AHEAD:
            return candidate
    raise InvalidInput(
        f"the next update time {typed} ({zone.key}) has already passed today; give a later "
        "time or a duration like 45m"
    )


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds and ``Z`` (``2024-12-11T23:16:00.000Z``), or None."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
