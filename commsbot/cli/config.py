"""``commsbot init`` and ``commsbot config check``: neither opens the database or the network."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from commsbot.cli.support import EXIT_CONFIG, EXIT_REFUSED, JsonOpt, fail, state

config_app = typer.Typer(
    help="Check the configuration without starting anything.", no_args_is_help=True
)

CONFIG_NAME = "commsbot.toml"
ENV_NAME = ".env"


def init(
    slack: Annotated[
        bool, typer.Option("--slack", help="Turn on [slack]; channels to fill in.")
    ] = False,
    discord: Annotated[
        bool, typer.Option("--discord", help="Turn on [discord]; channels to fill in.")
    ] = False,
    postgres: Annotated[
        str | None,
        typer.Option(
            "--postgres",
            metavar="URL",
            help="PostgreSQL URL, written to .env as COMMSBOT_DATABASE_URL (it holds a password).",
        ),
    ] = None,
    directory: Annotated[
        Path, typer.Option("--dir", "-C", help="Where to write (default: this folder).")
    ] = Path(),
    as_json: JsonOpt = False,
) -> None:
    """Write a commented commsbot.toml (every setting, with its default) and a .env naming
    every variable; refuses to overwrite either."""
    from commsbot.configure.render import render_env, render_toml

    targets = [directory / CONFIG_NAME, directory / ENV_NAME]
    existing = [str(p) for p in targets if p.exists()]
    if existing:
        fail(
            EXIT_REFUSED,
            "already_exists",
            f"{' and '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; "
            f"nothing was written. Move {'it' if len(existing) == 1 else 'them'} away, or run "
            "init in an empty folder (--dir PATH)",
            as_json,
        )
    if postgres is not None:
        _check_postgres(postgres, as_json)
    if not directory.exists():
        fail(
            EXIT_REFUSED,
            "invalid_input",
            f"{directory} does not exist; create it first (mkdir -p {directory}) or give an "
            "existing folder with --dir",
            as_json,
            field="dir",
        )
    if not directory.is_dir():
        fail(
            EXIT_REFUSED,
            "invalid_input",
            f"{directory} is a file, not a folder; give a folder with --dir",
            as_json,
            field="dir",
        )
    toml_text = render_toml(slack=slack, discord=discord)
    env_text = render_env(database_url=postgres)
    written: list[Path] = []
    try:
        for path, text, mode in ((targets[0], toml_text, 0o644), (targets[1], env_text, 0o600)):
            _write_new(path, text, mode)
            written.append(path)
    except OSError as exc:
        for path in written:  # nothing half-written: both files or neither
            path.unlink(missing_ok=True)
        fail(EXIT_REFUSED, "cannot_write", f"cannot write {exc.filename}: {exc.strerror}", as_json)
    if as_json:
        typer.echo(json.dumps({"written": [str(p) for p in targets]}))
        return
    typer.echo(f"Wrote {targets[0]} (every setting, with its default) and {targets[1]} (secrets).")
    steps = ["fill in .env"]
    if slack or discord:
        steps.append("put your channel ids in commsbot.toml")
    typer.echo(f"Next: {', '.join(steps)}, then `commsbot config check` and `commsbot run`.")


def _check_postgres(url: str, as_json: bool) -> None:
    from commsbot.store.db import normalize_url

    try:
        parsed = normalize_url(url)
    except ValueError as exc:
        fail(EXIT_REFUSED, "invalid_input", f"--postgres: {exc}", as_json)
    if parsed.get_backend_name() != "postgresql":
        fail(
            EXIT_REFUSED,
            "invalid_input",
            "--postgres takes a PostgreSQL URL such as "
            "postgresql://commsbot:PASSWORD@db.example.com:5432/commsbot",
            as_json,
        )


def _write_new(path: Path, text: str, mode: int) -> None:
    # O_EXCL: a file that appeared since the check above is never overwritten.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


@config_app.command("check")
def config_check(as_json: JsonOpt = False) -> None:
    """Validate commsbot.toml, .env and every variable they name, without starting anything;
    print the effective settings with secrets hidden. Exit 0 when usable, 3 otherwise."""
    from commsbot.cli.config_check import check_configuration

    report = check_configuration(state["config"])
    if as_json:
        payload: dict[str, Any] = report.as_dict()
        if not report.ok:
            payload["error"] = {"code": "config_error", "message": "\n".join(report.problems)}
        typer.echo(json.dumps(payload, ensure_ascii=False))
    else:
        typer.echo(_human(report))
    if not report.ok:
        for problem in report.problems:
            first, *rest = problem.splitlines()
            typer.echo(f"error: {first}", err=True)
            for line in rest:
                typer.echo(f"  {line.strip()}", err=True)
        raise typer.Exit(EXIT_CONFIG)


def _human(report: Any) -> str:
    from commsbot.cli.config_check import flatten

    lines = [
        f"Configuration file: {report.config_file or 'none (built-in defaults)'}",
        f".env: {report.env_file or 'none'}",
    ]
    if report.settings is not None:
        lines += ["", "Effective settings (secrets hidden):"]
        lines += [f"  {key} = {json.dumps(value)}" for key, value in flatten(report.settings)]
    if report.platforms:
        lines += ["", "Chat platforms:"]
        lines += [
            f"  {p.name}: {'starts' if p.starts else 'off'}: {p.summary}" for p in report.platforms
        ]
    if report.environment:
        lines += ["", "Environment:"]
        width = max(len(name) for name in report.environment)
        for name, var in report.environment.items():
            if var["set"]:
                status = f"= {var['value']}" if var["value"] is not None else "set (hidden)"
            else:
                status = "NOT SET" if var["used_by"] else "unset"
            used = f"  ← {'; '.join(var['used_by'])}" if var["used_by"] else ""
            lines.append(f"  {name:<{width}}  {status}{used}")
    lines.append("")
    if report.ok:
        lines.append("OK: `commsbot run` can start with this configuration (nothing was started).")
    else:
        lines.append(f"{len(report.problems)} problem(s):")
        lines += [f"  - {p}" for p in report.problems]
    return "\n".join(lines)
