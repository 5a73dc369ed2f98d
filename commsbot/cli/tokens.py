"""``commsbot token create|list|revoke``: bearer tokens for the HTTP API.

Registered in ``commsbot/cli/main.py`` with one ``add_typer`` line; imports only Typer at load
time, so ``commsbot --help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from commsbot.cli.support import JsonOpt, run_command

if TYPE_CHECKING:
    from commsbot.bootstrap import App

token_app = typer.Typer(
    help="Bearer tokens for the HTTP API (stored hashed; shown once).", no_args_is_help=True
)


@token_app.command("create")
def create(
    name: Annotated[str, typer.Argument(metavar="NAME", help="A name to manage it by.")],
    scope: Annotated[
        str,
        typer.Option(
            metavar="SCOPE",
            help="read (list, show), write (+ declare, propose, edit, reject, note, "
            "Alertmanager), approve (+ publish) or admin (+ subscribers).",
        ),
    ] = "read",
    actor: Annotated[
        str | None,
        typer.Option(
            metavar="ACTOR",
            help="Who the token acts as (as in the approver lists); default: NAME.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Make a token. It is printed once: store it in your secret manager now."""
    from commsbot.domain.model import parse_choice
    from commsbot.services.tokens import create_token
    from commsbot.tokens.model import Scope

    def action(wired: App) -> Any:
        chosen = parse_choice(Scope, scope, what="scope")
        return create_token(wired.deps, name=name, actor=actor or name, scope=chosen)

    def human(result: Any, wired: App) -> str:
        token, secret = result
        return "\n".join(
            [
                f"Token {token.name!r} (scope {token.scope.value}, acts as {token.actor}):",
                "",
                f"  {secret}",
                "",
                "It is shown this once; commsbot keeps only its hash. Send it as",
                "  Authorization: Bearer <token>",
            ]
        )

    run_command(
        as_json,
        action,
        human,
        lambda result: {"token": result[0].as_dict(), "secret": result[1]},
    )


@token_app.command("list")
def list_tokens(
    include_revoked: Annotated[bool, typer.Option("--all", help="Include revoked tokens.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List tokens (names, scopes, actors; never the tokens themselves)."""
    from commsbot.services.tokens import list_tokens

    def human(tokens: Any, wired: App) -> str:
        if not tokens:
            return "No tokens. Make one with: commsbot token create NAME --scope SCOPE"
        lines = []
        for t in tokens:
            state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
            lines.append(
                f"{t.name:24} {t.scope.value:8} as {t.actor:16} {t.prefix}…  "
                f"created {t.created_at:%Y-%m-%d}  {state}"
            )
        return "\n".join(lines)

    run_command(
        as_json,
        lambda wired: list_tokens(wired.deps, include_revoked=include_revoked),
        human,
        lambda tokens: {"tokens": [t.as_dict() for t in tokens]},
        reads_only=True,
    )


@token_app.command("revoke")
def revoke(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The token's name (or id).")],
    as_json: JsonOpt = False,
) -> None:
    """Revoke a token; requests with it are refused from now on."""
    from commsbot.services.tokens import revoke_token

    run_command(
        as_json,
        lambda wired: revoke_token(wired.deps, name_or_id=name),
        lambda token, wired: f"Revoked token {token.name!r}.",
        lambda token: {"token": token.as_dict()},
    )
