"""Plain SVG, written with xml.etree: an accessible frame, a shared palette, time-axis ticks.

No plotting library: the charts are a few dozen rectangles and lines, and hand-written SVG keeps
them small, scriptless, self-contained and styled by CSS that follows the reader's light or dark
preference. Every text passes :func:`~commsbot.postmortem.text.xml_safe`; ElementTree escapes
the rest, so no stored text can break the XML.

Class names and ids carry a prefix: an SVG inlined in an HTML page shares the page's CSS and id
space, and a page may hold several charts.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from commsbot.postmortem.text import day, xml_safe

SVG_NS = "http://www.w3.org/2000/svg"
_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,30}")

#: The status page's palette (commsbot/statuspage/templates/base.html.j2): mid-tones that read on
#: light and dark backgrounds alike. Text on a bar is white except on the lighter yellow.
STATUS_COLOURS = {
    "operational": ("#1f9d55", "#ffffff"),
    "degraded_performance": ("#b7950b", "#1d2731"),
    "partial_outage": ("#d35400", "#ffffff"),
    "major_outage": ("#c0392b", "#ffffff"),
    "under_maintenance": ("#2874a6", "#ffffff"),
}
SEVERITY_COLOURS = {"sev1": "#c0392b", "sev2": "#d35400", "sev3": "#b7950b", "sev4": "#2874a6"}

_STYLE = """
.PFX text {{ font: 12px -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  fill: #1d2731; stroke: none; }}
.PFX .PFX-bg {{ fill: #ffffff; }}
.PFX .PFX-muted {{ fill: #5f6b76; }}
.PFX .PFX-small {{ font-size: 11px; }}
.PFX .PFX-head {{ font-weight: 600; }}
.PFX .PFX-grid {{ stroke: #dde3e8; stroke-width: 1; }}
.PFX .PFX-axis {{ stroke: #5f6b76; stroke-width: 1; }}
.PFX .PFX-mark {{ stroke: #1d2731; stroke-width: 1.5; }}
.PFX .PFX-dot {{ fill: #1d2731; }}
.PFX .PFX-hatch {{ fill: #1d2731; fill-opacity: 0.45; }}
.PFX .PFX-now {{ stroke: #1b5e9e; stroke-width: 1.5; stroke-dasharray: 2 3; }}
.PFX .PFX-promise {{ stroke: #5f6b76; stroke-width: 1.5; fill: none; }}
.PFX .PFX-kept {{ stroke: #1f9d55; fill: #1f9d55; }}
.PFX .PFX-late {{ stroke: #c0392b; fill: #c0392b; stroke-width: 2; stroke-dasharray: 5 3; }}
.PFX text.PFX-late, .PFX text.PFX-kept {{ stroke: none; stroke-width: 0; }}
{fills}
@media (prefers-color-scheme: dark) {{
  .PFX text {{ fill: #e6edf3; }}
  .PFX .PFX-bg {{ fill: #161b22; }}
  .PFX .PFX-muted {{ fill: #9aa7b3; }}
  .PFX .PFX-grid {{ stroke: #30363d; }}
  .PFX .PFX-axis {{ stroke: #9aa7b3; }}
  .PFX .PFX-mark {{ stroke: #e6edf3; }}
  .PFX .PFX-dot {{ fill: #e6edf3; }}
  .PFX .PFX-hatch {{ fill: #e6edf3; fill-opacity: 0.45; }}
  .PFX .PFX-now {{ stroke: #6cb6ff; }}
  .PFX .PFX-late {{ stroke: #ff7b72; fill: #ff7b72; }}
  .PFX .PFX-kept {{ stroke: #3fb950; fill: #3fb950; }}
}}
"""


def _fills() -> str:
    lines = []
    for name, (colour, ink) in {**STATUS_COLOURS, **_sev_colours()}.items():
        lines.append(f".PFX .PFX-s-{name} {{ fill: {colour}; }}")
        lines.append(f".PFX text.PFX-on-{name} {{ fill: {ink}; }}")
    return "\n".join(lines)


def _sev_colours() -> dict[str, tuple[str, str]]:
    return {name: (colour, "#ffffff") for name, colour in SEVERITY_COLOURS.items()}


def check_prefix(prefix: str) -> str:
    """``prefix`` if it can start ids and class names, else ValueError saying what would do."""
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(
            f"chart id prefix {prefix!r} is not usable; use a letter then up to 30 letters, "
            "digits, '-' or '_'"
        )
    return prefix


class Svg:
    """An SVG document being built: ``role="img"``, ``<title>`` and ``<desc>`` first."""

    def __init__(self, *, width: int, height: int, title: str, desc: str, prefix: str) -> None:
        self.p = check_prefix(prefix)
        self.width = width
        self.height = height
        self.root = ET.Element(
            "svg",
            {
                "xmlns": SVG_NS,
                "class": self.p,
                "role": "img",
                "aria-labelledby": f"{self.p}-title {self.p}-desc",
                "viewBox": f"0 0 {width} {height}",
                "width": str(width),
                "height": str(height),
            },
        )
        self.text_el(self.root, "title", title, id=f"{self.p}-title")
        self.text_el(self.root, "desc", desc, id=f"{self.p}-desc")
        css = _STYLE.format(fills=_fills()).replace("PFX", self.p)
        self.text_el(self.root, "style", css)
        self.rect(self.root, 0, 0, width, height, "bg")
        defs = ET.SubElement(self.root, "defs")
        pattern = ET.SubElement(
            defs,
            "pattern",
            {
                "id": f"{self.p}-hatch",
                "width": "6",
                "height": "6",
                "patternUnits": "userSpaceOnUse",
                "patternTransform": "rotate(45)",
            },
        )
        self.rect(pattern, 0, 0, 2, 6, "hatch")

    def hatched(self, parent: ET.Element, x: float, y: float, w: float, h: float) -> ET.Element:
        """A rectangle of diagonal stripes that lets what is under it show through."""
        element = self.rect(parent, x, y, w, h)
        del element.attrib["class"]
        element.set("fill", f"url(#{self.p}-hatch)")
        return element

    def cls(self, *names: str) -> str:
        return " ".join(f"{self.p}-{n}" for n in names)

    @staticmethod
    def text_el(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, tag, attrs)
        element.text = xml_safe(text)
        return element

    def group(self, parent: ET.Element, name: str, **data: str) -> ET.Element:
        attrs = {"class": self.cls(name)}
        attrs.update({f"data-{k}": xml_safe(v) for k, v in data.items()})
        return ET.SubElement(parent, "g", attrs)

    def rect(
        self, parent: ET.Element, x: float, y: float, w: float, h: float, *names: str
    ) -> ET.Element:
        return ET.SubElement(
            parent,
            "rect",
            {
                "x": _n(x),
                "y": _n(y),
                "width": _n(max(w, 0.0)),
                "height": _n(h),
                "class": self.cls(*names),
            },
        )

    def line(
        self, parent: ET.Element, x1: float, y1: float, x2: float, y2: float, *names: str
    ) -> ET.Element:
        return ET.SubElement(
            parent,
            "line",
            {"x1": _n(x1), "y1": _n(y1), "x2": _n(x2), "y2": _n(y2), "class": self.cls(*names)},
        )

    def label(
        self, parent: ET.Element, x: float, y: float, text: str, *names: str, anchor: str = "start"
    ) -> ET.Element:
        attrs = {"x": _n(x), "y": _n(y)}
        if anchor != "start":
            attrs["text-anchor"] = anchor
        if names:
            attrs["class"] = self.cls(*names)
        element = ET.SubElement(parent, "text", attrs)
        element.text = xml_safe(text)
        return element

    def tooltip(self, parent: ET.Element, text: str) -> None:
        """A ``<title>`` child: browsers show it on hover, screen readers read it."""
        self.text_el(parent, "title", text)

    def render(self) -> str:
        return ET.tostring(self.root, encoding="unicode")


def _n(value: float) -> str:
    """A coordinate, short: ``12``, ``12.5``."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# -- time axis ------------------------------------------------------------------------------

_STEPS_MIN = (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720)
_STEPS_DAYS = (1, 2, 7, 14, 28)


def time_ticks(
    start: datetime, end: datetime, zone: ZoneInfo, *, most: int = 8
) -> list[tuple[datetime, str, str | None]]:
    """Ticks on ``[start, end]`` at round wall-clock times in ``zone``: (moment, time label,
    date label or None). The step is the smallest of 1 min … 4 weeks giving at most ``most``
    ticks; the date label comes on the first tick and whenever the day changes.
    """
    span = max((end - start).total_seconds(), 60.0)
    for minutes in _STEPS_MIN:
        if span / (minutes * 60) <= most:
            return _label(_minute_ticks(start, end, zone, minutes), zone, daily=False)
    for days in _STEPS_DAYS:
        if span / (days * 86400) <= most:
            return _label(_day_ticks(start, end, zone, days), zone, daily=True)
    return _label(_day_ticks(start, end, zone, 28), zone, daily=True)


def _minute_ticks(start: datetime, end: datetime, zone: ZoneInfo, step: int) -> list[datetime]:
    first = start.astimezone(zone)
    offset = (first.hour * 60 + first.minute) // step * step
    moments: set[datetime] = set()
    current_day = first.date()
    # Wall-clock steps, so ticks stay on round local times across a DST change.
    while True:
        if offset >= 24 * 60:
            offset -= 24 * 60
            current_day += timedelta(days=1)
        # In UTC: datetimes sharing a zone compare by wall time, which a DST change repeats.
        wall = datetime.combine(current_day, time(offset // 60, offset % 60), tzinfo=zone)
        wall = wall.astimezone(UTC)
        if wall > end:
            break
        if wall >= start:
            moments.add(wall)
        offset += step
    return sorted(moments)


def _day_ticks(start: datetime, end: datetime, zone: ZoneInfo, step: int) -> list[datetime]:
    current: date = start.astimezone(zone).date()
    moments: list[datetime] = []
    while True:
        wall = datetime.combine(current, time(0), tzinfo=zone).astimezone(UTC)
        if wall > end:
            return moments
        if wall >= start:
            moments.append(wall)
        current += timedelta(days=step)


def _label(
    moments: list[datetime], zone: ZoneInfo, *, daily: bool
) -> list[tuple[datetime, str, str | None]]:
    result: list[tuple[datetime, str, str | None]] = []
    previous: date | None = None
    for moment in moments:
        local = moment.astimezone(zone)
        if daily:
            result.append((moment, day(moment, zone, year=False), None))
            continue
        hour = local.hour % 12 or 12
        suffix = "AM" if local.hour < 12 else "PM"
        text = f"{hour} {suffix}" if local.minute == 0 else f"{hour}:{local.minute:02d} {suffix}"
        shown = day(moment, zone, year=False) if local.date() != previous else None
        result.append((moment, text, shown))
        previous = local.date()
    return result
