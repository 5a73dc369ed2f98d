"""Start-up time of ``commsbot --help`` against a bare interpreter, in the same run.

Goal: under 0.3 s, which means no Slack, Discord or SQLAlchemy import on the CLI's help path.
Prints a Markdown table; ``--write`` also replaces the section in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from _report import write_section  # noqa: E402

RUNS = 15


def timed(cmd: list[str]) -> list[float]:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
    return samples


def heavy_imports() -> list[str]:
    code = (
        "import sys, runpy; sys.argv=['commsbot','--help'];\n"
        "try:\n runpy.run_module('commsbot', run_name='__main__')\n"
        "except SystemExit: pass\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in "
        "{'sqlalchemy','sqlmodel','slack_bolt','slack_sdk','discord','alembic','apprise','fastapi'}})),"
        " file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stderr.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    baseline = timed([sys.executable, "-c", "pass"])
    cli = timed([sys.executable, "-m", "commsbot", "--help"])
    b, c = statistics.median(baseline), statistics.median(cli)
    leaked = [m for m in heavy_imports() if m]
    lines = [
        f"Median of {RUNS} runs each, same machine, same command (`python bench/cli_startup.py`).",
        "",
        "| command | median | ratio to bare `python -c pass` |",
        "|---|---|---|",
        f"| `python -c pass` (baseline) | {b * 1000:.0f} ms | 1.00× |",
        f"| `commsbot --help` | {c * 1000:.0f} ms | {c / b:.2f}× |",
        "",
        f"Goal: under 300 ms — {'met' if c < 0.3 else 'NOT met'}. "
        f"Heavy modules imported on the help path: {', '.join(leaked) or 'none'}.",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section("CLI start-up", text)


if __name__ == "__main__":
    main()
