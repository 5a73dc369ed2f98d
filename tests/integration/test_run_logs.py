"""A whole ``commsbot run`` with every kind of secret configured never writes one out.

The bot runs as a user runs it (a subprocess, ``commsbot.toml`` + environment) with Slack
(Socket Mode) and Discord pointed at their loopback fakes, a signed webhook, a webhook whose URL
carries a token, an Apprise URL with a password, the database URL with a password (PostgreSQL),
and API tokens made with ``commsbot token create``. An incident is declared and approved
through the API, and delivered everywhere; along the way a request comes with a wrong token and
another with a token in its query string. Then every byte the process wrote (standard output
and error, in the text and the JSON format, at debug level with the access log on) is searched
for every secret value.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests.adapters.discord.fake_discord import TEXT_CHANNEL, FakeDiscord
from tests.adapters.slack.fake_slack import FakeSlack
from tests.delivery.loopback import LoopbackServer

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _Fakes:
    """FakeSlack and FakeDiscord on an event loop of their own, in a thread."""

    def __init__(self, discord_token: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.slack = FakeSlack()
        self.discord = FakeDiscord(token=discord_token)
        self._run(self.slack.start())
        self.discord_url = self._run(self.discord.start())

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def close(self) -> None:
        self._run(self.slack.stop())
        self._run(self.discord.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def fakes() -> Iterator[tuple[_Fakes, LoopbackServer, dict[str, str]]]:
    discord_token = (
        base64.urlsafe_b64encode(b"1200000000000000002").decode().rstrip("=")
        + "."
        + secrets.token_urlsafe(4)[:6]
        + "."
        + secrets.token_urlsafe(27)
    )
    values = {
        "SLACK_BOT_TOKEN": f"xoxb-{secrets.randbelow(10**11)}-{secrets.token_hex(12)}",
        "SLACK_APP_TOKEN": f"xapp-1-A0COMMSBOT-{secrets.token_hex(16)}",
        "DISCORD_BOT_TOKEN": discord_token,
        "HOOK_SECRET": f"whsec_{secrets.token_urlsafe(24)}",
        "HOOK_URL_TOKEN": secrets.token_urlsafe(18),
        "APPRISE_PASSWORD": f"ap-{secrets.token_hex(10)}",
        "DB_PASSWORD": f"db-{secrets.token_hex(10)}",
    }
    started = _Fakes(discord_token)
    receiver = LoopbackServer().start()
    try:
        yield started, receiver, values
    finally:
        receiver.stop()
        started.close()


def _config(folder: Path, port: int, receiver: LoopbackServer) -> Path:
    path = folder / "commsbot.toml"
    path.write_text(
        f"""
[http]
port = {port}

[logging]
access_log = true

# Discord's gateway is not faked (its address is Discord's own): the token is used by the
# destination, through the REST fake.
[discord]
gateway = false

[reminders]
enabled = true

[[destinations]]
name = "signed-hook"
type = "webhook"
url = "{receiver.url("/hook")}"
secret_env = "HOOK_SECRET"

[[destinations]]
name = "tokened-hook"
type = "webhook"
url_env = "HOOK_URL"

[[destinations]]
name = "apprise"
type = "apprise"
url_env = "APPRISE_URLS"

[[destinations]]
name = "slack-status"
type = "slack"
channel = "C0STATUS"

[[destinations]]
name = "discord-status"
type = "discord"
channel_id = {TEXT_CHANNEL}

[[notifiers]]
name = "console"
type = "console"
""",
        encoding="utf-8",
    )
    return path


def _environment(
    values: dict[str, str], fakes: _Fakes, receiver: LoopbackServer, database_url: str
) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("COMMSBOT_", "SLACK_", "DISCORD_"))
    }
    apprise_port = receiver.port
    env |= {
        "PYTHONPATH": str(ROOT),
        "COMMSBOT_DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": values["SLACK_BOT_TOKEN"],
        "SLACK_APP_TOKEN": values["SLACK_APP_TOKEN"],
        "SLACK_API_URL": fakes.slack.api_url,
        "DISCORD_BOT_TOKEN": values["DISCORD_BOT_TOKEN"],
        "DISCORD_API_URL": fakes.discord_url,
        "HOOK_SECRET": values["HOOK_SECRET"],
        "HOOK_URL": receiver.url(f"/tokened?token={values['HOOK_URL_TOKEN']}"),
        "APPRISE_URLS": (
            f"json://alerts:{values['APPRISE_PASSWORD']}@127.0.0.1:{apprise_port}/apprise"
        ),
    }
    return env


def _cli(env: dict[str, str], cwd: Path, *args: str) -> Any:
    proc = subprocess.run(
        [sys.executable, "-m", "commsbot", *args, "--json"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _request(
    url: str, *, token: str | None = None, body: dict[str, Any] | None = None
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, None


def _eventually(condition: Callable[[], bool], *, what: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert proc.poll() is None, f"commsbot run exited while waiting for {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.mark.parametrize(
    "flags",
    [["--log-format", "text"], ["--log-format", "json", "--log-level", "debug"]],
    ids=["text", "json-debug"],
)
def test_a_full_run_never_logs_a_secret(
    tmp_path: Path,
    database_url: str,
    fakes: tuple[_Fakes, LoopbackServer, dict[str, str]],
    flags: list[str],
) -> None:
    started, receiver, values = fakes
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        url = url.set(password=values["DB_PASSWORD"])  # the test server trusts any password
        database_url = url.render_as_string(hide_password=False)
    else:
        values = {k: v for k, v in values.items() if k != "DB_PASSWORD"}
    port = _free_port()
    _config(tmp_path, port, receiver)
    env = _environment(values, started, receiver, database_url)
    writer = _cli(
        env, tmp_path, "token", "create", "ci-writer", "--scope", "write", "--actor", "maya"
    )
    approver = _cli(
        env, tmp_path, "token", "create", "ci-approver", "--scope", "approve", "--actor", "sam"
    )
    tokens = [writer["secret"], approver["secret"]]
    out_path, err_path = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "commsbot", "run", *flags],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=err,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _eventually(lambda: _request(f"{base}/readyz")[0] == 200, what="/readyz", proc=proc)
        status, declared = _request(
            f"{base}/api/v1/incidents",
            token=tokens[0],
            body={"title": "API errors", "severity": "sev2", "components": {"API": None}},
        )
        assert status == 201, declared
        status, approved = _request(
            f"{base}/api/v1/drafts/{declared['draft']['id']}/approve", token=tokens[1], body={}
        )
        assert status == 200, approved
        wrong = "cbt_" + secrets.token_urlsafe(32)[:43]
        assert _request(f"{base}/api/v1/incidents", token=wrong)[0] == 401
        _request(f"{base}/api/v2/summary.json?access_token={tokens[0]}")

        def delivered() -> bool:
            return bool(
                receiver.applied("/hook")
                and receiver.applied(f"/tokened?token={values['HOOK_URL_TOKEN']}")
                and receiver.applied("/apprise")
                and started.slack.to("chat.postMessage")
                and started.discord.posts(TEXT_CHANNEL)
            )

        _eventually(delivered, what="the update at every destination", proc=proc)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    written = out_path.read_text(encoding="utf-8") + err_path.read_text(encoding="utf-8")
    assert code == 0, written
    assert "commsbot stopped" in written
    assert "/api/v2/summary.json" in written  # the access log ran
    if "json" in flags:
        lines = [json.loads(line) for line in err_path.read_text(encoding="utf-8").splitlines()]
        assert any(line.get("delivery_id") and line.get("incident_ref") for line in lines)
    leaked = {
        name: value
        for name, value in [*values.items(), *(("api token", t) for t in [*tokens, wrong])]
        if value in written
    }
    assert leaked == {}, f"secrets in the log: {sorted(leaked)}"
