"""Join the feature migrations (delivery, HTTP, reminders) into one head.

Revision ID: 0005_merge
Revises: 0002_delivery, 0003_http, 0004_reminders
"""

from __future__ import annotations

revision = "0005_merge"
down_revision = ("0002_delivery", "0003_http", "0004_reminders")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: this revision only joins the three branches."""


def downgrade() -> None:
    """Nothing to change."""
