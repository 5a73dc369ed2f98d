"""Firing due reminders: claim each row, hand its notice to the outbox, note it on the timeline.

All three happen in one transaction per batch. A claim is a conditional UPDATE that only one
transaction can win (see :meth:`ReminderRepository.replace`), so with several replicas on one
PostgreSQL every reminder fires once; on PostgreSQL the batch's rows are also locked with
``SKIP LOCKED``, so replicas share the due reminders instead of queueing behind each other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from commsbot.delivery.ports import Notice
from commsbot.domain.lifecycle import Status, Trigger
from commsbot.domain.model import Draft, DraftState, Incident, Update
from commsbot.reminders.events import ReminderFired
from commsbot.reminders.model import BOT_ACTOR, Reminder, ReminderKind, ReminderState
from commsbot.reminders.notices import reminder_hint, reminder_notice, reminder_text
from commsbot.services import maintenance_firing
from commsbot.services.deps import Deps
from commsbot.services.incidents import record
from commsbot.services.ports import UnitOfWork
from commsbot.services.reminder_plans import close

log = logging.getLogger("commsbot.reminders")

#: Hands a notice to the outbox inside the caller's transaction (:func:`~.outbox.enqueue_notice`);
#: it is written only if that transaction commits.
Enqueue = Callable[[UnitOfWork, Notice], object]

#: Reminders claimed per transaction: short transactions, few round trips.
DEFAULT_BATCH = 100


@dataclass(frozen=True)
class Fired:
    """A reminder that fired: the row as written after firing, and the notice it sent."""

    reminder: Reminder
    notice: Notice
    due_at: datetime
    fired_at: datetime


def fire_due(
    deps: Deps, *, enqueue: Enqueue | None = None, batch: int = DEFAULT_BATCH
) -> list[Fired]:
    """Fire every reminder due now, each exactly once across processes.

    Args:
        enqueue: hands each notice to the outbox inside the claiming transaction; None when
            the caller shows the returned notices itself, after the commit.
        batch: reminders claimed per transaction.

    Returns:
        What this process fired (another replica's share is not in it).
    """
    return fire_and_look_ahead(deps, enqueue=enqueue, batch=batch).fired


@dataclass(frozen=True)
class Tick:
    """What one pass fired, when it last looked, and when the next pending reminder is due."""

    fired: list[Fired]
    looked_at: datetime
    next_due: datetime | None

    @property
    def stuck(self) -> bool:
        """Something was due when it looked and nothing fired: held by another replica, or
        failing (and logged). Looking again at once would only spin."""
        return not self.fired and self.next_due is not None and self.next_due <= self.looked_at


def fire_and_look_ahead(
    deps: Deps,
    *,
    enqueue: Enqueue | None = None,
    batch: int = DEFAULT_BATCH,
    is_outage: Callable[[BaseException], bool] = lambda exc: False,
) -> Tick:
    """:func:`fire_due`, and when the next pending reminder is due after that, read in the last
    firing transaction: a scheduler tick is one transaction when little is due.

    Args:
        is_outage: whether an exception means the database is unusable; such a failure is
            raised at once for the caller to report (once), not retried reminder by reminder.
    """
    fired: list[Fired] = []
    while True:
        now = deps.clock.now()
        upcoming: datetime | None = None
        try:
            with deps.uow() as uow:
                due = uow.reminders.due(now, limit=batch)
                done = _fire_batch(deps, uow, due, now=now, enqueue=enqueue)
                last = len(due) < batch
                if last:
                    upcoming = uow.reminders.next_due()
                uow.commit()
        except Exception as exc:
            if is_outage(exc):
                raise  # not one bad reminder: every one would fail the same way
            # One bad reminder must not hold back the others: retry the batch one by one.
            log.exception("firing a batch of reminders failed; retrying them one at a time")
            done = _fire_singly(deps, now=now, enqueue=enqueue, limit=batch, is_outage=is_outage)
            fired += done
            if not done:
                return Tick(fired=fired, looked_at=now, next_due=next_due(deps))
            continue
        fired += done
        if last:
            return Tick(fired=fired, looked_at=now, next_due=upcoming)


def _fire_singly(
    deps: Deps,
    *,
    now: datetime,
    enqueue: Enqueue | None,
    limit: int,
    is_outage: Callable[[BaseException], bool],
) -> list[Fired]:
    with deps.uow() as uow:  # not a reader: on PostgreSQL due() locks rows
        ids = [r.id for r in uow.reminders.due(now, limit=limit)]
    fired: list[Fired] = []
    for reminder_id in ids:
        try:
            with deps.uow() as uow:
                fresh = uow.reminders.get(reminder_id)
                if fresh.state is not ReminderState.PENDING or fresh.due_at > now:
                    continue
                fired += _fire_batch(deps, uow, [fresh], now=now, enqueue=enqueue)
                uow.commit()
        except Exception as exc:
            if is_outage(exc):
                raise
            log.exception(
                "reminder %s could not be fired; it stays due",
                reminder_id,
                extra={"reminder_id": reminder_id},
            )
    return fired


class _Context:
    """What the notices of one batch read about an incident: each read at most once per batch,
    and only by the kinds of reminder that need it."""

    def __init__(self, uow: UnitOfWork, incident: Incident) -> None:
        self._uow = uow
        self.incident = incident

    @cached_property
    def updates(self) -> Sequence[Update]:
        return self._uow.updates.for_incident(self.incident.id)

    @cached_property
    def pending(self) -> Sequence[Draft]:
        return self._uow.drafts.for_incident(self.incident.id, pending_only=True)


def _fire_batch(
    deps: Deps,
    uow: UnitOfWork,
    due: Sequence[Reminder],
    *,
    now: datetime,
    enqueue: Enqueue | None,
) -> list[Fired]:
    fired: list[Fired] = []
    contexts: dict[str, _Context] = {}
    for reminder in due:
        if reminder.kind.maintenance:
            done = maintenance_firing.fire(deps, uow, reminder, now=now)
            if done is not None:
                after, notice = done
                if enqueue is not None:
                    enqueue(uow, notice)
                fired.append(
                    Fired(reminder=after, notice=notice, due_at=reminder.due_at, fired_at=now)
                )
            continue
        ctx = contexts.get(reminder.incident_id)
        if ctx is None:
            incident = uow.incidents.get(reminder.incident_id)
            ctx = contexts[incident.id] = _Context(uow, incident)
        one = _fire_one(deps, uow, reminder, ctx=ctx, now=now, enqueue=enqueue)
        if one is not None:
            fired.append(one)
    return fired


def _fire_one(
    deps: Deps,
    uow: UnitOfWork,
    reminder: Reminder,
    *,
    ctx: _Context,
    now: datetime,
    enqueue: Enqueue | None,
) -> Fired | None:
    incident = ctx.incident
    draft = uow.drafts.get(reminder.draft_id) if reminder.draft_id else None
    settled = _settled(reminder, ctx=ctx, draft=draft)
    if settled is not None:
        # What it was about already happened (or no longer applies): close it, say nothing.
        close(uow, [reminder], state=settled, now=now, actor=BOT_ACTOR)
        return None
    settings = deps.settings
    after = reminder.fired(now=now, config=settings.reminders, zone=settings.zone)
    if not uow.reminders.replace(reminder, after):
        return None  # another replica claimed it, or someone snoozed or cancelled it
    about_updates = reminder.kind in (ReminderKind.UPDATE_DUE, ReminderKind.UPDATE_OVERDUE)
    text = reminder_text(
        reminder,
        incident=incident,
        now=now,
        zone=settings.zone,
        last_update=ctx.updates[-1] if about_updates and ctx.updates else None,
        pending=ctx.pending if about_updates else (),
        draft=draft,
    )
    hint = reminder_hint(
        reminder, incident=incident, pending=ctx.pending if about_updates else (), draft=draft
    )
    notice = reminder_notice(after, incident=incident, text=text, hint=hint, draft=draft)
    if enqueue is not None:
        enqueue(uow, notice)
    record(
        uow,
        ReminderFired(incident_id=incident.id, actor=BOT_ACTOR, at=now, reminder=after, text=text),
    )
    return Fired(reminder=after, notice=notice, due_at=reminder.due_at, fired_at=now)


def _settled(reminder: Reminder, *, ctx: _Context, draft: Draft | None) -> ReminderState | None:
    """DONE/CANCELLED when the reminder no longer has a reason to fire, else None.

    The use cases close reminders as they go; this guards against what they could not see
    (rows planned before an upgrade, a reopen racing a firing).
    """
    kind = reminder.kind
    recovered = ctx.incident.status is Status.RECOVERED
    if kind is ReminderKind.APPROVAL_WAITING:
        return None if draft is None or draft.state is DraftState.PENDING else ReminderState.DONE
    if kind in (ReminderKind.UPDATE_DUE, ReminderKind.UPDATE_OVERDUE):
        return ReminderState.DONE if recovered else None
    if kind in (ReminderKind.RCA_DUE, ReminderKind.RCA_OVERDUE):
        if not recovered:
            return ReminderState.CANCELLED
        if any(u.trigger is Trigger.POSTMORTEM for u in ctx.updates):
            return ReminderState.DONE
    return None


def next_due(deps: Deps) -> datetime | None:
    """When the next pending reminder is due (None: none is)."""
    with deps.read() as uow:
        return uow.reminders.next_due()
