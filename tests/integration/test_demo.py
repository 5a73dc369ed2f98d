"""``commsbot demo``: the promise each update states is the one it records and the one the team
is reminded of; and four eyes on the final text, shown."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from commsbot.cli.main import app
from commsbot.demo import replay
from commsbot.templates import format_time
from tests.postmortem.parse import SVG, md_table, unescape_cell

LA = ZoneInfo("America/Los_Angeles")
STATED = re.compile(r"update by (\d{1,2}:\d{2} [AP]M P[SD]T)")


@pytest.fixture(autouse=True)
def _elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the demo writes its postmortem into the working folder


def run_demo() -> dict[str, Any]:
    out = io.StringIO()
    replay(as_json=True, out=out, postmortem_dir=Path("pm"))
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def test_each_published_promise_is_stated_recorded_and_reminded_at_the_same_time() -> None:
    steps = run_demo()["steps"]
    published = [s for s in steps if s["step"] == "published"]
    assert len(published) == 4
    for step in published[:3]:  # investigating, identified, fixing
        update = step["update"]
        [stated] = STATED.findall(update["body"])
        recorded = datetime.fromisoformat(update["next_update_by"])
        assert stated == format_time(recorded, LA), update["body"]
        assert step["update_due_reminders"] == [update["next_update_by"]]
    recovered = published[3]["update"]
    assert recovered["next_update_by"] is None
    assert published[3]["update_due_reminders"] == []


def test_the_acknowledgment_drafted_is_the_promise_published_and_reminded() -> None:
    steps = run_demo()["steps"]
    ack = next(s for s in steps if s["step"] == "declared")["draft"]
    first = next(s for s in steps if s["step"] == "published")
    [stated] = STATED.findall(ack["body"])
    assert stated == "3:46 PM PST"  # declared at 3:16 PM, sev1: 30 minutes
    assert first["update"]["body"] == ack["body"]
    assert first["update"]["next_update_by"] == ack["next_update_by"]
    assert format_time(datetime.fromisoformat(ack["next_update_by"]), LA) == stated
    assert first["update_due_reminders"] == [ack["next_update_by"]]


def test_the_demo_shows_an_editor_refused_and_the_author_approving_the_edit() -> None:
    steps = run_demo()["steps"]
    refusals = [s["refused"] for s in steps if "refused" in s]
    assert any("Sam (comms lead) may not approve draft" in r for r in refusals)
    identified = [s for s in steps if s["step"] == "published"][1]["update"]
    assert identified["authors"] == ["maya", "sam"]
    assert identified["approver"] == "maya"
    assert "Next update by 4:25 PM PST." in identified["body"]


def test_the_demo_ends_by_writing_the_postmortem_and_its_chart(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo"], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    folder = (tmp_path / "commsbot-demo-postmortem").resolve()
    assert sorted(p.name for p in folder.iterdir()) == [
        "INC-1-postmortem.html", "INC-1-postmortem.md", "INC-1-postmortem.svg",
    ]  # fmt: skip
    assert result.output.rstrip().endswith(
        f"  {folder / 'INC-1-postmortem.md'}\n  {folder / 'INC-1-postmortem.svg'}\n"
        f"  {folder / 'INC-1-postmortem.html'}"
    )
    md = (folder / "INC-1-postmortem.md").read_text(encoding="utf-8")
    table = md_table(md, "Summary")
    summary = {unescape_cell(r[0]): unescape_cell(r[1]) for r in table.rows}
    # Recovered at 7:38 PM PST, as the story is told; 4 h 22 min after it was declared.
    assert (summary["Declared"], summary["Recovered"]) == ("3:16 PM PST", "7:38 PM PST")
    assert summary["Duration"] == "4 h 22 min"
    updates = md_table(md, "Timeline of public updates")
    assert len(updates.rows) == 4
    recovery = dict(zip(updates.header, map(unescape_cell, updates.rows[3]), strict=True))
    assert recovery["Time"] == "7:38 PM PST"
    assert "from 3:16 PM PST to 7:38 PM PST" in recovery["Update"]
    chart = ET.fromstring((folder / "INC-1-postmortem.svg").read_text(encoding="utf-8"))
    assert chart.tag == f"{SVG}svg"


def test_the_demo_refuses_a_folder_it_cannot_write(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("mine", encoding="utf-8")

    result = CliRunner().invoke(app, ["demo", "--out", "a-file/pm"], catch_exceptions=False)

    assert result.exit_code == 1
    assert "error: cannot write to a-file/pm: " in result.stderr
    assert (tmp_path / "a-file").read_text(encoding="utf-8") == "mine"
