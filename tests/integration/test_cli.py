"""The CLI end to end, as a person or a script runs it, on real SQLite: in process (Typer's
CliRunner), and in a real process where the entry point and exit codes are what is tested."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from commsbot.cli.main import app
from commsbot.templates import format_moment


class Cli:
    """The ``commsbot`` command, run in this process by Typer's CliRunner, in ``folder`` and
    with ``env`` as its environment: what a person sees (exit code, stdout, stderr) without
    starting a Python process per command. :class:`ProcessCli` runs the real process."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("COMMSBOT_")}
        self.env["COMMSBOT_DATABASE_URL"] = f"sqlite:///{folder / 'cli.db'}"

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        proc = self._run(list(args))
        if ok:
            assert proc.returncode == 0, proc.stderr
        return proc

    def _run(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        # CliRunner sets and unsets variables for the call only: make os.environ equal env.
        changed: dict[str, str | None] = {k: None for k in os.environ if k not in self.env}
        changed.update({k: v for k, v in self.env.items() if os.environ.get(k) != v})
        with contextlib.chdir(self.folder):
            result = CliRunner().invoke(app, args, env=changed, catch_exceptions=False)
        return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)


class ProcessCli(Cli):
    """``python -m commsbot`` in a real process: the entry point and its exit codes."""

    def _run(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "commsbot", *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


@pytest.fixture
def process_cli(tmp_path: Path) -> Cli:
    return ProcessCli(tmp_path)


def test_declare_approve_and_show_through_the_cli(process_cli: Cli) -> None:
    cli = process_cli
    declared = cli.json(
        "incident",
        "declare",
        "ChatGPT, API and Sora unavailable",
        "--severity",
        "sev1",
        "-c",
        "ChatGPT",
        "-c",
        "API",
        "-c",
        "Sora=partial_outage",
        "--as",
        "maya",
    )
    assert declared["incident"]["status"] == "investigating"
    assert declared["incident"]["components"] == {
        "ChatGPT": "operational",
        "API": "operational",
        "Sora": "operational",
    }
    assert declared["draft"]["status"] == "investigating"
    assert declared["draft"]["body"].startswith(
        "We're investigating an issue affecting ChatGPT, API and Sora."
    )
    draft_id = declared["draft"]["id"]

    refused = cli.run("update", "approve", draft_id, "--as", "maya", "--json", ok=False)
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: maya may not approve draft")
    assert "someone else must read and approve" in refused.stderr
    assert json.loads(refused.stdout)["error"]["code"] == "not_allowed"

    approved = cli.json("update", "approve", draft_id, "--as", "sam")
    assert approved["incident"]["components"] == {
        "ChatGPT": "major_outage",
        "API": "major_outage",
        "Sora": "partial_outage",
    }
    assert approved["update"]["status"] == "investigating"
    assert approved["update"]["body"] == declared["draft"]["body"]

    shown = cli.json("incident", "show", "INC-1")
    assert [u["id"] for u in shown["updates"]] == [approved["update"]["id"]]
    assert [e["action"] for e in shown["timeline"]] == ["declared", "drafted", "published"]

    text = cli.run("incident", "show", "1").stdout
    assert "INC-1" in text
    assert "Published updates:" in text


def test_an_editor_cannot_approve_their_own_edit_through_the_cli(cli: Cli) -> None:
    declared = cli.json("incident", "declare", "Slow API", "-c", "API", "--as", "maya")
    draft_id = declared["draft"]["id"]
    edited = cli.json(
        "update", "edit", draft_id, "--body", "Sam's words.", "--as", "sam", "--version", "1"
    )

    refused = cli.run("update", "approve", draft_id, "--as", "sam", "--json", ok=False)
    assert refused.returncode == 1
    assert "sam may not approve draft" in refused.stderr
    assert "made its last change" in refused.stderr
    assert json.loads(refused.stdout)["error"]["code"] == "not_allowed"
    assert cli.json("incident", "show", "INC-1")["updates"] == []
    assert edited["draft"]["authors"] == ["maya", "sam"]
    assert edited["draft"]["last_editor"] == "sam"

    approved = cli.json("update", "approve", draft_id, "--as", "maya")
    update = approved["update"]
    assert (update["author"], update["authors"], update["approver"]) == (
        "maya",
        ["maya", "sam"],
        "maya",
    )
    [published] = [
        e for e in cli.json("incident", "show", "INC-1")["timeline"] if e["action"] == "published"
    ]
    assert "written by maya, sam, approved by maya" in published["detail"]


def test_next_update_is_stated_in_the_text_and_kept_by_the_update(cli: Cli) -> None:
    declared = cli.json(
        "incident", "declare", "Slow API", "-c", "API", "--next-update", "45m", "--as", "maya"
    )
    draft = declared["draft"]
    promised = draft["next_update_by"]
    assert draft["body_source"].endswith("{next_update_by}.")
    assert "{next_update_by}" not in draft["body"]
    approved = cli.json("update", "approve", draft["id"], "--as", "sam")
    assert approved["update"]["next_update_by"] == promised
    [due] = [
        r for r in cli.json("reminder", "list", "INC-1")["reminders"] if r["kind"] == "update_due"
    ]
    assert due["due_at"] == promised

    bad = cli.run("update", "propose", "INC-1", "--next-update", "soon", "--as", "maya", ok=False)
    assert bad.returncode == 1
    assert "'soon' is not a next update time" in bad.stderr


def test_an_update_without_status_keeps_the_current_one_and_a_postmortem_is_recovered(
    cli: Cli,
) -> None:
    declared = cli.json("incident", "declare", "Slow API", "--as", "maya")
    cli.json("update", "approve", declared["draft"]["id"], "--as", "sam")

    progress = cli.json("update", "propose", "INC-1", "--body", "Still looking.", "--as", "maya")
    assert progress["draft"]["status"] == "investigating"

    recovery = cli.json("update", "propose", "INC-1", "--status", "recovered", "--as", "maya")
    cli.json("update", "approve", recovery["draft"]["id"], "--as", "sam")
    postmortem = cli.json("update", "propose", "INC-1", "--postmortem", "--as", "maya")
    assert (postmortem["draft"]["status"], postmortem["draft"]["postmortem"]) == (
        "recovered",
        True,
    )
    missing = cli.run("update", "propose", "INC-9", "--as", "maya", "--json", ok=False)
    assert json.loads(missing.stdout)["error"]["code"] == "not_found"


def test_refusals_change_nothing_and_say_what_is_allowed(cli: Cli) -> None:
    declared = cli.json("incident", "declare", "Slow API", "-c", "API", "--as", "maya")
    incident = declared["incident"]["ref"]
    before = cli.json("incident", "show", incident)

    bad_status = cli.run(
        "update", "propose", incident, "--status", "fixed", "--as", "maya", ok=False
    )
    assert bad_status.returncode == 1
    assert (
        "unknown status 'fixed'; choose one of: investigating, identified, fixing, recovered"
        in bad_status.stderr
    )

    bad_component = cli.run(
        "update",
        "propose",
        incident,
        "--status",
        "fixing",
        "-c",
        "API=kaput",
        "--as",
        "maya",
        ok=False,
    )
    assert "unknown status 'kaput'" in bad_component.stderr

    stale = cli.run(
        "update", "approve", declared["draft"]["id"], "--version", "7", "--as", "sam", ok=False
    )
    assert "cannot approve version 7" in stale.stderr

    missing = cli.run("incident", "show", "INC-99", "--json", ok=False)
    assert missing.returncode == 1
    assert json.loads(missing.stdout)["error"]["code"] == "not_found"

    assert cli.json("incident", "show", incident) == before


def test_bad_configuration_stops_with_key_value_and_choices(cli: Cli) -> None:
    (cli.folder / "commsbot.toml").write_text('timezone = "Moon/Base"\n', encoding="utf-8")
    proc = cli.run("incident", "list", ok=False)
    assert proc.returncode == 3
    assert "timezone = 'Moon/Base': unknown time zone" in proc.stderr


def test_db_upgrade_and_list(cli: Cli) -> None:
    upgraded = cli.json("db", "upgrade")
    assert upgraded["revision"]
    assert cli.json("incident", "list") == {"incidents": []}
    assert cli.run("incident", "list").stdout.strip() == "No incidents."


def test_demo_replays_the_outage(cli: Cli) -> None:
    out = cli.run("demo").stdout
    assert "We're investigating an issue affecting ChatGPT, API and Sora." in out
    assert "ChatGPT, API and Sora were down today but we've recovered." in out
    assert "someone else must read and approve" in out
    data = cli.json("demo")
    assert data["incident"]["incident"]["status"] == "recovered"
    assert [u["status"] for u in data["incident"]["updates"]] == [
        "investigating",
        "identified",
        "fixing",
        "recovered",
    ]
    assert data["incident"]["incident"]["components"] == {
        "ChatGPT": "operational",
        "API": "operational",
        "Sora": "operational",
    }
    # The demo's database is throwaway: only the postmortem it wrote is left.
    assert not (cli.folder / "commsbot.db").exists()
    assert data["postmortem"] == {
        kind: str((cli.folder / "commsbot-demo-postmortem" / f"INC-1-postmortem.{ext}").resolve())
        for kind, ext in (("markdown", "md"), ("html", "html"), ("chart", "svg"))
    }


def test_help_path_imports_no_database_or_platform_sdk(cli: Cli) -> None:
    code = (
        "import sys, runpy\n"
        "sys.argv = ['commsbot', '--help']\n"
        "try:\n"
        "    runpy.run_module('commsbot', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = {'sqlalchemy', 'sqlmodel', 'alembic', 'slack_bolt', 'slack_sdk', 'discord',\n"
        "         'apprise', 'fastapi', 'uvicorn', 'apscheduler', 'httpx'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy), file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=cli.env, timeout=60
    )
    assert "Usage: commsbot" in proc.stdout
    assert proc.stderr.strip().splitlines()[-1] == "[]"


def test_read_only_commands_check_the_schema_with_one_query_not_alembic(cli: Cli) -> None:
    cli.json("incident", "declare", "Slow API", "--as", "maya")  # creates the schema
    code = (
        "import sys\n"
        "from commsbot.cli.main import main\n"
        "sys.argv = ['commsbot', 'incident', 'list']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = {'alembic', 'fastapi', 'uvicorn', 'starlette', 'discord', 'slack_bolt',\n"
        "         'slack_sdk', 'apprise', 'apscheduler', 'jinja2'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy), file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=cli.env,
        cwd=cli.folder,
        timeout=60,
    )
    assert "INC-1" in proc.stdout, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "[]"


def test_a_read_only_command_on_an_older_database_migrates_it_first(cli: Cli) -> None:
    from commsbot.store.db import is_up_to_date, upgrade

    url = cli.env["COMMSBOT_DATABASE_URL"]
    upgrade(url, "0006_draft_authors")

    assert cli.json("incident", "list") == {"incidents": []}
    assert is_up_to_date(url)


def test_an_incident_is_edited_and_handed_off_from_the_cli(cli: Cli) -> None:
    (cli.folder / "commsbot.toml").write_text('[approval]\nresponders = ["maya", "sam"]\n')
    cli.env["COMMSBOT_CONFIG"] = str(cli.folder / "commsbot.toml")
    declared = cli.json("incident", "declare", "Slow API", "-c", "API", "--as", "maya")
    cli.json("update", "approve", declared["draft"]["id"], "--as", "sam")

    edited = cli.json(
        "incident", "edit", "INC-1", "--title", "API errors", "--severity", "sev1", "--as", "maya"
    )
    assert edited["changed"] == ["retitled", "severity"]
    assert (edited["incident"]["title"], edited["incident"]["severity"]) == ("API errors", "sev1")
    assert edited["incident"]["public_title"] == "Slow API"
    text = cli.run("incident", "handoff", "INC-1", "--to", "sam", "--as", "maya").stdout
    assert text.startswith("Changed INC-1 (handoff):")
    assert "The status page shows 'Slow API' until the next update is published." in text
    # The header names the commander as such: maya declared it, sam leads it now.
    header = cli.run("incident", "show", "INC-1").stdout.splitlines()[0]
    assert "(declared " in header
    assert header.endswith("; commander sam)"), header
    assert "by sam" not in header
    shown = cli.json("incident", "show", "INC-1")
    assert shown["incident"]["commander"] == "sam"
    assert [(e["actor"], e["action"], e["detail"]) for e in shown["timeline"][-3:]] == [
        (
            "maya",
            "retitled",
            "'Slow API' → 'API errors'; the status page shows 'Slow API' until the next "
            "update is published",
        ),
        ("maya", "severity", "sev2 → sev1"),
        ("maya", "handoff", "commander maya → sam"),
    ]

    refusals = [
        (("edit", "INC-1", "--severity", "sev5", "--as", "maya"), "unknown severity 'sev5'"),
        (("edit", "INC-1", "--severity", "sev1", "--as", "maya"), "nothing to change"),
        (("edit", "INC-1", "--as", "maya"), "nothing to change; give a new title"),
        (("handoff", "INC-1", "--to", "alex", "--as", "alex"), "alex may not edit an incident"),
    ]
    for args, message in refusals:
        refused = cli.run("incident", *args, "--json", ok=False)
        assert refused.returncode == 1, args
        assert message in refused.stderr, refused.stderr
        assert json.loads(refused.stdout)["error"]["code"] in {
            "invalid_input",
            "not_allowed",
            "guard_failed",  # the incident already has it
        }
    assert cli.json("incident", "show", "INC-1") == shown


@pytest.mark.parametrize("version", ["-1", "0"])
def test_a_version_below_one_gets_a_message_about_the_version(cli: Cli, version: str) -> None:
    draft = cli.json("incident", "declare", "Slow API", "-c", "API", "--as", "maya")["draft"]["id"]

    edited = cli.run(
        "update", "edit", draft, "--body", "x", "--version", version, "--as", "maya", ok=False
    )
    approved = cli.run("update", "approve", draft, "--version", version, "--as", "sam", ok=False)

    for proc in (edited, approved):
        assert proc.returncode == 1, proc.stderr
        assert "version must be 1 or more" in proc.stderr, proc.stderr
        assert "edit" not in proc.stderr.split("version must be 1 or more")[0], proc.stderr


def test_a_json_refusal_names_its_field_as_the_api_does(cli: Cli) -> None:
    draft = cli.json("incident", "declare", "Slow API", "-c", "API", "--as", "maya")["draft"]["id"]

    refused = cli.run(
        "update", "approve", draft, "--version", "0", "--as", "sam", "--json", ok=False
    )
    missing = cli.run("incident", "show", "INC-99", "--json", ok=False)

    assert refused.returncode == 1
    assert json.loads(refused.stdout)["error"] == {
        "code": "invalid_input",
        "message": "version must be 1 or more (a draft's versions count from 1); 0 was given",
        "field": "version",
    }
    # A refusal about no one input says so, as the API's refusals do.
    assert json.loads(missing.stdout)["error"]["field"] is None


def test_a_broken_wording_template_is_a_configuration_problem_found_before_an_outage(
    cli: Cli,
) -> None:
    folder = cli.folder / "tpl"
    folder.mkdir()
    (folder / "investigating.md.j2").write_text("Broken {{ title ", encoding="utf-8")
    (folder / "identified.md.j2").write_text("{{ title | nosuchfilter }}", encoding="utf-8")
    (folder / "fixing.md.j2").write_text("{{ no_such_thing }}", encoding="utf-8")
    (folder / "recovered.md.j2").write_text("{{ components | human_list }} ok.", encoding="utf-8")
    (cli.folder / "commsbot.toml").write_text('templates_dir = "tpl"\n', encoding="utf-8")

    checked = cli.run("config", "check", ok=False)
    declared = cli.run("incident", "declare", "x", "--as", "maya", "--json", ok=False)

    assert checked.returncode == 3, checked.stdout
    for name in ("investigating.md.j2", "identified.md.j2", "fixing.md.j2"):
        assert f"tpl/{name}: template {name} cannot be rendered" in checked.stderr
    assert "recovered.md.j2" not in checked.stderr
    assert "fix the template, or remove it to use the built-in wording" in checked.stderr
    assert declared.returncode == 3
    error = json.loads(declared.stdout)["error"]
    assert error["code"] == "config_error"
    assert "investigating.md.j2" in error["message"]


def test_incident_show_labels_updates_in_the_cli_words_and_dates_a_later_promise(
    cli: Cli,
) -> None:
    declared = cli.json("incident", "declare", "Slow API", "-c", "API", "--as", "maya")
    cli.json("update", "approve", declared["draft"]["id"], "--as", "sam")
    fixing = cli.json(
        "update", "propose", "INC-1", "--status", "fixing", "--next-update", "2d", "--as", "maya"
    )
    cli.json("update", "approve", fixing["draft"]["id"], "--as", "sam")

    text = cli.run("incident", "show", "INC-1").stdout

    # "fixing" as typed with --status, not the status page's "monitoring".
    assert "update #2 [fixing]" in text, text
    assert "[monitoring]" not in text
    # Two days out: the time alone would read as today's.
    promised = datetime.fromisoformat(fixing["draft"]["next_update_by"])
    assert f"next update by {format_moment(promised, ZoneInfo('UTC'))}" in text, text
