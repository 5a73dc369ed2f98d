"""The dispatcher's database work: synchronous, one transaction per call, run in a thread.

Nothing here talks to a platform: claims and outcomes are written in short transactions
around the (async) attempt, never during it. Claims and outcomes come in batches so that a
broadcast to hundreds of destinations costs a few transactions, not hundreds.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from commsbot.delivery.config import NotifierConfig
from commsbot.delivery.model import DeliveryKind, DeliveryRecord, delivery_key
from commsbot.delivery.ports import MaintenanceOutbound, Notice, Outbound, Receipt
from commsbot.delivery.snapshot import Frozen, thaw, thaw_maintenance
from commsbot.domain.model import TimelineEntry
from commsbot.services.deps import Deps
from commsbot.services.outbox import (
    APPROVAL_REQUESTED,
    DELIVERY_DEAD,
    DRAFT_DECIDED,
    enqueue_notice,
    link_for,
)
from commsbot.services.ports import UnitOfWork
from commsbot.templates import format_moment

log = logging.getLogger("commsbot.delivery")

#: Who the timeline names for what the dispatcher does.
ACTOR = "commsbot"


@dataclass(frozen=True)
class Claim:
    delivery_id: str
    owner: str
    now: datetime
    until: datetime


@dataclass(frozen=True)
class Job:
    """A claimed delivery and what to hand its target: an Outbound, a scheduled-maintenance
    notice, or an internal Notice."""

    record: DeliveryRecord
    outbound: Outbound | None = None
    notice: Notice | None = None
    maintenance: MaintenanceOutbound | None = None


@dataclass(frozen=True)
class Outcome:
    """How an attempt ended: sent (``receipt``), retrying (``retry_at``) or dead (neither)."""

    record: DeliveryRecord
    owner: str
    at: datetime
    receipt: Receipt | None = None
    error: str | None = None
    retry_at: datetime | None = None
    maybe_sent: bool = False


def due(
    deps: Deps, *, now: datetime, destinations: Collection[str], notifiers: Collection[str]
) -> tuple[Sequence[DeliveryRecord], datetime | None]:
    """The next delivery of each idle target, and when to look again at the latest."""
    with deps.read() as uow:
        records = uow.queue.due(now=now, destinations=destinations, notifiers=notifiers)
        return records, uow.queue.next_wakeup(after=now)


def expand_notices(deps: Deps, *, notifiers: Sequence[NotifierConfig], now: datetime) -> int:
    """Turn notices nobody expanded yet into one delivery per notifier; returns how many."""
    with deps.read() as uow:
        if not uow.queue.unexpanded_notices(limit=1):
            return 0
    made = 0
    with deps.uow() as uow:
        for notice_id, notice, created_at in uow.queue.unexpanded_notices(limit=200):
            if not uow.queue.claim_notice(notice_id, now=now):
                continue  # another replica expanded it
            start = created_at or now
            for config in notifiers:
                if not config.wants(notice.kind):
                    continue
                uow.outbox.add(
                    DeliveryRecord(
                        id=deps.ids(),
                        kind=DeliveryKind.NOTICE,
                        target=config.name,
                        incident_id=notice.incident_id,
                        key=delivery_key(DeliveryKind.NOTICE, notice_id, config.name),
                        created_at=start,
                        deadline_at=start + config.give_up_after,
                        notice_id=notice_id,
                    )
                )
                made += 1
        uow.commit()
    return made


def claim_batch(deps: Deps, claims: Sequence[Claim]) -> list[Job | None]:
    """Claim each delivery (None where another holder won) and load what its attempt needs."""
    jobs: list[Job | None] = []
    with deps.uow() as uow:
        for claim in claims:
            record = uow.queue.claim(
                claim.delivery_id, owner=claim.owner, now=claim.now, until=claim.until
            )
            jobs.append(None if record is None else _job(deps, uow, record))
        uow.commit()
    return jobs


def _job(deps: Deps, uow: UnitOfWork, record: DeliveryRecord) -> Job:
    if record.kind is DeliveryKind.NOTICE:
        assert record.notice_id is not None
        return Job(record=record, notice=_notice(uow, record))
    if record.kind is DeliveryKind.MAINTENANCE:
        raw = uow.ledger.snapshot_of(record.id)
        assert raw is not None  # planned with its snapshot, always
        return Job(
            record=record,
            maintenance=MaintenanceOutbound(
                delivery_id=record.id,
                key=record.key,
                post=thaw_maintenance(raw),
                attempt=record.attempts,
                thread_id=uow.ledger.thread_for(
                    target=record.target, incident_id=record.incident_id
                ),
                maybe_sent=record.maybe_sent,
            ),
        )
    frozen = _frozen(uow, record)
    assert frozen.update is not None
    correction = record.kind is DeliveryKind.CORRECTION
    return Job(
        record=record,
        outbound=Outbound(
            delivery_id=record.id,
            key=record.key,
            incident=frozen.incident,
            update=frozen.update,
            link=frozen.link or link_for(deps, record.incident_id),
            attempt=record.attempts,
            # Where to find what came before is read now: it exists only once the earlier
            # deliveries to this target were sent, which the outbox's order ensures.
            correction_of=(
                uow.ledger.message_id_for(update_id=frozen.update.id, target=record.target)
                if correction
                else None
            ),
            thread_id=uow.ledger.thread_for(target=record.target, incident_id=record.incident_id),
            is_correction=correction,
            maybe_sent=record.maybe_sent,
        ),
    )


def _frozen(uow: UnitOfWork, record: DeliveryRecord) -> Frozen:
    """What the delivery sends, as frozen when it was planned.

    Rows planned by earlier versions of commsbot froze only the incident: their update is
    read back as approved (a correction's text is its draft's, and an update corrected since
    is sent with the text it was published with).
    """
    raw = uow.ledger.snapshot_of(record.id)
    if raw is not None:
        frozen = thaw(raw)
    else:  # rows always carry one; read the incident as it is now rather than fail
        from commsbot.services.incidents import snapshot

        frozen = Frozen(snapshot(uow, uow.incidents.get(record.incident_id)), None, None)
    if frozen.update is not None:
        return frozen
    assert record.update_id is not None
    update = uow.updates.get(record.update_id)
    if record.kind is DeliveryKind.CORRECTION and record.draft_id is not None:
        fix = uow.drafts.get(record.draft_id)
        update = replace(update, body=fix.body, corrected_at=fix.decided_at)
    elif update.corrected_at is not None:
        published = uow.drafts.get(update.draft_id)
        update = replace(update, body=published.body, corrected_at=None, authors=published.authors)
    return replace(frozen, update=update)


def _notice(uow: UnitOfWork, record: DeliveryRecord) -> Notice:
    """The notice as it was enqueued, with this delivery's key and what the notifier needs."""
    assert record.notice_id is not None
    notice = uow.ledger.notice(record.notice_id)
    request = None
    if notice.kind == DRAFT_DECIDED and notice.draft_id is not None:
        request = uow.ledger.notice_message_id(
            target=record.target,
            incident_id=record.incident_id,
            kind=APPROVAL_REQUESTED,
            draft_id=notice.draft_id,
        )
    return replace(
        notice,
        key=record.key,
        maybe_sent=record.maybe_sent,
        at=record.created_at,
        request_message_id=request,
    )


def finish_batch(deps: Deps, outcomes: Sequence[Outcome]) -> list[bool]:
    """Write each outcome; False where the lease was lost (another holder took over).

    One transaction for the batch; if it fails, each outcome is written on its own so that
    one bad row cannot hold the others back.
    """
    try:
        with deps.uow() as uow:
            written = [_finish(deps, uow, o) for o in outcomes]
            uow.commit()
        return written
    except Exception:
        if len(outcomes) == 1:
            raise
        log.exception("writing %d delivery outcomes together failed; writing each", len(outcomes))
    results = []
    for outcome in outcomes:
        try:
            results.extend(finish_batch(deps, [outcome]))
        except Exception:
            log.exception(
                "could not record the outcome of delivery %s",
                outcome.record.id,
                extra={
                    "delivery_id": outcome.record.id,
                    "target": outcome.record.target,
                    "incident_id": outcome.record.incident_id,
                },
            )
            results.append(False)
    return results


def _finish(deps: Deps, uow: UnitOfWork, outcome: Outcome) -> bool:
    record = outcome.record
    if outcome.receipt is not None:
        won = uow.queue.mark_sent(
            record.id, owner=outcome.owner, now=outcome.at, receipt=outcome.receipt
        )
        if won and outcome.receipt.thread_id and record.kind is not DeliveryKind.NOTICE:
            uow.queue.remember_thread(
                target=record.target,
                incident_id=record.incident_id,
                thread_id=outcome.receipt.thread_id,
                now=outcome.at,
            )
    elif outcome.retry_at is not None:
        won = uow.queue.mark_retry(
            record.id,
            owner=outcome.owner,
            next_attempt_at=outcome.retry_at,
            error=outcome.error or "failed",
            maybe_sent=outcome.maybe_sent,
        )
    else:
        won = uow.queue.mark_dead(
            record.id,
            owner=outcome.owner,
            now=outcome.at,
            error=outcome.error or "failed",
            maybe_sent=outcome.maybe_sent,
        )
        if won:
            raise_dead(deps, uow, uow.ledger.get(record.id), at=outcome.at)
    if not won:
        log.warning(
            "delivery %s to %s: the lease ran out before the attempt ended; another "
            "dispatcher took it over and its outcome stands",
            record.id,
            record.target,
            extra={
                "delivery_id": record.id,
                "target": record.target,
                "incident_id": record.incident_id,
            },
        )
    return won


def describe(uow: UnitOfWork, record: DeliveryRecord) -> str:
    """``update #2``, ``the correction of update #2``, ``notice approval_requested`` or
    ``maintenance notice #1``."""
    if record.kind is DeliveryKind.MAINTENANCE:
        raw = uow.ledger.snapshot_of(record.id)
        seq = raw["notice"]["seq"] if raw else "?"
        return f"maintenance notice #{seq}"
    if record.kind is DeliveryKind.NOTICE:
        kind = uow.ledger.notice(record.notice_id).kind if record.notice_id else "?"
        return f"notice {kind}"
    seq = uow.updates.get(record.update_id).seq if record.update_id else "?"
    return (
        f"the correction of update #{seq}"
        if record.kind is DeliveryKind.CORRECTION
        else (f"update #{seq}")
    )


def raise_dead(deps: Deps, uow: UnitOfWork, record: DeliveryRecord, *, at: datetime) -> None:
    """A delivery went dead: say so on the incident's (or maintenance's) timeline and to its
    notifiers."""
    maintenance = uow.maintenances.find(record.incident_id)
    if maintenance is not None:
        ref, owner = maintenance.ref, maintenance.owner
    else:
        incident = uow.incidents.get(record.incident_id)
        ref, owner = incident.ref, incident.commander
    what = describe(uow, record)
    role = "notifier" if record.kind is DeliveryKind.NOTICE else "destination"
    text = (
        f"{what} of {ref} could not be delivered to {role} {record.target!r} after "
        f"{record.attempts} attempt{'s' if record.attempts != 1 else ''} (since "
        f"{format_moment(record.created_at, deps.settings.zone)}): {record.last_error}. "
        "Re-drive it with "
        f"`commsbot delivery retry {record.id}` once the cause is fixed."
    )
    entry = TimelineEntry(
        incident_id=record.incident_id, at=at, actor=ACTOR, action=DELIVERY_DEAD, detail=text
    )
    if maintenance is not None:
        uow.maintenance_timeline.append(entry)
    else:
        uow.timeline.append(entry)
    # A dead notice about a dead delivery stops here: no notices about notices, forever.
    if record.kind is DeliveryKind.NOTICE and what == f"notice {DELIVERY_DEAD}":
        return
    enqueue_notice(
        uow,
        Notice(
            kind=DELIVERY_DEAD,
            incident_id=record.incident_id,
            incident_ref=ref,
            text=text,
            audience=(owner,),
        ),
        now=at,
    )


def expire_orphans(
    deps: Deps,
    *,
    destinations: Collection[str],
    notifiers: Collection[str],
    now: datetime,
) -> list[str]:
    """Open deliveries to targets no longer configured: dead once past their deadline.

    Returns the unknown targets that still have open deliveries (for a warning).
    """
    with deps.read() as uow:
        unknown = [
            (is_notice, target)
            for is_notice, target in uow.queue.open_targets()
            if target not in (notifiers if is_notice else destinations)
        ]
    for is_notice, target in unknown:
        role = "notifier" if is_notice else "destination"
        with deps.uow() as uow:
            for record in uow.queue.open_for_target(notice=is_notice, target=target):
                if record.deadline_at > now:
                    continue
                error = f"no {role} named {target!r} is configured (any more)"
                if uow.queue.expire(record.id, now=now, error=error):
                    raise_dead(deps, uow, uow.ledger.get(record.id), at=now)
            uow.commit()
    return [f"{'notifier' if n else 'destination'} {t!r}" for n, t in unknown]
