"""The public postmortem document: on the postmortem draft, and on the update approved from it.

``update propose INC --postmortem --publish-document FILE`` attaches the public part of the
postmortem (Markdown) to the draft; the approver approves it with the text, and the published
update keeps it for the status page (``/incidents/<id>/postmortem``). Existing rows have none.
Checked against ``commsbot/store/tables/incidents.py`` by the schema comparison test, on SQLite
and PostgreSQL.

Revision ID: 0008_postmortem_document
Revises: 0007_incident_public_title
Create Date: 2026-12-03 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_postmortem_document"
down_revision: str | None = "0007_incident_public_title"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, no constraint) on both backends: SQLite keeps the tables.
    with op.batch_alter_table("draft") as batch:
        batch.add_column(sa.Column("document", sa.Text(), nullable=True))
    with op.batch_alter_table("incident_update") as batch:
        batch.add_column(sa.Column("document", sa.Text(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), as 0007 does: a batch copy would drop tables others
    # refer to, which SQLite refuses inside the migration's transaction.
    op.drop_column("incident_update", "document")
    op.drop_column("draft", "document")
