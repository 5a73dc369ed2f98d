"""``commsbot delivery list|retry``: the delivery ledger.

Light to import (typer only): ``commsbot --help`` loads this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from commsbot.cli.support import ActorOpt, JsonOpt, actor_option, run_command

if TYPE_CHECKING:
    from commsbot.bootstrap import App

delivery_app = typer.Typer(
    help="The delivery ledger: where each broadcast stands; re-drive dead deliveries.",
    no_args_is_help=True,
)


@delivery_app.command("list")
def delivery_list(
    state: Annotated[
        str | None,
        typer.Option(metavar="STATE", help="pending, sending, sent, retrying or dead."),
    ] = None,
    incident: Annotated[
        str | None, typer.Option(metavar="INCIDENT", help="Only this incident (INC-42).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many.")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """List deliveries, newest first (updates, corrections and notices)."""
    from commsbot.delivery.model import DeliveryState
    from commsbot.domain.model import parse_choice
    from commsbot.render import list_text
    from commsbot.services.deliveries import list_deliveries

    def action(wired: App) -> Any:
        wanted = parse_choice(DeliveryState, state, what="delivery state") if state else None
        return list_deliveries(wired.deps, state=wanted, incident_ref=incident, limit=limit)

    run_command(as_json, action, lambda r, w: list_text(r, w.settings.zone), reads_only=True)


@delivery_app.command("retry")
def delivery_retry(
    delivery: Annotated[str, typer.Argument(metavar="ID", help="The delivery's id.")],
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-drive a dead delivery: it is tried again, with a fresh deadline."""
    from commsbot.render import delivery_line
    from commsbot.services.deliveries import retry_delivery

    run_command(
        as_json,
        lambda w: retry_delivery(w.deps, delivery_id=delivery, actor=actor_option(actor)),
        lambda r, w: (
            f"Re-driven: {delivery_line(r.delivery, w.settings.zone)}\n"
            "`commsbot run` sends it at its next look at the outbox."
        ),
    )
