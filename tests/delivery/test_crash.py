"""SIGKILL the dispatcher at random moments during a broadcast, restart it, and check that
every delivery ends sent, exactly once, on receivers that honour the Idempotency-Key."""

from __future__ import annotations

import os
import random
import signal
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
DESTINATIONS = 4
UPDATES = 30
KILLS = 22


def _config(path: Path, server: LoopbackServer, database: Path) -> Path:
    lines = [f'database_url = "sqlite:///{database}"', "[reminders]", "enabled = false"]
    for n in range(DESTINATIONS):
        lines += [
            "[[destinations]]",
            f'name = "hook{n}"',
            'type = "webhook"',
            f'url = "{server.url(f"/{n}")}"',
            'secret_env = "CRASH_TEST_SECRET"',
            "timeout_seconds = 1",
            "attempt_timeout_seconds = 1",
            "lease_seconds = 1.2",
            "backoff_base_seconds = 0.05",
            "backoff_cap_seconds = 0.2",
        ]
    lines += ["[[notifiers]]", 'name = "quiet"', 'type = "console"', 'kinds = ["none"]']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _start(config: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMSBOT_")}
    env["CRASH_TEST_SECRET"] = "s3cret"
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.delivery.dispatcher_process", str(config)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _total(server: LoopbackServer) -> int:
    return sum(len(server.requests(f"/{n}")) for n in range(DESTINATIONS))


def test_sigkill_at_random_moments_loses_nothing_and_sends_nothing_twice(tmp_path: Path) -> None:
    rng = random.Random(20241211)
    server = LoopbackServer(delay=0.02).start()
    database = tmp_path / "crash.db"
    engine = make_engine(f"sqlite:///{database}")
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

        kills_mid_broadcast = 0
        for _ in range(KILLS):
            before = _total(server)
            proc = _start(config)
            if rng.random() < 0.25:
                time.sleep(rng.uniform(0.0, 0.6))  # anywhere, start-up included
            else:  # soon after this incarnation starts sending
                deadline = time.monotonic() + 10
                while _total(server) == before and time.monotonic() < deadline:
                    time.sleep(0.005)
                time.sleep(rng.uniform(0.0, 0.08))
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            unsent = [r for r in w.deliveries() if r.state is not DeliveryState.SENT]
            kills_mid_broadcast += bool(unsent)

        proc = _start(config)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if all(r.state is DeliveryState.SENT for r in w.deliveries()):
                    break
                time.sleep(0.05)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(15)
        records = w.deliveries()
    finally:
        server.stop()
        engine.dispose()

    assert kills_mid_broadcast >= 20
    assert len(records) == DESTINATIONS * UPDATES
    assert {r.state for r in records} == {DeliveryState.SENT}, "something was lost"
    retried_after_crash = [r for r in records if r.maybe_sent]
    assert retried_after_crash, "no kill landed while a delivery was being sent"
    for n in range(DESTINATIONS):
        applied = server.applied(f"/{n}")
        # Exactly once each, in the order published.
        assert [r.json["update"]["seq"] for r in applied] == list(range(1, UPDATES + 1))
        assert len({r.key for r in applied}) == UPDATES
        assert len(server.requests(f"/{n}")) >= UPDATES
