"""``commsbot incident declare|list|show|note|edit|handoff``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from commsbot.cli.support import ActorOpt, JsonOpt, NextUpdateOpt, actor_option, run_command

if TYPE_CHECKING:
    from commsbot.bootstrap import App

IncidentArg = Annotated[
    str, typer.Argument(metavar="INCIDENT", help="INC-42, 42 or the incident id.")
]


incident_app = typer.Typer(
    help="Declare, list, show, edit and hand off incidents.", no_args_is_help=True
)


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
    from commsbot.render import components_block, draft_block, incident_line
    from commsbot.services.incidents import declare

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
    from commsbot.render import incident_line
    from commsbot.services.incidents import list_incidents

    run_command(
        as_json,
        lambda w: list_incidents(w.deps, open_only=open_only),
        lambda snaps, w: (
            "\n".join(incident_line(s, w.settings.zone) for s in snaps) or "No incidents."
        ),
        lambda snaps: {"incidents": [s.as_dict() for s in snaps]},
        reads_only=True,
    )


@incident_app.command("show")
def incident_show(
    incident: Annotated[
        str, typer.Argument(metavar="INCIDENT", help="INC-42, 42 or the incident id.")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Show status, components, published updates, pending drafts and the timeline."""
    from commsbot.render import detail_text
    from commsbot.services.incidents import show_incident

    run_command(
        as_json,
        lambda wired: show_incident(wired.deps, incident_ref=incident),
        lambda r, wired: detail_text(r, wired.settings.zone),
        reads_only=True,
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
    from commsbot.services.results import timeline_dict

    run_command(
        as_json,
        lambda w: add_note(w.deps, incident_ref=incident, text=text, actor=actor_option(actor)),
        lambda r, w: f"Noted on {incident}.",
        lambda r: {"note": timeline_dict(r)},
    )


@incident_app.command("edit")
def incident_edit(
    incident: IncidentArg,
    title: Annotated[
        str | None, typer.Option(metavar="TITLE", help="New title (public with the next update).")
    ] = None,
    severity: Annotated[
        str | None,
        typer.Option("--severity", "-s", metavar="SEV", help="New severity: sev1 … sev4."),
    ] = None,
    commander: Annotated[
        str | None, typer.Option(metavar="ACTOR", help="New incident commander (a handoff).")
    ] = None,
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change an incident's title, severity or commander; each change goes on the timeline."""

    def action(wired: App) -> Any:
        from commsbot.domain.model import Severity, parse_choice
        from commsbot.services.incidents import edit_incident

        return edit_incident(
            wired.deps,
            incident_ref=incident,
            actor=actor_option(actor),
            title=title,
            severity=parse_choice(Severity, severity, what="severity") if severity else None,
            commander=commander,
        )

    run_command(as_json, action, _human)


@incident_app.command("handoff")
def incident_handoff(
    incident: IncidentArg,
    to: Annotated[str, typer.Option("--to", metavar="ACTOR", help="Who takes over as commander.")],
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Hand the incident over to a new commander (their reminders follow)."""

    def action(wired: App) -> Any:
        from commsbot.services.incidents import edit_incident

        return edit_incident(
            wired.deps, incident_ref=incident, actor=actor_option(actor), commander=to
        )

    run_command(as_json, action, _human)


def _human(result: Any, wired: App) -> str:
    from commsbot.render import incident_line

    i = result.incident.incident
    lines = [
        f"Changed {i.ref} ({', '.join(result.changed)}):",
        f"  {incident_line(result.incident, wired.settings.zone)}",
    ]
    if i.public_title is not None and i.public_title != i.title:
        lines.append(
            f"  The status page shows {i.public_title!r} until the next update is published."
        )
    return "\n".join(lines)
