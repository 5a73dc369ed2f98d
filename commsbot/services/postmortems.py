"""Reading postmortems: one incident's facts, every incident's since a time, their sums.

Each use case reads in one read-only unit of work (a consistent snapshot, beside writers) through
the :class:`~commsbot.postmortem.ports.PostmortemReader` port; everything computed from the
facts is pure (:mod:`commsbot.postmortem`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from commsbot.domain.model import Incident
from commsbot.domain.when import iso
from commsbot.postmortem.data import report_to_json
from commsbot.postmortem.metrics import CommsMetrics, comms_metrics
from commsbot.postmortem.model import IncidentFacts, PostmortemFacts
from commsbot.postmortem.report import Report, build_report, parse_since
from commsbot.services.deps import Deps
from commsbot.services.ports import UnitOfWork

#: Incidents read per batch by the bulk reads: a few queries each, memory bounded.
BATCH = 500


def load_postmortem(deps: Deps, *, incident_ref: str) -> PostmortemFacts:
    """Everything one incident's postmortem is written from, as of now.

    An open incident gives its facts so far (its document is a draft, its figures run to now).

    Raises:
        NotFound: no such incident (the message says how to name one).
    """
    as_of = deps.clock.now()
    with deps.read() as uow:
        incident = uow.incidents.get(incident_ref)
        [facts] = _facts(uow, [incident], as_of=as_of, timeline=True)
    return facts


def iter_postmortems(
    deps: Deps, *, since: datetime | None, batch: int = BATCH, timeline: bool = False
) -> Iterator[PostmortemFacts]:
    """Every incident declared at or after ``since`` (all when None), oldest number first.

    Streamed: one read-only unit of work stays open while the caller iterates, and incidents
    are read ``batch`` at a time (six queries per batch), so a thousand incidents cost a few
    dozen queries and memory for one batch. Close the iterator (or exhaust it) to end the
    unit of work.

    Args:
        timeline: also read each incident's timeline (only the documents show its notes;
            the figures never need it).
    """
    as_of = deps.clock.now()
    with deps.read() as uow:
        after = 0
        while True:
            page = uow.postmortems.declared(since=since, after_number=after, limit=batch)
            if not page:
                return
            yield from _facts(uow, page, as_of=as_of, timeline=timeline)
            if len(page) < batch:
                return
            after = page[-1].number


@dataclass(frozen=True)
class TeamReport:
    """The report, and the start it was asked for (None: every incident)."""

    since: datetime | None
    report: Report

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` and API shape: ``{"since", "zone", "total", "by_severity", …}``."""
        return {"since": iso(self.since), **report_to_json(self.report)}


def team_report(deps: Deps, *, since: str = "90d") -> TeamReport:
    """The team's figures over the incidents declared since ``since`` (``90d``, ``12w``, a
    date, an ISO time or ``all``), by severity and by month in the configured zone.

    Raises:
        InvalidInput: ``since`` is not one of those (field ``since``).
    """
    zone = deps.settings.zone
    start = parse_since(since, now=deps.clock.now(), zone=zone)
    return TeamReport(start, build_report(iter_postmortems(deps, since=start), zone=zone))


def team_metrics(deps: Deps) -> CommsMetrics:
    """Every incident's comms figures, by severity, for ``/metrics``."""
    return comms_metrics(iter_postmortems(deps, since=None))


def incident_facts(incident: Incident) -> IncidentFacts:
    """The postmortem's view of an incident: its own title (the document is internal)."""
    return IncidentFacts(
        id=incident.id,
        ref=incident.ref,
        title=incident.title,
        severity=incident.severity,
        status=incident.status,
        commander=incident.commander,
        declared_at=incident.declared_at,
        resolved_at=incident.resolved_at,
        components=tuple(incident.components),
    )


def _facts(
    uow: UnitOfWork, incidents: Sequence[Incident], *, as_of: datetime, timeline: bool
) -> list[PostmortemFacts]:
    ids = [i.id for i in incidents]
    reader = uow.postmortems
    published = reader.published(ids)
    deliveries = reader.deliveries(ids)
    followups = reader.followups(ids)
    rca_due = reader.rca_due(ids)
    timelines = reader.timelines(ids) if timeline else {}
    return [
        PostmortemFacts(
            incident=incident_facts(incident),
            # A clock behind the database's (another replica's) must not date the facts
            # before the incident itself.
            as_of=max(as_of, incident.declared_at),
            updates=tuple(published.get(incident.id, ())),
            timeline=tuple(timelines.get(incident.id, ())),
            deliveries=tuple(deliveries.get(incident.id, ())),
            followups=tuple(followups.get(incident.id, ())),
            rca_due=tuple(rca_due.get(incident.id, ())),
        )
        for incident in incidents
    ]
