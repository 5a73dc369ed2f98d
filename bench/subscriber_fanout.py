"""Subscriber email, the whole path: one update to N confirmed subscribers through
``commsbot run`` (outbox row, sender engine, database, cursor, leases) to a local SMTP server,
against a bare aiosmtplib loop sending the same number of messages over one connection in the
same run.

The server is the counting aiosmtpd process of ``bench/subscriber_email.py`` (it counts every
Message-ID, so lost and duplicated messages are counted). ``commsbot run`` is timed from the
approval (the fan-out row exists before it starts) until the database says the fan-out is done;
its start-up (a second or so) is included. Its peak RSS is the child's ``ru_maxrss``.
Prints a Markdown table; ``--write`` replaces the section in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sqlalchemy as sa  # noqa: E402
from _report import write_section  # noqa: E402
from subscriber_email import Server, _prepared, _subscribers, bare  # noqa: E402

from commsbot.store.db import make_engine, upgrade  # noqa: E402
from tests.subscriptions.support import SECRET  # noqa: E402

CONFIG = """database_url = "sqlite:///{database}"
[page]
name = "Acme Status"
url = "https://status.acme.test"
[[components]]
name = "API"
[http]
enabled = false
[reminders]
enabled = false
[[notifiers]]
name = "quiet"
type = "console"
kinds = ["none"]
[subscriptions]
enabled = true
[subscriptions.smtp]
host = "127.0.0.1"
port = {port}
security = "none"
from = "Acme Status <status@acme.example>"
max_per_second = 10000
"""


def _publish(folder: Path, port: int, count: int) -> tuple[Path, Path]:
    """A database with ``count`` confirmed subscribers and one approved update."""
    from commsbot.domain.model import Severity
    from commsbot.domain.policy import Actor
    from commsbot.services.drafts import approve_draft
    from commsbot.services.incidents import declare
    from commsbot.services.subscriber_admin import import_subscribers
    from tests.subscriptions.wiring import make_world

    database = folder / "bench.db"
    config = folder / "commsbot.toml"
    config.write_text(CONFIG.format(database=database, port=port), encoding="utf-8")
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)

    class _Smtp:  # make_world wants the server's port only
        pass

    smtp = _Smtp()
    smtp.port = port  # type: ignore[attr-defined]
    world = make_world(engine, smtp)  # type: ignore[arg-type]
    rows = [{"address": f"user{n:05d}@example.com"} for n in range(count)]
    import_subscribers(world.deps, rows=rows, actor=Actor("maya"), confirmed=True)
    declared = declare(
        world.deps,
        title="API errors",
        severity=Severity.SEV2,
        components={"API": None},
        actor=Actor("maya"),
        body="We're investigating errors in the API.",
    )
    approve_draft(world.deps, draft_id=declared.draft.id, actor=Actor("sam"))
    engine.dispose()
    return config, database


def _run_commsbot(config: Path, database: Path) -> tuple[float, float]:
    """(wall seconds until the fan-out is done, peak RSS MiB of ``commsbot run``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMSBOT_")}
    env["COMMSBOT_SUBSCRIPTIONS_SECRET"] = SECRET
    env["PYTHONPATH"] = str(ROOT)
    engine = make_engine(f"sqlite:///{database}")
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "commsbot", "--config", str(config), "run"],
        cwd=config.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with engine.connect() as conn:
            while True:
                left = conn.execute(
                    sa.text("SELECT count(*) FROM subscriber_fanout WHERE state != 'done'")
                ).scalar()
                conn.rollback()
                if left == 0:
                    break
                if process.poll() is not None:
                    raise SystemExit("commsbot run stopped before the fan-out was done")
                time.sleep(0.05)
        elapsed = time.perf_counter() - start
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
        engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return elapsed, peak


def _row(label: str, wall: float, n: int, base: float) -> str:
    return f"| {label} | {wall:.2f} s | {wall / n * 1e6:.0f} µs | {wall / base:.2f}× |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    n = args.subscribers
    server = Server()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config, database = _publish(Path(tmp), server.port, n)
            messages = _prepared(_subscribers(n), "bench-bare")
            bare_wall, _ = asyncio.run(bare(server.port, messages))
            base = server.ask("stats")
            server.ask("reset")
            del messages
            wall, peak = _run_commsbot(config, database)
            got = server.ask("stats")
    finally:
        server.stop()
    if base != {"total": n, "unique": n}:
        raise SystemExit(f"bare loop: the server got {base}, expected {n}")
    lost, duplicates = n - got["unique"], got["total"] - got["unique"]
    load = os.getloadavg()[0]
    met = wall / bare_wall <= 1.5 and peak < 200 and lost == 0 and duplicates == 0
    body = f"""
**The whole path** (issue 12's goal: ≤ 1.5× the bare loop, peak RSS of `commsbot run` under
200 MB, 0 lost, 0 duplicates). One approved update to {n:,} confirmed subscribers: `commsbot
run` (SQLite, batches of 200, the outbox row, the cursor, leases, per-subscriber outcome rows,
rendering with signed links) to aiosmtpd on 127.0.0.1 in another process, timed from start-up
until the database says the fan-out is done, against a bare `aiosmtplib` `send_message` loop over
{n:,} messages built beforehand, over one connection, in the same run. One round each (the
1-minute load average was {load:.1f} on {os.cpu_count()} cores at the end: other work shared
the machine, so the ratio is the figure to read).

| path | {n:,} messages | per message | ratio |
|---|---|---|---|
{_row("bare `aiosmtplib` loop, messages built beforehand (baseline)", bare_wall, n, bare_wall)}
{_row("`commsbot run`, from start-up to the fan-out done", wall, n, bare_wall)}

Lost: {lost}. Duplicates: {duplicates}. Peak RSS of `commsbot run`: {peak:.0f} MiB.
Goal {"met" if met else "NOT met"} in this run.
Run: `python bench/subscriber_fanout.py --write`.
"""
    print(body)
    if args.write:
        write_section("Subscriber email (whole path)", body)


if __name__ == "__main__":
    main()
