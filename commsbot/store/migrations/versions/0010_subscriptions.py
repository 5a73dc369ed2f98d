"""Subscribers: the subscribers, their components, the fan-out of notices to them (one row per
notice, one narrow row per subscriber reached), their one-off messages, the sign-up windows;
and ``deliver_notifications`` on published updates (false when approved quietly).

Checked against ``commsbot/store/tables/subscriptions.py`` by the schema comparison test, on
SQLite and PostgreSQL. Existing updates were all announced to everyone who was subscribed (no
one was), so they get ``deliver_notifications = true``.

Revision ID: 0010_subscriptions
Revises: 0009_maintenance
Create Date: 2024-12-14 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_subscriptions"
down_revision: str | None = "0009_maintenance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=12)
ENUM = sa.String(length=32)
UTC_TIME = sa.DateTime(timezone=True)
ADDRESS = sa.String(length=2000)
HASH = sa.String(length=64)
OWNER = sa.String(length=64)


def upgrade() -> None:
    with op.batch_alter_table("incident_update") as batch:
        batch.add_column(
            sa.Column(
                "deliver_notifications", sa.Boolean(), nullable=False, server_default=sa.true()
            )
        )
    op.create_table(
        "subscriber",
        sa.Column("id", ID, nullable=False),
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("address", ADDRESS, nullable=False),
        sa.Column("address_key", ADDRESS, nullable=False),
        sa.Column("all_components", sa.Boolean(), nullable=False),
        sa.Column("state", ENUM, nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("owner_email", sa.String(length=254), nullable=True),
        sa.Column("state_changed_at", UTC_TIME, nullable=True),
        sa.Column("state_reason", sa.Text(), nullable=True),
        sa.Column("failing_since", UTC_TIME, nullable=True),
        sa.Column("webhook_secret", sa.String(length=128), nullable=True),
        sa.Column("consent_source", ENUM, nullable=False),
        sa.Column("requested_at", UTC_TIME, nullable=False),
        sa.Column("requested_from", HASH, nullable=True),
        sa.Column("confirmed_at", UTC_TIME, nullable=True),
        sa.Column("confirmed_from", HASH, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_subscriber"),
        sa.UniqueConstraint("kind", "address_key", name="uq_subscriber_kind_address_key"),
    )
    op.create_index("ix_subscriber_state_id", "subscriber", ["state", "id"])
    op.create_index("ix_subscriber_requested_at", "subscriber", ["requested_at"])
    op.create_table(
        "subscriber_component",
        sa.Column("subscriber_id", ID, nullable=False),
        sa.Column("component_key", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscriber.id"],
            name="fk_subscriber_component_subscriber_id_subscriber",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subscriber_id", "component_key", name="pk_subscriber_component"),
    )
    op.create_index(
        "ix_subscriber_component_component_key", "subscriber_component", ["component_key"]
    )
    op.create_table(
        "subscriber_fanout",
        sa.Column("id", ID, nullable=False),
        sa.Column("notice_id", ID, nullable=False),
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("subject_id", ID, nullable=False),
        sa.Column("subject_ref", ENUM, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("update_id", ID, nullable=True),
        sa.Column("corrects", ID, nullable=True),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("state", ENUM, nullable=False),
        sa.Column("cursor", ID, nullable=True),
        sa.Column("planned", sa.Integer(), nullable=False),
        sa.Column("reached", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("as_of", UTC_TIME, nullable=False),
        sa.Column("deadline_at", UTC_TIME, nullable=False),
        sa.Column("paused_until", UTC_TIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("alerted", sa.Boolean(), nullable=False),
        sa.Column("finished_at", UTC_TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_subscriber_fanout"),
        sa.UniqueConstraint("notice_id", name="uq_subscriber_fanout_notice_id"),
        sa.UniqueConstraint(
            "subject_id", "position", name="uq_subscriber_fanout_subject_id_position"
        ),
    )
    op.create_index(
        "ix_subscriber_fanout_state_created_at", "subscriber_fanout", ["state", "created_at"]
    )
    op.create_index("ix_subscriber_fanout_update_id", "subscriber_fanout", ["update_id"])
    op.create_table(
        "subscriber_send",
        sa.Column("fanout_id", ID, nullable=False),
        sa.Column("subscriber_id", ID, nullable=False),
        sa.Column("state", ENUM, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC_TIME, nullable=True),
        sa.Column("claimed_by", OWNER, nullable=True),
        sa.Column("claimed_until", UTC_TIME, nullable=True),
        sa.Column("maybe_sent", sa.Boolean(), nullable=False),
        sa.Column("sent_at", UTC_TIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["fanout_id"],
            ["subscriber_fanout.id"],
            name="fk_subscriber_send_fanout_id_subscriber_fanout",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscriber.id"],
            name="fk_subscriber_send_subscriber_id_subscriber",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("fanout_id", "subscriber_id", name="pk_subscriber_send"),
    )
    op.create_index(
        "ix_subscriber_send_state_next_attempt_at", "subscriber_send", ["state", "next_attempt_at"]
    )
    op.create_index("ix_subscriber_send_subscriber_id", "subscriber_send", ["subscriber_id"])
    op.create_table(
        "subscriber_message",
        sa.Column("id", ID, nullable=False),
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("subscriber_id", ID, nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", ENUM, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("deadline_at", UTC_TIME, nullable=False),
        sa.Column("next_attempt_at", UTC_TIME, nullable=True),
        sa.Column("claimed_by", OWNER, nullable=True),
        sa.Column("claimed_until", UTC_TIME, nullable=True),
        sa.Column("sent_at", UTC_TIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscriber.id"],
            name="fk_subscriber_message_subscriber_id_subscriber",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_subscriber_message"),
    )
    op.create_index(
        "ix_subscriber_message_state_next_attempt_at",
        "subscriber_message",
        ["state", "next_attempt_at"],
    )
    op.create_index("ix_subscriber_message_subscriber_id", "subscriber_message", ["subscriber_id"])
    op.create_table(
        "signup_window",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("hits", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_signup_window"),
    )
    op.create_index("ix_signup_window_updated_at", "signup_window", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_signup_window_updated_at", table_name="signup_window")
    op.drop_table("signup_window")
    op.drop_index("ix_subscriber_message_subscriber_id", table_name="subscriber_message")
    op.drop_index("ix_subscriber_message_state_next_attempt_at", table_name="subscriber_message")
    op.drop_table("subscriber_message")
    op.drop_index("ix_subscriber_send_subscriber_id", table_name="subscriber_send")
    op.drop_index("ix_subscriber_send_state_next_attempt_at", table_name="subscriber_send")
    op.drop_table("subscriber_send")
    op.drop_index("ix_subscriber_fanout_update_id", table_name="subscriber_fanout")
    op.drop_index("ix_subscriber_fanout_state_created_at", table_name="subscriber_fanout")
    op.drop_table("subscriber_fanout")
    op.drop_index("ix_subscriber_component_component_key", table_name="subscriber_component")
    op.drop_table("subscriber_component")
    op.drop_index("ix_subscriber_requested_at", table_name="subscriber")
    op.drop_index("ix_subscriber_state_id", table_name="subscriber")
    op.drop_table("subscriber")
    # Plain DROP COLUMN, as 0007 does (a batch copy of incident_update would need to drop a
    # table others refer to).
    op.drop_column("incident_update", "deliver_notifications")
