"""Scheduled maintenances: the maintenance, its drafts, its published notices, its timeline.

Migration: ``0009_maintenance``. Rows are storage only (:mod:`commsbot.maintenance.model` has
the rules); mapped in :mod:`commsbot.store.maintenance`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from commsbot.store.tables import ENUM_LENGTH, ID_LENGTH, UTCDateTime

MAINTENANCE_ROW_VERSION = sa.Column("row_version", sa.Integer, nullable=False)
MAINTENANCE_DRAFT_ROW_VERSION = sa.Column("row_version", sa.Integer, nullable=False)


class MaintenanceRow(SQLModel, table=True):
    """A planned window. Optimistically locked: the bot starting it on time and a person
    extending it at the same moment must not both win."""

    __tablename__ = "maintenance"
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": MAINTENANCE_ROW_VERSION}
    # The page's questions: what is upcoming or active, soonest first.
    __table_args__ = (sa.Index("ix_maintenance_status_scheduled_for", "status", "scheduled_for"),)

    id: str = Field(primary_key=True, max_length=ID_LENGTH)
    number: int = Field(unique=True)
    title: str = Field(sa_type=sa.Text)
    scheduled_for: datetime = Field(sa_type=UTCDateTime)
    scheduled_until: datetime = Field(sa_type=UTCDateTime)
    #: Component names, in the order they were given.
    components: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    owner: str
    status: str = Field(max_length=ENUM_LENGTH)
    auto_start: bool = True
    auto_complete: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    announced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: The start and end notices approved with the announcement (``{start}``/``{end}`` kept).
    start_source: str = Field(default="", sa_type=sa.Text)
    end_source: str = Field(default="", sa_type=sa.Text)
    announcement_authors: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    announced_by: str | None = None
    sequence: int = 0
    published_count: int = 0
    row_version: int = Field(default=0, sa_column=MAINTENANCE_ROW_VERSION)


class MaintenanceDraftRow(SQLModel, table=True):
    """A proposed maintenance notice; ``version`` is the one an approval names."""

    __tablename__ = "maintenance_draft"
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": MAINTENANCE_DRAFT_ROW_VERSION}

    id: str = Field(primary_key=True, max_length=ID_LENGTH)
    maintenance_id: str = Field(max_length=ID_LENGTH, foreign_key="maintenance.id", index=True)
    kind: str = Field(max_length=ENUM_LENGTH)
    author: str
    body: str = Field(sa_type=sa.Text)
    base_status: str = Field(max_length=ENUM_LENGTH)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    title: str | None = Field(default=None, sa_type=sa.Text)
    scheduled_for: datetime | None = Field(default=None, sa_type=UTCDateTime)
    scheduled_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    components: list[str] | None = Field(default=None, sa_type=sa.JSON)
    start_text: str | None = Field(default=None, sa_type=sa.Text)
    end_text: str | None = Field(default=None, sa_type=sa.Text)
    version: int = 1
    state: str = Field(max_length=ENUM_LENGTH)
    decided_by: str | None = None
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_note: str | None = Field(default=None, sa_type=sa.Text)
    last_editor: str
    authors: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    row_version: int = Field(default=0, sa_column=MAINTENANCE_DRAFT_ROW_VERSION)


class MaintenanceNoticeRow(SQLModel, table=True):
    """A published notice. Never changed once written."""

    __tablename__ = "maintenance_notice"
    __table_args__ = (sa.UniqueConstraint("maintenance_id", "seq"),)

    id: str = Field(primary_key=True, max_length=ID_LENGTH)
    maintenance_id: str = Field(max_length=ID_LENGTH, foreign_key="maintenance.id", index=True)
    seq: int
    kind: str = Field(max_length=ENUM_LENGTH)
    status: str = Field(max_length=ENUM_LENGTH)
    body: str = Field(sa_type=sa.Text)
    scheduled_for: datetime = Field(sa_type=UTCDateTime)
    scheduled_until: datetime = Field(sa_type=UTCDateTime)
    author: str
    authors: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    approver: str
    #: The approved draft; None for what the bot published from the announcement's texts.
    draft_id: str | None = Field(
        default=None, max_length=ID_LENGTH, foreign_key="maintenance_draft.id"
    )
    published_at: datetime = Field(sa_type=UTCDateTime, index=True)
    #: ``[{"name": ..., "old": ..., "new": ...}]``: the shown statuses it moved.
    changes: list[dict[str, str]] = Field(default_factory=list, sa_type=sa.JSON)
    automatic: bool = False


class MaintenanceEventRow(SQLModel, table=True):
    """One line of a maintenance's append-only timeline."""

    __tablename__ = "maintenance_event"

    id: int | None = Field(default=None, primary_key=True)
    maintenance_id: str = Field(max_length=ID_LENGTH, foreign_key="maintenance.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str
    action: str = Field(max_length=64)
    detail: str = Field(sa_type=sa.Text)
