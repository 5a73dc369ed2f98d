"""Bearer tokens of the private API: made once, stored hashed, each with a scope and an actor.

A token is ``cbt_`` and 43 URL-safe characters (32 random bytes). Only its SHA-256 is stored:
a stolen database does not give working tokens, and a high-entropy token needs no slow hash.
The token acts as its ``actor`` (that name is what the timeline and the approval policy see) and
may do what its scope allows: ``read`` < ``write`` (declare, propose, edit, reject, note,
Alertmanager) < ``approve`` (publish) < ``admin`` (subscribers).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from commsbot.domain.errors import InvalidInput
from commsbot.domain.text import clean_name
from commsbot.domain.when import iso

TOKEN_PREFIX = "cbt_"
_TOKEN = re.compile(r"cbt_[A-Za-z0-9_-]{43}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: Characters of the token kept for listings: "cbt_" + 6.
SHOWN = 10


class Scope(StrEnum):
    """What a token may do; each scope includes the ones before it."""

    READ = "read"
    WRITE = "write"
    APPROVE = "approve"
    #: + managing subscribers (``/api/v1/subscribers``).
    ADMIN = "admin"

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
    """What is stored of a token, and how a request's token is found: its hex SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def well_formed(secret: str) -> bool:
    """Whether ``secret`` looks like a token at all (``cbt_`` and 43 URL-safe characters)."""
    return _TOKEN.fullmatch(secret) is not None


def check_name(name: str) -> str:
    """``name`` if it is a usable token name; raises InvalidInput saying what would be."""
    if not _NAME.fullmatch(name):
        raise InvalidInput(
            f"token name {name!r} is not usable; use 1–64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (e.g. alertmanager-prod)"
        )
    return name


def check_actor(actor: str) -> str:
    """``actor`` cleaned, if it is one word as in the approver lists; else InvalidInput."""
    actor = clean_name(actor, what="actor", limit=100)
    if any(ch.isspace() for ch in actor):
        raise InvalidInput(
            f"actor {actor!r} is not usable; use one word of at most 100 characters, as in the "
            "approver lists (alice, slack:U024BE7LH)"
        )
    return actor
