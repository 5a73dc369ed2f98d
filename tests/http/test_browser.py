"""The HTML page in a real browser (headless Chromium): what a visitor sees, without JavaScript.

Needs Debian's ``chromium`` (``.ci/run`` installs it). Without a browser the test is skipped,
saying so; under CI (``CI`` set) a missing browser fails instead.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest

from commsbot.http.context import HttpContext
from tests.http.conftest import StackContext, make_context
from tests.http.live import live_server
from tests.statuspage import scenario
from tests.unit.fakes import FakeClock

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")


def browser() -> str:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    reason = "no headless browser found (install Debian's chromium: apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {reason}", pytrace=False)
    pytest.skip(reason)


def browser_command(profile: Path, *extra: str) -> list[str]:
    """Headless Chromium with a throw-away profile, talking to nothing but the test."""
    return [
        browser(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        *extra,
    ]


def run_browser(url: str, profile: Path, *extra: str) -> str:
    command = [*browser_command(profile, *extra), url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def visible_text(dom: str) -> str:
    body = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", dom, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


@pytest.fixture
def site(database_url: str) -> Iterator[tuple[StackContext, scenario.Built]]:
    settings = scenario.settings(http={"port": 0})
    clock = FakeClock(scenario.START)
    ctx = make_context(database_url, settings, clock)
    built = scenario.build(ctx.deps, clock)
    yield ctx, built
    ctx.engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_visitor_sees_the_outage_its_updates_and_the_components(
    site: tuple[HttpContext, scenario.Built], database_url: str, tmp_path: Path
) -> None:
    ctx, built = site
    with live_server(ctx, database_url) as base:
        front = run_browser(base + "/", tmp_path / "p1", "--dump-dom")
        incident = run_browser(
            f"{base}/incidents/{built.resolved_id}", tmp_path / "p2", "--dump-dom"
        )
        shot = tmp_path / "phone.png"
        run_browser(base + "/", tmp_path / "p3", f"--screenshot={shot}", "--window-size=390,1400")

    text = visible_text(front)
    assert "Acme Status" in text
    assert "Major Service Outage" in text
    assert "ChatGPT, API and Sora unavailable" in text
    assert "Identified - We found the cause." in text
    assert "Investigating - We're investigating an issue affecting ChatGPT, API and Sora." in text
    assert "ChatGPT Major outage" in text
    assert "Sora Partial outage" in text
    assert "Playground Operational" in text
    assert "Playground errors" in text  # among past incidents
    for secret in (scenario.SECRET_NOTE, scenario.SECRET_DRAFT, scenario.REJECTED, "sam-approver"):
        assert secret not in text
    assert "<script" not in front
    # 90 bars per component and per group (ChatGPT, Platform, API, Sora, Playground).
    assert front.count('class="major_outage" title="Dec 11, 2024: Major outage"') == 3
    assert len(re.findall(r'<span class="[a-z_]+" title="', front)) == 5 * 90

    page = visible_text(incident)
    assert page.index("Postmortem - Root cause") < page.index("Resolved - The Playground")
    assert "Update - Still looking." in page

    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 10_000
