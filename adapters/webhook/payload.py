"""The webhook wire format: what a receiver gets, byte for byte, and how it is signed.

The body is the same on every attempt of a delivery (no attempt counter, no send time), so a
receiver may compare it with an earlier request carrying the same ``Idempotency-Key``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from zoneinfo import ZoneInfo

from commsbot.delivery.maintenance_render import (
    maintenance_markdown,
    maintenance_plain,
    maintenance_short,
)
from commsbot.delivery.ports import MaintenanceOutbound, Notice, Outbound
from commsbot.delivery.render import render_markdown, render_plain, render_short
from commsbot.domain.when import iso
from commsbot.services.results import update_dict

#: Bumped only for changes a receiver could trip over (a key removed or its meaning changed).
VERSION = 1
SIGNATURE_HEADER = "X-Commsbot-Signature-256"


def update_payload(item: Outbound, *, zone: ZoneInfo) -> dict[str, Any]:
    """``update.published`` or ``update.corrected``: the incident, the update, three texts."""
    return {
        "version": VERSION,
        "event": "update.corrected" if item.is_correction else "update.published",
        "delivery": {"id": item.delivery_id, "key": item.key},
        "incident": {**item.incident.as_dict(), "url": item.link},
        "update": update_dict(item.update),
        "correction_of": item.correction_of,
        "thread_id": item.thread_id,
        "text": {
            "markdown": render_markdown(item, zone=zone, limit=None),
            "plain": render_plain(item, zone=zone),
            "short": render_short(item),
        },
    }


def maintenance_payload(item: MaintenanceOutbound, *, zone: ZoneInfo) -> dict[str, Any]:
    """``maintenance.published``: a scheduled maintenance as the notice left it, the notice
    (``kind``: announce, start, extend, verify, resume, complete, cancel, progress), three
    texts."""
    post, notice = item.post, item.post.notice
    return {
        "version": VERSION,
        "event": "maintenance.published",
        "delivery": {"id": item.delivery_id, "key": item.key},
        "maintenance": {
            "id": post.maintenance_id,
            "ref": post.ref,
            "title": post.title,
            "status": post.status.value,
            "scheduled_for": iso(post.scheduled_for),
            "scheduled_until": iso(post.scheduled_until),
            "url": post.link,
        },
        "components": {name: status.value for name, status in post.components.items()},
        "notice": {
            "id": notice.id,
            "seq": notice.seq,
            "kind": notice.kind.value,
            "status": notice.status.value,
            "body": notice.body,
            "changes": [
                {"name": c.name, "old": c.old.value, "new": c.new.value} for c in notice.changes
            ],
            "published_at": iso(notice.published_at),
            "automatic": notice.automatic,
        },
        "thread_id": item.thread_id,
        "text": {
            "markdown": maintenance_markdown(item, zone=zone, limit=None),
            "plain": maintenance_plain(item, zone=zone),
            "short": maintenance_short(item),
        },
    }


def notice_payload(notice: Notice) -> dict[str, Any]:
    """``notice``: an internal notice, for a webhook configured as a notifier."""
    return {
        "version": VERSION,
        "event": "notice",
        "delivery": {"key": notice.key},
        "notice": {
            "kind": notice.kind,
            "incident_id": notice.incident_id,
            "incident_ref": notice.incident_ref,
            "text": notice.text,
            "draft_id": notice.draft_id,
            "draft_version": notice.draft_version,
            "reminder_id": notice.reminder_id,
            "audience": list(notice.audience),
            "hint": notice.hint,
        },
    }


def encode(payload: dict[str, Any]) -> bytes:
    """Compact, key-sorted UTF-8 JSON: the same bytes for the same payload."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def sign(body: bytes, secret: bytes) -> str:
    """``sha256=`` + the hex HMAC-SHA256 of the raw body, as GitHub signs its webhooks.

    A receiver recomputes it over the bytes it read and compares in constant time
    (``hmac.compare_digest``).
    """
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
