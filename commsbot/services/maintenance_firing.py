"""Firing a scheduled maintenance's timers, inside the reminder scheduler's claiming transaction.

A start or an end publishes the text approved with the announcement (never a word nobody
approved) through the same outbox as every notice; a reminder tells the team. The timers
themselves are planned by :mod:`commsbot.services.maintenance_timers`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from commsbot.delivery.ports import Notice
from commsbot.domain.maintenance import MaintenanceStatus, MaintenanceTrigger
from commsbot.maintenance.model import BOT_ACTOR, Maintenance
from commsbot.maintenance.render import format_moment, format_window
from commsbot.reminders.model import Reminder, ReminderKind, ReminderState
from commsbot.reminders.notices import NOTICE_KIND, span
from commsbot.services import maintenance_publish as publishing
from commsbot.services.deps import Deps
from commsbot.services.maintenance_timers import overrun
from commsbot.services.ports import UnitOfWork
from commsbot.services.reminder_plans import close

K, M = ReminderKind, MaintenanceStatus


def fire(
    deps: Deps, uow: UnitOfWork, reminder: Reminder, *, now: datetime
) -> tuple[Reminder, Notice] | None:
    """Fire one maintenance timer inside the claiming transaction: claim it, do what it is
    for, and say so. None when another replica claimed it first, or it no longer applies
    (then it is closed, silently)."""
    m = uow.maintenances.find(reminder.incident_id)
    if m is None or m.status.finished:
        close(uow, [reminder], state=ReminderState.DONE, now=now, actor=BOT_ACTOR)
        return None
    kind = reminder.kind
    if (kind is K.MAINTENANCE_START and (m.status is not M.SCHEDULED or not m.announced)) or (
        kind is K.MAINTENANCE_UPCOMING and _stale(uow, m, reminder, now=now)
    ):
        close(uow, [reminder], state=ReminderState.DONE, now=now, actor=BOT_ACTOR)
        return None
    settings = deps.settings
    after = reminder.fired(now=now, config=settings.reminders, zone=settings.zone)
    if not uow.reminders.replace(reminder, after):
        return None  # another replica claimed it, or someone snoozed or cancelled it
    zone = settings.zone
    window = format_window(m.scheduled_for, m.scheduled_until, zone)
    head = f"{m.ref} “{m.title}” ({window}):"
    hint: str | None = None
    draft = None
    if kind is K.MAINTENANCE_START:
        done = publishing.publish_now(deps, uow, m, MaintenanceTrigger.START, actor=BOT_ACTOR)
        late = now - reminder.due_at
        when = "on time" if late < timedelta(minutes=1) else f"{span(late)} late (the bot was away)"
        text = (
            f"{head} started {when}: {_names(m)} under maintenance; the start notice approved "
            f"with the announcement is on its way to {_destinations(done.deliveries)}."
        )
    elif kind is K.MAINTENANCE_END and m.status is M.SCHEDULED:
        text = (
            f"{head} its window has ended and it was never started (auto start is off). "
            "Cancel it, or extend its window."
        )
        hint = f"commsbot maintenance cancel {m.ref} or commsbot maintenance extend {m.ref} --end …"
    elif kind is K.MAINTENANCE_END:
        waiting = [
            d
            for d in uow.maintenances.drafts(m.id, pending_only=True)
            if d.kind is MaintenanceTrigger.EXTEND
        ]
        if waiting:
            uow.reminders.add(
                overrun(
                    deps,
                    m,
                    actor=BOT_ACTOR,
                    due=now + timedelta(minutes=settings.maintenance.overrun_repeat_minutes),
                )
            )
            d = waiting[0]
            text = (
                f"{head} its window has ended, but extension draft {d.id} (v{d.version}) waits "
                "for approval, so the bot has not completed it. Approve the extension, or "
                "complete it."
            )
            hint = f"commsbot update approve {d.id} --version {d.version} --as <approver>"
            draft = d
        else:
            done = publishing.publish_now(
                deps, uow, m, MaintenanceTrigger.COMPLETE, actor=BOT_ACTOR
            )
            text = (
                f"{head} completed at the end of its window: {_names(m)} back to what "
                "incidents say they are; the end notice approved with the announcement is on "
                f"its way to {_destinations(done.deliveries)}."
            )
    elif kind is K.MAINTENANCE_OVERRUN:
        text = (
            f"{head} still {m.status.value.replace('_', ' ')} {span(now - m.scheduled_until)} "
            f"after its window ended at {format_moment(m.scheduled_until, zone)}. Complete it, or "
            "extend its window (an approved notice)."
        )
        hint = (
            f"commsbot maintenance complete {m.ref} or commsbot maintenance extend {m.ref} --end …"
        )
    else:
        text = _upcoming(uow, m, head=head, now=now)
    notice = Notice(
        kind=NOTICE_KIND,
        incident_id=m.id,
        incident_ref=m.ref,
        text=text,
        hint=hint,
        # Snooze/Cancel only on nudges: the start and the end are the maintenance's own.
        reminder_id=reminder.id
        if kind in (K.MAINTENANCE_UPCOMING, K.MAINTENANCE_OVERRUN)
        else None,
        draft_id=draft.id if draft else None,
        draft_version=draft.version if draft else None,
        audience=after.audience,
    )
    publishing.note(uow, m, at=now, actor=BOT_ACTOR, action="reminder_fired", detail=text)
    return after, notice


def _stale(uow: UnitOfWork, m: Maintenance, reminder: Reminder, *, now: datetime) -> bool:
    """A reminder before the start that no longer says anything: the window has begun, or a
    later one is due too (after the bot was away: the team hears the nearest only)."""
    if m.status is not M.SCHEDULED or now >= m.scheduled_for:
        return True
    later = uow.reminders.find(incident_id=m.id, kinds=(K.MAINTENANCE_UPCOMING,))
    return any(reminder.due_at < r.due_at <= now for r in later if r.id != reminder.id)


def _upcoming(uow: UnitOfWork, m: Maintenance, *, head: str, now: datetime) -> str:
    text = f"{head} starts in {span(m.scheduled_for - now)}, on {_names(m)}."
    if not m.announced:
        waiting = [
            d
            for d in uow.maintenances.drafts(m.id, pending_only=True)
            if d.kind is MaintenanceTrigger.ANNOUNCE
        ]
        which = f" (draft {waiting[0].id} v{waiting[0].version})" if waiting else ""
        return (
            f"{text} Its announcement{which} still waits for approval: nothing has been "
            "published, and the bot will not start it until it is."
        )
    start = "The bot starts it then." if m.auto_start else "Start it then (auto start is off)."
    return f"{text} {start}"


def _names(m: Maintenance) -> str:
    return ", ".join(m.components) or "no component"


def _destinations(count: int) -> str:
    return f"{count} destination{'s' if count != 1 else ''}"
