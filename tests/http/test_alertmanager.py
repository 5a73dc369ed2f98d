"""The Alertmanager receiver: drafts for people to approve, never a publish; idempotent."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from commsbot.domain.policy import Actor
from tests.http.conftest import Stack, open_stack
from tests.statuspage import scenario


def alert(name: str, service: str, *, status: str = "firing", **labels: str) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": name, "service": service, "severity": "critical", **labels},
        "annotations": {"summary": f"{name} on {service}"},
        "startsAt": "2024-12-11T23:14:00.000Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.internal/graph?g0.expr=up",
        "fingerprint": f"{name}-{service}",
    }


def payload(group: str, *alerts: dict[str, Any], status: str = "firing") -> dict[str, Any]:
    """Alertmanager's webhook body, version 4, as it sends it."""
    return {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{group}"}}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "commsbot",
        "groupLabels": {"alertname": group},
        "commonLabels": {"alertname": group},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.internal:9093",
        "alerts": list(alerts),
    }


def resolved(body: dict[str, Any]) -> dict[str, Any]:
    done = copy.deepcopy(body)
    done["status"] = "resolved"
    for item in done["alerts"]:
        item["status"] = "resolved"
        item["endsAt"] = "2024-12-12T03:38:00.000Z"
    return done


def send(stack: Stack, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    response = stack.client.post(
        "/api/v1/alertmanager", json=body, headers=stack.auth("alertmanager")
    )
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def published(stack: Stack) -> int:
    with stack.engine.connect() as conn:
        count: int = conn.execute(sa.text("SELECT count(*) FROM incident_update")).scalar_one()
    return count


def detail(stack: Stack, ref: str) -> dict[str, Any]:
    shown: dict[str, Any] = stack.client.get(
        f"/api/v1/incidents/{ref}", headers=stack.auth("reader")
    ).json()
    return shown


def test_a_firing_group_declares_with_an_acknowledgment_waiting_for_approval(
    stack: Stack,
) -> None:
    body = payload("Down", alert("Down", "API"), alert("Down", "Sora"), alert("Down", "billing"))

    result = send(stack, body)

    assert result["outcome"] == "declared"
    assert result["ignored_components"] == ["billing"]
    shown = detail(stack, result["incident"])
    incident = shown["incident"]
    assert incident["commander"] == "alertmanager"
    assert incident["severity"] == "sev1"
    assert incident["title"] == "Service disruption affecting API and Sora"
    assert list(incident["components"]) == ["API", "Sora"]
    (draft,) = shown["pending_drafts"]
    assert draft["id"] == result["draft_id"]
    assert draft["status"] == "investigating"
    assert draft["component_changes"] == {"API": "major_outage", "Sora": "major_outage"}
    note = shown["timeline"][-1]
    assert note["action"] == "note"
    assert "Down on API" in note["detail"]
    assert "billing" in note["detail"]
    # Nothing is public until a person approves.
    assert published(stack) == 0
    assert stack.client.get("/api/v2/summary.json").json()["incidents"] == []


def test_repeated_notifications_change_nothing(stack: Stack) -> None:
    body = payload("Down", alert("Down", "API"))
    first = send(stack, body)
    before = stack.counts()

    again = [send(stack, body) for _ in range(3)]

    assert {r["outcome"] for r in again} == {"unchanged"}
    assert {r["incident"] for r in again} == {first["incident"]}
    assert stack.counts() == before


def test_changed_alerts_add_a_note_and_resolution_proposes_recovery(stack: Stack) -> None:
    one = payload("Down", alert("Down", "API"))
    ref = send(stack, one)["incident"]
    two = payload("Down", alert("Down", "API"), alert("Down", "API", instance="b"))
    two["alerts"][1]["fingerprint"] = "Down-API-b"

    noted = send(stack, two)
    done = send(stack, resolved(two))
    again = send(stack, resolved(two))

    assert noted["outcome"] == "noted"
    assert done["outcome"] == "recovery_proposed"
    assert again["outcome"] == "unchanged"
    shown = detail(stack, ref)
    recovery = [d for d in shown["pending_drafts"] if d["status"] == "recovered"]
    assert len(recovery) == 1
    assert recovery[0]["id"] == done["draft_id"]
    assert recovery[0]["component_changes"] == {"API": "operational"}
    assert published(stack) == 0


def test_a_group_for_the_same_components_attaches_to_the_open_incident(stack: Stack) -> None:
    first = send(stack, payload("Down", alert("Down", "API"), alert("Down", "Sora")))

    attached = send(stack, payload("Latency", alert("Latency", "api")))  # any case
    partly = send(stack, resolved(payload("Down", alert("Down", "API"), alert("Down", "Sora"))))

    assert attached["outcome"] == "attached"
    assert attached["incident"] == first["incident"]
    # One group of the incident still fires: no recovery yet.
    assert partly["outcome"] == "noted"
    shown = detail(stack, first["incident"])
    assert "still firing" in shown["timeline"][-1]["detail"]
    assert not [d for d in shown["pending_drafts"] if d["status"] == "recovered"]
    assert send(stack, resolved(payload("Latency", alert("Latency", "api"))))["outcome"] == (
        "recovery_proposed"
    )


def test_a_group_firing_again_after_recovery_opens_a_new_incident(stack: Stack) -> None:
    body = payload("Down", alert("Down", "API"))
    first = send(stack, body)
    from commsbot.services.drafts import approve_draft

    approve_draft(stack.deps, draft_id=first["draft_id"], actor=Actor("sam"))
    recovery = send(stack, resolved(body))
    approve_draft(stack.deps, draft_id=recovery["draft_id"], actor=Actor("sam"))

    second = send(stack, body)

    assert second["outcome"] == "declared"
    assert second["incident"] != first["incident"]


def test_an_unknown_payload_version_is_refused(stack: Stack) -> None:
    body = payload("Down", alert("Down", "API"))
    body["version"] = "3"

    result = send(stack, body, status=400)

    assert result["error"]["code"] == "invalid_input"
    assert stack.counts()["incident"] == 0


@pytest.fixture
def mapped(database_url: str) -> Iterator[Stack]:
    settings = scenario.settings(
        http={
            "alertmanager": {
                "component_label": "app",
                "components": {"api-gateway": "API", "chat-web": "ChatGPT"},
                "severity_label": "level",
                "severities": {"p1": "sev1"},
                "default_severity": "sev3",
                "title": "Trouble with {components}",
            }
        }
    )
    yield from open_stack(database_url, settings)


def test_labels_map_to_components_and_severities_by_configuration(mapped: Stack) -> None:
    body = payload(
        "Errors",
        {"status": "firing", "labels": {"alertname": "Errors", "app": "api-gateway"}},
        {"status": "firing", "labels": {"alertname": "Errors", "app": "chat-web", "level": "p9"}},
    )

    result = send(mapped, body)

    incident = detail(mapped, result["incident"])["incident"]
    assert incident["title"] == "Trouble with API and ChatGPT"
    assert incident["severity"] == "sev3"  # p9 is unknown: the default
    assert list(incident["components"]) == ["API", "ChatGPT"]
