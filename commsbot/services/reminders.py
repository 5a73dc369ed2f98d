"""Use cases on reminders and follow-ups, for the CLI and for chat buttons and commands.

Slack and Discord call the same functions as the CLI: ``snooze_reminder`` and
``cancel_reminder`` with the ``reminder_id`` a notice carries, ``add_followup`` /
``complete_followup`` for their follow-up commands.
"""

from __future__ import annotations

from datetime import timedelta

from commsbot.domain.errors import ConcurrentChange, InvalidInput
from commsbot.domain.events import Event
from commsbot.domain.model import TimelineEntry, clean_text
from commsbot.domain.policy import Actor
from commsbot.domain.text import clean_name
from commsbot.reminders.events import (
    FollowupAdded,
    FollowupDone,
    ReminderCancelled,
    ReminderSnoozed,
)
from commsbot.reminders.model import (
    MAX_SNOOZE,
    MAX_TEXT,
    MIN_SNOOZE,
    Reminder,
    ReminderKind,
    ReminderState,
    Repeat,
    parse_due,
)
from commsbot.reminders.notices import moment
from commsbot.reminders.render import ReminderView
from commsbot.services.deps import Deps
from commsbot.services.incidents import record
from commsbot.services.ports import UnitOfWork

_NOT_FOLLOWUPS = tuple(k for k in ReminderKind if k is not ReminderKind.FOLLOWUP)
_OWNER_HINT = "name one person, e.g. --owner alice or --owner slack:U024BE7LH"


def _view(uow: UnitOfWork, reminder: Reminder, refs: dict[str, str] | None = None) -> ReminderView:
    refs = {} if refs is None else refs
    if reminder.incident_id not in refs:
        about = (
            uow.maintenances.get(reminder.incident_id)
            if reminder.kind.maintenance
            else uow.incidents.get(reminder.incident_id)
        )
        refs[reminder.incident_id] = about.ref
    return ReminderView(reminder=reminder, incident_ref=refs[reminder.incident_id])


def _record(uow: UnitOfWork, reminder: Reminder, event: Event) -> None:
    """The event on the timeline of what the reminder is about: an incident or a maintenance."""
    if not reminder.kind.maintenance:
        record(uow, event)
        return
    uow.maintenance_timeline.append(
        TimelineEntry(
            incident_id=event.incident_id,
            at=event.at,
            actor=event.actor,
            action=event.action,
            detail=event.detail,
        )
    )


def _own_timer(reminder: Reminder, attempted: str) -> None:
    """A maintenance's start and end are not reminders to silence: the window decides them."""
    if reminder.kind in (ReminderKind.MAINTENANCE_START, ReminderKind.MAINTENANCE_END):
        raise InvalidInput(
            f"cannot {attempted} {reminder.id}: it is the bot's {reminder.kind.label} of a "
            "scheduled maintenance; move its window instead (commsbot maintenance extend), or "
            "start or complete it yourself (commsbot maintenance start|complete)"
        )


def _list(
    deps: Deps,
    *,
    incident_ref: str | None,
    kinds: tuple[ReminderKind, ...],
    include_closed: bool,
    limit: int,
) -> list[ReminderView]:
    with deps.read() as uow:
        incident_id = uow.incidents.get(incident_ref).id if incident_ref else None
        found = uow.reminders.find(
            incident_id=incident_id, kinds=kinds, active_only=not include_closed, limit=limit
        )
        refs: dict[str, str] = {}
        return [_view(uow, r, refs) for r in found]


def list_reminders(
    deps: Deps, *, incident_ref: str | None = None, include_closed: bool = False, limit: int = 200
) -> list[ReminderView]:
    """Reminders (not follow-ups), soonest due first; only pending and fired ones by default."""
    return _list(
        deps,
        incident_ref=incident_ref,
        kinds=_NOT_FOLLOWUPS,
        include_closed=include_closed,
        limit=limit,
    )


def list_followups(
    deps: Deps, *, incident_ref: str | None = None, include_done: bool = False, limit: int = 200
) -> list[ReminderView]:
    """Follow-ups, soonest due first; only open ones by default."""
    return _list(
        deps,
        incident_ref=incident_ref,
        kinds=(ReminderKind.FOLLOWUP,),
        include_closed=include_done,
        limit=limit,
    )


def snooze_reminder(
    deps: Deps, *, reminder_id: str, duration: timedelta, actor: Actor
) -> ReminderView:
    """Fire again ``duration`` from now; a reminder that already fired is re-armed.

    Raises:
        InvalidInput: ``duration`` is outside 1 minute … 30 days.
        NotFound, AlreadyDecided (done or cancelled), NotAllowed, ConcurrentChange.
    """
    deps.settings.policy().check_respond(actor, "snooze a reminder")
    if not MIN_SNOOZE <= duration <= MAX_SNOOZE:
        raise InvalidInput("a snooze must last from 1 minute to 30 days; e.g. --for 30m")
    now = deps.clock.now()
    until = now + duration
    with deps.uow() as uow:
        old = uow.reminders.get(reminder_id)
        _own_timer(old, "snooze")
        new = old.snoozed(until=until, actor=actor.id)
        _replace(uow, old, new)
        _record(
            uow,
            old,
            ReminderSnoozed(
                incident_id=old.incident_id,
                actor=actor.id,
                at=now,
                reminder=new,
                until=moment(until, deps.settings.zone),
            ),
        )
        view = _view(uow, new)
        uow.commit()
    return view


def cancel_reminder(
    deps: Deps, *, reminder_id: str, actor: Actor, reason: str | None = None
) -> ReminderView:
    """Cancel a reminder (or a follow-up no longer needed): it never fires again.

    Raises:
        NotFound, AlreadyDecided (done or cancelled already), NotAllowed, ConcurrentChange.
    """
    deps.settings.policy().check_respond(actor, "cancel a reminder")
    if reason is not None:
        reason = clean_text(reason, what="reason", limit=MAX_TEXT)
    now = deps.clock.now()
    with deps.uow() as uow:
        old = uow.reminders.get(reminder_id)
        _own_timer(old, "cancel")
        new = old.closed(state=ReminderState.CANCELLED, now=now, actor=actor.id)
        _replace(uow, old, new)
        _record(
            uow,
            old,
            ReminderCancelled(
                incident_id=old.incident_id, actor=actor.id, at=now, reminder=new, reason=reason
            ),
        )
        view = _view(uow, new)
        uow.commit()
    return view


def add_followup(
    deps: Deps, *, incident_ref: str, owner: str, due: str, text: str, actor: Actor
) -> ReminderView:
    """A follow-up action: its owner is reminded on the due date, then each business day,
    until it is done.

    Args:
        owner: who owns it (a name, ``slack:UID``, ``discord:ID``).
        due: ``2024-12-13`` (that day, at the start of business), ``2024-12-13T15:00`` (local),
            ``today``, ``tomorrow``, ``3d``, ``3bd`` (business days).
        text: what is to be done.

    Raises:
        InvalidInput: a bad owner, due date or text. NotFound, NotAllowed.
    """
    deps.settings.policy().check_respond(actor, "add a follow-up")
    owner = clean_name(owner, what="owner", limit=200)
    if any(ch.isspace() for ch in owner):
        raise InvalidInput(f"owner {owner!r} is not a usable name; {_OWNER_HINT}")
    text = clean_text(text, what="follow-up text", limit=MAX_TEXT)
    now = deps.clock.now()
    settings = deps.settings
    due_at = parse_due(due, now=now, config=settings.reminders, zone=settings.zone)
    with deps.uow() as uow:
        incident = uow.incidents.get(incident_ref)
        reminder = Reminder(
            id=deps.ids(),
            kind=ReminderKind.FOLLOWUP,
            incident_id=incident.id,
            due_at=due_at,
            deadline_at=due_at,
            repeat=Repeat.WORKDAYS,
            audience=(owner,),
            text=text,
            created_at=now,
            created_by=actor.id,
        )
        uow.reminders.add(reminder)
        record(
            uow,
            FollowupAdded(
                incident_id=incident.id,
                actor=actor.id,
                at=now,
                reminder=reminder,
                due=moment(due_at, settings.zone),
            ),
        )
        view = ReminderView(reminder=reminder, incident_ref=incident.ref)
        uow.commit()
    return view


def complete_followup(deps: Deps, *, followup_id: str, actor: Actor) -> ReminderView:
    """Mark a follow-up done: its reminders stop.

    Raises:
        InvalidInput: the id is a reminder, not a follow-up. NotFound, AlreadyDecided,
            NotAllowed, ConcurrentChange.
    """
    deps.settings.policy().check_respond(actor, "complete a follow-up")
    now = deps.clock.now()
    with deps.uow() as uow:
        old = uow.reminders.get(followup_id)
        if old.kind is not ReminderKind.FOLLOWUP:
            raise InvalidInput(
                f"{old.id} is a {old.kind.label} reminder, not a follow-up; it ends by itself "
                f"when what it is about happens, or with commsbot reminder cancel {old.id}"
            )
        new = old.closed(state=ReminderState.DONE, now=now, actor=actor.id)
        _replace(uow, old, new)
        record(uow, FollowupDone(incident_id=old.incident_id, actor=actor.id, at=now, reminder=new))
        view = _view(uow, new)
        uow.commit()
    return view


def _replace(uow: UnitOfWork, old: Reminder, new: Reminder) -> None:
    if not uow.reminders.replace(old, new):
        raise ConcurrentChange(
            f"reminder {old.id} fired or was changed by someone else at the same moment; "
            "nothing was written; look at it again (commsbot reminder list) and retry"
        )
