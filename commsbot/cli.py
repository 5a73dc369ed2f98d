"""The ``commsbot`` command: every use case, usable when every chat platform is down.

Each command takes ``--json`` and then prints exactly one JSON object on stdout. A refusal exits
1 with a one-line ``error: …`` on stderr (and ``{"error": {"code", "message"}}`` on stdout with
``--json``) and changes nothing; a configuration problem exits 3.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from commsbot import __version__
from commsbot.bootstrap import platform_commands
from commsbot.cli_support import (
    EXIT_CONFIG,
    EXIT_REFUSED,
    ActorOpt,
    JsonOpt,
    actor_option,
    draft_human,
    fail,
    run_command,
    state,
)
from commsbot.configure.cli import config_app
from commsbot.configure.cli import init as init_command
from commsbot.delivery.cli import register as register_delivery_commands
from commsbot.http.token_cli import token_app
from commsbot.incident_cli import register as register_incident_edits
from commsbot.reminders.cli import followup_app, reminder_app
from commsbot.statuspage.cli import statuspage_app

if TYPE_CHECKING:
    from commsbot.bootstrap import App


app = typer.Typer(
    help="commsbot: incident updates, drafted, approved by a second person, broadcast once.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
incident_app = typer.Typer(
    help="Declare, list, show, edit and hand off incidents.", no_args_is_help=True
)
update_app = typer.Typer(
    help="Propose, edit, approve and reject public updates.", no_args_is_help=True
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(incident_app, name="incident")
app.add_typer(update_app, name="update")
app.add_typer(db_app, name="db")
app.add_typer(reminder_app, name="reminder")
app.add_typer(followup_app, name="followup")
app.add_typer(token_app, name="token")
app.add_typer(statuspage_app, name="statuspage")
app.add_typer(config_app, name="config")
app.command("init")(init_command)
for _name, _group in platform_commands():
    app.add_typer(_group, name=_name)


ComponentOpt = Annotated[
    list[str] | None,
    typer.Option("--component", "-c", metavar="NAME=STATUS", help="Component change (repeatable)."),
]
NextUpdateOpt = Annotated[
    str | None,
    typer.Option(
        "--next-update",
        metavar="WHEN",
        help="When the update promises the next one: 45m, 1h30m, 16:30 (local) or an ISO time "
        "with offset (default: now + the severity's cadence).",
    ),
]


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


# --- incident ------------------------------------------------------------------------------


@incident_app.command("declare")
def incident_declare(
    title: Annotated[str, typer.Argument(metavar="TITLE", help="The incident's public name.")],
    severity: Annotated[
        str, typer.Option("--severity", "-s", metavar="SEV", help="sev1, sev2, sev3 or sev4.")
    ] = "sev2",
    component: Annotated[
        list[str] | None,
        typer.Option(
            "--component", "-c", metavar="NAME[=STATUS]", help="Affected component (repeatable)."
        ),
    ] = None,
    body: Annotated[
        str | None, typer.Option(help="Acknowledgment text (default: template).")
    ] = None,
    next_update: NextUpdateOpt = None,
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Declare an incident: it starts investigating, with an acknowledgment drafted."""
    from commsbot.domain.model import Severity, parse_choice, parse_component_changes
    from commsbot.services.incidents import declare
    from commsbot.textviews import components_block, draft_block, incident_line

    def action(wired: App) -> Any:
        sev = parse_choice(Severity, severity, what="severity")
        parsed = _component_impacts(component or [], parse_component_changes)
        return declare(
            wired.deps,
            title=title,
            severity=sev,
            components=parsed,
            actor=actor_option(actor),
            body=body,
            next_update=next_update,
        )

    def human(r: Any, wired: App) -> str:
        zone = wired.settings.zone
        return "\n".join(
            [
                f"Declared {incident_line(r.incident, zone)}",
                *components_block(r.incident),
                "",
                "Acknowledgment drafted; it leaves when someone else approves it:",
                *draft_block(r.draft, zone),
                "",
                f"  commsbot update approve {r.draft.id} --as <approver>",
            ]
        )

    run_command(as_json, action, human)


def _component_impacts(raw: list[str], parse: Callable[..., Any]) -> dict[str, Any]:
    impacts: dict[str, Any] = {}
    for item in raw:
        if "=" in item:
            impacts.update(parse([item]))
        else:
            impacts[item.strip()] = None
    return impacts


@incident_app.command("list")
def incident_list(
    open_only: Annotated[bool, typer.Option("--open", help="Only unrecovered incidents.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List incidents, newest first."""
    from commsbot.services.incidents import list_incidents
    from commsbot.textviews import incident_line

    run_command(
        as_json,
        lambda w: list_incidents(w.deps, open_only=open_only),
        lambda snaps, w: (
            "\n".join(incident_line(s, w.settings.zone) for s in snaps) or "No incidents."
        ),
        lambda snaps: {"incidents": [s.as_dict() for s in snaps]},
    )


@incident_app.command("show")
def incident_show(
    incident: Annotated[
        str, typer.Argument(metavar="INCIDENT", help="INC-42, 42 or the incident id.")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Show status, components, published updates, pending drafts and the timeline."""
    from commsbot.services.incidents import show_incident
    from commsbot.textviews import detail_text

    run_command(
        as_json,
        lambda wired: show_incident(wired.deps, incident_ref=incident),
        lambda r, wired: detail_text(r, wired.settings.zone),
    )


@incident_app.command("note")
def incident_note(
    incident: Annotated[
        str, typer.Argument(metavar="INCIDENT", help="INC-42, 42 or the incident id.")
    ],
    text: Annotated[
        str, typer.Argument(metavar="TEXT", help="The note (internal, never published).")
    ],
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add an internal note to the incident's timeline."""
    from commsbot.services.incidents import add_note
    from commsbot.services.views import timeline_dict

    run_command(
        as_json,
        lambda w: add_note(w.deps, incident_ref=incident, text=text, actor=actor_option(actor)),
        lambda r, w: f"Noted on {incident}.",
        lambda r: {"note": timeline_dict(r)},
    )


# --- update --------------------------------------------------------------------------------


@update_app.command("propose")
def update_propose(
    incident: Annotated[
        str, typer.Argument(metavar="INCIDENT", help="INC-42, 42 or the incident id.")
    ],
    status: Annotated[
        str,
        typer.Option(
            metavar="STATUS",
            help="investigating, identified, fixing or recovered (default: unchanged).",
        ),
    ] = "",
    body: Annotated[str | None, typer.Option(help="The text (default: template).")] = None,
    component: ComponentOpt = None,
    reason: Annotated[str | None, typer.Option(help="Why (required to reopen).")] = None,
    postmortem: Annotated[
        bool, typer.Option("--postmortem", help="This is the root-cause analysis.")
    ] = False,
    next_update: NextUpdateOpt = None,
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Draft a public update; it is published when someone else approves it."""
    from commsbot.domain.lifecycle import Status
    from commsbot.domain.model import parse_choice, parse_component_changes
    from commsbot.services.drafts import propose_update

    def action(wired: App) -> Any:
        if not status:
            current = _current_status(wired, incident)
            target = Status.RECOVERED if postmortem else current
        else:
            target = parse_choice(Status, status, what="status")
        return propose_update(
            wired.deps,
            incident_ref=incident,
            status=target,
            actor=actor_option(actor),
            body=body,
            component_changes=parse_component_changes(component or []),
            reason=reason,
            postmortem=postmortem,
            next_update=next_update,
        )

    run_command(as_json, action, draft_human("Drafted"))


def _current_status(wired: App, ref: str) -> Any:
    from commsbot.services.incidents import show_incident

    return show_incident(wired.deps, incident_ref=ref).incident.incident.status


@update_app.command("edit")
def update_edit(
    draft: Annotated[str, typer.Argument(metavar="DRAFT", help="The draft id.")],
    body: Annotated[str | None, typer.Option(help="New text.")] = None,
    status: Annotated[str | None, typer.Option(help="New target status.")] = None,
    component: ComponentOpt = None,
    reason: Annotated[str | None, typer.Option(help="New reason.")] = None,
    next_update: NextUpdateOpt = None,
    version: Annotated[int | None, typer.Option(help="The version you are editing.")] = None,
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Edit a pending draft (any approval of its older version becomes stale).

    Whoever changes its text, status, components or next update time may not approve it.
    """
    from commsbot.domain.lifecycle import Status
    from commsbot.domain.model import parse_choice, parse_component_changes
    from commsbot.services.drafts import edit_draft

    def action(wired: App) -> Any:
        return edit_draft(
            wired.deps,
            draft_id=draft,
            actor=actor_option(actor),
            body=body,
            status=parse_choice(Status, status, what="status") if status else None,
            component_changes=parse_component_changes(component) if component else None,
            reason=reason,
            version=version,
            next_update=next_update,
        )

    run_command(as_json, action, draft_human("Edited"))


@update_app.command("approve")
def update_approve(
    draft: Annotated[str, typer.Argument(metavar="DRAFT", help="The draft id.")],
    version: Annotated[
        int | None, typer.Option(help="The version you read (refused if it changed since).")
    ] = None,
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Approve a draft, which publishes it (status and components change together)."""
    from commsbot.services.drafts import approve_draft
    from commsbot.textviews import components_block, incident_line, update_block

    def human(r: Any, wired: App) -> str:
        zone = wired.settings.zone
        return "\n".join(
            [
                f"Published: {incident_line(r.incident, zone)}",
                *components_block(r.incident),
                *update_block(r.update, zone),
            ]
        )

    run_command(
        as_json,
        lambda w: approve_draft(w.deps, draft_id=draft, actor=actor_option(actor), version=version),
        human,
    )


@update_app.command("reject")
def update_reject(
    draft: Annotated[str, typer.Argument(metavar="DRAFT", help="The draft id.")],
    reason: Annotated[str, typer.Option(help="Why it should not go out.")] = "",
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reject a draft with a reason (its author may withdraw it the same way)."""
    from commsbot.services.drafts import reject_draft

    run_command(
        as_json,
        lambda w: reject_draft(w.deps, draft_id=draft, actor=actor_option(actor), reason=reason),
        draft_human("Rejected"),
    )


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
def run() -> None:
    """Run the bot: store, delivery of published updates, and every configured surface."""
    from commsbot.domain.errors import CommsbotError
    from commsbot.runtime import serve
    from commsbot.settings import ConfigError
    from commsbot.store.health import DatabaseUnavailable

    try:
        serve(config_path=state["config"])
    except ConfigError as exc:
        fail(EXIT_CONFIG, "config_error", str(exc), False)
    except DatabaseUnavailable as exc:  # SQLite only: a PostgreSQL that is down is waited for
        fail(EXIT_CONFIG, exc.code, str(exc), False)
    except CommsbotError as exc:
        fail(EXIT_REFUSED, exc.code, str(exc), False)


@app.command("demo")
def demo(
    as_json: JsonOpt = False,
) -> None:
    """Replay the 11 December 2024 ChatGPT/API/Sora outage on a throwaway database."""
    from commsbot.demo import replay

    replay(as_json=as_json, out=sys.stdout)


# `commsbot delivery list|retry` and `commsbot update correct` (commsbot/delivery/cli.py).
register_delivery_commands(app, update_app)
# `commsbot incident edit|handoff` (commsbot/incident_cli.py).
register_incident_edits(incident_app)


def main() -> None:
    """Console-script entry point."""
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app(prog_name="commsbot")
