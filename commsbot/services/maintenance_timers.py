"""The bot's own clock for scheduled maintenance, on the reminder machinery.

A maintenance's timers are reminder rows (kinds ``maintenance_upcoming``, ``_start``, ``_end``
and ``_overrun``; ``incident_id`` names the maintenance), planned in the transaction that
schedules, announces, extends, starts, completes or cancels it (:func:`replan`), and fired by the
reminder scheduler, which claims each row with a conditional UPDATE: a timer fires once across
replicas and restarts, and one that came due while the bot was down fires when it is back.

Firing a start or an end publishes the text approved with the announcement (never a word
nobody approved), in the claiming transaction, through the same outbox as every notice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from commsbot.delivery.ports import Notice
from commsbot.domain.maintenance import MaintenanceStatus, MaintenanceTrigger
from commsbot.maintenance.model import BOT_ACTOR as BOT_ACTOR
from commsbot.maintenance.model import Maintenance
from commsbot.maintenance.render import format_moment, format_window
from commsbot.reminders.model import (
    MAINTENANCE_KINDS,
    Reminder,
    ReminderKind,
    ReminderState,
    Repeat,
)
from commsbot.reminders.notices import NOTICE_KIND, span
from commsbot.services.deps import Deps
from commsbot.services.ports import UnitOfWork
from commsbot.services.reminder_plans import close

K, M = ReminderKind, MaintenanceStatus
MomentFormat = Callable[[datetime], str]


def _key(reminder: Reminder) -> tuple[ReminderKind, datetime | None]:
    # An overrun nudge moves its due time each time it fires; the moment it is about does not.
    return (
        reminder.kind,
        reminder.deadline_at if reminder.kind is K.MAINTENANCE_OVERRUN else reminder.due_at,
    )


def needed(deps: Deps, m: Maintenance, *, actor: str) -> list[Reminder]:
    """The timers ``m`` needs as it stands now (none once it is completed or cancelled)."""
    if m.status.finished:
        return []
    cfg = deps.settings.maintenance
    now = deps.clock.now()

    def timer(kind: ReminderKind, due: datetime, **more: object) -> Reminder:
        return Reminder(
            id=deps.ids(),
            kind=kind,
            incident_id=m.id,
            due_at=due,
            deadline_at=more.pop("deadline", due),  # type: ignore[arg-type]
            created_at=now,
            created_by=actor,
            **more,  # type: ignore[arg-type]
        )

    wanted = []
    if m.status is M.SCHEDULED:
        for before in cfg.reminders_before:
            due = m.scheduled_for - before
            if due > now:
                wanted.append(
                    timer(
                        K.MAINTENANCE_UPCOMING, due, deadline=m.scheduled_for, audience=(m.owner,)
                    )
                )
    if not m.announced:
        return wanted
    if m.status is M.SCHEDULED and m.auto_start:
        wanted.append(timer(K.MAINTENANCE_START, m.scheduled_for))
    if m.auto_complete:
        wanted.append(timer(K.MAINTENANCE_END, m.scheduled_until))
    else:
        wanted.append(_overrun(deps, m, actor=actor, due=m.scheduled_until))
    return wanted


def _overrun(deps: Deps, m: Maintenance, *, actor: str, due: datetime) -> Reminder:
    every = timedelta(minutes=deps.settings.maintenance.overrun_repeat_minutes)
    return Reminder(
        id=deps.ids(),
        kind=K.MAINTENANCE_OVERRUN,
        incident_id=m.id,
        due_at=due,
        deadline_at=m.scheduled_until,
        repeat=Repeat.BACKOFF,
        interval=every,
        audience=(m.owner,),
        created_at=deps.clock.now(),
        created_by=actor,
    )


def replan(deps: Deps, uow: UnitOfWork, m: Maintenance, *, actor: str) -> None:
    """Make ``m``'s timers what it needs now, in the caller's transaction: those that still
    fit stay as they are (a fired overrun nudge keeps its back-off), the others are closed,
    the missing ones are added."""
    wanted = {_key(r): r for r in needed(deps, m, actor=actor)}
    now = deps.clock.now()
    stale = []
    for existing in uow.reminders.find(incident_id=m.id, kinds=MAINTENANCE_KINDS):
        if wanted.pop(_key(existing), None) is None:
            stale.append(existing)
    for reminder in stale:
        state = ReminderState.DONE if reminder.fire_count else ReminderState.CANCELLED
        close(uow, [reminder], state=state, now=now, actor=actor)
    for reminder in wanted.values():
        uow.reminders.add(reminder)


def fire(
    deps: Deps, uow: UnitOfWork, reminder: Reminder, *, now: datetime
) -> tuple[Reminder, Notice] | None:
    """Fire one maintenance timer inside the claiming transaction: claim it, do what it is
    for, and say so. None when another replica claimed it first, or it no longer applies
    (then it is closed, silently)."""
    from commsbot.services import maintenance_publish as publishing

    m = uow.maintenances.find(reminder.incident_id)
    if m is None or m.status.finished:
        close(uow, [reminder], state=ReminderState.DONE, now=now, actor=BOT_ACTOR)
        return None
    kind = reminder.kind
    if (kind is K.MAINTENANCE_START and (m.status is not M.SCHEDULED or not m.announced)) or (
        kind is K.MAINTENANCE_UPCOMING and m.status is not M.SCHEDULED
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
                _overrun(
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


def timers_of(uow: UnitOfWork, m: Maintenance) -> Sequence[Reminder]:
    """Its active timers, soonest first (for ``maintenance show``)."""
    return uow.reminders.find(incident_id=m.id, kinds=MAINTENANCE_KINDS)
