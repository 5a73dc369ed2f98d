"""Migrations and engine settings, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from commsbot.store import tables
from commsbot.store.db import (
    HEAD_REVISION,
    current_revision,
    downgrade,
    head_revision,
    is_up_to_date,
    make_engine,
    normalize_url,
    upgrade,
)
from commsbot.store.tables import incidents
from tests.integration.builders import ONLY_SQLITE

TABLES = {"incident", "incident_component", "component", "draft", "incident_update", "timeline"}


def test_the_head_revision_the_cli_checks_is_the_newest_migration() -> None:
    # Read-only commands compare the database with HEAD_REVISION instead of asking Alembic.
    assert head_revision() == HEAD_REVISION, (
        f"a migration was added: set HEAD_REVISION in commsbot/store/db.py to {head_revision()!r}"
    )


def test_an_empty_database_is_not_up_to_date(engine: Engine) -> None:
    assert current_revision(engine) is None
    assert not is_up_to_date(engine)


def test_a_database_one_migration_behind_is_not_up_to_date(engine: Engine) -> None:
    upgrade(engine, "0006_draft_authors")

    assert not is_up_to_date(engine)


def test_upgrade_creates_every_table_on_an_empty_database(engine: Engine) -> None:
    upgrade(engine)

    assert set(sa.inspect(engine).get_table_names()) >= TABLES
    assert current_revision(engine) == head_revision()
    assert is_up_to_date(engine)


def test_upgrade_is_idempotent(database_url: str) -> None:
    upgrade(database_url)
    upgrade(database_url)

    assert is_up_to_date(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    finally:
        engine.dispose()
    assert sorted(r[0] for r in rows) == head_revision().split("+")


def test_migrated_schema_matches_the_models(migrated: Engine) -> None:
    tables.import_all_tables()
    with migrated.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)

    assert differences == [], "store/tables and the migrations disagree; write a migration"


def test_downgrade_to_base_removes_everything_and_upgrade_restores_it(migrated: Engine) -> None:
    downgrade(migrated, "base")

    assert not TABLES & set(sa.inspect(migrated).get_table_names())
    assert current_revision(migrated) is None
    upgrade(migrated)
    assert is_up_to_date(migrated)


def test_naming_convention_names_the_constraints_the_store_relies_on(migrated: Engine) -> None:
    inspector = sa.inspect(migrated)
    uniques = {u["name"] for u in inspector.get_unique_constraints("incident")}
    update_uniques = {u["name"] for u in inspector.get_unique_constraints("incident_update")}

    assert "uq_incident_number" in uniques
    assert "uq_incident_update_incident_id_seq" in update_uniques
    assert sa.inspect(incidents.IncidentRow).version_id_col is incidents.INCIDENT_VERSION
    assert sa.inspect(incidents.DraftRow).version_id_col is incidents.DRAFT_ROW_VERSION


@ONLY_SQLITE
def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(engine: Engine) -> None:
    with engine.connect() as conn:
        pragma = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "busy_timeout", "foreign_keys")
        }

    assert pragma == {"journal_mode": "wal", "busy_timeout": 5000, "foreign_keys": 1}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:pw@db:5432/x", "postgresql+psycopg://u:***@db:5432/x"),
        ("postgresql://u@db/x", "postgresql+psycopg://u@db/x"),
        ("postgresql+psycopg://u@db/x", "postgresql+psycopg://u@db/x"),
        ("sqlite:///commsbot.db", "sqlite:///commsbot.db"),
    ],
)
def test_database_urls_are_normalised_to_psycopg(given: str, expected: str) -> None:
    assert normalize_url(given).render_as_string(hide_password=True) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "mysql://u:secret@db/x",
        "postgresql+asyncpg://u:secret@db/x",
        "sqlite+aiosqlite:///x.db",
        "not a url",
    ],
)
def test_unsupported_database_urls_are_refused_without_the_password(bad: str) -> None:
    with pytest.raises(ValueError, match=r"use sqlite:///PATH or postgresql://") as caught:
        normalize_url(bad)

    assert "secret" not in str(caught.value)


def test_published_incidents_keep_their_public_title_across_the_upgrade(engine: Engine) -> None:
    upgrade(engine, "0006_draft_authors")
    at = "2024-12-11 23:16:00+00:00"
    with engine.begin() as conn:
        for number, published in ((1, 1), (2, 0)):
            conn.execute(
                sa.text(
                    "INSERT INTO incident (id, number, title, severity, status, commander, "
                    "declared_at, updated_at, published_count, version) VALUES (:id, :n, :t, "
                    "'sev1', 'investigating', 'maya', :at, :at, :p, 1)"
                ),
                {
                    "id": f"inc{number:09d}",
                    "n": number,
                    "t": f"Outage {number}",
                    "at": at,
                    "p": published,
                },
            )
            # Rows that refer to the incident: a downgrade must keep them (and not trip over
            # them, as a copy-and-drop of the incident table would on SQLite).
            conn.execute(
                sa.text(
                    "INSERT INTO timeline (incident_id, at, actor, action, detail) "
                    "VALUES (:id, :at, 'maya', 'declared', 'sev1')"
                ),
                {"id": f"inc{number:09d}", "at": at},
            )
    upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT number, public_title, public_severity FROM incident ORDER BY number")
        ).all()
    # What the status page showed before the upgrade, it shows after it.
    assert [tuple(r) for r in rows] == [(1, "Outage 1", "sev1"), (2, None, None)]
    downgrade(engine, "0006_draft_authors")
    assert "public_title" not in {c["name"] for c in sa.inspect(engine).get_columns("incident")}
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM timeline")).scalar() == 2
        assert conn.execute(sa.text("SELECT count(*) FROM incident")).scalar() == 2
    upgrade(engine)
