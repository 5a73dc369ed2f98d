"""``/api/v1/subscribers``: who is subscribed (email, webhooks), for tokens of scope ``admin``.

The CLI's ``subscribers`` commands over HTTP, with the same refusals. While subscriptions are
off every route answers 404 (there is nothing to manage).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from commsbot.domain.errors import InvalidInput
from commsbot.http.auth import actor_of, require
from commsbot.http.context import HttpContext, context
from commsbot.http.errors import ApiError, responses
from commsbot.http.fields import ComponentName
from commsbot.http.routing import JsonBodyRoute
from commsbot.services import subscriber_admin
from commsbot.subscriptions.model import SubscriberKind, SubscriberState
from commsbot.tokens.model import ApiToken, Scope

Ctx = Annotated[HttpContext, Depends(context)]
Admin = Annotated[ApiToken, Depends(require(Scope.ADMIN))]
SubscriberRef = Annotated[
    str,
    Path(
        min_length=1,
        max_length=320,
        description="The subscriber's id or email address.",
        examples=["ada@example.com"],
    ),
]

router = APIRouter(prefix="/api/v1", tags=["subscribers"], route_class=JsonBodyRoute)


class AddRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(
        default=None,
        min_length=3,
        max_length=254,
        pattern=r"^[a-z0-9._%+-]{1,64}@[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})*\.[a-z]{2,24}$",
        description="The email address (its owner gets a confirmation email unless "
        "confirmed). Give this or url.",
        examples=["ada@example.com"],
    )
    url: str | None = Field(
        default=None,
        min_length=8,
        max_length=2000,
        description="A webhook URL (https://, a public host): it gets a signed "
        "subscription.confirm request and must echo its challenge before anything else is "
        "sent. Give this or email.",
        examples=["https://hooks.example.com/status"],
    )
    owner_email: str | None = Field(
        default=None,
        max_length=254,
        description="With url: who is emailed if the webhook is disabled after failing.",
        examples=["ops@example.com"],
    )
    components: list[ComponentName] = Field(
        default_factory=list,
        max_length=100,
        description="Only updates touching these components; empty: all.",
    )
    confirmed: bool = Field(
        default=False,
        description="Its owner already agreed elsewhere: no confirmation email (you vouch).",
    )


def _enabled(ctx: HttpContext) -> None:
    settings = ctx.deps.settings.subscriptions
    if not settings.enabled or ctx.deps.subscription_keys is None:
        raise ApiError(
            404,
            "not_found",
            "subscriptions are not enabled here ([subscriptions] enabled = true turns them on)",
        )


@router.get("/subscribers", responses=responses(400, 401, 403, 404))
async def list_subscribers(
    ctx: Ctx,
    token: Admin,
    state: SubscriberState | None = None,
    after: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Subscribers by id, a page at a time (``next_after``), and how many in each state."""
    _enabled(ctx)
    found = await asyncio.to_thread(
        subscriber_admin.list_subscribers, ctx.deps, state=state, after=after, limit=limit
    )
    return found.as_dict()


@router.post("/subscribers", status_code=201, responses=responses(400, 401, 403, 404))
async def add_subscriber(ctx: Ctx, token: Admin, request: AddRequest) -> dict[str, Any]:
    """Subscribe an email address (a confirmation email first unless ``confirmed``) or a
    webhook URL (a confirmation request it must echo first)."""
    _enabled(ctx)
    if (request.email is None) == (request.url is None):
        raise InvalidInput("give either email or url (one of them)", field="email")
    if request.owner_email is not None and request.url is None:
        raise InvalidInput(
            "owner_email names a webhook's owner; send it with url", field="owner_email"
        )
    kind = SubscriberKind.EMAIL if request.url is None else SubscriberKind.WEBHOOK
    added = await asyncio.to_thread(
        subscriber_admin.add_subscriber,
        ctx.deps,
        kind=kind,
        address=request.url or request.email or "",
        actor=actor_of(token),
        components=request.components,
        confirmed=request.confirmed,
        owner_email=request.owner_email,
    )
    return added.as_dict()


@router.get("/subscribers/{ref}", responses=responses(400, 401, 403, 404))
async def export_subscriber(ctx: Ctx, token: Admin, ref: SubscriberRef) -> dict[str, Any]:
    """Everything kept about one subscriber (a person's data request)."""
    _enabled(ctx)
    found = await asyncio.to_thread(subscriber_admin.export_subscriber, ctx.deps, ref=ref)
    return found.as_dict()


@router.delete("/subscribers/{ref}", responses=responses(400, 401, 403, 404))
async def remove_subscriber(ctx: Ctx, token: Admin, ref: SubscriberRef) -> dict[str, Any]:
    """Delete a subscriber and its history (a request to be forgotten)."""
    _enabled(ctx)
    removed = await asyncio.to_thread(
        subscriber_admin.remove_subscriber, ctx.deps, ref=ref, actor=actor_of(token)
    )
    return removed.as_dict()
