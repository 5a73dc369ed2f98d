"""What the maintenance use cases need from storage. ``commsbot.store.maintenance`` implements
it; the unit of work carries one as ``uow.maintenances``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from commsbot.domain.model import TimelineEntry
from commsbot.maintenance.model import Maintenance, MaintenanceDraft, MaintenanceNotice


class MaintenanceRepository(Protocol):
    """Maintenances, their drafts, published notices and timeline (one aggregate)."""

    def add(self, maintenance: Maintenance) -> None:
        """Insert a new one; a number taken meanwhile raises ``ConcurrentChange``."""
        ...

    def get(self, ref: str) -> Maintenance:
        """By id, number (``3``) or reference (``MNT-3``); raises NotFound."""
        ...

    def find(self, maintenance_id: str) -> Maintenance | None:
        """By exact id, None when no maintenance has it (the outbox asks of a row's subject)."""
        ...

    def list(
        self,
        *,
        open_only: bool = False,
        announced_only: bool = False,
        since: datetime | None = None,
        limit: int = 100,
    ) -> Sequence[Maintenance]:
        """Latest window first. ``open_only``: neither completed nor cancelled;
        ``announced_only``: public ones; ``since``: the open ones and those whose window (or
        end) came after it."""
        ...

    def save(self, maintenance: Maintenance) -> None:
        """Write changes to one loaded in this unit of work (optimistically locked)."""
        ...

    def next_number(self) -> int: ...

    def add_draft(self, draft: MaintenanceDraft) -> None: ...

    def get_draft(self, draft_id: str) -> MaintenanceDraft:
        """Raises NotFound."""
        ...

    def drafts(
        self, maintenance_id: str, *, pending_only: bool = False
    ) -> Sequence[MaintenanceDraft]:
        """Oldest first."""
        ...

    def save_draft(self, draft: MaintenanceDraft) -> None: ...

    def add_notice(self, notice: MaintenanceNotice) -> None:
        """Store a published notice (never changed afterwards)."""
        ...

    def notices(self, maintenance_ids: Sequence[str]) -> dict[str, tuple[MaintenanceNotice, ...]]:
        """Each maintenance's published notices, oldest first."""
        ...


class MaintenanceTimeline(Protocol):
    """A maintenance's append-only timeline (``TimelineEntry.incident_id`` holds its id)."""

    def append(self, entry: TimelineEntry) -> None: ...

    def for_maintenance(self, maintenance_id: str) -> Sequence[TimelineEntry]:
        """Oldest first."""
        ...
