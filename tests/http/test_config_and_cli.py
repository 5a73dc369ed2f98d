"""The [http] configuration, the token commands, and the static-export destination factory."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from commsbot.engines.static_export import make_destination
from commsbot.engines.targets import AdapterContext
from commsbot.settings import ConfigError, parse_settings
from commsbot.statuspage.config import StaticExportOptions
from tests.http.conftest import make_context
from tests.statuspage import scenario
from tests.unit.fakes import FakeClock


def test_http_defaults_are_loopback_8080_enabled() -> None:
    http = parse_settings({}).http

    assert (http.enabled, http.host, http.port) == (True, "127.0.0.1", 8080)
    assert http.alertmanager.component_label == "service"


@pytest.mark.parametrize(
    ("section", "named"),
    [
        ({"port": 70000}, "http.port = 70000"),
        ({"surprise": 1}, "http.surprise: unknown key"),
        ({"alertmanager": {"title": "Down: {service}"}}, "only placeholder allowed"),
        ({"alertmanager": {"severities": {"critical": "sev9"}}}, "sev9"),
    ],
)
def test_bad_http_settings_stop_start_up_naming_the_key(section: Any, named: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_settings({"http": section})

    assert named in str(refused.value)


def cli(folder: Path, *args: str) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMSBOT_")}
    env["COMMSBOT_DATABASE_URL"] = f"sqlite:///{folder / 'cli.db'}"
    done = subprocess.run(
        [sys.executable, "-m", "commsbot", *args, "--json"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, json.loads(done.stdout)


def test_token_create_list_and_revoke_through_the_cli(tmp_path: Path) -> None:
    code, made = cli(tmp_path, "token", "create", "am", "--scope", "write", "--actor", "alertmgr")
    assert code == 0
    assert made["secret"].startswith("cbt_")
    assert (made["token"]["scope"], made["token"]["actor"]) == ("write", "alertmgr")

    code, refused = cli(tmp_path, "token", "create", "x", "--scope", "root")
    assert code == 1
    assert refused["error"]["code"] == "invalid_input"

    code, revoked = cli(tmp_path, "token", "revoke", "am")
    assert code == 0
    assert revoked["token"]["revoked_at"] is not None
    code, listed = cli(tmp_path, "token", "list")
    assert listed == {"tokens": []}
    assert made["secret"] not in json.dumps(listed)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_destination_factory_exports_from_the_apps_database(
    database_url: str, tmp_path: Path
) -> None:
    settings = scenario.settings(database_url=database_url)
    ctx = make_context(database_url, settings, FakeClock(scenario.START))
    built = scenario.build(ctx.deps, FakeClock(scenario.START))
    config = SimpleNamespace(
        name="status-export", options=StaticExportOptions(directory=tmp_path / "site")
    )

    # The dispatcher's context carries the app's dependencies: the export reads through them.
    context = AdapterContext(settings=settings, deps=ctx.deps)
    destination = make_destination(config, context)  # type: ignore[arg-type]
    receipt = asyncio.run(destination.deliver(None))  # type: ignore[arg-type]
    ctx.engine.dispose()

    assert destination.name == "status-export"
    assert receipt.note is not None
    assert (tmp_path / "site" / "incidents" / built.open_id / "index.html").is_file()
