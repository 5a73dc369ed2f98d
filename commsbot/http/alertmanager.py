"""The Prometheus Alertmanager receiver: ``POST /api/v1/alertmanager`` (webhook payload v4).

Alerts never publish anything. A firing group opens an incident with its acknowledgment drafted
(or, when an open incident already covers the same components, adds a note to it); a resolved
group proposes a recovery draft with the components operational. People approve.

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
import hashlib
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from commsbot.domain.errors import CommsbotError, ConcurrentChange
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import MAX_BODY, ComponentStatus, Severity
from commsbot.domain.policy import Actor
from commsbot.domain.text import is_invisible, sanitize_inline, sanitize_text
from commsbot.http.alert_groups import CLAIMED, FIRING
from commsbot.http.auth import actor_of, require
from commsbot.http.context import HttpContext, context
from commsbot.http.errors import responses
from commsbot.http.tokens import ApiToken, Scope
from commsbot.services import drafts, incidents
from commsbot.templates import human_list

_SEVERITY_RANK = [Severity.SEV1, Severity.SEV2, Severity.SEV3, Severity.SEV4]
_LISTED_ALERTS = 20

#: Alertmanager's strings, with control characters, noncharacters and unpaired surrogates
#: dropped rather than refused: a 4xx would make Alertmanager drop the notification for good.
Text = Annotated[str, AfterValidator(sanitize_inline)]
Labels = dict[Annotated[Text, Field(max_length=1000)], Annotated[Text, Field(max_length=10_000)]]


class Alert(BaseModel):
    """One alert of the webhook payload (unknown fields are ignored)."""

    model_config = ConfigDict(extra="ignore")

    status: Literal["firing", "resolved"]
    labels: Labels = Field(default_factory=dict, max_length=200)
    annotations: Labels = Field(default_factory=dict, max_length=200)
    startsAt: datetime | None = None
    endsAt: datetime | None = None
    generatorURL: Text = Field(default="", max_length=10_000)
    fingerprint: Text = Field(default="", max_length=200)

    def key(self) -> str:
        """Alertmanager's fingerprint, or one made from the labels when it is missing."""
        if self.fingerprint:
            return self.fingerprint
        text = "\0".join(f"{k}={v}" for k, v in sorted(self.labels.items()))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class AlertmanagerPayload(BaseModel):
    """Alertmanager's webhook body, version 4."""

    model_config = ConfigDict(extra="ignore")

    version: Literal["4"]
    groupKey: Text = Field(min_length=1, max_length=10_000)
    truncatedAlerts: int = Field(default=0, ge=0)
    status: Literal["firing", "resolved"]
    receiver: Text = Field(default="", max_length=1000)
    groupLabels: Labels = Field(default_factory=dict, max_length=200)
    commonLabels: Labels = Field(default_factory=dict, max_length=200)
    commonAnnotations: Labels = Field(default_factory=dict, max_length=200)
    externalURL: Text = Field(default="", max_length=10_000)
    alerts: list[Alert] = Field(default_factory=list, max_length=1000)


class AlertOutcome(BaseModel):
    """What the receiver did.

    ``outcome``: ``declared`` (new incident, acknowledgment drafted), ``attached`` (note on the
    open incident covering the same components), ``noted`` (alerts changed; note added),
    ``recovery_proposed`` (all resolved; recovery drafted), ``unchanged`` (a repeat), or
    ``in_progress`` (another request is handling this group right now).
    """

    outcome: Literal[
        "declared", "attached", "noted", "recovery_proposed", "unchanged", "in_progress"
    ]
    incident: str | None = None
    incident_id: str | None = None
    draft_id: str | None = None
    ignored_components: list[str] = Field(default_factory=list)


def map_components(ctx: HttpContext, alerts: list[Alert]) -> tuple[list[str], list[str]]:
    """(component names, label values that name no component) of ``alerts``."""
    cfg = ctx.config.alertmanager
    catalogue = {c.name.casefold(): c.name for c in ctx.deps.settings.components}
    found: dict[str, None] = {}
    ignored: dict[str, None] = {}
    for alert in alerts:
        raw = alert.labels.get(cfg.component_label, "").strip()
        # Nobody can fix a label in time for this outage: control characters and the like
        # are dropped from it (a person typing a name gets them refused instead).
        value = sanitize_text(raw)
        if not value:
            continue
        name = cfg.components.get(raw, cfg.components.get(value, value))
        if catalogue:
            if name.casefold() in catalogue:
                found[catalogue[name.casefold()]] = None
            else:
                ignored[value] = None
        elif (
            len(name) <= 100
            and not any(ch in name for ch in "=\n\t")
            and not all(is_invisible(ch) for ch in name)
        ):
            found[name] = None
        else:
            ignored[value] = None
    return list(found), list(ignored)


def severity_of(ctx: HttpContext, alerts: list[Alert]) -> Severity:
    cfg = ctx.config.alertmanager
    found = [
        cfg.severities.get(a.labels.get(cfg.severity_label, "").strip().lower()) for a in alerts
    ]
    known = [s for s in found if s is not None]
    return min(known, key=_SEVERITY_RANK.index) if known else cfg.default_severity


def describe(payload: AlertmanagerPayload, headline: str, ignored: list[str]) -> str:
    """The internal note: which alerts, with their labels and summaries."""
    lines = [f"Alertmanager ({payload.receiver or 'webhook'}): {headline}"]
    for alert in payload.alerts[:_LISTED_ALERTS]:
        name = alert.labels.get("alertname", "alert")
        labels = " ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()) if k != "alertname")
        summary = alert.annotations.get("summary") or alert.annotations.get("description", "")
        lines.append(f"- [{alert.status}] {name} {labels}{': ' + summary if summary else ''}")
    if len(payload.alerts) > _LISTED_ALERTS:
        lines.append(f"- … and {len(payload.alerts) - _LISTED_ALERTS} more")
    if payload.truncatedAlerts:
        lines.append(f"({payload.truncatedAlerts} alerts were left out by Alertmanager)")
    if ignored:
        lines.append(
            "Label values that name no configured component (ignored): " + ", ".join(ignored)
        )
    if payload.externalURL:
        lines.append(f"Alertmanager: {payload.externalURL}")
    # Labels and annotations are whatever the alerting rules put there: keep what is text.
    return sanitize_text("\n".join(lines), limit=MAX_BODY)


def handle(ctx: HttpContext, payload: AlertmanagerPayload, actor: Actor) -> AlertOutcome:
    """Act on one notification (blocking: run it in a thread)."""
    firing = [a for a in payload.alerts if a.status == "firing"]
    if payload.status == "resolved" or not firing:
        return _resolved(ctx, payload, actor)
    return _firing(ctx, payload, firing, actor)


def _open_incident_id(ctx: HttpContext, incident_id: str) -> str | None:
    with ctx.deps.read() as uow:
        incident = uow.incidents.get(incident_id)
        return None if incident.status is Status.RECOVERED else incident.id


def _firing(
    ctx: HttpContext, payload: AlertmanagerPayload, firing: list[Alert], actor: Actor
) -> AlertOutcome:
    groups = ctx.alert_groups
    fingerprints = sorted({a.key() for a in firing})
    comps, ignored = map_components(ctx, firing)
    state = groups.get(payload.groupKey)
    if state is not None and state.state == FIRING and state.incident_id:
        if list(state.fingerprints) == fingerprints:
            return _outcome(ctx, "unchanged", state.incident_id)
        open_id = _open_incident_id(ctx, state.incident_id)
        if open_id is not None:
            if not groups.set_fingerprints(state, fingerprints):
                return _outcome(ctx, "in_progress", open_id)
            text = describe(payload, f"{len(firing)} alert(s) now firing", ignored)
            incidents.add_note(ctx.deps, incident_ref=open_id, text=text, actor=actor)
            return _outcome(ctx, "noted", open_id, ignored=ignored)
        # Its incident was recovered and the alerts changed: a new episode.
    if state is not None and state.state == CLAIMED and not groups.is_stale(state):
        return AlertOutcome(outcome="in_progress")
    if not groups.claim(payload.groupKey, receiver=payload.receiver, expected=state):
        return AlertOutcome(outcome="in_progress")
    try:
        target = _covering_incident(ctx, comps)
        if target is not None:
            text = describe(payload, f"{len(firing)} alert(s) firing", ignored)
            incidents.add_note(ctx.deps, incident_ref=target, text=text, actor=actor)
            groups.bind(payload.groupKey, incident_id=target, fingerprints=fingerprints)
            return _outcome(ctx, "attached", target, ignored=ignored)
        declared = incidents.declare(
            ctx.deps,
            title=ctx.config.alertmanager.title.format(components=human_list(comps)),
            severity=severity_of(ctx, firing),
            components=dict.fromkeys(comps),
            actor=actor,
        )
        incident_id = declared.incident.incident.id
        text = describe(payload, f"{len(firing)} alert(s) firing", ignored)
        incidents.add_note(ctx.deps, incident_ref=incident_id, text=text, actor=actor)
        groups.bind(payload.groupKey, incident_id=incident_id, fingerprints=fingerprints)
    except BaseException:
        groups.release(payload.groupKey)
        raise
    return _outcome(ctx, "declared", incident_id, draft_id=declared.draft.id, ignored=ignored)


def _covering_incident(ctx: HttpContext, comps: list[str]) -> str | None:
    """The newest open incident that affects every one of ``comps`` (None for no comps)."""
    if not comps:
        return None
    for snap in incidents.list_incidents(ctx.deps, open_only=True, limit=200):
        if set(comps) <= set(snap.incident.components):
            return snap.incident.id
    return None


def _resolved(ctx: HttpContext, payload: AlertmanagerPayload, actor: Actor) -> AlertOutcome:
    groups = ctx.alert_groups
    state = groups.get(payload.groupKey)
    if state is None or state.state != FIRING or not state.incident_id:
        return AlertOutcome(outcome="unchanged", incident_id=state.incident_id if state else None)
    if not groups.resolve(state):
        return _outcome(ctx, "unchanged", state.incident_id)
    detail = incidents.show_incident(ctx.deps, incident_ref=state.incident_id)
    incident = detail.incident.incident
    headline = "all alerts resolved"
    others = [g for g in groups.firing_for(incident.id) if g.key_hash != state.key_hash]
    pending = [d for d in detail.pending if d.status is Status.RECOVERED and not d.postmortem]
    why_not = None
    if incident.status is Status.RECOVERED:
        why_not = "the incident is already recovered"
    elif others:
        why_not = f"{len(others)} other alert group(s) of this incident are still firing"
    elif pending:
        why_not = f"recovery draft {pending[0].id} is already waiting for approval"
    if why_not:
        text = describe(payload, f"{headline}; no recovery proposed: {why_not}", [])
        incidents.add_note(ctx.deps, incident_ref=incident.id, text=text, actor=actor)
        return _outcome(ctx, "noted", incident.id)
    incidents.add_note(
        ctx.deps,
        incident_ref=incident.id,
        text=describe(payload, f"{headline}; recovery drafted for approval", []),
        actor=actor,
    )
    try:
        result = drafts.propose_update(
            ctx.deps,
            incident_ref=incident.id,
            status=Status.RECOVERED,
            actor=actor,
            component_changes=dict.fromkeys(incident.components, ComponentStatus.OPERATIONAL),
        )
    except ConcurrentChange:
        raise
    except CommsbotError as exc:  # e.g. the lifecycle refuses; people decide from the note
        incidents.add_note(
            ctx.deps,
            incident_ref=incident.id,
            text=f"Alertmanager: could not draft the recovery: {exc}",
            actor=actor,
        )
        return _outcome(ctx, "noted", incident.id)
    return _outcome(ctx, "recovery_proposed", incident.id, draft_id=result.draft.id)


def _outcome(
    ctx: HttpContext,
    outcome: Any,
    incident_id: str,
    *,
    draft_id: str | None = None,
    ignored: list[str] | None = None,
) -> AlertOutcome:
    with ctx.deps.read() as uow:
        ref = uow.incidents.get(incident_id).ref
    return AlertOutcome(
        outcome=outcome,
        incident=ref,
        incident_id=incident_id,
        draft_id=draft_id,
        ignored_components=ignored or [],
    )


router = APIRouter(prefix="/api/v1", tags=["alertmanager"])


@router.post("/alertmanager", responses=responses(400, 401, 403, 404, 409))
async def alertmanager(
    ctx: Annotated[HttpContext, Depends(context)],
    token: Annotated[ApiToken, Depends(require(Scope.WRITE))],
    payload: AlertmanagerPayload,
) -> AlertOutcome:
    """Receive an Alertmanager notification; drafts only, never publishes."""
    return await asyncio.to_thread(handle, ctx, payload, actor_of(token))
