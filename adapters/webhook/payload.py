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

from commsbot.delivery.ports import Notice, Outbound
from commsbot.delivery.render import render_markdown, render_plain, render_short
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
