"""A real HTTP stack on a real database (SQLite, and PostgreSQL when available)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from commsbot.engines.comms_figures import CommsFigures
from commsbot.engines.statuspage import PublicPages
from commsbot.http.app import create_app
from commsbot.http.context import HttpContext
from commsbot.services.components import sync_catalogue
from commsbot.services.deps import Deps
from commsbot.services.postmortems import team_metrics
from commsbot.services.statuspage import load_public_data
from commsbot.services.tokens import create_token
from commsbot.settings import Settings
from commsbot.store.db import make_engine, upgrade
from commsbot.store.operations import SqlOperations
from commsbot.store.statuspage import sql_marker
from commsbot.store.uow import unit_of_work_factory
from commsbot.templates import TemplateRenderer
from commsbot.tokens.model import Scope
from tests.statuspage import scenario
from tests.unit.fakes import FakeClock

with warnings.catch_warnings():
    # Starlette suggests httpx2 for its test client; httpx is what is installed and works.
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from fastapi.testclient import TestClient

#: Who each test token acts as.
ACTORS = {
    "reader": "rita",
    "writer": "maya",
    "approver": "sam",
    "alertmanager": "alertmanager",
    "admin": "sam",
}


@dataclass
class Stack:
    client: TestClient
    ctx: StackContext
    engine: Engine
    clock: FakeClock
    tokens: dict[str, str]

    @property
    def deps(self) -> Deps:
        return self.ctx.deps

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def counts(self) -> dict[str, Any]:
        """Everything a refused request must leave as it was."""
        tables = ["incident", "draft", "incident_update", "timeline", "alert_group"]
        with self.engine.connect() as conn:
            found: dict[str, Any] = {
                t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in tables
            }
            found["drafts"] = conn.execute(
                sa.text("SELECT id, state, version FROM draft ORDER BY id")
            ).all()
            found["components"] = conn.execute(
                sa.text("SELECT name, status, row_version FROM component ORDER BY name")
            ).all()
        return found


@dataclass(frozen=True)
class StackContext(HttpContext):
    """The HTTP context, and the test's own engine on the same database (for assertions)."""

    engine: Engine


def make_context(database_url: str, settings: Settings, clock: FakeClock) -> StackContext:
    engine = make_engine(database_url)
    upgrade(engine)
    deps = Deps(
        uow=unit_of_work_factory(engine),
        reader=unit_of_work_factory(engine, read_only=True),
        settings=settings,
        renderer=TemplateRenderer(zone=settings.zone),
        clock=clock,
    )
    with deps.uow() as uow:
        sync_catalogue(uow, settings, now=clock.now())
        uow.commit()
    zone = settings.zone
    marker = sql_marker(engine, today=lambda: clock.now().astimezone(zone).date())
    return StackContext(
        deps=deps,
        operations=SqlOperations(engine),
        pages=PublicPages(load=lambda: load_public_data(deps), marker=marker),
        config=settings.http,
        comms=CommsFigures(
            load=lambda: team_metrics(deps),
            marker=marker,
            max_age=settings.postmortem.metrics_max_age_seconds,
        ),
        engine=engine,
    )


def open_stack(database_url: str, settings: Settings) -> Iterator[Stack]:
    clock = FakeClock(scenario.START)
    ctx = make_context(database_url, settings, clock)
    scopes = {
        "reader": Scope.READ,
        "writer": Scope.WRITE,
        "approver": Scope.APPROVE,
        "alertmanager": Scope.WRITE,
        "admin": Scope.ADMIN,
    }
    tokens = {
        who: create_token(ctx.deps, name=who, actor=ACTORS[who], scope=scope)[1]
        for who, scope in scopes.items()
    }
    ctx.pages.refresh()
    with TestClient(create_app(context=ctx), raise_server_exceptions=False) as client:
        yield Stack(client=client, ctx=ctx, engine=ctx.engine, clock=clock, tokens=tokens)
    ctx.engine.dispose()


@pytest.fixture
def stack(database_url: str) -> Iterator[Stack]:
    yield from open_stack(database_url, scenario.settings())
