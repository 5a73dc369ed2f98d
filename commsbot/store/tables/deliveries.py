"""The outbox: deliveries, the notices they carry, and each target's thread per incident.

Rows change state only through conditional UPDATEs (``… WHERE state = … AND claimed_until …``)
whose row count says who won, so replicas on one PostgreSQL never both send a delivery.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from commsbot.store.tables import ENUM_LENGTH, ID_LENGTH, UTCDateTime

#: Longest destination/notifier name (the configuration allows 64).
TARGET_LENGTH = 64
KEY_LENGTH = 25


class DeliveryRow(SQLModel, table=True):
    """One delivery of an update, a correction or a notice to one destination or notifier."""

    __tablename__ = "delivery"
    __table_args__ = (
        sa.UniqueConstraint("key"),
        # The dispatcher's questions: what is due, and what comes first per target and incident.
        sa.Index("ix_delivery_state_next_attempt_at", "state", "next_attempt_at"),
        sa.Index("ix_delivery_target_incident_id_position", "target", "incident_id", "position"),
    )

    id: str = Field(primary_key=True, max_length=ID_LENGTH)
    kind: str = Field(max_length=ENUM_LENGTH)
    target: str = Field(max_length=TARGET_LENGTH)
    #: The incident, or the scheduled maintenance, the delivery belongs to: deliveries to one
    #: target are ordered, and threaded, per incident or maintenance. No foreign key since
    #: ``0009_maintenance``: it names a row of either table.
    incident_id: str = Field(max_length=ID_LENGTH, index=True)
    position: int | None = None
    update_id: str | None = Field(
        default=None, max_length=ID_LENGTH, foreign_key="incident_update.id", index=True
    )
    draft_id: str | None = Field(default=None, max_length=ID_LENGTH)
    notice_id: str | None = Field(default=None, max_length=ID_LENGTH, foreign_key="notice.id")
    key: str = Field(max_length=KEY_LENGTH)
    state: str = Field(max_length=ENUM_LENGTH)
    attempts: int = 0
    created_at: datetime = Field(sa_type=UTCDateTime)
    deadline_at: datetime = Field(sa_type=UTCDateTime)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dead_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    message_id: str | None = Field(default=None, sa_type=sa.Text)
    note: str | None = Field(default=None, sa_type=sa.Text)
    maybe_sent: bool = False
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: What the delivery sends, frozen when it was planned: the update (or the corrected
    #: update), the incident and its components as of it, the link (``delivery/snapshot.py``).
    snapshot: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)


class NoticeRow(SQLModel, table=True):
    """An internal notice. The dispatcher expands it into one delivery per notifier.

    ``expanded_at`` is None until then: a notice is enqueued without knowing the notifiers
    (``enqueue_notice(uow, notice)``); the dispatcher that expands it claims it atomically.
    """

    __tablename__ = "notice"

    id: str = Field(primary_key=True, max_length=ID_LENGTH)
    #: The incident or the scheduled maintenance the notice is about (see ``DeliveryRow``).
    incident_id: str = Field(max_length=ID_LENGTH, index=True)
    kind: str = Field(max_length=64)
    #: The ``Notice`` fields: text, incident_ref, draft_id, draft_version, reminder_id, audience,
    #: hint.
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    created_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expanded_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)


class DeliveryThreadRow(SQLModel, table=True):
    """What a target answered as ``Receipt.thread_id`` for an incident, passed back later."""

    __tablename__ = "delivery_thread"

    target: str = Field(primary_key=True, max_length=TARGET_LENGTH)
    #: The incident or the scheduled maintenance (see ``DeliveryRow``).
    incident_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    thread_id: str = Field(sa_type=sa.Text)
    updated_at: datetime = Field(sa_type=UTCDateTime)
