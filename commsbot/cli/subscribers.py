"""``commsbot subscribers list|add|remove|export|import``: who gets updates by email or webhook.

Registered in ``commsbot/cli/main.py``; imports only Typer at load time.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from commsbot.cli.support import ActorOpt, JsonOpt, actor_option, run_command

if TYPE_CHECKING:
    from commsbot.bootstrap import App

subscribers_app = typer.Typer(
    help="People (email) and webhooks subscribed to updates (the status page's sign-up form).",
    no_args_is_help=True,
)

#: The CSV columns ``export`` writes and ``import`` reads (``import`` needs only ``address``).
CSV_COLUMNS = ("kind", "address", "components", "state", "confirmed_at")

ComponentsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--component",
        "-c",
        metavar="NAME",
        help="Only updates touching this component (repeatable; default: all).",
    ),
]


def _line(s: Any) -> str:
    comps = ", ".join(s["components"]) or "all components"
    line = f"{s['id']:14} {s['state']:14} {s['address']}  ({comps})"
    if s.get("state_reason") and s["state"] in ("undeliverable", "disabled"):
        line += f" — {s['state_reason']}"
    return line


@subscribers_app.command("list")
def list_command(
    state: Annotated[
        str | None,
        typer.Option(
            metavar="STATE", help="Only pending, confirmed, undeliverable or disabled ones."
        ),
    ] = None,
    after: Annotated[
        str | None, typer.Option(metavar="ID", help="The page after this id (--json next_after).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many at most.")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """List subscribers by id, with how many are in each state."""
    from commsbot.domain.model import parse_choice
    from commsbot.services.subscriber_admin import list_subscribers
    from commsbot.subscriptions.model import SubscriberState

    def action(wired: App) -> Any:
        chosen = None if state is None else parse_choice(SubscriberState, state, what="state")
        return list_subscribers(wired.deps, state=chosen, after=after, limit=limit)

    def human(result: Any, wired: App) -> str:
        data = result.as_dict()
        counts = ", ".join(f"{n} {s}" for s, n in data["counts"].items() if n)
        lines = [f"Subscribers: {counts or 'none'}"]
        lines += [_line(s) for s in data["subscribers"]]
        if data["next_after"]:
            lines.append(f"More: commsbot subscribers list --after {data['next_after']}")
        return "\n".join(lines)

    run_command(as_json, action, human)


@subscribers_app.command("add")
def add_command(
    address: Annotated[
        str | None, typer.Argument(metavar="[EMAIL]", help="The email address.")
    ] = None,
    webhook: Annotated[
        str | None,
        typer.Option(
            "--webhook",
            metavar="URL",
            help="Subscribe this webhook URL instead of an email address (it must echo a "
            "confirmation request first).",
        ),
    ] = None,
    owner: Annotated[
        str | None,
        typer.Option(
            "--email",
            metavar="OWNER",
            help="With --webhook: who is emailed if the webhook is disabled after failing.",
        ),
    ] = None,
    components: ComponentsOpt = None,
    confirmed: Annotated[
        bool,
        typer.Option(
            "--confirmed",
            help="Its owner already agreed elsewhere: no confirmation email (you vouch for it).",
        ),
    ] = False,
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Subscribe an email address (a confirmation email first unless --confirmed), or a
    webhook with --webhook URL (a confirmation request it must echo first)."""
    from commsbot.domain.errors import InvalidInput
    from commsbot.services.subscriber_admin import add_subscriber
    from commsbot.subscriptions.model import SubscriberKind

    def action(wired: App) -> Any:
        if (address is None) == (webhook is None):
            raise InvalidInput(
                "give either an email address or --webhook URL (one of them)", field="address"
            )
        if owner is not None and webhook is None:
            raise InvalidInput(
                "--email names a webhook's owner; use it with --webhook URL, or give the "
                "address to subscribe as the argument",
                field="owner_email",
            )
        return add_subscriber(
            wired.deps,
            kind=SubscriberKind.EMAIL if webhook is None else SubscriberKind.WEBHOOK,
            address=webhook or address or "",
            actor=actor_option(actor),
            components=components or (),
            confirmed=confirmed,
            owner_email=owner,
        )

    words = {
        "added": "Subscribed (confirmed)",
        "confirmation_sent": "A confirmation request is on its way to"
        if webhook
        else "A confirmation email is on its way to",
        "already_subscribed": "Already subscribed:",
    }
    run_command(
        as_json,
        action,
        lambda r, w: f"{words[r.result]} {_line(r.as_dict()['subscriber'])}",
    )


@subscribers_app.command("remove")
def remove_command(
    subscriber: Annotated[
        str, typer.Argument(metavar="SUBSCRIBER", help="Its id, email address or webhook URL.")
    ],
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete a subscriber and everything kept about it (a request to be forgotten)."""
    from commsbot.services.subscriber_admin import remove_subscriber

    run_command(
        as_json,
        lambda w: remove_subscriber(w.deps, ref=subscriber, actor=actor_option(actor)),
        lambda r, w: f"Removed {r.subscriber.address} and its history.",
    )


@subscribers_app.command("export")
def export_command(
    subscriber: Annotated[
        str | None,
        typer.Argument(
            metavar="[SUBSCRIBER]",
            help="One subscriber's id or address: everything kept about them (JSON). "
            "Without it: every subscriber as CSV (what import reads).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Export one person's data (JSON), or every subscriber as CSV."""
    from commsbot.services.subscriber_admin import export_subscriber, list_subscribers

    if subscriber is not None:
        import json

        run_command(
            True,
            lambda w: export_subscriber(w.deps, ref=subscriber),
            lambda r, w: json.dumps(r.as_dict()),
        )
        return

    def action(wired: App) -> Any:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        after = None
        while True:
            page = list_subscribers(wired.deps, after=after, limit=1000)
            for sub in page.as_dict()["subscribers"]:
                writer.writerow({**sub, "components": ";".join(sub["components"])})
            if page.next_after is None:
                return out.getvalue().rstrip("\n")
            after = page.next_after

    run_command(as_json, action, lambda text, w: text, lambda text: {"csv": text})


@subscribers_app.command("import")
def import_command(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="CSV with a header: address (required), components (separated by ;), "
            "kind (email or webhook), owner_email. '-' reads standard input.",
            allow_dash=True,
        ),
    ],
    confirmed: Annotated[
        bool,
        typer.Option(
            "--confirmed",
            help="Their owners already agreed elsewhere (a list moved from another "
            "provider): no confirmation emails. Without it each gets one, as from the page.",
        ),
    ] = False,
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import subscribers from CSV: all rows or none (bad rows are listed)."""
    from commsbot.domain.errors import InvalidInput
    from commsbot.services.subscriber_admin import import_subscribers

    def action(wired: App) -> Any:
        try:
            text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(
                f"cannot read {file}: {exc}; give a UTF-8 CSV file", field="file"
            ) from None
        reader = csv.DictReader(io.StringIO(text))
        if reader.fieldnames is None or "address" not in reader.fieldnames:
            raise InvalidInput(
                "the CSV needs a header line with an address column "
                "(address,components — components separated by ;)",
                field="file",
            )
        return import_subscribers(
            wired.deps, rows=list(reader), actor=actor_option(actor), confirmed=confirmed
        )

    def human(r: Any, wired: App) -> str:
        how = "confirmed" if r.confirmed else "each sent a confirmation email"
        return f"Imported {r.added} ({how}); {r.already} already subscribed."

    run_command(as_json, action, human)
