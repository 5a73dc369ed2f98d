"""Use cases on drafts: propose, edit, approve (which publishes) and reject."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from commsbot.delivery.snapshot import freeze
from commsbot.domain.errors import InvalidInput
from commsbot.domain.events import DraftEdited, DraftRejected, UpdatePublished
from commsbot.domain.lifecycle import Status, move_to, update_status
from commsbot.domain.model import (
    MAX_BODY,
    MAX_REASON,
    ComponentStatus,
    Draft,
    Incident,
    check_recovery,
    check_version,
    clean_document,
    clean_text,
    publish,
)
from commsbot.domain.policy import Actor
from commsbot.maintenance.views import MaintenanceDraftResult, MaintenancePublished
from commsbot.services import components as catalogue
from commsbot.services import (
    corrections,
    maintenance,
    maintenance_publish,
    outbox,
    promises,
    subscriber_outbox,
)
from commsbot.services import reminder_plans as reminders
from commsbot.services.deps import Deps
from commsbot.services.incidents import file_draft, record, snapshot
from commsbot.services.ports import UnitOfWork
from commsbot.services.results import DraftResult, Published


def default_body(
    deps: Deps,
    incident: Incident,
    status: Status,
    *,
    postmortem: bool = False,
    next_update_by: datetime | None = None,
) -> str:
    """The template's wording for an update of ``incident`` that sets ``status``.

    The promised time is written as the placeholder ``{next_update_by}`` (filled in from the
    draft's own time); ``next_update_by`` None means the severity's default promise.
    """
    now = deps.clock.now()
    promise = next_update_by or promises.default_promise(deps, incident.severity, status, now=now)
    return deps.renderer.render(
        status,
        title=incident.title,
        severity=incident.severity.value,
        components=incident.components,
        started_at=incident.declared_at,
        resolved_at=incident.resolved_at,
        now=now,
        next_update_by=None if status is Status.RECOVERED else promise,
        postmortem=postmortem,
    )


def propose_update(
    deps: Deps,
    *,
    incident_ref: str,
    actor: Actor,
    status: Status | None = None,
    body: str | None = None,
    component_changes: Mapping[str, ComponentStatus] | None = None,
    reason: str | None = None,
    postmortem: bool = False,
    next_update: str | None = None,
    document: str | None = None,
) -> DraftResult:
    """Draft a public update. It leaves only when someone approves it.

    Args:
        status: the status the update sets; None keeps the incident's current one (a
            progress update), or ``recovered`` for the postmortem — decided in the same
            transaction that drafts it, so surfaces never look it up first.
        body: the text; by default the template for ``status``. ``{next_update_by}`` in it,
            or the promised time as shown ("3:46 PM PST"), states the promise.
        component_changes: component name → the status the update gives it.
        reason: why, when reopening a recovered incident (required then).
        postmortem: the update is the root-cause analysis of a recovered incident.
        next_update: when the update promises the next one, as typed (``45m``, ``16:30``, an
            ISO time); by default now + the severity's cadence (none for a recovery).
        document: the public part of the postmortem (Markdown), approved with the update and
            then linked from the status page; postmortem updates only.

    Raises:
        InvalidTransition: the incident cannot move to ``status`` from where it stands.
        InvalidInput, NotFound, NotAllowed: nothing was written.
    """
    deps.settings.policy().check_respond(actor, "propose an update")
    if document is not None:
        if not postmortem:
            raise InvalidInput(
                "only the root-cause analysis publishes a document: propose it with "
                '--postmortem ("postmortem": true)',
                field="document",
            )
        document = clean_document(document)
    if body is not None:
        body = clean_text(body, what="update body", limit=MAX_BODY, field="body")
    if reason is not None:
        reason = clean_text(reason, what="reason", limit=MAX_REASON, field="reason")
    with deps.uow() as uow:
        incident = uow.incidents.get(incident_ref)
        draft = draft_update(
            deps,
            uow,
            incident=incident,
            status=update_status(incident.status, status, postmortem=postmortem),
            actor=actor,
            body=body,
            component_changes=component_changes,
            reason=reason,
            postmortem=postmortem,
            next_update=next_update,
            document=document,
        )
        result = DraftResult(incident=snapshot(uow, incident), draft=draft)
        uow.commit()
    return result


def draft_update(
    deps: Deps,
    uow: UnitOfWork,
    *,
    incident: Incident,
    status: Status,
    actor: Actor,
    body: str | None = None,
    component_changes: Mapping[str, ComponentStatus] | None = None,
    reason: str | None = None,
    postmortem: bool = False,
    next_update: str | None = None,
    document: str | None = None,
) -> Draft:
    """The steps of :func:`propose_update` inside the caller's unit of work, which commits.

    ``body``, ``reason`` and ``document`` must already be cleaned. A refusal (``InvalidTransition``,
    ``GuardFailed``, ``InvalidInput``) is raised before anything is written, but for components
    first named in ``component_changes`` (none when they are the incident's own).
    """
    now = deps.clock.now()
    move_to(incident.status, status, reason=reason, postmortem=postmortem)
    changes = catalogue.canonical_changes(uow, deps.settings, component_changes or {}, now=now)
    promise = promises.promise_for(
        deps, next_update, severity=incident.severity, status=status, now=now
    )
    source = (
        promises.source_of(deps, body, promise, now=now)
        if body
        else default_body(deps, incident, status, postmortem=postmortem, next_update_by=promise)
    )
    draft = Draft(
        id=deps.ids(),
        incident_id=incident.id,
        author=actor.id,
        body=source,
        body_source=source,
        next_update_by=promise,
        status=status,
        base_status=incident.status,
        component_changes=changes,
        postmortem=postmortem,
        reason=reason,
        created_at=now,
        updated_at=now,
        document=document,
    )
    check_recovery(
        incident,
        draft,
        uow.components.get_many({*incident.components, *draft.component_changes}),
    )
    draft.write(deps.renderer.promise_format(now))
    file_draft(deps, uow, incident=incident, draft=draft, actor=actor)
    return draft


def edit_draft(
    deps: Deps,
    *,
    draft_id: str,
    actor: Actor,
    body: str | None = None,
    status: Status | None = None,
    component_changes: Mapping[str, ComponentStatus] | None = None,
    reason: str | None = None,
    version: int | None = None,
    next_update: str | None = None,
    document: str | None = None,
) -> DraftResult:
    """Change a pending draft; its version goes up, so an approval of the old one is stale.

    Whoever changes what the update says (text, status, components, promised time, the
    postmortem's public document) becomes its last editor: someone else must approve the new
    version.

    Args:
        next_update: a new promised time, as typed (``45m``, ``16:30``, an ISO time).
        document: a new public document (the postmortem draft only; GuardFailed otherwise).
    """
    check_version(version)
    deps.settings.policy().check_respond(actor, "edit a draft")
    if (
        body is None
        and status is None
        and component_changes is None
        and reason is None
        and document is None
        and not (next_update and next_update.strip())
    ):
        raise InvalidInput(
            "nothing to change; give a new body, status, components, reason, next update time "
            "or document"
        )
    now = deps.clock.now()
    with deps.uow() as uow:
        draft = uow.drafts.get(draft_id)
        draft.ensure_pending("edit")
        incident = uow.incidents.get(draft.incident_id)
        target = status or draft.status
        if draft.corrects is not None:
            corrections.check_correction_edit(
                draft,
                status=status,
                component_changes=component_changes,
                reason=reason,
                next_update=next_update,
            )
        else:
            move_to(
                incident.status, target, reason=reason or draft.reason, postmortem=draft.postmortem
            )
        changes = (
            None
            if component_changes is None
            else catalogue.canonical_changes(uow, deps.settings, component_changes, now=now)
        )
        draft.edit(
            now=now,
            editor=actor.id,
            incident_status=incident.status,
            show_time=deps.renderer.promise_format(now),
            body=body,
            status=status,
            component_changes=changes,
            reason=reason,
            next_update_by=promises.typed_promise(deps, next_update, status=target, now=now),
            default_next_update_by=promises.default_promise(
                deps, incident.severity, target, now=now
            ),
            expected_version=version,
            document=document,
        )
        if draft.corrects is None:
            check_recovery(
                incident,
                draft,
                uow.components.get_many({*incident.components, *draft.component_changes}),
            )
        uow.drafts.save(draft)
        outbox.on_draft_proposed(
            deps, uow, incident=incident, draft=draft, actor=actor.id, edited=True
        )
        record(uow, DraftEdited(incident_id=incident.id, actor=actor.id, at=now, draft=draft))
        result = DraftResult(incident=snapshot(uow, incident), draft=draft)
        uow.commit()
    return result


def approve_any_draft(
    deps: Deps,
    *,
    draft_id: str,
    actor: Actor,
    version: int | None = None,
    notify_subscribers: bool = True,
) -> Published | MaintenancePublished:
    """Approve any draft, an incident update's or a scheduled maintenance's: the one approval
    path every surface takes (``commsbot update approve``, the Approve buttons), under one
    policy (:class:`~commsbot.domain.policy.ApprovalPolicy`: four eyes, stale versions
    refused). Raises what :func:`approve_draft` and :func:`.maintenance_publish.approve` do.
    """
    if maintenance.owns_draft(deps, draft_id):
        return maintenance_publish.approve(deps, draft_id=draft_id, actor=actor, version=version)
    return approve_draft(
        deps,
        draft_id=draft_id,
        actor=actor,
        version=version,
        notify_subscribers=notify_subscribers,
    )


def reject_any_draft(
    deps: Deps, *, draft_id: str, actor: Actor, reason: str
) -> DraftResult | MaintenanceDraftResult:
    """Reject any draft (an incident update's or a scheduled maintenance's) with a reason."""
    if maintenance.owns_draft(deps, draft_id):
        return maintenance.reject_draft(deps, draft_id=draft_id, actor=actor, reason=reason)
    return reject_draft(deps, draft_id=draft_id, actor=actor, reason=reason)


def approve_draft(
    deps: Deps,
    *,
    draft_id: str,
    actor: Actor,
    version: int | None = None,
    notify_subscribers: bool = True,
) -> Published:
    """Approve an incident's draft, which publishes it: status and components change together,
    or not at all. (Surfaces approve through :func:`approve_any_draft`.)

    Args:
        version: the version the approver read; an approval of an older one is refused. None
            approves the current version (for surfaces that show it right before asking).
        notify_subscribers: False publishes it everywhere but to subscribers (``--quiet``;
            the update's ``deliver_notifications`` says so).

    Raises:
        NotAllowed: ``actor`` made the draft's last change (four eyes), or the approver
            lists refuse them.
        StaleDraft: the draft was edited, or the incident moved, since ``version``.
        GuardFailed: the promised next update time has passed (edit it), or a recovery
            leaves a component down.
        AlreadyDecided: it was already published or rejected.
        ConcurrentChange: someone approved at the same instant and won; nothing was written.
        InvalidTransition, GuardFailed: the move is no longer allowed.
        InvalidInput: ``version`` is below 1.
    """
    check_version(version)
    now = deps.clock.now()
    with deps.uow() as uow:
        draft = uow.drafts.get(draft_id)
        draft.ensure_pending("approve")
        incident = uow.incidents.get(draft.incident_id)
        deps.settings.policy().check_approve(actor, draft, incident)
        if draft.corrects is not None:
            result = corrections.publish_correction(
                deps,
                uow,
                draft=draft,
                incident=incident,
                actor=actor,
                version=version,
                notify_subscribers=notify_subscribers,
            )
        else:
            result = _publish(
                deps,
                uow,
                draft=draft,
                incident=incident,
                actor=actor,
                version=version,
                now=now,
                notify_subscribers=notify_subscribers,
            )
        uow.commit()
    return result


def _publish(
    deps: Deps,
    uow: UnitOfWork,
    *,
    draft: Draft,
    incident: Incident,
    actor: Actor,
    version: int | None,
    now: datetime,
    notify_subscribers: bool = True,
) -> Published:
    """The steps of approving an update, inside :func:`approve_draft`'s unit of work."""
    old_status = incident.status
    comps = uow.components.get_many({*incident.components, *draft.component_changes})
    update = publish(
        incident=incident,
        draft=draft,
        components=comps,
        approver=actor.id,
        update_id=deps.ids(),
        now=now,
        show_time=deps.renderer.promise_format(now),
        version=version,
    )
    if not notify_subscribers:
        update = replace(update, deliver_notifications=False)
    uow.incidents.save(incident)
    uow.drafts.save(draft)
    for change in update.changes:
        uow.components.save(comps[change.name])
    uow.updates.add(update)
    reminders.on_published(deps, uow, incident=incident, update=update)
    snap = snapshot(uow, incident)
    planned = outbox.plan_update(deps, uow, snapshot=snap, update=update)
    fanout = None
    if notify_subscribers and subscriber_outbox.enabled(deps):
        link = outbox.link_for(deps, incident.id)
        content, scope = subscriber_outbox.for_update(
            snap, update, link=link, delivery=freeze(snap, update, link=link)
        )
        fanout = subscriber_outbox.plan_fanout(
            deps, uow, content=content, scope=scope, subject_ref=incident.ref, update_id=update.id
        )
    outbox.on_draft_decided(
        deps,
        uow,
        incident=incident,
        draft=draft,
        update=update,
        deliveries=len(planned),
        subscribers=fanout.planned if fanout else 0,
    )
    record(
        uow,
        UpdatePublished(
            incident_id=incident.id,
            actor=actor.id,
            at=now,
            update=update,
            old_status=old_status.value,
        ),
    )
    return Published(incident=snap, update=update)


def reject_draft(deps: Deps, *, draft_id: str, actor: Actor, reason: str) -> DraftResult:
    """Reject an incident's draft with a reason; its author may also withdraw it this way."""
    reason = clean_text(reason, what="rejection reason", limit=MAX_REASON, field="reason")
    now = deps.clock.now()
    with deps.uow() as uow:
        draft = uow.drafts.get(draft_id)
        draft.ensure_pending("reject")
        incident = uow.incidents.get(draft.incident_id)
        deps.settings.policy().check_reject(actor, draft, incident)
        draft.reject(actor=actor.id, reason=reason, now=now)
        uow.drafts.save(draft)
        reminders.on_draft_decided(deps, uow, draft=draft)
        outbox.on_draft_decided(deps, uow, incident=incident, draft=draft)
        record(
            uow,
            DraftRejected(
                incident_id=incident.id, actor=actor.id, at=now, draft=draft, reason=reason
            ),
        )
        result = DraftResult(incident=snapshot(uow, incident), draft=draft)
        uow.commit()
    return result


def get_draft(deps: Deps, *, draft_id: str) -> DraftResult:
    """A draft as it stands, with its incident (to prefill an edit form). Raises NotFound."""
    with deps.read() as uow:
        draft = uow.drafts.get(draft_id)
        return DraftResult(
            incident=snapshot(uow, uow.incidents.get(draft.incident_id)), draft=draft
        )


def pending_drafts(deps: Deps, *, limit: int = 25) -> list[DraftResult]:
    """Drafts waiting for approval (at most ``limit``), those of the newest incidents first."""
    found: list[DraftResult] = []
    with deps.read() as uow:
        for incident in uow.incidents.list(open_only=False, limit=limit):
            waiting = uow.drafts.for_incident(incident.id, pending_only=True)
            if waiting:
                snap = snapshot(uow, incident)
                found += [DraftResult(incident=snap, draft=draft) for draft in waiting]
            if len(found) >= limit:
                break
    return found[:limit]
