"""One version everywhere: the package metadata, `commsbot --version`, the HTTP API and the
webhook User-Agent all come from commsbot/__init__.py."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import commsbot

ROOT = Path(__file__).resolve().parents[2]


def test_the_version_has_one_source() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project
    assert project["dynamic"] == ["version"]
    assert version("commsbot") == commsbot.__version__


def test_commsbot_version_prints_it() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "commsbot", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert proc.stdout == f"commsbot {commsbot.__version__}\n"
