"""Writing to the outbox, inside the use cases' transactions.

- :func:`plan_update` / :func:`plan_correction`: one delivery per destination, written in the
  transaction that publishes (or corrects) the update, so an approval and its broadcast are
  committed together or not at all. Each carries what it sends, frozen then
  (:mod:`commsbot.delivery.snapshot`).
- :func:`enqueue_notice`: an internal notice for the notifiers (reminders call it too).
- :func:`on_draft_proposed` / :func:`on_draft_decided`: the notices the draft use cases send;
  :func:`on_incident_changed` / :func:`on_approvers_changed`: those of an incident edit.
"""

from __future__ import annotations

from datetime import datetime

from commsbot.delivery.config import destinations_of
from commsbot.delivery.model import DeliveryKind, DeliveryRecord, delivery_key
from commsbot.delivery.ports import Notice
from commsbot.delivery.snapshot import freeze
from commsbot.domain.model import Draft, DraftState, Incident, IncidentSnapshot, Severity, Update
from commsbot.services import subscriber_outbox
from commsbot.services.deps import Deps, new_id
from commsbot.services.ports import UnitOfWork
from commsbot.subscriptions.model import NoticeKind, NoticeScope

APPROVAL_REQUESTED = "approval_requested"
DRAFT_DECIDED = "draft_decided"
DELIVERY_DEAD = "delivery_dead"
INCIDENT_CHANGED = "incident_changed"


def link_for(deps: Deps, incident_id: str) -> str:
    """The status page's page for the incident: where the full update can be read."""
    return f"{deps.settings.page.url.rstrip('/')}/incidents/{incident_id}"


def plan_update(
    deps: Deps, uow: UnitOfWork, *, snapshot: IncidentSnapshot, update: Update
) -> list[DeliveryRecord]:
    """Write one delivery of ``update`` per destination that wants it (severity, components).

    Call inside the transaction that publishes ``update``; ``snapshot`` is the incident as
    this update leaves it. Every delivery sends exactly these, on every attempt.
    """
    incident = snapshot.incident
    now = deps.clock.now()
    position = uow.outbox.next_position(incident.id)
    frozen = freeze(snapshot, update, link=link_for(deps, incident.id))
    made = []
    for dest in destinations_of(deps.settings.destinations):
        if not dest.wants(severity=incident.severity, components=list(incident.components)):
            continue
        record = DeliveryRecord(
            id=deps.ids(),
            kind=DeliveryKind.UPDATE,
            target=dest.name,
            incident_id=incident.id,
            key=delivery_key(DeliveryKind.UPDATE, update.id, dest.name),
            created_at=now,
            deadline_at=now + dest.give_up_after,
            position=position,
            update_id=update.id,
        )
        uow.outbox.add(record, snapshot=frozen)
        made.append(record)
    return made


def plan_correction(
    deps: Deps, uow: UnitOfWork, *, snapshot: IncidentSnapshot, update: Update, draft: Draft
) -> list[DeliveryRecord]:
    """Write one delivery of the correction per destination the original update went to.

    A correction follows the original: a destination configured since never saw the update
    and is not told it changed. Each comes after everything enqueued earlier for the
    incident, so it is sent after the original (whose message id it needs). ``update`` is
    the corrected update: what the correction's deliveries send (the original's deliveries
    keep sending what was approved first).
    """
    incident = snapshot.incident
    now = deps.clock.now()
    frozen = freeze(snapshot, update, link=link_for(deps, incident.id))
    configured = {d.name: d for d in destinations_of(deps.settings.destinations)}
    targets = dict.fromkeys(
        r.target for r in uow.outbox.for_update(update.id) if r.kind is DeliveryKind.UPDATE
    )
    position = uow.outbox.next_position(incident.id)
    made = []
    for target in targets:
        dest = configured.get(target)
        give_up = dest.give_up_after if dest else destinations_of([])[0].give_up_after
        record = DeliveryRecord(
            id=deps.ids(),
            kind=DeliveryKind.CORRECTION,
            target=target,
            incident_id=incident.id,
            key=delivery_key(DeliveryKind.CORRECTION, draft.id, target),
            created_at=now,
            deadline_at=now + give_up,
            position=position,
            update_id=update.id,
            draft_id=draft.id,
        )
        uow.outbox.add(record, snapshot=frozen)
        made.append(record)
    return made


def enqueue_notice(uow: UnitOfWork, notice: Notice, *, now: datetime | None = None) -> str:
    """Queue an internal notice for every notifier that wants its kind; returns its id.

    Call inside the transaction that makes the notice true (it is sent only if that commits).
    The dispatcher expands it into one delivery per notifier when it next looks, so the
    notifiers need not be known here; ``now`` starts its give-up clock (default: then).

    Example:
        >>> with deps.uow() as uow:  # doctest: +SKIP
        ...     enqueue_notice(uow, Notice(kind="reminder", incident_id=i.id,
        ...                                incident_ref=i.ref, text="Update due", ...))
        ...     uow.commit()
    """
    notice_id = new_id()
    uow.outbox.add_notice(notice_id, notice, created_at=now)
    return notice_id


def _audience(deps: Deps, incident: Incident, draft: Draft, actor: str) -> tuple[str, ...]:
    """Who an approval request pings: the approvers, never the person who just wrote it.

    The actor is left out even when they are an approver (with self-approval allowed, say):
    they know what they wrote. Under four eyes so is the draft's last editor, who cannot
    approve this version.
    """
    policy = deps.settings.policy()
    people = set(policy.approvers_for(incident.severity))
    people.discard(actor)
    if not policy.allow_self_approval:
        people.discard(draft.last_editor)
    return tuple(sorted(people))


def _draft_kind(draft: Draft) -> str:
    if draft.corrects is not None:
        return "correction"
    return "postmortem" if draft.postmortem else draft.status.value


def on_draft_proposed(
    deps: Deps, uow: UnitOfWork, *, incident: Incident, draft: Draft, actor: str, edited: bool
) -> None:
    """Ask the approvers (``approval_requested``): who drafted what, and how to approve it."""
    what = f"edited draft {draft.id}, now v{draft.version}" if edited else "drafted an update"
    if draft.corrects is not None and not edited:
        what = "drafted a correction of a published update"
    _ask(deps, uow, incident=incident, draft=draft, actor=actor, lead=f"{actor} {what} for")


def on_approvers_changed(
    deps: Deps, uow: UnitOfWork, *, incident: Incident, draft: Draft, actor: str, old: Severity
) -> None:
    """Ask again for a pending draft whose approvers changed with the incident's severity."""
    lead = (
        f"{actor} changed the severity from {old.value} to {incident.severity.value}, so this "
        f"draft now needs an approver for {incident.severity.value}:"
    )
    _ask(deps, uow, incident=incident, draft=draft, actor=actor, lead=lead)


def _ask(
    deps: Deps, uow: UnitOfWork, *, incident: Incident, draft: Draft, actor: str, lead: str
) -> None:
    other = (
        f"someone other than {draft.last_editor}"
        if not deps.settings.approval.allow_self_approval
        else "an approver"
    )
    promise = (
        "\n\nIt promises the next update by "
        f"{deps.renderer.promise_format(deps.clock.now())(draft.next_update_by)}."
        if draft.next_update_by is not None and draft.corrects is None
        else ""
    )
    # Approving publishes the document too: the approvers are told, wherever they are asked.
    document = (
        f"\n\nIt also publishes a document on the status page ({len(draft.document):,} "
        f"characters): read it before approving (commsbot incident show {incident.ref})."
        if draft.document is not None
        else ""
    )
    subscribers = _subscribers(deps, uow, incident, draft)
    if subscribers is not None:
        promise += (
            f"\n\nApproving it notifies {subscribers:,} subscriber"
            f"{'s' if subscribers != 1 else ''} by email or webhook."
        )
    text = (
        f"{lead} {incident.ref} “{incident.title}” ({incident.severity.value}, "
        f"{_draft_kind(draft)}, draft {draft.id} v{draft.version}):\n\n{draft.body}{promise}"
        f"{document}"
    )
    # Chat surfaces offer Approve / Edit / Reject and their slash command instead.
    hint = (
        f"To publish it, {other} approves version {draft.version}: "
        f"commsbot update approve {draft.id} --version {draft.version} --as <you>"
        + (" (add --quiet not to notify subscribers)" if subscribers else "")
        + f"; to stop it: commsbot update reject {draft.id} --reason TEXT --as <you>."
    )
    enqueue_notice(
        uow,
        Notice(
            kind=APPROVAL_REQUESTED,
            incident_id=incident.id,
            incident_ref=incident.ref,
            text=text,
            hint=hint,
            draft_id=draft.id,
            draft_version=draft.version,
            audience=_audience(deps, incident, draft, actor),
            subscribers=subscribers,
        ),
        now=deps.clock.now(),
    )


def _subscribers(deps: Deps, uow: UnitOfWork, incident: Incident, draft: Draft) -> int | None:
    """How many subscribers approving ``draft`` would notify now (None: subscriptions off)."""
    if draft.corrects is not None:
        scope = NoticeScope.of(NoticeKind.CORRECTION, ())
        return subscriber_outbox.audience_count(deps, uow, scope, corrects=draft.corrects)
    names = dict.fromkeys([*incident.components, *draft.component_changes])
    return subscriber_outbox.audience_count(deps, uow, subscriber_outbox.scope_of(names))


def on_incident_changed(
    deps: Deps,
    uow: UnitOfWork,
    *,
    incident: Incident,
    actor: str,
    changes: list[str],
    handed_to: str | None,
) -> None:
    """Tell the notifiers what changed (``incident_changed``); a new commander is pinged."""
    text = f"{actor} changed {incident.ref} “{incident.title}”: " + "; ".join(changes) + "."
    enqueue_notice(
        uow,
        Notice(
            kind=INCIDENT_CHANGED,
            incident_id=incident.id,
            incident_ref=incident.ref,
            text=text,
            audience=(handed_to,) if handed_to and handed_to != actor else (),
        ),
        now=deps.clock.now(),
    )


def on_draft_decided(
    deps: Deps,
    uow: UnitOfWork,
    *,
    incident: Incident,
    draft: Draft,
    update: Update | None = None,
    deliveries: int = 0,
    subscribers: int = 0,
) -> None:
    """Tell the author what became of their draft (``draft_decided``)."""
    actor = draft.decided_by or "someone"
    if draft.state is DraftState.PUBLISHED and update is not None:
        done = "corrected" if draft.corrects is not None else "published"
        text = (
            f"{actor} approved draft {draft.id} v{draft.version} of {incident.ref}: update "
            f"#{update.seq} ({update.statuspage_status}) is {done} and on its way to "
            f"{deliveries} destination{'s' if deliveries != 1 else ''}"
            + (
                f" and {subscribers:,} subscriber{'s' if subscribers != 1 else ''}."
                if subscribers
                else (
                    " (subscribers were not notified)." if not update.deliver_notifications else "."
                )
            )
        )
    else:
        verb = "withdrew" if actor == draft.author else "rejected"
        text = (
            f"{actor} {verb} draft {draft.id} v{draft.version} of {incident.ref}: "
            f"{draft.decision_note or 'no reason given'}"
        )
    enqueue_notice(
        uow,
        Notice(
            kind=DRAFT_DECIDED,
            incident_id=incident.id,
            incident_ref=incident.ref,
            text=text,
            draft_id=draft.id,
            draft_version=draft.version,
            audience=() if actor == draft.author else (draft.author,),
        ),
        now=deps.clock.now(),
    )
