"""The subscriber sender's database work: synchronous, one short transaction per call.

Nothing here talks to a mail server or a webhook. The engine (``engines/subscribers.py``)
claims work here, sends it, and records the outcomes here in batches:

- :func:`claim_batch`: the main pass of the oldest workable fan-out: the next subscribers
  after its cursor, each given a claimed row, the cursor moved past them, in one transaction;
- :func:`claim_retries`: rows due again (a 4xx, a timeout, a crashed holder's lease ran out);
- :func:`finish_sends`: outcomes, and what they mean for the subscriber (undeliverable, a
  webhook failing or disabled, its owner told);
- :func:`pause`: the mail server refuses us: the fan-out waits, the team is told once;
- :func:`claim_messages` / :func:`finish_messages`: one-off messages (confirmations, …);
- :func:`release`: at shutdown, hand back everything held, due at once for another replica.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from commsbot.delivery.ports import Notice
from commsbot.domain.errors import ConcurrentChange, NotFound
from commsbot.services.deps import Deps
from commsbot.services.outbox import enqueue_notice
from commsbot.services.ports import UnitOfWork
from commsbot.subscriptions.fanout import (
    Fanout,
    FanoutContent,
    SendState,
    content_from_json,
)
from commsbot.subscriptions.messages import MessageKind, MessageState, SubscriberMessage
from commsbot.subscriptions.model import Subscriber, SubscriberKind, SubscriberState
from commsbot.subscriptions.ports import NewSend

log = logging.getLogger("commsbot.subscribers")

#: A subscriber waiting for an earlier notice of the same incident is looked at again after.
HOLD = timedelta(seconds=5)
SUBSCRIBERS_PAUSED = "subscribers_paused"
SUBSCRIBERS_RESUMED = "subscribers_resumed"


@dataclass(frozen=True)
class Recipient:
    """A subscriber claimed for one attempt at one fan-out."""

    subscriber: Subscriber
    attempt: int = 1
    maybe_sent: bool = False


@dataclass(frozen=True)
class Batch:
    """Claimed work of one fan-out."""

    fanout: Fanout
    content: FanoutContent
    recipients: Sequence[Recipient]


@dataclass(frozen=True)
class SendOutcome:
    """How one attempt ended.

    Attributes:
        state: ``sent``; ``retrying`` (at ``retry_at``); ``failed``; ``undeliverable`` (the
            subscriber is marked so).
        worked: for a webhook: whether the endpoint took it (clears or starts its failing
            window); None for email.
        gone: a webhook that said it is gone (410): disabled at once.
    """

    fanout_id: str
    subscriber_id: str
    owner: str
    at: datetime
    state: SendState
    retry_at: datetime | None = None
    error: str | None = None
    worked: bool | None = None
    gone: bool = False


def _load(uow: UnitOfWork, fanout: Fanout) -> FanoutContent:
    return content_from_json(uow.fanouts.content(fanout.id))


def claim_batch(
    deps: Deps, *, owner: str, now: datetime, until: datetime, limit: int
) -> Batch | None:
    """Reach the next ``limit`` subscribers of the oldest workable fan-out (None: no work).

    Their rows are written claimed by ``owner`` until ``until`` and the cursor moves past
    them, in one transaction: no other replica can reach them for this notice. A subscriber
    still waiting for an earlier notice of the same incident gets a ``retrying`` row instead
    (order per incident: N+1 only after N was sent, or failed for good).
    """
    with deps.uow() as uow:
        fanout = uow.fanouts.workable(now=now)
        if fanout is None:
            return None
        subs = list(
            uow.subscribers.audience(
                fanout.scope,
                after=fanout.cursor,
                limit=limit,
                corrects=fanout.corrects,
                as_of=fanout.as_of,
            )
        )
        blocked = uow.sends.blocked(
            subject_id=fanout.subject_id,
            position=fanout.position,
            subscriber_ids=[s.id for s in subs],
        )
        rows = [
            NewSend(s.id, SendState.SENDING)
            if s.id not in blocked
            else NewSend(
                s.id,
                SendState.RETRYING,
                next_attempt_at=now + HOLD,
                last_error="waiting for an earlier notice of this incident to reach them",
            )
            for s in subs
        ]
        uow.sends.add_many(fanout.id, rows, owner=owner, until=until)
        finished = len(subs) < limit
        uow.fanouts.advance(
            fanout.id,
            cursor=subs[-1].id if subs else None,
            reached=len(subs),
            finished_pass=finished,
        )
        if finished:
            uow.fanouts.settle([fanout.id], now=now)
        content = _load(uow, fanout)
        uow.commit()
    return Batch(
        fanout=fanout,
        content=content,
        recipients=[Recipient(s) for s in subs if s.id not in blocked],
    )


def claim_retries(
    deps: Deps, *, owner: str, now: datetime, until: datetime, limit: int
) -> list[Batch]:
    """Claim rows due for another attempt, grouped by fan-out. Rows past their fan-out's
    deadline are given up first; rows whose subscriber left ``confirmed`` are failed."""
    batches: list[Batch] = []
    with deps.uow() as uow:
        expired = uow.sends.expire(now=now)
        uow.fanouts.settle(expired, now=now)
        records = uow.sends.claim_due(owner=owner, now=now, until=until, limit=limit)
        by_fanout: dict[str, list[tuple[str, int, bool]]] = {}
        for r in records:
            by_fanout.setdefault(r.fanout_id, []).append(
                (r.subscriber_id, r.attempts, r.maybe_sent)
            )
        settle: list[str] = []
        for fanout_id, rows in by_fanout.items():
            fanout = uow.fanouts.get(fanout_id)
            blocked = uow.sends.blocked(
                subject_id=fanout.subject_id,
                position=fanout.position,
                subscriber_ids=[sid for sid, _, _ in rows],
            )
            recipients = []
            for sid, attempts, maybe_sent in rows:
                sub = uow.subscribers.get(sid)
                if sid in blocked:
                    uow.sends.finish(
                        fanout_id,
                        sid,
                        owner=owner,
                        state=SendState.RETRYING,
                        now=now,
                        next_attempt_at=now + HOLD,
                        error="waiting for an earlier notice of this incident to reach them",
                    )
                elif sub is None or sub.state is not SubscriberState.CONFIRMED:
                    state = sub.state.value if sub else "gone"
                    uow.sends.finish(
                        fanout_id,
                        sid,
                        owner=owner,
                        state=SendState.FAILED,
                        now=now,
                        error=f"not sent: the subscriber is {state} now",
                    )
                    settle.append(fanout_id)
                else:
                    recipients.append(Recipient(sub, attempt=attempts, maybe_sent=maybe_sent))
            if recipients:
                batches.append(Batch(fanout, _load(uow, fanout), recipients))
        uow.fanouts.settle(settle, now=now)
        uow.commit()
    return batches


def finish_sends(deps: Deps, outcomes: Sequence[SendOutcome]) -> list[bool]:
    """Record outcomes (one transaction; on a lost race with an edit of a subscriber, each
    on its own). False where the claim was lost (another replica took the row over)."""
    try:
        return _finish_sends(deps, outcomes)
    except ConcurrentChange:
        if len(outcomes) == 1:
            raise
    results: list[bool] = []
    for outcome in outcomes:
        try:
            results += _finish_sends(deps, [outcome])
        except ConcurrentChange:
            log.warning(
                "subscriber %s changed meanwhile; its outcome is retried", outcome.subscriber_id
            )
            results.append(False)
    return results


def _finish_sends(deps: Deps, outcomes: Sequence[SendOutcome]) -> list[bool]:
    config = deps.settings.subscriptions
    results = []
    touched: dict[str, bool] = {}
    with deps.uow() as uow:
        for o in outcomes:
            won = uow.sends.finish(
                o.fanout_id,
                o.subscriber_id,
                owner=o.owner,
                state=o.state,
                now=o.at,
                next_attempt_at=o.retry_at,
                error=o.error,
            )
            results.append(won)
            if not won:
                continue
            touched[o.fanout_id] = touched.get(o.fanout_id, False) or o.state is SendState.SENT
            sub = uow.subscribers.get(o.subscriber_id)
            if sub is None:
                continue
            if o.state is SendState.UNDELIVERABLE and sub.state is SubscriberState.CONFIRMED:
                sub.mark_undeliverable(now=o.at, reason=o.error or "refused")
                uow.subscribers.save(sub)
            elif sub.kind is SubscriberKind.WEBHOOK and o.worked is not None:
                _webhook_health(deps, uow, sub, o, give_up=config.webhooks.give_up_after)
        for fanout_id, sent in touched.items():
            if sent and uow.fanouts.resume(fanout_id):
                _tell(deps, uow, fanout_id, SUBSCRIBERS_RESUMED, resumed=True)
        uow.fanouts.settle(list(touched), now=deps.clock.now())
        uow.commit()
    return results


def _webhook_health(
    deps: Deps, uow: UnitOfWork, sub: Subscriber, o: SendOutcome, *, give_up: timedelta
) -> None:
    """A webhook that worked is healthy again; one failing for its whole give-up window (or
    gone) is disabled, and its owner told."""
    if o.worked:
        if sub.failing_since is not None:
            sub.failing_since = None
            uow.subscribers.save(sub)
        return
    if sub.failing_since is None:
        sub.failing_since = o.at
    if o.gone or o.at - sub.failing_since >= give_up:
        since = sub.failing_since
        hours = give_up.total_seconds() / 3600
        reason = (
            "the endpoint answered 410 Gone"
            if o.gone
            else f"every delivery failed for {hours:g} hours"
        )
        sub.disable(now=o.at, reason=f"{reason}; last error: {o.error or 'failed'}")
        if sub.owner_email:
            uow.subscriber_messages.add(
                SubscriberMessage(
                    id=deps.ids(),
                    kind=MessageKind.DISABLED,
                    subscriber_id=sub.id,
                    created_at=o.at,
                    deadline_at=o.at + timedelta(days=3),
                    payload={
                        "owner": sub.owner_email,
                        "url": sub.address,
                        "failing_since": since.isoformat(),
                        "last_error": o.error or "failed",
                    },
                )
            )
    uow.subscribers.save(sub)


def pause(
    deps: Deps,
    *,
    fanout_id: str,
    owner: str,
    until: datetime,
    error: str,
    held: Sequence[str] = (),
) -> bool:
    """The mail server refuses us: the fan-out waits until ``until`` and the rows of
    ``held`` (subscriber ids) go back to ``retrying`` then, no address marked. The team is
    told once per pause (True when this call told them)."""
    now = deps.clock.now()
    with deps.uow() as uow:
        for subscriber_id in held:
            uow.sends.finish(
                fanout_id,
                subscriber_id,
                owner=owner,
                state=SendState.RETRYING,
                now=now,
                next_attempt_at=until,
                error=f"paused: {error}",
            )
        first = uow.fanouts.pause(fanout_id, until=until, error=error)
        if first:
            _tell(deps, uow, fanout_id, SUBSCRIBERS_PAUSED, error=error, until=until)
        uow.commit()
    return first


def _tell(
    deps: Deps,
    uow: UnitOfWork,
    fanout_id: str,
    kind: str,
    *,
    error: str | None = None,
    until: datetime | None = None,
    resumed: bool = False,
) -> None:
    """A notice to the team's notifiers, when the fan-out belongs to an incident (a notice
    names one); otherwise the log says it."""
    fanout = uow.fanouts.get(fanout_id)
    if resumed:
        text = (
            f"Subscriber emails of {fanout.subject_ref} are going out again: the mail server "
            "accepted a message after refusing them."
        )
    else:
        when = deps.renderer.show_time(until) if until else "later"
        text = (
            f"Subscriber emails of {fanout.subject_ref} are paused: the mail server refuses "
            f"them ({error}). No address was marked undeliverable. Fix [subscriptions.smtp] "
            f"(or the server); commsbot tries again at {when} and then every few minutes, "
            "and nothing is lost meanwhile."
        )
    try:
        incident = uow.incidents.get(fanout.subject_id)
    except NotFound:
        log.error("%s", text)
        return
    enqueue_notice(
        uow,
        Notice(
            kind=kind,
            incident_id=incident.id,
            incident_ref=incident.ref,
            text=text,
            audience=(incident.commander,),
        ),
        now=deps.clock.now(),
    )


def release(deps: Deps, *, owner: str) -> int:
    """Hand back every row and message ``owner`` holds (it is stopping): due again at once,
    so another replica takes them over without waiting for the lease."""
    now = deps.clock.now()
    with deps.uow() as uow:
        count = uow.sends.release(owner=owner, now=now)
        count += uow.subscriber_messages.release(owner=owner, now=now)
        uow.commit()
    return count


def extend(deps: Deps, *, owner: str, until: datetime) -> None:
    """Keep holding what ``owner`` is still sending (a long batch outlives one lease)."""
    with deps.uow() as uow:
        uow.sends.extend(owner=owner, until=until)
        uow.subscriber_messages.extend(owner=owner, until=until)
        uow.commit()


# --- one-off messages --------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageJob:
    message: SubscriberMessage
    subscriber: Subscriber | None


@dataclass(frozen=True)
class MessageOutcome:
    message_id: str
    owner: str
    at: datetime
    state: MessageState
    retry_at: datetime | None = None
    error: str | None = None
    #: A webhook echoed its challenge: confirm it (if it is still that generation).
    confirm: tuple[str, int] | None = field(default=None)


def claim_messages(
    deps: Deps, *, owner: str, now: datetime, until: datetime, limit: int
) -> list[MessageJob]:
    with deps.uow() as uow:
        claimed = uow.subscriber_messages.claim_due(owner=owner, now=now, until=until, limit=limit)
        jobs = [
            MessageJob(m, uow.subscribers.get(m.subscriber_id) if m.subscriber_id else None)
            for m in claimed
        ]
        uow.commit()
    return jobs


def finish_messages(deps: Deps, outcomes: Sequence[MessageOutcome]) -> None:
    with deps.uow() as uow:
        for o in outcomes:
            won = uow.subscriber_messages.finish(
                o.message_id,
                owner=o.owner,
                state=o.state,
                now=o.at,
                next_attempt_at=o.retry_at,
                error=o.error,
            )
            if won and o.confirm is not None:
                subscriber_id, generation = o.confirm
                sub = uow.subscribers.get(subscriber_id)
                if (
                    sub is not None
                    and sub.generation == generation
                    and sub.state is SubscriberState.PENDING
                    and sub.confirm(now=o.at)
                ):
                    uow.subscribers.save(sub)
        uow.commit()
