"""Initial schema: incidents, components, drafts, published updates, the timeline.

Written by hand from ``alembic revision --autogenerate`` and checked against
``commsbot/store/tables/incidents.py`` (the integration tests compare the migrated schema with
the models on SQLite and PostgreSQL). Types are plain SQLAlchemy types: ``UTCDateTime`` is
``DateTime(timezone=True)`` in the database, and a migration must not depend on code that may
change after it was written.

The timeline is append-only in the database itself: triggers refuse UPDATE and DELETE (and, on
PostgreSQL, TRUNCATE). On SQLite a later batch migration of ``timeline`` rebuilds the table and
drops its triggers: such a migration must create them again (see ``_sqlite_triggers``).

Revision ID: 0001
Revises:
Create Date: 2024-12-12 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=12)
ENUM = sa.String(length=32)
UTC_TIME = sa.DateTime(timezone=True)


def _sqlite_triggers() -> list[str]:
    return [
        f"""
        CREATE TRIGGER timeline_no_{verb.lower()} BEFORE {verb} ON timeline
        BEGIN
            SELECT RAISE(ABORT, 'the timeline is append-only: {verb} of timeline rows is refused');
        END
        """
        for verb in ("UPDATE", "DELETE")
    ]


_POSTGRES_TRIGGERS = [
    """
    CREATE FUNCTION timeline_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'the timeline is append-only: % of timeline rows is refused', TG_OP
            USING ERRCODE = 'restrict_violation', HINT = 'append a new timeline entry instead';
    END
    $$
    """,
    """
    CREATE TRIGGER timeline_no_update_or_delete BEFORE UPDATE OR DELETE ON timeline
        FOR EACH ROW EXECUTE FUNCTION timeline_append_only()
    """,
    # Row triggers do not see TRUNCATE.
    """
    CREATE TRIGGER timeline_no_truncate BEFORE TRUNCATE ON timeline
        FOR EACH STATEMENT EXECUTE FUNCTION timeline_append_only()
    """,
]


def upgrade() -> None:
    op.create_table(
        "component",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("group_name", sa.String(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=True),
        # The optimistic lock (SQLAlchemy's version_id_col).
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_component"),
    )
    op.create_table(
        "incident",
        sa.Column("id", ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("severity", ENUM, nullable=False),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("commander", sa.String(), nullable=False),
        sa.Column("declared_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.Column("resolved_at", UTC_TIME, nullable=True),
        sa.Column("published_count", sa.Integer(), nullable=False),
        # The optimistic lock (SQLAlchemy's version_id_col).
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_incident"),
        sa.UniqueConstraint("number", name="uq_incident_number"),
    )
    op.create_table(
        "incident_component",
        sa.Column("incident_id", ID, nullable=False),
        sa.Column("component_name", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name="fk_incident_component_incident_id_incident",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "component_name", name="pk_incident_component"),
    )
    op.create_table(
        "draft",
        sa.Column("id", ID, nullable=False),
        sa.Column("incident_id", ID, nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("base_status", ENUM, nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.Column("component_changes", sa.JSON(), nullable=False),
        sa.Column("postmortem", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        # The domain's edit counter, which approvals name.
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", ENUM, nullable=False),
        sa.Column("decided_by", sa.String(), nullable=True),
        sa.Column("decided_at", UTC_TIME, nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        # The optimistic lock (SQLAlchemy's version_id_col), bumped on every write.
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name="fk_draft_incident_id_incident"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_draft"),
    )
    op.create_index("ix_draft_incident_id", "draft", ["incident_id"])
    op.create_table(
        "incident_update",
        sa.Column("id", ID, nullable=False),
        sa.Column("incident_id", ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("trigger", ENUM, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("approver", sa.String(), nullable=False),
        sa.Column("draft_id", ID, nullable=False),
        sa.Column("published_at", UTC_TIME, nullable=False),
        sa.Column("next_update_by", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["draft.id"], name="fk_incident_update_draft_id_draft"
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name="fk_incident_update_incident_id_incident"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_incident_update"),
        sa.UniqueConstraint("incident_id", "seq", name="uq_incident_update_incident_id_seq"),
    )
    op.create_index("ix_incident_update_published_at", "incident_update", ["published_at"])
    op.create_table(
        "timeline",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", ID, nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name="fk_timeline_incident_id_incident"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_timeline"),
    )
    op.create_index("ix_timeline_incident_id", "timeline", ["incident_id"])

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        triggers = _sqlite_triggers()
    elif dialect == "postgresql":
        triggers = _POSTGRES_TRIGGERS
    else:
        raise NotImplementedError(f"no append-only timeline triggers for {dialect}")
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    # Dropping the table drops its triggers; the PostgreSQL function is separate.
    op.drop_table("timeline")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION timeline_append_only()")
    op.drop_index("ix_incident_update_published_at", table_name="incident_update")
    op.drop_table("incident_update")
    op.drop_index("ix_draft_incident_id", table_name="draft")
    op.drop_table("draft")
    op.drop_table("incident_component")
    op.drop_table("incident")
    op.drop_table("component")
