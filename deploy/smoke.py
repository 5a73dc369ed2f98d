"""The check both `make package-test` and `make image-test` run against a started bot.

Standard library only: it runs beside an installed wheel or a container, never inside the
checkout's virtualenv imports. Wait for ``/readyz``, declare and approve an incident with the
installed CLI (``cli`` is the command prefix: a venv's ``commsbot`` or ``podman exec … commsbot``),
and see the update on the public ``/api/v2/summary.json``.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from typing import Any

TITLE = "Smoke test: API unavailable"


class SmokeFailed(Exception):
    """The bot did not behave; the message says what was seen."""


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get(url: str, *, timeout: float = 5) -> tuple[int, bytes]:
    """(status, body) of a GET; (0, b"") when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (OSError, urllib.error.URLError):
        return 0, b""


def wait_for(
    what: str, probe: Callable[[], Any], *, timeout: float, alive: Callable[[], bool]
) -> Any:
    """Call ``probe`` until it returns something truthy; fail after ``timeout`` seconds or as soon
    as ``alive`` says the bot is gone."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        if not alive():
            raise SmokeFailed(f"the bot exited while waiting for {what}")
        time.sleep(0.5)
    raise SmokeFailed(f"no {what} after {timeout:.0f} s")


def run_cli(cli: Sequence[str], *args: str, env: Mapping[str, str] | None = None) -> Any:
    """Run one ``commsbot … --json`` command; its JSON output."""
    proc = subprocess.run(
        [*cli, *args, "--json"], capture_output=True, text=True, timeout=120, env=env
    )
    if proc.returncode != 0:
        raise SmokeFailed(f"{' '.join(args)} exited {proc.returncode}: {proc.stderr.strip()}")
    return json.loads(proc.stdout)


def exercise(
    base_url: str,
    cli: Sequence[str],
    *,
    alive: Callable[[], bool],
    env: Mapping[str, str] | None = None,
    ready_timeout: float = 90,
) -> dict[str, Any]:
    """Readiness, a declared-and-approved update, and that update on the public page.

    Returns the incident as ``/api/v2/summary.json`` shows it.
    """
    wait_for(
        f"200 from {base_url}/readyz",
        lambda: get(f"{base_url}/readyz")[0] == 200,
        timeout=ready_timeout,
        alive=alive,
    )
    declared = run_cli(
        cli,
        "incident",
        "declare",
        TITLE,
        "--severity",
        "sev2",
        "-c",
        "API",
        "--as",
        "maya",
        env=env,
    )
    approved = run_cli(cli, "update", "approve", declared["draft"]["id"], "--as", "sam", env=env)
    if approved["update"]["status"] != "investigating":
        raise SmokeFailed(f"unexpected approval result: {approved}")

    def published() -> dict[str, Any] | None:
        status, body = get(f"{base_url}/api/v2/summary.json")
        if status != 200:
            return None
        summary = json.loads(body)
        for incident in summary.get("incidents", []):
            if incident.get("name") == TITLE and incident.get("incident_updates"):
                api = [c for c in summary["components"] if c["name"] == "API"]
                if api and api[0]["status"] == "partial_outage":
                    return dict(incident)
        return None

    incident: dict[str, Any] = wait_for(
        "published update on /api/v2/summary.json", published, timeout=30, alive=alive
    )
    if get(f"{base_url}/healthz")[0] != 200:
        raise SmokeFailed("/healthz did not answer 200")
    return incident
