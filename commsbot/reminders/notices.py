"""What a fired reminder says: one plain-text notice, complete on its own, per kind."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from commsbot.delivery.ports import Notice
from commsbot.domain.model import Draft, Incident, Update
from commsbot.reminders.model import Reminder, ReminderKind
from commsbot.templates import format_date, format_time

NOTICE_KIND = "reminder"


def span(delta: timedelta) -> str:
    """``45 s``, ``12 min``, ``1 h 5 min``, ``3 days`` (rounded down)."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"


def moment(at: datetime, zone: ZoneInfo) -> str:
    """``Dec 11 3:16 PM PST``."""
    return f"{format_date(at, zone)} {format_time(at, zone)}"


def _waiting(pending: Sequence[Draft]) -> str:
    if not pending:
        return ""
    d = pending[0]
    return f" Draft {d.id} (v{d.version}, by {d.author}) is waiting for approval."


def reminder_text(
    reminder: Reminder,
    *,
    incident: Incident,
    now: datetime,
    zone: ZoneInfo,
    last_update: Update | None = None,
    pending: Sequence[Draft] = (),
    draft: Draft | None = None,
) -> str:
    """The notice text of ``reminder`` firing at ``now``: what is due, not how to type it
    (that is :func:`reminder_hint`)."""
    ref = incident.ref
    head = f"{ref} ({incident.severity.value}, {incident.status.value}) {incident.title}:"
    promised = reminder.deadline_at or reminder.due_at
    kind = reminder.kind
    if kind is ReminderKind.UPDATE_DUE or kind is ReminderKind.UPDATE_OVERDUE:
        late = now - promised
        when = f"is {span(late)} overdue" if late >= timedelta(minutes=1) else "is due now"
        since = ""
        if last_update is not None:
            at = format_time(last_update.published_at, zone)
            since = f"; the last was update #{last_update.seq} at {at}"
        action = _waiting(pending) or " Draft it now."
        return (
            f"{head} the public update promised by {format_time(promised, zone)} {when}"
            f"{since}.{action}"
        )
    if kind is ReminderKind.APPROVAL_WAITING and draft is not None:
        what = "postmortem" if draft.postmortem else draft.status.value
        who = (
            f"any approver but {draft.author}"
            if not reminder.audience
            else ", ".join(reminder.audience)
        )
        return (
            f"{head} draft {draft.id} (v{draft.version}, {what}, by {draft.author}) has waited "
            f"{span(now - draft.created_at)} for approval by {who}. Read it, then approve or "
            "reject it with a reason."
        )
    if kind is ReminderKind.RCA_DUE or kind is ReminderKind.RCA_OVERDUE:
        resolved = incident.resolved_at
        after = f" (recovered {moment(resolved, zone)})" if resolved else ""
        if now < promised:
            state = f"is due {moment(promised, zone)}{after}"
        elif reminder.fire_count == 0:
            state = f"is due now{after}"
        else:
            state = f"is overdue since {moment(promised, zone)}{after}"
        return (
            f"{head} the root-cause analysis we promised {state}. Publish it as the final "
            "update (a postmortem)."
        )
    owner = ", ".join(reminder.audience) or "the team"
    overdue = (
        f" (overdue since {format_date(promised, zone)})"
        if now - promised >= timedelta(days=1)
        else ""
    )
    return (
        f"{head} follow-up for {owner}, due {format_date(promised, zone)}{overdue}: {reminder.text}"
    )


def reminder_hint(
    reminder: Reminder,
    *,
    incident: Incident,
    pending: Sequence[Draft] = (),
    draft: Draft | None = None,
) -> str:
    """How to act on ``reminder`` from the command line, for surfaces without its buttons."""
    ref = incident.ref
    kind = reminder.kind
    if kind is ReminderKind.UPDATE_DUE or kind is ReminderKind.UPDATE_OVERDUE:
        if pending:
            d = pending[0]
            return (
                f"Approve it: commsbot update approve {d.id} --version {d.version} --as <approver>."
            )
        return f"Draft it: commsbot update propose {ref} --as <you>."
    if kind is ReminderKind.APPROVAL_WAITING and draft is not None:
        return (
            f"commsbot update approve {draft.id} --version {draft.version} --as <approver>, or "
            f"commsbot update reject {draft.id} --reason TEXT --as <approver>."
        )
    if kind is ReminderKind.RCA_DUE or kind is ReminderKind.RCA_OVERDUE:
        return f"commsbot update propose {ref} --postmortem --as <you>."
    return f"When it is done: commsbot followup done {reminder.id}."


def reminder_notice(
    reminder: Reminder,
    *,
    incident: Incident,
    text: str,
    hint: str | None = None,
    draft: Draft | None = None,
) -> Notice:
    """The outbox notice for a fired reminder.

    Surfaces add Snooze/Cancel by ``reminder_id``; an approval nudge also carries the draft and
    its version, for Approve/Reject buttons.
    """
    return Notice(
        kind=NOTICE_KIND,
        incident_id=incident.id,
        incident_ref=incident.ref,
        text=text,
        hint=hint,
        draft_id=draft.id if draft else None,
        draft_version=draft.version if draft else None,
        reminder_id=reminder.id,
        audience=reminder.audience,
    )
