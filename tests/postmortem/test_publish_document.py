"""Publishing the root-cause analysis: the postmortem draft carries the public part of the
document, the approver approves it with the text (four eyes apply to it), and only once
approved does the status page link to it (served from memory, and in the static export).

On a database the 11 December story was written into (RCA not yet published), through the
server's real context, the CLI in process and the API."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from commsbot.bootstrap import App, http_context
from commsbot.cli.main import app as cli_app
from commsbot.domain.errors import GuardFailed, InvalidInput, NotAllowed
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import Severity
from commsbot.domain.policy import Actor
from commsbot.engines.static_export import export_files
from commsbot.http.app import create_app
from commsbot.http.context import HttpContext
from commsbot.services.drafts import approve_draft, edit_draft, propose_update, reject_draft
from commsbot.services.incidents import declare
from commsbot.services.statuspage import load_public_data
from commsbot.services.tokens import create_token
from commsbot.tokens.model import Scope
from tests.postmortem.seed import LEE, MAYA, SAM, Seeded, pst, seed_dec11, wire
from tests.unit.fakes import FakeClock

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from fastapi.testclient import TestClient

DOCUMENT = """# What happened

A new telemetry service overloaded the Kubernetes control plane.

| When | What |
|---|---|
| 3:16 PM | errors began |

<script>alert("x")</script> and [a trap](javascript:alert(1)).
"""
RCA = "Root-cause analysis: a new telemetry service overloaded the Kubernetes control plane."


@dataclass
class World:
    app: App
    clock: FakeClock
    seeded: Seeded
    ctx: HttpContext
    client: TestClient
    tokens: dict[str, str]

    def page(self, path: str) -> Any:
        self.ctx.pages.refresh()
        return self.client.get(path)

    def propose(self, document: str | None = DOCUMENT, actor: Actor = LEE) -> str:
        self.clock.current = pst(9, 0, day=13)
        made = propose_update(
            self.app.deps,
            incident_ref=self.seeded.ref,
            actor=actor,
            status=Status.RECOVERED,
            body=RCA,
            postmortem=True,
            document=document,
        )
        self.clock.current = pst(10, 5, day=13)
        return made.draft.id


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    app_, clock = wire(f"sqlite:///{tmp_path / 'story.db'}")
    seeded = seed_dec11(app_, clock, with_rca=False)
    tokens = {
        name: create_token(app_.deps, name=name, actor=name, scope=scope)[1]
        for name, scope in (("lee", Scope.WRITE), ("sam", Scope.APPROVE))
    }
    ctx = http_context(app_)
    with TestClient(create_app(context=ctx)) as client:
        yield World(app_, clock, seeded, ctx, client, tokens)


def postmortem_path(world: World) -> str:
    return f"/incidents/{world.seeded.incident_id}/postmortem"


def test_approved_the_incident_page_links_to_the_document_rendered_safely(world: World) -> None:
    draft_id = world.propose()
    pending = world.page(f"/incidents/{world.seeded.incident_id}")
    assert postmortem_path(world) not in pending.text
    assert world.page(postmortem_path(world)).status_code == 404

    published = approve_draft(world.app.deps, draft_id=draft_id, actor=MAYA)

    assert published.update.document == DOCUMENT.strip()
    incident_page = world.page(f"/incidents/{world.seeded.incident_id}")
    assert f'href="{postmortem_path(world)}"' in incident_page.text
    document = world.page(postmortem_path(world))
    assert document.status_code == 200
    assert document.headers["content-type"].startswith("text/html")
    body = document.text
    assert "<h1>What happened</h1>" in body
    assert "<th>When</th>" in body
    assert "<td>errors began</td>" in body
    # Raw HTML is shown as text, and a javascript: link is not a link.
    assert "<script>" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body
    assert 'href="javascript:' not in body
    assert f'href="/incidents/{world.seeded.incident_id}"' in body  # back to the incident


def test_the_static_export_holds_the_document_with_relative_links(world: World) -> None:
    approve_draft(world.app.deps, draft_id=world.propose(), actor=MAYA)

    files = export_files(load_public_data(world.app.deps))

    incident_id = world.seeded.incident_id
    page = files[f"incidents/{incident_id}/postmortem/index.html"].decode()
    assert "<h1>What happened</h1>" in page
    # Relative links both ways, so the export works under any path and from disk.
    assert f'href="../../../incidents/{incident_id}/index.html"' in page
    incident_page = files[f"incidents/{incident_id}/index.html"].decode()
    assert f'href="../../incidents/{incident_id}/postmortem/index.html"' in incident_page


def test_editing_the_document_makes_the_editor_its_last_editor(world: World) -> None:
    draft_id = world.propose()
    edited = edit_draft(
        world.app.deps,
        draft_id=draft_id,
        actor=MAYA,
        document="# What happened\n\nThe control plane was overloaded.",
    )

    # Whoever is asked to approve is told there is a document to read.
    with world.app.engine.connect() as conn:
        asks = conn.execute(
            sa.text(
                "SELECT payload FROM notice WHERE kind = 'approval_requested' "
                "ORDER BY created_at, id"
            )
        ).all()
    assert any("It also publishes a document on the status page" in str(a[0]) for a in asks)
    assert edited.draft.last_editor == "maya"
    assert edited.draft.authors == ("lee", "maya")
    assert edited.draft.version == 2
    with pytest.raises(NotAllowed):
        approve_draft(world.app.deps, draft_id=draft_id, actor=MAYA)
    published = approve_draft(world.app.deps, draft_id=draft_id, actor=SAM, version=2)
    assert published.update.document == "# What happened\n\nThe control plane was overloaded."
    assert "The control plane was overloaded." in world.page(postmortem_path(world)).text


def test_a_rejected_or_pending_document_is_never_published(world: World) -> None:
    draft_id = world.propose()
    reject_draft(world.app.deps, draft_id=draft_id, actor=SAM, reason="Not reviewed by legal")
    # The RCA published later without a document links to nothing.
    approve_draft(world.app.deps, draft_id=world.propose(document=None), actor=MAYA)

    incident_page = world.page(f"/incidents/{world.seeded.incident_id}")
    assert "<strong>Root-cause analysis:</strong>" not in incident_page.text
    assert postmortem_path(world) not in incident_page.text
    assert world.page(postmortem_path(world)).status_code == 404
    assert not any("postmortem/" in path for path in export_files(load_public_data(world.app.deps)))


def test_only_the_postmortem_carries_a_document(world: World) -> None:
    with pytest.raises(InvalidInput) as refused:
        propose_update(
            world.app.deps,
            incident_ref=world.seeded.ref,
            actor=LEE,
            status=Status.RECOVERED,
            body="Still fine.",
            document=DOCUMENT,
        )
    assert refused.value.field == "document"
    world.clock.current = pst(9, 0, day=13)
    other = declare(
        world.app.deps,
        title="Checkout failing",
        severity=Severity.SEV2,
        components={"API": None},
        actor=LEE,
    )
    with pytest.raises(GuardFailed) as guarded:
        edit_draft(world.app.deps, draft_id=other.draft.id, actor=LEE, document=DOCUMENT)
    assert guarded.value.field == "document"
    with pytest.raises(InvalidInput) as control:
        world.propose(document="Fine\x07 text")
    assert control.value.field == "document"


def test_the_cli_attaches_a_file_and_shows_it_to_the_approver(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rca.md").write_text(DOCUMENT, encoding="utf-8")
    (tmp_path / "latin1.md").write_bytes("caf\xe9".encode("latin-1"))
    env = {"COMMSBOT_DATABASE_URL": world.app.database_url, "COMMSBOT_CONFIG": "none.toml"}
    (tmp_path / "none.toml").write_text('timezone = "America/Los_Angeles"\n', encoding="utf-8")

    def run(*args: str) -> Any:
        return CliRunner().invoke(cli_app, list(args), env=env, catch_exceptions=False)

    ref = world.seeded.ref
    made = run(
        "update",
        "propose",
        ref,
        "--postmortem",
        "--body",
        RCA,
        "--publish-document",
        "rca.md",
        "--as",
        "lee",
        "--json",
    )
    not_rca = run(
        "update",
        "propose",
        ref,
        "--body",
        "Fine.",
        "--publish-document",
        "rca.md",
        "--as",
        "lee",
        "--json",
    )
    missing = run(
        "update",
        "propose",
        ref,
        "--postmortem",
        "--publish-document",
        "nope.md",
        "--as",
        "lee",
        "--json",
    )
    latin = run(
        "update", "propose", ref, "--postmortem", "--publish-document", "latin1.md", "--as", "lee"
    )
    shown = run("incident", "show", ref)

    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["draft"]["document"] == DOCUMENT.strip()
    assert not_rca.exit_code == 1
    assert json.loads(not_rca.stdout)["error"]["field"] == "document"
    assert missing.exit_code == 1
    error = json.loads(missing.stdout)["error"]
    assert (error["field"], error["code"]) == ("publish_document", "invalid_input")
    assert "cannot read --publish-document nope.md" in error["message"]
    assert latin.exit_code == 1
    assert "latin1.md is not UTF-8 text" in latin.stderr
    assert "publishes this document on the status page:" in shown.stdout
    assert "  > # What happened" in shown.stdout


def test_the_api_takes_the_document_and_states_the_rule(world: World) -> None:
    world.clock.current = pst(9, 0, day=13)
    ref = world.seeded.ref
    lee = {"Authorization": f"Bearer {world.tokens['lee']}"}
    made = world.client.post(
        f"/api/v1/incidents/{ref}/drafts",
        headers=lee,
        json={"postmortem": True, "body": RCA, "document": DOCUMENT},
    )
    refused = world.client.post(
        f"/api/v1/incidents/{ref}/drafts", headers=lee, json={"body": "Fine.", "document": DOCUMENT}
    )
    plain = world.client.post(
        "/api/v1/incidents",
        headers=lee,
        json={"title": "Checkout failing", "components": {"API": None}},
    )
    guarded = world.client.patch(
        f"/api/v1/drafts/{plain.json()['draft']['id']}", headers=lee, json={"document": "# Nope"}
    )
    schema = world.client.get("/openapi.json").json()["components"]["schemas"]

    assert made.status_code == 201, made.text
    assert made.json()["draft"]["document"] == DOCUMENT.strip()
    assert refused.status_code == 400
    assert refused.json()["error"]["field"] == "document"
    assert guarded.status_code == 409
    assert guarded.json()["error"]["code"] == "guard_failed"
    rule = schema["ProposeRequest"]["allOf"][1]["anyOf"]
    assert {"required": ["postmortem"], "properties": {"postmortem": {"const": True}}} in rule
    assert "document" in schema["EditRequest"]["properties"]
