"""`commsbot config check` as a person runs it: a real process in a folder with its own
commsbot.toml and .env; nothing started, no database touched, no secret printed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from commsbot.cli.main import app

SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-1111-2222-topsecretbot",
    "SLACK_APP_TOKEN": "xapp-1-A111-topsecretapp",
    "COMMSBOT_WEBHOOK_SECRET": "whsec-topsecret-hmac",
}
WEBHOOK = """
[[destinations]]
name = "status-webhook"
type = "webhook"
url = "https://hooks.example.com/commsbot"
secret_env = "COMMSBOT_WEBHOOK_SECRET"
"""


class Folder:
    def __init__(self, path: Path) -> None:
        self.path = path
        # Nothing from the developer's own environment leaks in.
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("COMMSBOT_", "SLACK_", "DISCORD_"))
        }

    def write(self, name: str, text: str) -> None:
        (self.path / name).write_text(text, encoding="utf-8")

    def process(self, *args: str, code: int) -> subprocess.CompletedProcess[str]:
        """``commsbot config check`` in a process of its own."""
        proc = subprocess.run(
            [sys.executable, "-m", "commsbot", "config", "check", *args],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == code, proc.stdout + proc.stderr
        return proc

    def check(self, *args: str, code: int) -> Any:
        """The same command in this process (a process per call costs seconds), with this
        folder as the working folder and ``env`` as the whole environment, both restored after:
        the command loads .env into os.environ as `commsbot run` does."""
        saved, cwd = dict(os.environ), os.getcwd()
        try:
            os.environ.clear()
            os.environ.update(self.env)
            os.chdir(self.path)
            result = CliRunner().invoke(app, ["config", "check", *args])
        finally:
            os.environ.clear()
            os.environ.update(saved)
            os.chdir(cwd)
        assert result.exit_code == code, result.output
        return result

    def report(self, code: int) -> Any:
        return json.loads(self.check("--json", code=code).stdout)


@pytest.fixture
def folder(tmp_path: Path) -> Folder:
    return Folder(tmp_path)


def test_defaults_are_usable_and_nothing_is_started(folder: Folder) -> None:
    out = folder.process(code=0).stdout
    assert "Configuration file: none (built-in defaults)" in out
    assert 'http.host = "127.0.0.1"' in out
    assert 'destinations[0].type = "console"' in out
    assert "OK: `commsbot run` can start" in out
    assert list(folder.path.iterdir()) == []  # no database file was created


def test_a_variable_the_file_names_must_be_set(folder: Folder) -> None:
    folder.write("commsbot.toml", WEBHOOK)
    proc = folder.check(code=3)
    assert (
        "destination 'status-webhook' (type webhook): secret_env = 'COMMSBOT_WEBHOOK_SECRET': "
        "the environment variable COMMSBOT_WEBHOOK_SECRET is not set"
    ) in proc.stderr
    report = json.loads(folder.check("--json", code=3).stdout)
    assert report["ok"] is False
    assert report["error"]["code"] == "config_error"
    assert report["environment"]["COMMSBOT_WEBHOOK_SECRET"] == {
        "set": False,
        "secret": True,
        "value": None,
        "used_by": ["destination 'status-webhook' (type webhook) secret_env"],
    }

    folder.write(".env", f"COMMSBOT_WEBHOOK_SECRET={SECRETS['COMMSBOT_WEBHOOK_SECRET']}\n")
    report = folder.report(code=0)
    assert report["env_file"] == str(folder.path / ".env")
    assert report["environment"]["COMMSBOT_WEBHOOK_SECRET"]["set"] is True
    assert report["settings"]["destinations"][0]["secret_env"] == "COMMSBOT_WEBHOOK_SECRET"


def test_slack_needs_its_tokens_and_they_are_never_printed(folder: Folder) -> None:
    folder.write("commsbot.toml", '[slack]\nmode = "socket"\n' + WEBHOOK)
    proc = folder.check(code=3)
    assert "[slack] mode = 'socket' needs SLACK_BOT_TOKEN, SLACK_APP_TOKEN" in proc.stderr

    folder.write(".env", "".join(f"{k}={v}\n" for k, v in SECRETS.items()))
    text = folder.check(code=0).stdout
    report_text = folder.check("--json", code=0).stdout
    for secret in SECRETS.values():
        assert secret not in text
        assert secret not in report_text
    report = json.loads(report_text)
    assert report["platforms"]["slack"]["starts"] is True
    assert report["environment"]["SLACK_APP_TOKEN"]["used_by"] == ["[slack] socket mode"]
    # The column is as wide as the longest variable name.
    assert re.search(r"SLACK_BOT_TOKEN +set \(hidden\)  ← \[slack\] socket mode\n", text)

    # HTTP mode needs the signing secret instead, and the HTTP server.
    folder.write("commsbot.toml", '[slack]\nmode = "http"\n[http]\nenabled = false\n')
    errors = folder.check(code=3).stderr
    assert "needs SLACK_SIGNING_SECRET" in errors
    assert '[slack] mode = "http" needs the HTTP server' in errors


def test_discord_configured_without_a_token(folder: Folder) -> None:
    folder.write("commsbot.toml", "[discord]\nguild_ids = [1180000000000000001]\n")
    assert "[discord] is configured but DISCORD_BOT_TOKEN is not set" in folder.check(code=3).stderr
    folder.env["DISCORD_BOT_TOKEN"] = "discord-topsecret-token"
    folder.env["DISCORD_APPLICATION_ID"] = "12"
    assert "DISCORD_APPLICATION_ID '12' is not a Discord id" in folder.check(code=3).stderr
    folder.env["DISCORD_APPLICATION_ID"] = "1180000000000000000"
    report = folder.report(code=0)
    assert report["platforms"]["discord"]["starts"] is True
    assert report["environment"]["DISCORD_APPLICATION_ID"]["value"] == "1180000000000000000"
    assert "discord-topsecret-token" not in json.dumps(report)


def test_bad_values_and_bad_database_urls_exit_3(folder: Folder) -> None:
    folder.write("commsbot.toml", "[severities.sev1]\ncadence_minutes = 'soon'\n")
    assert "severities.sev1.cadence_minutes = 'soon'" in folder.check(code=3).stderr
    folder.write("commsbot.toml", "")
    folder.env["COMMSBOT_DATABASE_URL"] = "mysql://root:hunter2@db/commsbot"
    errors = folder.check(code=3).stderr
    assert "database 'mysql' is not supported" in errors
    assert "hunter2" not in errors


def test_the_database_password_is_hidden(folder: Folder) -> None:
    folder.env["COMMSBOT_DATABASE_URL"] = "postgresql://commsbot:hunter2@db.example.com/commsbot"
    folder.env["COMMSBOT_HTTP_HOST"] = "0.0.0.0"
    report = folder.report(code=0)  # nothing connects: db.example.com is never asked
    assert report["settings"]["database_url"] == "postgresql://commsbot:***@db.example.com/commsbot"
    assert report["environment"]["COMMSBOT_DATABASE_URL"]["value"] == (
        "postgresql://commsbot:***@db.example.com/commsbot"
    )
    assert report["settings"]["http"]["host"] == "0.0.0.0"
    assert "hunter2" not in json.dumps(report)


def test_init_then_check_as_a_new_user_would(folder: Folder) -> None:
    init = CliRunner().invoke(app, ["init", "--slack", "--dir", str(folder.path)])
    assert init.exit_code == 0, init.output
    assert "needs SLACK_BOT_TOKEN, SLACK_APP_TOKEN" in folder.process(code=3).stderr
    env = (folder.path / ".env").read_text(encoding="utf-8")
    env = env.replace("SLACK_BOT_TOKEN=\n", f"SLACK_BOT_TOKEN={SECRETS['SLACK_BOT_TOKEN']}\n")
    env = env.replace("SLACK_APP_TOKEN=\n", f"SLACK_APP_TOKEN={SECRETS['SLACK_APP_TOKEN']}\n")
    (folder.path / ".env").write_text(env, encoding="utf-8")
    report = folder.report(code=0)
    assert report["config_file"] == str(folder.path / "commsbot.toml")
    assert report["platforms"]["slack"]["starts"] is True
