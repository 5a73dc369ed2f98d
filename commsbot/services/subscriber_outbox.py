"""Planning the subscriber fan-out, inside the transaction that publishes (never commits).

:func:`plan_fanout` is generic over "a published public text with a component scope": an
update, a correction, a maintenance notice. The approving use case freezes what is sent
(:class:`~commsbot.subscriptions.fanout.FanoutContent`) and calls it once; one row is written
however many subscribers there are, and the sender engine (``engines/subscribers.py``) does
the rest. :func:`for_update` builds the content of an incident update or correction.

A maintenance notice uses it as::

    content = FanoutContent(NoticeContent(notice_id=notice.id, kind=NoticeKind.MAINTENANCE,
                                          incident_id=maintenance.id, incident_ref="MNT-3", …),
                            # webhook subscribers get maintenance.published built from it
                            delivery=freeze_maintenance(maintenance, notice, …))
    plan_fanout(deps, uow, content=content, subject_ref="MNT-3",
                scope=NoticeScope.of(NoticeKind.MAINTENANCE, maintenance.components))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from commsbot.domain.lifecycle import Trigger
from commsbot.domain.model import IncidentSnapshot, Update
from commsbot.services.deps import Deps
from commsbot.services.ports import UnitOfWork
from commsbot.subscriptions.fanout import Fanout, FanoutContent, content_json
from commsbot.subscriptions.model import NoticeKind, NoticeScope
from commsbot.subscriptions.render import NoticeContent


def enabled(deps: Deps) -> bool:
    return deps.settings.subscriptions.enabled


def plan_fanout(
    deps: Deps,
    uow: UnitOfWork,
    *,
    content: FanoutContent,
    scope: NoticeScope,
    subject_ref: str,
    corrects: str | None = None,
    update_id: str | None = None,
) -> Fanout | None:
    """Write the one fan-out row of a published notice; None when it concerns nobody (or
    subscriptions are off).

    The subscribers it goes to are those confirmed now (``as_of``) whom ``scope`` concerns
    (for a correction: those ``corrects`` was sent to); they are counted now for the ledger.
    """
    if not enabled(deps):
        return None
    now = deps.clock.now()
    planned = uow.subscribers.count_audience(scope, corrects=corrects, as_of=now)
    if planned == 0:
        return None
    notice = content.notice
    fanout = Fanout(
        id=deps.ids(),
        notice_id=notice.notice_id,
        kind=scope.kind,
        subject_id=notice.incident_id,
        subject_ref=subject_ref,
        position=uow.fanouts.next_position(notice.incident_id),
        scope=scope,
        created_at=now,
        deadline_at=now + deps.settings.subscriptions.give_up_after,
        as_of=now,
        corrects=corrects,
        update_id=update_id,
        planned=planned,
    )
    uow.fanouts.add(fanout, content=content_json(content))
    return fanout


def status_label(update: Update) -> str:
    """As the status page labels it: ``Investigating`` … ``Resolved``, ``Postmortem``."""
    if update.trigger is Trigger.POSTMORTEM:
        return "Postmortem"
    return update.statuspage_status.title()


def for_update(
    snapshot: IncidentSnapshot,
    update: Update,
    *,
    link: str,
    delivery: Mapping[str, Any] | None,
    correction_id: str | None = None,
) -> tuple[FanoutContent, NoticeScope]:
    """The frozen content and the scope of an update (or, with ``correction_id``, of its
    correction: ``update`` is then the corrected update)."""
    incident = snapshot.incident
    kind = NoticeKind.UPDATE if correction_id is None else NoticeKind.CORRECTION
    notice = NoticeContent(
        notice_id=correction_id or update.id,
        kind=kind,
        incident_id=incident.id,
        incident_ref=incident.ref,
        title=incident.public_title or incident.title,
        status_label=status_label(update),
        body=update.body,
        published_at=update.corrected_at
        if correction_id and update.corrected_at
        else (update.published_at),
        link=link,
        seq=update.seq,
        next_update_by=update.next_update_by,
        components=tuple((name, status.label) for name, status in snapshot.components.items()),
    )
    return FanoutContent(notice=notice, delivery=delivery), NoticeScope.of(
        kind, incident.components
    )


def scope_of(components: Iterable[str]) -> NoticeScope:
    """The scope of an update of an incident affecting ``components``."""
    return NoticeScope.of(NoticeKind.UPDATE, components)


def audience_count(
    deps: Deps, uow: UnitOfWork, scope: NoticeScope, *, corrects: str | None = None
) -> int | None:
    """How many subscribers a notice of ``scope`` would reach now (None: subscriptions off)."""
    if not enabled(deps):
        return None
    return uow.subscribers.count_audience(scope, corrects=corrects)
