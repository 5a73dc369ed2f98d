"""The reminder table (see :mod:`commsbot.reminders`). Migration: ``0004_reminders``."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from commsbot.store.tables import ENUM_LENGTH, ID_LENGTH, UTCDateTime


class ReminderRow(SQLModel, table=True):
    """One reminder. Firing claims the row with a conditional UPDATE on ``row_version``.

    ``state`` is explicit (pending, fired, done, cancelled): never inferred from which times
    happen to be set.
    """

    __tablename__ = "reminder"
    # The scheduler's two questions: "what is due now" and "when is the next one due".
    __table_args__ = (sa.Index("ix_reminder_state_due_at", "state", "due_at"),)

    id: str = Field(primary_key=True, max_length=ID_LENGTH)
    kind: str = Field(max_length=ENUM_LENGTH)
    #: The incident, or for the ``maintenance_*`` kinds the scheduled maintenance, the
    #: reminder is about. No foreign key since ``0009_maintenance``: it names a row of either.
    incident_id: str = Field(max_length=ID_LENGTH, index=True)
    draft_id: str | None = Field(default=None, max_length=ID_LENGTH, foreign_key="draft.id")
    state: str = Field(max_length=ENUM_LENGTH)
    due_at: datetime = Field(sa_type=UTCDateTime)
    repeat: str = Field(max_length=ENUM_LENGTH)
    #: The current back-off step, in seconds.
    interval_seconds: int | None = None
    #: ``["alice", "slack-group:S0COMMS"]``: actor ids or groups to mention.
    audience: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    text: str = Field(default="", sa_type=sa.Text)
    deadline_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    snoozed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    snoozed_by: str | None = None
    fire_count: int = 0
    last_fired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: str | None = None
    row_version: int = 0
