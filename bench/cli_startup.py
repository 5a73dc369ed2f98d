"""Start-up time of ``commsbot --help`` and ``commsbot incident list`` against a bare
interpreter, in the same run.

Goals: ``--help`` under 0.3 s (no Slack, Discord or SQLAlchemy import on the help path);
``incident list`` on a small SQLite database within 0.4 s (a read-only command checks the
schema revision with one query instead of importing Alembic to migrate).

``--before DIR`` also times ``incident list`` from another checkout (e.g. the commit before a
change, made with ``git worktree add``) in the same run, on the same database, for a ratio
that does not depend on how busy the machine is. Prints a Markdown table; ``--write`` also
replaces the section in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from _report import write_section  # noqa: E402

RUNS = 15
#: What a read-only command has no use for.
HEAVY = {"alembic", "fastapi", "uvicorn", "discord", "slack_bolt", "slack_sdk", "apprise"}


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> list[float]:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(
            cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd
        )
        samples.append(time.perf_counter() - start)
    return samples


def imported(args: list[str], env: dict[str, str], cwd: Path) -> list[str]:
    code = (
        "import sys, runpy\n"
        f"sys.argv = ['commsbot', *{args!r}]\n"
        "try:\n    runpy.run_module('commsbot', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        f"print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & {HEAVY!r})),"
        " file=sys.stderr)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=cwd
    )
    return out.stderr.split()


def small_database(folder: Path, env: dict[str, str]) -> None:
    """Three incidents, each with a published acknowledgment."""
    cli = [sys.executable, "-m", "commsbot"]
    for title in ("Slow API", "Login errors", "Search down"):
        out = subprocess.run(
            [*cli, "incident", "declare", title, "--as", "maya", "--json"],
            check=True,
            capture_output=True,
            text=True,
            env=env,
            cwd=folder,
        ).stdout
        draft = out.split('"draft": {"id": "')[1].split('"')[0]
        subprocess.run(
            [*cli, "update", "approve", draft, "--as", "sam"],
            check=True,
            capture_output=True,
            env=env,
            cwd=folder,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument("--before", type=Path, help="another checkout to time beside this one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMMSBOT_")}
        env["COMMSBOT_DATABASE_URL"] = f"sqlite:///{folder / 'bench.db'}"
        env["PYTHONPATH"] = str(ROOT)
        small_database(folder, env)
        bare = statistics.median(timed([sys.executable, "-c", "pass"], env, folder))
        cli = [sys.executable, "-m", "commsbot"]
        rows = [
            ("`commsbot --help`", statistics.median(timed([*cli, "--help"], env, folder))),
            (
                "`commsbot incident list` (3 incidents, SQLite)",
                statistics.median(timed([*cli, "incident", "list"], env, folder)),
            ),
        ]
        if args.before:
            old = {**env, "PYTHONPATH": str(args.before.resolve())}
            rows.append(
                (
                    "`commsbot incident list`, before (migrates on every run)",
                    statistics.median(timed([*cli, "incident", "list"], old, folder)),
                )
            )
        on_help = imported(["--help"], env, folder)
        on_list = imported(["incident", "list"], env, folder)
    help_s, list_s = rows[0][1], rows[1][1]
    lines = [
        f"Median of {RUNS} runs each, same machine, same run (`python bench/cli_startup.py"
        f"{' --before DIR' if args.before else ''}`).",
        "",
        "| command | median | ratio to bare `python -c pass` |",
        "|---|---|---|",
        f"| `python -c pass` (baseline) | {bare * 1000:.0f} ms | 1.00× |",
        *(f"| {name} | {s * 1000:.0f} ms | {s / bare:.2f}× |" for name, s in rows),
        "",
        f"Goals: `--help` under 300 ms — {'met' if help_s < 0.3 else 'NOT met'}; "
        f"`incident list` within 400 ms — {'met' if list_s <= 0.4 else 'NOT met'}.",
        f"Heavy modules imported on the help path: {', '.join(on_help) or 'none'}; "
        f"on `incident list`: {', '.join(on_list) or 'none'} (of {', '.join(sorted(HEAVY))}).",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section("CLI start-up", text)


if __name__ == "__main__":
    main()
