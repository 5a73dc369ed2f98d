"""``/api/v1/maintenances``: scheduled maintenance over HTTP, the CLI's use cases and refusals.

Approving a maintenance draft is ``POST /api/v1/drafts/{id}/approve``, as for every draft.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from commsbot.domain.model import MAX_BODY, MAX_TITLE
from commsbot.http.api import Approver, Ctx, Reader, Writer, refresh_page
from commsbot.http.auth import actor_of
from commsbot.http.context import HttpContext
from commsbot.http.errors import responses
from commsbot.http.fields import ComponentName, Text
from commsbot.http.routing import JsonBodyRoute
from commsbot.maintenance.views import maintenance_dict
from commsbot.services import maintenance
from commsbot.tokens.model import ApiToken

MAX_COMPONENTS = 50
#: A start stated as a time from now (`2h`, `3d`): 1 minute to 364 days, valid at any time.
START_PATTERN = (
    r"^(?:[1-9][0-9]{0,3}m|[1-9][0-9]{0,2}h|[1-9][0-9]?d|[1-2][0-9]{2}d|3[0-5][0-9]d|36[0-4]d)$"
)
#: A window's length (`90m`, `2h`): 1 minute to 72 hours (the default `max_window_hours`).
LENGTH_PATTERN = r"^(?:[1-9][0-9]{0,2}m|[1-9]h|[1-6][0-9]h|7[0-2]h)$"
_TIMES = (
    " Also taken, and refused (400) when the window they make is in the past, longer than "
    "`[maintenance] max_window_hours` or further ahead than `max_ahead_days`: an ISO 8601 time "
    "with its offset (`2024-12-11T22:00:00-08:00`), a local time in the page's `timezone` "
    "(`2024-12-11 22:00`), one with a zone name (`2024-12-11 22:00 Europe/Paris`), "
    "`tomorrow 22:00`."
)
_Start = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="When the window opens: a time from now (`2h`, `3d`)." + _TIMES,
        examples=["2h", "3d"],
        json_schema_extra={"pattern": START_PATTERN},
    ),
]
_End = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="When it closes: its length from the start (`90m`, `2h`)." + _TIMES,
        examples=["2h", "90m"],
        json_schema_extra={"pattern": LENGTH_PATTERN},
    ),
]
MaintenanceRef = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9#-]{1,40}$",
        description="MNT-3, 3 or the maintenance's 12-character id",
        examples=["MNT-1"],
    ),
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScheduleRequest(_Body):
    title: Text = Field(max_length=MAX_TITLE, description="The maintenance's public name.")
    scheduled_for: _Start
    scheduled_until: _End
    components: list[ComponentName] = Field(
        default_factory=list, max_length=MAX_COMPONENTS, description="Components under it."
    )
    body: Text | None = Field(
        default=None,
        max_length=MAX_BODY,
        description="The announcement ({start} and {end} are filled in; default: template).",
    )
    start_text: Text | None = Field(
        default=None, max_length=MAX_BODY, description="What the bot publishes at the start."
    )
    end_text: Text | None = Field(
        default=None, max_length=MAX_BODY, description="What the bot publishes at the end."
    )
    auto_start: bool | None = Field(default=None, description="Default: [maintenance].")
    auto_complete: bool | None = Field(default=None, description="Default: [maintenance].")


class MoveRequest(_Body):
    body: Annotated[Text, Field(max_length=MAX_BODY)] | SkipJsonSchema[None] = Field(
        default=None,
        description=(
            "A new public text (a draft for someone else to approve). Without it, start and "
            "complete publish the texts approved with the announcement at once."
        ),
    )


class NoteRequest(_Body):
    body: Text = Field(max_length=MAX_BODY, description="The progress note's public text.")


class ExtendRequest(_Body):
    scheduled_until: _End


router = APIRouter(prefix="/api/v1", tags=["maintenances"], route_class=JsonBodyRoute)


@router.get("/maintenances", responses=responses(400, 401, 403))
async def list_maintenances(
    ctx: Ctx,
    token: Reader,
    include_finished: Annotated[
        bool, Query(alias="all", description="Also completed and cancelled ones.")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Maintenances, latest window first (open ones unless ``all``)."""
    found = await asyncio.to_thread(
        maintenance.list_maintenances, ctx.deps, include_finished=include_finished, limit=limit
    )
    return {"maintenances": [maintenance_dict(m) for m in found]}


@router.post("/maintenances", status_code=201, responses=responses(400, 401, 403, 409))
async def schedule(ctx: Ctx, token: Writer, request: ScheduleRequest) -> dict[str, Any]:
    """Plan a window and draft its announcement (with the start and end texts) for approval."""
    result = await asyncio.to_thread(
        maintenance.schedule,
        ctx.deps,
        title=request.title,
        start=request.scheduled_for,
        end=request.scheduled_until,
        components=request.components,
        actor=actor_of(token),
        texts=maintenance.Texts(request.body, request.start_text, request.end_text),
        auto_start=request.auto_start,
        auto_complete=request.auto_complete,
    )
    return result.as_dict()


@router.get("/maintenances/{ref}", responses=responses(400, 401, 403, 404))
async def show(ctx: Ctx, token: Reader, ref: MaintenanceRef) -> dict[str, Any]:
    """Window, status, published notices, pending drafts, timeline and overlaps."""
    detail = await asyncio.to_thread(maintenance.show, ctx.deps, ref=ref)
    return detail.as_dict()


@router.post("/maintenances/{ref}/start", responses=responses(400, 401, 403, 404, 409))
async def start(
    ctx: Ctx, token: Approver, ref: MaintenanceRef, request: MoveRequest | None = None
) -> dict[str, Any]:
    """Start it now: with the approved start text, or a new ``body`` (a draft)."""
    return await _move(ctx, maintenance.start, ref, token, request, refresh=True)


@router.post("/maintenances/{ref}/complete", responses=responses(400, 401, 403, 404, 409))
async def complete(
    ctx: Ctx, token: Approver, ref: MaintenanceRef, request: MoveRequest | None = None
) -> dict[str, Any]:
    """Complete it now: with the approved end text, or a new ``body`` (a draft)."""
    return await _move(ctx, maintenance.complete, ref, token, request, refresh=True)


@router.post("/maintenances/{ref}/verify", responses=responses(400, 401, 403, 404, 409))
async def verify(
    ctx: Ctx, token: Writer, ref: MaintenanceRef, request: MoveRequest | None = None
) -> dict[str, Any]:
    """Draft the move to verifying."""
    return await _move(ctx, maintenance.verify, ref, token, request, refresh=False)


@router.post("/maintenances/{ref}/cancel", responses=responses(400, 401, 403, 404, 409))
async def cancel(
    ctx: Ctx, token: Writer, ref: MaintenanceRef, request: MoveRequest | None = None
) -> dict[str, Any]:
    """Cancel it before it starts (announced: the cancellation is a draft to approve)."""
    return await _move(ctx, maintenance.cancel, ref, token, request, refresh=False)


@router.post(
    "/maintenances/{ref}/notes", status_code=201, responses=responses(400, 401, 403, 404, 409)
)
async def note(
    ctx: Ctx, token: Writer, ref: MaintenanceRef, request: NoteRequest
) -> dict[str, Any]:
    """Draft a public progress note (the status stays)."""
    result = await asyncio.to_thread(
        maintenance.post_note, ctx.deps, ref=ref, actor=actor_of(token), body=request.body
    )
    return result.as_dict()


@router.post("/maintenances/{ref}/extend", responses=responses(400, 401, 403, 404, 409))
async def extend(
    ctx: Ctx, token: Writer, ref: MaintenanceRef, request: ExtendRequest
) -> dict[str, Any]:
    """Draft a new end of the window (its length from the start) for approval."""
    result = await asyncio.to_thread(
        maintenance.extend, ctx.deps, ref=ref, actor=actor_of(token), end=request.scheduled_until
    )
    return result.as_dict()


class _Result(Protocol):
    def as_dict(self) -> dict[str, Any]: ...


async def _move(
    ctx: HttpContext,
    use_case: Callable[..., _Result],
    ref: str,
    token: ApiToken,
    request: MoveRequest | None,
    *,
    refresh: bool,
) -> dict[str, Any]:
    """Start, complete, verify or cancel: the use case with the caller and an optional new text;
    the page is rebuilt when the move may have published something."""
    result = await asyncio.to_thread(
        use_case,
        ctx.deps,
        ref=ref,
        actor=actor_of(token),
        body=request.body if request else None,
    )
    if refresh:
        await refresh_page(ctx)
    return result.as_dict()
