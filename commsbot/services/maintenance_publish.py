"""Publishing scheduled-maintenance notices: approving a draft, and the bot's own start and end.

Each publish is one transaction: the maintenance moves, the notice is stored, one delivery per
destination is written to the outbox (frozen, like an update's), the timers are planned again,
and the timeline and the draft's author hear of it. Nothing is sent inside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from commsbot.delivery.config import destinations_of
from commsbot.delivery.model import DeliveryKind, DeliveryRecord, delivery_key
from commsbot.delivery.ports import Notice
from commsbot.delivery.snapshot import freeze_maintenance
from commsbot.domain.maintenance import MaintenanceTrigger, shown_status
from commsbot.domain.model import ComponentStatus, DraftState, TimelineEntry, check_version
from commsbot.domain.policy import Actor
from commsbot.maintenance.model import (
    Approval,
    Components,
    Maintenance,
    MaintenanceDraft,
    MaintenanceNotice,
    publish,
    publish_approved,
)
from commsbot.maintenance.render import format_moment, format_window
from commsbot.maintenance.views import MaintenancePublished
from commsbot.services import maintenance_timers as timers
from commsbot.services.deps import Deps
from commsbot.services.outbox import APPROVAL_REQUESTED, DRAFT_DECIDED, enqueue_notice, link_for
from commsbot.services.ports import UnitOfWork

T = MaintenanceTrigger


def show(deps: Deps) -> timers.MomentFormat:
    """How notices state a time: ``Wed Dec 11, 10:00 PM PST`` in the page's zone."""
    zone = deps.settings.zone
    return lambda moment: format_moment(moment, zone)


def note(
    uow: UnitOfWork, m: Maintenance, *, at: datetime, actor: str, action: str, detail: str
) -> None:
    """A line on the maintenance's timeline, in the caller's transaction."""
    uow.maintenance_timeline.append(
        TimelineEntry(incident_id=m.id, at=at, actor=actor, action=action, detail=detail)
    )


def components_for(uow: UnitOfWork, m: Maintenance) -> Components:
    """Its components as incidents left them, and those another active maintenance covers."""
    stored = uow.components.get_many(m.components)
    elsewhere = {
        name
        for other in uow.maintenances.list(open_only=True, announced_only=True)
        if other.id != m.id and other.status.active
        for name in other.components
    }
    return Components({n: c.status for n, c in stored.items()}, frozenset(elsewhere))


def shown(m: Maintenance, components: Components) -> dict[str, ComponentStatus]:
    """Each component of ``m`` as the public sees it now (the worse of incident and
    maintenance)."""
    return {
        name: shown_status(
            components.statuses.get(name, ComponentStatus.OPERATIONAL),
            under_maintenance=m.status.active or name in components.elsewhere,
        )
        for name in m.components
    }


def approve(
    deps: Deps, *, draft_id: str, actor: Actor, version: int | None = None
) -> MaintenancePublished:
    """Approve a maintenance draft, which publishes it (see :func:`commsbot.services.drafts.
    approve_draft`, which hands maintenance drafts here: one approval path for every draft).

    Raises:
        NotAllowed: four eyes (``actor`` made its last change) or the approver list.
        StaleDraft: edited since ``version``, or the maintenance moved since it was written.
        GuardFailed: its window has ended, or the maintenance was never announced.
        AlreadyDecided, InvalidTransition, ConcurrentChange, InvalidInput.
    """
    check_version(version)
    now = deps.clock.now()
    with deps.uow() as uow:
        draft = uow.maintenances.get_draft(draft_id)
        draft.ensure_pending("approve")
        m = uow.maintenances.get(draft.maintenance_id)
        deps.settings.policy().check_approve_maintenance(actor, draft, m.ref)
        components = components_for(uow, m)
        notice = publish(
            m,
            draft,
            approval=Approval(
                approver=actor.id, notice_id=deps.ids(), now=now, show=show(deps), version=version
            ),
            components=components,
        )
        uow.maintenances.save_draft(draft)
        count = published(deps, uow, m, notice, components=components, actor=actor.id)
        decided(deps, uow, m, draft, deliveries=count)
        result = MaintenancePublished(maintenance=m, notice=notice, deliveries=count)
        uow.commit()
    return result


def publish_now(
    deps: Deps, uow: UnitOfWork, m: Maintenance, kind: MaintenanceTrigger, *, actor: str
) -> MaintenancePublished:
    """Start or complete ``m`` now with the text approved with its announcement, inside the
    caller's unit of work (a person without a new text, or the bot on time)."""
    components = components_for(uow, m)
    notice = publish_approved(
        m, kind, notice_id=deps.ids(), now=deps.clock.now(), show=show(deps), components=components
    )
    count = published(deps, uow, m, notice, components=components, actor=actor)
    return MaintenancePublished(maintenance=m, notice=notice, deliveries=count)


def published(
    deps: Deps,
    uow: UnitOfWork,
    m: Maintenance,
    notice: MaintenanceNotice,
    *,
    components: Components,
    actor: str,
) -> int:
    """Store what publishing ``notice`` did; returns how many deliveries it planned."""
    uow.maintenances.save(m)
    uow.maintenances.add_notice(notice)
    count = plan_deliveries(deps, uow, m, notice, components=shown(m, components))
    timers.replan(deps, uow, m, actor=actor)
    if m.status.finished:
        # What was still waiting for approval can no longer be published.
        for pending in uow.maintenances.drafts(m.id, pending_only=True):
            pending.reject(
                actor=actor, reason=f"{m.ref} is {m.status.value}", now=notice.published_at
            )
            uow.maintenances.save_draft(pending)
    by = "on time, by itself" if notice.automatic and actor == timers.BOT_ACTOR else f"by {actor}"
    what = notice.kind.value if notice.kind is not T.ANNOUNCE else "announcement"
    note(
        uow,
        m,
        at=notice.published_at,
        actor=actor,
        action="notice_published",
        detail=(
            f"{what} published {by} (notice #{notice.seq}, {m.status.value}, "
            f"{format_window(m.scheduled_for, m.scheduled_until, deps.settings.zone)}); on its "
            f"way to {count} destination{'s' if count != 1 else ''}"
        ),
    )
    return count


def plan_deliveries(
    deps: Deps,
    uow: UnitOfWork,
    m: Maintenance,
    notice: MaintenanceNotice,
    *,
    components: Mapping[str, ComponentStatus],
) -> int:
    """One delivery of ``notice`` per destination that wants maintenance notices of its
    components, in the outbox, frozen: every attempt sends exactly this."""
    now = deps.clock.now()
    frozen = freeze_maintenance(m, notice, components=components, link=link_for(deps, m.id))
    position = uow.outbox.next_position(m.id)
    count = 0
    for dest in destinations_of(deps.settings.destinations):
        if not dest.wants_maintenance(components=list(m.components)):
            continue
        uow.outbox.add(
            DeliveryRecord(
                id=deps.ids(),
                kind=DeliveryKind.MAINTENANCE,
                target=dest.name,
                incident_id=m.id,
                key=delivery_key(DeliveryKind.MAINTENANCE, notice.id, dest.name),
                created_at=now,
                deadline_at=now + dest.give_up_after,
                position=position,
            ),
            snapshot=frozen,
        )
        count += 1
    return count


def _what(draft: MaintenanceDraft) -> str:
    return "announcement" if draft.kind is T.ANNOUNCE else f"{draft.kind.value} notice"


def request_approval(
    deps: Deps,
    uow: UnitOfWork,
    m: Maintenance,
    draft: MaintenanceDraft,
    *,
    actor: str,
    edited: bool,
) -> None:
    """Ask the approvers (``approval_requested``), as an incident draft does: chat surfaces
    add Approve and Reject buttons to it."""
    policy = deps.settings.policy()
    audience = set(policy.approvers) - {actor}
    if not policy.allow_self_approval:
        audience.discard(draft.last_editor)
    zone = deps.settings.zone
    start = draft.scheduled_for or m.scheduled_for
    end = draft.scheduled_until or m.scheduled_until
    lines = [
        f"{actor} {'edited' if edited else 'drafted'} the {_what(draft)} of {m.ref} "
        f"“{draft.title or m.title}” (draft {draft.id} v{draft.version}), "
        f"{format_window(start, end, zone)}, components: "
        f"{', '.join(draft.components or m.components) or 'none'}:",
        "",
        draft.body,
    ]
    if draft.start_text:
        lines += ["", f"At the start the bot will publish: {draft.start_text}"]
    if draft.end_text:
        lines += ["", f"At the end the bot will publish: {draft.end_text}"]
    other = (
        f"someone other than {draft.last_editor}"
        if not policy.allow_self_approval
        else "an approver"
    )
    hint = (
        f"To publish it, {other} approves version {draft.version}: commsbot update approve "
        f"{draft.id} --version {draft.version} --as <you>; to stop it: commsbot update reject "
        f"{draft.id} --reason TEXT --as <you>."
    )
    enqueue_notice(
        uow,
        Notice(
            kind=APPROVAL_REQUESTED,
            incident_id=m.id,
            incident_ref=m.ref,
            text="\n".join(lines),
            hint=hint,
            draft_id=draft.id,
            draft_version=draft.version,
            audience=tuple(sorted(audience)),
        ),
        now=deps.clock.now(),
    )


def decided(
    deps: Deps, uow: UnitOfWork, m: Maintenance, draft: MaintenanceDraft, *, deliveries: int = 0
) -> None:
    """Tell the author what became of their draft (``draft_decided``)."""
    actor = draft.decided_by or "someone"
    if draft.state is DraftState.PUBLISHED:
        text = (
            f"{actor} approved draft {draft.id} v{draft.version} of {m.ref}: the {_what(draft)} "
            f"is published and on its way to {deliveries} destination"
            f"{'s' if deliveries != 1 else ''}."
        )
    else:
        verb = "withdrew" if actor == draft.author else "rejected"
        text = (
            f"{actor} {verb} draft {draft.id} v{draft.version} of {m.ref}: "
            f"{draft.decision_note or 'no reason given'}"
        )
    enqueue_notice(
        uow,
        Notice(
            kind=DRAFT_DECIDED,
            incident_id=m.id,
            incident_ref=m.ref,
            text=text,
            draft_id=draft.id,
            draft_version=draft.version,
            audience=() if actor == draft.author else (draft.author,),
        ),
        now=deps.clock.now(),
    )
