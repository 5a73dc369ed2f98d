"""A delivery sends what was approved, on every attempt: the same bytes under the same key.

A correction approved while the original update is still being retried travels as its own
delivery after it; it never changes what the original's retries send. Notices are frozen the
same way: an approval request retried after its draft was edited still shows the version it
asked about.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from commsbot.delivery.model import DeliveryKind
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import ComponentStatus
from commsbot.services.corrections import propose_correction
from commsbot.services.drafts import approve_draft, edit_draft, propose_update
from tests.delivery.loopback import LoopbackServer
from tests.delivery.support import (
    COMMS,
    IC,
    World,
    advance_until,
    eventually,
    running,
    webhook,
    world,
)
from tests.integration.builders import ONLY_SQLITE

pytestmark = ONLY_SQLITE

SECRET = {"HOOK_SECRET": "It's a secret to everybody."}
ORIGINAL = "We're investigating an issue affecting ChatGPT."
CORRECTED = "We're investigating an issue affecting ChatGPT and the API."


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    srv = LoopbackServer().start()
    yield srv
    srv.stop()


def hooked(migrated: Engine, server: LoopbackServer, **extra: object) -> World:
    return world(
        migrated,
        [
            webhook(
                "hook",
                server.url("/hook"),
                secret_env="HOOK_SECRET",
                backoff_base_seconds=2,
                backoff_cap_seconds=60,
            )
        ],
        **extra,
    )


def states(w: World, target: str = "hook") -> list[str]:
    return [r.state.value for r in w.deliveries(target)]


def correct(w: World, update_id: str, body: str = CORRECTED) -> None:
    draft = propose_correction(w.deps, update_ref=update_id, body=body, actor=IC).draft
    approve_draft(w.deps, draft_id=draft.id, actor=COMMS)


def test_a_correction_approved_while_the_original_is_retried_leaves_its_retries_unchanged(
    migrated: Engine, server: LoopbackServer
) -> None:
    w = hooked(migrated, server)
    server.script("/hook", "500", "500")
    update_id = w.declare_and_publish(ORIGINAL)

    async def scenario() -> None:
        async with running(w.dispatcher(environ=SECRET)):
            await eventually(lambda: states(w) == ["retrying"], what="the first failure")
            correct(w, update_id)
            await advance_until(w.clock, lambda: states(w) == ["sent", "sent"], what="both sent")

    asyncio.run(scenario())

    requests = server.requests("/hook")
    original, correction = requests[:3], requests[3:]
    assert len(original) == 3
    assert len(correction) == 1
    first = original[0]
    for retry in original[1:]:
        assert retry.key == first.key
        assert retry.body == first.body  # byte for byte
        assert (
            retry.headers["x-commsbot-signature-256"] == first.headers["x-commsbot-signature-256"]
        )
        assert retry.headers["x-commsbot-event"] == "update.published"
    sent = first.json
    assert sent["event"] == "update.published"
    assert sent["update"]["body"] == ORIGINAL
    assert sent["update"]["corrected_at"] is None
    assert ORIGINAL in sent["text"]["plain"]
    assert CORRECTED not in sent["text"]["plain"]

    [fix] = correction
    assert fix.key != first.key
    assert fix.headers["x-commsbot-event"] == "update.corrected"
    assert fix.json["update"]["body"] == CORRECTED
    assert fix.json["update"]["corrected_at"] is not None
    assert fix.json["correction_of"] == "msg-1"  # the receiver's id for the original
    assert [r.json["event"] for r in server.applied("/hook")] == [
        "update.published",
        "update.corrected",
    ]


def test_a_later_update_published_meanwhile_does_not_change_the_earlier_ones_retries(
    migrated: Engine, server: LoopbackServer
) -> None:
    w = hooked(migrated, server)
    server.script("/hook", "500")
    w.declare_and_publish(ORIGINAL)

    async def scenario() -> None:
        async with running(w.dispatcher(environ=SECRET)):
            await eventually(lambda: states(w) == ["retrying"], what="the first failure")
            w.publish(Status.IDENTIFIED, "Found it.", ChatGPT=ComponentStatus.PARTIAL_OUTAGE)
            await advance_until(w.clock, lambda: states(w) == ["sent", "sent"], what="both sent")

    asyncio.run(scenario())
    first, retry, second = server.requests("/hook")
    assert retry.body == first.body
    assert retry.json["incident"]["status"] == "investigating"
    assert retry.json["incident"]["components"] == {"ChatGPT": "major_outage"}
    assert second.json["incident"]["status"] == "identified"


def test_an_approval_request_retried_after_an_edit_still_shows_the_version_it_asked_about(
    migrated: Engine, server: LoopbackServer
) -> None:
    w = world(
        migrated,
        [],
        notifiers=[
            webhook("approvals", server.url("/approvals"), secret_env="HOOK_SECRET")
            | {"backoff_base_seconds": 2, "backoff_cap_seconds": 60}
        ],
    )
    w.declare_and_publish(ORIGINAL)

    def notices() -> list[dict[str, object]]:
        return [r.json["notice"] for r in server.applied("/approvals")]

    drafts: list[str] = []

    def notice_states() -> list[str]:
        return [r.state.value for r in w.deliveries() if r.kind is DeliveryKind.NOTICE]

    async def scenario() -> None:
        async with running(w.dispatcher(environ=SECRET)) as dispatcher:
            await eventually(
                lambda: bool(notice_states()) and set(notice_states()) == {"sent"},
                what="declared",
            )
            server.script("/approvals", "500", "500")
            draft = propose_update(
                w.deps,
                incident_ref=w.incident_ref,
                status=Status.IDENTIFIED,
                actor=IC,
                body="Cause: DNS.",
            ).draft
            dispatcher.wake()  # as the process that approves does
            await eventually(lambda: "retrying" in notice_states(), what="the request failing")
            edit_draft(w.deps, draft_id=draft.id, actor=IC, body="Cause: a DNS change.")
            drafts.append(draft.id)
            await advance_until(
                w.clock,
                lambda: set(notice_states()) == {"sent"},
                what="every notice sent",
            )

    asyncio.run(scenario())
    [draft_id] = drafts
    by_key: dict[str, list[bytes]] = {}
    for request in server.requests("/approvals"):
        by_key.setdefault(request.key, []).append(request.body)
    for bodies in by_key.values():
        assert len(set(bodies)) == 1  # every attempt of a notice sends the same bytes
    requests = [n for n in notices() if n["kind"] == "approval_requested"]
    v1 = [n for n in requests if n["draft_id"] == draft_id and n["draft_version"] == 1]
    v2 = [n for n in requests if n["draft_id"] == draft_id and n["draft_version"] == 2]
    assert len(v1) == 1
    assert len(v2) == 1
    assert "Cause: DNS." in str(v1[0]["text"])
    assert "Cause: a DNS change." in str(v2[0]["text"])


def test_a_delivery_planned_before_the_upgrade_still_sends_the_original_text(
    migrated: Engine, server: LoopbackServer
) -> None:
    """Rows written before snapshots carried the update hold only the incident: the update is
    read back as it was published (its approved draft's text), not as corrected since."""
    w = hooked(migrated, server)
    server.script("/hook", "500")
    update_id = w.declare_and_publish(ORIGINAL)
    with migrated.begin() as conn:
        rows = conn.execute(sa.text("SELECT id, snapshot FROM delivery")).all()
        assert rows
        for row in rows:
            snap = row.snapshot if isinstance(row.snapshot, dict) else json.loads(row.snapshot)
            legacy = {k: v for k, v in snap.items() if k in ("incident", "components")}
            conn.execute(
                sa.text("UPDATE delivery SET snapshot = :s WHERE id = :id"),
                {"s": json.dumps(legacy), "id": row.id},
            )

    async def scenario() -> None:
        async with running(w.dispatcher(environ=SECRET)):
            await eventually(lambda: states(w) == ["retrying"], what="the first failure")
            correct(w, update_id)
            await advance_until(w.clock, lambda: states(w) == ["sent", "sent"], what="both sent")

    asyncio.run(scenario())
    first, retry, fix = server.requests("/hook")
    assert retry.body == first.body
    assert first.json["update"]["body"] == ORIGINAL
    assert first.json["update"]["corrected_at"] is None
    assert fix.json["update"]["body"] == CORRECTED
