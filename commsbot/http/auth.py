"""Bearer-token authentication and scopes for ``/api/v1``.

``Authorization: Bearer cbt_…``. No token: 401 ``missing_token``; an unknown or revoked one:
401 ``invalid_token``; a token whose scope is too small: 403 ``insufficient_scope``. The token's
actor is who acts: the API has no way to act as someone else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from commsbot.domain.policy import Actor
from commsbot.http.context import HttpContext, context
from commsbot.http.errors import ApiError
from commsbot.services.tokens import verify_token
from commsbot.tokens.model import ApiToken, Scope

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description=(
        "A token from `commsbot token create NAME --scope read|write|approve|admin --actor WHO`."
    ),
)
_CHALLENGE = 'Bearer realm="commsbot"'


def require(scope: Scope) -> Callable[..., Awaitable[ApiToken]]:
    """A dependency admitting tokens of ``scope`` or above; returns the token."""

    async def check(
        request: Request,
        ctx: Annotated[HttpContext, Depends(context)],
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    ) -> ApiToken:
        if credentials is None:
            raise ApiError(
                401,
                "missing_token",
                "this endpoint needs a bearer token: send 'Authorization: Bearer <token>' "
                "(make one with commsbot token create)",
                headers={"WWW-Authenticate": _CHALLENGE},
            )
        token = await asyncio.to_thread(verify_token, ctx.deps, credentials.credentials)
        if token is None:
            raise ApiError(
                401,
                "invalid_token",
                "the bearer token is unknown or revoked; ask for a new one (commsbot token create)",
                headers={"WWW-Authenticate": f'{_CHALLENGE}, error="invalid_token"'},
            )
        if not token.scope.allows(scope):
            raise ApiError(
                403,
                "insufficient_scope",
                f"token {token.name!r} has scope {token.scope.value}; this needs "
                f"{scope.value} or above",
                headers={"WWW-Authenticate": f'{_CHALLENGE}, error="insufficient_scope"'},
            )
        request.state.token = token
        return token

    return check


def actor_of(token: ApiToken) -> Actor:
    return Actor(token.actor)
