"""Hand-built incidents with known answers.

The main one is the 11 December 2024 outage (ChatGPT, API and Sora, 3:16 PM – 7:38 PM PST):
acknowledged, identified, fix rolling out, recovered, RCA promised. The others each isolate one
hard case: no public update, a reopen, a correction, an open incident, a sev4 without promises.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from commsbot.domain.lifecycle import Status, Trigger
from commsbot.domain.model import ComponentChange, ComponentStatus, Severity, TimelineEntry
from commsbot.postmortem.model import (
    DeliveryOutcome,
    DeliveryResult,
    FollowUp,
    FollowUpState,
    IncidentFacts,
    PostmortemFacts,
    PublishedUpdate,
    RcaDue,
)

PST = ZoneInfo("America/Los_Angeles")
UTC_ZONE = ZoneInfo("UTC")
PRODUCTS = ("ChatGPT", "API", "Sora")
OP = ComponentStatus.OPERATIONAL
MAJOR = ComponentStatus.MAJOR_OUTAGE
PARTIAL = ComponentStatus.PARTIAL_OUTAGE
DEGRADED = ComponentStatus.DEGRADED_PERFORMANCE


def pst(hour: int, minute: int, *, day: int = 11, second: int = 0) -> datetime:
    """A moment in December 2024, Pacific time, as UTC."""
    return datetime(2024, 12, day, hour, minute, second, tzinfo=PST).astimezone(UTC)


def utc(hour: int, minute: int, *, day: int = 2, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=UTC)


def moves(
    names: tuple[str, ...], old: ComponentStatus, new: ComponentStatus
) -> tuple[ComponentChange, ...]:
    return tuple(ComponentChange(n, old, new) for n in names)


def update(
    seq: int,
    status: Status,
    trigger: Trigger,
    drafted: datetime,
    published: datetime,
    *,
    body: str = "",
    next_by: datetime | None = None,
    changes: tuple[ComponentChange, ...] = (),
    authors: tuple[str, ...] = ("maya",),
    approver: str = "sam",
    corrected_at: datetime | None = None,
) -> PublishedUpdate:
    return PublishedUpdate(
        seq=seq,
        status=status,
        trigger=trigger,
        body=body or f"Update {seq}: {status.value}.",
        authors=authors,
        approver=approver,
        drafted_at=drafted,
        published_at=published,
        next_update_by=next_by,
        changes=changes,
        corrected_at=corrected_at,
        id=f"upd{seq:09d}",
    )


def sent(
    seq: int, target: str, created: datetime, after_s: float, attempts: int = 1
) -> DeliveryOutcome:
    return DeliveryOutcome(
        update_seq=seq,
        destination=target,
        result=DeliveryResult.SENT,
        created_at=created,
        attempts=attempts,
        sent_at=created + timedelta(seconds=after_s),
    )


DEC11_BODIES = {
    1: "We are currently experiencing an issue with high error rates in ChatGPT, the API and "
    "Sora. We are investigating. Next update by 3:49 PM PST.",
    2: "We've identified the issue: a new telemetry service overloaded part of our "
    "infrastructure, which broke service discovery.\nWe're working on a fix. Next update by "
    "4:25 PM PST.",
    3: "A fix is rolling out; ChatGPT, API and Sora are coming back in waves. Next update by "
    "7:45 PM PST.",
    4: "ChatGPT, API, and Sora were down today but we've recovered.",
}


def dec11(*, as_of: datetime | None = None, with_rca: bool = False) -> PostmortemFacts:
    """The 11 December 2024 outage. Known answers are in test_figures.py."""
    updates = [
        update(1, Status.INVESTIGATING, Trigger.PROGRESS, pst(15, 16), pst(15, 19),
               body=DEC11_BODIES[1], next_by=pst(15, 49), changes=moves(PRODUCTS, OP, MAJOR)),
        update(2, Status.IDENTIFIED, Trigger.IDENTIFY, pst(15, 52), pst(15, 57),
               body=DEC11_BODIES[2], next_by=pst(16, 25), authors=("maya", "lee")),
        update(3, Status.FIXING, Trigger.FIX, pst(17, 40), pst(17, 43), body=DEC11_BODIES[3],
               next_by=pst(19, 45), changes=moves(PRODUCTS, MAJOR, PARTIAL)),
        update(4, Status.RECOVERED, Trigger.RECOVER, pst(19, 36), pst(19, 38),
               body=DEC11_BODIES[4], changes=moves(PRODUCTS, PARTIAL, OP)),
    ]  # fmt: skip
    if with_rca:
        updates.append(
            update(5, Status.RECOVERED, Trigger.POSTMORTEM, pst(9, 0, day=13), pst(10, 0, day=13),
                   body="Root-cause analysis: a new telemetry service overloaded the Kubernetes "
                   "control plane.", authors=("lee",), approver="maya")
        )  # fmt: skip
    deliveries = []
    for u in updates:
        deliveries.append(sent(u.seq, "slack-status", u.published_at, 1.2))
        deliveries.append(sent(u.seq, "status-page", u.published_at, 0.4))
    deliveries.append(sent(1, "x-apprise", pst(15, 19), 45.0, attempts=4))
    deliveries.append(
        DeliveryOutcome(
            update_seq=2,
            destination="x-apprise",
            result=DeliveryResult.DEAD,
            created_at=pst(15, 57),
            attempts=5,
            dead_at=pst(16, 57),
            last_error="HTTP 503 from the X API | service unavailable",
        )
    )
    deliveries.append(sent(3, "x-apprise", pst(17, 43), 2.0))
    deliveries.append(sent(4, "x-apprise", pst(19, 38), 3.0))
    return PostmortemFacts(
        incident=IncidentFacts(
            id="inc000000001",
            ref="INC-1",
            title="ChatGPT, API and Sora unavailable",
            severity=Severity.SEV1,
            status=Status.RECOVERED,
            commander="maya",
            declared_at=pst(15, 16),
            resolved_at=pst(19, 38),
            components=PRODUCTS,
        ),
        as_of=as_of or pst(9, 0, day=12),
        updates=tuple(updates),
        timeline=(
            TimelineEntry("inc000000001", pst(15, 16), "maya", "declared", "sev1 'ChatGPT …'"),
            TimelineEntry(
                "inc000000001",
                pst(15, 52),
                "maya",
                "note",
                "Control plane API servers at 100% CPU; DNS lookups from workloads failing",
            ),
            TimelineEntry("inc000000001", pst(15, 57), "sam", "published", "update #2 …"),
        ),
        deliveries=tuple(deliveries),
        followups=(
            FollowUp(
                id="fu1",
                text="Stage cluster-wide telemetry deploys behind a canary",
                owner="maya",
                state=FollowUpState.OPEN,
                due_at=pst(9, 0, day=18),
                created_at=pst(9, 0, day=12),
            ),
            FollowUp(
                id="fu2",
                text="Break-glass access to the control plane",
                owner="lee",
                state=FollowUpState.DONE,
                due_at=pst(9, 0, day=13),
                created_at=pst(20, 0),
                closed_at=pst(11, 0, day=13),
            ),
        ),
        rca_due=(RcaDue(due_at=pst(17, 0, day=16), recovered_at=pst(19, 38)),),
    )


def no_update() -> PostmortemFacts:
    """Declared at 10:00 UTC, nothing published by 10:20."""
    return PostmortemFacts(
        incident=IncidentFacts(
            id="inc000000002", ref="INC-2", title="Login errors", severity=Severity.SEV2,
            status=Status.INVESTIGATING, commander="ana", declared_at=utc(10, 0),
            components=("API",),
        ),
        as_of=utc(10, 20),
    )  # fmt: skip


def reopened() -> PostmortemFacts:
    """Recovered at 10:30, broke again at 11:00, recovered for good at 11:45."""
    api = ("API",)
    return PostmortemFacts(
        incident=IncidentFacts(
            id="inc000000003", ref="INC-3", title="API timeouts", severity=Severity.SEV2,
            status=Status.RECOVERED, commander="ana", declared_at=utc(10, 0),
            resolved_at=utc(11, 45), components=api,
        ),
        as_of=utc(12, 0),
        updates=(
            update(1, Status.INVESTIGATING, Trigger.PROGRESS, utc(10, 1), utc(10, 5),
                   next_by=utc(10, 35), changes=moves(api, OP, MAJOR)),
            update(2, Status.RECOVERED, Trigger.RECOVER, utc(10, 28), utc(10, 30),
                   changes=moves(api, MAJOR, OP)),
            update(3, Status.INVESTIGATING, Trigger.REOPEN, utc(10, 58), utc(11, 0),
                   next_by=utc(11, 30), changes=moves(api, OP, PARTIAL)),
            update(4, Status.RECOVERED, Trigger.RECOVER, utc(11, 40), utc(11, 45),
                   changes=moves(api, PARTIAL, OP)),
        ),
        rca_due=(
            RcaDue(due_at=utc(17, 0, day=5), recovered_at=utc(11, 45)),
        ),
    )  # fmt: skip


def corrected() -> PostmortemFacts:
    """One update corrected 20 minutes after it went out; the correction was delivered too."""
    base = reopened()
    first = replace(base.updates[0], body="We are investigating API timeouts (corrected text).",
                    corrected_at=utc(10, 25))  # fmt: skip
    return replace(
        base,
        updates=(first, *base.updates[1:]),
        deliveries=(
            sent(1, "webhook", utc(10, 5), 0.5),
            DeliveryOutcome(1, "webhook", DeliveryResult.SENT, utc(10, 25), 1,
                            sent_at=utc(10, 25) + timedelta(seconds=2), correction=True),
        ),
    )  # fmt: skip


def still_open() -> PostmortemFacts:
    """Declared 10:00, first update 10:04 promising 10:34, nothing more by 10:50."""
    api = ("API", "Web")
    return PostmortemFacts(
        incident=IncidentFacts(
            id="inc000000004", ref="INC-4", title="Checkout failing", severity=Severity.SEV1,
            status=Status.INVESTIGATING, commander="ana", declared_at=utc(10, 0), components=api,
        ),
        as_of=utc(10, 50),
        updates=(
            update(1, Status.INVESTIGATING, Trigger.PROGRESS, utc(10, 0), utc(10, 4),
                   next_by=utc(10, 34), changes=(ComponentChange("API", OP, MAJOR),
                                                 ComponentChange("Web", OP, DEGRADED))),
        ),
        deliveries=(
            DeliveryOutcome(1, "slack", DeliveryResult.PENDING, utc(10, 4), attempts=2,
                            last_error="timeout"),
        ),
    )  # fmt: skip


def sev4_quiet() -> PostmortemFacts:
    """A sev4: two updates, no promise, 3 hours degraded."""
    docs = ("Docs",)
    return PostmortemFacts(
        incident=IncidentFacts(
            id="inc000000005", ref="INC-5", title="Docs search slow", severity=Severity.SEV4,
            status=Status.RECOVERED, commander="ana", declared_at=utc(9, 0),
            resolved_at=utc(12, 30), components=docs,
        ),
        as_of=utc(13, 0),
        updates=(
            update(1, Status.IDENTIFIED, Trigger.IDENTIFY, utc(9, 10), utc(9, 30),
                   changes=moves(docs, OP, DEGRADED)),
            update(2, Status.RECOVERED, Trigger.RECOVER, utc(12, 25), utc(12, 30),
                   changes=moves(docs, DEGRADED, OP)),
        ),
    )  # fmt: skip
