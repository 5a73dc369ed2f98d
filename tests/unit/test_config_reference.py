"""docs/configuration.md: generated from the settings models, and kept up to date by this test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from commsbot.configure import reference
from commsbot.configure.reference import MissingDescription, render_reference
from commsbot.configure.variables import VARIABLES
from commsbot.delivery.registry import BUILT_IN_TYPES
from commsbot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "configuration.md"
REGENERATE = "python -m commsbot.configure.reference docs/configuration.md"


def test_the_committed_reference_is_what_the_models_say() -> None:
    assert DOC.read_text(encoding="utf-8") == render_reference(), (
        f"docs/configuration.md is out of date: run `{REGENERATE}` and commit it"
    )


def _keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys: list[str] = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys += _keys(annotation, f"{prefix}{name}.")
        else:
            keys.append(f"{prefix}{name}")
    return keys


def test_every_key_and_variable_is_in_the_reference_under_its_table() -> None:
    text = render_reference()
    sections = {"": text.split("\n## ", 2)[1]}
    for part in text.split("\n## `")[1:]:
        title, _, body = part.partition("`")
        sections[title] = body.split("\n## ", 1)[0]
    for key in _keys(Settings):
        table, _, name = key.rpartition(".")
        if table in ("", "severities", "components", "destinations", "notifiers", "discord"):
            continue  # top-level keys and the lists of tables: checked below
        assert f"| `{name}` |" in sections[f"[{table}]"], key
    for name in ("timezone", "database_url", "templates_dir"):
        assert f"| `{name}` |" in sections[""], name
    assert "| `shutdown_grace_seconds` | number, 1.0 ≤ x ≤ 600.0 | `10.0` |" in text
    assert '| `format` | one of `"text"`, `"json"` | `"text"` |' in text
    for kind in BUILT_IN_TYPES:
        assert f'### `[[destinations]]` with `type = "{kind.name}"`' in text
        for option in kind.options_model().model_fields:
            assert f"| `{option}` |" in text
    for variable in VARIABLES:
        assert f"| `{variable}` |" in text


def test_a_key_without_a_description_stops_the_generation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_docs(model: type[BaseModel]) -> dict[str, str]:
        return {}

    monkeypatch.setattr(reference, "field_docs", no_docs)
    with pytest.raises(MissingDescription, match=r"timezone: no description.*Attributes:"):
        render_reference()


def test_check_says_when_the_file_is_stale_and_how_to_fix_it(tmp_path: Path) -> None:
    stale = tmp_path / "configuration.md"
    stale.write_text(render_reference().replace("shutdown_grace_seconds", "grace"), "utf-8")
    command = [sys.executable, "-m", "commsbot.configure.reference"]
    checked = subprocess.run(
        [*command, "--check", str(stale)], capture_output=True, text=True, cwd=ROOT
    )
    assert checked.returncode == 1
    assert "out of date" in checked.stderr
    assert "commsbot.configure.reference" in checked.stderr
    written = subprocess.run([*command, str(stale)], capture_output=True, text=True, cwd=ROOT)
    assert written.returncode == 0, written.stderr
    assert stale.read_text(encoding="utf-8") == render_reference()
    again = subprocess.run([*command, "--check", str(stale)], capture_output=True, cwd=ROOT)
    assert again.returncode == 0
