"""The team's communication over time: every incident's figures, by severity and by month.

Pure: :func:`build_report` takes the incidents' facts (the caller chose which: ``--since 90d``)
and aggregates what :func:`~commsbot.postmortem.figures.compute` gives for each.

Choices, made once here:

- A **month** is a calendar month in the team's time zone, by declaration time: an incident
  declared on the evening of 30 November in California is November's, as the team lived it.
  Every month from the first incident's to the last one's is listed, empty ones too, so that
  the charts show a quiet month as a gap, not as nothing.
- **Medians and p90s** use linear interpolation between closest ranks (numpy's default); a
  single value is its own median and p90.
- **Time to first public update** counts incidents with a public update; the others are
  counted in ``without_public_update``. **MTTR** counts recovered incidents only.
- **Approval latency** is over every update but the RCAs (see figures.py), pooled across the
  group's incidents. **Promise adherence** pools the judged promises (kept, late, overdue) of
  the group; ``lateness`` is over the late and overdue ones. **RCA on time** is over incidents
  whose RCA was judged (published with a due date, or overdue).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from commsbot.domain.errors import InvalidInput
from commsbot.domain.model import Severity
from commsbot.postmortem.compute import compute
from commsbot.postmortem.figures import RcaResult
from commsbot.postmortem.model import PostmortemFacts

#: ``90d``, ``12w``, ``48h``: a span back from now.
_SPAN = re.compile(r"([1-9][0-9]{0,4})([hdw])", re.ASCII)
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
MAX_SPAN = timedelta(days=36_600)
SINCE_HELP = (
    "a span back from now (90d, 12w, 48h), a local date (2024-10-01), an ISO 8601 time with "
    "its offset, or all"
)


def parse_since(text: str, *, now: datetime, zone: ZoneInfo) -> datetime | None:
    """When a report starts: ``90d``, ``12w``, ``48h`` back from ``now``; a date (``2024-10-01``,
    its midnight in ``zone``); an ISO 8601 time (local when it has no offset); or ``all`` (None).

    Raises:
        InvalidInput: none of those, a span over 100 years, or a time after ``now``; the
            refusal names the field ``since``.
    """
    raw = text.strip().lower()
    if raw == "all":
        return None
    span = _SPAN.fullmatch(raw)
    if span:
        back = int(span.group(1)) * _UNITS[span.group(2)]
        if back > MAX_SPAN:
            raise InvalidInput(
                f"since {text.strip()!r} is over 100 years; {SINCE_HELP}", field="since"
            )
        return now - back
    try:
        if len(raw) == 10:
            start = datetime.combine(date.fromisoformat(raw), time(), tzinfo=zone)
        else:
            start = datetime.fromisoformat(text.strip().upper())
            if start.tzinfo is None:
                start = start.replace(tzinfo=zone)
    except ValueError:
        raise InvalidInput(
            f"since {text.strip()!r} is not a time; use {SINCE_HELP}", field="since"
        ) from None
    start = start.astimezone(UTC)
    if start > now:
        raise InvalidInput(
            f"since {text.strip()!r} is in the future; give a time before now", field="since"
        )
    return start


@dataclass(frozen=True)
class Distribution:
    """How a duration spread over a group: count, median and 90th percentile."""

    count: int
    median: timedelta | None
    p90: timedelta | None

    @classmethod
    def of(cls, values: Sequence[timedelta]) -> Distribution:
        if not values:
            return cls(0, None, None)
        secs = sorted(v.total_seconds() for v in values)
        if len(secs) == 1:
            return cls(1, values[0], values[0])
        p90 = statistics.quantiles(secs, n=10, method="inclusive")[-1]
        return cls(len(secs), timedelta(seconds=statistics.median(secs)), timedelta(seconds=p90))


@dataclass(frozen=True)
class Group:
    """The figures of a group of incidents (all, one severity, one month, or both).

    Attributes:
        month: ``YYYY-MM`` in the team's zone, or None (all months).
        severity: or None (all severities).
        open: incidents not recovered (yet).
        without_public_update: incidents nothing was published for.
        deliveries, dead_deliveries: every delivery of the group's updates, and those dead.
    """

    month: str | None
    severity: Severity | None
    incidents: int
    open: int
    without_public_update: int
    reopened: int
    time_to_first_update: Distribution
    approval_latency: Distribution
    promises_judged: int
    promises_kept: int
    lateness: Distribution
    mttr: Distribution
    rca_judged: int
    rca_on_time: int
    deliveries: int
    dead_deliveries: int

    @property
    def label(self) -> str:
        parts = [self.month or "", self.severity.value if self.severity else ""]
        return " ".join(p for p in parts if p) or "all"

    @property
    def adherence(self) -> float | None:
        """Share of judged promises kept, or None when none was judged."""
        return self.promises_kept / self.promises_judged if self.promises_judged else None

    @property
    def rca_on_time_rate(self) -> float | None:
        return self.rca_on_time / self.rca_judged if self.rca_judged else None


@dataclass(frozen=True)
class Report:
    """Every group, ready to print or chart.

    Attributes:
        zone: the time zone months are counted in.
        first_declared, last_declared: the range the incidents span (None when empty).
        by_severity: sev1 … sev4, each listed even when it had no incident.
        by_month: every month from the first to the last, oldest first.
        by_month_severity: (month, severity) pairs that had incidents, by month then severity.
    """

    zone: str
    first_declared: datetime | None
    last_declared: datetime | None
    total: Group
    by_severity: tuple[Group, ...]
    by_month: tuple[Group, ...]
    by_month_severity: tuple[Group, ...]


@dataclass(frozen=True)
class _Item:
    """One incident's figures, reduced once to what the groups add up (each incident counts in
    four groups: all, its severity, its month, both)."""

    month: str
    severity: Severity
    first: timedelta | None
    approvals: tuple[timedelta, ...]
    judged: int
    kept: int
    lateness: tuple[timedelta, ...]
    mttr: timedelta | None
    reopened: bool
    rca: RcaResult
    deliveries: int
    dead: int

    @classmethod
    def of(cls, facts: PostmortemFacts, zone: ZoneInfo) -> _Item:
        local = facts.incident.declared_at.astimezone(zone)
        figs = compute(facts)
        return cls(
            month=f"{local.year:04d}-{local.month:02d}",
            severity=facts.incident.severity,
            first=figs.time_to_first_update,
            approvals=figs.update_approvals,
            judged=figs.promises_judged,
            kept=figs.promises_kept,
            lateness=figs.lateness,
            mttr=figs.mttr,
            reopened=figs.reopened > 0,
            rca=figs.rca.result,
            deliveries=len(facts.deliveries),
            dead=sum(1 for d in facts.deliveries if d.dead),
        )


def build_report(incidents: Iterable[PostmortemFacts], *, zone: ZoneInfo) -> Report:
    """Aggregate the figures of ``incidents`` by severity, by month, and by both."""
    items: list[_Item] = []
    declared: list[datetime] = []
    for facts in incidents:
        declared.append(facts.incident.declared_at)
        items.append(_Item.of(facts, zone))
    months = _months(sorted({i.month for i in items}))
    by_month: dict[str, list[_Item]] = {m: [] for m in months}
    by_pair: dict[tuple[str, Severity], list[_Item]] = {}
    by_sev: dict[Severity, list[_Item]] = {s: [] for s in Severity}
    for item in items:
        by_month[item.month].append(item)
        by_sev[item.severity].append(item)
        by_pair.setdefault((item.month, item.severity), []).append(item)
    order = list(Severity)
    return Report(
        zone=zone.key,
        first_declared=min(declared, default=None),
        last_declared=max(declared, default=None),
        total=_group(items, None, None),
        by_severity=tuple(_group(by_sev[s], None, s) for s in Severity),
        by_month=tuple(_group(by_month[m], m, None) for m in months),
        by_month_severity=tuple(
            _group(by_pair[key], *key)
            for key in sorted(by_pair, key=lambda k: (k[0], order.index(k[1])))
        ),
    )


def _months(present: list[str]) -> list[str]:
    if not present:
        return []
    year, month = (int(p) for p in present[0].split("-"))
    last = present[-1]
    result = []
    while True:
        label = f"{year:04d}-{month:02d}"
        result.append(label)
        if label >= last:
            return result
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _group(items: list[_Item], month: str | None, severity: Severity | None) -> Group:
    first: list[timedelta] = []
    approvals: list[timedelta] = []
    lateness: list[timedelta] = []
    mttr: list[timedelta] = []
    judged = kept = rca_judged = rca_on_time = dead = deliveries = 0
    opened = silent = reopened = 0
    for item in items:
        if item.first is None:
            silent += 1
        else:
            first.append(item.first)
        approvals.extend(item.approvals)
        judged += item.judged
        kept += item.kept
        lateness.extend(item.lateness)
        if item.mttr is None:
            opened += 1
        else:
            mttr.append(item.mttr)
        reopened += item.reopened
        if item.rca.judged:
            rca_judged += 1
            rca_on_time += item.rca is RcaResult.ON_TIME
        deliveries += item.deliveries
        dead += item.dead
    return Group(
        month=month,
        severity=severity,
        incidents=len(items),
        open=opened,
        without_public_update=silent,
        reopened=reopened,
        time_to_first_update=Distribution.of(first),
        approval_latency=Distribution.of(approvals),
        promises_judged=judged,
        promises_kept=kept,
        lateness=Distribution.of(lateness),
        mttr=Distribution.of(mttr),
        rca_judged=rca_judged,
        rca_on_time=rca_on_time,
        deliveries=deliveries,
        dead_deliveries=dead,
    )
