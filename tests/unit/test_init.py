"""`commsbot init`: the commented commsbot.toml and the .env it writes, checked against the
settings models themselves (so neither can fall behind them)."""

from __future__ import annotations

import re
import stat
import tomllib
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from commsbot.cli.main import app
from commsbot.configure.docs import field_docs
from commsbot.configure.render import EXAMPLE_ENTRIES, render_env, render_toml
from commsbot.configure.variables import VARIABLES
from commsbot.delivery.config import DestinationConfig, NotifierConfig
from commsbot.delivery.registry import BUILT_IN_TYPES, Role
from commsbot.settings import Settings, load_settings, parse_settings

ROOT = Path(__file__).resolve().parents[2]
PG_URL = "postgresql://commsbot:s3cret-pw@db.example.com:5432/commsbot"
FLAGS: list[list[str]] = [
    [],
    ["--slack"],
    ["--discord"],
    ["--postgres", PG_URL],
    ["--slack", "--discord", "--postgres", PG_URL],
]


def _init(folder: Path, *args: str) -> Any:
    return CliRunner().invoke(app, ["init", "--dir", str(folder), *args])


@pytest.mark.parametrize("flags", FLAGS, ids=lambda f: " ".join(f) or "no flags")
def test_init_writes_a_configuration_the_real_loader_accepts(
    tmp_path: Path, flags: list[str]
) -> None:
    result = _init(tmp_path, *flags)
    assert result.exit_code == 0, result.output
    toml_file, env_file = tmp_path / "commsbot.toml", tmp_path / ".env"
    settings = load_settings(toml_file, environ={})
    assert settings == parse_settings(tomllib.loads(toml_file.read_text(encoding="utf-8")))
    defaults = Settings()
    assert settings.http == defaults.http
    assert settings.reminders == defaults.reminders
    assert settings.severities == defaults.severities
    assert ("slack" in settings.model_fields_set) == ("--slack" in flags)
    assert (settings.discord is not None) == ("--discord" in flags)
    # The .env holds the secrets: only its owner may read it; the password never goes in the toml.
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    env = env_file.read_text(encoding="utf-8")
    if "--postgres" in flags:
        assert f"\nCOMMSBOT_DATABASE_URL={PG_URL}\n" in env
        assert "s3cret-pw" not in toml_file.read_text(encoding="utf-8")
        assert settings.database_url is None
    else:
        assert "\n#COMMSBOT_DATABASE_URL=\n" in env


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-mine\n", encoding="utf-8")
    result = _init(tmp_path)
    assert result.exit_code == 1
    assert f"{tmp_path / '.env'} already exists" in result.output
    assert not (tmp_path / "commsbot.toml").exists()
    assert (tmp_path / ".env").read_text(encoding="utf-8") == "SLACK_BOT_TOKEN=xoxb-mine\n"

    (tmp_path / ".env").unlink()
    assert _init(tmp_path).exit_code == 0
    before = (tmp_path / "commsbot.toml").read_text(encoding="utf-8")
    again = _init(tmp_path, "--slack")
    assert again.exit_code == 1
    assert "commsbot.toml and" in again.output
    assert (tmp_path / "commsbot.toml").read_text(encoding="utf-8") == before


def test_init_in_a_folder_that_does_not_exist_says_so_and_how_to_make_it(tmp_path: Path) -> None:
    missing = tmp_path / "new" / "deeper"
    (tmp_path / "afile").write_text("mine", encoding="utf-8")

    result = _init(missing)
    on_a_file = _init(tmp_path / "afile")

    assert result.exit_code == 1
    assert f"{missing} does not exist; create it first (mkdir -p {missing})" in result.output
    assert on_a_file.exit_code == 1
    assert f"{tmp_path / 'afile'} is a file, not a folder" in on_a_file.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


@pytest.mark.parametrize("url", ["sqlite:///x.db", "mysql://u@h/db", "not a url"])
def test_init_wants_a_postgresql_url(tmp_path: Path, url: str) -> None:
    result = _init(tmp_path, "--postgres", url)
    assert result.exit_code == 1
    assert "postgresql://" in result.output
    assert list(tmp_path.iterdir()) == []


# --- the generated file against the models ---------------------------------------------------


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model inside ``X``, ``X | None``, ``list[X]``, ``dict[K, X]``, ``Annotated[…]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _expected_keys() -> set[tuple[str, str]]:
    """(section, key) for every key the settings models accept."""
    keys: set[tuple[str, str]] = set()

    def walk(model: type[BaseModel], section: str) -> None:
        for name, info in model.model_fields.items():
            inner = _model_of(info.annotation)
            if inner is None:
                keys.add((section, info.alias or name))  # as the file spells it
                continue
            if get_origin(info.annotation) is dict:
                for severity in Settings().severities:
                    walk(inner, f"{name}.{severity.value}")
            else:
                walk(inner, f"{section}.{name}".strip("."))

    walk(Settings, "")
    for section, model in (("destinations", DestinationConfig), ("notifiers", NotifierConfig)):
        role: Role = "notifier" if model is NotifierConfig else "destination"
        for kind in BUILT_IN_TYPES.type_names(role):
            options = BUILT_IN_TYPES.find(kind).options_model()  # type: ignore[union-attr]
            keys |= {(section, key) for key in options.model_fields}
    return keys


_HEADER = re.compile(r"^#*\s*\[{1,2}([\w.]+)\]{1,2}\s*$")
_KEY = re.compile(r"^#*([a-z_]+) = ")


def _mentioned_keys(text: str) -> set[tuple[str, str]]:
    """(section, key) for every `key = …` line, in force or commented out."""
    found: set[tuple[str, str]] = set()
    section = ""
    for line in text.splitlines():
        if header := _HEADER.match(line):
            section = header[1]
        elif key := _KEY.match(line):
            found.add((section, key[1]))
    return found


@pytest.mark.parametrize("flags", [{}, {"slack": True, "discord": True}])
def test_the_file_mentions_every_setting_and_nothing_else(flags: dict[str, bool]) -> None:
    assert _mentioned_keys(render_toml(**flags)) == _expected_keys()


def test_every_setting_is_documented_in_its_model() -> None:
    missing: list[str] = []

    def walk(model: type[BaseModel], where: str) -> None:
        docs = field_docs(model)
        for name, info in model.model_fields.items():
            if name not in docs:
                missing.append(f"{model.__name__}.{name} ({where})")
            inner = _model_of(info.annotation)
            if inner is not None:
                walk(inner, f"{where}.{name}")

    walk(Settings, "commsbot.toml")
    for kind in BUILT_IN_TYPES.type_names("destination") + BUILT_IN_TYPES.type_names("notifier"):
        walk(BUILT_IN_TYPES.find(kind).options_model(), f"type {kind}")  # type: ignore[union-attr]
    assert missing == [], "add these to the model's `Attributes:` docstring section"


def _blocks(text: str) -> list[str]:
    """Each commented-out `#[[…]]` or `#[…]` block, with one `#` taken off each line."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        if re.match(r"^#\[", line):
            current = [line[1:]]
            blocks.append(current)
        elif current is not None and re.match(r"^#[#a-z]", line):
            current.append(line[1:])
        elif current is not None and line.startswith("# "):
            continue  # a description inside the block
        else:
            current = None
    return ["\n".join(block) for block in blocks]


@pytest.mark.parametrize("flags", [{}, {"slack": True, "discord": True}])
def test_each_commented_example_is_a_valid_configuration(flags: dict[str, bool]) -> None:
    blocks = _blocks(render_toml(**flags))
    tables = {re.match(r"^\[+([\w.]+)", b)[1] for b in blocks}  # type: ignore[index]
    assert {"components", "destinations", "notifiers"} <= tables
    if not flags:
        assert {"slack", "discord"} <= tables
    entries = sum(len(v) for v in EXAMPLE_ENTRIES.values())
    assert len([b for b in blocks if b.startswith("[[")]) >= entries
    for block in blocks:
        parse_settings(tomllib.loads(block), source=block.splitlines()[0])


def test_env_example_is_exactly_what_init_writes() -> None:
    assert (ROOT / ".env.example").read_text(encoding="utf-8") == render_env()


def test_every_variable_the_code_reads_is_in_the_env_file() -> None:
    names: set[str] = set()
    for folder in ("commsbot", "adapters"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            names |= set(re.findall(r"[\"']((?:COMMSBOT|SLACK|DISCORD)_[A-Z0-9_]+)[\"']", text))
    assert names, "the scan found nothing: the pattern is wrong"
    assert names - set(VARIABLES) == set()
    env = render_env()
    for name in VARIABLES:
        assert re.search(rf"^#?{name}=$", env, re.M), name
    # Every variable the example destinations name is listed too.
    named = set(re.findall(r'_env = "([A-Z0-9_]+)"', render_toml(slack=True, discord=True)))
    assert named
    assert named <= set(VARIABLES)
