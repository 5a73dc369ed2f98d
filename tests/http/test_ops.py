"""/healthz, /readyz and /metrics."""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from commsbot.domain.policy import Actor
from commsbot.http.app import create_app
from commsbot.services.drafts import approve_draft
from commsbot.store.db import make_engine
from tests.http.conftest import Stack, TestClient
from tests.http.test_api import declare


def metrics(stack: Stack) -> dict[str, Any]:
    response = stack.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {f.name: f for f in text_string_to_metric_families(response.text)}


def test_healthz_and_readyz_when_all_is_well(stack: Stack) -> None:
    assert stack.client.get("/healthz").json() == {"status": "ok"}
    ready = stack.client.get("/readyz")

    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "statuspage": "ok"},
    }


def test_readyz_is_503_when_migrations_are_behind(stack: Stack) -> None:
    with stack.engine.begin() as conn:
        # As if this database were last migrated by an older commsbot.
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))

    ready = stack.client.get("/readyz")

    assert ready.status_code == 503
    assert ready.json()["status"] == "not_ready"
    assert "this version needs" in ready.json()["checks"]["migrations"]


def test_readyz_is_503_when_the_database_is_unreachable(stack: Stack, tmp_path: Any) -> None:
    gone = make_engine(f"sqlite:///{tmp_path}/missing/folder/db.sqlite")
    ctx = dataclasses.replace(stack.ctx, engine=gone)
    with TestClient(create_app(context=ctx)) as client:
        ready = client.get("/readyz")
        # The public page is still served from memory.
        page = client.get("/api/v2/status.json")

    assert ready.status_code == 503
    assert ready.json()["checks"]["database"].startswith("unreachable")
    assert page.status_code == 200


def test_metrics_report_time_to_first_update_requests_and_open_incidents(stack: Stack) -> None:
    slow = declare(stack)
    stack.clock.advance(minutes=7)
    approve_draft(stack.deps, draft_id=slow["draft"]["id"], actor=Actor("sam"))
    quick = declare(stack, title="Second")
    approve_draft(stack.deps, draft_id=quick["draft"]["id"], actor=Actor("sam"))
    declare(stack, title="Not published yet")
    stack.client.get("/api/v2/summary.json")

    families = metrics(stack)

    hist = {
        (s.name, s.labels.get("le")): s.value
        for s in families["commsbot_time_to_first_update_seconds"].samples
    }
    assert hist[("commsbot_time_to_first_update_seconds_count", None)] == 2
    assert hist[("commsbot_time_to_first_update_seconds_sum", None)] == 420
    assert hist[("commsbot_time_to_first_update_seconds_bucket", "300.0")] == 1
    assert hist[("commsbot_time_to_first_update_seconds_bucket", "600.0")] == 2
    open_by_status = {
        s.labels["status"]: s.value for s in families["commsbot_open_incidents"].samples
    }
    assert open_by_status == {"investigating": 3}
    requests = {
        (s.labels["route"], s.labels["status"]): s.value
        for s in families["commsbot_http_requests"].samples
        if s.name.endswith("_total")
    }
    assert requests[("/api/v2/summary.json", "200")] == 1
    assert requests[("/api/v1/incidents", "201")] == 3


def test_delivery_and_reminder_figures_appear_when_their_tables_exist(stack: Stack) -> None:
    tables = set(sa.inspect(stack.engine).get_table_names())

    families = metrics(stack)

    assert ("commsbot_deliveries" in families) == ("delivery" in tables)
    assert ("commsbot_delivery_retries" in families) == ("delivery" in tables)
    assert ("commsbot_reminders_fired" in families) == ("reminder" in tables)
