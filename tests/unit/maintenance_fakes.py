"""In-memory fakes of the maintenance ports: same contract as ``commsbot.store.maintenance``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from commsbot.domain.errors import ConcurrentChange, NotFound
from commsbot.domain.model import TimelineEntry
from commsbot.maintenance.model import Maintenance, MaintenanceDraft, MaintenanceNotice


@dataclass
class MaintenanceData:
    maintenances: dict[str, Maintenance] = field(default_factory=dict)
    drafts: dict[str, MaintenanceDraft] = field(default_factory=dict)
    notices: list[MaintenanceNotice] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)


class FakeMaintenances:
    def __init__(self, data: MaintenanceData) -> None:
        self.data = data

    def add(self, maintenance: Maintenance) -> None:
        if any(m.number == maintenance.number for m in self.data.maintenances.values()):
            raise ConcurrentChange(f"maintenance number {maintenance.number} was taken meanwhile")
        self.data.maintenances[maintenance.id] = maintenance

    def get(self, ref: str) -> Maintenance:
        key = ref.strip().upper().removeprefix("MNT-")
        for m in self.data.maintenances.values():
            if ref == m.id or key == str(m.number):
                return m
        raise NotFound(f"no maintenance {ref!r}")

    def find(self, maintenance_id: str) -> Maintenance | None:
        return self.data.maintenances.get(maintenance_id)

    def list(
        self,
        *,
        open_only: bool = False,
        announced_only: bool = False,
        since: datetime | None = None,
        limit: int = 100,
    ) -> Sequence[Maintenance]:
        items = sorted(
            self.data.maintenances.values(), key=lambda m: (m.scheduled_for, m.number), reverse=True
        )
        if open_only:
            items = [m for m in items if not m.status.finished]
        if announced_only:
            items = [m for m in items if m.announced]
        if since is not None:
            items = [
                m
                for m in items
                if not m.status.finished
                or m.scheduled_until > since
                or (m.ended_at or since) > since
            ]
        return items[: max(limit, 0)]

    def save(self, maintenance: Maintenance) -> None:
        self.data.maintenances[maintenance.id] = maintenance

    def next_number(self) -> int:
        return max((m.number for m in self.data.maintenances.values()), default=0) + 1

    def add_draft(self, draft: MaintenanceDraft) -> None:
        self.data.drafts[draft.id] = draft

    def get_draft(self, draft_id: str) -> MaintenanceDraft:
        try:
            return self.data.drafts[draft_id]
        except KeyError:
            raise NotFound(f"no maintenance draft {draft_id}") from None

    def drafts(
        self, maintenance_id: str, *, pending_only: bool = False
    ) -> Sequence[MaintenanceDraft]:
        items = [d for d in self.data.drafts.values() if d.maintenance_id == maintenance_id]
        if pending_only:
            items = [d for d in items if d.state.value == "pending"]
        return sorted(items, key=lambda d: d.created_at)

    def save_draft(self, draft: MaintenanceDraft) -> None:
        self.data.drafts[draft.id] = draft

    def add_notice(self, notice: MaintenanceNotice) -> None:
        self.data.notices.append(notice)

    def notices(self, maintenance_ids: Sequence[str]) -> dict[str, tuple[MaintenanceNotice, ...]]:
        return {
            i: tuple(n for n in self.data.notices if n.maintenance_id == i) for i in maintenance_ids
        }


class FakeMaintenanceTimeline:
    def __init__(self, data: MaintenanceData) -> None:
        self.data = data

    def append(self, entry: TimelineEntry) -> None:
        self.data.timeline.append(entry)

    def for_maintenance(self, maintenance_id: str) -> Sequence[TimelineEntry]:
        return [e for e in self.data.timeline if e.incident_id == maintenance_id]
