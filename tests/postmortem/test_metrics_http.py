"""``/metrics``'s comms figures by severity, through the real server's context on a database the
11 December story was written into: known answers, recomputed when an update is published, and
accepted by ``promtool``."""

from __future__ import annotations

import subprocess
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from commsbot.bootstrap import App, http_context
from commsbot.domain.model import Severity
from commsbot.domain.policy import Actor
from commsbot.http.app import create_app
from commsbot.http.context import HttpContext
from commsbot.services.drafts import approve_draft
from commsbot.services.incidents import declare
from tests.http.tools import binary
from tests.postmortem.seed import MAYA, pst, seed_dec11, wire
from tests.unit.fakes import FakeClock

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from fastapi.testclient import TestClient


@dataclass
class Served:
    app: App
    clock: FakeClock
    ctx: HttpContext
    client: TestClient

    def scrape(self) -> str:
        response = self.client.get("/metrics")
        assert response.status_code == 200
        text: str = response.text
        return text

    def samples(self, family: str, severity: str = "sev1") -> dict[tuple[str, str | None], float]:
        found = {f.name: f for f in text_string_to_metric_families(self.scrape())}
        return {
            (s.name, s.labels.get("le")): s.value
            for s in found[family].samples
            if s.labels.get("severity") == severity
        }


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    app_, clock = wire(f"sqlite:///{tmp_path / 'story.db'}")
    seed_dec11(app_, clock)
    ctx = http_context(app_)
    with TestClient(create_app(context=ctx)) as client:
        yield Served(app_, clock, ctx, client)


def test_the_dec11_story_gives_its_known_figures_by_severity(served: Served) -> None:
    first = served.samples("commsbot_time_to_first_update_seconds")
    # Declared 3:16 PM, first public update 3:19 PM.
    assert first[("commsbot_time_to_first_update_seconds_count", None)] == 1
    assert first[("commsbot_time_to_first_update_seconds_sum", None)] == 180
    assert first[("commsbot_time_to_first_update_seconds_bucket", "120.0")] == 0
    assert first[("commsbot_time_to_first_update_seconds_bucket", "300.0")] == 1

    approval = served.samples("commsbot_approval_latency_seconds")
    # Drafted → approved: 3, 5, 3 and 2 minutes; the RCA is left out.
    assert approval[("commsbot_approval_latency_seconds_count", None)] == 4
    assert approval[("commsbot_approval_latency_seconds_sum", None)] == 13 * 60

    late = served.samples("commsbot_update_lateness_seconds")
    # Promised 3:46 → came 3:57 … the fixing update came 78 min after its promise; one kept.
    assert late[("commsbot_update_lateness_seconds_count", None)] == 3
    assert late[("commsbot_update_lateness_seconds_bucket", "0.0")] == 1
    kept = served.samples("commsbot_promises_kept")
    broken = served.samples("commsbot_promises_broken")
    assert kept[("commsbot_promises_kept_total", None)] == 1
    assert broken[("commsbot_promises_broken_total", None)] == 2

    recover = served.samples("commsbot_time_to_recover_seconds")
    # 3:16 PM → 7:38 PM.
    assert recover[("commsbot_time_to_recover_seconds_sum", None)] == 262 * 60
    assert served.samples("commsbot_rca_on_time")[("commsbot_rca_on_time_total", None)] == 1
    assert served.samples("commsbot_rca_late")[("commsbot_rca_late_total", None)] == 0
    # Every severity is there (bounded labels), the others empty.
    sev4 = served.samples("commsbot_time_to_first_update_seconds", "sev4")
    assert sev4[("commsbot_time_to_first_update_seconds_count", None)] == 0


def test_figures_are_kept_between_scrapes_and_recomputed_when_an_update_is_published(
    served: Served,
) -> None:
    served.scrape()
    served.scrape()
    assert served.ctx.comms.computations == 1

    served.clock.current = pst(9, 0, day=16)
    made = declare(served.app.deps, title="Checkout failing", severity=Severity.SEV2,
                   components={"API": None}, actor=MAYA)  # fmt: skip
    served.clock.current = pst(9, 10, day=16)
    approve_draft(served.app.deps, draft_id=made.draft.id, actor=Actor("sam"))

    sev2 = served.samples("commsbot_time_to_first_update_seconds", "sev2")
    assert served.ctx.comms.computations == 2
    assert sev2[("commsbot_time_to_first_update_seconds_count", None)] == 1
    assert sev2[("commsbot_time_to_first_update_seconds_sum", None)] == 600


def test_promtool_accepts_the_comms_figures(served: Served) -> None:
    promtool = binary("promtool", package="prometheus", purpose="lint /metrics with promtool")
    body: Any = served.scrape().encode()

    checked = subprocess.run(
        [promtool, "check", "metrics"], input=body, capture_output=True, timeout=60
    )

    assert checked.returncode == 0, checked.stderr.decode() + checked.stdout.decode()
    assert checked.stdout.decode().strip() == "", checked.stdout.decode()
