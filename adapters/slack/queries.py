"""Reads and writes the Slack forms need, as sync functions run with ``asyncio.to_thread``.

They only compose the core's use cases and read-only units of work; every decision (who may,
which move) stays in the core.
"""

from __future__ import annotations

from collections.abc import Mapping

from adapters.slack.forms import UpdateForm
from commsbot.domain.model import ComponentStatus, Draft, IncidentSnapshot
from commsbot.domain.policy import Actor
from commsbot.services import drafts, incidents
from commsbot.services.deps import Deps
from commsbot.services.views import DraftResult


def load_draft(deps: Deps, *, draft_id: str) -> tuple[Draft, IncidentSnapshot]:
    """A draft and its incident as they stand; raises NotFound."""
    with deps.read() as uow:
        draft = uow.drafts.get(draft_id)
        return draft, incidents.snapshot(uow, uow.incidents.get(draft.incident_id))


def load_incident(deps: Deps, *, incident_ref: str) -> IncidentSnapshot:
    """An incident with its components' status; raises NotFound."""
    with deps.read() as uow:
        return incidents.snapshot(uow, uow.incidents.get(incident_ref))


def changes_against(
    chosen: Mapping[str, str], current: Mapping[str, ComponentStatus]
) -> dict[str, ComponentStatus]:
    """The selections that differ from the components' current status."""
    out: dict[str, ComponentStatus] = {}
    for name, value in chosen.items():
        status = ComponentStatus(value)
        if current.get(name) is not status:
            out[name] = status
    return out


def propose_from_form(
    deps: Deps, *, incident_id: str, form: UpdateForm, actor: Actor
) -> DraftResult:
    """The update form submitted: a draft with the components whose status was changed."""
    snap = load_incident(deps, incident_ref=incident_id)
    postmortem = form.postmortem
    return drafts.propose_update(
        deps,
        incident_ref=incident_id,
        status=snap.incident.status if postmortem or form.status is None else form.status,
        actor=actor,
        body=form.body,
        component_changes=changes_against(form.components, snap.components) or None,
        reason=form.reason,
        postmortem=postmortem,
        next_update=form.next_update,
    )


def edit_from_form(
    deps: Deps, *, draft_id: str, version: int, form: UpdateForm, actor: Actor
) -> DraftResult:
    """The edit form submitted: the draft's next version (refused if ``version`` is stale)."""
    _, snap = load_draft(deps, draft_id=draft_id)
    return drafts.edit_draft(
        deps,
        draft_id=draft_id,
        actor=actor,
        body=form.body,
        status=form.status,
        component_changes=changes_against(form.components, snap.components),
        reason=form.reason,
        version=version,
        next_update=form.next_update,
    )
