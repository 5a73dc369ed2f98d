"""The broadcast engine's outbox: deliveries, notices, threads; corrections of updates.

Adds ``draft.corrects`` (a draft that corrects a published update) and
``incident_update.corrected_at``. Checked against ``commsbot/store/tables/deliveries.py`` and
``tables/incidents.py`` by the schema comparison test, on SQLite and PostgreSQL.

Revision ID: 0002_delivery
Revises: 0001
Create Date: 2024-12-12 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_delivery"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=12)
ENUM = sa.String(length=32)
TARGET = sa.String(length=64)
UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Plain ADD COLUMN (no constraint) on both backends: SQLite need not rebuild the table.
    with op.batch_alter_table("draft") as batch:
        batch.add_column(sa.Column("corrects", ID, nullable=True))
    with op.batch_alter_table("incident_update") as batch:
        batch.add_column(sa.Column("corrected_at", UTC_TIME, nullable=True))

    op.create_table(
        "notice",
        sa.Column("id", ID, nullable=False),
        sa.Column("incident_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=True),
        sa.Column("expanded_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name="fk_notice_incident_id_incident"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_notice"),
    )
    op.create_index("ix_notice_incident_id", "notice", ["incident_id"])
    op.create_index("ix_notice_expanded_at", "notice", ["expanded_at"])
    op.create_table(
        "delivery",
        sa.Column("id", ID, nullable=False),
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("target", TARGET, nullable=False),
        sa.Column("incident_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("update_id", ID, nullable=True),
        sa.Column("draft_id", ID, nullable=True),
        sa.Column("notice_id", ID, nullable=True),
        sa.Column("key", sa.String(length=25), nullable=False),
        sa.Column("state", ENUM, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("deadline_at", UTC_TIME, nullable=False),
        sa.Column("next_attempt_at", UTC_TIME, nullable=True),
        sa.Column("last_attempt_at", UTC_TIME, nullable=True),
        sa.Column("sent_at", UTC_TIME, nullable=True),
        sa.Column("dead_at", UTC_TIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("message_id", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("maybe_sent", sa.Boolean(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", UTC_TIME, nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name="fk_delivery_incident_id_incident"
        ),
        sa.ForeignKeyConstraint(
            ["update_id"], ["incident_update.id"], name="fk_delivery_update_id_incident_update"
        ),
        sa.ForeignKeyConstraint(["notice_id"], ["notice.id"], name="fk_delivery_notice_id_notice"),
        sa.PrimaryKeyConstraint("id", name="pk_delivery"),
        sa.UniqueConstraint("key", name="uq_delivery_key"),
    )
    op.create_index("ix_delivery_incident_id", "delivery", ["incident_id"])
    op.create_index("ix_delivery_update_id", "delivery", ["update_id"])
    op.create_index("ix_delivery_state_next_attempt_at", "delivery", ["state", "next_attempt_at"])
    op.create_index(
        "ix_delivery_target_incident_id_position",
        "delivery",
        ["target", "incident_id", "position"],
    )
    op.create_table(
        "delivery_thread",
        sa.Column("target", TARGET, nullable=False),
        sa.Column("incident_id", ID, nullable=False),
        sa.Column("thread_id", sa.Text(), nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name="fk_delivery_thread_incident_id_incident"
        ),
        sa.PrimaryKeyConstraint("target", "incident_id", name="pk_delivery_thread"),
    )


def downgrade() -> None:
    op.drop_table("delivery_thread")
    op.drop_index("ix_delivery_target_incident_id_position", table_name="delivery")
    op.drop_index("ix_delivery_state_next_attempt_at", table_name="delivery")
    op.drop_index("ix_delivery_update_id", table_name="delivery")
    op.drop_index("ix_delivery_incident_id", table_name="delivery")
    op.drop_table("delivery")
    op.drop_index("ix_notice_expanded_at", table_name="notice")
    op.drop_index("ix_notice_incident_id", table_name="notice")
    op.drop_table("notice")
    with op.batch_alter_table("incident_update") as batch:
        batch.drop_column("corrected_at")
    with op.batch_alter_table("draft") as batch:
        batch.drop_column("corrects")
