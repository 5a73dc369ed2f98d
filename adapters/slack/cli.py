"""``commsbot slack …``: installing and checking the Slack app.

Imports nothing heavy at module level: ``commsbot --help`` loads this file.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer

MANIFEST = Path(__file__).resolve().parent / "manifest.yml"
EXIT_FAILED = 1
EXIT_CONFIG = 3

slack_app = typer.Typer(
    help="Slack setup: the app manifest, and a check of tokens and channels.", no_args_is_help=True
)


@slack_app.command("manifest")
def manifest_command() -> None:
    """Print the app manifest to paste at api.slack.com/apps (Create New App → From a manifest)."""
    typer.echo(MANIFEST.read_text(encoding="utf-8"), nl=False)


@slack_app.command("check")
def check_command(
    config: Annotated[
        Path | None, typer.Option("--config", metavar="FILE", help="commsbot.toml to read.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Check the tokens, the bot's channels and user groups against Slack itself.

    Exit status 0 when everything answers as commsbot needs, 1 when something does not (each
    line says what to fix), 3 when the configuration itself is unusable.
    """
    from commsbot.settings import ConfigError, load_settings

    try:
        settings = load_settings(config)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_CONFIG) from None
    results = asyncio.run(_check(settings))
    ok = all(r["ok"] for r in results)
    if as_json:
        typer.echo(json.dumps({"ok": ok, "checks": results}))
    else:
        for r in results:
            typer.echo(f"{'ok  ' if r['ok'] else 'FAIL'}  {r['check']}: {r['detail']}")
    if not ok:
        raise typer.Exit(EXIT_FAILED)


async def _check(settings: Any) -> list[dict[str, Any]]:
    from adapters.slack.config import SlackSecrets, configured_groups
    from adapters.slack.webapi import CALL_ERRORS, describe, web_client

    out: list[dict[str, Any]] = []

    def add(check: str, ok: bool, detail: str) -> None:
        out.append({"check": check, "ok": ok, "detail": detail})

    secrets = SlackSecrets.from_env()
    mode = settings.slack.mode
    missing = secrets.missing(mode)
    add(
        f"environment for {mode.value} mode",
        not missing,
        f"{', '.join(missing)} not set (see .env.example)" if missing else "tokens set",
    )
    if not secrets.bot_token:
        return out
    client = web_client(secrets)
    try:
        who = await client.auth_test()
        add("SLACK_BOT_TOKEN", True, f"{who.get('user')} in {who.get('team')} ({secrets.api_url})")
    except CALL_ERRORS as exc:
        add("SLACK_BOT_TOKEN", False, describe(exc))
        return out
    targets = [
        (f"{role} {entry.name!r}", entry.options.channel)
        for role, entries in (
            ("destination", settings.destinations),
            ("notifier", settings.notifiers),
        )
        for entry in entries
        if entry.type == "slack"
    ]
    if not targets:
        add("channels", False, 'no [[destinations]] or [[notifiers]] of type "slack" yet')
    for name, channel in targets:
        try:
            await client.conversations_history(channel=channel, limit=1)
            add(f"{name} channel {channel}", True, "the bot can post and read back")
        except CALL_ERRORS as exc:
            add(f"{name} channel {channel}", False, describe(exc))
    for group in sorted(configured_groups(settings)):
        try:
            resp = await client.usergroups_users_list(usergroup=group)
            add(f"user group {group}", True, f"{len(resp.get('users') or [])} members")
        except CALL_ERRORS as exc:
            add(f"user group {group}", False, describe(exc))
    return out
