"""The incidents' tables: incidents, their components, drafts, published updates, the timeline.

Rows are storage only: the domain objects carry the rules (:mod:`commsbot.store.mappers`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from commsbot.store.tables import ENUM_LENGTH, ID_LENGTH, UTCDateTime

# version_id_col needs the Column object itself, one per model (PLATFORMS.md).
INCIDENT_VERSION = sa.Column("version", sa.Integer, nullable=False)
DRAFT_ROW_VERSION = sa.Column("row_version", sa.Integer, nullable=False)
COMPONENT_ROW_VERSION = sa.Column("row_version", sa.Integer, nullable=False)


class IncidentRow(SQLModel, table=True):
    __tablename__ = "incident"
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": INCIDENT_VERSION}

    id: str = Field(primary_key=True, max_length=ID_LENGTH)
    number: int = Field(unique=True)
    title: str = Field(sa_type=sa.Text)
    severity: str = Field(max_length=ENUM_LENGTH)
    status: str = Field(max_length=ENUM_LENGTH)
    commander: str
    declared_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_count: int = 0
    #: Optimistic lock: SQLAlchemy bumps it on every UPDATE and checks the old value.
    version: int = Field(default=0, sa_column=INCIDENT_VERSION)
    #: Title and severity as of the last published update (what the status page shows).
    public_title: str | None = Field(default=None, sa_type=sa.Text)
    public_severity: str | None = Field(default=None, max_length=ENUM_LENGTH)


class IncidentComponentRow(SQLModel, table=True):
    """A component an incident affects; ``position`` keeps the order they were named in.

    Not a foreign key to ``component``: an incident names what it affected at the time, and the
    domain already tolerates a name that is no longer in the catalogue.
    """

    __tablename__ = "incident_component"

    incident_id: str = Field(
        primary_key=True, max_length=ID_LENGTH, foreign_key="incident.id", ondelete="CASCADE"
    )
    component_name: str = Field(primary_key=True)
    position: int


class ComponentRow(SQLModel, table=True):
    """A component and its current status.

    Locked too: two approvals on different incidents may move the same component, and the
    second must not overwrite the first with a status (and an ``old`` value) read before it.
    """

    __tablename__ = "component"
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": COMPONENT_ROW_VERSION}

    name: str = Field(primary_key=True)
    status: str = Field(max_length=ENUM_LENGTH)
    description: str = Field(default="", sa_type=sa.Text)
    # "group" is an SQL keyword; the domain calls it ``group``.
    group_name: str | None = None
    position: int = 0
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: When it was first stored (the history bars show no data before); added by
    #: ``0009_maintenance``, which fills it for older rows from the earliest trace of them.
    created_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    row_version: int = Field(default=0, sa_column=COMPONENT_ROW_VERSION)


class DraftRow(SQLModel, table=True):
    """A proposed update.

    ``version`` is the domain's edit counter, the one an approval names; ``row_version`` is the
    optimistic lock, bumped on every write (a rejection too), invisible to the domain.
    """

    __tablename__ = "draft"
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": DRAFT_ROW_VERSION}

    id: str = Field(primary_key=True, max_length=ID_LENGTH)
    incident_id: str = Field(max_length=ID_LENGTH, foreign_key="incident.id", index=True)
    author: str
    body: str = Field(sa_type=sa.Text)
    status: str = Field(max_length=ENUM_LENGTH)
    base_status: str = Field(max_length=ENUM_LENGTH)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    #: ``[{"name": ..., "status": ...}, ...]``: a list, so the order survives any JSON type.
    component_changes: list[dict[str, str]] = Field(default_factory=list, sa_type=sa.JSON)
    postmortem: bool = False
    reason: str | None = Field(default=None, sa_type=sa.Text)
    #: The update this draft corrects (added by the 0002_delivery migration). No foreign key:
    #: incident_update already refers to draft, and a cycle would complicate every migration.
    corrects: str | None = Field(default=None, max_length=ID_LENGTH)
    version: int = 1
    state: str = Field(max_length=ENUM_LENGTH)
    decided_by: str | None = None
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_note: str | None = Field(default=None, sa_type=sa.Text)
    #: The text as written, ``{next_update_by}`` where the promise goes; ``body`` is it filled
    #: in. These four were added by the 0006_draft_authors migration.
    body_source: str = Field(sa_type=sa.Text)
    next_update_by: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: Who last changed what the draft says; they may not approve this version.
    last_editor: str
    #: Everyone who changed what it says, in order, the author first: ``["maya", "sam"]``.
    authors: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    row_version: int = Field(default=0, sa_column=DRAFT_ROW_VERSION)
    #: The public postmortem document (Markdown) a postmortem draft publishes (0008).
    document: str | None = Field(default=None, sa_type=sa.Text)


class UpdateRow(SQLModel, table=True):
    """A published update. Written once; ``seq`` numbers an incident's updates from 1."""

    __tablename__ = "incident_update"
    # Also the index for "an incident's updates, in order": no separate incident_id index.
    __table_args__ = (sa.UniqueConstraint("incident_id", "seq"),)

    id: str = Field(primary_key=True, max_length=ID_LENGTH)
    incident_id: str = Field(max_length=ID_LENGTH, foreign_key="incident.id")
    seq: int
    status: str = Field(max_length=ENUM_LENGTH)
    trigger: str = Field(max_length=ENUM_LENGTH)
    body: str = Field(sa_type=sa.Text)
    #: ``[{"name": ..., "old": ..., "new": ...}, ...]`` in the order the update lists them.
    changes: list[dict[str, str]] = Field(default_factory=list, sa_type=sa.JSON)
    author: str
    approver: str
    draft_id: str = Field(max_length=ID_LENGTH, foreign_key="draft.id")
    # Indexed for the feeds and the runtime, which read "published since" across incidents.
    published_at: datetime = Field(sa_type=UTCDateTime, index=True)
    next_update_by: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: Set when a correction replaced ``body`` (added by the 0002_delivery migration).
    corrected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: Everyone who wrote what it says, ``author`` first (0006_draft_authors).
    authors: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    #: The public postmortem document approved with it (0008_postmortem_document).
    document: str | None = Field(default=None, sa_type=sa.Text)
    #: False when approved without notifying subscribers (0010_subscriptions).
    deliver_notifications: bool = Field(
        default=True, sa_column_kwargs={"server_default": sa.true()}
    )


class TimelineRow(SQLModel, table=True):
    """One line of an incident's timeline. The database refuses UPDATE and DELETE (triggers)."""

    __tablename__ = "timeline"

    id: int | None = Field(default=None, primary_key=True)
    # No ON DELETE CASCADE: the append-only triggers would refuse it anyway.
    incident_id: str = Field(max_length=ID_LENGTH, foreign_key="incident.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str
    action: str = Field(max_length=64)
    detail: str = Field(sa_type=sa.Text)
