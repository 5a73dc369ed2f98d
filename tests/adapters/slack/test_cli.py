"""``commsbot slack manifest`` and ``commsbot slack check`` against the fake Slack."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from typer.testing import CliRunner

from commsbot.cli.main import app
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.scenario import TOKEN

CONFIG = """
[approval]
approvers = ["slack-group:S0COMMS"]

[[destinations]]
name = "slack-status"
type = "slack"
channel = "C0STATUS"

[[notifiers]]
name = "slack-approvals"
type = "slack"
channel = "C0MISSING"
"""


def test_manifest_prints_the_app_to_install() -> None:
    result = CliRunner().invoke(app, ["slack", "manifest"])
    assert result.exit_code == 0
    assert "command: /incident" in result.output
    assert "chat:write" in result.output


async def test_check_says_what_works_and_what_to_fix(tmp_path: Path) -> None:
    slack = await FakeSlack().start()
    slack.usergroups = {"S0COMMS": ["U0SAM", "U0KIM"]}
    config = tmp_path / "commsbot.toml"
    config.write_text(CONFIG, encoding="utf-8")
    env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_APP_TOKEN": "xapp-1", "SLACK_API_URL": slack.api_url}
    try:
        result = await asyncio.to_thread(
            CliRunner().invoke, app, ["slack", "check", "--config", str(config), "--json"], env=env
        )
    finally:
        await slack.stop()
    assert result.exit_code == 1, result.output
    checks = {c["check"]: c for c in json.loads(result.output)["checks"]}
    assert checks["SLACK_BOT_TOKEN"]["ok"]
    assert "commsbot in Acme" in checks["SLACK_BOT_TOKEN"]["detail"]
    assert checks["destination 'slack-status' channel C0STATUS"]["ok"]
    missing = checks["notifier 'slack-approvals' channel C0MISSING"]
    assert not missing["ok"]
    assert "channel_not_found" in missing["detail"]
    assert "invited" in missing["detail"]
    assert checks["user group S0COMMS"]["detail"] == "2 members"
