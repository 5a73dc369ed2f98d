"""Use cases on the real store (SQLite or PostgreSQL) with a clock the test moves."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from commsbot.domain.model import Severity
from commsbot.domain.policy import Actor
from commsbot.services.deps import Deps
from commsbot.services.drafts import approve_draft
from commsbot.services.incidents import declare
from commsbot.settings import parse_settings
from commsbot.store.db import make_engine, upgrade
from commsbot.store.uow import unit_of_work_factory
from commsbot.templates import TemplateRenderer
from tests.unit.fakes import FakeClock

LA = ZoneInfo("America/Los_Angeles")
#: 11 December 2024, 3:16 PM PST.
T0 = datetime(2024, 12, 11, 23, 16, tzinfo=UTC)
MAYA, SAM = Actor("maya"), Actor("sam")


def store_deps(
    url: str, *, clock: FakeClock | None = None, migrate: bool = True, **config: Any
) -> tuple[Deps, Engine]:
    """Deps on the database at ``url`` (one engine: one "process"); dispose of the engine."""
    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    settings = parse_settings(
        {"timezone": "America/Los_Angeles", "approval": {"approvers": ["sam", "lee"]}, **config}
    )
    deps = Deps(
        uow=unit_of_work_factory(engine),
        reader=unit_of_work_factory(engine, read_only=True),
        settings=settings,
        renderer=TemplateRenderer(zone=settings.zone),
        clock=clock or FakeClock(T0),
    )
    return deps, engine


def declared_and_published(deps: Deps, *, title: str = "ChatGPT unavailable") -> str:
    """Declare a sev1 incident as maya and have sam approve its acknowledgment; its ref."""
    made = declare(
        deps, title=title, severity=Severity.SEV1, components={"ChatGPT": None}, actor=MAYA
    )
    approve_draft(deps, draft_id=made.draft.id, actor=SAM)
    return made.incident.incident.ref
