"""What the reminder use cases return, as JSON and as plain text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from commsbot.domain.when import iso
from commsbot.reminders.model import Reminder, ReminderKind
from commsbot.reminders.notices import moment


@dataclass(frozen=True)
class ReminderView:
    """A reminder and the reference of its incident."""

    reminder: Reminder
    incident_ref: str

    def as_dict(self) -> dict[str, Any]:
        r = self.reminder
        return {
            "id": r.id,
            "kind": r.kind.value,
            "incident_id": r.incident_id,
            "incident_ref": self.incident_ref,
            "state": r.state.value,
            "due_at": iso(r.due_at),
            "deadline_at": iso(r.deadline_at),
            "repeat": r.repeat.value,
            "audience": list(r.audience),
            "text": r.text,
            "draft_id": r.draft_id,
            "fire_count": r.fire_count,
            "last_fired_at": iso(r.last_fired_at),
            "snoozed_until": iso(r.snoozed_until),
            "snoozed_by": r.snoozed_by,
            "created_at": iso(r.created_at),
            "created_by": r.created_by,
            "closed_at": iso(r.closed_at),
            "closed_by": r.closed_by,
        }

    def line(self, zone: ZoneInfo) -> str:
        """``abc123def456  INC-1  update due  pending  due Dec 11 3:46 PM PST  for maya``."""
        r = self.reminder
        label = r.text if r.kind is ReminderKind.FOLLOWUP else r.kind.label
        when = f"due {moment(r.due_at, zone)}" if r.state.value == "pending" else r.state.value
        extra = []
        if r.snoozed_until and r.state.value == "pending":
            extra.append(f"snoozed by {r.snoozed_by}")
        if r.fire_count:
            extra.append(f"fired {r.fire_count}×")
        if r.closed_by:
            extra.append(f"by {r.closed_by}")
        who = ", ".join(r.audience) or "the incident channel"
        tail = f" ({'; '.join(extra)})" if extra else ""
        return f"{r.id}  {self.incident_ref:<7} {when:<26} for {who}: {label}{tail}"


def views_dict(key: str, views: Sequence[ReminderView]) -> dict[str, Any]:
    return {key: [v.as_dict() for v in views]}
