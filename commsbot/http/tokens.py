"""Bearer tokens of the private API: made once, stored hashed, each with a scope and an actor.

A token is ``cbt_`` and 43 URL-safe characters (32 random bytes). Only its SHA-256 is stored:
a stolen database does not give working tokens, and a high-entropy token needs no slow hash.
The token acts as its ``actor`` (that name is what the timeline and the approval policy see) and
may do what its scope allows: ``read`` < ``write`` (declare, propose, edit, reject, note,
Alertmanager) < ``approve`` (publish).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from commsbot.domain.errors import InvalidInput, NotFound
from commsbot.domain.text import clean_name
from commsbot.services.deps import new_id
from commsbot.store.db import read_only_engine
from commsbot.store.tables_http import ApiTokenRow
from commsbot.timing import Clock

TOKEN_PREFIX = "cbt_"
_TOKEN = re.compile(r"cbt_[A-Za-z0-9_-]{43}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_SHOWN = 10  # characters of the token kept for listings: "cbt_" + 6


class Scope(StrEnum):
    """What a token may do; each scope includes the ones before it."""

    READ = "read"
    WRITE = "write"
    APPROVE = "approve"

    @property
    def rank(self) -> int:
        return list(Scope).index(self)

    def allows(self, needed: Scope) -> bool:
        return self.rank >= needed.rank


@dataclass(frozen=True)
class ApiToken:
    """A token as listed (never the secret itself)."""

    id: str
    name: str
    actor: str
    scope: Scope
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None

    def as_dict(self) -> dict[str, str | None]:
        from commsbot.domain.when import iso

        return {
            "id": self.id,
            "name": self.name,
            "actor": self.actor,
            "scope": self.scope.value,
            "prefix": self.prefix,
            "created_at": iso(self.created_at),
            "revoked_at": iso(self.revoked_at),
        }


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise InvalidInput(
            f"token name {name!r} is not usable; use 1–64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (e.g. alertmanager-prod)"
        )
    return name


def check_actor(actor: str) -> str:
    actor = clean_name(actor, what="actor", limit=100)
    if any(ch.isspace() for ch in actor):
        raise InvalidInput(
            f"actor {actor!r} is not usable; use one word of at most 100 characters, as in the "
            "approver lists (alice, slack:U024BE7LH)"
        )
    return actor


class TokenStore:
    """API tokens in the database.

    Args:
        engine: the database (the ``api_token`` table comes with the migrations).
        clock: the time stamps of creation and revocation.
    """

    def __init__(self, *, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._reader = read_only_engine(engine)
        self._clock = clock

    def create(self, *, name: str, actor: str, scope: Scope) -> tuple[ApiToken, str]:
        """Make a token; returns it and the secret, which is never shown again.

        Raises:
            InvalidInput: a bad name or actor, or an active token already has this name.
        """
        check_name(name)
        actor = check_actor(actor)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = ApiTokenRow(
            id=new_id(),
            name=name,
            actor=actor,
            scope=scope.value,
            token_hash=hash_token(secret),
            prefix=secret[:_SHOWN],
            created_at=self._clock.now(),
        )
        token = _from_row(row)
        try:
            with Session(self._engine) as session:
                session.add(row)
                session.commit()
        except IntegrityError:
            raise InvalidInput(
                f"a token named {name!r} already exists; revoke it first "
                f"(commsbot token revoke {name}) or choose another name"
            ) from None
        return token, secret

    def list(self, *, include_revoked: bool = False) -> list[ApiToken]:
        """Tokens by name (active ones first)."""
        query = select(ApiTokenRow).order_by(
            col(ApiTokenRow.revoked_at).is_not(None), col(ApiTokenRow.name)
        )
        if not include_revoked:
            query = query.where(col(ApiTokenRow.revoked_at).is_(None))
        with Session(self._reader) as session:
            return [_from_row(row) for row in session.exec(query)]

    def revoke(self, name_or_id: str) -> ApiToken:
        """Revoke the active token with this name (or id); it stops working at once.

        Raises:
            NotFound: no active token has that name or id.
        """
        with Session(self._engine) as session:
            row = session.exec(
                select(ApiTokenRow).where(
                    col(ApiTokenRow.revoked_at).is_(None),
                    sa.or_(col(ApiTokenRow.name) == name_or_id, col(ApiTokenRow.id) == name_or_id),
                )
            ).first()
            if row is None:
                raise NotFound(f"no active token is named {name_or_id!r}; see commsbot token list")
            row.revoked_at = self._clock.now()
            token = _from_row(row)
            session.commit()
        return token

    def verify(self, secret: str) -> ApiToken | None:
        """The active token ``secret`` is, or None (malformed, unknown or revoked)."""
        if not _TOKEN.fullmatch(secret):
            return None
        digest = hash_token(secret)
        with Session(self._reader) as session:
            row = session.exec(
                select(ApiTokenRow).where(
                    ApiTokenRow.token_hash == digest, col(ApiTokenRow.revoked_at).is_(None)
                )
            ).first()
        # The lookup is by hash, so timing reveals nothing of the token; compare anyway.
        if row is None or not hmac.compare_digest(row.token_hash, digest):
            return None
        return _from_row(row)
