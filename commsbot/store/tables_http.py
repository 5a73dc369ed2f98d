"""Tables of the HTTP server: API tokens, and Alertmanager alert groups (for idempotency).

Migration: ``migrations/versions/0003_http.py``.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from commsbot.store.tables import ENUM_LENGTH, ID_LENGTH, UTCDateTime

_ACTIVE = "revoked_at IS NULL"


class ApiTokenRow(SQLModel, table=True):
    """A bearer token of the private API. Only its SHA-256 is stored, never the token.

    A name is unique among the tokens not revoked: a revoked token's name can be used again.
    """

    __tablename__ = "api_token"
    __table_args__ = (
        sa.Index(
            "uq_api_token_active_name",
            "name",
            unique=True,
            sqlite_where=sa.text(_ACTIVE),
            postgresql_where=sa.text(_ACTIVE),
        ),
    )

    id: str = Field(primary_key=True, max_length=ID_LENGTH)
    name: str = Field(max_length=64)
    actor: str = Field(max_length=100)
    scope: str = Field(max_length=ENUM_LENGTH)
    #: Hex SHA-256 of the whole token; how a request's token is found.
    token_hash: str = Field(max_length=64, unique=True)
    #: The token's first characters, shown in listings to tell tokens apart.
    prefix: str = Field(max_length=16)
    created_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


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
