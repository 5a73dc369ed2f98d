"""The Alertmanager alert groups' table (idempotent intake). Migration: ``0003_http.py``."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from commsbot.store.tables import ENUM_LENGTH, ID_LENGTH, UTCDateTime


class AlertGroupRow(SQLModel, table=True):
    """What commsbot did with one Alertmanager alert group (``groupKey``).

    Alertmanager re-sends a group's notification until it resolves, and every replica of an HA
    Alertmanager may send it: this row makes the receiver act once per change. It is written in
    the same transaction as the incident, note or draft it leads to (``store/alert_groups.py``).
    ``state`` is ``firing`` or ``resolved``; ``claimed`` only in rows left by versions that
    claimed in a transaction of its own (read as unbound).
    """

    __tablename__ = "alert_group"

    #: Hex SHA-256 of the group key (group keys can be long).
    key_hash: str = Field(primary_key=True, max_length=64)
    group_key: str = Field(sa_type=sa.Text)
    receiver: str = Field(default="", sa_type=sa.Text)
    state: str = Field(max_length=ENUM_LENGTH)
    incident_id: str | None = Field(default=None, max_length=ID_LENGTH, foreign_key="incident.id")
    #: Fingerprints of the alerts firing at the last notification acted on, sorted.
    fingerprints: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    #: Bumped on every change (concurrent receivers take turns on the row lock).
    revision: int = 0
    updated_at: datetime = Field(sa_type=UTCDateTime)
