"""A status page's worth of history, made through the real use cases.

Works on the in-memory fakes and on the real store alike: it only calls use cases. It leaves
things the public must never see beside what it must: a pending draft, a rejected draft, an
internal note, an incident declared but not yet published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from commsbot.domain.lifecycle import Status
from commsbot.domain.model import ComponentStatus, Severity
from commsbot.domain.policy import Actor
from commsbot.services.components import sync_catalogue
from commsbot.services.deps import Deps
from commsbot.services.drafts import approve_draft, propose_update, reject_draft
from commsbot.services.incidents import add_note, declare
from commsbot.settings import Settings, parse_settings
from tests.unit.fakes import FakeClock, MemoryData, make_deps

MAYA, SAM = Actor("maya"), Actor("sam-approver")
SECRET_NOTE = "internal: kube-dns is melting, do not share"
SECRET_DRAFT = "DRAFT TEXT that nobody approved"
REJECTED = "REJECTED TEXT that must never show"
UNPUBLISHED_TITLE = "Declared but not yet published"
#: 10 December 2024 in the morning: the outage of the 11th comes a day later.
START = datetime(2024, 12, 10, 9, 0, tzinfo=UTC)

CONFIG: dict[str, Any] = {
    "timezone": "UTC",
    "page": {"name": "Acme Status", "url": "https://status.acme.test"},
    "components": [
        {"name": "ChatGPT", "description": "chatgpt.com and the apps"},
        {"name": "API", "group": "Platform"},
        {"name": "Sora", "group": "Platform"},
        {"name": "Playground"},
    ],
}


def settings(**overrides: Any) -> Settings:
    return parse_settings({**CONFIG, **overrides})


@dataclass
class Built:
    resolved_id: str
    open_id: str
    unpublished_id: str
    pending_draft_id: str


def publish(deps: Deps, draft_id: str) -> None:
    approve_draft(deps, draft_id=draft_id, actor=SAM)


def build(deps: Deps, clock: FakeClock) -> Built:
    """Yesterday's blip (recovered, with a postmortem) and today's outage (still open)."""
    with deps.uow() as uow:
        sync_catalogue(uow, deps.settings, now=clock.now())
        uow.commit()
    blip = declare(
        deps,
        title="Playground errors",
        severity=Severity.SEV3,
        components={"Playground": ComponentStatus.DEGRADED_PERFORMANCE},
        actor=MAYA,
        body="We're looking into errors on the Playground.",
    )
    publish(deps, blip.draft.id)
    clock.advance(minutes=20)
    ref = blip.incident.incident.ref
    progress = propose_update(
        deps, incident_ref=ref, status=Status.INVESTIGATING, actor=MAYA, body="Still looking."
    )
    publish(deps, progress.draft.id)
    clock.advance(minutes=10)
    done = propose_update(
        deps,
        incident_ref=ref,
        status=Status.RECOVERED,
        actor=MAYA,
        body="The Playground has recovered.",
        component_changes={"Playground": ComponentStatus.OPERATIONAL},
    )
    publish(deps, done.draft.id)
    clock.advance(minutes=30)
    pm = propose_update(
        deps,
        incident_ref=ref,
        status=Status.RECOVERED,
        actor=MAYA,
        body="Root cause: a bad config push.",
        postmortem=True,
    )
    publish(deps, pm.draft.id)

    clock.current = datetime(2024, 12, 11, 23, 16, tzinfo=UTC)
    outage = declare(
        deps,
        title="ChatGPT, API and Sora unavailable",
        severity=Severity.SEV1,
        components={"ChatGPT": None, "API": None, "Sora": ComponentStatus.PARTIAL_OUTAGE},
        actor=MAYA,
        body="We're investigating an issue affecting ChatGPT, API and Sora.\nMore soon.",
    )
    publish(deps, outage.draft.id)
    oref = outage.incident.incident.ref
    add_note(deps, incident_ref=oref, text=SECRET_NOTE, actor=MAYA)
    clock.advance(minutes=40)
    identified = propose_update(
        deps, incident_ref=oref, status=Status.IDENTIFIED, actor=MAYA, body="We found the cause."
    )
    publish(deps, identified.draft.id)
    clock.advance(minutes=5)
    rejected = propose_update(
        deps, incident_ref=oref, status=Status.FIXING, actor=MAYA, body=REJECTED
    )
    reject_draft(deps, draft_id=rejected.draft.id, actor=SAM, reason="too early")
    pending = propose_update(
        deps, incident_ref=oref, status=Status.FIXING, actor=MAYA, body=SECRET_DRAFT
    )
    clock.advance(minutes=5)
    hidden = declare(
        deps, title=UNPUBLISHED_TITLE, severity=Severity.SEV4, components={}, actor=MAYA
    )
    return Built(
        resolved_id=blip.incident.incident.id,
        open_id=outage.incident.incident.id,
        unpublished_id=hidden.incident.incident.id,
        pending_draft_id=pending.draft.id,
    )


def fake_world(**overrides: Any) -> tuple[Deps, MemoryData, FakeClock, Built]:
    """The scenario on in-memory fakes, with real-looking 12-character ids."""
    import secrets
    import string

    clock = FakeClock(START)
    deps, data, clock = make_deps(settings(**overrides), clock=clock)
    alphabet = string.ascii_lowercase + string.digits
    deps = Deps(
        uow=deps.uow,
        settings=deps.settings,
        renderer=deps.renderer,
        clock=clock,
        ids=lambda: "".join(secrets.choice(alphabet) for _ in range(12)),
    )
    return deps, data, clock, build(deps, clock)
