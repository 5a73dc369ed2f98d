"""``/api/v1/report``: the team's comms figures by severity and month (read scope).

The body is ``commsbot report --json``'s ``report``. Computed from the database on each call
(in a worker thread): a report is asked for now and then, by people, not scraped.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from commsbot.http.auth import require
from commsbot.http.context import HttpContext, context
from commsbot.http.errors import responses
from commsbot.http.routing import JsonBodyRoute
from commsbot.services.postmortems import team_report
from commsbot.tokens.model import ApiToken, Scope

#: The spans the schema states (all, or up to 99999h / 9999d / 999w back): always valid. The
#: server also takes a local date or an ISO time, refused (400) when not a time or in the future,
#: so those are described, not promised by the pattern.
SINCE_PATTERN = r"^(?:all|[1-9][0-9]{0,4}h|[1-9][0-9]{0,3}d|[1-9][0-9]{0,2}w)$"

router = APIRouter(prefix="/api/v1", tags=["reports"], route_class=JsonBodyRoute)


@router.get("/report", responses=responses(400, 401, 403))
async def report(
    ctx: Annotated[HttpContext, Depends(context)],
    token: Annotated[ApiToken, Depends(require(Scope.READ))],
    since: Annotated[
        str,
        Query(
            min_length=1,
            max_length=40,
            description=(
                "Incidents declared since: a span back from now (`90d`, `12w`, `48h`) or `all`. "
                "Also taken: a local date (`2024-10-01`, midnight in the configured timezone) "
                "or an ISO 8601 time, refused (400, field `since`) when in the future."
            ),
            examples=["90d"],
            json_schema_extra={"pattern": SINCE_PATTERN},
        ),
    ] = "90d",
) -> dict[str, Any]:
    """The comms figures of the incidents declared since a time, in total, by severity, by
    month and by month and severity: time to the first public update, approval latency,
    promises kept, time to recover, RCAs on time (definitions in the README)."""
    found = await asyncio.to_thread(team_report, ctx.deps, since=since)
    return found.as_dict()
