"""What happened to reminders, for the incident's timeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from commsbot.domain.events import Event
from commsbot.reminders.model import Reminder


def _for(reminder: Reminder) -> str:
    return ", ".join(reminder.audience) or "the incident channel"


@dataclass(frozen=True)
class ReminderFired(Event):
    reminder: Reminder
    text: str

    action: ClassVar[str] = "reminded"

    @property
    def detail(self) -> str:
        r = self.reminder
        return f"{r.kind.label} reminder {r.id} (#{r.fire_count}) to {_for(r)}: {self.text}"


@dataclass(frozen=True)
class ReminderSnoozed(Event):
    reminder: Reminder
    until: str

    action: ClassVar[str] = "snoozed"

    @property
    def detail(self) -> str:
        return f"{self.reminder.kind.label} reminder {self.reminder.id} until {self.until}"


@dataclass(frozen=True)
class ReminderCancelled(Event):
    reminder: Reminder
    reason: str | None = None

    action: ClassVar[str] = "reminder cancelled"

    @property
    def detail(self) -> str:
        why = f": {self.reason}" if self.reason else ""
        return f"{self.reminder.kind.label} reminder {self.reminder.id}{why}"


@dataclass(frozen=True)
class FollowupAdded(Event):
    reminder: Reminder
    due: str

    action: ClassVar[str] = "follow-up"

    @property
    def detail(self) -> str:
        r = self.reminder
        return f"follow-up {r.id} for {_for(r)}, due {self.due}: {r.text}"


@dataclass(frozen=True)
class FollowupDone(Event):
    reminder: Reminder

    action: ClassVar[str] = "follow-up done"

    @property
    def detail(self) -> str:
        return f"follow-up {self.reminder.id}: {self.reminder.text}"
