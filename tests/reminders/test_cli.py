"""``commsbot reminder …`` and ``commsbot followup …`` as a person or a script runs them
(in process: see tests/integration/test_cli.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.integration.test_cli import Cli as BaseCli


class Cli(BaseCli):
    """In process, like tests/integration/test_cli.py; ``code`` is the exit code expected."""

    def run(self, *args: str, code: int = 0, ok: bool = True) -> subprocess.CompletedProcess[str]:
        proc = super().run(*args, ok=False)
        assert proc.returncode == code, proc.stderr
        return proc


def test_reminders_and_follow_ups_through_the_cli(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    declared = cli.json("incident", "declare", "API errors", "-s", "sev2", "--as", "maya")
    cli.json("update", "approve", declared["draft"]["id"], "--as", "sam")

    listed = cli.json("reminder", "list", "INC-1")["reminders"]
    assert [(r["kind"], r["state"], r["audience"]) for r in listed] == [
        ("update_due", "pending", ["maya"]),
        ("update_overdue", "pending", ["maya"]),
    ]
    due, overdue = listed[0]["id"], listed[1]["id"]

    snoozed = cli.json("reminder", "snooze", due, "--for", "1h30m", "--as", "maya")
    assert snoozed["snoozed_by"] == "maya"
    assert snoozed["due_at"] == snoozed["snoozed_until"]
    refused = cli.run("reminder", "snooze", due, "--for", "soon", "--as", "maya", code=1)
    assert refused.stderr.startswith("error: 'soon' is not a duration; write it like 30m")

    cancelled = cli.run("reminder", "cancel", overdue, "--reason", "on it", "--as", "sam")
    assert cancelled.stdout.startswith(f"Cancelled {overdue}  INC-1")
    again = cli.run("reminder", "cancel", overdue, "--as", "sam", "--json", code=1)
    assert json.loads(again.stdout)["error"]["code"] == "already_decided"
    assert [r["id"] for r in cli.json("reminder", "list")["reminders"]] == [due]
    assert len(cli.json("reminder", "list", "--all")["reminders"]) == 3  # + the approval nudge

    added = cli.json(
        "followup", "add", "INC-1", "Add a control-plane load test",
        "--owner", "priya", "--due", "2099-01-05", "--as", "maya",
    )  # fmt: skip
    assert added["due_at"] == "2099-01-05T09:00:00.000Z"  # start of business, UTC by default
    human = cli.run("followup", "list").stdout
    assert f"{added['id']}  INC-1" in human
    assert "for priya: Add a control-plane load test" in human
    done = cli.json("followup", "done", added["id"], "--as", "priya")
    assert (done["state"], done["closed_by"]) == ("done", "priya")
    assert cli.run("followup", "list").stdout.strip() == "No follow-ups."
    bad = cli.run("followup", "add", "INC-1", "x", "--owner", "priya", "--due", "soon", code=1)
    assert "is not a due date" in bad.stderr

    timeline = cli.json("incident", "show", "INC-1")["timeline"]
    actions = [e["action"] for e in timeline]
    for action in ("snoozed", "reminder cancelled", "follow-up", "follow-up done"):
        assert action in actions
