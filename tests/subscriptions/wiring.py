"""A wired store with subscriptions on, a real SMTP server, and the sender engine."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from sqlalchemy.engine import Engine

from commsbot.bootstrap import App, subscriber_sender, subscription_keys
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import ComponentStatus, Severity
from commsbot.domain.policy import Actor
from commsbot.engines.subscribers import SubscriberSender, run_sender
from commsbot.services.deps import Deps, new_id
from commsbot.services.drafts import approve_draft, propose_update
from commsbot.services.incidents import declare
from commsbot.services.subscriber_admin import add_subscriber
from commsbot.settings import Settings, parse_settings
from commsbot.store.uow import unit_of_work_factory
from commsbot.subscriptions.fanout import Fanout
from commsbot.subscriptions.model import SubscriberKind
from commsbot.templates import TemplateRenderer
from commsbot.timing import SystemClock
from tests.adapters.email.smtpd import SmtpServer
from tests.subscriptions.support import SECRET

IC, COMMS = Actor("maya"), Actor("sam")
ENV = {"COMMSBOT_SUBSCRIPTIONS_SECRET": SECRET}
COMPONENTS = ["ChatGPT", "API", "Sora"]


def settings_for(port: int, **subscriptions: Any) -> Settings:
    subs: dict[str, Any] = {
        "enabled": True,
        "smtp": {
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "from": "Acme Status <status@acme.example>",
            "max_per_second": 10_000,
            "timeout_seconds": 5,
        },
    }
    subs.update(subscriptions)
    return parse_settings(
        {
            "timezone": "America/Los_Angeles",
            "page": {"name": "Acme Status", "url": "https://status.acme.test"},
            "components": [{"name": n} for n in COMPONENTS],
            "notifiers": [{"name": "console", "type": "console"}],
            "reminders": {"enabled": False},
            "subscriptions": subs,
        }
    )


@dataclass
class World:
    deps: Deps
    engine: Engine
    smtp: SmtpServer
    incident_ref: str = ""

    def app(self) -> App:
        return App(deps=self.deps, database_url=str(self.engine.url), engine=self.engine)

    def sender(self, **options: Any) -> SubscriberSender:
        options.setdefault("poll_seconds", 0.05)
        sender = subscriber_sender(self.app(), environ=ENV, **options)
        assert sender is not None
        return sender

    def subscribe(self, address: str, *components: str) -> str:
        added = add_subscriber(
            self.deps,
            kind=SubscriberKind.EMAIL,
            address=address,
            actor=IC,
            components=components,
            confirmed=True,
        )
        return added.subscriber.id

    def declare(self, *components: str, body: str = "We're investigating.", **kw: Any) -> str:
        declared = declare(
            self.deps,
            title="ChatGPT, API and Sora unavailable",
            severity=Severity.SEV1,
            components=dict.fromkeys(components),
            actor=IC,
            body=body,
        )
        self.incident_ref = declared.incident.incident.ref
        return approve_draft(self.deps, draft_id=declared.draft.id, actor=COMMS, **kw).update.id

    def publish(
        self,
        status: Status,
        body: str,
        changes: dict[str, ComponentStatus] | None = None,
        **kw: Any,
    ) -> str:
        draft = propose_update(
            self.deps,
            incident_ref=self.incident_ref,
            status=status,
            actor=IC,
            body=body,
            component_changes=changes,
        ).draft
        return approve_draft(self.deps, draft_id=draft.id, actor=COMMS, **kw).update.id

    def fanouts(self) -> list[Fanout]:
        with self.deps.read() as uow:
            return list(uow.fanouts.list(limit=1000))

    def open_fanouts(self) -> int:
        return sum(1 for f in self.fanouts() if f.state.open)

    def received(self) -> list[EmailMessage]:
        return [r.parsed() for r in self.smtp.recorder.received]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received() if m["To"].addresses[0].addr_spec == address]


def make_world(engine: Engine, smtp: SmtpServer, **subscriptions: Any) -> World:
    settings = settings_for(smtp.port, **subscriptions)
    deps = Deps(
        uow=unit_of_work_factory(engine),
        reader=unit_of_work_factory(engine, read_only=True),
        settings=settings,
        renderer=TemplateRenderer(zone=settings.zone),
        clock=SystemClock(),
        ids=new_id,
        subscription_keys=subscription_keys(settings, ENV),
    )
    return World(deps=deps, engine=engine, smtp=smtp)


async def eventually(condition: Callable[[], bool], *, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@asynccontextmanager
async def running(sender: SubscriberSender) -> AsyncIterator[SubscriberSender]:
    stop = asyncio.Event()
    task = asyncio.get_running_loop().create_task(run_sender(sender, stop))
    try:
        yield sender
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)
