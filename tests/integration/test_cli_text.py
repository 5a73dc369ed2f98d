"""Text refused at the command line as anywhere else: exit 1, the character named, no change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.test_cli import Cli


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


def test_a_title_with_a_bell_is_refused_naming_the_character(cli: Cli) -> None:
    proc = cli.run("incident", "declare", "API \x07down", "--as", "maya", "--json", ok=False)

    assert proc.returncode == 1
    assert json.loads(proc.stdout) == {
        "error": {
            "code": "invalid_input",
            "message": "the incident title contains U+0007 BELL at position 5; remove control "
            "characters (line breaks and tabs are fine)",
            "field": "title",
        }
    }
    assert cli.json("incident", "list") == {"incidents": []}


def test_an_actor_with_an_escape_is_refused(cli: Cli) -> None:
    proc = cli.run("incident", "declare", "API down", "--as", "ma\x1bya", ok=False)

    assert proc.returncode == 1
    assert "the actor contains U+001B ESCAPE at position 3" in proc.stderr
