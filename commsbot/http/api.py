"""The private API, ``/api/v1``: the CLI's use cases over HTTP, with the same refusals.

Bodies are the CLI's ``--json`` shapes (see the README). Every use case runs in a worker thread
(``asyncio.to_thread``): the core is synchronous.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict
from pydantic.json_schema import SkipJsonSchema

from commsbot.domain.lifecycle import Status
from commsbot.domain.model import (
    MAX_BODY,
    MAX_DOCUMENT,
    MAX_REASON,
    MAX_TITLE,
    ComponentStatus,
    Severity,
)
from commsbot.http.auth import actor_of, require
from commsbot.http.context import HttpContext, context
from commsbot.http.errors import responses
from commsbot.http.fields import ActorId, ComponentName, Text
from commsbot.http.routing import JsonBodyRoute
from commsbot.services import drafts, incidents
from commsbot.services.incidents import MAX_ACTOR
from commsbot.services.results import timeline_dict
from commsbot.tokens.model import ApiToken, Scope

MAX_COMPONENTS = 50
log = logging.getLogger("commsbot.http")


async def refresh_page(ctx: HttpContext) -> None:
    """Re-render the public page now rather than at the next poll (best effort)."""
    try:
        await asyncio.to_thread(ctx.pages.refresh)
    except Exception:  # published already; the watcher will catch up
        log.warning("status page refresh after publish failed", exc_info=True)


IncidentRef = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9#-]{1,40}$",
        description="INC-42, 42 or the incident's 12-character id",
        examples=["INC-1"],
    ),
]
DraftId = Annotated[str, Path(pattern=r"^[a-z0-9]{12}$", description="The draft's 12-character id")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


#: The durations the schema states for ``next_update_by``: 1 minute to 7 days, valid at any
#: time. The server takes more (local and ISO times) but refuses those once they have passed,
#: so they are described, not promised by the pattern.
NEXT_UPDATE_PATTERN = r"^(?:[1-9][0-9]{0,3}m?|[1-9][0-9]?h|1[0-5][0-9]h|16[0-8]h|[1-7]d|1w)$"
_NEXT_UPDATE_TEXT = Annotated[
    Text,
    Field(
        min_length=1,
        max_length=64,
        description=(
            "When the update promises the next one: a duration from now (`45m`, `1h30m`, up to "
            "7 days). Also taken: a local time in the configured timezone (`16:30`) or an ISO "
            "8601 time with its offset (`2024-12-11T16:30:00-08:00`, `…Z`), refused (400) once "
            "past or over 7 days ahead. Default: now + the severity's cadence; none for a "
            "recovery or postmortem. The text's `{next_update_by}` states it."
        ),
        examples=["45m", "1h30m"],
        json_schema_extra={"pattern": NEXT_UPDATE_PATTERN},
    ),
]
NextUpdate = _NEXT_UPDATE_TEXT | None
#: A recovery or a postmortem promises no next update: the schema says so for the propose body.
_NO_PROMISE_WHEN_RECOVERED: JsonDict = {
    "anyOf": [
        {"not": {"required": ["next_update_by"]}},
        {"properties": {"next_update_by": {"type": "null"}}},
        {
            "required": ["status"],
            "properties": {
                "status": {"enum": ["investigating", "identified", "fixing"]},
                "postmortem": {"const": False},
            },
        },
    ]
}


#: Only the postmortem update publishes a document: the schema says so for the propose body.
_DOCUMENT_ONLY_WITH_POSTMORTEM: JsonDict = {
    "anyOf": [
        {"not": {"required": ["document"]}},
        {"properties": {"document": {"type": "null"}}},
        {"required": ["postmortem"], "properties": {"postmortem": {"const": True}}},
    ]
}
_DOCUMENT_DESCRIPTION = (
    "The public part of the postmortem (Markdown, raw HTML shown as text): approved with the "
    "update, then linked from the status page's incident page. Postmortem updates only."
)


class DeclareRequest(_Body):
    title: Text = Field(max_length=MAX_TITLE, description="The incident's public name.")
    severity: Severity = Severity.SEV2
    components: dict[ComponentName, ComponentStatus | None] = Field(
        default_factory=dict,
        max_length=MAX_COMPONENTS,
        description="Affected component → its impact (null: the severity's default impact).",
    )
    body: Text | None = Field(
        default=None, max_length=MAX_BODY, description="Acknowledgment (default: template)."
    )
    next_update_by: NextUpdate = None


class ProposeRequest(_Body):
    """A new draft. With ``next_update_by``, the schema asks for a ``status`` that is not
    ``recovered`` (without one, the incident's own status is used, which may be)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"allOf": [_NO_PROMISE_WHEN_RECOVERED, _DOCUMENT_ONLY_WITH_POSTMORTEM]},
    )

    status: Status | None = Field(
        default=None, description="The status the update sets (default: unchanged)."
    )
    body: Text | None = Field(default=None, max_length=MAX_BODY)
    components: dict[ComponentName, ComponentStatus] = Field(
        default_factory=dict, max_length=MAX_COMPONENTS
    )
    reason: Text | None = Field(default=None, max_length=MAX_REASON)
    postmortem: bool = False
    next_update_by: NextUpdate = None
    document: Text | None = Field(
        default=None, max_length=MAX_DOCUMENT, description=_DOCUMENT_DESCRIPTION
    )


class EditRequest(_Body):
    """What to change; at least one of body, status, components, reason, next_update_by or
    document (the postmortem draft's only: another draft answers 409 ``guard_failed``).

    An omitted field (or null) is left as it is; the schema leaves null out, as it changes
    nothing.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {"required": [name]}
                for name in (
                    "body",
                    "status",
                    "components",
                    "reason",
                    "next_update_by",
                    "document",
                )
            ]
        },
    )

    body: Annotated[Text, Field(max_length=MAX_BODY)] | SkipJsonSchema[None] = None
    status: Status | SkipJsonSchema[None] = None
    components: (
        Annotated[dict[ComponentName, ComponentStatus], Field(max_length=MAX_COMPONENTS)]
        | SkipJsonSchema[None]
    ) = None
    reason: Annotated[Text, Field(max_length=MAX_REASON)] | SkipJsonSchema[None] = None
    next_update_by: _NEXT_UPDATE_TEXT | SkipJsonSchema[None] = None
    document: (
        Annotated[Text, Field(max_length=MAX_DOCUMENT, description=_DOCUMENT_DESCRIPTION)]
        | SkipJsonSchema[None]
    ) = None
    version: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="The version being edited."
    )


class ApproveRequest(_Body):
    version: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="The version read; refused if changed."
    )
    quiet: bool = Field(
        default=False,
        description="Publish without notifying subscribers (the update's "
        "deliver_notifications is then false).",
    )


class RejectRequest(_Body):
    reason: Text = Field(max_length=MAX_REASON)


class NoteRequest(_Body):
    text: Text = Field(max_length=MAX_BODY)


class IncidentChangeRequest(_Body):
    """What to change; at least one of title, severity or commander (null: left as it is)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [{"required": [name]} for name in ("title", "severity", "commander")]
        },
    )

    title: Annotated[Text, Field(max_length=MAX_TITLE)] | SkipJsonSchema[None] = Field(
        default=None,
        description="The new title (internal at once; public with the next published update).",
    )
    severity: Severity | SkipJsonSchema[None] = Field(default=None, description="The new severity.")
    commander: Annotated[ActorId, Field(max_length=MAX_ACTOR)] | SkipJsonSchema[None] = Field(
        default=None,
        description="The new commander's actor id, as in the approver lists (a handoff).",
    )


Ctx = Annotated[HttpContext, Depends(context)]
Reader = Annotated[ApiToken, Depends(require(Scope.READ))]
Writer = Annotated[ApiToken, Depends(require(Scope.WRITE))]
Approver = Annotated[ApiToken, Depends(require(Scope.APPROVE))]

router = APIRouter(prefix="/api/v1", tags=["incidents"], route_class=JsonBodyRoute)


@router.get("/incidents", responses=responses(400, 401, 403))
async def list_incidents(
    ctx: Ctx,
    token: Reader,
    open_only: Annotated[bool, Query(alias="open", description="Only unrecovered.")] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Incidents, newest first."""
    found = await asyncio.to_thread(
        incidents.list_incidents, ctx.deps, open_only=open_only, limit=limit
    )
    return {"incidents": [s.as_dict() for s in found]}


@router.post("/incidents", status_code=201, responses=responses(400, 401, 403, 409))
async def declare(ctx: Ctx, token: Writer, request: DeclareRequest) -> dict[str, Any]:
    """Declare an incident: it starts investigating, with an acknowledgment drafted."""
    result = await asyncio.to_thread(
        incidents.declare,
        ctx.deps,
        title=request.title,
        severity=request.severity,
        components=request.components,
        actor=actor_of(token),
        body=request.body,
        next_update=request.next_update_by,
    )
    return result.as_dict()


@router.get("/incidents/{ref}", responses=responses(400, 401, 403, 404))
async def show(ctx: Ctx, token: Reader, ref: IncidentRef) -> dict[str, Any]:
    """Status, components, published updates, pending drafts and the timeline."""
    detail = await asyncio.to_thread(incidents.show_incident, ctx.deps, incident_ref=ref)
    return detail.as_dict()


@router.patch("/incidents/{ref}", responses=responses(400, 401, 403, 404, 409))
async def change(
    ctx: Ctx, token: Writer, ref: IncidentRef, request: IncidentChangeRequest
) -> dict[str, Any]:
    """Change the incident's title, severity or commander (a handoff).

    Internal at once, each change a line on the timeline; the status page keeps the title of
    the last published update until the next one is approved.
    """
    result = await asyncio.to_thread(
        incidents.edit_incident,
        ctx.deps,
        incident_ref=ref,
        actor=actor_of(token),
        title=request.title,
        severity=request.severity,
        commander=request.commander,
    )
    return result.as_dict()


@router.post("/incidents/{ref}/notes", status_code=201, responses=responses(400, 401, 403, 404))
async def note(ctx: Ctx, token: Writer, ref: IncidentRef, request: NoteRequest) -> dict[str, Any]:
    """Add an internal note to the timeline (never published)."""
    entry = await asyncio.to_thread(
        incidents.add_note, ctx.deps, incident_ref=ref, text=request.text, actor=actor_of(token)
    )
    return {"note": timeline_dict(entry)}


@router.post(
    "/incidents/{ref}/drafts", status_code=201, responses=responses(400, 401, 403, 404, 409)
)
async def propose(
    ctx: Ctx, token: Writer, ref: IncidentRef, request: ProposeRequest
) -> dict[str, Any]:
    """Draft a public update; it is published when someone else approves it."""

    def run() -> dict[str, Any]:
        return drafts.propose_update(
            ctx.deps,
            incident_ref=ref,
            status=request.status,
            actor=actor_of(token),
            body=request.body,
            component_changes=request.components,
            reason=request.reason,
            postmortem=request.postmortem,
            next_update=request.next_update_by,
            document=request.document,
        ).as_dict()

    return await asyncio.to_thread(run)


@router.patch("/drafts/{draft_id}", responses=responses(400, 401, 403, 404, 409))
async def edit(ctx: Ctx, token: Writer, draft_id: DraftId, request: EditRequest) -> dict[str, Any]:
    """Edit a pending draft (an approval of its older version becomes stale).

    Whoever changes its text, status, components, next update time or document may not
    approve it.
    """
    result = await asyncio.to_thread(
        drafts.edit_draft,
        ctx.deps,
        draft_id=draft_id,
        actor=actor_of(token),
        body=request.body,
        status=request.status,
        component_changes=request.components,
        reason=request.reason,
        version=request.version,
        next_update=request.next_update_by,
        document=request.document,
    )
    return result.as_dict()


@router.post("/drafts/{draft_id}/approve", responses=responses(400, 401, 403, 404, 409))
async def approve(
    ctx: Ctx, token: Approver, draft_id: DraftId, request: ApproveRequest | None = None
) -> dict[str, Any]:
    """Approve a draft, which publishes it (status and components change together): an
    incident update's, or a scheduled maintenance's notice."""
    result = await asyncio.to_thread(
        drafts.approve_any_draft,
        ctx.deps,
        draft_id=draft_id,
        actor=actor_of(token),
        version=request.version if request else None,
        notify_subscribers=not (request and request.quiet),
    )
    await refresh_page(ctx)
    return result.as_dict()


@router.post("/drafts/{draft_id}/reject", responses=responses(400, 401, 403, 404, 409))
async def reject(
    ctx: Ctx, token: Writer, draft_id: DraftId, request: RejectRequest
) -> dict[str, Any]:
    """Reject a draft with a reason (approvers, or its author withdrawing it)."""
    result = await asyncio.to_thread(
        drafts.reject_any_draft,
        ctx.deps,
        draft_id=draft_id,
        actor=actor_of(token),
        reason=request.reason,
    )
    return result.as_dict()


@router.get("/whoami", tags=["tokens"], responses=responses(401))
async def whoami(token: Reader) -> dict[str, Any]:
    """The token's name, actor and scope."""
    return {"token": token.as_dict()}
