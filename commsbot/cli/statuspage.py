"""``commsbot statuspage export DIR``: the public status page as static files.

Registered in ``commsbot/cli.py`` with one ``add_typer`` line; imports only Typer at load time.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from commsbot.cli.support import run_command

if TYPE_CHECKING:
    from commsbot.bootstrap import App

statuspage_app = typer.Typer(help="The public status page.", no_args_is_help=True)


def _unwritable(directory: Path, exc: OSError) -> Exception:
    """The refusal of an export the disk would not take: what is in the way, and what to do."""
    from commsbot.domain.errors import InvalidInput

    for parent in directory.resolve().parents:
        if parent.exists():
            if not parent.is_dir():
                return InvalidInput(
                    f"cannot export to {directory}: {parent} is a file, not a folder; export "
                    "to a folder that is not inside a file"
                )
            break
    where = f" ({exc.filename})" if exc.filename else ""
    return InvalidInput(
        f"cannot export to {directory}: {exc.strerror or exc}{where}; export to a folder you "
        "can create and write to"
    )


@statuspage_app.command("export")
def export(
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="Folder to write (replaced whole).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Write the status page (HTML, Statuspage v2 JSON, Atom/RSS) as files for any static host.

    The folder is written beside DIR and renamed into place, so it is never half-written.
    """

    def action(wired: App) -> Any:
        from commsbot.engines.static_export import write_export
        from commsbot.services.statuspage import load_public_data

        try:
            count = write_export(load_public_data(wired.deps), directory)
        except OSError as exc:
            raise _unwritable(directory, exc) from None
        return {"directory": str(directory.resolve()), "files": count}

    run_command(
        as_json,
        action,
        lambda r, wired: f"Exported {r['files']} files to {r['directory']}.",
        lambda r: r,
    )
