"""Database fixtures: every store test runs on a temp-file SQLite and on PostgreSQL.

PostgreSQL comes from ``COMMSBOT_TEST_POSTGRES_URL`` (``.ci/run`` starts one). The URL is used
only as an administrator connection: the tests make their own database next to it, empty the
schema before each test and drop the database at the end, so they never touch what the URL
points at. Without the variable the PostgreSQL tests are skipped, except under CI (``CI`` set),
where a missing database must fail the run instead of quietly halving it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

if TYPE_CHECKING:
    # Imported lazily below: the unit tests load this file too and need no store.
    from commsbot.store.uow import SqlUnitOfWork

POSTGRES_ENV = "COMMSBOT_TEST_POSTGRES_URL"


def _admin_url() -> URL:
    from commsbot.store.db import normalize_url

    raw = os.environ.get(POSTGRES_ENV, "").strip()
    if not raw:
        reason = (
            f"{POSTGRES_ENV} is not set; set it to postgresql+psycopg://USER@HOST:PORT/DB "
            "(a user allowed to CREATE DATABASE) to run the PostgreSQL store tests"
        )
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}", pytrace=False)
        pytest.skip(reason)
    return normalize_url(raw)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[URL]:
    """A database made for this test session, dropped at its end."""
    admin = _admin_url()
    name = f"commsbot_test_{os.getpid()}_{secrets.token_hex(4)}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield admin.set(database=name)
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        engine.dispose()


def _empty_postgres_schema(url: URL) -> None:
    # DROP SCHEMA ... CASCADE takes the tables, the trigger function and alembic_version.
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of an empty database: a new SQLite file, or a freshly emptied PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'commsbot.db'}"
    url: URL = request.getfixturevalue("postgres_database")
    _empty_postgres_schema(url)
    return url.render_as_string(hide_password=False)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine from ``make_engine`` on an empty database, disposed after the test."""
    from commsbot.store.db import make_engine

    made = make_engine(database_url)
    yield made
    made.dispose()


@pytest.fixture
def migrated(engine: Engine) -> Engine:
    """``engine``, with the migrations applied."""
    from commsbot.store.db import upgrade

    upgrade(engine)
    return engine


@pytest.fixture
def uow_factory(migrated: Engine) -> Callable[[], SqlUnitOfWork]:
    """Makes units of work on the migrated database."""
    from commsbot.store.uow import SqlUnitOfWork

    return lambda: SqlUnitOfWork(migrated)
