"""``/api/v1/report`` on a database the 11 December story was written into: the figures, the
scopes, bad input naming its field, and what the OpenAPI schema states."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from commsbot.bootstrap import http_context
from commsbot.domain.model import Severity
from commsbot.http.app import create_app
from commsbot.http.reports import SINCE_PATTERN
from commsbot.services.incidents import declare
from commsbot.services.tokens import create_token
from commsbot.tokens.model import Scope
from tests.postmortem.seed import MAYA, pst, seed_dec11, wire

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from fastapi.testclient import TestClient


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    app_, clock = wire(f"sqlite:///{tmp_path / 'story.db'}")
    seed_dec11(app_, clock)
    clock.current = pst(16, 0, day=13)
    declare(app_.deps, title="Checkout failing", severity=Severity.SEV2,
            components={"API": None}, actor=MAYA)  # fmt: skip
    clock.current = pst(12, 0, day=20)
    tokens = {
        name: create_token(app_.deps, name=name, actor=name, scope=scope)[1]
        for name, scope in (("rita", Scope.READ), ("sam", Scope.APPROVE))
    }
    with TestClient(create_app(context=http_context(app_))) as client:
        yield client, {k: f"Bearer {v}" for k, v in tokens.items()}


def test_report_gives_the_figures_by_severity_to_a_reader(
    api: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = api
    response = client.get("/api/v1/report?since=30d", headers={"Authorization": auth["rita"]})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["since"] == "2024-11-20T20:00:00.000Z"  # noon in Los Angeles, 30 days back
    assert body["zone"] == "America/Los_Angeles"
    assert body["total"]["incidents"] == 2
    assert [m["month"] for m in body["by_month"]] == ["2024-12"]
    sev1 = next(g for g in body["by_severity"] if g["severity"] == "sev1")
    assert sev1["time_to_first_update"] == {"count": 1, "median_s": 180.0, "p90_s": 180.0}
    assert sev1["time_to_recover"]["median_s"] == 262 * 60.0
    assert sev1["rca"] == {"judged": 1, "on_time": 1, "rate": 1.0}
    sev2 = next(g for g in body["by_severity"] if g["severity"] == "sev2")
    assert (sev2["incidents"], sev2["open"], sev2["without_public_update"]) == (1, 1, 1)
    # A higher scope reads too; the default is 90 days.
    assert (
        client.get("/api/v1/report", headers={"Authorization": auth["sam"]}).json()["total"][
            "incidents"
        ]
        == 2
    )


def test_report_wants_a_token_and_a_readable_start(
    api: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = api
    anonymous = client.get("/api/v1/report")
    future = client.get("/api/v1/report?since=2031-01-01", headers={"Authorization": auth["rita"]})
    nonsense = client.get("/api/v1/report?since=lately", headers={"Authorization": auth["rita"]})

    assert anonymous.status_code == 401
    assert future.status_code == 400
    assert future.json()["error"]["field"] == "since"
    assert "in the future" in future.json()["error"]["message"]
    assert nonsense.status_code == 400
    assert "90d" in nonsense.json()["error"]["message"]


def test_the_schema_states_the_report_and_its_read_scope(
    api: tuple[TestClient, dict[str, str]],
) -> None:
    client, _ = api
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/api/v1/report"]["get"]
    [since] = operation["parameters"]

    assert since["name"] == "since"
    assert since["schema"]["pattern"] == SINCE_PATTERN
    assert {"200", "400", "401", "403"} <= set(operation["responses"])
    for good in ("all", "90d", "12w", "48h", "99999h"):
        assert re.fullmatch(SINCE_PATTERN, good)
    for bad in ("0d", "90", "lately", "99999d"):
        assert not re.fullmatch(SINCE_PATTERN, bad)
