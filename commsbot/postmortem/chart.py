"""The incident as a picture: components over time, public updates, promises against reality.

:func:`incident_chart` draws, from top to bottom: one mark per public update (``#1``, ``#2`` …,
a line down through the rows), one row per component coloured by its status over time (the
stretch before the first public update shaded), the promises (a bracket from each update to
the "next update by" it promised; a red dashed line on to the update that came late, or to now
while it is overdue), then the time axis in the team's zone and a legend. Updates published
long after the incident (the root-cause analysis, days later) sit right of an axis break.

:func:`report_charts` (in :mod:`commsbot.postmortem.report_chart`) draws the over-time report.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from commsbot.domain.model import ComponentStatus
from commsbot.postmortem.compute import compute
from commsbot.postmortem.figures import ComponentImpact, Figures, Promise, PromiseResult
from commsbot.postmortem.model import PostmortemFacts, PublishedUpdate
from commsbot.postmortem.svg import Svg, shorten, time_ticks
from commsbot.postmortem.text import clock, day, duration, when, zone_name

WIDTH = 960
LEFT = 170  # row labels
RIGHT = 24
LATER_W = 110  # the area right of the axis break
TOP = 40  # caption
MARK_LANE = 44  # update labels, up to three staggered levels
ROW_H = 26
BAR_H = 20
PROMISE_LANE = 46
AXIS_H = 40
LEGEND_H = 28
MIN_WINDOW = timedelta(minutes=10)


def incident_chart(
    facts: PostmortemFacts,
    *,
    zone: ZoneInfo,
    figures: Figures | None = None,
    prefix: str = "pmchart",
) -> str:
    """The SVG chart of one incident, as a string (UTF-8 text, no XML declaration).

    Args:
        zone: the team's time zone, for the axis and every time written.
        figures: ``compute(facts)``, when the caller already has it.
        prefix: starts every id and class name; give each chart on one page its own.
    """
    figs = figures or compute(facts)
    return _IncidentChart(facts, figs, zone, prefix).draw()


class _IncidentChart:
    def __init__(self, facts: PostmortemFacts, figs: Figures, zone: ZoneInfo, prefix: str):
        self.facts = facts
        self.figs = figs
        self.zone = zone
        self.start = facts.incident.declared_at
        self.reference = self.start.astimezone(zone).date()
        # Show promises that reach past the end, but not so far that the incident is squashed.
        limit = figs.end + max((figs.end - self.start) / 2, MIN_WINDOW)
        end = figs.end
        for promise in figs.promises:
            if promise.result is not PromiseResult.MOOT:
                end = max(end, min(promise.due_at, limit))
        end = max(end, self.start + MIN_WINDOW)
        self.end = end + (end - self.start) * 0.02
        self.inside = [u for u in facts.updates if u.published_at <= self.end]
        self.later = [u for u in facts.updates if u.published_at > self.end]
        self.plot_right = WIDTH - RIGHT - (LATER_W if self.later else 0)
        rows = max(1, len(figs.components))
        self.rows_top = TOP + MARK_LANE
        self.rows_bottom = self.rows_top + rows * ROW_H
        self.promise_top = self.rows_bottom + 6
        self.axis_y = self.promise_top + (PROMISE_LANE if figs.promises else 0) + 4
        height = self.axis_y + AXIS_H + LEGEND_H
        self.svg = Svg(
            width=WIDTH,
            height=height,
            title=f"{facts.incident.ref}: {shorten(facts.incident.title, 120)} — timeline",
            desc=self._desc(),
            prefix=prefix,
        )

    def at(self, moment: datetime | None) -> str:
        """A time as the document shows it: with its date only when not the incident's day."""
        return when(moment, self.zone, reference=self.reference)

    def x(self, moment: datetime) -> float:
        total = (self.end - self.start).total_seconds()
        share = (moment - self.start).total_seconds() / total
        return LEFT + max(0.0, min(1.0, share)) * (self.plot_right - LEFT)

    def draw(self) -> str:
        root = self.svg.root
        inc = self.facts.incident
        caption = f"{inc.ref} · {inc.severity.value} · {shorten(inc.title, 90)}"
        if self.figs.open:
            caption += " · still open (draft)"
        self.svg.label(root, 8, 22, caption, "head")
        self._grid()
        self._rows()
        self._updates()
        self._promises()
        self._axis()
        self._legend()
        return self.svg.render()

    # -- parts ---------------------------------------------------------------------------

    def _grid(self) -> None:
        svg, g = self.svg, self.svg.group(self.svg.root, "grid-lines")
        for moment, _, _ in time_ticks(self.start, self.end, self.zone):
            x = self.x(moment)
            svg.line(g, x, self.rows_top, x, self.axis_y, "grid")
        if self.figs.open:
            x = self.x(self.facts.as_of)
            svg.line(g, x, self.rows_top - 6, x, self.axis_y, "now")
            if x + 30 > WIDTH:
                svg.label(g, x - 3, self.axis_y - 4, "now", "muted", "small", anchor="end")
            else:
                svg.label(g, x + 3, self.axis_y - 4, "now", "muted", "small")

    def _rows(self) -> None:
        svg = self.svg
        if not self.figs.components:
            svg.label(svg.root, 8, self.rows_top + 17, "No component named", "muted")
        else:
            for index, impact in enumerate(self.figs.components):
                self._row(index, impact)
        # Over the rows, so that it shows whatever the page said while the public heard nothing.
        first = self.figs.first_update_at or self.figs.end
        silent = svg.hatched(
            svg.group(svg.root, "silent"),
            LEFT,
            self.rows_top,
            self.x(first) - LEFT,
            self.rows_bottom - self.rows_top,
        )
        svg.tooltip(silent, f"Before the first public update ({duration(first - self.start)})")

    def _row(self, index: int, impact: ComponentImpact) -> None:
        svg = self.svg
        top = self.rows_top + index * ROW_H + (ROW_H - BAR_H) / 2
        row = svg.group(svg.root, "row", component=impact.name)
        name = svg.label(row, 8, top + 14, shorten(impact.name, 24))
        svg.tooltip(name, impact.name)
        last = len(impact.spans) - 1
        for number, span in enumerate(impact.spans):
            # After the last recovery nothing changes: the last stretch runs to the edge.
            end = self.end if number == last and not self.figs.open else span.end
            x0, x1 = self.x(span.start), self.x(end)
            bar = svg.rect(row, x0, top, x1 - x0, BAR_H, f"s-{span.status.value}")
            svg.tooltip(
                bar,
                f"{impact.name}: {span.status.label}, {self.at(span.start)} – "
                f"{self.at(span.end)} ({duration(span.duration)})",
            )
            words = span.status.label
            if x1 - x0 > 7 * len(words) + 8 and span.status is not ComponentStatus.OPERATIONAL:
                text = svg.label(row, x0 + 5, top + 14, words, "small", f"on-{span.status.value}")
                # The bar's own title already says it; screen readers need not hear it twice.
                text.set("aria-hidden", "true")

    def _updates(self) -> None:
        svg = self.svg
        levels: list[float] = [-1e9, -1e9, -1e9]
        for u in self.inside:
            x = self.x(u.published_at)
            level = next((i for i, right in enumerate(levels) if x - right >= 26), None)
            if level is None:
                level = min(range(3), key=levels.__getitem__)
            levels[level] = x
            self._mark(u, x, TOP + 12 + level * 11)
        if not self.later:
            return
        gap = self.plot_right + 10
        g = svg.group(svg.root, "break")
        for dx in (-3.0, 3.0):
            svg.line(g, gap + dx - 3, self.axis_y + 5, gap + dx + 3, self.axis_y - 5, "axis")
        step = (LATER_W - 24) / max(1, len(self.later))
        for index, u in enumerate(self.later):
            x = gap + 20 + step * (index + 0.5)
            self._mark(u, x, TOP + 12 + (index % 3) * 11)
            svg.label(
                svg.root,
                x,
                self.axis_y + 16,
                day(u.published_at, self.zone, year=False),
                "muted",
                "small",
                anchor="middle",
            )

    def _mark(self, u: PublishedUpdate, x: float, label_y: float) -> None:
        svg = self.svg
        g = svg.group(svg.root, "update", seq=str(u.seq))
        svg.line(g, x, label_y + 4, x, self.rows_bottom, "mark")
        ET.SubElement(
            g,
            "circle",
            {"cx": f"{x:.1f}", "cy": f"{label_y + 4:.1f}", "r": "3", "class": svg.cls("dot")},
        )
        svg.label(g, x + 4, label_y, f"#{u.seq}", "small")
        kind = "Root-cause analysis" if u.postmortem else u.status.label
        tip = (
            f"Update #{u.seq} ({kind}), {self.at(u.published_at)}, "
            f"by {', '.join(u.authors)}, approved by {u.approver}"
        )
        if u.corrected_at is not None:
            tip += f"; corrected {self.at(u.corrected_at)}"
        svg.tooltip(g, tip)

    def _promises(self) -> None:
        svg = self.svg
        if not self.figs.promises:
            return
        svg.label(svg.root, 8, self.promise_top + 20, "Next update promised", "muted")
        for index, promise in enumerate(self.figs.promises):
            if promise.result is PromiseResult.MOOT:
                continue
            y = self.promise_top + 12 + (index % 2) * 18
            g = svg.group(svg.root, "promise", seq=str(promise.seq), result=promise.result.value)
            x0, x1 = self.x(promise.made_at), self.x(promise.due_at)
            kept = promise.result is PromiseResult.KEPT
            names = ("promise", "kept") if kept else ("promise",)
            svg.line(g, x0, y, x1, y, *names)
            svg.line(g, x1, y - 5, x1, y + 5, *names)
            svg.line(g, x0, y - 3, x0, y + 3, *names)
            if promise.result in (PromiseResult.LATE, PromiseResult.OVERDUE):
                late_to = promise.next_at or self.facts.as_of
                svg.line(g, x1, y, self.x(late_to), y, "late")
                words = f"+{duration(promise.late_by)}"
                if promise.result is PromiseResult.OVERDUE:
                    words += " so far"
                tip = self.x(late_to)
                if tip + 4 + 6.5 * len(words) > WIDTH - 4:
                    svg.label(g, tip - 4, y - 4, words, "late", "small", anchor="end")
                else:
                    svg.label(g, tip + 4, y + 4, words, "late", "small")
            svg.tooltip(g, self._promise_words(promise))

    def _promise_words(self, p: Promise) -> str:
        said = f"Update #{p.seq} promised the next update by {self.at(p.due_at)}"
        if p.result is PromiseResult.KEPT:
            return f"{said}; #{p.next_seq} came at {self.at(p.next_at)}: kept"
        if p.result is PromiseResult.LATE:
            return f"{said}; #{p.next_seq} came at {self.at(p.next_at)}: {duration(p.late_by)} late"
        if p.result is PromiseResult.OVERDUE:
            return f"{said}; none yet: {duration(p.late_by)} overdue"
        return f"{said}; not due yet"

    def _axis(self) -> None:
        svg = self.svg
        g = svg.group(svg.root, "axis")
        svg.line(g, LEFT, self.axis_y, self.plot_right, self.axis_y, "axis")
        for moment, text, date_text in time_ticks(self.start, self.end, self.zone):
            x = self.x(moment)
            svg.line(g, x, self.axis_y, x, self.axis_y + 4, "axis")
            svg.label(g, x, self.axis_y + 16, text, "small", anchor="middle")
            if date_text:
                svg.label(g, x, self.axis_y + 29, date_text, "muted", "small", anchor="middle")
        zone = zone_name(self.zone, self.start)
        svg.label(g, 8, self.axis_y + 16, zone, "muted", "small")

    def _legend(self) -> None:
        svg = self.svg
        g = svg.group(svg.root, "legend")
        y = self.axis_y + AXIS_H + 4
        x = 8.0
        for status in ComponentStatus:
            svg.rect(g, x, y, 12, 12, f"s-{status.value}")
            svg.label(g, x + 16, y + 10, status.label, "small")
            x += 24 + 6.2 * len(status.label)
        svg.hatched(g, x, y, 12, 12)
        svg.label(g, x + 16, y + 10, "before the first public update", "small")

    def _desc(self) -> str:
        figs, zone, ref = self.figs, self.zone, self.reference
        inc = self.facts.incident
        parts = [
            f"Declared {when(inc.declared_at, zone)}"
            + (
                f", still open as of {when(self.facts.as_of, zone, reference=ref)}."
                if figs.open
                else f", recovered {when(figs.recovered_at, zone, reference=ref)} "
                f"({duration(figs.duration)})."
            )
        ]
        for impact in figs.components:
            stretches = "; ".join(
                f"{s.status.label.lower()} {clock(s.start, zone)}–{clock(s.end, zone)}"
                for s in impact.spans
                if s.status is not ComponentStatus.OPERATIONAL
            )
            parts.append(f"{impact.name}: {stretches or 'operational throughout'}.")
        if self.facts.updates:
            listing = ", ".join(
                f"#{u.seq} {clock(u.published_at, zone)}" for u in self.facts.updates
            )
            parts.append(f"{len(self.facts.updates)} public updates: {listing}.")
        else:
            parts.append("No public update.")
        if figs.promises_judged:
            parts.append(f"Promises kept: {figs.promises_kept} of {figs.promises_judged}.")
        return " ".join(parts)
