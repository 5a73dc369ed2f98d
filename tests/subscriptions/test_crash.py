"""SIGKILL ``commsbot run`` in the middle of a subscriber fan-out, start it again, and count
what a real SMTP server (aiosmtpd, in this process) received, by Message-ID: nothing lost,
each update in order, and duplicates only for messages the server had accepted when the
process died (they carry the same Message-ID)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from functools import partial
from pathlib import Path

import sqlalchemy as sa

from commsbot.domain.lifecycle import Status
from commsbot.services.subscriber_admin import import_subscribers
from commsbot.services.subscriptions import request_subscription
from commsbot.store.db import make_engine, upgrade
from commsbot.subscriptions.model import SubscriberKind
from tests.adapters.email.smtpd import SmtpServer
from tests.subscriptions.hookserver import hook_server, slow
from tests.subscriptions.support import SECRET
from tests.subscriptions.wiring import IC, World, eventually, make_world, running

ROOT = Path(__file__).resolve().parents[2]
SUBSCRIBERS = 240


def _config(path: Path, database: Path, port: int, extra: str = "") -> Path:
    path.write_text(
        f"""database_url = "sqlite:///{database}"
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
batch_size = 40
lease_seconds = 2
[subscriptions.smtp]
host = "127.0.0.1"
port = {port}
security = "none"
from = "Acme Status <status@acme.example>"
max_per_second = 10000
timeout_seconds = 5
{extra}""",
        encoding="utf-8",
    )
    return path


def _start(config: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMSBOT_")}
    env["COMMSBOT_SUBSCRIPTIONS_SECRET"] = SECRET
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.Popen(
        [sys.executable, "-m", "commsbot", "--config", str(config), "run"],
        cwd=config.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _kill_twice_then_finish(
    config: Path, engine: sa.Engine, sent: Callable[[], int], per_update: int
) -> int:
    """SIGKILL ``commsbot run`` a third of the way into each of two updates' fan-out (by
    ``sent``, what receivers got), then run it to the end; how many kills."""
    kills = 0
    for target in (per_update // 3, per_update + per_update // 3):
        process = _start(config)
        _wait(partial(_reached, sent, target), f"{target} sent")
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        kills += 1
    process = _start(config)
    try:
        _wait(partial(_fan_outs_done, engine), "every fan-out done")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    return kills


def _reached(sent: Callable[[], int], count: int) -> bool:
    return sent() >= count


def _wait(condition: Callable[[], bool], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_sigkill_mid_fan_out_loses_nothing_and_keeps_each_incidents_order(
    tmp_path: Path,
) -> None:
    database = tmp_path / "crash.db"
    engine = make_engine(f"sqlite:///{database}")
    with SmtpServer() as smtp:
        smtp.recorder.hang_seconds = 0.004  # slow enough to be killed mid-way
        config = _config(tmp_path / "commsbot.toml", database, smtp.port)
        upgrade(engine)
        world: World = make_world(engine, smtp)
        rows = [{"address": f"user{n:04}@example.com"} for n in range(SUBSCRIBERS)]
        import_subscribers(world.deps, rows=rows, actor=IC, confirmed=True)
        world.declare("API", body="First: we're investigating.")
        world.publish(Status.IDENTIFIED, "Second: found it.")
        received = smtp.recorder.received

        kills = _kill_twice_then_finish(config, engine, lambda: len(received), SUBSCRIBERS)

    assert kills == 2
    by_address: dict[str, list[str]] = defaultdict(list)
    first_body: dict[str, str] = {}
    for item in received:
        message = item.parsed()
        address = message["To"].addresses[0].addr_spec
        by_address[address].append(message["Message-ID"])
        body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        first_body.setdefault(address, body)
    # Nothing lost: every subscriber has both updates, under exactly two Message-IDs.
    assert len(by_address) == SUBSCRIBERS
    assert all(len(set(ids)) == 2 for ids in by_address.values())
    # In order: the first message each subscriber got is the first update.
    assert all("First:" in body for body in first_body.values())
    # Duplicates only for what was on the wire when each process died: one message at a
    # time goes over the connection, and what was accepted is recorded within moments.
    copies = Counter(i for ids in by_address.values() for i in ids)
    duplicates = sum(n - 1 for n in copies.values())
    print(f"duplicates after {kills} SIGKILLs: {duplicates}")
    assert duplicates <= 10 * kills


HOOKS = 60


def test_sigkill_mid_webhook_fan_out_delivers_each_notice_to_each_webhook(
    tmp_path: Path,
) -> None:
    """The same for webhook subscribers: each gets both updates, in order, and a copy sent
    again after a SIGKILL carries the same Idempotency-Key (receivers act on each key once)."""
    database = tmp_path / "crash.db"
    engine = make_engine(f"sqlite:///{database}")
    webhooks = {"enabled": True, "allow_private_addresses": True}
    with SmtpServer() as smtp, hook_server() as hooks:
        hooks.answer = slow(0.01)
        config = _config(
            tmp_path / "commsbot.toml",
            database,
            smtp.port,
            "[subscriptions.webhooks]\nenabled = true\nallow_private_addresses = true\n",
        )
        upgrade(engine)
        world: World = make_world(engine, smtp, webhooks=webhooks)
        for n in range(HOOKS):
            request_subscription(
                world.deps, kind=SubscriberKind.WEBHOOK, address=hooks.url(f"/hook/{n}")
            )

        async def confirm() -> None:
            async with running(world.sender(retry_seconds=(0.05, 0.1))):
                await eventually(
                    lambda: (
                        len(hooks.events("subscription.confirm")) >= HOOKS
                        and world.deps.settings is not None
                        and _confirmed(engine) == HOOKS
                    ),
                    what="every webhook confirmed",
                )

        asyncio.run(confirm())
        world.declare("API", body="First: we're investigating.")
        world.publish(Status.IDENTIFIED, "Second: found it.")
        updates = partial(hooks.events, "update.published")

        kills = _kill_twice_then_finish(config, engine, lambda: len(updates()), HOOKS)

    assert kills == 2
    keys: dict[str, list[str]] = defaultdict(list)
    first: dict[str, str] = {}
    for hit in updates():
        keys[hit.path].append(hit.headers["idempotency-key"])
        first.setdefault(hit.path, hit.json["update"]["body"])
    assert len(keys) == HOOKS
    assert all(len(set(k)) == 2 for k in keys.values())  # both notices, under two keys
    assert all(body.startswith("First:") for body in first.values())  # in order
    copies = Counter(k for ks in keys.values() for k in ks)
    duplicates = sum(n - 1 for n in copies.values())
    print(f"webhook duplicates after {kills} SIGKILLs: {duplicates}")
    # Sent again: only copies sent but not yet recorded when the process died (outcomes are
    # written in groups), never more than the batch it held (batch_size = 40).
    assert duplicates <= 40 * kills


def _confirmed(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT count(*) FROM subscriber WHERE state = 'confirmed'")
            ).scalar_one()
        )


def _fan_outs_done(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        open_rows = conn.execute(
            sa.text("SELECT count(*) FROM subscriber_fanout WHERE state != 'done'")
        ).scalar()
    return open_rows == 0
