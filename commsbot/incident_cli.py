"""``commsbot incident edit`` and ``commsbot incident handoff``: an incident's own metadata.

Kept apart from ``commsbot/cli.py`` (which registers them) so that file stays readable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from commsbot.cli_support import ActorOpt, JsonOpt, actor_option, run_command

if TYPE_CHECKING:
    from commsbot.bootstrap import App

IncidentArg = Annotated[
    str, typer.Argument(metavar="INCIDENT", help="INC-42, 42 or the incident id.")
]


def register(incident_app: typer.Typer) -> None:
    """Add ``edit`` and ``handoff`` to ``commsbot incident``."""
    incident_app.command("edit")(incident_edit)
    incident_app.command("handoff")(incident_handoff)


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
    from commsbot.textviews import incident_line

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
