"""Subscriber email, the sender part: 10,000 messages to a local SMTP server, against a bare
aiosmtplib loop in the same run.

The server is aiosmtpd on 127.0.0.1 in a process of its own (as a real relay would be); it
accepts everything and counts Message-IDs, so lost and duplicated messages are counted too.
Three ways to send the same 10,000 one-recipient messages over one connection:

1. baseline: a bare ``aiosmtplib.SMTP.send_message`` loop over messages built beforehand;
2. ``SmtpSender.send`` over the same prepared messages (the adapter alone);
3. render + send: ``EmailRenderer.prepare`` once, then per subscriber fresh signed links
   (``recipient_for``), ``PreparedNotice.to`` and ``SmtpSender.send`` — everything of issue 12's
   path except the outbox, the database and the cursor, which the wiring task adds and measures.

Each is run ``--rounds`` times, interleaved; the medians are compared. Prints a Markdown
table; ``--write`` also replaces the section in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import aiosmtplib  # noqa: E402
from _report import write_section  # noqa: E402

from adapters.email.sender import SmtpSender  # noqa: E402
from commsbot.subscriptions.render import EmailRenderer, recipient_for  # noqa: E402
from tests.subscriptions.support import IDENTITY, KEYS, NOW, content, subscriber  # noqa: E402

SERVER = r"""
import socket, sys, threading, json
from aiosmtpd.controller import Controller

class Counter:
    def __init__(self):
        self.total = 0
        self.ids = set()
    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content
        start = data.find(b"\r\nMessage-ID: ")
        end = data.find(b"\r\n", start + 2)
        self.ids.add(data[start + 14:end])
        self.total += 1
        return "250 2.0.0 Ok: queued"

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
counter = Counter()
controller = Controller(counter, hostname="127.0.0.1", port=port)
controller.start()
print(port, flush=True)
for line in sys.stdin:
    command = line.strip()
    if command == "stats":
        print(json.dumps({"total": counter.total, "unique": len(counter.ids)}), flush=True)
    elif command == "reset":
        counter.total, counter.ids = 0, set()
        print("{}", flush=True)
controller.stop()
"""


class Server:
    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-c", SERVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        self.port = int(self._proc.stdout.readline())
        self._lock = threading.Lock()

    def ask(self, command: str) -> dict[str, int]:
        assert self._proc.stdin is not None
        assert self._proc.stdout is not None
        self._proc.stdin.write(command + "\n")
        self._proc.stdin.flush()
        answer: dict[str, int] = json.loads(self._proc.stdout.readline())
        return answer

    def stop(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        self._proc.wait(10)


def _subscribers(count: int) -> list[Any]:
    return [subscriber(f"user{n}@example.com", id=f"s{n:05d}") for n in range(count)]


def _prepared(subscribers: list[Any], notice: str) -> list[Any]:
    renderer = EmailRenderer(IDENTITY)
    prepared = renderer.prepare(content(notice_id=notice))
    return [
        prepared.to(recipient_for(s, keys=KEYS, base_url=IDENTITY.page_url, now=NOW))
        for s in subscribers
    ]


async def bare(port: int, messages: list[Any]) -> tuple[float, float]:
    smtp = aiosmtplib.SMTP(
        hostname="127.0.0.1", port=port, start_tls=False, local_hostname="bench.localhost"
    )
    await smtp.connect()
    start, cpu = time.perf_counter(), time.process_time()
    for message in messages:
        await smtp.send_message(message)
    elapsed = time.perf_counter() - start, time.process_time() - cpu
    await smtp.quit()
    return elapsed


def _sender(port: int) -> SmtpSender:
    # The highest rate [subscriptions.smtp] allows: the bucket is on the path, not binding.
    return SmtpSender(
        host="127.0.0.1",
        port=port,
        security="none",
        max_per_second=10_000,
        local_hostname="bench.localhost",
    )


async def adapter(port: int, messages: list[Any]) -> tuple[float, float]:
    sender = _sender(port)
    start, cpu = time.perf_counter(), time.process_time()
    for message in messages:
        await sender.send(message)
    elapsed = time.perf_counter() - start, time.process_time() - cpu
    await sender.aclose()
    return elapsed


async def render_and_send(port: int, subscribers: list[Any], notice: str) -> tuple[float, float]:
    sender = _sender(port)
    renderer = EmailRenderer(IDENTITY)
    start, cpu = time.perf_counter(), time.process_time()
    prepared = renderer.prepare(content(notice_id=notice))
    for sub in subscribers:
        recipient = recipient_for(sub, keys=KEYS, base_url=IDENTITY.page_url, now=NOW)
        await sender.send(prepared.to(recipient))
    elapsed = time.perf_counter() - start, time.process_time() - cpu
    await sender.aclose()
    return elapsed


def _checked(server: Server, count: int, what: str) -> None:
    stats = server.ask("stats")
    if stats != {"total": count, "unique": count}:
        raise SystemExit(f"{what}: the server got {stats}, expected {count} unique messages")
    server.ask("reset")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    n = args.messages
    subscribers = _subscribers(n)
    start = time.perf_counter()
    messages = _prepared(subscribers, "bench-prepared")
    render_seconds = time.perf_counter() - start
    server = Server()
    times: dict[str, list[tuple[float, float]]] = {"bare": [], "adapter": [], "full": []}
    try:
        for round_ in range(args.rounds):
            times["bare"].append(asyncio.run(bare(server.port, messages)))
            _checked(server, n, "bare loop")
            times["adapter"].append(asyncio.run(adapter(server.port, messages)))
            _checked(server, n, "SmtpSender")
            notice = f"bench-{round_}"
            times["full"].append(asyncio.run(render_and_send(server.port, subscribers, notice)))
            _checked(server, n, "render + SmtpSender")
    finally:
        server.stop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    wall = {k: statistics.median(w for w, _ in v) for k, v in times.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in times.items()}
    load = os.getloadavg()[0]

    def row(label: str, key: str) -> str:
        w, c = wall[key], cpu[key]
        return (
            f"| {label} | {w:.2f} s | {w / n * 1e6:.0f} µs | {w / wall['bare']:.2f}× "
            f"| {c / n * 1e6:.0f} µs | {c / cpu['bare']:.2f}× |"
        )

    body = f"""
**Sender part only** (issue 12's goal, ≤ 1.5× including the whole commsbot path with the
outbox and the database, is measured by the task that wires them). {n:,} one-recipient
messages over one SMTP connection to aiosmtpd on 127.0.0.1 in another process, which counted
every Message-ID: 0 lost, 0 duplicated in every run. Median of {args.rounds} interleaved
rounds; CPU is the sending process's own (steadier than wall time on a shared machine: the
1-minute load average was {load:.1f} on {os.cpu_count()} cores at the end).

| path | {n:,} messages | wall per message | wall ratio | CPU per message | CPU ratio |
|---|---|---|---|---|---|
{row("bare `aiosmtplib` `send_message` loop, messages built beforehand (baseline)", "bare")}
{row("`SmtpSender.send`, same messages (rate limit 10,000/s on the path)", "adapter")}
{row("render (`prepare` once; signed links and `to` per subscriber) + `SmtpSender.send`", "full")}

Building the {n:,} messages beforehand took {render_seconds:.2f} s
({render_seconds / n * 1e6:.0f} µs each, signed links included). Peak memory (RSS) of the
sending process: {peak:.0f} MiB (it holds the {n:,} prepared messages of the first two rows).
Run: `python bench/subscriber_email.py --write`.
"""
    print(body)
    if args.write:
        write_section("Subscriber email (sender part)", body)


if __name__ == "__main__":
    main()
