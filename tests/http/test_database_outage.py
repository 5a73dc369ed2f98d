"""The API while the database cannot be used: 503 ``database_unavailable``, not a crash."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from commsbot.http.app import create_app
from commsbot.services.ports import UnitOfWork
from commsbot.services.tokens import create_token
from commsbot.store.health import explain
from commsbot.tokens.model import Scope
from tests.http.conftest import make_context
from tests.statuspage import scenario
from tests.unit.fakes import FakeClock

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from fastapi.testclient import TestClient

PG_URL = "postgresql://maya:s3cret@db.example:5432/commsbot"


def refused() -> sa.exc.OperationalError:
    """What psycopg raises (wrapped by SQLAlchemy) when PostgreSQL is not there."""
    orig = Exception(
        'connection failed: connection to server at "10.0.0.5", port 5432 failed: '
        "Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?"
    )
    return sa.exc.OperationalError("SELECT 1", {}, orig)


def diagnose(exc: BaseException) -> str | None:
    found = explain(PG_URL, exc)
    return None if found is None else str(found)


@pytest.fixture
def down(tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    ctx = make_context(f"sqlite:///{tmp_path / 'c.db'}", scenario.settings(), FakeClock())
    token = create_token(ctx.deps, name="reader", actor="rita", scope=Scope.READ)[1]

    def unusable() -> UnitOfWork:
        raise refused()

    cut_off = replace(ctx, deps=replace(ctx.deps, uow=unusable, reader=unusable), diagnose=diagnose)
    with TestClient(create_app(context=cut_off), raise_server_exceptions=False) as client:
        yield client, token
    ctx.engine.dispose()


def test_a_request_the_database_cannot_serve_answers_503_database_unavailable(
    down: tuple[TestClient, str], caplog: pytest.LogCaptureFixture
) -> None:
    client, token = down
    with caplog.at_level(logging.INFO):
        answer = client.get(
            "/api/v1/incidents?open=true", headers={"Authorization": f"Bearer {token}"}
        )
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    error = answer.json()["error"]
    assert error["code"] == "database_unavailable"
    assert error["field"] is None
    assert error["message"].startswith(
        "database postgresql://maya:***@db.example:5432/commsbot is unusable: connection refused"
    )
    assert "s3cret" not in answer.text
    # One line saying why, no traceback.
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []
    assert any("is unusable" in r.getMessage() for r in caplog.records)


def test_other_failures_are_still_internal_errors(tmp_path: Path) -> None:
    ctx = make_context(f"sqlite:///{tmp_path / 'c.db'}", scenario.settings(), FakeClock())
    token = create_token(ctx.deps, name="reader", actor="rita", scope=Scope.READ)[1]

    def broken() -> UnitOfWork:
        raise RuntimeError("a bug")

    crashing = replace(ctx, deps=replace(ctx.deps, reader=broken), diagnose=diagnose)
    with TestClient(create_app(context=crashing), raise_server_exceptions=False) as client:
        answer = client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {token}"})
    ctx.engine.dispose()
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "internal_error"
