"""0009_maintenance on a database with data in it, on SQLite and PostgreSQL.

The outbox and reminder tables lose their foreign key to ``incident`` (they now name an
incident or a maintenance): on SQLite that is a copy of tables other tables point at, which
must keep every row and every other key.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from commsbot.store.db import downgrade, upgrade

BEFORE = "0008_postmortem_document"


def _insert(conn: sa.Connection, sql: str, **values: object) -> None:
    conn.execute(sa.text(sql), values)


def _seed(engine: Engine) -> None:
    with engine.begin() as conn:
        _insert(
            conn,
            "INSERT INTO incident (id, number, title, severity, status, commander, declared_at, "
            "updated_at, published_count, version) VALUES ('inc000000001', 1, 'Outage', 'sev1', "
            "'investigating', 'maya', :declared, :declared, 0, 1)",
            declared="2024-12-01 10:00:00+00:00",
        )
        _insert(
            conn,
            "INSERT INTO incident_component (incident_id, component_name, position) "
            "VALUES ('inc000000001', 'API', 1)",
        )
        for name, updated in (("API", "2024-12-05 10:00:00+00:00"), ("Web", None)):
            _insert(
                conn,
                "INSERT INTO component (name, status, description, position, updated_at, "
                "row_version) VALUES (:name, 'operational', '', 1, :updated, 1)",
                name=name,
                updated=updated,
            )
        _insert(
            conn,
            "INSERT INTO notice (id, incident_id, kind, payload) "
            "VALUES ('ntc000000001', 'inc000000001', 'reminder', '{}')",
        )
        _insert(
            conn,
            "INSERT INTO delivery (id, kind, target, incident_id, notice_id, key, state, attempts, "
            "created_at, deadline_at, maybe_sent) VALUES ('dlv000000001', 'notice', 'console', "
            "'inc000000001', 'ntc000000001', 'nkey', 'pending', 0, :at, :at, false)",
            at="2024-12-01 10:00:00+00:00",
        )


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_upgrade_keeps_the_outbox_and_dates_old_components(engine: Engine) -> None:
    upgrade(engine, BEFORE)
    _seed(engine)
    upgrade(engine)
    assert _count(engine, "notice") == 1
    assert _count(engine, "delivery") == 1
    keys = {
        table: {fk["referred_table"] for fk in sa.inspect(engine).get_foreign_keys(table)}
        for table in ("delivery", "notice", "delivery_thread", "reminder")
    }
    # The key to the incident is gone; the others stay.
    assert keys == {
        "delivery": {"incident_update", "notice"},
        "notice": set(),
        "delivery_thread": set(),
        "reminder": {"draft"},
    }
    with engine.connect() as conn:
        created: dict[str, object] = dict(
            conn.execute(sa.text("SELECT name, created_at FROM component ORDER BY name")).all()
        )
    # API: named by an incident declared before its last change; Web: no trace at all.
    assert str(created["API"]).startswith("2024-12-01 10:00")
    assert created["Web"] is None
    with engine.begin() as conn:
        # A maintenance's notice names no incident, and is accepted now.
        _insert(
            conn,
            "INSERT INTO notice (id, incident_id, kind, payload) "
            "VALUES ('ntc000000002', 'mnt000000001', 'reminder', '{}')",
        )


def test_downgrade_drops_what_named_a_maintenance_and_restores_the_keys(engine: Engine) -> None:
    upgrade(engine, BEFORE)
    _seed(engine)
    upgrade(engine)
    with engine.begin() as conn:
        _insert(
            conn,
            "INSERT INTO notice (id, incident_id, kind, payload) "
            "VALUES ('ntc000000002', 'mnt000000001', 'reminder', '{}')",
        )
    downgrade(engine, BEFORE)
    assert _count(engine, "notice") == 1
    assert _count(engine, "delivery") == 1
    fks = {fk["referred_table"] for fk in sa.inspect(engine).get_foreign_keys("notice")}
    assert fks == {"incident"}
    assert "maintenance" not in sa.inspect(engine).get_table_names()
    upgrade(engine)
