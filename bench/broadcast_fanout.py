"""Fan-out of published updates to 200 loopback webhook destinations, each rate-limited.

Two runs on a fresh SQLite outbox, the dispatcher on the real clock, receivers on 127.0.0.1:

1. one update to 200 destinations: how long until every destination has it;
2. the same with a backlog of ``--updates`` updates (a platform was down, or the bot was): each
   destination may send ``--rate`` per second (burst 1), so the last of its updates cannot go
   before ``(updates - 1) / rate`` seconds: the rate-limit lower bound. Goal: ≤ 1.1× of it.

Also the process's peak memory (RSS). Prints a Markdown table; ``--write`` also replaces the
section in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from _report import write_section  # noqa: E402

from commsbot.domain.lifecycle import Status  # noqa: E402
from commsbot.engines.targets import build_dispatcher, run_dispatcher  # noqa: E402
from commsbot.store.db import make_engine, upgrade  # noqa: E402
from commsbot.timing import SystemClock  # noqa: E402
from tests.delivery.support import World, make_deps, settings_with, webhook  # noqa: E402


def _rss_mib() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Receivers:
    """The loopback receivers, in a process of their own (as real ones would be)."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tests.delivery.loopback"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        self.port = int(self._proc.stdout.readline())

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def applied(self) -> dict[str, int]:
        counts: dict[str, int] = httpx.get(self.url("/_applied")).json()
        return counts

    def stop(self) -> None:
        self._proc.terminate()
        self._proc.wait(10)


def run(*, destinations: int, updates: int, rate: float, server: Receivers) -> float:
    """Seconds from starting the dispatcher until every delivery is sent."""
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        upgrade(engine)
        settings = settings_with(
            [
                webhook(f"hook{n}", server.url(f"/{updates}/{n}"), rate_per_second=rate, burst=1)
                for n in range(destinations)
            ]
        )
        w = World(deps=make_deps(engine, settings, SystemClock()), clock=None, out=io.StringIO())  # type: ignore[arg-type]
        w.declare_and_publish("We're investigating an issue affecting ChatGPT, API and Sora.")
        for n in range(2, updates + 1):
            w.publish(Status.IDENTIFIED, f"Progress report {n}.")
        total = destinations * updates

        count = sa.text("SELECT count(*) FROM delivery WHERE state = 'sent' AND kind <> 'notice'")

        def all_sent() -> bool:
            with engine.connect() as conn:
                return bool(conn.execute(count).scalar() == total)

        async def dispatch() -> float:
            stop = asyncio.Event()
            dispatcher = build_dispatcher(w.deps, out=io.StringIO(), environ={}, poll_seconds=0.05)
            start = time.perf_counter()
            task = asyncio.create_task(run_dispatcher(dispatcher, stop))
            while not await asyncio.to_thread(all_sent):
                await asyncio.sleep(0.02)
            elapsed = time.perf_counter() - start
            stop.set()
            await task
            return elapsed

        elapsed = asyncio.run(dispatch())
        engine.dispose()
        applied = server.applied()
        got = sum(applied.get(f"/{updates}/{n}", 0) for n in range(destinations))
        if got != total:
            raise SystemExit(f"the receivers acted on {got} deliveries, not {total}")
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--destinations", type=int, default=200)
    parser.add_argument("--updates", type=int, default=10)
    parser.add_argument("--rate", type=float, default=1.0, help="per destination, per second")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()

    import logging

    logging.disable(logging.WARNING)  # unsigned-webhook warnings, one per destination
    server = Receivers()
    try:
        baseline = _rss_mib()
        one = run(destinations=args.destinations, updates=1, rate=args.rate, server=server)
        backlog = run(
            destinations=args.destinations, updates=args.updates, rate=args.rate, server=server
        )
        peak = _peak_mib()
    finally:
        server.stop()
    bound = (args.updates - 1) / args.rate
    n = args.destinations
    body = f"""
One published update fanned out to {n} loopback webhook destinations (SQLite outbox, the
dispatcher of `commsbot run` on the real clock, receivers on 127.0.0.1 in another process;
done = every delivery recorded `sent` in the outbox).
Each destination may send {args.rate:g} request/s (burst 1), so a backlog of {args.updates}
updates per destination cannot finish before {bound:g} s: the rate-limit lower bound.

| run | deliveries | elapsed | rate-limit lower bound | ratio (goal ≤ 1.1×) |
|---|---|---|---|---|
| 1 update → {n} destinations | {n} | {one:.2f} s | 0 s (one each) | — |
| {args.updates} updates → {n} destinations | {n * args.updates} | {backlog:.2f} s \
| {bound:g} s | {backlog / bound:.3f}× |

Peak memory (RSS) of the dispatching process: {peak:.0f} MiB, of which {peak - baseline:.0f} MiB
above the {baseline:.0f} MiB it held before the first run. Load average at the end of the run:
{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (the bound assumes the dispatcher gets a core).
Run: `python bench/broadcast_fanout.py --write`.
"""
    print(body)
    if args.write:
        write_section("Broadcast fan-out", body)


if __name__ == "__main__":
    main()
