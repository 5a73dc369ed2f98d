"""The ``commsbot`` command: every use case, usable when every chat platform is down.

This module makes the root command and adds each feature's group (one module per feature in
this package: ``incidents``, ``updates``, ``deliveries``, ``reminders``, ``statuspage``,
``tokens``, ``config``); every command runs through :func:`commsbot.cli.support.run_command`.

Each command takes ``--json`` and then prints exactly one JSON object on stdout. A refusal exits
1 with a one-line ``error: …`` on stderr (and ``{"error": {"code", "message"}}`` on stdout with
``--json``) and changes nothing; a configuration problem exits 3.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from commsbot import __version__
from commsbot.bootstrap import platform_commands
from commsbot.cli.config import config_app
from commsbot.cli.config import init as init_command
from commsbot.cli.deliveries import delivery_app
from commsbot.cli.incidents import incident_app
from commsbot.cli.maintenance import maintenance_app
from commsbot.cli.postmortem import postmortem as postmortem_command
from commsbot.cli.postmortem import report as report_command
from commsbot.cli.reminders import followup_app, reminder_app
from commsbot.cli.statuspage import statuspage_app
from commsbot.cli.subscribers import subscribers_app
from commsbot.cli.support import EXIT_CONFIG, EXIT_REFUSED, JsonOpt, fail, run_command, state
from commsbot.cli.tokens import token_app
from commsbot.cli.updates import update_app
from commsbot.runtime_config import LogFormat, LogLevel

if TYPE_CHECKING:
    pass


app = typer.Typer(
    help="commsbot: incident updates, drafted, approved by a second person, broadcast once.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(incident_app, name="incident")
app.add_typer(update_app, name="update")
app.add_typer(maintenance_app, name="maintenance")
app.add_typer(db_app, name="db")
app.add_typer(reminder_app, name="reminder")
app.add_typer(followup_app, name="followup")
app.add_typer(token_app, name="token")
app.add_typer(statuspage_app, name="statuspage")
app.add_typer(config_app, name="config")
app.add_typer(subscribers_app, name="subscribers")
app.command("init")(init_command)
app.command("postmortem")(postmortem_command)
app.command("report")(report_command)
for _name, _group in platform_commands():
    app.add_typer(_group, name=_name)


def _print_version(value: bool) -> None:
    # Eager: runs while the options are parsed, before Click asks for a command.
    if value:
        typer.echo(f"commsbot {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    config: Annotated[
        Path | None,
        typer.Option("--config", envvar="COMMSBOT_CONFIG", help="Path of commsbot.toml."),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    state["config"] = config


# --- db, run, demo -------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(as_json: JsonOpt = False) -> None:
    """Apply pending database migrations (also done on every start)."""
    from commsbot.settings import redact_url
    from commsbot.store.db import current_revision

    run_command(
        as_json,
        lambda w: {
            "database": redact_url(w.database_url),
            "revision": current_revision(w.database_url),
        },
        lambda r, w: f"Database {r['database']} is at revision {r['revision']}.",
        lambda r: r,
    )


@app.command("run")
def run(
    log_format: Annotated[
        LogFormat | None,
        typer.Option(
            "--log-format",
            help="text (readable lines) or json (one JSON object per line); "
            "default: [logging] format.",
        ),
    ] = None,
    log_level: Annotated[
        LogLevel | None,
        typer.Option(
            "--log-level", help="debug, info, warning or error; default: [logging] level."
        ),
    ] = None,
) -> None:
    """Run the bot: store, delivery of published updates, and every configured surface.
    SIGTERM or SIGINT stops it within [runtime] shutdown_grace_seconds, exit code 0."""
    from commsbot.domain.errors import CommsbotError
    from commsbot.runtime import serve
    from commsbot.settings import ConfigError
    from commsbot.store.health import DatabaseUnavailable

    try:
        serve(config_path=state["config"], log_format=log_format, log_level=log_level)
    except ConfigError as exc:
        fail(EXIT_CONFIG, "config_error", str(exc), False)
    except DatabaseUnavailable as exc:  # SQLite only: a PostgreSQL that is down is waited for
        fail(EXIT_CONFIG, exc.code, str(exc), False)
    except CommsbotError as exc:
        fail(EXIT_REFUSED, exc.code, str(exc), False)


@app.command("demo")
def demo(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            metavar="DIR",
            help="Where the incident's postmortem is written at the end (made if missing).",
        ),
    ] = Path("commsbot-demo-postmortem"),
    as_json: JsonOpt = False,
) -> None:
    """Replay the 11 December 2024 ChatGPT/API/Sora outage on a throwaway database, then
    write its postmortem (Markdown, SVG chart, HTML) into ./commsbot-demo-postmortem."""
    from commsbot.demo import replay
    from commsbot.domain.errors import CommsbotError

    try:
        replay(as_json=as_json, out=sys.stdout, postmortem_dir=out)
    except CommsbotError as exc:
        fail(EXIT_REFUSED, exc.code, str(exc), as_json, field=exc.field)


app.add_typer(delivery_app, name="delivery")


def main() -> None:
    """Console-script entry point."""
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app(prog_name="commsbot")
