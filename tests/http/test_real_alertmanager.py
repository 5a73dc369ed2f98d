"""The real Prometheus Alertmanager posting to the real server, both on 127.0.0.1.

Alertmanager drops a notification for good when the receiver answers 4xx: this is the check
that what it really sends (a group of 12 long-named services, then its resolution) is taken.
Bounded: one Alertmanager process, a few alerts, 60 seconds at most per wait.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from commsbot.domain.model import MAX_TITLE
from commsbot.services.tokens import create_token
from commsbot.tokens.model import Scope
from tests.http.conftest import StackContext, make_context
from tests.http.live import live_server
from tests.http.tools import binary
from tests.statuspage import scenario
from tests.unit.fakes import FakeClock

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
WAIT = 60.0
SERVICES = [f"{name}-service-eu-west-1-primary" for name in (
    "checkout", "payments", "inventory", "search", "recommendations", "notifications",
    "identity", "billing", "shipping", "catalogue", "reviews", "analytics",
)]  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(what: str, check: Callable[[], Any], log: Path) -> Any:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; Alertmanager said:\n{log.read_text()}")


@pytest.fixture
def ctx(database_url: str) -> Iterator[StackContext]:
    made = make_context(
        database_url, scenario.settings(components=[], http={"port": 0}), FakeClock()
    )
    yield made
    made.engine.dispose()


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[Callable[[str, str], str]]:
    """Starts Alertmanager sending to ``url`` with ``token``; returns its base URL."""
    program = binary(
        "prometheus-alertmanager",
        "alertmanager",
        package="prometheus-alertmanager",
        purpose="post from a real Alertmanager",
    )
    started: list[subprocess.Popen[bytes]] = []

    def start(url: str, token: str) -> str:
        port = free_port()
        config = {
            "route": {
                "receiver": "commsbot",
                "group_by": ["alertname"],
                "group_wait": "2s",
                "group_interval": "1s",
                "repeat_interval": "1h",
            },
            "receivers": [
                {
                    "name": "commsbot",
                    "webhook_configs": [
                        {
                            "url": url,
                            "send_resolved": True,
                            "http_config": {"authorization": {"credentials": token}},
                        }
                    ],
                }
            ],
        }
        (tmp_path / "alertmanager.yml").write_text(json.dumps(config))  # YAML reads JSON
        log = (tmp_path / "alertmanager.log").open("wb")
        process = subprocess.Popen(
            [
                program,
                f"--config.file={tmp_path / 'alertmanager.yml'}",
                f"--storage.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                "--log.level=debug",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        base = f"http://127.0.0.1:{port}"
        wait_for(
            "Alertmanager to start",
            lambda: _ready(base) or process.poll() is not None,
            tmp_path / "alertmanager.log",
        )
        assert process.poll() is None, (tmp_path / "alertmanager.log").read_text()
        return base

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/-/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def post_alerts(base: str, *, starts: datetime, ends: datetime | None = None) -> None:
    alerts = [
        {
            "labels": {"alertname": "ServiceDown", "service": service, "severity": "page"},
            "annotations": {"summary": f"{service} answers 5xx to every request"},
            # Started now: an alert older than group_wait makes Alertmanager flush its group at
            # once, before the rest of this POST has reached it.
            "startsAt": starts.isoformat(),
            **({"endsAt": ends.isoformat()} if ends else {}),
            "generatorURL": "http://prometheus.internal/graph",
        }
        for service in SERVICES
    ]
    response = httpx.post(f"{base}/api/v2/alerts", json=alerts, timeout=10)
    assert response.status_code == 200, response.text


def rows(ctx: StackContext, query: str) -> list[Any]:
    with ctx.engine.connect() as conn:
        return list(conn.execute(sa.text(query)).all())


def test_real_alertmanager_opens_one_incident_for_twelve_services_then_drafts_recovery(
    ctx: StackContext, database_url: str, alertmanager: Callable[[str, str], str], tmp_path: Path
) -> None:
    _, token = create_token(ctx.deps, name="alertmanager", actor="alertmanager", scope=Scope.WRITE)
    log = tmp_path / "alertmanager.log"
    with live_server(ctx, database_url) as commsbot:
        am = alertmanager(f"{commsbot}/api/v1/alertmanager", token)

        started = datetime.now(UTC)
        post_alerts(am, starts=started)
        (incident,) = wait_for(
            "the incident", lambda: rows(ctx, "SELECT id, title, severity FROM incident"), log
        )
        post_alerts(am, starts=started, ends=datetime.now(UTC) - timedelta(seconds=1))
        recovery = wait_for(
            "the recovery draft",
            lambda: rows(ctx, "SELECT id FROM draft WHERE status = 'recovered'"),
            log,
        )

    assert len(incident.title) <= MAX_TITLE
    assert incident.title.endswith(" more")
    assert incident.severity == "sev1"
    assert len(rows(ctx, "SELECT id FROM incident")) == 1
    assert len(recovery) == 1
    components = rows(ctx, "SELECT component_name FROM incident_component")
    assert sorted(c.component_name for c in components) == sorted(SERVICES)
    assert rows(ctx, "SELECT count(*) FROM incident_update")[0][0] == 0  # nothing published
    # Alertmanager never logged a failed notification.
    assert "Notify for alerts failed" not in log.read_text()
