"""API tokens in the ``api_token`` table, inside the unit of work's transaction.

A name is unique among the tokens not revoked (a partial unique index): two tokens created with
the same name at the same moment make the second commit fail with ``ConcurrentChange``.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select

from commsbot.domain.errors import NotFound
from commsbot.store.session import StoreSession
from commsbot.store.tables.tokens import ApiTokenRow
from commsbot.tokens.model import ApiToken, Scope


def _from_row(row: ApiTokenRow) -> ApiToken:
    return ApiToken(
        id=row.id,
        name=row.name,
        actor=row.actor,
        scope=Scope(row.scope),
        prefix=row.prefix,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


class SqlTokenRepository:
    """The ``TokenRepository`` port on one unit of work's session."""

    def __init__(self, session: StoreSession) -> None:
        self._session = session

    def add(self, token: ApiToken, *, token_hash: str) -> None:
        self._session.add(
            ApiTokenRow(
                id=token.id,
                name=token.name,
                actor=token.actor,
                scope=token.scope.value,
                token_hash=token_hash,
                prefix=token.prefix,
                created_at=token.created_at,
                revoked_at=token.revoked_at,
            )
        )
        self._session.flush()

    def _active_row(self, name_or_id: str) -> ApiTokenRow | None:
        return self._session.exec(
            select(ApiTokenRow).where(
                col(ApiTokenRow.revoked_at).is_(None),
                sa.or_(col(ApiTokenRow.name) == name_or_id, col(ApiTokenRow.id) == name_or_id),
            )
        ).first()

    def active(self, name_or_id: str) -> ApiToken | None:
        row = self._active_row(name_or_id)
        return None if row is None else _from_row(row)

    def list(self, *, include_revoked: bool = False) -> Sequence[ApiToken]:
        query = select(ApiTokenRow).order_by(
            col(ApiTokenRow.revoked_at).is_not(None), col(ApiTokenRow.name)
        )
        if not include_revoked:
            query = query.where(col(ApiTokenRow.revoked_at).is_(None))
        return [_from_row(row) for row in self._session.exec(query)]

    def by_hash(self, token_hash: str) -> ApiToken | None:
        row = self._session.exec(
            select(ApiTokenRow).where(
                ApiTokenRow.token_hash == token_hash, col(ApiTokenRow.revoked_at).is_(None)
            )
        ).first()
        # The lookup is by hash, so timing reveals nothing of the token; compare anyway.
        if row is None or not hmac.compare_digest(row.token_hash, token_hash):
            return None
        return _from_row(row)

    def revoke(self, token_id: str, *, at: datetime) -> None:
        row = self._session.get(ApiTokenRow, token_id)
        if row is None or row.revoked_at is not None:
            raise NotFound(f"no active token has the id {token_id!r}")
        row.revoked_at = at
        self._session.flush()
