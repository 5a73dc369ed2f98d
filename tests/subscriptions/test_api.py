"""``/api/v1/subscribers`` (scope admin), ``quiet`` approvals over the API, and the ledger."""

from __future__ import annotations

from typing import Any

from commsbot.domain.model import Severity
from commsbot.domain.policy import Actor
from commsbot.services.drafts import approve_draft
from commsbot.services.incidents import declare, show_incident
from tests.subscriptions.conftest import Site


def test_admin_tokens_manage_subscribers_and_others_may_not(site: Site) -> None:
    client = site.client
    refused = client.get("/api/v1/subscribers", headers=site.auth("approve"))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "insufficient_scope"

    added = client.post(
        "/api/v1/subscribers",
        json={"email": "ada@example.com", "components": ["API"], "confirmed": True},
        headers=site.auth("admin"),
    )
    assert added.status_code == 201, added.text
    assert added.json()["subscriber"]["state"] == "confirmed"
    pending = client.post(
        "/api/v1/subscribers", json={"email": "grace@example.com"}, headers=site.auth("admin")
    )
    assert pending.json()["result"] == "confirmation_sent"

    bad = client.post(
        "/api/v1/subscribers",
        json={"email": "ada@example.com", "components": ["Nonexistent"]},
        headers=site.auth("admin"),
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "components"

    listed = client.get("/api/v1/subscribers", headers=site.auth("admin")).json()
    assert listed["counts"]["confirmed"] == 1
    assert listed["counts"]["pending"] == 1
    person = client.get("/api/v1/subscribers/ada@example.com", headers=site.auth("admin"))
    assert person.json()["subscriber"]["components"] == ["API"]
    gone = client.delete("/api/v1/subscribers/ada@example.com", headers=site.auth("admin"))
    assert gone.status_code == 200
    again = client.get("/api/v1/subscribers/ada@example.com", headers=site.auth("admin"))
    assert again.status_code == 404
    assert site.rows() == [("grace@example.com", "pending")]


def test_quiet_over_the_api_and_the_ledger_counts(site: Site) -> None:
    client = site.client
    client.post(
        "/api/v1/subscribers",
        json={"email": "ada@example.com", "confirmed": True},
        headers=site.auth("admin"),
    )
    declared = declare(
        site.deps,
        title="API errors",
        severity=Severity.SEV2,
        components={"API": None},
        actor=Actor("maya"),
        body="Looking.",
    )
    quiet = client.post(
        f"/api/v1/drafts/{declared.draft.id}/approve",
        json={"quiet": True},
        headers=site.auth("approve"),
    )
    assert quiet.status_code == 200, quiet.text
    assert quiet.json()["update"]["deliver_notifications"] is False
    ref = declared.incident.incident.ref
    proposed = client.post(
        f"/api/v1/incidents/{ref}/drafts",
        json={"status": "identified", "body": "Found it."},
        headers=site.auth("approve"),
    )
    assert proposed.status_code == 201, proposed.text
    approve_draft(site.deps, draft_id=proposed.json()["draft"]["id"], actor=Actor("rita"))

    detail: dict[str, Any] = show_incident(site.deps, incident_ref=ref).as_dict()
    first, second = detail["updates"]
    assert first["subscribers"] == []
    (fanout,) = second["subscribers"]
    assert (fanout["planned"], fanout["sent"], fanout["pending"]) == (1, 0, 1)
    listed = client.get(f"/api/v1/incidents/{ref}", headers=site.auth("approve")).json()
    assert listed["updates"][1]["subscribers"][0]["pending"] == 1
