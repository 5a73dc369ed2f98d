"""What the maintenance use cases return, and the one JSON shape every surface prints."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from commsbot.domain.model import TimelineEntry
from commsbot.maintenance.model import Maintenance, MaintenanceDraft, MaintenanceNotice


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def maintenance_dict(m: Maintenance) -> dict[str, Any]:
    return {
        "id": m.id,
        "ref": m.ref,
        "title": m.title,
        "status": m.status.value,
        "statuspage_status": m.status.statuspage,
        "scheduled_for": _iso(m.scheduled_for),
        "scheduled_until": _iso(m.scheduled_until),
        "components": list(m.components),
        "owner": m.owner,
        "auto_start": m.auto_start,
        "auto_complete": m.auto_complete,
        "announced": m.announced,
        "announced_at": _iso(m.announced_at),
        "announced_by": m.announced_by,
        "started_at": _iso(m.started_at),
        "completed_at": _iso(m.completed_at),
        "cancelled_at": _iso(m.cancelled_at),
        "start_text": m.start_source or None,
        "end_text": m.end_source or None,
        "sequence": m.sequence,
        "created_at": _iso(m.created_at),
        "updated_at": _iso(m.updated_at),
    }


def draft_dict(d: MaintenanceDraft) -> dict[str, Any]:
    return {
        "id": d.id,
        "maintenance_id": d.maintenance_id,
        "kind": d.kind.value,
        "version": d.version,
        "state": d.state.value,
        "body": d.body,
        "title": d.title,
        "scheduled_for": _iso(d.scheduled_for),
        "scheduled_until": _iso(d.scheduled_until),
        "components": None if d.components is None else list(d.components),
        "start_text": d.start_text,
        "end_text": d.end_text,
        "author": d.author,
        "authors": list(d.authors),
        "last_editor": d.last_editor,
        "created_at": _iso(d.created_at),
        "updated_at": _iso(d.updated_at),
        "decided_by": d.decided_by,
        "decided_at": _iso(d.decided_at),
        "decision_note": d.decision_note,
    }


def notice_dict(n: MaintenanceNotice) -> dict[str, Any]:
    return {
        "id": n.id,
        "maintenance_id": n.maintenance_id,
        "seq": n.seq,
        "kind": n.kind.value,
        "status": n.status.value,
        "statuspage_status": n.status.statuspage,
        "body": n.body,
        "scheduled_for": _iso(n.scheduled_for),
        "scheduled_until": _iso(n.scheduled_until),
        "components": [
            {"name": c.name, "old_status": c.old.value, "new_status": c.new.value}
            for c in n.changes
        ],
        "author": n.author,
        "authors": list(n.authors),
        "approver": n.approver,
        "automatic": n.automatic,
        "published_at": _iso(n.published_at),
    }


@dataclass(frozen=True)
class Scheduled:
    """A new maintenance, its announcement draft, and what the scheduler should know
    (overlaps with other maintenances on the same components: allowed, but said)."""

    maintenance: Maintenance
    draft: MaintenanceDraft
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "maintenance": maintenance_dict(self.maintenance),
            "draft": draft_dict(self.draft),
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class MaintenanceDraftResult:
    """A maintenance and one of its drafts (proposed, edited or rejected)."""

    maintenance: Maintenance
    draft: MaintenanceDraft
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "maintenance": maintenance_dict(self.maintenance),
            "draft": draft_dict(self.draft),
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class MaintenancePublished:
    """A maintenance after a notice was published, the notice, and how many destinations it
    is on its way to."""

    maintenance: Maintenance
    notice: MaintenanceNotice
    deliveries: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "maintenance": maintenance_dict(self.maintenance),
            "notice": notice_dict(self.notice),
            "deliveries": self.deliveries,
        }


@dataclass(frozen=True)
class MaintenanceChanged:
    """A maintenance changed without a public word (cancelled before its announcement)."""

    maintenance: Maintenance

    def as_dict(self) -> dict[str, Any]:
        return {"maintenance": maintenance_dict(self.maintenance)}


@dataclass(frozen=True)
class MaintenanceDetail:
    """Everything ``maintenance show`` tells."""

    maintenance: Maintenance
    notices: Sequence[MaintenanceNotice]
    pending: Sequence[MaintenanceDraft]
    timeline: Sequence[TimelineEntry]
    overlaps: Sequence[str] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "maintenance": maintenance_dict(self.maintenance),
            "notices": [notice_dict(n) for n in self.notices],
            "pending_drafts": [draft_dict(d) for d in self.pending],
            "timeline": [
                {"at": _iso(e.at), "actor": e.actor, "action": e.action, "detail": e.detail}
                for e in self.timeline
            ],
            "overlaps": list(self.overlaps),
        }
