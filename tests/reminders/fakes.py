"""An in-memory reminder repository with the SQL one's contract (used by tests/unit/fakes.py)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime

from commsbot.domain.errors import NotFound
from commsbot.reminders.model import Reminder, ReminderKind, ReminderState
from commsbot.reminders.ports import ReminderRepository


class FakeReminderRepository:
    def __init__(self, rows: dict[str, Reminder]) -> None:
        self.rows = rows

    def add(self, reminder: Reminder) -> None:
        if reminder.id in self.rows:
            raise ValueError(f"reminder {reminder.id} exists")
        self.rows[reminder.id] = reminder

    def get(self, reminder_id: str) -> Reminder:
        try:
            return self.rows[reminder_id.strip()]
        except KeyError:
            raise NotFound(f"there is no reminder {reminder_id!r}") from None

    def replace(self, old: Reminder, new: Reminder) -> bool:
        current = self.rows.get(old.id)
        if current is None or (current.version, current.state, current.due_at) != (
            old.version,
            old.state,
            old.due_at,
        ):
            return False
        self.rows[old.id] = replace(new, version=old.version + 1)
        return True

    def find(
        self,
        *,
        incident_id: str | None = None,
        kinds: Collection[ReminderKind] = (),
        draft_id: str | None = None,
        active_only: bool = True,
        limit: int = 500,
    ) -> Sequence[Reminder]:
        found = [
            r
            for r in self.rows.values()
            if (incident_id is None or r.incident_id == incident_id)
            and (not kinds or r.kind in kinds)
            and (draft_id is None or r.draft_id == draft_id)
            and (not active_only or r.state.active)
        ]
        return sorted(found, key=lambda r: (r.due_at, r.id))[:limit]

    def due(self, now: datetime, *, limit: int) -> Sequence[Reminder]:
        found = [
            r for r in self.rows.values() if r.state is ReminderState.PENDING and r.due_at <= now
        ]
        return sorted(found, key=lambda r: (r.due_at, r.id))[:limit]

    def next_due(self) -> datetime | None:
        pending = [r.due_at for r in self.rows.values() if r.state is ReminderState.PENDING]
        return min(pending, default=None)


# The fake cannot drift from the port: mypy checks it against the Protocol here.
_repository: ReminderRepository = FakeReminderRepository({})
