"""What the public may see, read for the status page's renderings in one read-only unit of work.

The renderings themselves (:mod:`commsbot.statuspage`) are pure: they take the
:class:`~commsbot.statuspage.data.PublicData` read here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from commsbot.domain.maintenance import shown_status
from commsbot.domain.model import Component
from commsbot.maintenance.render import RECENT_MAINTENANCES, PublicMaintenance
from commsbot.services.deps import Deps
from commsbot.services.ports import UnitOfWork
from commsbot.statuspage.data import (
    HISTORY_DAYS,
    HISTORY_UPDATES,
    PAGED_INCIDENTS,
    PublicData,
    PublicIncident,
)


def load_public_data(deps: Deps) -> PublicData:
    """Read what the public may see, in one read-only unit of work."""
    now = deps.clock.now()
    settings = deps.settings
    with deps.read() as uow:
        stored = list(uow.components.all())
        by_name = {c.name: c for c in stored}
        if settings.components:
            # With a catalogue the page lists exactly it; retired components stay stored only
            # because past incidents name them.
            shown = tuple(by_name[c.name] for c in settings.components if c.name in by_name)
        else:
            shown = tuple(stored)
        incidents = _public_incidents(uow)
        start = datetime.combine(
            now.astimezone(settings.zone).date() - timedelta(days=HISTORY_DAYS - 1),
            datetime.min.time(),
            tzinfo=settings.zone,
        )
        history = tuple(uow.updates.published_since(start, limit=HISTORY_UPDATES))
        maintenances = _public_maintenances(uow, since=start)
    as_left = {name: c.status for name, c in by_name.items()}
    by_name = _under_maintenance(by_name, maintenances)
    shown = tuple(by_name[c.name] for c in shown)
    return PublicData(
        page=settings.page,
        timezone=settings.timezone,
        components=shown,
        all_components=by_name,
        incidents=incidents,
        history=history,
        now=now,
        subscribe=settings.subscriptions.enabled,
        maintenances=maintenances,
        incident_status=as_left,
    )


def _public_incidents(uow: UnitOfWork) -> tuple[PublicIncident, ...]:
    # Asking for more than needed: the newest incidents may not be published yet.
    recent = [i for i in uow.incidents.list(limit=PAGED_INCIDENTS * 2) if i.published_count]
    unresolved = [i for i in uow.incidents.list(open_only=True, limit=1000) if i.published_count]
    chosen = {i.id: i for i in recent[:PAGED_INCIDENTS]}
    for incident in unresolved:
        chosen.setdefault(incident.id, incident)
    result = []
    for incident in sorted(chosen.values(), key=lambda i: -i.number):
        updates = tuple(uow.updates.for_incident(incident.id))
        if updates:
            result.append(PublicIncident(incident.as_published(), updates))
    return tuple(result)


def _public_maintenances(uow: UnitOfWork, *, since: datetime) -> tuple[PublicMaintenance, ...]:
    """Announced maintenances: every open one and those of the history window (for the blue
    days of the bars), at least the most recent ones Statuspage lists."""
    recent = uow.maintenances.list(announced_only=True, limit=RECENT_MAINTENANCES)
    window = uow.maintenances.list(announced_only=True, since=since, limit=1000)
    chosen = {m.id: m for m in [*recent, *window]}
    notices = uow.maintenances.notices(list(chosen))
    ordered = sorted(chosen.values(), key=lambda m: (m.scheduled_for, m.number), reverse=True)
    return tuple(PublicMaintenance(m, notices[m.id]) for m in ordered if notices[m.id])


def _under_maintenance(
    components: Mapping[str, Component], maintenances: Iterable[PublicMaintenance]
) -> dict[str, Component]:
    """Components as the public sees them: stored as incidents left them, shown as the worse
    of that and an active maintenance (``under_maintenance``)."""
    since: dict[str, datetime] = {}
    for item in maintenances:
        if item.active:
            for name in item.maintenance.components:
                since[name] = max(since.get(name, item.updated_at), item.updated_at)
    shown = dict(components)
    for name, moment in since.items():
        comp = shown.get(name)
        if comp is None:
            continue
        status = shown_status(comp.status, under_maintenance=True)
        stamp = max(comp.updated_at, moment) if comp.updated_at else moment
        shown[name] = replace(comp, status=status, updated_at=stamp)
    return shown
