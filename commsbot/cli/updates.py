"""``commsbot update propose|edit|approve|reject|correct``: public updates and their drafts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from commsbot.cli.support import (
    ActorOpt,
    ComponentOpt,
    JsonOpt,
    NextUpdateOpt,
    actor_option,
    draft_human,
    run_command,
)

if TYPE_CHECKING:
    from commsbot.bootstrap import App

update_app = typer.Typer(
    help="Propose, edit, approve and reject public updates.", no_args_is_help=True
)

DocumentOpt = Annotated[
    Path | None,
    typer.Option(
        "--publish-document",
        metavar="FILE",
        help="The public part of the postmortem (Markdown, UTF-8): approved with the update, "
        "then linked from the status page. Postmortem updates only.",
    ),
]


def read_document(path: Path | None) -> str | None:
    """The text of ``--publish-document FILE`` (None without one).

    Raises:
        InvalidInput: the file cannot be read, or is not UTF-8 (field ``publish_document``).
    """
    from commsbot.domain.errors import InvalidInput

    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"--publish-document {path} is not UTF-8 text (byte {exc.start + 1}); save it as "
            "UTF-8 Markdown",
            field="publish_document",
        ) from None
    except OSError as exc:
        raise InvalidInput(
            f"cannot read --publish-document {path}: {exc.strerror or exc}; give a readable "
            "Markdown file",
            field="publish_document",
        ) from None


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
    publish_document: DocumentOpt = None,
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Draft a public update; it is published when someone else approves it."""
    from commsbot.domain.lifecycle import Status
    from commsbot.domain.model import parse_choice, parse_component_changes
    from commsbot.services.drafts import propose_update

    def action(wired: App) -> Any:
        return propose_update(
            wired.deps,
            incident_ref=incident,
            status=parse_choice(Status, status, what="status") if status else None,
            actor=actor_option(actor),
            body=body,
            component_changes=parse_component_changes(component or []),
            reason=reason,
            postmortem=postmortem,
            next_update=next_update,
            document=read_document(publish_document),
        )

    run_command(as_json, action, draft_human("Drafted"))


@update_app.command("edit")
def update_edit(
    draft: Annotated[str, typer.Argument(metavar="DRAFT", help="The draft id.")],
    body: Annotated[str | None, typer.Option(help="New text.")] = None,
    status: Annotated[str | None, typer.Option(help="New target status.")] = None,
    component: ComponentOpt = None,
    reason: Annotated[str | None, typer.Option(help="New reason.")] = None,
    next_update: NextUpdateOpt = None,
    version: Annotated[int | None, typer.Option(help="The version you are editing.")] = None,
    publish_document: DocumentOpt = None,
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Edit a pending draft (any approval of its older version becomes stale).

    Whoever changes its text, status, components, next update time or published document may
    not approve it.
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
            document=read_document(publish_document),
        )

    run_command(as_json, action, draft_human("Edited"))


@update_app.command("approve")
def update_approve(
    draft: Annotated[str, typer.Argument(metavar="DRAFT", help="The draft id.")],
    version: Annotated[
        int | None, typer.Option(help="The version you read (refused if it changed since).")
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            help="Publish without notifying subscribers (email and webhook); the channels "
            "and the status page still get it.",
        ),
    ] = False,
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Approve a draft, which publishes it (status and components change together)."""
    from commsbot.render import components_block, incident_line, update_block
    from commsbot.services.drafts import approve_any_draft

    def human(r: Any, wired: App) -> str:
        zone = wired.settings.zone
        if hasattr(r, "maintenance"):
            from commsbot.cli.maintenance import maintenance_line, notice_lines

            return "\n".join(
                [
                    f"Published: {maintenance_line(r.maintenance, zone)}",
                    *notice_lines(r.notice, zone),
                    f"  on its way to {r.deliveries} destination(s)",
                ]
            )
        return "\n".join(
            [
                f"Published: {incident_line(r.incident, zone)}",
                *components_block(r.incident),
                *update_block(r.update, zone),
            ]
        )

    run_command(
        as_json,
        lambda w: approve_any_draft(
            w.deps,
            draft_id=draft,
            actor=actor_option(actor),
            version=version,
            notify_subscribers=not quiet,
        ),
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
    from commsbot.services.drafts import reject_any_draft

    incident_human = draft_human("Rejected")

    def human(r: Any, wired: App) -> str:
        if hasattr(r, "maintenance"):
            from commsbot.cli.maintenance import draft_lines, maintenance_line

            zone = wired.settings.zone
            lines = draft_lines(r.draft, zone)
            return "\n".join([f"Rejected for {maintenance_line(r.maintenance, zone)}", *lines])
        return incident_human(r, wired)

    run_command(
        as_json,
        lambda w: reject_any_draft(
            w.deps, draft_id=draft, actor=actor_option(actor), reason=reason
        ),
        human,
    )


@update_app.command("correct")
def update_correct(
    update: Annotated[
        str,
        typer.Argument(
            metavar="UPDATE", help="The update's id, or INCIDENT#SEQ (INC-1#2: its 2nd update)."
        ),
    ],
    body: Annotated[str, typer.Option(help="The corrected text.")] = "",
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Draft a correction of a published update (approved like any draft).

    Once approved, destinations that can edit their post edit it; the others post a marked
    correction. Status and components are not changed by a correction.
    """
    from commsbot.services.corrections import propose_correction

    run_command(
        as_json,
        lambda w: propose_correction(
            w.deps, update_ref=update, body=body, actor=actor_option(actor)
        ),
        draft_human("Correction drafted"),
    )
