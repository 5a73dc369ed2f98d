"""The API tokens' table. Migration: ``migrations/versions/0003_http.py``."""

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
