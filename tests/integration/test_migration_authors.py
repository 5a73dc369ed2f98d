"""0006_draft_authors on a database with data in it, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from commsbot.store.db import current_revision, downgrade, head_revision, upgrade
from commsbot.store.tables import UTCDateTime
from commsbot.store.uow import SqlUnitOfWork

BEFORE = "0005_merge"
T0 = datetime(2024, 12, 11, 23, 16, tzinfo=UTC)

_incident = sa.table(
    "incident",
    *(sa.column(c) for c in ("id", "number", "title", "severity", "status", "commander")),
    sa.column("declared_at", UTCDateTime),
    sa.column("updated_at", UTCDateTime),
    sa.column("published_count", sa.Integer),
    sa.column("version", sa.Integer),
)
_draft = sa.table(
    "draft",
    *(sa.column(c) for c in ("id", "incident_id", "author", "body", "status", "base_status")),
    *(sa.column(c) for c in ("state", "decided_by")),
    sa.column("created_at", UTCDateTime),
    sa.column("updated_at", UTCDateTime),
    sa.column("decided_at", UTCDateTime),
    sa.column("component_changes", sa.JSON),
    sa.column("postmortem", sa.Boolean),
    sa.column("version", sa.Integer),
    sa.column("row_version", sa.Integer),
)
_update = sa.table(
    "incident_update",
    *(sa.column(c) for c in ("id", "incident_id", "seq", "status", "trigger", "body")),
    *(sa.column(c) for c in ("author", "approver", "draft_id")),
    sa.column("changes", sa.JSON),
    sa.column("published_at", UTCDateTime),
    sa.column("next_update_by", UTCDateTime),
)


def _seed_old_schema(engine: Engine) -> None:
    common = {"status": "investigating", "created_at": T0, "updated_at": T0}
    with engine.begin() as conn:
        conn.execute(
            _incident.insert().values(
                id="inc000000001",
                number=1,
                title="Outage",
                severity="sev2",
                status="investigating",
                commander="maya",
                declared_at=T0,
                updated_at=T0,
                published_count=1,
                version=1,
            )
        )
        for n, (state, decided_by) in enumerate([("published", "sam"), ("pending", None)], 1):
            conn.execute(
                _draft.insert().values(
                    id=f"drf00000000{n}",
                    incident_id="inc000000001",
                    author="maya" if n == 1 else "lee",
                    body=f"Text {n}: next update by 3:46 PM PST.",
                    base_status="investigating",
                    state=state,
                    decided_by=decided_by,
                    decided_at=T0 if decided_by else None,
                    component_changes=[{"name": "API", "status": "partial_outage"}],
                    postmortem=False,
                    version=1,
                    row_version=1,
                    **common,
                )
            )
        conn.execute(
            _update.insert().values(
                id="upd000000001",
                incident_id="inc000000001",
                seq=1,
                status="investigating",
                trigger="progress",
                body="Text 1: next update by 3:46 PM PST.",
                author="maya",
                approver="sam",
                draft_id="drf000000001",
                changes=[
                    {"name": "API", "old": "partial_outage", "new": "partial_outage"},
                    {"name": "Web", "old": "operational", "new": "degraded_performance"},
                ],
                published_at=T0,
                next_update_by=T0,
            )
        )


def test_upgrade_back_fills_authors_and_drops_no_op_component_changes(engine: Engine) -> None:
    upgrade(engine, BEFORE)
    _seed_old_schema(engine)

    upgrade(engine)

    assert current_revision(engine) == head_revision()
    with SqlUnitOfWork(engine) as uow:
        published = uow.drafts.get("drf000000001")
        pending = uow.drafts.get("drf000000002")
        update = uow.updates.get("upd000000001")
    assert (published.authors, published.last_editor) == (("maya",), "maya")
    assert (pending.authors, pending.last_editor) == (("lee",), "lee")
    assert pending.body_source == pending.body == "Text 2: next update by 3:46 PM PST."
    assert pending.next_update_by is None  # the old cadence is not stored: no promise to keep
    assert (update.author, update.authors) == ("maya", ("maya",))
    assert [(c.name, c.old.value, c.new.value) for c in update.changes] == [
        ("Web", "operational", "degraded_performance")
    ]


def test_downgrade_keeps_the_rows_and_upgrade_again_restores_the_columns(engine: Engine) -> None:
    upgrade(engine, BEFORE)
    _seed_old_schema(engine)
    upgrade(engine)

    downgrade(engine, BEFORE)

    columns = {c["name"] for c in sa.inspect(engine).get_columns("draft")}
    assert not columns & {"body_source", "next_update_by", "last_editor", "authors"}
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM draft")).scalar() == 2
    upgrade(engine)
    with SqlUnitOfWork(engine) as uow:
        assert uow.drafts.get("drf000000002").authors == ("lee",)
