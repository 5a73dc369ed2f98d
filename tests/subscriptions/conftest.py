"""The subscriber tests' HTTP stack: subscriptions on, a real database, tokens."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa

from commsbot.bootstrap import subscription_keys
from commsbot.engines.comms_figures import CommsFigures
from commsbot.engines.statuspage import PublicPages
from commsbot.http.app import create_app
from commsbot.services.components import sync_catalogue
from commsbot.services.deps import Deps
from commsbot.services.postmortems import team_metrics
from commsbot.services.statuspage import load_public_data
from commsbot.services.tokens import create_token
from commsbot.store.db import make_engine, upgrade
from commsbot.store.operations import SqlOperations
from commsbot.store.statuspage import sql_marker
from commsbot.store.uow import unit_of_work_factory
from commsbot.subscriptions.model import SubscriberKind
from commsbot.subscriptions.tokens import SubscriptionKeys, TokenPurpose
from commsbot.templates import TemplateRenderer
from commsbot.tokens.model import Scope
from tests.http.conftest import StackContext
from tests.statuspage import scenario
from tests.subscriptions.wiring import ENV, settings_for
from tests.unit.fakes import FakeClock

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from fastapi.testclient import TestClient


@dataclass
class Site:
    client: TestClient
    deps: Deps
    keys: SubscriptionKeys
    engine: sa.Engine
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, scope: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[scope]}"}

    def rows(self) -> list[tuple[str, str]]:
        with self.engine.connect() as conn:
            return [
                (r[0], r[1])
                for r in conn.execute(
                    sa.text("SELECT address, state FROM subscriber ORDER BY address")
                )
            ]

    def token(self, purpose: TokenPurpose, address: str) -> str:
        with self.deps.read() as uow:
            sub = uow.subscribers.find(SubscriberKind.EMAIL, address)
        assert sub is not None
        return self.keys.issue_for(purpose, sub, now=self.deps.clock.now())

    def form(self) -> str:
        page = self.client.get("/subscriptions")
        assert page.status_code == 200
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found is not None
        return found.group(1)


@pytest.fixture
def site(database_url: str) -> Iterator[Site]:
    yield from make_site(database_url)


@pytest.fixture
def hook_site(database_url: str) -> Iterator[Site]:
    """The site with webhook subscriptions on (private addresses allowed: 127.0.0.1)."""
    yield from make_site(database_url, webhooks={"enabled": True, "allow_private_addresses": True})


def make_site(database_url: str, **subscriptions: Any) -> Iterator[Site]:
    ctx = subscription_context(database_url, **subscriptions)
    deps = ctx.deps
    assert deps.subscription_keys is not None
    tokens = {
        scope.value: create_token(deps, name=f"t-{scope.value}", actor="sam", scope=scope)[1]
        for scope in (Scope.APPROVE, Scope.ADMIN)
    }
    with TestClient(
        create_app(context=ctx), raise_server_exceptions=False, base_url="https://status.acme.test"
    ) as client:
        yield Site(
            client=client,
            deps=deps,
            keys=deps.subscription_keys,
            engine=ctx.engine,
            tokens=tokens,
        )
    ctx.engine.dispose()


def subscription_context(database_url: str, **subscriptions: Any) -> StackContext:
    """The HTTP stack's context with subscriptions on, on a migrated database, page rendered."""
    settings = settings_for(2525, signups_per_client_per_hour=5, **subscriptions)
    clock = FakeClock(scenario.START)
    engine = make_engine(database_url)
    upgrade(engine)
    keys = subscription_keys(settings, ENV)
    deps = Deps(
        uow=unit_of_work_factory(engine),
        reader=unit_of_work_factory(engine, read_only=True),
        settings=settings,
        renderer=TemplateRenderer(zone=settings.zone),
        clock=clock,
        subscription_keys=keys,
    )
    with deps.uow() as uow:
        sync_catalogue(uow, settings, now=clock.now())
        uow.commit()
    marker = sql_marker(engine, today=lambda: clock.now().date())
    ctx = StackContext(
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
    ctx.pages.refresh()
    return ctx
