"""SIGTERM to ``commsbot run`` in the middle of a broadcast, then a replacement process.

24 webhook destinations get three updates each, in order, from a real ``commsbot run``
(subprocess, SQLite, HTTP server and reminders on). A third of the receivers take 30 s to
answer the first update (longer than the grace period: those attempts are abandoned), a third
take 1 s (they finish within it), a third answer at once. SIGTERM arrives while every
destination has its first update in flight. Then:

- the process exits 0 within ``[runtime] shutdown_grace_seconds``;
- what it had not claimed stays pending, what finished is sent, and the abandoned attempts are
  released: due now, ``maybe_sent``, no lease;
- a replacement started right after sends the rest at once: the abandoned deliveries reach
  their receivers again long before their 120 s lease would have run out (the receiver's
  timestamps against the first attempt's), and every receiver, which honours
  ``Idempotency-Key``, applies every update exactly once, in order.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from commsbot.delivery.model import DeliveryState
from commsbot.domain.lifecycle import Status
from commsbot.settings import load_settings
from commsbot.store.db import make_engine, upgrade
from commsbot.timing import SystemClock
from tests.delivery.loopback import LoopbackServer
from tests.delivery.support import World, make_deps

ROOT = Path(__file__).resolve().parents[2]
DESTINATIONS = 24
UPDATES = 3
GRACE = 6.0
LEASE = 120.0
SLOW = 30.0  # longer than GRACE: abandoned at the deadline
QUICK = 1.0  # shorter than the time deliveries get: finished during the grace period


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _config(path: Path, server: LoopbackServer, database: Path) -> Path:
    lines = [
        f'database_url = "sqlite:///{database}"',
        "[http]",
        f"port = {free_port()}",
        "[runtime]",
        f"shutdown_grace_seconds = {GRACE}",
    ]
    for n in range(DESTINATIONS):
        lines += [
            "[[destinations]]",
            f'name = "hook{n}"',
            'type = "webhook"',
            f'url = "{server.url(f"/{n}")}"',
            'secret_env = "SHUTDOWN_TEST_SECRET"',
            "timeout_seconds = 100",
            "attempt_timeout_seconds = 100",
            f"lease_seconds = {LEASE}",
        ]
    lines += ["[[notifiers]]", 'name = "quiet"', 'type = "console"', 'kinds = ["none"]']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _start(config: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMSBOT_")}
    env |= {"SHUTDOWN_TEST_SECRET": "s3cret", "PYTHONPATH": str(ROOT)}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "commsbot", "--config", str(config), "run"],
            cwd=config.parent,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait(condition: object, *, what: str, timeout: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert proc.poll() is None, f"commsbot run exited while waiting for {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _slow(n: int) -> bool:
    return n % 3 == 0


def _quick(n: int) -> bool:
    return n % 3 == 1


def test_sigterm_mid_broadcast_loses_nothing_sends_nothing_twice_and_hands_over_at_once(
    tmp_path: Path,
) -> None:
    server = LoopbackServer().start()
    for n in range(DESTINATIONS):
        if _slow(n):
            server.script(f"/{n}", f"slow:{SLOW}")
        elif _quick(n):
            server.script(f"/{n}", f"slow:{QUICK}")
    database = tmp_path / "shutdown.db"
    engine = make_engine(f"sqlite:///{database}")
    log = tmp_path / "run.log"
    proc: subprocess.Popen[bytes] | None = None
    try:
        upgrade(engine)
        config = _config(tmp_path / "commsbot.toml", server, database)
        w = World(
            deps=make_deps(engine, load_settings(config, environ={}), SystemClock()),
            clock=SystemClock(),  # type: ignore[arg-type]
            out=None,  # type: ignore[arg-type]
        )
        w.declare_and_publish("We're investigating.")
        for n in range(2, UPDATES + 1):
            w.publish(Status.IDENTIFIED, f"Progress report {n}.")

        proc = _start(config, log)
        _wait(
            lambda: all(server.requests(f"/{n}") for n in range(DESTINATIONS)),
            what="a first request at every receiver",
            timeout=60,
            proc=proc,
        )
        signalled = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        stopped_after = time.monotonic() - signalled
        first_log = log.read_text(encoding="utf-8", errors="replace")
        assert code == 0, first_log
        assert stopped_after < GRACE, f"stopped after {stopped_after:.1f} s\n{first_log}"

        after_stop = {r.target: r for r in w.deliveries() if r.state is not DeliveryState.SENT}
        for n in range(DESTINATIONS):
            if _slow(n):  # abandoned at the deadline: released, flagged, due now
                record = w.deliveries(f"hook{n}")[0]
                assert record.state is DeliveryState.RETRYING, record
                assert record.maybe_sent, record
                assert record.claimed_by is None, record
                assert record.next_attempt_at is not None
                assert record.next_attempt_at <= SystemClock().now()
        abandoned = [n for n in range(DESTINATIONS) if _slow(n)]
        assert "released at shutdown" in first_log
        assert first_log.count("it may have been delivered") == len(abandoned), first_log
        assert after_stop, "everything was sent before the SIGTERM: the test proves nothing"
        sent_before = {r.id for r in w.deliveries() if r.state is DeliveryState.SENT}
        assert sent_before, "nothing finished during the grace period"

        proc = _start(config, log)
        _wait(
            lambda: all(r.state is DeliveryState.SENT for r in w.deliveries()),
            what="every delivery sent by the replacement",
            timeout=LEASE / 3,
            proc=proc,
        )
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        records = w.deliveries()
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        server.stop()
        engine.dispose()

    assert len(records) == DESTINATIONS * UPDATES
    for n in range(DESTINATIONS):
        applied = server.applied(f"/{n}")
        # Exactly once each, in the order published (the receiver dedups by Idempotency-Key).
        assert [r.json["update"]["seq"] for r in applied] == list(range(1, UPDATES + 1))
        assert len({r.key for r in applied}) == UPDATES
        if _slow(n):
            first, again, *_ = server.requests(f"/{n}")
            assert again.key == first.key  # the abandoned one, sent again with its key
            # Taken over at once: well before the first attempt's lease would have run out.
            assert again.at - first.at < LEASE / 4, (again.at - first.at, LEASE)
