"""The over-time report's charts: one bar chart per question, by month.

- time to first public update: the median per month (bar) and the p90 (a tick above it);
- promise adherence: the share of promises kept per month, with "kept/judged" under each bar;
- MTTR by severity: the median time to recover per month, one bar per severity.

Same SVG conventions as the incident chart (see :mod:`commsbot.postmortem.svg`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from commsbot.domain.model import Severity
from commsbot.postmortem.report import Group, Report
from commsbot.postmortem.svg import Svg
from commsbot.postmortem.text import duration

WIDTH = 720
LEFT = 64
RIGHT = 16
TOP = 36
PLOT_H = 180
BOTTOM = 56
_DURATION_STEPS = (
    60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800,
)  # fmt: skip


@dataclass(frozen=True)
class ReportCharts:
    """Three SVG documents (strings), each with its own id prefix."""

    time_to_first_update: str
    promise_adherence: str
    mttr_by_severity: str


@dataclass(frozen=True)
class _Series:
    name: str
    colour: str  # a class suffix: s-<status> or s-<severity>
    values: tuple[float | None, ...]
    markers: tuple[float | None, ...] = ()


def report_charts(report: Report, *, prefix: str = "pmrep") -> ReportCharts:
    """The report's three charts."""
    months = [g.month or "" for g in report.by_month]
    first = _Series(
        "median",
        "s-major_outage",
        tuple(_secs(g.time_to_first_update.median) for g in report.by_month),
        tuple(_secs(g.time_to_first_update.p90) for g in report.by_month),
    )
    adherence = _Series(
        "kept",
        "s-operational",
        tuple(None if g.adherence is None else 100 * g.adherence for g in report.by_month),
    )
    pairs = {(g.month, g.severity): g for g in report.by_month_severity}
    mttr = [
        _Series(
            sev.value,
            f"s-{sev.value}",
            tuple(_secs(_mttr(pairs.get((m, sev)))) for m in months),
        )
        for sev in Severity
    ]
    return ReportCharts(
        time_to_first_update=_bars(
            title="Time to first public update, by month (bar: median; line: 90th percentile)",
            desc=_desc_durations(months, first, "median time to first public update"),
            months=months,
            series=[first],
            percent=False,
            prefix=f"{prefix}-first",
            notes=[f"{g.time_to_first_update.count}" for g in report.by_month],
            note_label="incidents with an update",
        ),
        promise_adherence=_bars(
            title="Promise adherence (next update by), by month",
            desc=_desc_adherence(report.by_month),
            months=months,
            series=[adherence],
            percent=True,
            prefix=f"{prefix}-promise",
            notes=[f"{g.promises_kept}/{g.promises_judged}" for g in report.by_month],
            note_label="kept/judged",
        ),
        mttr_by_severity=_bars(
            title="Median time to recover by severity, by month",
            desc="; ".join(_desc_durations(months, s, f"{s.name} median MTTR") for s in mttr),
            months=months,
            series=mttr,
            percent=False,
            prefix=f"{prefix}-mttr",
            notes=[f"{g.mttr.count}" for g in report.by_month],
            note_label="recovered",
        ),
    )


def _secs(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def _mttr(group: Group | None) -> timedelta | None:
    return group.mttr.median if group else None


def _desc_durations(months: list[str], series: _Series, what: str) -> str:
    if not months:
        return f"No incident: no {what}."
    parts = [
        f"{m}: {duration(None if v is None else timedelta(seconds=v))}"
        for m, v in zip(months, series.values, strict=True)
    ]
    return f"{what.capitalize()} — " + ", ".join(parts)


def _desc_adherence(groups: tuple[Group, ...]) -> str:
    if not groups:
        return "No incident: no promise to judge."
    parts = [
        f"{g.month}: {g.promises_kept} of {g.promises_judged} kept"
        if g.promises_judged
        else f"{g.month}: none judged"
        for g in groups
    ]
    return "Promises kept per month — " + ", ".join(parts)


def _nice_max(top: float, percent: bool) -> tuple[float, float]:
    """The axis maximum and step."""
    if percent:
        return 100.0, 25.0
    steps = [float(s) for s in _DURATION_STEPS]
    step = next((s for s in steps if top <= s * 5), steps[-1])
    return max(step, step * math.ceil(top / step)), step


def _bars(
    *,
    title: str,
    desc: str,
    months: list[str],
    series: list[_Series],
    percent: bool,
    prefix: str,
    notes: list[str],
    note_label: str,
) -> str:
    legend = len(series) > 1
    height = TOP + PLOT_H + BOTTOM + (22 if legend else 0)
    svg = Svg(width=WIDTH, height=height, title=title, desc=desc, prefix=prefix)
    root = svg.root
    svg.label(root, 8, 20, title, "head")
    values = [v for s in series for v in (*s.values, *s.markers) if v is not None]
    top_value, step = _nice_max(max(values, default=0.0), percent)
    base = TOP + PLOT_H
    plot_w = WIDTH - LEFT - RIGHT

    def y(value: float) -> float:
        return base - PLOT_H * min(value, top_value) / top_value

    grid = svg.group(root, "grid-lines")
    tick = 0.0
    while tick <= top_value + 1e-9:
        svg.line(grid, LEFT, y(tick), WIDTH - RIGHT, y(tick), "grid")
        text = f"{tick:.0f}%" if percent else duration(timedelta(seconds=tick))
        svg.label(grid, LEFT - 6, y(tick) + 4, text, "muted", "small", anchor="end")
        tick += step
    if not months:
        svg.label(root, LEFT + 8, base - PLOT_H / 2, "No incident in this period", "muted")
        return svg.render()
    slot = plot_w / len(months)
    bar_w = max(2.0, min(40.0, slot * 0.8 / len(series)))
    for index, month in enumerate(months):
        left = LEFT + slot * index + (slot - bar_w * len(series)) / 2
        for number, s in enumerate(series):
            value = s.values[index]
            g = svg.group(root, "bar", month=month, series=s.name)
            x = left + number * bar_w
            if value is None:
                svg.label(g, x + bar_w / 2, base - 4, "–", "muted", "small", anchor="middle")
                svg.tooltip(g, f"{month}, {s.name}: no data")
                continue
            svg.rect(g, x, y(value), bar_w - 1, base - y(value), s.colour)
            shown = f"{value:.0f}%" if percent else duration(timedelta(seconds=value))
            tip = f"{month}, {s.name}: {shown}"
            marker = s.markers[index] if s.markers else None
            if marker is not None:
                svg.line(g, x - 2, y(marker), x + bar_w + 1, y(marker), "mark")
                tip += f" (p90 {duration(timedelta(seconds=marker))})"
            svg.tooltip(g, tip)
        centre = LEFT + slot * (index + 0.5)
        # Past a year of months, label every few so that the labels do not overlap.
        if len(months) <= 12 or index % -(-len(months) // 12) == 0:
            svg.label(root, centre, base + 16, month, "small", anchor="middle")
            svg.label(root, centre, base + 30, notes[index], "muted", "small", anchor="middle")
    svg.label(root, LEFT, base + 46, f"Under each month: {note_label}", "muted", "small")
    svg.line(root, LEFT, base, WIDTH - RIGHT, base, "axis")
    if legend:
        g = svg.group(root, "legend")
        x = float(LEFT)
        for s in series:
            svg.rect(g, x, base + 56, 12, 12, s.colour)
            svg.label(g, x + 16, base + 66, s.name, "small")
            x += 70
    return svg.render()
