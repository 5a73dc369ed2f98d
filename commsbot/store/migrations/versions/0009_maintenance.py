"""Scheduled maintenance: its tables; the outbox and reminders learn to name a maintenance; and
when each component was first stored.

- ``maintenance``, ``maintenance_draft``, ``maintenance_notice``, ``maintenance_event``.
- ``delivery.incident_id``, ``notice.incident_id``, ``delivery_thread.incident_id`` and
  ``reminder.incident_id`` now name the incident *or* the scheduled maintenance a row belongs
  to (the outbox orders and threads deliveries per one of them; maintenance timers are
  reminders): their foreign key to ``incident`` goes, since a key cannot point into either of
  two tables. The code that writes them names only rows it has just read.
- ``component.created_at``: when it was first stored, so the status page shows "no data" for
  the days before. Older rows get the earliest trace of the component: the first incident that
  named it, or its last change, whichever came first.

On SQLite the four tables are copied without the key (batch mode), with foreign keys off for
the copy and checked before the commit (``commsbot.store.db``). Checked against the models by
the schema comparison test, on SQLite and PostgreSQL.

Revision ID: 0009_maintenance
Revises: 0008_postmortem_document
Create Date: 2024-12-14 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_maintenance"
down_revision: str | None = "0008_postmortem_document"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=12)
ENUM = sa.String(length=32)
UTC_TIME = sa.DateTime(timezone=True)

#: (table, foreign key) that pointed ``incident_id`` at ``incident``.
_SUBJECT_KEYS = (
    ("delivery", "fk_delivery_incident_id_incident"),
    ("notice", "fk_notice_incident_id_incident"),
    ("delivery_thread", "fk_delivery_thread_incident_id_incident"),
    ("reminder", "fk_reminder_incident_id_incident"),
)


def _append_only(dialect: str) -> list[str]:
    """The maintenance timeline is append-only in the database, as the incidents' is (0001)."""
    if dialect == "sqlite":
        return [
            f"""
            CREATE TRIGGER maintenance_event_no_{verb.lower()} BEFORE {verb} ON maintenance_event
            BEGIN
                SELECT RAISE(ABORT, 'the timeline is append-only: {verb} is refused');
            END
            """
            for verb in ("UPDATE", "DELETE")
        ]
    return [
        # timeline_append_only() comes from 0001.
        """
        CREATE TRIGGER maintenance_event_no_update_or_delete
            BEFORE UPDATE OR DELETE ON maintenance_event
            FOR EACH ROW EXECUTE FUNCTION timeline_append_only()
        """,
        """
        CREATE TRIGGER maintenance_event_no_truncate BEFORE TRUNCATE ON maintenance_event
            FOR EACH STATEMENT EXECUTE FUNCTION timeline_append_only()
        """,
    ]


def upgrade() -> None:
    op.create_table(
        "maintenance",
        sa.Column("id", ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("scheduled_for", UTC_TIME, nullable=False),
        sa.Column("scheduled_until", UTC_TIME, nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("auto_start", sa.Boolean(), nullable=False),
        sa.Column("auto_complete", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.Column("announced_at", UTC_TIME, nullable=True),
        sa.Column("started_at", UTC_TIME, nullable=True),
        sa.Column("completed_at", UTC_TIME, nullable=True),
        sa.Column("cancelled_at", UTC_TIME, nullable=True),
        sa.Column("start_source", sa.Text(), nullable=False),
        sa.Column("end_source", sa.Text(), nullable=False),
        sa.Column("announcement_authors", sa.JSON(), nullable=False),
        sa.Column("announced_by", sa.String(), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("published_count", sa.Integer(), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_maintenance"),
        sa.UniqueConstraint("number", name="uq_maintenance_number"),
    )
    op.create_index(
        "ix_maintenance_status_scheduled_for", "maintenance", ["status", "scheduled_for"]
    )
    op.create_table(
        "maintenance_draft",
        sa.Column("id", ID, nullable=False),
        sa.Column("maintenance_id", ID, nullable=False),
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("base_status", ENUM, nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("scheduled_for", UTC_TIME, nullable=True),
        sa.Column("scheduled_until", UTC_TIME, nullable=True),
        sa.Column("components", sa.JSON(), nullable=True),
        sa.Column("start_text", sa.Text(), nullable=True),
        sa.Column("end_text", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", ENUM, nullable=False),
        sa.Column("decided_by", sa.String(), nullable=True),
        sa.Column("decided_at", UTC_TIME, nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("last_editor", sa.String(), nullable=False),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["maintenance_id"],
            ["maintenance.id"],
            name="fk_maintenance_draft_maintenance_id_maintenance",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_maintenance_draft"),
    )
    op.create_index("ix_maintenance_draft_maintenance_id", "maintenance_draft", ["maintenance_id"])
    op.create_table(
        "maintenance_notice",
        sa.Column("id", ID, nullable=False),
        sa.Column("maintenance_id", ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("scheduled_for", UTC_TIME, nullable=False),
        sa.Column("scheduled_until", UTC_TIME, nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("approver", sa.String(), nullable=False),
        sa.Column("draft_id", ID, nullable=True),
        sa.Column("published_at", UTC_TIME, nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["maintenance_draft.id"],
            name="fk_maintenance_notice_draft_id_maintenance_draft",
        ),
        sa.ForeignKeyConstraint(
            ["maintenance_id"],
            ["maintenance.id"],
            name="fk_maintenance_notice_maintenance_id_maintenance",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_maintenance_notice"),
        sa.UniqueConstraint(
            "maintenance_id", "seq", name="uq_maintenance_notice_maintenance_id_seq"
        ),
    )
    op.create_index(
        "ix_maintenance_notice_maintenance_id", "maintenance_notice", ["maintenance_id"]
    )
    op.create_index("ix_maintenance_notice_published_at", "maintenance_notice", ["published_at"])
    op.create_table(
        "maintenance_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("maintenance_id", ID, nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["maintenance_id"],
            ["maintenance.id"],
            name="fk_maintenance_event_maintenance_id_maintenance",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_maintenance_event"),
    )
    op.create_index("ix_maintenance_event_maintenance_id", "maintenance_event", ["maintenance_id"])
    for table, key in _SUBJECT_KEYS:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(key, type_="foreignkey")
    with op.batch_alter_table("component") as batch:
        batch.add_column(sa.Column("created_at", UTC_TIME, nullable=True))
    op.execute(
        "UPDATE component SET created_at = coalesce("
        " (SELECT min(incident.declared_at) FROM incident_component"
        "  JOIN incident ON incident.id = incident_component.incident_id"
        "  WHERE incident_component.component_name = component.name"
        "  AND (component.updated_at IS NULL OR incident.declared_at < component.updated_at)),"
        " component.updated_at)"
    )


def downgrade() -> None:
    op.drop_column("component", "created_at")
    # What belongs to a maintenance cannot point at an incident: it goes with the maintenance.
    op.execute(
        "DELETE FROM delivery WHERE incident_id NOT IN (SELECT id FROM incident)"
        " OR notice_id IN (SELECT id FROM notice WHERE incident_id NOT IN"
        " (SELECT id FROM incident))"
    )
    for table, _ in _SUBJECT_KEYS[1:]:
        op.execute(f"DELETE FROM {table} WHERE incident_id NOT IN (SELECT id FROM incident)")
    for table, key in _SUBJECT_KEYS:
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(key, "incident", ["incident_id"], ["id"])
    op.drop_index("ix_maintenance_event_maintenance_id", table_name="maintenance_event")
    op.drop_table("maintenance_event")
    op.drop_index("ix_maintenance_notice_published_at", table_name="maintenance_notice")
    op.drop_index("ix_maintenance_notice_maintenance_id", table_name="maintenance_notice")
    op.drop_table("maintenance_notice")
    op.drop_index("ix_maintenance_draft_maintenance_id", table_name="maintenance_draft")
    op.drop_table("maintenance_draft")
    op.drop_index("ix_maintenance_status_scheduled_for", table_name="maintenance")
    op.drop_table("maintenance")
