"""Ninety days of bars and an uptime percentage per component, as Statuspage shows them.

Pure: the caller passes a component's status changes (from published updates), the windows
maintenances held it, when it was first listed, and ``now``.

- A day shows the worst status the component *showed* on it: an incident's status, lifted to
  ``under_maintenance`` while a maintenance was active on an otherwise operational component
  (:func:`commsbot.domain.maintenance.shown_status`). So a maintenance day is blue, and a day
  an incident hit during a maintenance shows the incident.
- Days before the component existed have no data (a grey bar, "No data"), not a green one.
- Uptime is Statuspage's: the share of the time the component existed in the 90 days that it
  was not down, where a major outage counts in full, a partial outage for 30 % of its time, and
  degraded performance and maintenance not at all.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from commsbot.domain.maintenance import COMPONENT_ORDER, shown_status
from commsbot.domain.model import ComponentStatus

#: How much of a partial outage's time counts as downtime (Statuspage's weighting).
PARTIAL_WEIGHT = 0.3


@dataclass(frozen=True)
class Change:
    """A published move of one component's status."""

    at: datetime
    old: ComponentStatus
    new: ComponentStatus


@dataclass(frozen=True)
class Span:
    """A maintenance's active time on a component; ``end`` None: still active."""

    start: datetime
    end: datetime | None


@dataclass(frozen=True)
class DayBar:
    """One bar. ``status`` None: the component did not exist yet (no data).

    ``down_minutes``: weighted downtime that day (major in full, partial at 30 %).
    """

    day: date
    status: ComponentStatus | None
    down_minutes: float = 0.0
    counted_minutes: float = 0.0


@dataclass(frozen=True)
class History:
    """A component's (or a group's) bars, oldest first, and its uptime over them."""

    days: tuple[DayBar, ...]

    @property
    def uptime(self) -> float | None:
        """Percent of the counted time not down, or None when no day has data."""
        counted = sum(d.counted_minutes for d in self.days)
        if counted <= 0:
            return None
        down = sum(d.down_minutes for d in self.days)
        return max(0.0, 100.0 * (1 - down / counted))


def uptime_label(percent: float | None) -> str:
    """``99.95 % uptime``, never rounded up to a perfect 100 (two decimals, cut, not rounded)."""
    if percent is None:
        return "No data"
    cut = int(percent * 100) / 100
    return f"{cut:.2f} % uptime"


def worst(statuses: Iterable[ComponentStatus]) -> ComponentStatus:
    """The worst of ``statuses`` (operational when there are none)."""
    return max(statuses, key=COMPONENT_ORDER.index, default=ComponentStatus.OPERATIONAL)


def component_history(
    *,
    current: ComponentStatus,
    changes: Sequence[Change],
    maintenance: Sequence[Span],
    since: datetime | None,
    now: datetime,
    zone: ZoneInfo,
    days: int,
) -> History:
    """The last ``days`` days up to today (in ``zone``), oldest first.

    Args:
        current: the component's status as incidents left it now (before any maintenance).
        changes: its published status changes, oldest first (those before the window only set
            where it started; the status before the first change is that change's ``old``).
        maintenance: when maintenances were active on it.
        since: when it was first listed (None: before the window).
    """
    today = now.astimezone(zone).date()
    first_day = today - timedelta(days=days - 1)
    window_start = _midnight(first_day, zone)
    before = [c for c in changes if c.at < window_start]
    inside = [c for c in changes if window_start <= c.at <= now]
    if before:
        status = before[-1].new
    elif inside:
        status = inside[0].old
    else:
        status = current
    # Incident-driven status as steps: (from, status), in time order.
    steps: list[tuple[datetime, ComponentStatus]] = [(window_start, status)]
    steps += [(c.at, c.new) for c in inside]
    spans = [(s.start, s.end or now) for s in maintenance]
    existed = max(window_start, since) if since is not None else window_start
    bars = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        start = max(_midnight(day, zone), existed)
        end = min(_midnight(day + timedelta(days=1), zone), now)
        if start >= end:
            bars.append(DayBar(day=day, status=None))
            continue
        bars.append(_day(day, start, end, steps, spans))
    return History(days=tuple(bars))


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    # Local midnight, as UTC: subtracting two times that share a ZoneInfo ignores their
    # offsets, and a day across a DST change lasts 23 or 25 hours.
    return datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC)


def _day(
    day: date,
    start: datetime,
    end: datetime,
    steps: Sequence[tuple[datetime, ComponentStatus]],
    spans: Sequence[tuple[datetime, datetime]],
) -> DayBar:
    cuts = {start, end}
    cuts.update(at for at, _ in steps if start < at < end)
    for s, e in spans:
        cuts.update(t for t in (s, e) if start < t < end)
    ordered = sorted(cuts)
    seen: list[ComponentStatus] = []
    down = 0.0
    for lo, hi in itertools.pairwise(ordered):
        status = _status_at(lo, steps)
        under = any(s <= lo < e for s, e in spans)
        shown = shown_status(status, under_maintenance=under)
        seen.append(shown)
        minutes = (hi - lo).total_seconds() / 60
        if shown is ComponentStatus.MAJOR_OUTAGE:
            down += minutes
        elif shown is ComponentStatus.PARTIAL_OUTAGE:
            down += PARTIAL_WEIGHT * minutes
    counted = (end - start).total_seconds() / 60
    return DayBar(day=day, status=worst(seen), down_minutes=down, counted_minutes=counted)


def _status_at(
    moment: datetime, steps: Sequence[tuple[datetime, ComponentStatus]]
) -> ComponentStatus:
    status = steps[0][1]
    for at, new in steps:
        if at <= moment:
            status = new
        else:
            break
    return status


def group_history(children: Sequence[History]) -> History:
    """A group's bars: each day the worst of its components that existed; its uptime counts
    every component's time and downtime together."""
    if not children:
        return History(days=())
    days = []
    for column in zip(*(c.days for c in children), strict=True):
        present = [d.status for d in column if d.status is not None]
        days.append(
            DayBar(
                day=column[0].day,
                status=worst(present) if present else None,
                down_minutes=sum(d.down_minutes for d in column),
                counted_minutes=sum(d.counted_minutes for d in column),
            )
        )
    return History(days=tuple(days))
