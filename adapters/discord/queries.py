"""Small reads the Discord surface needs that no use case returns as such (prefilling the edit
box, autocomplete). Read-only units of work; nothing here decides anything."""

from __future__ import annotations

from dataclasses import dataclass

from commsbot.domain.model import Draft, Incident
from commsbot.services.deps import Deps
from commsbot.services.incidents import list_incidents


@dataclass(frozen=True)
class PendingDraft:
    incident: Incident
    draft: Draft


def get_draft(deps: Deps, draft_id: str) -> PendingDraft:
    """A draft and its incident. Raises NotFound."""
    with deps.read() as uow:
        draft = uow.drafts.get(draft_id)
        return PendingDraft(incident=uow.incidents.get(draft.incident_id), draft=draft)


def pending_drafts(deps: Deps, *, limit: int = 25) -> list[PendingDraft]:
    """Drafts waiting for approval on open incidents, newest incident first."""
    found: list[PendingDraft] = []
    with deps.read() as uow:
        for incident in uow.incidents.list(open_only=False, limit=limit):
            for draft in uow.drafts.for_incident(incident.id, pending_only=True):
                found.append(PendingDraft(incident=incident, draft=draft))
            if len(found) >= limit:
                break
    return found[:limit]


def recent_incidents(deps: Deps, *, limit: int = 25) -> list[Incident]:
    """Open incidents first, then recovered ones, each newest first."""
    snaps = list_incidents(deps, limit=limit)
    incidents = [s.incident for s in snaps]
    return sorted(incidents, key=lambda i: (i.resolved_at is not None, -i.number))


def component_names(deps: Deps) -> list[str]:
    """The configured catalogue, else every component stored so far."""
    if deps.settings.components:
        return [c.name for c in deps.settings.components]
    with deps.read() as uow:
        return [c.name for c in uow.components.all()]
