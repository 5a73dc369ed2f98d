"""The Prometheus Alertmanager receiver: ``POST /api/v1/alertmanager`` (webhook payload v4).

Parses the payload and calls one use case, :func:`commsbot.services.alerts.receive_alerts`.
Alertmanager treats a 4xx answer as final and never sends that notification again, so only a
body that is not an Alertmanager webhook is refused (400; 415 when it is not JSON): whatever a
real Alertmanager sends is taken, and made to fit below. A lost race answers 503 with
``Retry-After``, which Alertmanager retries.

Idempotent: Alertmanager re-sends a group's notification every ``repeat_interval`` and each
member of an HA cluster may send it; the same group with the same firing alerts changes nothing.
Configure Alertmanager with::

    receivers:
      - name: commsbot
        webhook_configs:
          - url: http://127.0.0.1:8080/api/v1/alertmanager
            http_config:
              authorization: {credentials: cbt_…}   # a token with write scope
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from commsbot.domain import alerts as model
from commsbot.domain.errors import ConcurrentChange
from commsbot.http.auth import actor_of, require
from commsbot.http.context import HttpContext, context
from commsbot.http.errors import ApiError, responses
from commsbot.http.routing import JsonBodyRoute
from commsbot.services.alerts import receive_alerts
from commsbot.tokens.model import ApiToken, Scope

# No length or character limits on purpose: a real Alertmanager's values are taken as sent and
# cleaned or shortened by the use case (a refusal would lose the notification for good).
Labels = dict[str, str]


class Alert(BaseModel):
    """One alert of the webhook payload (unknown fields are ignored)."""

    model_config = ConfigDict(extra="ignore")

    status: Literal["firing", "resolved"]
    labels: Labels = Field(default_factory=dict)
    annotations: Labels = Field(default_factory=dict)
    startsAt: str | None = None
    endsAt: str | None = None
    generatorURL: str = ""
    fingerprint: str = ""


class AlertmanagerPayload(BaseModel):
    """Alertmanager's webhook body, version 4."""

    model_config = ConfigDict(extra="ignore")

    version: Literal["4"]
    groupKey: str = Field(min_length=1)
    truncatedAlerts: int = Field(default=0, ge=0)
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupLabels: Labels = Field(default_factory=dict)
    commonLabels: Labels = Field(default_factory=dict)
    commonAnnotations: Labels = Field(default_factory=dict)
    externalURL: str = ""
    alerts: list[Alert] = Field(default_factory=list)

    def notification(self) -> model.AlertNotification:
        """The payload as the use case takes it."""
        return model.AlertNotification(
            group_key=self.groupKey,
            status=self.status,
            receiver=self.receiver,
            alerts=tuple(
                model.Alert(
                    status=a.status,
                    labels=a.labels,
                    annotations=a.annotations,
                    fingerprint=a.fingerprint,
                )
                for a in self.alerts
            ),
            truncated_alerts=self.truncatedAlerts,
            external_url=self.externalURL,
        )


class AlertOutcome(BaseModel):
    """What the receiver did.

    ``outcome``: ``declared`` (new incident, acknowledgment drafted), ``attached`` (note on the
    open incident covering the same components), ``noted`` (alerts changed; note added),
    ``recovery_proposed`` (all resolved; recovery drafted) or ``unchanged`` (a repeat).
    """

    outcome: Literal["declared", "attached", "noted", "recovery_proposed", "unchanged"]
    incident: str | None = None
    incident_id: str | None = None
    draft_id: str | None = None
    ignored_components: list[str] = Field(default_factory=list)


router = APIRouter(prefix="/api/v1", tags=["alertmanager"], route_class=JsonBodyRoute)
#: The receiver's path (its body limit is ``[http.alertmanager] max_body_bytes``).
PATH = "/api/v1/alertmanager"


@router.post("/alertmanager", responses=responses(400, 401, 403, 415, 503))
async def alertmanager(
    ctx: Annotated[HttpContext, Depends(context)],
    token: Annotated[ApiToken, Depends(require(Scope.WRITE))],
    payload: AlertmanagerPayload,
) -> AlertOutcome:
    """Receive an Alertmanager notification; drafts only, never publishes."""
    try:
        result = await asyncio.to_thread(
            receive_alerts, ctx.deps, payload.notification(), actor_of(token)
        )
    except ConcurrentChange as exc:
        # Not the sender's fault, and a 4xx would be final: ask Alertmanager to send it again.
        raise ApiError(503, exc.code, str(exc), headers={"Retry-After": "5"}) from exc
    return AlertOutcome(
        outcome=result.outcome,
        incident=result.incident_ref,
        incident_id=result.incident_id,
        draft_id=result.draft_id,
        ignored_components=list(result.ignored_components),
    )
