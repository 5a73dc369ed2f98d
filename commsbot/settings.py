"""Configuration: ``commsbot.toml`` for everything but secrets, ``.env`` for secrets.

With no file at all the bot runs on defaults. A bad value stops start-up with a
:class:`ConfigError` that names the key, the value and what would be valid.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from commsbot.delivery.config import Destinations, Notifiers
from commsbot.delivery.registry import BUILT_IN_TYPES, TargetTypes
from commsbot.discord_config import DiscordConfig
from commsbot.domain.errors import InvalidInput
from commsbot.domain.model import ComponentStatus, Severity
from commsbot.domain.policy import ApprovalPolicy
from commsbot.domain.text import clean_text
from commsbot.http_config import HttpConfig
from commsbot.maintenance.config import MaintenanceConfig
from commsbot.postmortem.config import PostmortemConfig
from commsbot.reminders.config import RemindersConfig
from commsbot.runtime_config import LoggingConfig, RuntimeConfig
from commsbot.slack_config import SlackConfig
from commsbot.statuspage.config import PageConfig, public_name
from commsbot.subscriptions.config import SubscriptionsConfig

DEFAULT_CONFIG_FILE = "commsbot.toml"
DEFAULT_DATABASE_URL = "sqlite:///commsbot.db"


class ConfigError(Exception):
    """The configuration cannot be used. The message lists every problem found."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeverityConfig(_Section):
    """How a severity behaves: update cadence, default component impact, who approves.

    Attributes:
        cadence_minutes: the "next update by" a published update promises, in minutes; unset:
            no promise (sev4).
        default_impact: the status a component gets when an incident is declared without one.
        approvers: who may approve this severity's drafts; replaces ``[approval] approvers``.
    """

    cadence_minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)
    default_impact: ComponentStatus = ComponentStatus.MAJOR_OUTAGE
    approvers: list[str] | None = None

    @property
    def cadence(self) -> timedelta | None:
        return None if self.cadence_minutes is None else timedelta(minutes=self.cadence_minutes)


def _default_severities() -> dict[Severity, SeverityConfig]:
    return {
        Severity.SEV1: SeverityConfig(
            cadence_minutes=30, default_impact=ComponentStatus.MAJOR_OUTAGE
        ),
        Severity.SEV2: SeverityConfig(
            cadence_minutes=60, default_impact=ComponentStatus.PARTIAL_OUTAGE
        ),
        Severity.SEV3: SeverityConfig(
            cadence_minutes=120, default_impact=ComponentStatus.DEGRADED_PERFORMANCE
        ),
        Severity.SEV4: SeverityConfig(
            cadence_minutes=None, default_impact=ComponentStatus.DEGRADED_PERFORMANCE
        ),
    }


class ComponentConfig(_Section):
    """A component the public sees (``[[components]]``).

    Attributes:
        name: its public name, unique (case-insensitive).
        description: a line under the name on the status page.
        group: components with the same group are shown together.
    """

    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    group: str | None = None

    _name = field_validator("name", "group")(public_name)

    @field_validator("description")
    @classmethod
    def _public_text(cls, value: str) -> str:
        if not value:
            return value
        try:
            return clean_text(value, what="description", limit=10_000)
        except InvalidInput as exc:
            raise ValueError(str(exc)) from None


class ApprovalConfig(_Section):
    """Four eyes on the final text is the default; relaxing it is explicit.

    Attributes:
        allow_self_approval: true lets whoever last changed a draft approve it (no second
            person).
        approvers: who may approve; empty: anyone but the draft's last editor. Entries are
            names, ``slack:UID``, ``slack-group:SID``, ``discord:ID`` or ``discord-role:ID``.
        responders: who may declare, propose, edit and note; empty: anyone.
    """

    allow_self_approval: bool = False
    approvers: list[str] = Field(default_factory=list)
    responders: list[str] = Field(default_factory=list)


class Settings(_Section):
    """Everything in ``commsbot.toml``. Every field has a default.

    Attributes:
        timezone: IANA time zone of the times in drafts ("3:16 PM PST") and of business days.
        database_url: ``sqlite:///PATH`` or ``postgresql://USER@HOST:PORT/DB``; default SQLite
            in the working folder. ``$COMMSBOT_DATABASE_URL`` overrides it; put a URL with a
            password there (in .env), not here.
        templates_dir: a folder whose ``*.md.j2`` files replace the built-in wording.
        page: the ``[page]`` table.
        components: the public components; with none, they are created on first use.
        severities: per severity (``[severities.sev1]`` …): cadence, default impact,
            approvers. A table changes only the keys it names; the others, and the severities
            without a table, keep their defaults.
        approval: the ``[approval]`` table.
        destinations: where published updates go (``[[destinations]]``); with none, the
            console.
        notifiers: where internal notices go (``[[notifiers]]``): approval requests,
            decisions, reminders, dead deliveries; with none, the console.
        http: the ``[http]`` table.
        reminders: the ``[reminders]`` table.
        postmortem: the ``[postmortem]`` table: the team's own document templates.
        maintenance: the ``[maintenance]`` table (scheduled maintenance).
        slack: the ``[slack]`` table.
        discord: the ``[discord]`` table.
        runtime: the ``[runtime]`` table.
        logging: the ``[logging]`` table.
        subscriptions: the ``[subscriptions]`` table (and its ``smtp`` and ``webhooks``):
            people subscribe to updates by email or webhook on the status page.
    """

    timezone: str = "UTC"
    database_url: str | None = None
    templates_dir: Path | None = None
    page: PageConfig = Field(default_factory=PageConfig)
    components: list[ComponentConfig] = Field(default_factory=list)
    severities: dict[Severity, SeverityConfig] = Field(default_factory=_default_severities)
    approval: ApprovalConfig = Field(default_factory=ApprovalConfig)
    # [[destinations]] / [[notifiers]]: the broadcast engine's targets (commsbot/delivery).
    destinations: Destinations = Field(default_factory=list)
    notifiers: Notifiers = Field(default_factory=list)
    http: HttpConfig = Field(default_factory=HttpConfig)
    reminders: RemindersConfig = Field(default_factory=RemindersConfig)
    postmortem: PostmortemConfig = Field(default_factory=PostmortemConfig)
    maintenance: MaintenanceConfig = Field(default_factory=MaintenanceConfig)
    slack: SlackConfig = Field(default_factory=SlackConfig)
    # [discord]: the gateway for /incident and buttons (commsbot/discord_config.py, pydantic only).
    discord: DiscordConfig | None = None
    # [runtime] / [logging]: how `commsbot run` stops and what it logs (runtime_config.py).
    runtime: RuntimeConfig = Field(default_factory=RuntimeConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    subscriptions: SubscriptionsConfig = Field(default_factory=SubscriptionsConfig)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                "unknown time zone; use an IANA name such as UTC, Europe/London or "
                "America/Los_Angeles"
            ) from None
        return value

    @field_validator("templates_dir")
    @classmethod
    def _folder_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError("not a folder; create it or remove the setting")
        if value is not None:
            from commsbot.templates import check_templates

            problems = check_templates(value)
            if problems:
                raise ValueError(
                    "; ".join(problems) + " — fix the template, or remove it to use the built-in "
                    "wording"
                )
        return value

    @field_validator("severities", mode="before")
    @classmethod
    def _over_the_defaults(cls, value: Any) -> Any:
        # [severities.sev1] with only approvers keeps sev1's cadence and impact: each table
        # changes the keys it names, over that severity's defaults.
        if not isinstance(value, Mapping):
            return value
        defaults = _default_severities()
        merged: dict[Any, Any] = {}
        for key, given in value.items():
            try:
                default = defaults[Severity(key)]
            except ValueError:
                merged[key] = given  # an unknown severity: refused by the validation
                continue
            if isinstance(given, Mapping):
                given = {**default.model_dump(exclude_none=True), **given}
            merged[key] = given
        return merged

    @field_validator("severities")
    @classmethod
    def _all_severities(
        cls, value: dict[Severity, SeverityConfig]
    ) -> dict[Severity, SeverityConfig]:
        # Severities without a table of their own keep their defaults.
        return {**_default_severities(), **value}

    @field_validator("components")
    @classmethod
    def _unique_components(cls, value: list[ComponentConfig]) -> list[ComponentConfig]:
        seen: set[str] = set()
        for comp in value:
            key = comp.name.casefold()
            if key in seen:
                raise ValueError(f"component {comp.name!r} is listed twice")
            seen.add(key)
        return value

    @property
    def db_url(self) -> str:
        """The database to use: ``database_url``, or SQLite in the working folder."""
        return self.database_url or DEFAULT_DATABASE_URL

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def cadence(self, severity: Severity) -> timedelta | None:
        return self.severities[severity].cadence

    def policy(self) -> ApprovalPolicy:
        """The approval policy this configuration describes."""
        return ApprovalPolicy(
            allow_self_approval=self.approval.allow_self_approval,
            approvers=frozenset(self.approval.approvers),
            approvers_by_severity={
                sev: frozenset(cfg.approvers)
                for sev, cfg in self.severities.items()
                if cfg.approvers is not None
            },
            responders=frozenset(self.approval.responders),
        )


def load_settings(
    path: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    dotenv: bool = True,
    types: TargetTypes = BUILT_IN_TYPES,
) -> Settings:
    """Read the configuration.

    ``types`` are the destination and notifier types ``type =`` may name.
    The file is ``path``, else ``$COMMSBOT_CONFIG``, else ``./commsbot.toml`` if it exists, else
    none. ``$COMMSBOT_DATABASE_URL`` overrides ``database_url`` and ``$COMMSBOT_HTTP_HOST``
    ``[http] host``. A ``.env`` in the working folder is loaded first (without overriding
    variables already set).

    Raises:
        ConfigError: the file is missing, unreadable, not TOML, or holds bad values.
    """
    if dotenv and environ is None:
        from dotenv import load_dotenv

        load_dotenv(Path.cwd() / ".env", override=False)
    env = os.environ if environ is None else environ
    explicit = path or (Path(env["COMMSBOT_CONFIG"]) if env.get("COMMSBOT_CONFIG") else None)
    source = explicit or Path(DEFAULT_CONFIG_FILE)
    data: dict[str, Any] = {}
    if explicit is not None and not explicit.is_file():
        # Name where the path came from: advice to unset a variable nobody set misleads.
        given = "drop --config" if path is not None else "unset COMMSBOT_CONFIG"
        problem = "is a folder, not a file" if explicit.is_dir() else "does not exist"
        raise ConfigError(
            f"configuration file {explicit} {problem}; give a TOML file (see the README's "
            f"configuration reference), or {given} to run on defaults"
        )
    if source.is_file():
        try:
            data = tomllib.loads(source.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read {source}: {exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{source} is not valid TOML: {exc}") from exc
    if env.get("COMMSBOT_DATABASE_URL"):
        data["database_url"] = env["COMMSBOT_DATABASE_URL"]
    if env.get("COMMSBOT_HTTP_HOST") and isinstance(data.get("http", {}), dict):
        # A container listens on 0.0.0.0 whatever the mounted file says (the image sets it).
        data["http"] = {**data.get("http", {}), "host": env["COMMSBOT_HTTP_HOST"]}
    return parse_settings(data, source=str(source), types=types)


def parse_settings(
    data: Mapping[str, Any],
    *,
    source: str = DEFAULT_CONFIG_FILE,
    types: TargetTypes = BUILT_IN_TYPES,
) -> Settings:
    """Validate a configuration mapping; raises :class:`ConfigError` listing every problem.

    ``types`` are the destination and notifier types ``type =`` may name.
    """
    try:
        return Settings.model_validate(dict(data), context={"target_types": types})
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from None


def _describe(exc: ValidationError, source: str) -> str:
    lines = [f"{source}: {exc.error_count()} bad setting(s):"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"] if p != "[key]") or "(top level)"
        if err["type"] == "extra_forbidden":
            lines.append(f"  {key}: unknown key; check its spelling against the README")
            continue
        value = err.get("input")
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "enum":
            expected = err.get("ctx", {}).get("expected", "")
            message = f"must be one of {expected}"
        if err["type"] == "string_pattern_mismatch":
            pattern = err.get("ctx", {}).get("pattern", "")
            message = _PATTERN_WORDS.get(pattern, message)
        if err["type"].startswith("time_"):
            message = f'{message}; write a time of day as HH:MM (24-hour), e.g. "17:00"'
        lines.append(f"  {key} = {value!r}: {message}")
    return "\n".join(lines)


#: What the configuration's patterns ask for, in words a person can act on.
_PATTERN_WORDS = {
    r"^https?://[^\s]+$": "must be an http:// or https:// URL (without spaces)",
    r"^[A-Za-z_][A-Za-z0-9_]*$": (
        "must be the name of an environment variable: letters, digits and _, not starting "
        "with a digit"
    ),
    r"^[A-Z_][A-Z0-9_]*$": (
        "must be the name of an environment variable: capital letters, digits and _, not "
        "starting with a digit"
    ),
}


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, for logs and output."""
    head, sep, tail = url.rpartition("@")
    if not sep:
        return url
    scheme, slashes, creds = head.partition("//")
    user, colon, _ = creds.partition(":")
    return f"{scheme}{slashes}{user}{':***' if colon else ''}@{tail}"
