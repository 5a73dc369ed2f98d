"""``/api/v1/maintenances``: the CLI's maintenance use cases over HTTP, on a real database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.http.conftest import Stack


def _schedule(stack: Stack, **body: Any) -> dict[str, Any]:
    payload = {
        "title": "Database upgrade",
        "scheduled_for": "2h",
        "scheduled_until": "90m",
        "components": ["API"],
        **body,
    }
    response = stack.client.post("/api/v1/maintenances", json=payload, headers=stack.auth("writer"))
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def test_schedule_approve_start_and_complete_over_http(stack: Stack) -> None:
    made = _schedule(stack)
    assert made["maintenance"]["ref"] == "MNT-1"
    assert made["maintenance"]["scheduled_for"] == "2024-12-10T11:00:00.000Z"
    assert made["maintenance"]["scheduled_until"] == "2024-12-10T12:30:00.000Z"
    draft = made["draft"]
    public = "/api/v2/scheduled-maintenances.json"
    assert stack.client.get(public).json()["scheduled_maintenances"] == []

    own = stack.client.post(
        f"/api/v1/drafts/{draft['id']}/approve", json={}, headers=stack.auth("writer")
    )
    assert own.status_code == 403, own.text  # writers do not approve, and maya wrote it
    approved = stack.client.post(
        f"/api/v1/drafts/{draft['id']}/approve", json={"version": 1}, headers=stack.auth("approver")
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["notice"]["kind"] == "announce"
    [listed] = stack.client.get(public).json()["scheduled_maintenances"]
    assert listed["status"] == "scheduled"

    started = stack.client.post(
        "/api/v1/maintenances/MNT-1/start", json={}, headers=stack.auth("approver")
    )
    assert started.status_code == 200, started.text
    assert started.json()["maintenance"]["status"] == "in_progress"
    active = stack.client.get("/api/v2/scheduled-maintenances/active.json").json()
    assert [m["name"] for m in active["scheduled_maintenances"]] == ["Database upgrade"]

    stack.clock.current += timedelta(hours=1)
    done = stack.client.post("/api/v1/maintenances/MNT-1/complete", headers=stack.auth("approver"))
    assert done.status_code == 200, done.text
    shown = stack.client.get("/api/v1/maintenances/MNT-1", headers=stack.auth("reader")).json()
    assert [n["kind"] for n in shown["notices"]] == ["announce", "start", "complete"]
    listed_all = stack.client.get(
        "/api/v1/maintenances?all=true", headers=stack.auth("reader")
    ).json()
    assert [m["status"] for m in listed_all["maintenances"]] == ["completed"]


def test_refusals_name_their_field_and_change_nothing(stack: Stack) -> None:
    past = stack.client.post(
        "/api/v1/maintenances",
        json={
            "title": "Upgrade",
            "scheduled_for": "2024-12-09T10:00:00Z",
            "scheduled_until": "1h",
            "components": ["API"],
        },
        headers=stack.auth("writer"),
    )
    assert past.status_code == 400, past.text
    assert past.json()["error"]["field"] == "scheduled_for"
    unknown = stack.client.post(
        "/api/v1/maintenances",
        json={
            "title": "Upgrade",
            "scheduled_for": "2h",
            "scheduled_until": "1h",
            "components": ["Nope"],
        },
        headers=stack.auth("writer"),
    )
    assert unknown.status_code == 400, unknown.text
    assert unknown.json()["error"]["field"] == "components"
    reader = stack.client.post(
        "/api/v1/maintenances",
        json={"title": "Upgrade", "scheduled_for": "2h", "scheduled_until": "1h"},
        headers=stack.auth("reader"),
    )
    assert reader.status_code == 403
    listed = stack.client.get("/api/v1/maintenances?all=true", headers=stack.auth("reader"))
    assert listed.json() == {"maintenances": []}
    missing = stack.client.post("/api/v1/maintenances/MNT-9/start", headers=stack.auth("approver"))
    assert missing.status_code == 404


def test_the_schema_states_the_configured_components_and_the_time_patterns(stack: Stack) -> None:
    schema = stack.client.get("/openapi.json").json()
    model = schema["components"]["schemas"]["ScheduleRequest"]["properties"]
    assert model["components"]["items"]["enum"] == ["ChatGPT", "API", "Sora", "Playground"]
    assert "pattern" in model["scheduled_for"]
    assert "pattern" in model["scheduled_until"]
