"""The deployment files a new user copies: the systemd unit (checked by systemd itself where
`systemd-analyze` exists), compose.yaml and the Containerfile. Building and running the image
is `make image-test` (podman); installing the wheel is `make package-test`."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from commsbot.runtime_config import RuntimeConfig

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "commsbot.service"


def _unit_copy(tmp_path: Path) -> Path:
    # verify wants ExecStart's program to exist: point it at this checkout's commsbot.
    program = Path(sys.executable).with_name("commsbot")
    assert program.exists(), program
    copy = tmp_path / "commsbot.service"
    text = UNIT.read_text(encoding="utf-8")
    copy.write_text(text.replace("/opt/commsbot/bin/commsbot", str(program)), encoding="utf-8")
    return copy


def _analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        pytest.skip("systemd-analyze not installed (Debian: systemd)")
    return found


def test_systemd_accepts_the_unit_without_a_warning(tmp_path: Path) -> None:
    proc = subprocess.run(
        [_analyze(), "verify", str(_unit_copy(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # verify exits 0 even for settings it ignores ("Failed to parse …, ignoring"): no output
    # at all is the bar.
    assert (proc.returncode, proc.stdout + proc.stderr) == (0, "")


def test_the_unit_is_hardened(tmp_path: Path) -> None:
    proc = subprocess.run(
        [_analyze(), "security", "--offline=true", str(_unit_copy(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    score = re.search(r"Overall exposure level for \S+: ([\d.]+)", proc.stdout)
    assert score, proc.stdout + proc.stderr
    assert float(score[1]) <= 2.0, proc.stdout  # systemd calls 0–2 "OK"


def test_the_unit_keeps_its_state_where_it_says() -> None:
    settings: dict[str, list[str]] = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    assert settings["StateDirectory"] == ["commsbot"]
    assert settings["WorkingDirectory"] == ["/var/lib/commsbot"]
    assert (
        "COMMSBOT_DATABASE_URL=sqlite:////var/lib/commsbot/commsbot.db" in settings["Environment"]
    )
    assert "COMMSBOT_CONFIG=/etc/commsbot/commsbot.toml" in settings["Environment"]
    assert settings["EnvironmentFile"] == ["-/etc/commsbot/env"]
    assert settings["DynamicUser"] == ["yes"]
    assert settings["Restart"] == ["on-failure"]


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    return data


def test_compose_runs_two_replicas_on_one_postgresql() -> None:
    compose = _compose()
    services = compose["services"]
    replicas = {n: s for n, s in services.items() if s.get("image") == "localhost/commsbot:latest"}
    assert sorted(replicas) == ["commsbot-1", "commsbot-2"]
    one, two = replicas.values()
    # The same configuration, secrets and database for both; only the published port differs.
    assert {k: v for k, v in one.items() if k != "ports"} == {
        k: v for k, v in two.items() if k != "ports"
    }
    assert one["ports"] != two["ports"]
    url = one["environment"]["COMMSBOT_DATABASE_URL"]
    assert url.startswith("postgresql://commsbot:")
    assert url.endswith("@postgres:5432/commsbot")
    assert one["environment"]["COMMSBOT_HTTP_HOST"] == "0.0.0.0"
    assert "./commsbot.toml:/config/commsbot.toml:ro" in one["volumes"]
    assert one["env_file"] == ".env"
    assert one["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert "readyz" in " ".join(one["healthcheck"]["test"])


def test_compose_postgresql_is_healthchecked_on_a_named_volume() -> None:
    compose = _compose()
    postgres = compose["services"]["postgres"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]
    assert postgres["environment"]["POSTGRES_DB"] == "commsbot"


def test_containerfile_shape() -> None:
    text = (ROOT / "Containerfile").read_text(encoding="utf-8")
    instructions = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert instructions[0] == "ARG BASE=python:3.12-slim"
    assert instructions[1] == "FROM ${BASE} AS build"
    final = text[text.rindex("\nFROM ") :]
    assert final.startswith("\nFROM ${BASE}\n")
    assert "ARG PIP_" not in final  # build settings stay in the build stage
    for needed in (
        "COPY --from=build /opt/commsbot /opt/commsbot",
        "COMMSBOT_DATABASE_URL=sqlite:////data/commsbot.db",
        'VOLUME ["/data"]',
        "USER commsbot",
        "EXPOSE 8080",
        "/healthz",
        'CMD ["commsbot", "run"]',
    ):
        assert needed in final, needed
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert ignored[ignored.index("*") :][:1] == ["*"]  # everything out, then the sources back in


def _seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(s|min|m)?", value.strip())
    assert match, value
    return float(match[1]) * (60 if match[2] in ("m", "min") else 1)


def test_every_supervisor_waits_longer_than_the_shutdown_grace_period() -> None:
    """SIGTERM gives the bot [runtime] shutdown_grace_seconds to finish its deliveries; the
    supervisor must not SIGKILL it before (systemd, compose, the README's `podman run`)."""
    grace = RuntimeConfig().shutdown_grace_seconds
    unit = dict(
        line.split("=", 1)
        for line in UNIT.read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.startswith("#")
    )
    assert unit["KillSignal"] == "SIGTERM"
    assert _seconds(unit["TimeoutStopSec"]) > grace
    for name in ("commsbot-1", "commsbot-2"):
        assert _seconds(_compose()["services"][name]["stop_grace_period"]) > grace
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    runs = re.findall(r"^podman run [^\n]*", readme, flags=re.MULTILINE)
    assert runs
    for run in runs:
        timeout = re.search(r"--stop-timeout (\d+)", run)
        assert timeout, run
        assert int(timeout[1]) > grace
    containerfile = (ROOT / "Containerfile").read_text(encoding="utf-8")
    assert "\nSTOPSIGNAL SIGTERM\n" in containerfile
    assert re.search(r"--stop-timeout (\d+)", containerfile)
