"""``commsbot config check``: is this configuration usable, without starting anything?

It reads ``commsbot.toml`` and ``.env`` as ``commsbot run`` does, then checks what ``run`` would
only find at start-up: every variable the file names (``secret_env``, ``url_env``,
``token_env``), the Slack and Discord tokens when those are configured, and the database URL.
It opens no database connection and asks no platform anything (``commsbot slack check`` does
that for Slack).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

from commsbot.bootstrap import PlatformCheck
from commsbot.configure.variables import VARIABLES, is_secret
from commsbot.settings import DEFAULT_CONFIG_FILE, ConfigError, Settings, redact_url
from commsbot.slack_config import SlackMode

if TYPE_CHECKING:
    from commsbot.delivery.config import DestinationConfig, NotifierConfig
    from commsbot.delivery.registry import Role


@dataclass
class Report:
    """The outcome of a check; ``problems`` empty means ``commsbot run`` can start.

    Attributes:
        config_file: the file read, or None (built-in defaults).
        env_file: the ``.env`` read, or None.
        settings: the effective settings with secrets hidden (None when the file is unusable).
        platforms: Slack and Discord.
        environment: each variable commsbot reads or the file names: set or not, its value
            when it is not a secret, and what uses it.
        problems: each thing to fix, saying how.
    """

    config_file: str | None = None
    env_file: str | None = None
    settings: dict[str, Any] | None = None
    platforms: list[PlatformCheck] = field(default_factory=list)
    environment: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` shape."""
        return {
            "ok": self.ok,
            "config_file": self.config_file,
            "env_file": self.env_file,
            "settings": self.settings,
            "platforms": {
                p.name: {"starts": p.starts, "summary": p.summary, "problems": list(p.problems)}
                for p in self.platforms
            },
            "environment": self.environment,
            "problems": self.problems,
        }


def check_configuration(config_path: Path | None = None) -> Report:
    """Load the configuration as ``commsbot run`` would, and check everything it names.

    ``.env`` in the working folder is loaded into the environment first, as ``run`` does.
    """
    from commsbot.settings import load_settings

    report = Report()
    env_file = Path.cwd() / ".env"
    report.env_file = str(env_file) if env_file.is_file() else None
    try:
        settings = load_settings(config_path)
    except ConfigError as exc:
        report.config_file = _config_file(config_path, os.environ)
        report.problems.append(str(exc))
        return report
    report.config_file = _config_file(config_path, os.environ)
    _check(settings, os.environ, report)
    return report


def _config_file(path: Path | None, env: Mapping[str, str]) -> str | None:
    explicit = path or (Path(env["COMMSBOT_CONFIG"]) if env.get("COMMSBOT_CONFIG") else None)
    source = explicit or Path(DEFAULT_CONFIG_FILE)
    return str(source.resolve()) if explicit or source.is_file() else None


def _check(settings: Settings, env: Mapping[str, str], report: Report) -> None:
    from commsbot.bootstrap import platform_checks
    from commsbot.delivery.config import destinations_of, notifiers_of
    from commsbot.engines.targets import AdapterContext, where

    used: dict[str, list[str]] = {}
    report.problems += _database(settings.db_url)
    context = AdapterContext(settings=settings, environ=env)
    targets: list[tuple[Role, DestinationConfig | NotifierConfig]] = [
        ("destination", d) for d in destinations_of(settings.destinations)
    ]
    targets += [("notifier", n) for n in notifiers_of(settings.notifiers)]
    for role, entry in targets:
        options = entry.options.model_dump() if entry.options is not None else {}
        for key, variable in options.items():
            if not key.endswith("_env") or not isinstance(variable, str):
                continue
            name = where(role, entry)
            used.setdefault(variable, []).append(f"{name} {key}")
            try:
                context.secret(where=name, key=key, variable=variable)
            except ConfigError as exc:
                report.problems.append(str(exc))
    report.problems += _subscriptions(settings, env, used)
    report.platforms = platform_checks(settings, env, http_enabled=settings.http.enabled)
    report.problems += _postmortem_templates(settings)
    for platform in report.platforms:
        report.problems += platform.problems
    if report.platforms[0].starts:
        socket = settings.slack.mode is SlackMode.SOCKET
        for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN" if socket else "SLACK_SIGNING_SECRET"):
            used.setdefault(name, []).append(f"[slack] {settings.slack.mode.value} mode")
    if report.platforms[1].starts:
        used.setdefault("DISCORD_BOT_TOKEN", []).append("[discord] gateway")
    report.settings = effective_settings(settings)
    report.environment = {
        name: _variable(name, env, used.get(name, []))
        for name in [*VARIABLES, *sorted(set(used) - set(VARIABLES))]
    }


def _subscriptions(
    settings: Settings, env: Mapping[str, str], used: dict[str, list[str]]
) -> list[str]:
    """The signing secret and the SMTP password, when subscriptions are on (as ``run`` reads
    them at start)."""
    from commsbot.subscriptions.config import MissingSecret, signing_secrets, smtp_password

    subs = settings.subscriptions
    if not subs.enabled:
        return []
    problems: list[str] = []
    used.setdefault(subs.secret_env, []).append("[subscriptions] secret_env")
    try:
        signing_secrets(subs, env)
    except MissingSecret as exc:
        problems.append(str(exc))
    if subs.smtp is not None and subs.smtp.password_env is not None:
        used.setdefault(subs.smtp.password_env, []).append("[subscriptions.smtp] password_env")
        try:
            smtp_password(subs.smtp, env)
        except MissingSecret as exc:
            problems.append(str(exc))
    return problems


def _database(url: str) -> list[str]:
    from commsbot.store.db import normalize_url

    try:
        parsed = normalize_url(url)
    except ValueError as exc:
        return [f"database_url: {exc}"]
    if parsed.get_backend_name() == "postgresql" and find_spec("psycopg") is None:
        return [
            "database_url is PostgreSQL but its driver is not installed; "
            "pip install 'commsbot[postgres]'"
        ]
    return []


def _variable(name: str, env: Mapping[str, str], used_by: list[str]) -> dict[str, Any]:
    value = env.get(name, "")
    shown: str | None = None
    if value and not is_secret(name):
        shown = value
    elif value and name == "COMMSBOT_DATABASE_URL":
        shown = redact_url(value)
    return {"set": bool(value), "secret": is_secret(name), "value": shown, "used_by": used_by}


def effective_settings(settings: Settings) -> dict[str, Any]:
    """The settings ``commsbot run`` would use, as JSON, with any URL's password hidden.

    The file holds no secrets (it refuses secret-looking keys); the database URL may, and so
    may a URL with credentials in it.
    """
    from commsbot.delivery.config import destinations_of, notifiers_of

    data = settings.model_dump(mode="json")
    data["database_url"] = settings.db_url
    data["destinations"] = [
        d.model_dump(mode="json") for d in destinations_of(settings.destinations)
    ]
    data["notifiers"] = [n.model_dump(mode="json") for n in notifiers_of(settings.notifiers)]
    hidden: dict[str, Any] = _hide(data)
    return hidden


def _hide(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _hide(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_hide(v) for v in value]
    if isinstance(value, str) and "://" in value and "@" in value:
        return redact_url(value)
    return value


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """``{"http": {"port": 8080}}`` → ``[("http.port", 8080)]``; lists of tables by index."""
    if isinstance(value, dict) and value:
        out: list[tuple[str, Any]] = []
        for key, item in value.items():
            out += flatten(item, f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        out = []
        for i, item in enumerate(value):
            out += flatten(item, f"{prefix}[{i}]")
        return out
    return [(prefix, value)]


def _postmortem_templates(settings: Settings) -> list[str]:
    """Configured postmortem templates that cannot be read or compiled (with their line)."""
    from commsbot.engines.documents import TemplateFile

    problems = []
    for setting in ("template", "html_template"):
        path = getattr(settings.postmortem, setting)
        if path is None:
            continue
        try:
            TemplateFile.read(path, setting=setting).check()
        except ConfigError as exc:
            problems.append(str(exc))
    return problems
