"""Reminders: next-update promises, approval nudges, the root-cause analysis, follow-ups.

Checked against ``commsbot/store/tables/reminders.py`` by the schema comparison test, on SQLite
and PostgreSQL.

Revision ID: 0004_reminders
Revises: 0001
Create Date: 2024-12-12 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_reminders"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=12)
ENUM = sa.String(length=32)
UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reminder",
        sa.Column("id", ID, nullable=False),
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("incident_id", ID, nullable=False),
        sa.Column("draft_id", ID, nullable=True),
        sa.Column("state", ENUM, nullable=False),
        sa.Column("due_at", UTC_TIME, nullable=False),
        sa.Column("repeat", ENUM, nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=True),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("deadline_at", UTC_TIME, nullable=True),
        sa.Column("snoozed_until", UTC_TIME, nullable=True),
        sa.Column("snoozed_by", sa.String(), nullable=True),
        sa.Column("fire_count", sa.Integer(), nullable=False),
        sa.Column("last_fired_at", UTC_TIME, nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("closed_at", UTC_TIME, nullable=True),
        sa.Column("closed_by", sa.String(), nullable=True),
        # Bumped by every write; firing claims the row only where it is unchanged.
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["draft_id"], ["draft.id"], name="fk_reminder_draft_id_draft"),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name="fk_reminder_incident_id_incident"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reminder"),
    )
    op.create_index("ix_reminder_incident_id", "reminder", ["incident_id"])
    op.create_index("ix_reminder_state_due_at", "reminder", ["state", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_reminder_state_due_at", table_name="reminder")
    op.drop_index("ix_reminder_incident_id", table_name="reminder")
    op.drop_table("reminder")
