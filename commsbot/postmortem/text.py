"""Small formatting helpers shared by the document, the chart and the data view.

Times are shown in the team's zone ("3:19 PM PST", with the date when it is not the incident's
day); durations in words ("2 h 24 min"); text is made safe for Markdown table cells and for XML
(every character XML 1.0 forbids becomes U+FFFD, so no stored text can break a page or chart).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# XML 1.0 allows tab, newline, carriage return and everything from U+0020 except surrogates and
# U+FFFE/U+FFFF. The rest cannot appear in a well-formed page, not even as a reference.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NEWLINES = re.compile(r"\r\n|\r|\n")
# Characters with a meaning in CommonMark/GFM inline text or tables: shown literally when
# backslash-escaped (``\`` first, so that the escapes added are not escaped again).
_MD_PUNCT = re.compile(r"([\\`*_\[\]|~])")


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds and ``Z`` (``2024-12-11T23:16:00.000Z``), or None."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def seconds(value: timedelta | None) -> float | None:
    """A duration in seconds, to the millisecond, or None."""
    return None if value is None else round(value.total_seconds(), 3)


def duration(value: timedelta | None) -> str:
    """``0.4 s``, ``45 s``, ``3 min 30 s``, ``2 h 24 min``, ``1 d 4 h 10 min``; ``—`` for None.

    Under 10 s to the tenth of a second (deliveries take that long); under an hour to the
    second; from an hour on, to the nearest minute.
    """
    if value is None:
        return "—"
    exact = value.total_seconds()
    if abs(exact) < 9.95 and round(exact, 1) != round(exact):
        return f"{'−' if exact < 0 else ''}{abs(exact):.1f} s"
    total = round(exact)
    sign = "−" if total < 0 else ""
    total = abs(total)
    if total < 3600:
        minutes, secs = divmod(total, 60)
        parts = [(minutes, "min"), (secs, "s")]
    else:
        minutes = (total + 30) // 60
        days, rest = divmod(minutes, 24 * 60)
        hours, mins = divmod(rest, 60)
        parts = [(days, "d"), (hours, "h"), (mins, "min")]
    words = " ".join(f"{n} {unit}" for n, unit in parts if n)
    return sign + (words or "0 s")


def clock(moment: datetime, zone: ZoneInfo) -> str:
    """``3:19 PM PST``."""
    local = moment.astimezone(zone)
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'} {local.tzname()}"


def day(moment: datetime, zone: ZoneInfo, *, year: bool = True) -> str:
    """``Dec 11, 2024`` (or ``Dec 11``)."""
    local = moment.astimezone(zone)
    text = f"{_MONTHS[local.month - 1]} {local.day}"
    return f"{text}, {local.year}" if year else text


def when(moment: datetime | None, zone: ZoneInfo, *, reference: date | None = None) -> str:
    """The time, preceded by its date when that is not ``reference`` (the incident's day).

    ``3:19 PM PST``; ``Dec 13, 10:02 AM PST``; ``Jan 2, 2025, 9:00 AM PST`` across a year.
    """
    if moment is None:
        return "—"
    local = moment.astimezone(zone)
    if reference is not None and local.date() == reference:
        return clock(moment, zone)
    same_year = reference is not None and local.year == reference.year
    return f"{day(moment, zone, year=not same_year)}, {clock(moment, zone)}"


def zone_name(zone: ZoneInfo, moment: datetime) -> str:
    """``America/Los_Angeles (PST)`` at ``moment``; just ``UTC`` where the abbreviation is the
    name."""
    abbreviation = moment.astimezone(zone).tzname()
    return zone.key if abbreviation == zone.key else f"{zone.key} ({abbreviation})"


def xml_safe(text: str) -> str:
    """``text`` with every character XML 1.0 forbids replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def md_cell(text: str) -> str:
    """``text`` as one GitHub-flavoured Markdown table cell, shown literally.

    Markdown punctuation and ``|`` are backslash-escaped, ``<``, ``>`` and ``&`` become
    entities (no raw HTML gets through), and line breaks become ``<br>``: the one HTML every
    GFM table renderer accepts in a cell, and the only way to keep a row on one line.
    """
    escaped = _MD_PUNCT.sub(r"\\\1", xml_safe(text).strip())
    escaped = escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _NEWLINES.sub("<br>", escaped) or "—"


def md_line(text: str) -> str:
    """``text`` escaped as :func:`md_cell`, on one line, ``#`` too (for a heading, whose
    trailing ``#`` would otherwise be taken for a closing sequence)."""
    return md_cell(_NEWLINES.sub(" ", text)).replace("#", "\\#")


def percent(part: int, whole: int) -> str:
    """``1 of 3 (33%)``; ``none`` when ``whole`` is 0."""
    if not whole:
        return "none"
    return f"{part} of {whole} ({round(100 * part / whole)}%)"
