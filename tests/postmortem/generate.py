"""Many plausible incidents, generated from a seed: for the report's tests and its benchmark.

Each incident is declared somewhere in a six-month window, gets 0–6 updates (a few get none,
some are reopened, a few are still open), promises per its severity's cadence (sev4 none),
three destinations per update (some retried, a few dead), and, once recovered, often an RCA.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from commsbot.domain.lifecycle import Status, Trigger
from commsbot.domain.model import ComponentChange, ComponentStatus, Severity
from commsbot.postmortem.model import (
    DeliveryOutcome,
    DeliveryResult,
    IncidentFacts,
    PostmortemFacts,
    PublishedUpdate,
    RcaDue,
)

START = datetime(2024, 7, 1, tzinfo=UTC)
COMPONENTS = ("API", "Web", "Mobile", "Search", "Billing", "Auth", "Docs")
DESTINATIONS = ("slack-status", "status-page", "webhook")
CADENCE = {
    Severity.SEV1: timedelta(minutes=30),
    Severity.SEV2: timedelta(hours=1),
    Severity.SEV3: timedelta(hours=2),
}
BAD = (
    ComponentStatus.DEGRADED_PERFORMANCE,
    ComponentStatus.PARTIAL_OUTAGE,
    ComponentStatus.MAJOR_OUTAGE,
)


def incidents(count: int, *, seed: int = 14) -> list[PostmortemFacts]:
    """``count`` incidents, the same ones for the same seed."""
    rng = random.Random(seed)
    return [_incident(rng, number) for number in range(1, count + 1)]


def _minutes(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(minutes=rng.uniform(low, high))


def _incident(rng: random.Random, number: int) -> PostmortemFacts:
    severity = rng.choices(list(Severity), weights=(1, 3, 4, 2))[0]
    declared = START + timedelta(minutes=rng.randrange(0, 182 * 24 * 60))
    names = tuple(rng.sample(COMPONENTS, rng.randint(1, 3)))
    as_of = START + timedelta(days=200)
    silent = rng.random() < 0.03
    stays_open = rng.random() < 0.03
    reopen = rng.random() < 0.05
    plan = [] if silent else _plan(rng, reopen=reopen, stays_open=stays_open)
    if stays_open or silent:
        as_of = declared + _minutes(rng, 20, 240)
    updates: list[PublishedUpdate] = []
    statuses = dict.fromkeys(names, ComponentStatus.OPERATIONAL)
    at = declared
    cadence = CADENCE.get(severity)
    for seq, (status, trigger) in enumerate(plan, start=1):
        drafted = at + _minutes(rng, 0, 20 if seq > 1 else 2)
        published = drafted + _minutes(rng, 0.5, 12)
        changes = _changes(rng, statuses, recovered=status is Status.RECOVERED)
        promise = None
        if cadence is not None and status is not Status.RECOVERED:
            promise = published + cadence
        updates.append(
            PublishedUpdate(
                seq=seq,
                status=status,
                trigger=trigger,
                body=f"Update {seq} on incident {number}: {status.value}.",
                authors=("ic",) if rng.random() < 0.8 else ("ic", "comms"),
                approver="lead",
                drafted_at=drafted,
                published_at=published,
                next_update_by=promise,
                changes=changes,
            )
        )
        # The next update lands around the promise: mostly in time, sometimes late.
        gap = cadence or timedelta(hours=1)
        at = published + gap * rng.uniform(0.3, 1.4) - _minutes(rng, 0, 10)
        at = max(at, published)
    recovered = [u.published_at for u in updates if u.trigger is Trigger.RECOVER]
    status = updates[-1].status if updates else Status.INVESTIGATING
    rca_due: tuple[RcaDue, ...] = ()
    if recovered and status is Status.RECOVERED:
        due = recovered[-1] + timedelta(days=5)
        rca_due = (RcaDue(due_at=due, recovered_at=recovered[-1]),)
        if rng.random() < 0.6:
            published = recovered[-1] + timedelta(days=rng.uniform(1, 8))
            updates.append(
                PublishedUpdate(
                    seq=len(updates) + 1,
                    status=Status.RECOVERED,
                    trigger=Trigger.POSTMORTEM,
                    body="Root-cause analysis.",
                    authors=("ic",),
                    approver="lead",
                    drafted_at=published - timedelta(hours=3),
                    published_at=published,
                )
            )
            as_of = max(as_of, published)
    return PostmortemFacts(
        incident=IncidentFacts(
            id=f"inc{number:09d}",
            ref=f"INC-{number}",
            title=f"Incident {number}",
            severity=severity,
            status=status,
            commander="ic",
            declared_at=declared,
            resolved_at=recovered[-1] if status is Status.RECOVERED and recovered else None,
            components=names,
        ),
        as_of=max(as_of, declared),
        updates=tuple(updates),
        deliveries=tuple(_deliveries(rng, updates)),
        rca_due=rca_due,
    )


def _plan(rng: random.Random, *, reopen: bool, stays_open: bool) -> list[tuple[Status, Trigger]]:
    moves: list[tuple[Status, Trigger]] = [(Status.INVESTIGATING, Trigger.PROGRESS)]
    for status, trigger in ((Status.IDENTIFIED, Trigger.IDENTIFY), (Status.FIXING, Trigger.FIX)):
        if rng.random() < 0.7:
            moves.append((status, trigger))
    if stays_open:
        return moves
    moves.append((Status.RECOVERED, Trigger.RECOVER))
    if reopen:
        moves += [
            (Status.INVESTIGATING, Trigger.REOPEN),
            (Status.RECOVERED, Trigger.RECOVER),
        ]
    return moves


def _changes(
    rng: random.Random, statuses: dict[str, ComponentStatus], *, recovered: bool
) -> tuple[ComponentChange, ...]:
    changes = []
    for name, old in statuses.items():
        if recovered:
            new = ComponentStatus.OPERATIONAL
        elif old is ComponentStatus.OPERATIONAL or rng.random() < 0.3:
            new = rng.choice(BAD)
        else:
            continue
        if new is not old:
            changes.append(ComponentChange(name, old, new))
            statuses[name] = new
    return tuple(changes)


def _deliveries(rng: random.Random, updates: list[PublishedUpdate]) -> list[DeliveryOutcome]:
    result = []
    for u in updates:
        for target in DESTINATIONS:
            roll = rng.random()
            if roll < 0.02:
                result.append(
                    DeliveryOutcome(
                        u.seq, target, DeliveryResult.DEAD, u.published_at, attempts=8,
                        dead_at=u.published_at + timedelta(hours=1), last_error="HTTP 503",
                    )
                )  # fmt: skip
                continue
            attempts = 1 if roll < 0.9 else rng.randint(2, 5)
            delay = timedelta(seconds=rng.uniform(0.1, 2.0) + 30 * (attempts - 1))
            result.append(
                DeliveryOutcome(
                    u.seq, target, DeliveryResult.SENT, u.published_at, attempts=attempts,
                    sent_at=u.published_at + delay,
                )
            )  # fmt: skip
    return result
