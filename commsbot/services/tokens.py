"""Use cases on the HTTP API's bearer tokens: create, list, revoke, and check a request's token.

A token is ``cbt_`` and 43 URL-safe characters (32 random bytes); only its SHA-256 is stored
(:mod:`commsbot.tokens.model`). ``commsbot token …`` and the API's authentication call these.
"""

from __future__ import annotations

import secrets
from dataclasses import replace

from commsbot.domain.errors import InvalidInput, NotFound
from commsbot.services.deps import Deps, new_id
from commsbot.tokens.model import (
    SHOWN,
    TOKEN_PREFIX,
    ApiToken,
    Scope,
    check_actor,
    check_name,
    hash_token,
    well_formed,
)


def create_token(deps: Deps, *, name: str, actor: str, scope: Scope) -> tuple[ApiToken, str]:
    """Make a token; returns it and the secret, which is never shown again.

    Raises:
        InvalidInput: a bad name or actor, or an active token already has this name.
        ConcurrentChange: another token of this name was made at the same moment.
    """
    check_name(name)
    actor = check_actor(actor)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        id=new_id(),
        name=name,
        actor=actor,
        scope=scope,
        prefix=secret[:SHOWN],
        created_at=deps.clock.now(),
    )
    with deps.uow() as uow:
        if uow.tokens.active(name) is not None:
            raise InvalidInput(
                f"a token named {name!r} already exists; revoke it first "
                f"(commsbot token revoke {name}) or choose another name"
            )
        uow.tokens.add(token, token_hash=hash_token(secret))
        uow.commit()
    return token, secret


def list_tokens(deps: Deps, *, include_revoked: bool = False) -> list[ApiToken]:
    """Tokens by name (active ones first); never the secrets."""
    with deps.read() as uow:
        return list(uow.tokens.list(include_revoked=include_revoked))


def revoke_token(deps: Deps, *, name_or_id: str) -> ApiToken:
    """Revoke the active token with this name (or id); it stops working at once.

    Raises:
        NotFound: no active token has that name or id.
    """
    now = deps.clock.now()
    with deps.uow() as uow:
        token = uow.tokens.active(name_or_id)
        if token is None:
            raise NotFound(f"no active token is named {name_or_id!r}; see commsbot token list")
        uow.tokens.revoke(token.id, at=now)
        uow.commit()
    return replace(token, revoked_at=now)


def verify_token(deps: Deps, secret: str) -> ApiToken | None:
    """The active token ``secret`` is, or None (malformed, unknown or revoked)."""
    if not well_formed(secret):
        return None
    with deps.read() as uow:
        return uow.tokens.by_hash(hash_token(secret))
