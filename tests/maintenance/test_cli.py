"""``commsbot maintenance …`` as a person or a script runs it: real process, real SQLite."""

from __future__ import annotations

import json
from pathlib import Path

import icalendar

from tests.integration.test_cli import Cli

CONFIG = """
timezone = "America/Los_Angeles"
[page]
name = "Acme Status"
url = "https://status.acme.example"
[[components]]
name = "API"
[[components]]
name = "Web"
"""


def _cli(tmp_path: Path) -> Cli:
    (tmp_path / "commsbot.toml").write_text(CONFIG)
    cli = Cli(tmp_path)
    cli.env["COMMSBOT_CONFIG"] = str(tmp_path / "commsbot.toml")
    return cli


def test_schedule_approve_with_the_one_approval_command_and_export(tmp_path: Path) -> None:
    cli = _cli(tmp_path)
    made = cli.json(
        "maintenance", "schedule", "--title", "Database upgrade", "--start", "2h",
        "--end", "90m", "-c", "API", "--as", "maya",
    )  # fmt: skip
    assert made["maintenance"]["ref"] == "MNT-1"
    assert made["maintenance"]["announced"] is False
    draft = made["draft"]["id"]

    refused = cli.run("update", "approve", draft, "--as", "maya", "--json", ok=False)
    assert refused.returncode == 1
    assert "someone else must read and approve" in refused.stderr

    approved = cli.run("update", "approve", draft, "--as", "sam")
    assert approved.stdout.startswith("Published: MNT-1")
    listed = cli.json("maintenance", "list")
    assert [m["status"] for m in listed["maintenances"]] == ["scheduled"]
    assert listed["maintenances"][0]["announced"] is True

    shown = cli.run("maintenance", "show", "MNT-1").stdout
    assert "notice #1 [scheduled] announce" in shown
    assert "approved by sam" in shown
    assert "the bot starts it: yes, completes it: yes" in shown

    out = tmp_path / "site"
    cli.run("statuspage", "export", str(out))
    upcoming = json.loads((out / "api/v2/scheduled-maintenances/upcoming.json").read_text())
    assert [m["name"] for m in upcoming["scheduled_maintenances"]] == ["Database upgrade"]
    [event] = icalendar.Calendar.from_ical((out / "maintenance.ics").read_bytes()).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Database upgrade"
    page_id = upcoming["scheduled_maintenances"][0]["id"]
    assert (out / "incidents" / page_id / "index.html").exists()


def test_bad_input_is_refused_with_its_field(tmp_path: Path) -> None:
    cli = _cli(tmp_path)
    refused = cli.run(
        "maintenance", "schedule", "--title", "Upgrade", "--start", "tomorrow 22:00",
        "--end", "2h", "-c", "Nope", "--as", "maya", "--json", ok=False,
    )  # fmt: skip
    assert refused.returncode == 1
    error = json.loads(refused.stdout)["error"]
    assert error["field"] == "components"
    assert "Nope" in error["message"]
    assert cli.json("maintenance", "list", "--all") == {"maintenances": []}
