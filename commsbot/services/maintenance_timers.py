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

from commsbot.domain.maintenance import MaintenanceStatus
from commsbot.maintenance.model import BOT_ACTOR as BOT_ACTOR
from commsbot.maintenance.model import Maintenance
from commsbot.reminders.model import (
    MAINTENANCE_KINDS,
    Reminder,
    ReminderKind,
    ReminderState,
    Repeat,
)
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
        wanted.append(overrun(deps, m, actor=actor, due=m.scheduled_until))
    return wanted


def overrun(deps: Deps, m: Maintenance, *, actor: str, due: datetime) -> Reminder:
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


def timers_of(uow: UnitOfWork, m: Maintenance) -> Sequence[Reminder]:
    """Its active timers, soonest first (for ``maintenance show``)."""
    return uow.reminders.find(incident_id=m.id, kinds=MAINTENANCE_KINDS)
