"""``commsbot reminder …`` and ``commsbot followup …``.

Registered in :mod:`commsbot.cli`; light to import (Typer only), like the rest of the CLI. Output
and exit codes follow the CLI's conventions (``--json`` prints one object; a refusal exits 1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from commsbot.cli.support import ActorOpt, JsonOpt, actor_option, run_command

if TYPE_CHECKING:
    from commsbot.bootstrap import App

reminder_app = typer.Typer(
    help="List, snooze and cancel reminders (next update due, approvals, root-cause analysis).",
    no_args_is_help=True,
)
followup_app = typer.Typer(
    help="Follow-up actions: their owner is reminded from the due date until done.",
    no_args_is_help=True,
)

IncidentArg = Annotated[
    str | None,
    typer.Argument(metavar="[INCIDENT]", help="Only this incident (INC-42, 42 or its id)."),
]


def _lines(key: str, empty: str) -> tuple[Any, Any]:
    from commsbot.reminders.render import views_dict

    def human(views: Any, wired: App) -> str:
        return "\n".join(v.line(wired.settings.zone) for v in views) or empty

    return human, lambda views: views_dict(key, views)


def _one(verb: str) -> Any:
    def human(view: Any, wired: App) -> str:
        return f"{verb} {view.line(wired.settings.zone)}"

    return human


# --- reminder ------------------------------------------------------------------------------


@reminder_app.command("list")
def reminder_list(
    incident: IncidentArg = None,
    include_closed: Annotated[
        bool, typer.Option("--all", help="Also done and cancelled reminders.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """List reminders, soonest due first (pending and fired ones unless --all)."""
    from commsbot.services.reminders import list_reminders

    human, to_json = _lines("reminders", "No reminders.")
    run_command(
        as_json,
        lambda w: list_reminders(w.deps, incident_ref=incident, include_closed=include_closed),
        human,
        to_json,
        reads_only=True,
    )


@reminder_app.command("snooze")
def reminder_snooze(
    reminder: Annotated[str, typer.Argument(metavar="ID", help="The reminder id.")],
    duration: Annotated[
        str, typer.Option("--for", metavar="DURATION", help="30m, 2h, 1h30m, 1d …")
    ] = "30m",
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Remind again after DURATION (a reminder that already fired is re-armed)."""
    from commsbot.reminders.model import parse_duration
    from commsbot.services.reminders import snooze_reminder

    run_command(
        as_json,
        lambda w: snooze_reminder(
            w.deps,
            reminder_id=reminder,
            duration=parse_duration(duration),
            actor=actor_option(actor),
        ),
        _one("Snoozed"),
    )


@reminder_app.command("cancel")
def reminder_cancel(
    reminder: Annotated[str, typer.Argument(metavar="ID", help="The reminder id.")],
    reason: Annotated[str | None, typer.Option(help="Why (kept on the timeline).")] = None,
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Cancel a reminder: it never fires again."""
    from commsbot.services.reminders import cancel_reminder

    run_command(
        as_json,
        lambda w: cancel_reminder(
            w.deps, reminder_id=reminder, actor=actor_option(actor), reason=reason
        ),
        _one("Cancelled"),
    )


# --- followup ------------------------------------------------------------------------------


@followup_app.command("add")
def followup_add(
    incident: Annotated[str, typer.Argument(metavar="INCIDENT", help="INC-42, 42 or its id.")],
    text: Annotated[str, typer.Argument(metavar="TEXT", help="What is to be done.")],
    owner: Annotated[str, typer.Option(metavar="ACTOR", help="Who owns it (is reminded).")],
    due: Annotated[
        str,
        typer.Option(
            metavar="DATE",
            help="2024-12-13 (start of business that day), 2024-12-13T15:00, today, 3d, 3bd.",
        ),
    ],
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a follow-up; OWNER is reminded on the due date, then each business day, until done."""
    from commsbot.services.reminders import add_followup

    run_command(
        as_json,
        lambda w: add_followup(
            w.deps,
            incident_ref=incident,
            owner=owner,
            due=due,
            text=text,
            actor=actor_option(actor),
        ),
        _one("Follow-up"),
    )


@followup_app.command("list")
def followup_list(
    incident: IncidentArg = None,
    include_done: Annotated[
        bool, typer.Option("--all", help="Also done and cancelled follow-ups.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """List follow-ups, soonest due first (open ones unless --all)."""
    from commsbot.services.reminders import list_followups

    human, to_json = _lines("followups", "No follow-ups.")
    run_command(
        as_json,
        lambda w: list_followups(w.deps, incident_ref=incident, include_done=include_done),
        human,
        to_json,
        reads_only=True,
    )


@followup_app.command("done")
def followup_done(
    followup: Annotated[str, typer.Argument(metavar="ID", help="The follow-up id.")],
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Mark a follow-up done: its reminders stop."""
    from commsbot.services.reminders import complete_followup

    run_command(
        as_json,
        lambda w: complete_followup(w.deps, followup_id=followup, actor=actor_option(actor)),
        _one("Done:"),
    )
