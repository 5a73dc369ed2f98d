"""The composition root: the only place that wires the store, the clock and the adapters.

Heavy imports (SQLAlchemy, platform SDKs) happen inside the functions here, so that
``commsbot --help`` and the pure core stay fast to import.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from commsbot.delivery.registry import BUILT_IN_TYPES, TargetTypes

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy.engine import Engine

    from commsbot.engines.subscribers import SubscriberSender
    from commsbot.http.context import HttpContext
    from commsbot.services.deps import Deps
    from commsbot.settings import Settings
    from commsbot.timing import Clock


@dataclass(frozen=True)
class PlatformCheck:
    """A chat platform as ``commsbot run`` would find it.

    Attributes:
        name: ``slack`` or ``discord``.
        starts: it would connect.
        summary: how (mode, command, API URL), or why not.
        problems: what would stop start-up.
    """

    name: str
    starts: bool
    summary: str
    problems: tuple[str, ...] = ()


def platform_commands() -> list[tuple[str, Any]]:
    """The CLI command groups platform adapters add (``commsbot discord …``, ``slack …``).

    Their modules import only Typer and pydantic, so ``commsbot --help`` stays fast.
    """
    from adapters.discord.cli import discord_app
    from adapters.slack.cli import slack_app

    return [("discord", discord_app), ("slack", slack_app)]


def platform_checks(
    settings: Settings, environ: Mapping[str, str], *, http_enabled: bool
) -> list[PlatformCheck]:
    """What ``commsbot run`` would check before starting each chat platform, without starting
    it (``commsbot config check``). Imports only the adapters' configuration modules."""
    from adapters.slack.config import SlackSecrets
    from adapters.slack.config import preflight as slack_preflight
    from commsbot.discord_config import preflight as discord_preflight

    slack = slack_preflight(
        settings.slack,
        configured="slack" in settings.model_fields_set,
        secrets=SlackSecrets.from_env(environ),
        http_enabled=http_enabled,
    )
    discord = discord_preflight(settings.discord, environ)
    return [
        PlatformCheck("slack", slack.starts, slack.summary, slack.problems),
        PlatformCheck("discord", discord.starts, discord.summary, discord.problems),
    ]


@dataclass(frozen=True)
class App:
    """A wired commsbot: the use cases' dependencies and the database they use.

    Attributes:
        deps: the use cases' dependencies.
        database_url: the database, as configured.
        engine: the database's connection pool.
        types: the destination and notifier types (the registry ``type =`` names).
    """

    deps: Deps
    database_url: str
    engine: Engine
    types: TargetTypes = BUILT_IN_TYPES

    @property
    def settings(self) -> Settings:
        return self.deps.settings

    @property
    def database_setting(self) -> str:
        """Where the database URL was set, for advice in messages."""
        if os.environ.get("COMMSBOT_DATABASE_URL") or not self.settings.database_url:
            return "COMMSBOT_DATABASE_URL"
        return "database_url in the configuration file"

    def diagnose(self, exc: BaseException) -> str | None:
        """The database problem behind ``exc`` as one sentence, or None when it is not one
        (the long-running loops say an outage once, not once per poll)."""
        from commsbot.store.health import explain

        found = explain(self.database_url, exc)
        return None if found is None else str(found)


def build(
    settings: Settings | None = None,
    *,
    config_path: Path | None = None,
    clock: Clock | None = None,
    migrate: bool = True,
    read_only: bool = False,
) -> App:
    """Load the configuration, open the database, apply migrations and sync components.

    Args:
        settings: already-loaded settings (else read from ``config_path`` / the environment).
        clock: the clock the use cases see (the demo replays a past day with its own).
        migrate: apply pending migrations first (``commsbot run`` and the CLI do).
        read_only: for a command that only reads: see :func:`open_database`.

    Raises:
        ConfigError: the configuration or the database URL is unusable.
        DatabaseUnavailable: the database cannot be reached or opened (the message says why).
    """
    app = prepare(settings, config_path=config_path, clock=clock)
    open_database(app, migrate=migrate, read_only=read_only)
    return app


def prepare(
    settings: Settings | None = None,
    *,
    config_path: Path | None = None,
    clock: Clock | None = None,
    types: TargetTypes = BUILT_IN_TYPES,
) -> App:
    """Wire commsbot without touching the database (``commsbot run`` starts before it is up).

    Args:
        types: the destination and notifier types the configuration may name.

    Raises:
        ConfigError: the configuration or the database URL is unusable.
    """
    from commsbot.services.deps import Deps
    from commsbot.settings import ConfigError, load_settings
    from commsbot.store.db import make_engine
    from commsbot.store.uow import unit_of_work_factory
    from commsbot.templates import TemplateRenderer
    from commsbot.timing import SystemClock

    settings = settings or load_settings(config_path, types=types)
    keys = subscription_keys(settings, os.environ)
    url = settings.db_url
    try:
        engine = make_engine(url)
    except ValueError as exc:
        raise ConfigError(f"database_url: {exc}") from None
    deps = Deps(
        uow=unit_of_work_factory(engine),
        reader=unit_of_work_factory(engine, read_only=True),
        settings=settings,
        renderer=TemplateRenderer(zone=settings.zone, folder=settings.templates_dir),
        clock=clock or SystemClock(),
        subscription_keys=keys,
    )
    return App(deps=deps, database_url=url, engine=engine, types=types)


def subscription_keys(settings: Settings, environ: Mapping[str, str]) -> Any:
    """The keys signing subscriber links, when subscriptions are on (else None).

    Raises:
        ConfigError: the secret's variable is unset or too short.
    """
    if not settings.subscriptions.enabled:
        return None
    from commsbot.settings import ConfigError
    from commsbot.subscriptions.config import MissingSecret, signing_secrets
    from commsbot.subscriptions.tokens import SubscriptionKeys

    config = settings.subscriptions
    try:
        return SubscriptionKeys(signing_secrets(config, environ), lifetimes=config.link_lifetimes)
    except MissingSecret as exc:
        raise ConfigError(str(exc)) from None


def subscriber_sender(
    app: App, *, environ: Mapping[str, str] | None = None, **options: Any
) -> SubscriberSender | None:
    """The engine that sends subscriber email and webhooks (None when subscriptions are off).

    Builds the SMTP sender (``adapters/email``) and, with ``[subscriptions.webhooks]`` on, the
    webhook subscriptions' sender (``adapters/webhook``); ``options`` go to the engine (tests).

    Raises:
        ConfigError: the SMTP password's variable is unset.
    """
    settings = app.settings
    config = settings.subscriptions
    if not config.enabled or config.smtp is None:
        return None
    from adapters.email.sender import SmtpSender
    from commsbot.engines.subscribers import SubscriberSender
    from commsbot.settings import ConfigError
    from commsbot.subscriptions.config import MissingSecret
    from commsbot.subscriptions.render import EmailRenderer, MailIdentity

    env = os.environ if environ is None else environ
    try:
        mail = SmtpSender.from_config(config.smtp, environ=env)
    except MissingSecret as exc:
        raise ConfigError(str(exc)) from None
    identity = MailIdentity(
        page_name=settings.page.name,
        page_url=settings.page.url,
        sender=config.smtp.sender,
        zone=settings.zone,
        reply_to=config.smtp.reply_to_address,
        unsubscribe_mailto=config.unsubscribe_mailto,
    )
    options.setdefault("lease_seconds", config.lease_seconds)
    if config.webhooks.enabled and "hooks" not in options:
        from adapters.webhook.subscriptions import SubscriptionHooks

        options["hooks"] = SubscriptionHooks(
            zone=settings.zone,
            timeout=config.webhooks.timeout_seconds,
            allow_private=config.webhooks.allow_private_addresses,
        )
    return SubscriberSender(
        app.deps,
        mail=mail,
        renderer=EmailRenderer(identity),
        diagnose=app.diagnose,
        **options,
    )


def http_context(app: App) -> HttpContext:
    """What the HTTP server's routes need: the use cases' dependencies, the status page kept
    current from the database, and what ``/readyz`` and ``/metrics`` read (on a connection
    pool of their own, closed when the server stops); the comms figures are recomputed when
    the status page's change marker says an update was published."""
    import logging

    from commsbot.engines.comms_figures import CommsFigures
    from commsbot.engines.outage import OutageLog
    from commsbot.engines.statuspage import PublicPages
    from commsbot.http.context import HttpContext
    from commsbot.services.postmortems import team_metrics
    from commsbot.services.statuspage import load_public_data
    from commsbot.store.db import make_engine
    from commsbot.store.operations import SqlOperations
    from commsbot.store.statuspage import sql_marker

    deps = app.deps
    engine = make_engine(app.database_url)
    zone = deps.settings.zone
    marker = sql_marker(engine, today=lambda: deps.clock.now().astimezone(zone).date())
    pages = PublicPages(
        load=lambda: load_public_data(deps),
        marker=marker,
        outage=OutageLog(
            logging.getLogger("commsbot.statuspage"),
            what="the status page",
            url=app.database_url,
            diagnose=app.diagnose,
        ),
    )
    comms = CommsFigures(
        load=lambda: team_metrics(deps),
        marker=marker,
        max_age=deps.settings.postmortem.metrics_max_age_seconds,
    )
    return HttpContext(
        deps=deps,
        operations=SqlOperations(engine),
        pages=pages,
        config=deps.settings.http,
        comms=comms,
        diagnose=app.diagnose,
    )


def open_database(app: App, *, migrate: bool = True, read_only: bool = False) -> None:
    """Check that the database answers, apply migrations and sync the configured components.

    With ``read_only`` (commands that only read: ``incident list``, ``incident show``…), a
    database already at this version's schema is used as it is, after one query, without
    importing Alembic or taking SQLite's write lock; a new or older one takes the full path
    below, as every writing command does, and one that cannot be used is named as below.

    Raises:
        DatabaseUnavailable: it cannot be reached or opened; nothing was changed.
    """
    from commsbot.store.health import explain

    where = app.database_setting
    if read_only:
        from commsbot.store.db import is_up_to_date

        try:
            if is_up_to_date(app.engine):
                return
        except Exception as exc:  # named at once: no second wait for a server that is down
            found = explain(app.database_url, exc, where=where)
            if found is not None:
                raise found from None
    from commsbot.domain.errors import ConcurrentChange
    from commsbot.services.components import sync_catalogue
    from commsbot.store.db import upgrade
    from commsbot.store.health import check_database

    check_database(app.engine, app.database_url, where=where)
    deps, settings = app.deps, app.settings
    try:
        if migrate:
            upgrade(app.engine)  # one transaction: a failure leaves the schema as it was
        for attempt in range(2):  # replicas starting together may race to add a component
            try:
                with deps.uow() as uow:
                    sync_catalogue(uow, settings, now=deps.clock.now())
                    uow.commit()
                break
            except ConcurrentChange:
                if attempt:
                    raise
    except Exception as exc:  # it answered the check, then went away
        found = explain(app.database_url, exc, where=where)
        if found is None:
            raise
        raise found from None
