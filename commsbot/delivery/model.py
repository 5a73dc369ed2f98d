"""Deliveries as the services see them: states, kinds, records, the keys destinations dedupe by.

Pure: no I/O, no clock. The store maps these to rows (``commsbot/store/tables/deliveries.py``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

#: Discord's ``nonce`` holds at most 25 characters; every key fits it.
MAX_KEY = 25


class DeliveryState(StrEnum):
    """pending → sending → sent | retrying (→ sending …) | dead."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    RETRYING = "retrying"
    DEAD = "dead"

    @property
    def open(self) -> bool:
        """Still on its way: it blocks later deliveries of the same incident to its target."""
        return self in _OPEN


_OPEN = frozenset({DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.RETRYING})


class DeliveryKind(StrEnum):
    UPDATE = "update"  # a published update, to a destination
    CORRECTION = "correction"  # a correction of a published update, to a destination
    NOTICE = "notice"  # an internal notice, to a notifier
    MAINTENANCE = "maintenance"  # a published scheduled-maintenance notice, to a destination


def delivery_key(kind: DeliveryKind, source_id: str, target: str) -> str:
    """The idempotency key of one delivery: the same on every attempt, ≤ 25 characters.

    ``source_id`` is the update id (updates), the correcting draft's id (corrections), the
    notice id (notices) or the maintenance notice's id; the target's name is hashed so that
    any name fits.

    Example:
        >>> delivery_key(DeliveryKind.UPDATE, "k2v9x0q7ab1c", "status-webhook")
        'uk2v9x0q7ab1c...'  # doctest: +SKIP
    """
    digest = hashlib.sha256(target.encode("utf-8")).hexdigest()[:10]
    key = f"{kind.value[0]}{source_id}{digest}"
    if len(key) > MAX_KEY:
        raise ValueError(f"delivery key {key!r} is longer than {MAX_KEY} characters")
    return key


@dataclass(frozen=True)
class DeliveryRecord:
    """One delivery: one published update (or correction, or notice) to one target.

    Attributes:
        target: the destination's (or notifier's) configured name.
        position: order within (target, incident); None for notices, which keep no order.
        update_id: the update delivered or corrected (None for notices).
        draft_id: the correcting draft (corrections only).
        notice_id: the notice (notices only).
        deadline_at: when it stops being retried and goes dead.
        next_attempt_at: not before this; None means as soon as possible.
        maybe_sent: an earlier attempt may have been applied (ambiguous failure or a crash
            while sending): the next attempt must check before posting again.
    """

    id: str
    kind: DeliveryKind
    target: str
    #: The incident, or the scheduled maintenance, this belongs to: deliveries to one target
    #: go out in order, and in one thread, per incident or maintenance.
    incident_id: str
    key: str
    created_at: datetime
    deadline_at: datetime
    state: DeliveryState = DeliveryState.PENDING
    position: int | None = None
    update_id: str | None = None
    draft_id: str | None = None
    notice_id: str | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    dead_at: datetime | None = None
    last_error: str | None = None
    message_id: str | None = None
    note: str | None = None
    maybe_sent: bool = False
    claimed_by: str | None = None
    claimed_until: datetime | None = None
