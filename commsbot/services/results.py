"""What the use cases return: plain snapshots, plus the one JSON shape every surface prints."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from commsbot.delivery.model import DeliveryRecord
from commsbot.domain.model import Draft, IncidentSnapshot, TimelineEntry, Update
from commsbot.domain.when import iso
from commsbot.subscriptions.fanout import Fanout
from commsbot.subscriptions.model import Subscriber


def draft_dict(draft: Draft) -> dict[str, Any]:
    return {
        "id": draft.id,
        "incident_id": draft.incident_id,
        "version": draft.version,
        "state": draft.state.value,
        "status": draft.status.value,
        "postmortem": draft.postmortem,
        "body": draft.body,
        "body_source": draft.body_source,
        "next_update_by": iso(draft.next_update_by),
        "component_changes": {n: s.value for n, s in draft.component_changes.items()},
        "reason": draft.reason,
        "corrects": draft.corrects,
        "author": draft.author,
        "authors": list(draft.authors),
        "last_editor": draft.last_editor,
        "created_at": iso(draft.created_at),
        "updated_at": iso(draft.updated_at),
        "decided_by": draft.decided_by,
        "decided_at": iso(draft.decided_at),
        "decision_note": draft.decision_note,
        "document": draft.document,
    }


def update_dict(update: Update) -> dict[str, Any]:
    return {
        "id": update.id,
        "incident_id": update.incident_id,
        "seq": update.seq,
        "status": update.status.value,
        "statuspage_status": update.statuspage_status,
        "body": update.body,
        "components": [
            {"name": c.name, "old_status": c.old.value, "new_status": c.new.value}
            for c in update.changes
        ],
        "author": update.author,
        "authors": list(update.authors),
        "approver": update.approver,
        "published_at": iso(update.published_at),
        "next_update_by": iso(update.next_update_by),
        "corrected_at": iso(update.corrected_at),
        "document": update.document,
        "deliver_notifications": update.deliver_notifications,
    }


def timeline_dict(entry: TimelineEntry) -> dict[str, Any]:
    return {
        "at": iso(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "detail": entry.detail,
    }


@dataclass(frozen=True)
class Declared:
    incident: IncidentSnapshot
    draft: Draft

    def as_dict(self) -> dict[str, Any]:
        return {"incident": self.incident.as_dict(), "draft": draft_dict(self.draft)}


@dataclass(frozen=True)
class IncidentEdited:
    """An incident after an edit, and what changed: ``retitled``, ``severity``, ``handoff``."""

    incident: IncidentSnapshot
    changed: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"incident": self.incident.as_dict(), "changed": list(self.changed)}


@dataclass(frozen=True)
class Published:
    incident: IncidentSnapshot
    update: Update

    def as_dict(self) -> dict[str, Any]:
        return {"incident": self.incident.as_dict(), "update": update_dict(self.update)}


@dataclass(frozen=True)
class DraftResult:
    incident: IncidentSnapshot
    draft: Draft

    def as_dict(self) -> dict[str, Any]:
        return {"incident": self.incident.as_dict(), "draft": draft_dict(self.draft)}


def delivery_dict(record: DeliveryRecord) -> dict[str, Any]:
    """One delivery as the ledger shows it (``incident show``, ``delivery list``)."""
    return {
        "id": record.id,
        "kind": record.kind.value,
        "target": record.target,
        "state": record.state.value,
        "attempts": record.attempts,
        "created_at": iso(record.created_at),
        "last_attempt_at": iso(record.last_attempt_at),
        "next_attempt_at": iso(record.next_attempt_at),
        "sent_at": iso(record.sent_at),
        "dead_at": iso(record.dead_at),
        "deadline_at": iso(record.deadline_at),
        "last_error": record.last_error,
        "message_id": record.message_id,
        "note": record.note,
        "maybe_sent": record.maybe_sent,
        "incident_id": record.incident_id,
        "update_id": record.update_id,
    }


@dataclass(frozen=True)
class IncidentDetail:
    """Everything ``show`` tells: status, components, updates, pending drafts, timeline, and
    each update's deliveries (update id → deliveries of it and of its corrections)."""

    incident: IncidentSnapshot
    updates: Sequence[Update]
    pending: Sequence[Draft]
    timeline: Sequence[TimelineEntry]
    deliveries: Mapping[str, Sequence[DeliveryRecord]] = field(default_factory=dict)
    #: Update id → its subscriber fan-outs (and its corrections'), with their counts.
    subscribers: Mapping[str, Sequence[Fanout]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "incident": self.incident.as_dict(),
            "updates": [
                {
                    **update_dict(u),
                    "deliveries": [delivery_dict(r) for r in self.deliveries.get(u.id, ())],
                    "subscribers": [fanout_dict(f) for f in self.subscribers.get(u.id, ())],
                }
                for u in self.updates
            ],
            "pending_drafts": [draft_dict(d) for d in self.pending],
            "timeline": [timeline_dict(e) for e in self.timeline],
        }


def subscriber_dict(sub: Subscriber) -> dict[str, Any]:
    """A subscriber as listings show it (no consent hashes, no webhook secret)."""
    return {
        "id": sub.id,
        "kind": sub.kind.value,
        "address": sub.address,
        "components": sorted(sub.components, key=str.casefold),
        "state": sub.state.value,
        "created_at": iso(sub.created_at),
        "confirmed_at": iso(sub.confirmed_at),
        "source": sub.consent.source.value,
        "owner_email": sub.owner_email,
        "state_changed_at": iso(sub.state_changed_at),
        "state_reason": sub.state_reason,
    }


def fanout_dict(fanout: Fanout) -> dict[str, Any]:
    """A subscriber fan-out as the ledger shows it: one row per published notice, with where
    its subscribers stand (``sent``, ``pending``: not reached yet or being retried,
    ``failed``, ``undeliverable``)."""
    return {
        "id": fanout.id,
        "kind": fanout.kind.value,
        "incident": fanout.subject_ref,
        "update_id": fanout.update_id,
        "notice_id": fanout.notice_id,
        "state": fanout.state.value,
        "planned": fanout.planned,
        **fanout.counts.as_dict(),
        "paused_until": iso(fanout.paused_until),
        "last_error": fanout.last_error,
        "created_at": iso(fanout.created_at),
        "finished_at": iso(fanout.finished_at),
    }
