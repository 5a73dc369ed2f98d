"""Corrections of published updates: drafted, approved like any draft, then broadcast.

A correction changes only what an update said. It moves no status and no component (status
changes happen only through the lifecycle's transition table, in ``publish``). Approving it
stores the corrected body on the update, writes a timeline line, and enqueues one delivery
per destination the original went to: destinations that can edit their post do
(``Outbound.correction_of`` is the original's message id); the others post a marked
correction.
"""

from __future__ import annotations

from collections.abc import Mapping

from commsbot.delivery.snapshot import freeze
from commsbot.domain.errors import InvalidInput, NotFound
from commsbot.domain.events import UpdateCorrected
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import (
    MAX_BODY,
    ComponentStatus,
    Draft,
    Incident,
    Update,
    clean_text,
    correct,
)
from commsbot.domain.policy import Actor
from commsbot.domain.promise import mark_promise
from commsbot.services import outbox, subscriber_outbox
from commsbot.services import reminder_plans as reminders
from commsbot.services.deps import Deps
from commsbot.services.incidents import file_draft, record, snapshot
from commsbot.services.ports import UnitOfWork
from commsbot.services.results import DraftResult, Published


def find_update(uow: UnitOfWork, ref: str) -> Update:
    """A published update by id, or by ``INCIDENT#SEQ`` (``INC-1#2``: INC-1's second update).

    Raises:
        NotFound: the message says how to name an update.
    """
    text = ref.strip()
    incident_ref, sep, seq = text.rpartition("#")
    if sep and seq.isdigit() and incident_ref:
        incident = uow.incidents.get(incident_ref)
        for update in uow.updates.for_incident(incident.id):
            if update.seq == int(seq):
                return update
        raise NotFound(
            f"{incident.ref} has no update #{seq}; it has {incident.published_count} published "
            "update(s), numbered from 1"
        )
    try:
        return uow.updates.get(text)
    except NotFound:
        raise NotFound(
            f"there is no published update {text!r}; name it by its id (`commsbot incident "
            "show INCIDENT --json` lists them) or as INCIDENT#SEQ, e.g. INC-1#2"
        ) from None


def propose_correction(deps: Deps, *, update_ref: str, body: str, actor: Actor) -> DraftResult:
    """Draft a correction of a published update (approved like any draft).

    Args:
        update_ref: the update's id, or ``INCIDENT#SEQ`` (see :func:`find_update`).
        body: the corrected text, in full.

    Raises:
        NotFound: there is no such published update.
        InvalidInput: the body is empty, too long, or the same as the update's.
        NotAllowed: ``actor`` is not a responder.
    """
    deps.settings.policy().check_respond(actor, "correct an update")
    body = clean_text(body, what="corrected body", limit=MAX_BODY)
    now = deps.clock.now()
    with deps.uow() as uow:
        update = find_update(uow, update_ref)
        incident = uow.incidents.get(update.incident_id)
        # A correction keeps the original's promise: its text may state that time, no other.
        source = mark_promise(
            body, [update.next_update_by], show_time=deps.renderer.promise_format(now)
        )
        draft = Draft(
            id=deps.ids(),
            incident_id=incident.id,
            author=actor.id,
            body=source,
            body_source=source,
            next_update_by=update.next_update_by,
            status=update.status,
            base_status=incident.status,
            corrects=update.id,
            created_at=now,
            updated_at=now,
        )
        draft.write(deps.renderer.promise_format(now))
        if draft.body == update.body:
            raise InvalidInput(
                f"the corrected body is the same as update #{update.seq}'s; write the text "
                "it should have said"
            )
        file_draft(deps, uow, incident=incident, draft=draft, actor=actor)
        result = DraftResult(incident=snapshot(uow, incident), draft=draft)
        uow.commit()
    return result


def check_correction_edit(
    draft: Draft,
    *,
    status: Status | None,
    component_changes: Mapping[str, ComponentStatus] | None,
    reason: str | None,
    next_update: str | None = None,
) -> None:
    """Refuse to edit anything but the body of a correction."""
    if (
        status is not None
        or component_changes is not None
        or reason is not None
        or (next_update is not None and next_update.strip())
    ):
        raise InvalidInput(
            f"draft {draft.id} corrects a published update: only its body can change "
            "(--body TEXT); to change status, components or the next update time, propose a "
            "new update"
        )


def publish_correction(
    deps: Deps,
    uow: UnitOfWork,
    *,
    draft: Draft,
    incident: Incident,
    actor: Actor,
    version: int | None,
    notify_subscribers: bool = True,
) -> Published:
    """The steps of approving a correction, inside :func:`~.drafts.approve_draft`'s unit of
    work (the approval policy already checked), which commits.

    Saves the incident too: its optimistic lock orders the correction among the incident's
    other broadcasts, so their deliveries keep the order in which they were approved.
    """
    now = deps.clock.now()
    assert draft.corrects is not None
    original = uow.updates.get(draft.corrects)
    corrected = correct(
        update=original,
        draft=draft,
        approver=actor.id,
        now=now,
        show_time=deps.renderer.promise_format(now),
        version=version,
    )
    incident.updated_at = now
    uow.incidents.save(incident)
    uow.drafts.save(draft)
    uow.updates.correct(corrected)
    snap = snapshot(uow, incident)
    planned = outbox.plan_correction(deps, uow, snapshot=snap, update=corrected, draft=draft)
    fanout = None
    if notify_subscribers and subscriber_outbox.enabled(deps):
        link = outbox.link_for(deps, incident.id)
        content, scope = subscriber_outbox.for_update(
            snap,
            corrected,
            link=link,
            delivery=freeze(snap, corrected, link=link),
            correction_id=draft.id,
        )
        fanout = subscriber_outbox.plan_fanout(
            deps,
            uow,
            content=content,
            scope=scope,
            subject_ref=incident.ref,
            corrects=original.id,
            update_id=original.id,
        )
    reminders.on_draft_decided(deps, uow, draft=draft)
    outbox.on_draft_decided(
        deps,
        uow,
        incident=incident,
        draft=draft,
        update=corrected,
        deliveries=len(planned),
        subscribers=fanout.planned if fanout else 0,
    )
    record(
        uow,
        UpdateCorrected(
            incident_id=incident.id, actor=actor.id, at=now, update=corrected, draft=draft
        ),
    )
    return Published(incident=snap, update=corrected)
