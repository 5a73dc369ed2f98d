"""The private API: the CLI's use cases and refusals over HTTP, on a real database."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from commsbot.services.tokens import create_token
from tests.http.conftest import Stack

DECLARE = {
    "title": "ChatGPT, API and Sora unavailable",
    "severity": "sev1",
    "components": {"ChatGPT": None, "API": None, "Sora": "partial_outage"},
}


def declare(stack: Stack, **overrides: Any) -> dict[str, Any]:
    response = stack.client.post(
        "/api/v1/incidents", json={**DECLARE, **overrides}, headers=stack.auth("writer")
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def error(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    message: str = body["error"]["message"]
    return message


def test_declare_approve_and_the_public_page_shows_it_at_once(stack: Stack) -> None:
    declared = declare(stack)
    draft = declared["draft"]

    assert declared["incident"]["status"] == "investigating"
    assert declared["incident"]["commander"] == "maya"
    assert draft["state"] == "pending"
    assert stack.client.get("/api/v2/summary.json").json()["incidents"] == []

    approved = stack.client.post(
        f"/api/v1/drafts/{draft['id']}/approve",
        json={"version": 1},
        headers=stack.auth("approver"),
    )

    assert approved.status_code == 200, approved.text
    assert approved.json()["update"]["approver"] == "sam"
    assert approved.json()["incident"]["components"]["ChatGPT"] == "major_outage"
    summary = stack.client.get("/api/v2/summary.json").json()
    assert [i["id"] for i in summary["incidents"]] == [declared["incident"]["id"]]
    assert summary["status"]["indicator"] == "critical"


def test_a_draft_without_a_status_keeps_the_current_one_and_a_postmortem_is_recovered(
    stack: Stack,
) -> None:
    ref = declare(stack, components={})["incident"]["ref"]
    progress = stack.client.post(
        f"/api/v1/incidents/{ref}/drafts",
        json={"body": "Still looking."},
        headers=stack.auth("writer"),
    )
    assert progress.status_code == 201, progress.text
    assert progress.json()["draft"]["status"] == "investigating"
    recovered = stack.client.post(
        f"/api/v1/incidents/{ref}/drafts",
        json={"status": "recovered"},
        headers=stack.auth("writer"),
    )
    approved = stack.client.post(
        f"/api/v1/drafts/{recovered.json()['draft']['id']}/approve", headers=stack.auth("approver")
    )
    assert approved.status_code == 200, approved.text
    postmortem = stack.client.post(
        f"/api/v1/incidents/{ref}/drafts", json={"postmortem": True}, headers=stack.auth("writer")
    )
    assert postmortem.status_code == 201, postmortem.text
    draft = postmortem.json()["draft"]
    assert (draft["status"], draft["postmortem"]) == ("recovered", True)


def test_propose_edit_reject_note_list_and_show(stack: Stack) -> None:
    inc = declare(stack)["incident"]
    ref = inc["ref"]

    proposed = stack.client.post(
        f"/api/v1/incidents/{ref}/drafts",
        json={"status": "identified", "body": "We found it."},
        headers=stack.auth("writer"),
    )
    assert proposed.status_code == 201, proposed.text
    draft = proposed.json()["draft"]
    edited = stack.client.patch(
        f"/api/v1/drafts/{draft['id']}",
        json={"body": "We found the cause.", "version": 1},
        headers=stack.auth("writer"),
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["draft"]["version"] == 2
    rejected = stack.client.post(
        f"/api/v1/drafts/{draft['id']}/reject",
        json={"reason": "wait for the fix"},
        headers=stack.auth("approver"),
    )
    assert rejected.json()["draft"]["state"] == "rejected"
    noted = stack.client.post(
        f"/api/v1/incidents/{inc['id']}/notes",
        json={"text": "kube-dns again"},
        headers=stack.auth("writer"),
    )
    assert noted.status_code == 201
    assert noted.json()["note"]["actor"] == "maya"

    listed = stack.client.get("/api/v1/incidents?open=true", headers=stack.auth("reader"))
    assert [i["ref"] for i in listed.json()["incidents"]] == [ref]
    shown = stack.client.get(f"/api/v1/incidents/{ref}", headers=stack.auth("reader")).json()
    assert set(shown) == {"incident", "updates", "pending_drafts", "timeline"}
    assert [e["action"] for e in shown["timeline"]] == [
        "declared",
        "drafted",
        "drafted",
        "edited",
        "rejected",
        "note",
    ]
    # A progress update needs no status: it keeps the current one.
    progress = stack.client.post(
        f"/api/v1/incidents/{ref}/drafts", json={}, headers=stack.auth("writer")
    )
    assert progress.json()["draft"]["status"] == "investigating"


def test_an_approver_who_edits_a_draft_cannot_approve_it_over_the_api(stack: Stack) -> None:
    declared = declare(stack)
    draft_id = declared["draft"]["id"]
    client = stack.client
    # sam (the approver token's actor) rewrites maya's draft and promises a new time
    edited = client.patch(
        f"/api/v1/drafts/{draft_id}",
        json={"body": "Sam's words."},
        headers=stack.auth("approver"),
    )
    assert edited.status_code == 200, edited.text

    message = error(
        client.post(f"/api/v1/drafts/{draft_id}/approve", headers=stack.auth("approver")),
        403,
        "not_allowed",
    )
    assert "sam may not approve draft" in message
    assert "made its last change" in message
    shown = client.get("/api/v1/incidents/INC-1", headers=stack.auth("reader")).json()
    assert shown["updates"] == []
    edited = client.patch(
        f"/api/v1/drafts/{draft_id}",
        json={"body": "Sam's words. Next update by {next_update_by}.", "next_update_by": "1h"},
        headers=stack.auth("approver"),
    )
    assert edited.status_code == 200, edited.text
    draft = edited.json()["draft"]
    assert (draft["authors"], draft["last_editor"]) == (["maya", "sam"], "sam")
    assert "{next_update_by}" not in draft["body"]

    maya_approver = create_token(stack.deps, name="maya-approve", actor="maya", scope=_approve())[1]
    approved = client.post(
        f"/api/v1/drafts/{draft_id}/approve",
        json={"version": 3},
        headers={"Authorization": f"Bearer {maya_approver}"},
    )
    assert approved.status_code == 200, approved.text
    update = approved.json()["update"]
    assert (update["author"], update["authors"], update["approver"]) == (
        "maya",
        ["maya", "sam"],
        "maya",
    )
    assert update["body"] == draft["body"]
    assert update["next_update_by"] == draft["next_update_by"]


def test_next_update_by_must_be_a_time_or_a_duration(stack: Stack) -> None:
    response = stack.client.post(
        "/api/v1/incidents",
        json={**DECLARE, "next_update_by": "whenever"},
        headers=stack.auth("writer"),
    )
    assert "'whenever' is not a next update time" in error(response, 400, "invalid_input")
    response = stack.client.post(
        "/api/v1/incidents",
        json={**DECLARE, "next_update_by": "2099-01-01T00:00:00Z"},
        headers=stack.auth("writer"),
    )
    assert "more than 7 days ahead" in error(response, 400, "invalid_input")
    draft = declare(stack, next_update_by="45m")["draft"]
    promised = datetime.fromisoformat(draft["next_update_by"])
    assert promised - datetime.fromisoformat(draft["created_at"]) == timedelta(minutes=45)


def test_refusals_have_the_cli_codes_and_http_statuses(stack: Stack) -> None:
    declared = declare(stack)
    draft_id, ref = declared["draft"]["id"], declared["incident"]["ref"]
    client = stack.client
    # maya wrote it and holds an approve token too: four eyes still refuse her.
    maya_approver = create_token(stack.deps, name="maya-approve", actor="maya", scope=_approve())[1]

    message = error(
        client.post(
            f"/api/v1/drafts/{draft_id}/approve",
            headers={"Authorization": f"Bearer {maya_approver}"},
        ),
        403,
        "not_allowed",
    )
    assert "someone else must read and approve" in message
    error(client.get("/api/v1/incidents/INC-99", headers=stack.auth("reader")), 404, "not_found")
    error(
        client.post("/api/v1/drafts/zzzzzzzzzzzz/approve", headers=stack.auth("approver")),
        404,
        "not_found",
    )
    error(
        client.post(
            f"/api/v1/drafts/{draft_id}/approve",
            json={"version": 7},
            headers=stack.auth("approver"),
        ),
        409,
        "stale_draft",
    )
    error(
        client.post(
            f"/api/v1/incidents/{ref}/drafts",
            json={"postmortem": True},
            headers=stack.auth("writer"),
        ),
        409,
        "invalid_transition",
    )
    ok = client.post(f"/api/v1/drafts/{draft_id}/approve", headers=stack.auth("approver"))
    assert ok.status_code == 200
    error(
        client.post(
            f"/api/v1/incidents/{ref}/drafts",
            json={"status": "recovered"},
            headers=stack.auth("writer"),
        ),
        409,
        "guard_failed",
    )
    error(
        client.post(f"/api/v1/drafts/{draft_id}/approve", headers=stack.auth("approver")),
        409,
        "already_decided",
    )


def _approve() -> Any:
    from commsbot.tokens.model import Scope

    return Scope.APPROVE


@pytest.mark.parametrize(
    "body",
    [
        {"title": ""},
        {"title": "x" * 201},
        {"title": "ok", "severity": "sev9"},
        {"title": "ok", "components": {"API": "on_fire"}},
        {"title": "ok", "components": {"A=B": None}},
        {"title": "ok", "surprise": 1},
        {"title": "nul \u0000 inside"},
        {"title": "lone \ud800 surrogate"},
        [],
    ],
)
def test_malformed_requests_are_400_invalid_input_and_change_nothing(
    stack: Stack, body: Any
) -> None:
    before = stack.counts()

    response = stack.client.post(
        "/api/v1/incidents",
        content=json.dumps(body),  # ASCII escapes: a lone surrogate travels as \ud800
        headers={**stack.auth("writer"), "Content-Type": "application/json"},
    )

    error(response, 400, "invalid_input")
    assert stack.counts() == before


def test_a_body_over_the_limit_is_413(stack: Stack) -> None:
    response = stack.client.post(
        "/api/v1/incidents",
        content=b'{"title": "' + b"x" * 2_000_000 + b'"}',
        headers={**stack.auth("writer"), "Content-Type": "application/json"},
    )

    error(response, 413, "payload_too_large")


def test_unknown_paths_and_methods_answer_in_the_error_shape(stack: Stack) -> None:
    error(stack.client.get("/api/v1/nothing"), 404, "not_found")
    error(stack.client.delete("/api/v1/incidents"), 405, "method_not_allowed")
    assert stack.client.post("/api/v2/summary.json").status_code == 405


def test_an_incident_is_retitled_raised_and_handed_off_with_a_patch(stack: Stack) -> None:
    declared = declare(stack)
    ref = declared["incident"]["ref"]
    approved = stack.client.post(
        f"/api/v1/drafts/{declared['draft']['id']}/approve", headers=stack.auth("approver")
    )
    assert approved.status_code == 200, approved.text

    changed = stack.client.patch(
        f"/api/v1/incidents/{ref}",
        json={"title": "ChatGPT down in the EU", "severity": "sev2", "commander": "sam"},
        headers=stack.auth("writer"),
    )

    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["changed"] == ["retitled", "severity", "handoff"]
    assert body["incident"]["title"] == "ChatGPT down in the EU"
    assert body["incident"]["public_title"] == "ChatGPT, API and Sora unavailable"
    assert (body["incident"]["severity"], body["incident"]["commander"]) == ("sev2", "sam")
    shown = stack.client.get(f"/api/v1/incidents/{ref}", headers=stack.auth("reader")).json()
    assert [e["action"] for e in shown["timeline"]][-3:] == ["retitled", "severity", "handoff"]
    # The public page keeps the approved title.
    [public] = stack.client.get("/api/v2/incidents.json").json()["incidents"]
    assert public["name"] == "ChatGPT, API and Sora unavailable"

    before = stack.counts()
    same = stack.client.patch(
        f"/api/v1/incidents/{ref}", json={"severity": "sev2"}, headers=stack.auth("writer")
    )
    # Well formed, but the incident already has it: a conflict with its state (409).
    assert "nothing to change: INC-1 already has severity sev2" in error(same, 409, "guard_failed")
    error(
        stack.client.patch(
            f"/api/v1/incidents/{ref}", json={"severity": "sev9"}, headers=stack.auth("writer")
        ),
        400,
        "invalid_input",
    )
    error(
        stack.client.patch(
            f"/api/v1/incidents/{ref}", json={"commander": "sam"}, headers=stack.auth("reader")
        ),
        403,
        "insufficient_scope",
    )
    error(
        stack.client.patch(
            "/api/v1/incidents/INC-99", json={"commander": "sam"}, headers=stack.auth("writer")
        ),
        404,
        "not_found",
    )
    assert stack.counts() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/v1/incidents"), ("PATCH", "/api/v1/drafts/{draft}")],
)
def test_a_body_that_is_not_json_is_415_naming_the_content_type(
    stack: Stack, method: str, path: str
) -> None:
    draft = declare(stack)["draft"]["id"]
    before = stack.counts()

    # What `curl -d '{…}'` sends without -H 'Content-Type: application/json'.
    response = stack.client.request(
        method,
        path.format(draft=draft),
        content=json.dumps({"title": "API errors", "body": "New text"}),
        headers={**stack.auth("writer"), "Content-Type": "application/x-www-form-urlencoded"},
    )

    message = error(response, 415, "unsupported_media_type")
    assert "Content-Type: application/json" in message
    assert "application/x-www-form-urlencoded" in message
    assert stack.counts() == before


def test_json_with_a_charset_and_a_bodiless_approve_are_accepted(stack: Stack) -> None:
    response = stack.client.post(
        "/api/v1/incidents",
        content=json.dumps(DECLARE).encode(),
        headers={**stack.auth("writer"), "Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201, response.text
    approved = stack.client.post(
        f"/api/v1/drafts/{response.json()['draft']['id']}/approve",
        headers={**stack.auth("approver"), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert approved.status_code == 200, approved.text


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"title": ""}, "title", "title: must not be empty"),
        ({"title": "   "}, "title", "title: "),
        ({"title": "ok", "severity": "sev9"}, "severity", "severity: "),
        ({"title": "ok", "components": {"Nope": None}}, "components", "unknown component 'Nope'"),
        ({"title": "ok", "surprise": 1}, "surprise", "surprise: "),
    ],
)
def test_a_refused_field_is_named_in_the_error(
    stack: Stack, body: dict[str, Any], field: str, message: str
) -> None:
    response = stack.client.post("/api/v1/incidents", json=body, headers=stack.auth("writer"))

    text = error_with_field(response, 400, "invalid_input", field)
    assert text.startswith(message), text


def error_with_field(response: Any, status: int, code: str, field: str | None) -> str:
    assert response.status_code == status, response.text
    found = response.json()["error"]
    assert found["code"] == code
    assert found.get("field") == field, found
    message: str = found["message"]
    return message


def test_a_wrong_method_lists_every_allowed_method(stack: Stack) -> None:
    response = stack.client.delete("/api/v1/incidents", headers=stack.auth("writer"))

    message = error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET, POST"
    assert "GET, POST" in message
    drafts = stack.client.put("/api/v1/drafts/abcdefabcdef", headers=stack.auth("writer"))
    assert drafts.status_code == 405
    assert drafts.headers["allow"] == "PATCH"


@pytest.mark.parametrize("version", [-1, 0])
def test_a_version_below_one_is_refused_for_what_it_is(stack: Stack, version: int) -> None:
    draft = declare(stack)["draft"]["id"]

    edited = stack.client.patch(
        f"/api/v1/drafts/{draft}",
        json={"body": "New text", "version": version},
        headers=stack.auth("writer"),
    )
    approved = stack.client.post(
        f"/api/v1/drafts/{draft}/approve", json={"version": version}, headers=stack.auth("approver")
    )

    for response in (edited, approved):
        text = error_with_field(response, 400, "invalid_input", "version")
        assert text == "version: must be 1 or more", text


@pytest.mark.parametrize(
    ("path", "body", "field", "message"),
    [
        (
            "/api/v1/drafts/{draft}",
            {"components": {"API": "bogus"}},
            "components",
            "components.API: must be one of 'operational', ",
        ),
        (
            "/api/v1/incidents/INC-1",
            {"severity": "sev7"},
            "severity",
            "severity: must be one of 'sev1', 'sev2', 'sev3' or 'sev4'",
        ),
        ("/api/v1/drafts/{draft}", {"body": ""}, "body", "body: must not be empty"),
    ],
)
def test_a_refused_edit_says_what_was_wrong_in_the_words_a_new_one_would(
    stack: Stack, path: str, body: dict[str, Any], field: str, message: str
) -> None:
    draft = declare(stack)["draft"]["id"]
    before = stack.counts()

    response = stack.client.patch(path.format(draft=draft), json=body, headers=stack.auth("writer"))

    text = error_with_field(response, 400, "invalid_input", field)
    # No union branches of the optional fields ("str-enum[Severity]", "none", validators).
    assert text.startswith(message), text
    for internal in ("[", "none", "0x"):
        assert internal not in text, text
    assert stack.counts() == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/incidents", {**DECLARE, "next_update_by": "yesterday"}),
        ("PATCH", "/api/v1/drafts/{draft}", {"next_update_by": "2020-01-01T00:00:00Z"}),
    ],
)
def test_a_refused_next_update_time_names_its_field(
    stack: Stack, method: str, path: str, body: dict[str, Any]
) -> None:
    draft = declare(stack)["draft"]["id"]

    response = stack.client.request(
        method, path.format(draft=draft), json=body, headers=stack.auth("writer")
    )

    error_with_field(response, 400, "invalid_input", "next_update_by")


def test_a_body_that_is_not_valid_json_names_no_field(stack: Stack) -> None:
    response = stack.client.post(
        "/api/v1/incidents",
        content=b'{"title":',
        headers={**stack.auth("writer"), "Content-Type": "application/json"},
    )

    text = error_with_field(response, 400, "invalid_input", None)
    assert text == "the body is not valid JSON (Expecting value at character 9)", text
