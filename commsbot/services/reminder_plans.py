"""Planning reminders inside the use case that causes them, in the same transaction.

Publishing, proposing and deciding call these with their own unit of work, so a reminder exists
exactly when what it is about was committed, and is closed in the same breath as what satisfied
it: no scheduler state to keep in step, nothing lost on a crash in between.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from commsbot.domain.errors import ConcurrentChange
from commsbot.domain.lifecycle import Trigger
from commsbot.domain.model import Draft, Incident, Update
from commsbot.reminders.model import (
    Reminder,
    ReminderKind,
    ReminderState,
    Repeat,
    audience_of,
    rca_deadline,
    rca_early_reminder,
)
from commsbot.services.deps import Deps
from commsbot.services.ports import UnitOfWork
from commsbot.settings import Settings

_UPDATE_KINDS = (ReminderKind.UPDATE_DUE, ReminderKind.UPDATE_OVERDUE)
_RCA_KINDS = (ReminderKind.RCA_DUE, ReminderKind.RCA_OVERDUE)
#: A concurrent claim (another replica firing the same reminder) changes the row under us.
_CLOSE_ATTEMPTS = 5


def approvers(settings: Settings, incident: Incident) -> tuple[str, ...]:
    """Who may approve drafts of ``incident``; empty means anyone but the last editor."""
    return tuple(sorted(settings.policy().approvers_for(incident.severity)))


def _approvers_but(settings: Settings, incident: Incident, *, author: str) -> tuple[str, ...]:
    # A new draft's author made its last change and cannot approve it: nudging them is noise.
    if settings.approval.allow_self_approval:
        return approvers(settings, incident)
    return tuple(a for a in approvers(settings, incident) if a != author)


def escalation_audience(settings: Settings, incident: Incident) -> tuple[str, ...]:
    """The commander and the comms lead (``escalate_to``, else the approvers)."""
    leads = settings.reminders.escalate_to or approvers(settings, incident)
    return audience_of([incident.commander], leads)


def on_draft_created(deps: Deps, uow: UnitOfWork, *, incident: Incident, draft: Draft) -> None:
    """A draft now waits for approval: nudge the approvers if it waits too long."""
    cfg = deps.settings.reminders
    if not cfg.enabled or cfg.approval_waiting_minutes is None:
        return
    wait = timedelta(minutes=cfg.approval_waiting_minutes)
    uow.reminders.add(
        Reminder(
            id=deps.ids(),
            kind=ReminderKind.APPROVAL_WAITING,
            incident_id=incident.id,
            draft_id=draft.id,
            due_at=draft.created_at + wait,
            deadline_at=draft.created_at,
            repeat=Repeat.BACKOFF,
            interval=wait,
            audience=_approvers_but(deps.settings, incident, author=draft.author),
            created_at=draft.created_at,
            created_by=draft.author,
        )
    )


def on_draft_decided(deps: Deps, uow: UnitOfWork, *, draft: Draft) -> None:
    """A draft was published or rejected: its approval nudges stop."""
    now = draft.decided_at or draft.updated_at
    waiting = uow.reminders.find(draft_id=draft.id, kinds=[ReminderKind.APPROVAL_WAITING])
    close(uow, waiting, state=ReminderState.DONE, now=now, actor=draft.decided_by or "")


def on_published(deps: Deps, uow: UnitOfWork, *, incident: Incident, update: Update) -> None:
    """An update was published: reschedule the next-update promise and the RCA reminders.

    Closes the published draft's approval nudges and the previous next-update reminders;
    schedules new ones when the update promises a next one; on recovery schedules the
    root-cause analysis, which the postmortem satisfies and a reopen withdraws.
    """
    now = update.published_at
    actor = update.approver
    decided = uow.reminders.find(draft_id=update.draft_id, kinds=[ReminderKind.APPROVAL_WAITING])
    close(uow, decided, state=ReminderState.DONE, now=now, actor=actor)
    previous = uow.reminders.find(incident_id=incident.id, kinds=_UPDATE_KINDS)
    close(uow, previous, state=ReminderState.DONE, now=now, actor=actor)
    if update.trigger in (Trigger.POSTMORTEM, Trigger.REOPEN):
        rca = uow.reminders.find(incident_id=incident.id, kinds=_RCA_KINDS)
        done = update.trigger is Trigger.POSTMORTEM
        state = ReminderState.DONE if done else ReminderState.CANCELLED
        close(uow, rca, state=state, now=now, actor=actor)
    cfg = deps.settings.reminders
    if not cfg.enabled:
        return
    if update.next_update_by is not None:
        _plan_next_update(deps, uow, incident=incident, update=update)
    if update.trigger is Trigger.RECOVER and cfg.rca_business_days is not None:
        _plan_rca(deps, uow, incident=incident, recovered_at=now, actor=actor)


def _plan_next_update(deps: Deps, uow: UnitOfWork, *, incident: Incident, update: Update) -> None:
    promised = update.next_update_by
    assert promised is not None
    cfg = deps.settings.reminders
    base = Reminder(
        id=deps.ids(),
        kind=ReminderKind.UPDATE_DUE,
        incident_id=incident.id,
        due_at=promised,
        deadline_at=promised,
        audience=(incident.commander,),
        created_at=update.published_at,
        created_by=update.approver,
    )
    uow.reminders.add(base)
    if cfg.escalate_after_minutes is not None:
        uow.reminders.add(
            Reminder(
                id=deps.ids(),
                kind=ReminderKind.UPDATE_OVERDUE,
                incident_id=incident.id,
                due_at=promised + timedelta(minutes=cfg.escalate_after_minutes),
                deadline_at=promised,
                audience=escalation_audience(deps.settings, incident),
                created_at=update.published_at,
                created_by=update.approver,
            )
        )


def _plan_rca(
    deps: Deps, uow: UnitOfWork, *, incident: Incident, recovered_at: datetime, actor: str
) -> None:
    cfg = deps.settings.reminders
    zone = deps.settings.zone
    deadline = rca_deadline(recovered_at, config=cfg, zone=zone)
    audience = escalation_audience(deps.settings, incident)
    if cfg.rca_remind_before_business_days:
        early = rca_early_reminder(deadline, config=cfg, zone=zone)
        if recovered_at < early < deadline:
            uow.reminders.add(
                Reminder(
                    id=deps.ids(),
                    kind=ReminderKind.RCA_DUE,
                    incident_id=incident.id,
                    due_at=early,
                    deadline_at=deadline,
                    audience=audience,
                    created_at=recovered_at,
                    created_by=actor,
                )
            )
    uow.reminders.add(
        Reminder(
            id=deps.ids(),
            kind=ReminderKind.RCA_OVERDUE,
            incident_id=incident.id,
            due_at=deadline,
            deadline_at=deadline,
            repeat=Repeat.WORKDAYS,
            audience=audience,
            created_at=recovered_at,
            created_by=actor,
        )
    )


def on_incident_changed(deps: Deps, uow: UnitOfWork, *, incident: Incident) -> None:
    """The incident's severity or commander changed: its reminders now go to the right people.

    ``update_due`` to the (new) commander; ``update_overdue`` and the RCA reminders to the
    commander and the comms lead of the (new) severity; approval nudges to that severity's
    approvers. When they fire does not move: the promises behind them were already made.
    Follow-ups keep their owner.

    Raises:
        ConcurrentChange: a reminder kept changing under us (practically never).
    """
    kinds = [k for k in ReminderKind if k is not ReminderKind.FOLLOWUP and not k.maintenance]
    for reminder in uow.reminders.find(incident_id=incident.id, kinds=kinds):
        audience = _audience_now(deps, uow, incident, reminder)
        current = reminder
        for _ in range(_CLOSE_ATTEMPTS):
            if not current.state.active or current.audience == audience:
                break
            if uow.reminders.replace(current, replace(current, audience=audience)):
                break
            current = uow.reminders.get(current.id)
        else:
            raise ConcurrentChange(
                f"reminder {reminder.id} was changed by someone else at the same moment; "
                "nothing was written; try again"
            )


def _audience_now(
    deps: Deps, uow: UnitOfWork, incident: Incident, reminder: Reminder
) -> tuple[str, ...]:
    kind = reminder.kind
    if kind is ReminderKind.UPDATE_DUE:
        return (incident.commander,)
    if kind is ReminderKind.APPROVAL_WAITING and reminder.draft_id is not None:
        author = uow.drafts.get(reminder.draft_id).author
        return _approvers_but(deps.settings, incident, author=author)
    if kind in (ReminderKind.UPDATE_OVERDUE, *_RCA_KINDS):
        return escalation_audience(deps.settings, incident)
    return reminder.audience


def close(
    uow: UnitOfWork,
    reminders: Iterable[Reminder],
    *,
    state: ReminderState,
    now: datetime,
    actor: str,
) -> None:
    """Mark active ``reminders`` done or cancelled, whatever a concurrent claim did to them.

    Raises:
        ConcurrentChange: a reminder kept changing under us (practically never).
    """
    for reminder in reminders:
        current = reminder
        for _ in range(_CLOSE_ATTEMPTS):
            if not current.state.active:
                break
            if uow.reminders.replace(
                current, current.closed(state=state, now=now, actor=actor or "commsbot")
            ):
                break
            current = uow.reminders.get(current.id)
        else:
            raise ConcurrentChange(
                f"reminder {reminder.id} was changed by someone else at the same moment; "
                "nothing was written; try again"
            )
