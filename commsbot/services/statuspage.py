"""What the public may see, read for the status page's renderings in one read-only unit of work.

The renderings themselves (:mod:`commsbot.statuspage`) are pure: they take the
:class:`~commsbot.statuspage.data.PublicData` read here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

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
    return PublicData(
        page=settings.page,
        timezone=settings.timezone,
        components=shown,
        all_components=by_name,
        incidents=incidents,
        history=history,
        now=now,
        subscribe=settings.subscriptions.enabled,
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
