"""What the public sees of an incident: its title and severity as of the last published update.

An incident's title, severity and commander can now be changed at once (``incident edit``); the
status page keeps showing the title (and the impact its severity implies) of the last approved
update until the next one is published. Incidents already published get their current title and
severity, which is what the page shows today. Checked against
``commsbot/store/tables/incidents.py`` by the schema comparison test, on SQLite and PostgreSQL.

Revision ID: 0007_incident_public_title
Revises: 0006_draft_authors
Create Date: 2024-12-13 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_incident_public_title"
down_revision: str | None = "0006_draft_authors"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENUM = sa.String(length=32)


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, no constraint) on both backends: SQLite keeps the table.
    with op.batch_alter_table("incident") as batch:
        batch.add_column(sa.Column("public_title", sa.Text(), nullable=True))
        batch.add_column(sa.Column("public_severity", ENUM, nullable=True))
    op.execute(
        "UPDATE incident SET public_title = title, public_severity = severity "
        "WHERE published_count > 0"
    )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+ has it): a batch copy of ``incident`` would have to drop
    # the table every other one refers to, which SQLite refuses inside the migration's
    # transaction while its foreign keys are on.
    op.drop_column("incident", "public_severity")
    op.drop_column("incident", "public_title")
