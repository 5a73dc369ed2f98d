"""Use cases on incidents: declare, edit (title, severity, commander), note, list, show."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from commsbot.delivery.model import DeliveryRecord
from commsbot.domain.errors import ConcurrentChange, GuardFailed, InvalidInput
from commsbot.domain.events import (
    CommanderChanged,
    DraftProposed,
    Event,
    IncidentDeclared,
    IncidentRetitled,
    NoteAdded,
    SeverityChanged,
)
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import (
    MAX_BODY,
    MAX_TITLE,
    ComponentStatus,
    Draft,
    Incident,
    IncidentSnapshot,
    Severity,
    TimelineEntry,
    clean_text,
)
from commsbot.domain.policy import Actor
from commsbot.domain.text import clean_name
from commsbot.services import components as catalogue
from commsbot.services import outbox, promises
from commsbot.services import reminder_plans as reminders
from commsbot.services.deps import Deps
from commsbot.services.ports import UnitOfWork
from commsbot.services.results import Declared, IncidentDetail, IncidentEdited

#: Declaring allocates the next incident number; two replicas declaring at once may collide.
_DECLARE_ATTEMPTS = 3
#: The longest actor id a commander may have (ids are names, slack:U…, discord:…).
MAX_ACTOR = 200


def record(uow: UnitOfWork, *events: Event) -> None:
    """Write each event as a line of its incident's timeline, in the same transaction."""
    for event in events:
        uow.timeline.append(
            TimelineEntry(
                incident_id=event.incident_id,
                at=event.at,
                actor=event.actor,
                action=event.action,
                detail=event.detail,
            )
        )


def file_draft(
    deps: Deps, uow: UnitOfWork, *, incident: Incident, draft: Draft, actor: Actor
) -> None:
    """Add a new draft; its approval request, approval nudges and timeline line go with it."""
    uow.drafts.add(draft)
    reminders.on_draft_created(deps, uow, incident=incident, draft=draft)
    outbox.on_draft_proposed(
        deps, uow, incident=incident, draft=draft, actor=actor.id, edited=False
    )
    record(
        uow,
        DraftProposed(incident_id=incident.id, actor=actor.id, at=draft.created_at, draft=draft),
    )


def snapshot(uow: UnitOfWork, incident: Incident) -> IncidentSnapshot:
    comps = uow.components.get_many(incident.components)
    return IncidentSnapshot(
        incident=incident,
        components={n: comps[n].status for n in incident.components if n in comps},
    )


def declare(
    deps: Deps,
    *,
    title: str,
    severity: Severity,
    components: Mapping[str, ComponentStatus | None],
    actor: Actor,
    body: str | None = None,
    next_update: str | None = None,
) -> Declared:
    """Open an incident in ``investigating`` with its acknowledgment drafted, not yet sent.

    Args:
        title: what the public will see as the incident's name.
        severity: sets the update cadence and who approves.
        components: affected components and their impact (None: the severity's default impact).
        actor: the incident commander.
        body: the acknowledgment's text; by default the ``investigating`` template.
        next_update: when the acknowledgment promises the next update, as typed (``45m``,
            ``16:30``, an ISO time); by default now + the severity's cadence.

    Returns:
        The incident and its acknowledgment draft, which waits for a second person.

    Example:
        >>> declare(deps, title="ChatGPT unavailable", severity=Severity.SEV1,
        ...         components={"ChatGPT": None}, actor=Actor("alice"))  # doctest: +SKIP
    """
    deps.settings.policy().check_respond(actor, "declare an incident")
    title = clean_text(title, what="incident title", limit=MAX_TITLE, field="title")
    if body is not None:
        body = clean_text(body, what="acknowledgment", limit=MAX_BODY, field="body")
    default_impact = deps.settings.severities[severity].default_impact
    for attempt in range(_DECLARE_ATTEMPTS):
        try:
            return _declare_once(
                deps,
                title=title,
                severity=severity,
                components=components,
                default_impact=default_impact,
                actor=actor,
                body=body,
                next_update=next_update,
            )
        except ConcurrentChange:
            if attempt == _DECLARE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _declare_once(
    deps: Deps,
    *,
    title: str,
    severity: Severity,
    components: Mapping[str, ComponentStatus | None],
    default_impact: ComponentStatus,
    actor: Actor,
    body: str | None,
    next_update: str | None,
) -> Declared:
    now = deps.clock.now()
    promise = promises.promise_for(
        deps, next_update, severity=severity, status=Status.INVESTIGATING, now=now
    )
    with deps.uow() as uow:
        result = open_incident(
            deps,
            uow,
            title=title,
            severity=severity,
            components=components,
            default_impact=default_impact,
            actor=actor,
            body=body,
            promise=promise,
        )
        uow.commit()
    return result


def open_incident(
    deps: Deps,
    uow: UnitOfWork,
    *,
    title: str,
    severity: Severity,
    components: Mapping[str, ComponentStatus | None],
    default_impact: ComponentStatus,
    actor: Actor,
    body: str | None,
    promise: datetime | None,
) -> Declared:
    """The steps of :func:`declare` inside the caller's unit of work, which commits.

    ``title`` and ``body`` must already be cleaned (``clean_text``), the policy checked and the
    acknowledgment's promised next update (``promise``) decided.
    """
    now = deps.clock.now()
    status = Status.INVESTIGATING
    comps = catalogue.resolve(uow, deps.settings, components, now=now)
    impacts = {comps[typed].name: impact or default_impact for typed, impact in components.items()}
    incident = Incident(
        id=deps.ids(),
        number=uow.incidents.next_number(),
        title=title,
        severity=severity,
        status=Status.INVESTIGATING,
        components=list(impacts),
        commander=actor.id,
        declared_at=now,
        updated_at=now,
    )
    source = (
        promises.source_of(deps, body, promise, now=now)
        if body
        else deps.renderer.render(
            status,
            title=title,
            severity=severity.value,
            components=incident.components,
            started_at=now,
            now=now,
            next_update_by=promise,
        )
    )
    draft = Draft(
        id=deps.ids(),
        incident_id=incident.id,
        author=actor.id,
        body=source,
        body_source=source,
        next_update_by=promise,
        status=status,
        base_status=status,
        component_changes=impacts,
        created_at=now,
        updated_at=now,
    )
    draft.write(deps.renderer.promise_format(now))
    uow.incidents.add(incident)
    record(
        uow,
        IncidentDeclared(
            incident_id=incident.id,
            actor=actor.id,
            at=now,
            title=title,
            severity=severity.value,
            components=tuple(incident.components),
        ),
    )
    file_draft(deps, uow, incident=incident, draft=draft, actor=actor)
    return Declared(incident=snapshot(uow, incident), draft=draft)


def edit_incident(
    deps: Deps,
    *,
    incident_ref: str,
    actor: Actor,
    title: str | None = None,
    severity: Severity | None = None,
    commander: str | None = None,
) -> IncidentEdited:
    """Change an incident's title, severity or commander (a handoff): internal, at once.

    Each change is a line on the timeline and an ``incident_changed`` notice (a new commander
    is pinged). What depends on them follows: a new commander gets the next-update and RCA
    reminders; a new severity sets who is reminded and who may approve (pending drafts are
    put before the new approvers again), and the cadence drafts written from now on promise.
    What was already published stays as published: the status page shows the title of the
    last published update until the next one is approved, and a "next update by" already
    promised is still reminded at that time.

    Args:
        title: the new title (None: unchanged).
        severity: the new severity (None: unchanged).
        commander: the new commander's actor id (None: unchanged), as in the approver lists.

    Raises:
        NotAllowed: ``actor`` is not a responder.
        InvalidInput: nothing given.
        GuardFailed: nothing different from what the incident already has.
        NotFound, ConcurrentChange: nothing was written.

    Example:
        >>> edit_incident(deps, incident_ref="INC-1", actor=Actor("maya"),
        ...               severity=Severity.SEV1, commander="sam")  # doctest: +SKIP
    """
    deps.settings.policy().check_respond(actor, "edit an incident")
    if title is None and severity is None and commander is None:
        raise InvalidInput("nothing to change; give a new title, severity or commander")
    if title is not None:
        title = clean_text(title, what="incident title", limit=MAX_TITLE, field="title")
    if commander is not None:
        commander = _actor_id(commander)
    now = deps.clock.now()
    with deps.uow() as uow:
        incident = uow.incidents.get(incident_ref)
        old_severity, old_commander = incident.severity, incident.commander
        events: list[Event] = []
        if title is not None and title != incident.title:
            events.append(
                IncidentRetitled(
                    incident_id=incident.id,
                    actor=actor.id,
                    at=now,
                    old=incident.title,
                    new=title,
                    public=incident.public_title,
                )
            )
            incident.title = title
        if severity is not None and severity is not old_severity:
            events.append(
                SeverityChanged(
                    incident_id=incident.id,
                    actor=actor.id,
                    at=now,
                    old=old_severity.value,
                    new=severity.value,
                )
            )
            incident.severity = severity
        if commander is not None and commander != old_commander:
            events.append(
                CommanderChanged(
                    incident_id=incident.id,
                    actor=actor.id,
                    at=now,
                    old=old_commander,
                    new=commander,
                )
            )
            incident.commander = commander
        if not events:
            # The request is well formed; the incident's state makes it a no-op (409, as other
            # refusals that depend on what the incident is).
            raise GuardFailed(_unchanged(incident, title, severity, commander))
        incident.updated_at = now
        uow.incidents.save(incident)
        _replan(deps, uow, incident=incident, actor=actor, old_severity=old_severity)
        outbox.on_incident_changed(
            deps,
            uow,
            incident=incident,
            actor=actor.id,
            changes=[f"{e.action}: {e.detail}" for e in events],
            handed_to=incident.commander if incident.commander != old_commander else None,
        )
        record(uow, *events)
        result = IncidentEdited(
            incident=snapshot(uow, incident), changed=tuple(e.action for e in events)
        )
        uow.commit()
    return result


def _replan(
    deps: Deps, uow: UnitOfWork, *, incident: Incident, actor: Actor, old_severity: Severity
) -> None:
    """Reminders follow the new commander and severity; pending drafts the new approvers."""
    reminders.on_incident_changed(deps, uow, incident=incident)
    policy = deps.settings.policy()
    if policy.approvers_for(old_severity) == policy.approvers_for(incident.severity):
        return
    for draft in uow.drafts.for_incident(incident.id, pending_only=True):
        outbox.on_approvers_changed(
            deps, uow, incident=incident, draft=draft, actor=actor.id, old=old_severity
        )


def _actor_id(raw: str) -> str:
    example = "a name, slack:U024BE7LH or discord:80351110224678912, as in the approver lists"
    if not raw.strip():
        raise InvalidInput(f"the new commander is empty; name them: {example}")
    # Control characters and the like are refused by name, as in every other text.
    cleaned = clean_name(raw, what="new commander", limit=MAX_ACTOR)
    if any(c.isspace() for c in cleaned):
        raise InvalidInput(
            f"{cleaned[:40]!r} is not an actor id (one word, at most {MAX_ACTOR} characters); "
            f"name the new commander as {example}"
        )
    return cleaned


def _unchanged(
    incident: Incident, title: str | None, severity: Severity | None, commander: str | None
) -> str:
    same = []
    if title is not None:
        same.append(f"the title {title!r}")
    if severity is not None:
        same.append(f"severity {severity.value}")
    if commander is not None:
        same.append(f"commander {commander}")
    return (
        f"nothing to change: {incident.ref} already has {' and '.join(same)}; give a "
        "different title, severity or commander"
    )


def add_note(deps: Deps, *, incident_ref: str, text: str, actor: Actor) -> TimelineEntry:
    """Add an internal note to the timeline. Notes are never published."""
    deps.settings.policy().check_respond(actor, "add a note")
    text = clean_text(text, what="note", limit=MAX_BODY)
    with deps.uow() as uow:
        incident = uow.incidents.get(incident_ref)
        entry = note(deps, uow, incident=incident, text=text, actor=actor)
        uow.commit()
    return entry


def note(
    deps: Deps, uow: UnitOfWork, *, incident: Incident, text: str, actor: Actor
) -> TimelineEntry:
    """Write a cleaned note on ``incident``'s timeline, inside the caller's unit of work."""
    now = deps.clock.now()
    event = NoteAdded(incident_id=incident.id, actor=actor.id, at=now, text=text)
    record(uow, event)
    return TimelineEntry(
        incident_id=incident.id, at=now, actor=actor.id, action=event.action, detail=text
    )


def list_incidents(
    deps: Deps, *, open_only: bool = False, limit: int = 50
) -> list[IncidentSnapshot]:
    """Incidents, newest first, with their components' current status."""
    with deps.read() as uow:
        return [snapshot(uow, i) for i in uow.incidents.list(open_only=open_only, limit=limit)]


def show_incident(deps: Deps, *, incident_ref: str) -> IncidentDetail:
    """Status, components, published updates, pending drafts and the whole timeline."""
    with deps.read() as uow:
        incident = uow.incidents.get(incident_ref)
        deliveries: dict[str, list[DeliveryRecord]] = {}
        for delivery in uow.ledger.for_incident(incident.id):
            deliveries.setdefault(delivery.update_id or "", []).append(delivery)
        updates = list(uow.updates.for_incident(incident.id))
        return IncidentDetail(
            incident=snapshot(uow, incident),
            updates=updates,
            pending=list(uow.drafts.for_incident(incident.id, pending_only=True)),
            timeline=list(uow.timeline.for_incident(incident.id)),
            deliveries=deliveries,
            subscribers=uow.fanouts.for_updates([u.id for u in updates]),
        )
