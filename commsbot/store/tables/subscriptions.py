"""Subscribers, the fan-out of published notices to them, their one-off emails and the sign-up
windows. Migration: ``migrations/versions/0010_subscriptions.py``.

Nothing here is written to the timeline (which is append-only): a subscriber who asks to be
forgotten leaves no trace once their rows here are deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from commsbot.store.tables import ENUM_LENGTH, ID_LENGTH, UTCDateTime

SUBSCRIBER_VERSION = sa.Column("version", sa.Integer, nullable=False)
#: An email address (254) or a webhook URL (2,000).
ADDRESS_LENGTH = 2000
HASH_LENGTH = 64


class SubscriberRow(SQLModel, table=True):
    """One email address or webhook URL that asked for updates (``subscriptions/model.py``)."""

    __tablename__ = "subscriber"
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": SUBSCRIBER_VERSION}
    __table_args__ = (
        sa.UniqueConstraint("kind", "address_key"),
        # The fan-out's question: confirmed subscribers after a cursor, in id order.
        sa.Index("ix_subscriber_state_id", "state", "id"),
    )

    id: str = Field(primary_key=True, max_length=ID_LENGTH)
    kind: str = Field(max_length=ENUM_LENGTH)
    address: str = Field(max_length=ADDRESS_LENGTH)
    #: ``addresses.address_key(address)``: what uniqueness and look-ups compare.
    address_key: str = Field(max_length=ADDRESS_LENGTH)
    #: True when it wants every component (its ``subscriber_component`` rows are none).
    all_components: bool = True
    state: str = Field(max_length=ENUM_LENGTH)
    created_at: datetime = Field(sa_type=UTCDateTime)
    generation: int = 1
    owner_email: str | None = Field(default=None, max_length=254)
    state_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    state_reason: str | None = Field(default=None, sa_type=sa.Text)
    failing_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    webhook_secret: str | None = Field(default=None, max_length=128)
    consent_source: str = Field(max_length=ENUM_LENGTH)
    requested_at: datetime = Field(sa_type=UTCDateTime, index=True)
    requested_from: str | None = Field(default=None, max_length=HASH_LENGTH)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    confirmed_from: str | None = Field(default=None, max_length=HASH_LENGTH)
    version: int = Field(default=0, sa_column=SUBSCRIBER_VERSION)


class SubscriberComponentRow(SQLModel, table=True):
    """A component a subscriber chose, by its configured name and its case-folded key."""

    __tablename__ = "subscriber_component"
    __table_args__ = (sa.Index("ix_subscriber_component_component_key", "component_key"),)

    subscriber_id: str = Field(
        primary_key=True, max_length=ID_LENGTH, foreign_key="subscriber.id", ondelete="CASCADE"
    )
    component_key: str = Field(primary_key=True, max_length=200)
    name: str = Field(max_length=200)


class SubscriberFanoutRow(SQLModel, table=True):
    """One published notice on its way to every subscriber it concerns
    (``subscriptions/fanout.py``): written by the approving transaction, worked by the sender
    engine in batches behind ``cursor``."""

    __tablename__ = "subscriber_fanout"
    __table_args__ = (
        sa.UniqueConstraint("notice_id"),
        sa.UniqueConstraint("subject_id", "position"),
        sa.Index("ix_subscriber_fanout_state_created_at", "state", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=ID_LENGTH)
    notice_id: str = Field(max_length=ID_LENGTH)
    kind: str = Field(max_length=ENUM_LENGTH)
    #: The incident (or maintenance) the notice belongs to: no foreign key, it may be either.
    subject_id: str = Field(max_length=ID_LENGTH)
    subject_ref: str = Field(max_length=ENUM_LENGTH)
    position: int
    update_id: str | None = Field(default=None, max_length=ID_LENGTH, index=True)
    #: The notice a correction corrects (its audience is who got that one).
    corrects: str | None = Field(default=None, max_length=ID_LENGTH)
    #: The components it concerns (configured names); empty: everyone.
    components: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    #: ``fanout.content_json``: the email's text and, for updates, the frozen delivery.
    content: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    state: str = Field(max_length=ENUM_LENGTH)
    cursor: str | None = Field(default=None, max_length=ID_LENGTH)
    planned: int = 0
    reached: int = 0
    created_at: datetime = Field(sa_type=UTCDateTime)
    as_of: datetime = Field(sa_type=UTCDateTime)
    deadline_at: datetime = Field(sa_type=UTCDateTime)
    paused_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    alerted: bool = False
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SubscriberSendRow(SQLModel, table=True):
    """One subscriber's copy of one fan-out: compact, one narrow row per subscriber reached."""

    __tablename__ = "subscriber_send"
    __table_args__ = (
        sa.Index("ix_subscriber_send_state_next_attempt_at", "state", "next_attempt_at"),
        sa.Index("ix_subscriber_send_subscriber_id", "subscriber_id"),
    )

    fanout_id: str = Field(
        primary_key=True,
        max_length=ID_LENGTH,
        foreign_key="subscriber_fanout.id",
        ondelete="CASCADE",
    )
    subscriber_id: str = Field(
        primary_key=True, max_length=ID_LENGTH, foreign_key="subscriber.id", ondelete="CASCADE"
    )
    state: str = Field(max_length=ENUM_LENGTH)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    maybe_sent: bool = False
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=sa.Text)


class SubscriberMessageRow(SQLModel, table=True):
    """A one-off message: a confirmation email, an "already subscribed" note, a webhook's
    confirmation request, a webhook owner told it was disabled. Sent by the engine, retried."""

    __tablename__ = "subscriber_message"
    __table_args__ = (
        sa.Index("ix_subscriber_message_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: str = Field(primary_key=True, max_length=ID_LENGTH)
    kind: str = Field(max_length=ENUM_LENGTH)
    subscriber_id: str | None = Field(
        default=None,
        max_length=ID_LENGTH,
        foreign_key="subscriber.id",
        ondelete="CASCADE",
        index=True,
    )
    #: What the message needs beyond the subscriber (e.g. the owner's address, the error).
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    state: str = Field(max_length=ENUM_LENGTH)
    attempts: int = 0
    created_at: datetime = Field(sa_type=UTCDateTime)
    deadline_at: datetime = Field(sa_type=UTCDateTime)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=sa.Text)


class SignupWindowRow(SQLModel, table=True):
    """Sign-up hits of one rate-limit key (a keyed hash, never an address) in its window.

    One row per key holds its recent hits, so ``take`` locks that row (``FOR UPDATE`` on
    PostgreSQL, the single writer on SQLite) and the limit holds across replicas.
    """

    __tablename__ = "signup_window"

    key: str = Field(primary_key=True, max_length=100)
    #: ISO times of the allowed hits still in the window, oldest first.
    hits: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    updated_at: datetime = Field(sa_type=UTCDateTime, index=True)
