"""What every ``commsbot`` command shares: the options, the runner and its refusals.

Command modules (``commsbot/cli/*.py``) import this, never each other, so there is one way to
print a result, one way to refuse, and no import cycle.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

if TYPE_CHECKING:
    from commsbot.bootstrap import App

R = TypeVar("R")

EXIT_REFUSED = 1
EXIT_CONFIG = 3

#: Set by the root callback from ``--config`` / ``$COMMSBOT_CONFIG``.
state: dict[str, Path | None] = {"config": None}

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
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
ActorOpt = Annotated[
    str | None,
    typer.Option(
        "--as",
        metavar="ACTOR",
        envvar="COMMSBOT_ACTOR",
        show_default="$COMMSBOT_ACTOR or your login name",
        help="Who is acting (a name, or slack:UID / discord:ID as in the approver lists).",
    ),
]


def default_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def fail(
    code: int, kind: str, message: str, as_json: bool, *, field: str | None = None
) -> NoReturn:
    """Print the refusal (``error: …`` on stderr; with ``--json`` also
    ``{"error": {"code", "message", "field"}}`` on stdout, as the HTTP API answers) and exit."""
    first_line = message.splitlines()[0] if message else kind
    typer.echo(f"error: {first_line}", err=True)
    for line in message.splitlines()[1:]:
        typer.echo(f"  {line.strip()}", err=True)
    if as_json:
        error = {"code": kind, "message": message, "field": field}
        typer.echo(json.dumps({"error": error}))
    raise typer.Exit(code)


def run_command(
    as_json: bool,
    action: Callable[[App], R],
    human: Callable[[R, App], str],
    to_json: Callable[[R], Any] | None = None,
    *,
    reads_only: bool = False,
) -> None:
    """Build the app, run ``action``, print its result; turn refusals into clean exits.

    ``reads_only``: the command changes nothing, so a database already at this version's
    schema is used without migrating (one query instead of importing Alembic; see
    :func:`commsbot.bootstrap.open_database`).

    A database that cannot be used (down, refusing the login, a missing folder) exits 3 with
    ``database_unavailable`` and one line saying what to fix, as a configuration problem does.
    """
    from commsbot.domain.errors import CommsbotError
    from commsbot.settings import ConfigError
    from commsbot.store.health import DatabaseUnavailable, explain

    wired: App | None = None
    try:
        from commsbot.bootstrap import build

        wired = build(config_path=state["config"], read_only=reads_only)
        result = action(wired)
    except ConfigError as exc:
        fail(EXIT_CONFIG, "config_error", str(exc), as_json)
    except CommsbotError as exc:
        fail(EXIT_REFUSED, exc.code, str(exc), as_json, field=exc.field)
    except DatabaseUnavailable as exc:
        fail(EXIT_CONFIG, exc.code, str(exc), as_json)
    except Exception as exc:
        # It answered at start and then went away (a restart, a lost connection).
        found = explain(wired.database_url, exc, where=wired.database_setting) if wired else None
        if found is None:
            raise
        fail(EXIT_CONFIG, found.code, str(found), as_json)
    if as_json:
        payload = to_json(result) if to_json else result.as_dict()  # type: ignore[attr-defined]
        typer.echo(json.dumps(payload, ensure_ascii=False))
    else:
        typer.echo(human(result, wired))
    # Closes the pool's connections now, not when the process ends: commands also run
    # in-process (the tests, a script calling main()).
    wired.engine.dispose()


def actor_option(given: str | None) -> Any:
    from commsbot.domain.errors import InvalidInput
    from commsbot.domain.policy import Actor
    from commsbot.domain.text import clean_name

    name = clean_name(given if given is not None else default_actor(), what="actor", limit=200)
    if any(ch.isspace() for ch in name):
        raise InvalidInput(f"actor {name!r} is not a usable name; use one word, e.g. --as alice")
    return Actor(name)


def draft_human(verb: str) -> Callable[[Any, App], str]:
    from commsbot.render import draft_block, incident_line

    def human(r: Any, wired: App) -> str:
        zone = wired.settings.zone
        lines = [f"{verb} for {incident_line(r.incident, zone)}", *draft_block(r.draft, zone)]
        if r.draft.state.value == "pending":
            lines += [
                "",
                f"  commsbot update approve {r.draft.id} --version {r.draft.version} "
                f"--as <approver other than {r.draft.last_editor}>",
            ]
        return "\n".join(lines)

    return human
