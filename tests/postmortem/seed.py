"""The 11 December 2024 outage, written into a real database through the real use cases.

What the store then holds is what a team's database would: drafts with their creation times,
published updates, a correction, notes, deliveries (moved to sent/dead as the dispatcher would,
with plain SQL on the ``delivery`` table), follow-ups and the RCA reminders. Tests read it back
with the postmortem use cases and compare with the answers written here by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from commsbot.bootstrap import App, build
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import ComponentStatus, Severity
from commsbot.domain.policy import Actor
from commsbot.services.corrections import propose_correction
from commsbot.services.drafts import approve_draft, edit_draft, propose_update
from commsbot.services.incidents import add_note, declare
from commsbot.services.reminders import add_followup, complete_followup
from commsbot.settings import parse_settings
from commsbot.store.tables.deliveries import DeliveryRow
from tests.unit.fakes import FakeClock

PST = ZoneInfo("America/Los_Angeles")
PRODUCTS = ("ChatGPT", "API", "Sora")
MAYA, SAM, LEE, PRIYA = Actor("maya"), Actor("sam"), Actor("lee"), Actor("priya")
DESTINATIONS = ("slack-status", "status-page", "x-apprise")
NOTE = "Control plane API servers at 100% CPU; DNS lookups from workloads failing"
BODIES = {
    1: "We're investigating high error rates in ChatGPT, the API and Sora. Next update by "
    "{next_update_by}.",
    "1c": "We're investigating high error rates in ChatGPT, the API and Sora (corrected: all "
    "regions). Next update by 3:46 PM PST.",
    2: "We've identified the issue: a new telemetry service overloaded part of our "
    "infrastructure, which broke service discovery.\nWe're working on a fix. Next update by "
    "{next_update_by}.",
    3: "A fix is rolling out; ChatGPT, API and Sora are coming back in waves. Next update by "
    "{next_update_by}.",
    4: "ChatGPT, API, and Sora were down today but we've recovered.",
    5: "Root-cause analysis: a new telemetry service overloaded the Kubernetes control plane.",
}


def pst(hour: int, minute: int, *, day: int = 11, second: int = 0) -> datetime:
    """A moment in December 2024, Pacific time, as UTC."""
    return datetime(2024, 12, day, hour, minute, second, tzinfo=PST).astimezone(UTC)


def settings_for(database_url: str, **extra: Any) -> Any:
    data: dict[str, Any] = {
        "timezone": "America/Los_Angeles",
        "database_url": database_url,
        "page": {"name": "Acme Status", "url": "https://status.acme.test"},
        "components": [{"name": name} for name in PRODUCTS],
        "destinations": [{"name": name, "type": "console"} for name in DESTINATIONS],
        "reminders": {"rca_business_days": 5, "rca_due_time": "17:00"},
    }
    data.update(extra)
    return parse_settings(data)


def wire(
    database_url: str, *, start: datetime | None = None, **extra: Any
) -> tuple[App, FakeClock]:
    """commsbot on ``database_url`` (migrated), with a clock the test moves."""
    clock = FakeClock(start or pst(15, 16))
    return build(settings_for(database_url, **extra), clock=clock), clock


@dataclass
class Seeded:
    """What the story left: ids the tests look for."""

    incident_id: str = ""
    ref: str = ""
    update_ids: dict[int, str] = field(default_factory=dict)
    draft_created: dict[int, datetime] = field(default_factory=dict)
    followups: dict[str, str] = field(default_factory=dict)


def set_delivery(
    engine: Engine,
    *,
    update_id: str,
    target: str,
    state: str,
    attempts: int,
    sent_after: float | None = None,
    dead_at: datetime | None = None,
    error: str | None = None,
    kind: str = "update",
) -> None:
    """Move one delivery where a dispatcher would have (the store's own column types apply)."""
    table: Any = getattr(DeliveryRow, "__table__")  # noqa: B009 (SQLModel hides it from mypy)
    with engine.begin() as conn:
        created = conn.execute(
            sa.select(table.c.created_at).where(
                table.c.update_id == update_id, table.c.target == target, table.c.kind == kind
            )
        ).scalar_one()
        conn.execute(
            sa.update(table)
            .where(table.c.update_id == update_id, table.c.target == target, table.c.kind == kind)
            .values(
                state=state,
                attempts=attempts,
                sent_at=None if sent_after is None else created + timedelta(seconds=sent_after),
                dead_at=dead_at,
                last_error=error,
            )
        )


def seed_dec11(app: App, clock: FakeClock, *, with_rca: bool = True) -> Seeded:
    """Declared 3:16 PM, identified 3:57, fixing 5:43, recovered 7:38 PM; update #1 corrected
    at 4:05; two follow-ups; the RCA published on Friday 13 December at 10:05 AM."""
    deps = app.deps
    seeded = Seeded()

    def at(moment: datetime) -> None:
        clock.current = moment

    def publish(seq: int, draft_id: str, approver: Actor, version: int | None = None) -> None:
        published = approve_draft(deps, draft_id=draft_id, actor=approver, version=version)
        assert published.update.seq == seq
        seeded.update_ids[seq] = published.update.id

    at(pst(15, 16))
    declared = declare(
        deps,
        title="ChatGPT, API and Sora unavailable",
        severity=Severity.SEV1,
        components=dict.fromkeys(PRODUCTS, ComponentStatus.MAJOR_OUTAGE),
        actor=MAYA,
        body=BODIES[1],
    )
    seeded.incident_id = declared.incident.incident.id
    seeded.ref = declared.incident.incident.ref
    seeded.draft_created[1] = pst(15, 16)
    at(pst(15, 19))
    publish(1, declared.draft.id, SAM)

    at(pst(15, 52))
    add_note(deps, incident_ref=seeded.ref, text=NOTE, actor=MAYA)
    identified = propose_update(
        deps, incident_ref=seeded.ref, status=Status.IDENTIFIED, actor=MAYA, body=BODIES[2],
        next_update="16:25",
    )  # fmt: skip
    seeded.draft_created[2] = pst(15, 52)
    at(pst(15, 55))
    edited = edit_draft(
        deps, draft_id=identified.draft.id, actor=LEE, body=BODIES[2].replace("fix.", "fix now.")
    )
    at(pst(15, 57))
    publish(2, identified.draft.id, MAYA, version=edited.draft.version)

    at(pst(16, 3))
    correction = propose_correction(
        deps, update_ref=f"{seeded.ref}#1", body=BODIES["1c"], actor=MAYA
    )
    at(pst(16, 5))
    approve_draft(deps, draft_id=correction.draft.id, actor=SAM)

    at(pst(17, 40))
    fixing = propose_update(
        deps, incident_ref=seeded.ref, status=Status.FIXING, actor=MAYA, body=BODIES[3],
        component_changes=dict.fromkeys(PRODUCTS, ComponentStatus.PARTIAL_OUTAGE),
        next_update="19:45",
    )  # fmt: skip
    seeded.draft_created[3] = pst(17, 40)
    at(pst(17, 43))
    publish(3, fixing.draft.id, SAM)

    at(pst(19, 36))
    recovered = propose_update(
        deps, incident_ref=seeded.ref, status=Status.RECOVERED, actor=MAYA, body=BODIES[4],
        component_changes=dict.fromkeys(PRODUCTS, ComponentStatus.OPERATIONAL),
    )  # fmt: skip
    seeded.draft_created[4] = pst(19, 36)
    at(pst(19, 38))
    publish(4, recovered.draft.id, SAM)

    at(pst(20, 0))
    canary = add_followup(
        deps, incident_ref=seeded.ref, owner="priya", due="2024-12-18",
        text="Stage cluster-wide telemetry deploys behind a canary", actor=MAYA,
    )  # fmt: skip
    glass = add_followup(
        deps, incident_ref=seeded.ref, owner="lee", due="2024-12-13",
        text="Break-glass access to the control plane", actor=MAYA,
    )  # fmt: skip
    seeded.followups = {"canary": canary.reminder.id, "glass": glass.reminder.id}
    if with_rca:
        at(pst(9, 0, day=13))
        rca = propose_update(
            deps, incident_ref=seeded.ref, status=Status.RECOVERED, actor=LEE, body=BODIES[5],
            postmortem=True,
        )  # fmt: skip
        seeded.draft_created[5] = pst(9, 0, day=13)
        at(pst(10, 5, day=13))
        publish(5, rca.draft.id, MAYA)
    at(pst(11, 0, day=13))
    complete_followup(deps, followup_id=glass.reminder.id, actor=LEE)
    _deliver(app.engine, seeded)
    return seeded


def _deliver(engine: Engine, seeded: Seeded) -> None:
    """Sent quickly to Slack and the page; X retried, dead once (update #2)."""
    ids = seeded.update_ids
    for seq, update_id in ids.items():
        set_delivery(engine, update_id=update_id, target="slack-status", state="sent",
                     attempts=1, sent_after=1.2)  # fmt: skip
        set_delivery(engine, update_id=update_id, target="status-page", state="sent",
                     attempts=1, sent_after=0.4)  # fmt: skip
        if seq == 2:
            set_delivery(
                engine, update_id=update_id, target="x-apprise", state="dead", attempts=5,
                dead_at=pst(16, 57), error="HTTP 503 from the X API",
            )  # fmt: skip
        elif seq == 1:
            set_delivery(engine, update_id=update_id, target="x-apprise", state="sent",
                         attempts=4, sent_after=45.0)  # fmt: skip
        elif seq == 3:
            set_delivery(engine, update_id=update_id, target="x-apprise", state="retrying",
                         attempts=2, error="timeout")  # fmt: skip
    # The correction of #1 reached Slack; the others left pending.
    set_delivery(engine, update_id=ids[1], target="slack-status", state="sent", attempts=1,
                 sent_after=2.0, kind="correction")  # fmt: skip
