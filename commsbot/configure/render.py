"""The commented ``commsbot.toml`` and the ``.env`` that ``commsbot init`` writes.

The file is generated from the settings models (their fields, defaults and ``Attributes:``
docs), so it cannot fall behind them. Conventions in the file: a line ``key = value`` is in
force (the default, written out); ``#key = value`` is an example a reader turns on by removing
the ``#`` (every ``#`` block, uncommented, is a valid configuration); ``##key = value`` is an
optional key inside such a block.
"""

from __future__ import annotations

import inspect
import json
import re
import textwrap
from collections.abc import Iterable, Mapping
from datetime import date, time
from enum import Enum
from pathlib import PurePath
from typing import Any

from pydantic import BaseModel

from commsbot import __version__
from commsbot.configure.docs import field_docs
from commsbot.configure.variables import GROUPS
from commsbot.delivery.config import DestinationConfig, NotifierConfig, _Target
from commsbot.delivery.registry import BUILT_IN_TYPES, TargetType
from commsbot.discord_config import DiscordConfig
from commsbot.settings import ComponentConfig, Settings
from commsbot.subscriptions.config import SmtpConfig

WIDTH = 99
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")

#: Example values of keys that have no default (unset means "not used").
FIELD_EXAMPLES: dict[str, Any] = {
    "database_url": "sqlite:///commsbot.db",
    "templates_dir": "comms-templates",
    "severities.cadence_minutes": 240,
    "severities.approvers": ["slack-group:S0COMMSLEAD", "sam"],
    "rate_per_second": 1.0,
    "burst": 3,
    "lease_seconds": 90.0,
    "destinations.severities": ["sev1", "sev2"],
    "destinations.components": ["API"],
    "notifiers.kinds": ["approval_requested", "delivery_dead"],
    "url": "https://hooks.example.com/commsbot",
    "url_env": "COMMSBOT_WEBHOOK_URL",
    "secret_env": "COMMSBOT_WEBHOOK_SECRET",
    "group": "Platform",
    "postmortem.template": "comms-templates/postmortem.md.j2",
    "postmortem.html_template": "comms-templates/postmortem.html.j2",
    "subscriptions.port": 587,
    "subscriptions.user": "status@example.com",
    "subscriptions.password_env": "COMMSBOT_SMTP_PASSWORD",
    "subscriptions.reply_to": "Acme Support <support@example.com>",
    "subscriptions.unsubscribe_mailto": "unsubscribe@example.com",
}

#: Optional tables written as a commented example (each, uncommented, is valid on its own).
EXAMPLE_TABLES: dict[str, BaseModel] = {
    "subscriptions.smtp": SmtpConfig.model_validate(
        {"host": "smtp.example.com", "from": "Acme Status <status@example.com>"}
    ),
}

#: One example entry per list of tables; each, uncommented alone, is a valid configuration.
EXAMPLE_ENTRIES: dict[str, list[dict[str, Any]]] = {
    "components": [
        {"name": "API", "description": "the public REST API", "group": "Platform"},
    ],
    "destinations": [
        {
            "name": "status-webhook",
            "type": "webhook",
            "url": "https://hooks.example.com/commsbot",
            "secret_env": "COMMSBOT_WEBHOOK_SECRET",
        },
        {
            "name": "mastodon",
            "type": "apprise",
            "url_env": "COMMSBOT_APPRISE_SOCIAL",
            "format": "short",
        },
        {"name": "slack-status", "type": "slack", "channel": "C0123STATUS"},
        {"name": "discord-status", "type": "discord", "channel_id": 1180000000000000003},
        {"name": "status-export", "type": "static-export", "directory": "/srv/status"},
        {"name": "console", "type": "console"},
    ],
    "notifiers": [
        {
            "name": "ops-mail",
            "type": "apprise",
            "url_env": "COMMSBOT_APPRISE_OPS",
            "kinds": ["approval_requested", "delivery_dead"],
        },
        {"name": "slack-approvals", "type": "slack", "channel": "C0123APPROVE"},
        {"name": "discord-approvals", "type": "discord", "channel_id": 1180000000000000002},
        {
            "name": "ops-webhook",
            "type": "webhook",
            "url": "https://hooks.example.com/commsbot-notices",
            "secret_env": "COMMSBOT_WEBHOOK_SECRET",
        },
        {"name": "console", "type": "console", "stream": "stderr"},
    ],
}

_HEADER = """\
commsbot.toml, written by `commsbot init` (commsbot {version}).

Every setting is here with its default. A line `key = value` is in force; `#key = value` is an
example: remove the `#` to use it (a block of such lines is a complete entry); `##key = value`
is an optional key of that entry. Secrets never go in this file: they live in .env (or the
environment), and this file names the variable (secret_env, url_env, token_env).
`commsbot config check` validates this file and every variable it names; the README explains
each part."""


def render_toml(*, slack: bool = False, discord: bool = False) -> str:
    """The commented ``commsbot.toml``.

    Args:
        slack: turn on ``[slack]`` and add the Slack channels to fill in.
        discord: turn on ``[discord]`` and add the Discord channels to fill in.
    """
    defaults = Settings()
    docs = field_docs(Settings)
    out = _comment(_HEADER.format(version=__version__), sentence=False)
    for name, value in _fields(defaults):
        if isinstance(value, BaseModel | list | dict) or name == "discord":
            continue
        out += ["", *_comment(docs.get(name)), _line(name, value, "", path=name)]
    out += _table("page", defaults.page, _summary(defaults.page))
    out += _entries("components", ComponentConfig, docs.get("components"))
    out += ["", *_comment(docs.get("severities"))]
    for severity, config in defaults.severities.items():
        out += _table(f"severities.{severity.value}", config, None, path="severities")
    out += _table("approval", defaults.approval, _summary(defaults.approval))
    out += _entries("destinations", DestinationConfig, docs.get("destinations"))
    out += _entries("notifiers", NotifierConfig, docs.get("notifiers"))
    out += _table("http", defaults.http, _summary(defaults.http))
    out += _table("reminders", defaults.reminders, _summary(defaults.reminders))
    out += _table("maintenance", defaults.maintenance, _summary(defaults.maintenance))
    out += _table("postmortem", defaults.postmortem, _summary(defaults.postmortem))
    out += _table("runtime", defaults.runtime, _summary(defaults.runtime))
    out += _table("logging", defaults.logging, _summary(defaults.logging))
    out += _table("subscriptions", defaults.subscriptions, _summary(defaults.subscriptions))
    out += _table("slack", defaults.slack, _switch(defaults.slack, "--slack", slack), on=slack)
    if slack:
        out += _channels("Slack", "slack", "(channel name → About → at the bottom, C0…)")
    out += _table(
        "discord", DiscordConfig(), _switch(DiscordConfig(), "--discord", discord), on=discord
    )
    if discord:
        out += _channels("Discord", "discord", "(Developer Mode on, right-click → Copy ID)")
    return "\n".join(out) + "\n"


def render_env(*, database_url: str | None = None) -> str:
    """The ``.env``: every variable commsbot reads, named and empty.

    Args:
        database_url: written as ``COMMSBOT_DATABASE_URL`` (it may hold a password, so it goes
            here rather than in ``commsbot.toml``).
    """
    out = _comment(
        "commsbot's environment: its secrets and a few overrides, written by `commsbot init`. "
        "commsbot reads .env from its working folder; variables already set in the "
        "environment win. Never commit this file. A line #NAME= is an optional override: "
        "remove the # and give it a value to use it.",
        sentence=False,
    )
    for group in GROUPS:
        out += ["", *_comment(f"--- {group.heading}")]
        for var in group.variables:
            out += _comment(var.help)
            if var.name == "COMMSBOT_DATABASE_URL" and database_url:
                out.append(f"{var.name}={database_url}")
            else:
                out.append(f"{'#' if var.override else ''}{var.name}=")
    return "\n".join(out) + "\n"


# --- pieces --------------------------------------------------------------------------------


def _fields(model: BaseModel) -> Iterable[tuple[str, Any]]:
    """Each key as the file spells it (its alias, if any) and its value."""
    for name, info in type(model).model_fields.items():
        yield info.alias or name, getattr(model, name)


def _comment(text: str | None, *, sentence: bool = True) -> list[str]:
    if not text:
        return []
    if sentence:  # docstrings' entries start in lower case
        text = text[0].upper() + text[1:]
    lines: list[str] = []
    for paragraph in text.replace("``", "`").split("\n"):
        if not paragraph.strip():
            lines.append("#")
            continue
        lines += textwrap.wrap(
            paragraph, WIDTH, initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False
        )
    return lines


def _switch(model: BaseModel, flag: str, on: bool) -> str:
    if on:
        return _summary(model)
    return (
        f"{_summary(model)} Off: remove the # at the start of the lines below to turn it on "
        f"(or run init with {flag})."
    )


def _example(path: str, name: str) -> Any:
    section = path.split(".")[0]
    key = f"{section}.{name}"
    return FIELD_EXAMPLES[key] if key in FIELD_EXAMPLES else FIELD_EXAMPLES[name]


def _line(name: str, value: Any, prefix: str, *, path: str) -> str:
    if value is None:
        return f"{prefix}#{name} = {toml_value(_example(path, name))}"
    return f"{prefix}{name} = {toml_value(value)}"


def _table(
    name: str, model: BaseModel, doc: str | None, *, on: bool = True, path: str | None = None
) -> list[str]:
    """``[name]`` with every key at its default, each under its description."""
    prefix = "" if on else "#"
    docs = field_docs(type(model))
    out = ["", *_comment(doc), f"{prefix}[{name}]"]
    nested: list[tuple[str, BaseModel]] = []
    examples: list[tuple[str, BaseModel]] = []
    previous = None
    for key, value in _fields(model):
        if isinstance(value, BaseModel):
            nested.append((key, value))
            continue
        if value is None and f"{name}.{key}" in EXAMPLE_TABLES:
            examples.append((key, EXAMPLE_TABLES[f"{name}.{key}"]))
            continue
        out += [*_comment(docs.get(key) if docs.get(key) != previous else None)]
        out.append(_line(key, value, prefix, path=path or name))
        previous = docs.get(key)
    for key, value in examples:
        doc = f"{_summary(value)} Remove the # at the start of the lines below to use it."
        out += _table(f"{name}.{key}", value, doc, on=False, path=path or name)
    for key, value in nested:
        out += _table(f"{name}.{key}", value, _summary(value), on=on, path=path or name)
    return out


def _summary(model: BaseModel) -> str:
    """The first paragraph of the model's docstring."""
    doc = inspect.getdoc(type(model)) or ""
    return " ".join(doc.split("\n\n")[0].split())


def _entries(name: str, model: type[BaseModel], doc: str | None) -> list[str]:
    """Commented examples of a list of tables (``[[destinations]]``)."""
    out = ["", *_comment(doc)]
    shown: set[str] = set()
    for example in EXAMPLE_ENTRIES[name]:
        out += ["", *_entry(name, model, example, shown)]
    return out


def _entry(
    name: str, model: type[BaseModel], example: Mapping[str, Any], shown: set[str]
) -> list[str]:
    keys: dict[str, Any] = dict(model.model_fields)
    docs = field_docs(model)
    if issubclass(model, _Target):
        options = _kind(example["type"]).options_model()
        keys.update(options.model_fields)
        docs.update(field_docs(options))
    out = [f"#[[{name}]]"]
    previous = None
    for key, value in example.items():
        if key not in shown:  # the keys every entry takes: explained once, on the first example
            out += _comment(docs.get(key) if docs.get(key) != previous else None)
            previous = docs.get(key)
        if key in model.model_fields:
            shown.add(key)
        out.append(f"#{key} = {toml_value(value)}")
    for key, info in keys.items():
        if key in example or key in shown:
            continue
        if key in model.model_fields:
            shown.add(key)
        default = info.get_default(call_default_factory=True)
        value = _example(name, key) if default is None else default
        out += _comment(docs.get(key) if docs.get(key) != previous else None)
        out.append(f"##{key} = {toml_value(value)}")
        previous = docs.get(key)
    return out


def _kind(type_name: str) -> TargetType:
    kind = BUILT_IN_TYPES.find(type_name)
    if kind is None:
        raise KeyError(f"no destination type {type_name!r}")
    return kind


def _channels(platform: str, type_name: str, where: str) -> list[str]:
    out = [
        "",
        *_comment(
            f"Your {platform} channels: put each channel's id {where} in place of the example, "
            "then remove the # at the start of the lines. The bot must be a member of each."
        ),
    ]
    for name in ("destinations", "notifiers"):
        for example in EXAMPLE_ENTRIES[name]:
            if example["type"] == type_name:
                out += [f"#[[{name}]]", *(f"#{k} = {toml_value(v)}" for k, v in example.items())]
    return out


def toml_value(value: Any) -> str:
    """``value`` written as TOML."""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, time):
        return json.dumps(value.strftime("%H:%M"))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, PurePath):
        value = str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }"
    raise TypeError(f"cannot write {value!r} as TOML")


def _key(key: Any) -> str:
    text = str(key.value if isinstance(key, Enum) else key)
    return text if _BARE_KEY.match(text) else json.dumps(text)
