"""/healthz, /readyz and /metrics."""

from __future__ import annotations

import dataclasses
import random
import string
import subprocess
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from commsbot.domain.policy import Actor
from commsbot.http.app import create_app
from commsbot.services.drafts import approve_draft
from commsbot.store.db import make_engine
from commsbot.store.operations import SqlOperations
from tests.http.conftest import Stack
from tests.http.test_api import declare
from tests.http.tools import binary


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
    ctx = dataclasses.replace(stack.ctx, operations=SqlOperations(gone))
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
    declare(stack, title="A sev3", severity="sev3")
    stack.client.get("/api/v2/summary.json")

    families = metrics(stack)

    hist = {
        (s.name, s.labels.get("le")): s.value
        for s in families["commsbot_time_to_first_update_seconds"].samples
        if s.labels["severity"] == "sev1"
    }
    assert {
        s.labels["severity"] for s in families["commsbot_time_to_first_update_seconds"].samples
    } == {"sev1", "sev2", "sev3", "sev4"}
    assert hist[("commsbot_time_to_first_update_seconds_count", None)] == 2
    assert hist[("commsbot_time_to_first_update_seconds_sum", None)] == 420
    assert hist[("commsbot_time_to_first_update_seconds_bucket", "300.0")] == 1
    assert hist[("commsbot_time_to_first_update_seconds_bucket", "600.0")] == 2
    open_by_status = {
        s.labels["status"]: s.value for s in families["commsbot_open_incidents"].samples
    }
    assert open_by_status == {"investigating": 4}
    requests = {
        (s.labels["route"], s.labels["status"]): s.value
        for s in families["commsbot_http_requests"].samples
        if s.name.endswith("_total")
    }
    assert requests[("/api/v2/summary.json", "200")] == 1
    assert requests[("/api/v1/incidents", "201")] == 4


def test_delivery_and_reminder_figures_appear_when_their_tables_exist(stack: Stack) -> None:
    tables = set(sa.inspect(stack.engine).get_table_names())

    families = metrics(stack)

    assert ("commsbot_deliveries" in families) == ("delivery" in tables)
    assert ("commsbot_delivery_retries" in families) == ("delivery" in tables)
    assert ("commsbot_reminders_fired" in families) == ("reminder" in tables)


def series(stack: Stack) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    return {
        (s.name, tuple(sorted(s.labels.items())))
        for family in metrics(stack).values()
        for s in family.samples
    }


def test_random_paths_and_methods_do_not_grow_the_metrics(stack: Stack) -> None:
    """Strangers reach the public prefix: a label per path would let them inflate /metrics."""
    rng = random.Random(7)
    prefixes = ("/api/v2/", "/api/v1/", "/incidents/", "/")
    methods = ("GET", "POST", "BREW", "XCUSTOM")

    def junk() -> str:
        return "".join(rng.choices(string.ascii_letters + string.digits, k=24))

    for prefix in prefixes:  # every kind of request once, so its series exists
        for method in methods:
            stack.client.request(method, prefix + junk())
    series(stack)  # and the scrape's own
    before = series(stack)
    size = len(stack.client.get("/metrics").content)

    for i in range(2000):
        name = junk()
        method = (*methods[:3], f"X{name[:6].upper()}")[i // 4 % 4]
        stack.client.request(method, prefixes[i % 4] + name)

    after = series(stack)
    assert after == before
    assert len(stack.client.get("/metrics").content) < size + 1024
    routes = {
        s.labels["route"]
        for s in metrics(stack)["commsbot_http_requests"].samples
        if s.name.endswith("_total")
    }
    assert "other" in routes
    assert all(r == "other" or "{" in r or "nope" not in r for r in routes), routes
    counted: set[str] = {
        s.labels["method"]
        for s in metrics(stack)["commsbot_http_requests"].samples
        if s.name.endswith("_total")
    }
    assert counted <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}


def test_known_routes_are_counted_by_their_template(stack: Stack) -> None:
    made = declare(stack)
    approve_draft(stack.deps, draft_id=made["draft"]["id"], actor=Actor("sam"))
    stack.ctx.pages.refresh()
    ref = made["incident"]["ref"]
    stack.client.get(f"/api/v1/incidents/{ref}", headers=stack.auth("reader"))
    stack.client.get(f"/incidents/{made['incident']['id']}")
    stack.client.get("/api/v1/incidents/INC-404", headers=stack.auth("reader"))

    requests = {
        (s.labels["method"], s.labels["route"], s.labels["status"]): s.value
        for s in metrics(stack)["commsbot_http_requests"].samples
        if s.name.endswith("_total")
    }

    assert requests[("GET", "/api/v1/incidents/{ref}", "200")] == 1
    assert requests[("GET", "/api/v1/incidents/{ref}", "404")] == 1
    assert requests[("GET", "/incidents/{incident_id}", "200")] == 1


def test_promtool_accepts_the_metrics(stack: Stack) -> None:
    promtool = binary("promtool", package="prometheus", purpose="lint /metrics with promtool")
    made = declare(stack)
    approve_draft(stack.deps, draft_id=made["draft"]["id"], actor=Actor("sam"))
    stack.client.get("/api/v2/summary.json")
    stack.client.get("/no/such/path")
    body = stack.client.get("/metrics").content

    checked = subprocess.run(
        [promtool, "check", "metrics"], input=body, capture_output=True, timeout=60
    )

    assert checked.returncode == 0, checked.stderr.decode() + checked.stdout.decode()
    assert checked.stdout.decode().strip() == "", checked.stdout.decode()
