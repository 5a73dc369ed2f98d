"""Alert intake never drops an outage: every real Alertmanager payload opens an incident.

Alertmanager treats a 4xx answer as final and never re-sends: anything a valid webhook carries
(many services, long or odd label values, unknown severities) must be made to fit, with what
was changed written on the timeline, and only payloads that are not Alertmanager webhooks are
refused. Claim, declare, note and bind happen in one transaction.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa

from commsbot.domain.model import MAX_TITLE
from commsbot.domain.policy import Actor
from tests.http.conftest import Stack, open_stack
from tests.http.test_alertmanager import alert, detail, payload, send
from tests.statuspage import scenario

#: 12 services with the long names real fleets use: far over the 200-character title limit.
SERVICES = [
    f"{name}-service-eu-west-1-primary"
    for name in (
        "checkout",
        "payments",
        "inventory",
        "search",
        "recommendations",
        "notifications",
        "identity",
        "billing",
        "shipping",
        "catalogue",
        "reviews",
        "analytics",
    )
]


@pytest.fixture
def open_catalogue(database_url: str) -> Iterator[Stack]:
    """No configured components: every service label names a component, made on first use."""
    yield from open_stack(database_url, scenario.settings(components=[]))


def rows(stack: Stack, table: str) -> int:
    with stack.engine.connect() as conn:
        count: int = conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
    return count


def test_a_group_over_twelve_long_service_names_opens_an_incident_with_a_fitting_title(
    open_catalogue: Stack,
) -> None:
    body = payload("ServiceDown", *(alert("ServiceDown", s) for s in SERVICES))

    result = send(open_catalogue, body)

    assert result["outcome"] == "declared"
    shown = detail(open_catalogue, result["incident"])
    title = shown["incident"]["title"]
    assert len(title) <= MAX_TITLE
    assert title.startswith("Service disruption affecting checkout-service-eu-west-1-primary, ")
    hidden = title.rsplit(" and ", 1)[1]
    assert hidden.endswith(" more")
    listed = title.removeprefix("Service disruption affecting ").rsplit(" and ", 1)[0]
    assert len(listed.split(", ")) + int(hidden.split()[0]) == 12
    # Every service is on the incident, and the timeline says the title was shortened.
    assert list(shown["incident"]["components"]) == SERVICES
    note = shown["timeline"][-1]["detail"]
    assert "title lists" in note


def test_a_single_very_long_service_name_is_shortened_in_the_title_and_the_component(
    open_catalogue: Stack,
) -> None:
    long_name = "x" * 600

    result = send(open_catalogue, payload("Down", alert("Down", long_name)))

    assert result["outcome"] == "declared"
    shown = detail(open_catalogue, result["incident"])
    assert len(shown["incident"]["title"]) <= MAX_TITLE
    assert shown["incident"]["title"].endswith("…")
    (component,) = shown["incident"]["components"]
    assert len(component) <= 100
    assert component.endswith("…")
    assert "shortened" in shown["timeline"][-1]["detail"]


def test_odd_label_values_are_normalised_and_the_incident_is_still_opened(
    open_catalogue: Stack,
) -> None:
    odd = [
        alert("Down", "bell\u0007api", severity="p9"),
        alert("Down", "esc\u001b[31mweb"),
        alert("Down", "nul\u0000db"),
        alert("Down", "lone\ud800surrogate"),
        alert("Down", "non\ufffecharacter"),
        alert("Down", "a=b"),
        alert("Down", "\u200b"),  # only an invisible character: names nothing
        alert("Down", "huge", runbook="r" * 50_000),
    ]
    for item in odd:
        item["labels"]["severity"] = "p9"  # unknown: the default severity is used
    body = payload("Down", *odd)
    body["commonAnnotations"] = {"summary": "x\u0007" * 10_000}

    response = open_catalogue.client.post(
        "/api/v1/alertmanager",
        content=json.dumps(body),  # ASCII escapes: the lone surrogate travels as \ud800
        headers={**open_catalogue.auth("alertmanager"), "Content-Type": "application/json"},
    )

    assert response.status_code == 200, response.text
    result = response.json()
    assert result["outcome"] == "declared"
    shown = detail(open_catalogue, result["incident"])
    assert shown["incident"]["severity"] == "sev2"
    names = list(shown["incident"]["components"])
    assert names == ["bellapi", "esc[31mweb", "nuldb", "lonesurrogate", "noncharacter",
                     "a-b", "huge"]  # fmt: skip
    note = shown["timeline"][-1]["detail"]
    assert "'p9' is not mapped; used sev2" in note
    assert not any(ch in note for ch in "\u0007\u001b\u0000\ufffe")
    # The public feeds stay well-formed after the acknowledgment is published.
    from commsbot.services.drafts import approve_draft

    approve_draft(open_catalogue.deps, draft_id=result["draft_id"], actor=Actor("sam"))
    open_catalogue.ctx.pages.refresh()
    atom = open_catalogue.client.get("/history.atom")
    assert atom.status_code == 200
    import xml.etree.ElementTree as ElementTree

    ElementTree.fromstring(atom.content)


def test_a_body_over_the_api_limit_is_still_taken_from_alertmanager(
    open_catalogue: Stack,
) -> None:
    alerts = [alert("InstanceDown", "fleet", instance=f"node-{i:05d}") for i in range(4000)]
    for item in alerts:
        item["fingerprint"] = item["labels"]["instance"]
    body = payload("InstanceDown", *alerts)
    assert len(json.dumps(body)) > open_catalogue.ctx.config.max_body_bytes

    result = send(open_catalogue, body)

    assert result["outcome"] == "declared"
    assert "3980 more" in detail(open_catalogue, result["incident"])["timeline"][-1]["detail"]


JSON = "application/json"


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"not json at all", JSON, 400),
        (b'{"version": "4", "groupKey": "g"', JSON, 400),
        (b"[]", JSON, 400),
        (b'{"version": "3", "groupKey": "g", "status": "firing", "alerts": []}', JSON, 400),
        (b'{"version": "4", "status": "firing", "alerts": []}', JSON, 400),
        (b'{"version": "4", "groupKey": "g", "status": "firing", "alerts": {}}', JSON, 400),
        (b'{"version": "4", "groupKey": "g", "status": "firing", "alerts": []}', "text/plain", 415),
    ],
)
def test_only_payloads_that_are_not_alertmanager_webhooks_are_refused(
    stack: Stack, content: bytes, content_type: str, status: int
) -> None:
    response = stack.client.post(
        "/api/v1/alertmanager",
        content=content,
        headers={**stack.auth("alertmanager"), "Content-Type": content_type},
    )

    assert response.status_code == status, response.text
    assert rows(stack, "incident") == 0


def test_a_crash_between_declare_and_bind_leaves_nothing_and_a_repeat_opens_one_incident(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from commsbot.store.alert_groups import SqlAlertGroupRepository

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the process died between declare and bind")

    # "billing" names no configured component: no open incident covers it, so before the fix a
    # repeat declared a second incident beside the one the crash left behind.
    body = payload("Down", alert("Down", "billing"))
    before = stack.counts()
    with monkeypatch.context() as patch:
        patch.setattr(SqlAlertGroupRepository, "save", crash)  # the bind step
        failed = stack.client.post(
            "/api/v1/alertmanager", json=body, headers=stack.auth("alertmanager")
        )
    assert failed.status_code == 500
    assert stack.counts() == before  # no incident, no draft, no note, no binding
    assert rows(stack, "delivery") == rows(stack, "reminder") == 0

    first = send(stack, body)
    again = send(stack, body)

    assert first["outcome"] == "declared"
    assert again["outcome"] == "unchanged"
    assert rows(stack, "incident") == 1
    assert rows(stack, "alert_group") == 1


def test_identical_notifications_at_the_same_moment_open_one_incident(stack: Stack) -> None:
    from commsbot.http.alertmanager import AlertmanagerPayload
    from commsbot.services.alerts import receive_alerts

    groups = [f"Down{i}" for i in range(4)]
    outcomes: dict[str, list[str]] = {}
    for group in groups:
        body = AlertmanagerPayload.model_validate(
            payload(group, alert(group, "API" if group == "Down0" else "Sora"))
        ).notification()
        start = threading.Barrier(2)

        def receive(_: int, body: Any = body, start: threading.Barrier = start) -> str:
            start.wait(timeout=10)
            return receive_alerts(stack.deps, body, Actor("alertmanager")).outcome

        with ThreadPoolExecutor(max_workers=2) as pool:
            outcomes[group] = sorted(pool.map(receive, range(2)))

    # The first group declares; the others attach to it or declare their own (Sora is not
    # covered by the API incident) — but each copy pair acts exactly once.
    for group in groups:
        assert outcomes[group][1] == "unchanged", outcomes
        assert outcomes[group][0] in ("attached", "declared"), outcomes
    assert rows(stack, "incident") == 2
    assert rows(stack, "alert_group") == len(groups)
