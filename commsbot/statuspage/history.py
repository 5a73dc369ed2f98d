"""Ninety days of history per component: the worst status each component had on each day.

Computed from published updates alone: a component's status changes only when an update that
changes it is published, so its status at any moment follows from the changes before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from commsbot.domain.model import Component, ComponentStatus, Update

#: Least to worst, for "the worst status of the day". Maintenance is planned, so it ranks low.
_SEVERITY_ORDER = (
    ComponentStatus.OPERATIONAL,
    ComponentStatus.UNDER_MAINTENANCE,
    ComponentStatus.DEGRADED_PERFORMANCE,
    ComponentStatus.PARTIAL_OUTAGE,
    ComponentStatus.MAJOR_OUTAGE,
)


def worst(statuses: Iterable[ComponentStatus]) -> ComponentStatus:
    """The worst of ``statuses`` (operational when there are none)."""
    return max(statuses, key=_SEVERITY_ORDER.index, default=ComponentStatus.OPERATIONAL)


@dataclass(frozen=True)
class Day:
    """One bar: a day in the page's time zone and the worst status seen on it."""

    day: date
    status: ComponentStatus


def component_days(
    component: Component,
    history: Sequence[Update],
    *,
    today: date,
    zone: ZoneInfo,
    days: int,
) -> list[Day]:
    """The last ``days`` days of ``component``, oldest first, ending with ``today``.

    Args:
        history: every update published in the window, oldest first (others are ignored).
    """
    first_day = today - timedelta(days=days - 1)
    moves = [
        (update.published_at.astimezone(zone).date(), change.old, change.new)
        for update in history
        for change in update.changes
        if change.name == component.name
        and update.published_at.astimezone(zone).date() >= first_day
    ]
    # The status at the start of the window: what the first change in it moved away from.
    current = moves[0][1] if moves else component.status
    result = []
    index = 0
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        seen = [current]
        while index < len(moves) and moves[index][0] <= day:
            current = moves[index][2]
            seen.append(current)
            index += 1
        result.append(Day(day=day, status=worst(seen)))
    return result


def group_days(children: Sequence[Sequence[Day]]) -> list[Day]:
    """A group's bars: for each day, the worst of its components."""
    if not children:
        return []
    return [
        Day(day=column[0].day, status=worst(d.status for d in column))
        for column in zip(*children, strict=True)
    ]
