"""What a delivery sends, frozen when it is planned: the update and its incident, as JSON.

The approving transaction writes this with every delivery of an update (or of a correction),
and destinations render only from it, never from the database as it is when they send. So
every attempt of a delivery sends the same text, even when a correction is approved or a later
update is published while it is still being retried; the correction is a delivery of its own.

The JSON is ``{"incident": …, "components": …, "update": …, "link": …}``. Rows planned before
the update and link were frozen here hold only the first two; :func:`thaw` returns None for
what is missing, and the caller reads it back as it was published.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from commsbot.domain.lifecycle import Status, Trigger
from commsbot.domain.maintenance import MaintenanceStatus, MaintenanceTrigger
from commsbot.domain.model import (
    ComponentChange,
    ComponentStatus,
    Incident,
    IncidentSnapshot,
    Severity,
    Update,
)
from commsbot.maintenance.model import Maintenance, MaintenanceNotice


@dataclass(frozen=True)
class Frozen:
    """A delivery's snapshot, read back. ``update`` and ``link`` are None in older rows."""

    incident: IncidentSnapshot
    update: Update | None
    link: str | None


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def freeze(snap: IncidentSnapshot, update: Update, *, link: str) -> dict[str, Any]:
    """What one delivery of ``update`` sends, as JSON (``snap``: the incident as it leaves it)."""
    return {**incident_json(snap), "update": update_json(update), "link": link}


def thaw(data: dict[str, Any]) -> Frozen:
    """A delivery's snapshot back as domain objects."""
    raw_update = data.get("update")
    return Frozen(
        incident=incident_from_json(data),
        update=None if raw_update is None else update_from_json(raw_update),
        link=data.get("link"),
    )


def incident_json(snap: IncidentSnapshot) -> dict[str, Any]:
    """``snap`` as JSON: the incident and its components' status."""
    i = snap.incident
    return {
        "incident": {
            "id": i.id,
            "number": i.number,
            "title": i.title,
            "severity": i.severity.value,
            "status": i.status.value,
            "components": list(i.components),
            "commander": i.commander,
            "declared_at": _iso(i.declared_at),
            "updated_at": _iso(i.updated_at),
            "resolved_at": _iso(i.resolved_at),
            "published_count": i.published_count,
            "public_title": i.public_title,
            "public_severity": i.public_severity.value if i.public_severity else None,
        },
        "components": {name: status.value for name, status in snap.components.items()},
    }


def incident_from_json(data: dict[str, Any]) -> IncidentSnapshot:
    raw = data["incident"]
    incident = Incident(
        id=raw["id"],
        number=int(raw["number"]),
        title=raw["title"],
        severity=Severity(raw["severity"]),
        status=Status(raw["status"]),
        components=list(raw["components"]),
        commander=raw["commander"],
        declared_at=datetime.fromisoformat(raw["declared_at"]),
        updated_at=datetime.fromisoformat(raw["updated_at"]),
        resolved_at=_time(raw.get("resolved_at")),
        published_count=int(raw.get("published_count", 0)),
        public_title=raw.get("public_title"),
        public_severity=Severity(raw["public_severity"]) if raw.get("public_severity") else None,
    )
    return IncidentSnapshot(
        incident=incident,
        components={n: ComponentStatus(s) for n, s in data.get("components", {}).items()},
    )


def update_json(update: Update) -> dict[str, Any]:
    """Every field of ``update`` (a test checks none is left out)."""
    return {
        "id": update.id,
        "incident_id": update.incident_id,
        "seq": update.seq,
        "status": update.status.value,
        "trigger": update.trigger.value,
        "body": update.body,
        "changes": [
            {"name": c.name, "old": c.old.value, "new": c.new.value} for c in update.changes
        ],
        "author": update.author,
        "approver": update.approver,
        "draft_id": update.draft_id,
        "published_at": _iso(update.published_at),
        "next_update_by": _iso(update.next_update_by),
        "corrected_at": _iso(update.corrected_at),
        "authors": list(update.authors),
        "document": update.document,
        "deliver_notifications": update.deliver_notifications,
    }


def update_from_json(raw: dict[str, Any]) -> Update:
    published = datetime.fromisoformat(raw["published_at"])
    return Update(
        id=raw["id"],
        incident_id=raw["incident_id"],
        seq=int(raw["seq"]),
        status=Status(raw["status"]),
        trigger=Trigger(raw["trigger"]),
        body=raw["body"],
        changes=tuple(
            ComponentChange(
                name=c["name"], old=ComponentStatus(c["old"]), new=ComponentStatus(c["new"])
            )
            for c in raw["changes"]
        ),
        author=raw["author"],
        approver=raw["approver"],
        draft_id=raw["draft_id"],
        published_at=published,
        next_update_by=_time(raw.get("next_update_by")),
        corrected_at=_time(raw.get("corrected_at")),
        authors=tuple(raw.get("authors", ())),
        document=raw.get("document"),
        deliver_notifications=bool(raw.get("deliver_notifications", True)),
    )


# -- scheduled maintenance -------------------------------------------------------------------


def freeze_maintenance(
    maintenance: Maintenance,
    notice: MaintenanceNotice,
    *,
    components: Mapping[str, ComponentStatus],
    link: str,
) -> dict[str, Any]:
    """What one delivery of a maintenance notice sends, as JSON: the maintenance as the notice
    left it, its components' shown status then, the notice, the link."""
    return {
        "maintenance": {
            "id": maintenance.id,
            "number": maintenance.number,
            "title": maintenance.title,
            "status": maintenance.status.value,
            "scheduled_for": _iso(maintenance.scheduled_for),
            "scheduled_until": _iso(maintenance.scheduled_until),
            "components": list(maintenance.components),
        },
        "components": {name: status.value for name, status in components.items()},
        "notice": {
            "id": notice.id,
            "seq": notice.seq,
            "kind": notice.kind.value,
            "status": notice.status.value,
            "body": notice.body,
            "scheduled_for": _iso(notice.scheduled_for),
            "scheduled_until": _iso(notice.scheduled_until),
            "changes": [
                {"name": c.name, "old": c.old.value, "new": c.new.value} for c in notice.changes
            ],
            "author": notice.author,
            "authors": list(notice.authors),
            "approver": notice.approver,
            "draft_id": notice.draft_id,
            "published_at": _iso(notice.published_at),
            "automatic": notice.automatic,
        },
        "link": link,
    }


def thaw_maintenance(data: Mapping[str, Any]) -> MaintenancePost:
    """A maintenance delivery's snapshot back as plain objects."""
    m, n = data["maintenance"], data["notice"]
    return MaintenancePost(
        maintenance_id=m["id"],
        ref=f"MNT-{int(m['number'])}",
        title=m["title"],
        status=MaintenanceStatus(m["status"]),
        scheduled_for=datetime.fromisoformat(m["scheduled_for"]),
        scheduled_until=datetime.fromisoformat(m["scheduled_until"]),
        components={k: ComponentStatus(v) for k, v in data.get("components", {}).items()},
        notice=MaintenanceNotice(
            id=n["id"],
            maintenance_id=m["id"],
            seq=int(n["seq"]),
            kind=MaintenanceTrigger(n["kind"]),
            status=MaintenanceStatus(n["status"]),
            body=n["body"],
            scheduled_for=datetime.fromisoformat(n["scheduled_for"]),
            scheduled_until=datetime.fromisoformat(n["scheduled_until"]),
            author=n["author"],
            authors=tuple(n.get("authors", ())),
            approver=n["approver"],
            draft_id=n.get("draft_id"),
            published_at=datetime.fromisoformat(n["published_at"]),
            changes=tuple(
                ComponentChange(c["name"], ComponentStatus(c["old"]), ComponentStatus(c["new"]))
                for c in n.get("changes", ())
            ),
            automatic=bool(n.get("automatic", False)),
        ),
        link=data["link"],
    )


@dataclass(frozen=True)
class MaintenancePost:
    """A published maintenance notice as a destination receives it.

    Attributes:
        ref: ``MNT-3``, as people name the maintenance.
        status: the maintenance's status as this notice left it.
        scheduled_for / scheduled_until: its window as this notice left it.
        components: its components' shown status as this notice left them (an incident on
            one shows through: the worse of the two).
        notice: what was approved (or, for the bot's own start and end, approved with the
            announcement), ``body`` final.
        link: its page on the status page.
    """

    maintenance_id: str
    ref: str
    title: str
    status: MaintenanceStatus
    scheduled_for: datetime
    scheduled_until: datetime
    components: Mapping[str, ComponentStatus]
    notice: MaintenanceNotice
    link: str
