"""``commsbot discord …``: setting the bot up.

Imports nothing heavy at module level: ``commsbot --help`` loads this file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

# The same name as commsbot.discord_config.APPLICATION_ID_ENV, which is imported only when the
# command runs: building its pydantic models costs ~60 ms that `commsbot --help` should not pay.
APPLICATION_ID_ENV = "DISCORD_APPLICATION_ID"

EXIT_USAGE = 2
EXIT_CONFIG = 3

SCOPES = ("bot", "applications.commands")

#: What the bot does with each permission; the README explains the same. No Manage Messages:
#: crossposting the bot's *own* messages needs only Send Messages (Discord asks Manage Messages
#: only to crosspost other people's), and Manage Messages would let the bot delete anyone's
#: messages in the server.
PERMISSIONS = {
    "view_channel": "see the announcement and approvals channels",
    "send_messages": "post updates, approval requests and reminders; publish (crosspost) "
    "its own posts in announcement channels",
    "embed_links": "post updates as embeds (status colour, components, link)",
    "read_message_history": "find its earlier post to mark a correction or a decision",
}

discord_app = typer.Typer(help="Discord setup.", no_args_is_help=True)


def invite_url(application_id: int) -> tuple[str, int]:
    """The OAuth2 install URL for ``application_id`` and its permission integer."""
    import discord

    permissions = discord.Permissions(**dict.fromkeys(PERMISSIONS, True))
    url = discord.utils.oauth_url(application_id, permissions=permissions, scopes=SCOPES)
    return url, permissions.value


@discord_app.command("invite-url")
def invite_url_command(
    application_id: Annotated[
        str | None,
        typer.Option(
            "--application-id",
            metavar="ID",
            help=f"The app's Application ID (default: ${APPLICATION_ID_ENV}).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Print the URL that adds the bot to a server, with exactly the access it needs."""
    from dotenv import load_dotenv

    load_dotenv(Path.cwd() / ".env", override=False)
    source = "--application-id"
    raw = application_id
    if raw is None:
        raw, source = os.environ.get(APPLICATION_ID_ENV, "").strip(), APPLICATION_ID_ENV
    if not raw:
        _fail(
            EXIT_USAGE,
            "no application id: give --application-id ID, or set DISCORD_APPLICATION_ID (in "
            "the environment or .env) to the Application ID on the General Information page "
            "of your app at https://discord.com/developers/applications",
            as_json,
        )
    try:
        from commsbot.discord_config import parse_snowflake

        app_id = parse_snowflake(raw, what=source)
    except ValueError as exc:
        _fail(EXIT_USAGE if source.startswith("--") else EXIT_CONFIG, str(exc), as_json)
    url, value = invite_url(app_id)
    if as_json:
        payload: dict[str, Any] = {
            "url": url,
            "application_id": str(app_id),
            "scopes": list(SCOPES),
            "permissions": value,
            "permission_names": list(PERMISSIONS),
        }
        typer.echo(json.dumps(payload))
        return
    typer.echo(url)
    typer.echo(f"\nScopes: {' '.join(SCOPES)}. Permissions ({value}):")
    for name, why in PERMISSIONS.items():
        typer.echo(f"  {name.replace('_', ' ').title():<22} {why}")


def _fail(code: int, message: str, as_json: bool) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    if as_json:
        kind = "invalid_input" if code == EXIT_USAGE else "config_error"
        typer.echo(json.dumps({"error": {"code": kind, "message": message}}))
    raise typer.Exit(code)
