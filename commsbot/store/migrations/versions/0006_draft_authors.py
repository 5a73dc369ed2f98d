"""Four eyes on the final text, and the promise a draft states.

Adds to ``draft``: ``body_source`` (the text as written, ``{next_update_by}`` where the promised
time goes), ``next_update_by``, ``last_editor`` and ``authors``; to ``incident_update``:
``authors``. Existing rows are back-filled as their author's alone (authors = [author], last
editor = author, source = body). Existing drafts keep no promise (``next_update_by`` NULL):
the time their text states was computed from a cadence that is not stored; approving one
publishes it without a next-update reminder, as its text is not rewritten.

Also drops no-op component changes (old status = new status) from published updates: they
were listed as "Partial outage → Partial outage", and publishing no longer records them.

Revision ID: 0006_draft_authors
Revises: 0005_merge
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006_draft_authors"
down_revision: str | None = "0005_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)

# Lightweight table views for the back-fill: never the application's models, which change.
_draft = sa.table(
    "draft",
    sa.column("id", sa.String),
    sa.column("author", sa.String),
    sa.column("body", sa.Text),
    sa.column("body_source", sa.Text),
    sa.column("last_editor", sa.String),
    sa.column("authors", sa.JSON),
)
_update = sa.table(
    "incident_update",
    sa.column("id", sa.String),
    sa.column("author", sa.String),
    sa.column("authors", sa.JSON),
    sa.column("changes", sa.JSON),
)


def upgrade() -> None:
    # NOT NULL with a server default is a plain ADD COLUMN on both backends (SQLite keeps the
    # table); the back-fill below then writes each row's real value.
    with op.batch_alter_table("draft") as batch:
        batch.add_column(sa.Column("body_source", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("next_update_by", UTC_TIME, nullable=True))
        batch.add_column(sa.Column("last_editor", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("authors", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("incident_update") as batch:
        batch.add_column(sa.Column("authors", sa.JSON(), nullable=False, server_default="[]"))

    bind = op.get_bind()
    bind.execute(_draft.update().values(body_source=_draft.c.body, last_editor=_draft.c.author))
    drafts = bind.execute(sa.select(_draft.c.id, _draft.c.author)).all()
    if drafts:
        bind.execute(
            _draft.update()
            .where(_draft.c.id == sa.bindparam("row_id"))
            .values(authors=sa.bindparam("new_authors", type_=sa.JSON)),
            [{"row_id": d.id, "new_authors": [d.author]} for d in drafts],
        )
    updates = bind.execute(sa.select(_update.c.id, _update.c.author, _update.c.changes)).all()
    if updates:
        bind.execute(
            _update.update()
            .where(_update.c.id == sa.bindparam("row_id"))
            .values(
                authors=sa.bindparam("new_authors", type_=sa.JSON),
                changes=sa.bindparam("new_changes", type_=sa.JSON),
            ),
            [
                {
                    "row_id": u.id,
                    "new_authors": [u.author],
                    "new_changes": _real_moves(u.changes),
                }
                for u in updates
            ],
        )


def _real_moves(changes: Any) -> list[dict[str, str]]:
    return [c for c in changes or [] if c.get("old") != c.get("new")]


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+ has it): a batch copy of ``draft`` would have to drop the
    # table, which published updates refer to, and SQLite refuses that inside the migration's
    # transaction while its foreign keys are on.
    op.drop_column("incident_update", "authors")
    for column in ("authors", "last_editor", "next_update_by", "body_source"):
        op.drop_column("draft", column)
