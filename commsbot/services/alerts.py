"""Alertmanager notifications become incidents, notes and recovery drafts; never a publish.

A firing group opens an incident with its acknowledgment drafted (or notes on the open incident
that already covers the same components); a resolved group drafts the recovery with the
components operational. People approve.

One notification is one unit of work, from loading the group to the commit: the group is
locked (or, when new, inserted) first, then the incident declared, the note written and the
group bound to the incident; a crash anywhere leaves nothing, and the next notification
starts over. Two copies of a notification at once (an HA Alertmanager, two replicas) take
turns on the group's row: the second sees what the first did and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from commsbot.domain.alerts import (
    AlertGroup,
    AlertGroupState,
    AlertNotification,
    describe,
    fit_title,
    map_components,
    pick_severity,
)
from commsbot.domain.errors import CommsbotError, ConcurrentChange
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import MAX_BODY, MAX_TITLE, ComponentStatus, Incident, clean_text
from commsbot.domain.policy import Actor
from commsbot.services import promises
from commsbot.services.deps import Deps
from commsbot.services.drafts import draft_update
from commsbot.services.incidents import note, open_incident
from commsbot.services.ports import UnitOfWork

#: A lost race (a new group inserted, an incident number taken at the same moment) is retried:
#: the next attempt sees what the winner did.
_ATTEMPTS = 4
#: Open incidents looked at for one that already covers the alerts' components.
_COVERING_SCAN = 200


@dataclass(frozen=True)
class AlertOutcome:
    """What the receiver did with a notification.

    ``outcome``: ``declared`` (new incident, acknowledgment drafted), ``attached`` (note on the
    open incident covering the same components), ``noted`` (alerts changed, or a recovery could
    not be drafted; note added), ``recovery_proposed`` (all resolved; recovery drafted) or
    ``unchanged`` (a repeat, or a resolution of a group never seen).
    """

    outcome: str
    incident_id: str | None = None
    incident_ref: str | None = None
    draft_id: str | None = None
    ignored_components: tuple[str, ...] = field(default_factory=tuple)


def receive_alerts(deps: Deps, notification: AlertNotification, actor: Actor) -> AlertOutcome:
    """Act on one Alertmanager notification, in one transaction.

    Never refuses what a real Alertmanager sends (it would not send it again): titles are
    shortened to fit, odd label values cleaned, unknown severities defaulted, and the timeline
    note says what was adjusted.

    Args:
        notification: the webhook payload, parsed.
        actor: who acts (the API token's actor); the policy must let them respond.

    Raises:
        NotAllowed: the policy does not let ``actor`` respond to incidents.
        ConcurrentChange: other writers kept winning the same rows (after a few attempts).

    Example:
        >>> receive_alerts(deps, notification, Actor("alertmanager")).outcome  # doctest: +SKIP
        'declared'
    """
    deps.settings.policy().check_respond(actor, "act on Alertmanager alerts")
    for attempt in range(_ATTEMPTS):
        try:
            return _receive_once(deps, notification, actor)
        except ConcurrentChange:
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _receive_once(deps: Deps, notification: AlertNotification, actor: Actor) -> AlertOutcome:
    firing = notification.firing
    with deps.uow() as uow:
        group = uow.alert_groups.lock(notification.group_key)
        if notification.status == "resolved" or not firing:
            outcome = _resolved(deps, uow, notification, group, actor)
        else:
            outcome = _firing(deps, uow, notification, group, actor)
        uow.commit()
    return outcome


def _outcome(
    outcome: str,
    incident: Incident,
    *,
    draft_id: str | None = None,
    ignored: list[str] | None = None,
) -> AlertOutcome:
    return AlertOutcome(
        outcome=outcome,
        incident_id=incident.id,
        incident_ref=incident.ref,
        draft_id=draft_id,
        ignored_components=tuple(ignored or ()),
    )


def _write_note(deps: Deps, uow: UnitOfWork, incident: Incident, text: str, actor: Actor) -> None:
    note(
        deps,
        uow,
        incident=incident,
        text=clean_text(text, what="note", limit=MAX_BODY),
        actor=actor,
    )


def _firing(
    deps: Deps,
    uow: UnitOfWork,
    notification: AlertNotification,
    group: AlertGroup | None,
    actor: Actor,
) -> AlertOutcome:
    cfg = deps.settings.http.alertmanager
    now = deps.clock.now()
    firing = notification.firing
    fingerprints = tuple(sorted({a.key() for a in firing}))
    mapping = map_components(
        firing,
        label=cfg.component_label,
        aliases=cfg.components,
        catalogue=[c.name for c in deps.settings.components],
    )
    if group is not None and group.incident_id and group.state is not AlertGroupState.CLAIMED:
        incident = uow.incidents.get(group.incident_id)
        again = group.state is AlertGroupState.RESOLVED
        if not again and group.fingerprints == fingerprints:
            return _outcome("unchanged", incident)
        if incident.status is not Status.RECOVERED:
            # Changed alerts, or firing again before the recovery was published: same incident.
            group.bind(incident.id, fingerprints, now=now)
            uow.alert_groups.save(group)
            text = describe(
                notification,
                f"{len(firing)} alert(s) {'firing again' if again else 'now firing'}",
                ignored=mapping.ignored,
                adjustments=mapping.adjustments,
            )
            _write_note(deps, uow, incident, text, actor)
            return _outcome("noted", incident, ignored=mapping.ignored)
        # Its incident was recovered: a new episode, below.
    if group is None:
        # Taking the row first makes a concurrent copy of this notification wait here.
        group = AlertGroup(
            group_key=notification.group_key,
            state=AlertGroupState.CLAIMED,
            updated_at=now,
            receiver=notification.receiver,
        )
        uow.alert_groups.add(group)
    target = _covering_incident(uow, mapping.names)
    if target is not None:
        text = describe(
            notification,
            f"{len(firing)} alert(s) firing",
            ignored=mapping.ignored,
            adjustments=mapping.adjustments,
        )
        _write_note(deps, uow, target, text, actor)
        group.bind(target.id, fingerprints, now=now)
        uow.alert_groups.save(group)
        return _outcome("attached", target, ignored=mapping.ignored)
    severity, severity_notes = pick_severity(
        firing,
        label=cfg.severity_label,
        mapping=cfg.severities,
        default=cfg.default_severity,
    )
    title, title_notes = fit_title(cfg.title, mapping.names, limit=MAX_TITLE)
    declared = open_incident(
        deps,
        uow,
        title=clean_text(title, what="incident title", limit=MAX_TITLE),
        severity=severity,
        components=dict.fromkeys(mapping.names),
        default_impact=deps.settings.severities[severity].default_impact,
        actor=actor,
        body=None,
        promise=promises.default_promise(deps, severity, Status.INVESTIGATING, now=now),
    )
    incident = declared.incident.incident
    text = describe(
        notification,
        f"{len(firing)} alert(s) firing",
        ignored=mapping.ignored,
        adjustments=[*title_notes, *mapping.adjustments, *severity_notes],
    )
    _write_note(deps, uow, incident, text, actor)
    group.bind(incident.id, fingerprints, now=now)
    uow.alert_groups.save(group)
    return _outcome("declared", incident, draft_id=declared.draft.id, ignored=mapping.ignored)


def _covering_incident(uow: UnitOfWork, names: list[str]) -> Incident | None:
    """The newest open incident that affects every one of ``names`` (None for no names)."""
    if not names:
        return None
    wanted = {n.casefold() for n in names}
    for incident in uow.incidents.list(open_only=True, limit=_COVERING_SCAN):
        if wanted <= {c.casefold() for c in incident.components}:
            return incident
    return None


def _resolved(
    deps: Deps,
    uow: UnitOfWork,
    notification: AlertNotification,
    group: AlertGroup | None,
    actor: Actor,
) -> AlertOutcome:
    if group is None or group.state is not AlertGroupState.FIRING or not group.incident_id:
        incident_id = group.incident_id if group else None
        return AlertOutcome(outcome="unchanged", incident_id=incident_id)
    incident = uow.incidents.get(group.incident_id)
    group.resolve(now=deps.clock.now())
    uow.alert_groups.save(group)
    headline = "all alerts resolved"
    others = [g for g in uow.alert_groups.firing_for(incident.id) if g.group_key != group.group_key]
    pending = [
        d
        for d in uow.drafts.for_incident(incident.id, pending_only=True)
        if d.status is Status.RECOVERED and not d.postmortem
    ]
    why_not = None
    if incident.status is Status.RECOVERED:
        why_not = "the incident is already recovered"
    elif others:
        why_not = f"{len(others)} other alert group(s) of this incident are still firing"
    elif pending:
        why_not = f"recovery draft {pending[0].id} is already waiting for approval"
    if why_not is None:
        try:
            draft = draft_update(
                deps,
                uow,
                incident=incident,
                status=Status.RECOVERED,
                actor=actor,
                component_changes=dict.fromkeys(incident.components, ComponentStatus.OPERATIONAL),
            )
        except ConcurrentChange:
            raise
        except CommsbotError as exc:  # e.g. the lifecycle refuses; people decide from the note
            why_not = f"could not draft the recovery: {exc}"
        else:
            text = describe(notification, f"{headline}; recovery drafted for approval")
            _write_note(deps, uow, incident, text, actor)
            return _outcome("recovery_proposed", incident, draft_id=draft.id)
    text = describe(notification, f"{headline}; no recovery proposed: {why_not}")
    _write_note(deps, uow, incident, text, actor)
    return _outcome("noted", incident)
