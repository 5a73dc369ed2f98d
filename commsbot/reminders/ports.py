"""The reminders' repository port; ``UnitOfWork.reminders`` implements it."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from commsbot.reminders.model import Reminder, ReminderKind


class ReminderRepository(Protocol):
    def add(self, reminder: Reminder) -> None: ...

    def get(self, reminder_id: str) -> Reminder:
        """Raises NotFound."""
        ...

    def replace(self, old: Reminder, new: Reminder) -> bool:
        """Write ``new`` where the row is still exactly ``old`` (same version, state and due
        time); False, writing nothing, when someone else changed or claimed it meanwhile."""
        ...

    def find(
        self,
        *,
        incident_id: str | None = None,
        kinds: Collection[ReminderKind] = (),
        draft_id: str | None = None,
        active_only: bool = True,
        limit: int = 500,
    ) -> Sequence[Reminder]:
        """Soonest due first. Active means pending or fired (not done, not cancelled)."""
        ...

    def due(self, now: datetime, *, limit: int) -> Sequence[Reminder]:
        """Pending reminders due at or before ``now``, oldest due first.

        On PostgreSQL the rows are locked for this transaction, skipping rows another
        transaction holds, so replicas firing at once share the work instead of queueing.
        """
        ...

    def next_due(self) -> datetime | None:
        """The earliest due time of any pending reminder."""
        ...
