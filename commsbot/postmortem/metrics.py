"""The comms figures as Prometheus wants them: histograms and counters, by severity only.

Pure: :func:`comms_metrics` folds every incident's :class:`~commsbot.postmortem.figures.Figures`
into fixed buckets, so what ``/metrics`` exposes has a bounded number of series (four
severities) however many incidents there are. The definitions are figures.py's:

- ``time_to_first_update``: one observation per incident with a public update.
- ``approval_latency``: one per published update but the RCAs (drafted → approved).
- ``update_lateness``: one per judged promise (kept, late, or overdue while open): 0 when
  kept, else how late (so far, for an overdue one).
- ``time_to_recover``: one per recovered incident (declared → last recovery).
- ``promises_kept`` / ``promises_broken``: judged promises kept, and late or overdue.
- ``rca_on_time`` / ``rca_late``: RCAs published by their due date, and published after it
  or still unpublished past it.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from commsbot.domain.model import Severity
from commsbot.postmortem.compute import compute
from commsbot.postmortem.figures import PromiseResult, RcaResult
from commsbot.postmortem.model import PostmortemFacts

MINUTE = 60.0
HOUR = 3600.0
#: Upper bounds (seconds) of each histogram's buckets; ``+Inf`` is implied.
FIRST_UPDATE_BUCKETS = (
    MINUTE,
    2 * MINUTE,
    5 * MINUTE,
    10 * MINUTE,
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
    2 * HOUR,
)
APPROVAL_BUCKETS = (
    30.0,
    MINUTE,
    2 * MINUTE,
    5 * MINUTE,
    10 * MINUTE,
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
)
LATENESS_BUCKETS = (0.0, MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR)
RECOVER_BUCKETS = (
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
    2 * HOUR,
    4 * HOUR,
    8 * HOUR,
    24 * HOUR,
    72 * HOUR,
)


@dataclass
class Histogram:
    """Observations counted into fixed buckets (``le`` upper bounds, inclusive)."""

    bounds: tuple[float, ...]
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        if not self.counts:
            self.counts = [0] * len(self.bounds)

    def observe(self, value: timedelta) -> None:
        seconds = value.total_seconds()
        index = bisect.bisect_left(self.bounds, seconds)
        if index < len(self.bounds):
            self.counts[index] += 1
        self.total += seconds
        self.count += 1

    def cumulative(self) -> list[tuple[float, int]]:
        """``(upper bound, observations at or below it)`` for every bound, then ``+Inf``."""
        running = 0
        result = []
        for bound, count in zip(self.bounds, self.counts, strict=True):
            running += count
            result.append((bound, running))
        result.append((float("inf"), self.count))
        return result


@dataclass
class SeverityFigures:
    """One severity's histograms and counters."""

    time_to_first_update: Histogram = field(default_factory=lambda: Histogram(FIRST_UPDATE_BUCKETS))
    approval_latency: Histogram = field(default_factory=lambda: Histogram(APPROVAL_BUCKETS))
    update_lateness: Histogram = field(default_factory=lambda: Histogram(LATENESS_BUCKETS))
    time_to_recover: Histogram = field(default_factory=lambda: Histogram(RECOVER_BUCKETS))
    incidents: int = 0
    promises_kept: int = 0
    promises_broken: int = 0
    rca_on_time: int = 0
    rca_late: int = 0


@dataclass
class CommsMetrics:
    """Every severity's figures (all four, even those with no incident), and how many
    incidents they were computed from."""

    by_severity: dict[Severity, SeverityFigures] = field(
        default_factory=lambda: {s: SeverityFigures() for s in Severity}
    )

    @property
    def incidents(self) -> int:
        return sum(f.incidents for f in self.by_severity.values())


def comms_metrics(incidents: Iterable[PostmortemFacts]) -> CommsMetrics:
    """Fold every incident's figures into per-severity histograms and counters."""
    result = CommsMetrics()
    for facts in incidents:
        figs = compute(facts)
        into = result.by_severity[facts.incident.severity]
        into.incidents += 1
        if figs.time_to_first_update is not None:
            into.time_to_first_update.observe(figs.time_to_first_update)
        for latency in figs.update_approvals:
            into.approval_latency.observe(latency)
        for promise in figs.promises:
            if not promise.result.judged:
                continue
            into.update_lateness.observe(promise.late_by or timedelta(0))
            if promise.result is PromiseResult.KEPT:
                into.promises_kept += 1
            else:
                into.promises_broken += 1
        if figs.mttr is not None:
            into.time_to_recover.observe(figs.mttr)
        if figs.rca.result is RcaResult.ON_TIME:
            into.rca_on_time += 1
        elif figs.rca.result in (RcaResult.LATE, RcaResult.OVERDUE):
            into.rca_late += 1
    return result
