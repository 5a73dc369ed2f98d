"""Helpers for the delivery tests: a hand-moved clock, a wired store, publishing updates."""

from __future__ import annotations

import asyncio
import io
import random
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from commsbot.delivery.model import DeliveryRecord
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import Severity
from commsbot.domain.policy import Actor
from commsbot.engines.dispatcher import Dispatcher
from commsbot.engines.targets import build_dispatcher, run_dispatcher
from commsbot.services.deps import Deps, new_id
from commsbot.services.drafts import approve_draft, propose_update
from commsbot.services.incidents import declare
from commsbot.settings import Settings, parse_settings
from commsbot.store.uow import unit_of_work_factory
from commsbot.templates import TemplateRenderer

T0 = datetime(2024, 12, 11, 23, 16, tzinfo=UTC)
IC, COMMS = Actor("maya"), Actor("sam")


class FakeTime:
    """A clock and a sleep that move only when the test says so (``advance``)."""

    def __init__(self, start: datetime = T0) -> None:
        self.current = start
        self._sleepers: list[tuple[datetime, asyncio.Future[None]]] = []

    def now(self) -> datetime:
        return self.current

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (self.current + timedelta(seconds=seconds), future)
        self._sleepers.append(entry)
        try:
            await future
        finally:
            if entry in self._sleepers:
                self._sleepers.remove(entry)

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)
        for wake_at, future in list(self._sleepers):
            if wake_at <= self.current and not future.done():
                future.set_result(None)


def webhook(name: str, url: str, **extra: Any) -> dict[str, Any]:
    entry = {"name": name, "type": "webhook", "url": url, "timeout_seconds": 2.0}
    entry.update(extra)
    return entry


def settings_with(destinations: list[dict[str, Any]], **extra: Any) -> Settings:
    data: dict[str, Any] = {
        "timezone": "America/Los_Angeles",
        "page": {"name": "Acme Status", "url": "https://status.acme.test"},
        "destinations": destinations,
        "notifiers": [{"name": "console", "type": "console"}],
        "reminders": {"enabled": False},
    }
    data.update(extra)
    return parse_settings(data)


def make_deps(engine: Engine, settings: Settings, clock: Any) -> Deps:
    return Deps(
        uow=unit_of_work_factory(engine),
        reader=unit_of_work_factory(engine, read_only=True),
        settings=settings,
        renderer=TemplateRenderer(zone=settings.zone),
        clock=clock,
        ids=new_id,
    )


@dataclass
class World:
    """A store, its settings, a clock, and the incident being worked on."""

    deps: Deps
    clock: FakeTime
    out: io.StringIO
    incident_ref: str = ""

    def declare_and_publish(self, body: str = "We're investigating.") -> str:
        declared = declare(
            self.deps,
            title="ChatGPT, API and Sora unavailable",
            severity=Severity.SEV1,
            components={"ChatGPT": None},
            actor=IC,
            body=body,
        )
        self.incident_ref = declared.incident.incident.ref
        return approve_draft(self.deps, draft_id=declared.draft.id, actor=COMMS).update.id

    def publish(self, status: Status, body: str, **changes: Any) -> str:
        draft = propose_update(
            self.deps,
            incident_ref=self.incident_ref,
            status=status,
            actor=IC,
            body=body,
            component_changes=changes or None,
        ).draft
        return approve_draft(self.deps, draft_id=draft.id, actor=COMMS).update.id

    def deliveries(self, target: str | None = None) -> list[DeliveryRecord]:
        with self.deps.read() as uow:
            rows = list(uow.ledger.list(limit=10_000))
        rows.sort(key=lambda r: (r.position or 0, r.created_at))
        return [r for r in rows if target is None or r.target == target]

    def dispatcher(self, **kwargs: Any) -> Dispatcher:
        return build_dispatcher(
            self.deps,
            out=self.out,
            environ=kwargs.pop("environ", {}),
            clock=self.clock,
            sleep=self.clock.sleep,
            rng=kwargs.pop("rng", seeded()),
            **kwargs,
        )


def world(engine: Engine, destinations: list[dict[str, Any]], **extra: Any) -> World:
    clock = FakeTime()
    return World(
        deps=make_deps(engine, settings_with(destinations, **extra), clock),
        clock=clock,
        out=io.StringIO(),
    )


async def eventually(condition: Callable[[], bool], *, what: str, timeout: float = 15.0) -> None:
    """Wait (in real time, yielding to the loop) until ``condition()``; a safety net only."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def advance_until(
    clock: FakeTime,
    condition: Callable[[], bool],
    *,
    what: str,
    step: float = 60.0,
    rounds: int = 60,
) -> None:
    """Move the clock by ``step`` until ``condition()``, letting the dispatcher run between."""
    for _ in range(rounds):
        if condition():
            return
        clock.advance(step)
        await asyncio.sleep(0.05)
    await eventually(condition, what=what, timeout=5)


async def settle(seconds: float = 0.2) -> None:
    """Let the dispatcher run in real time without moving the fake clock."""
    await asyncio.sleep(seconds)


@asynccontextmanager
async def running(dispatcher: Dispatcher) -> AsyncIterator[Dispatcher]:
    """Run ``dispatcher`` in the current loop for the ``async with`` block, then stop it."""
    stop = asyncio.Event()
    # run_dispatcher, as ``commsbot run`` does: it also closes the targets at the end.
    task = asyncio.get_running_loop().create_task(run_dispatcher(dispatcher, stop))
    try:
        yield dispatcher
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


def seeded() -> random.Random:
    return random.Random(1211)
