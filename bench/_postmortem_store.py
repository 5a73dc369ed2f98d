"""A SQLite database holding the generated incidents, written through the real use cases.

The same stories as ``tests/postmortem/generate.py`` (declaration times, severities,
components, the status of each update, when each was drafted and approved, the RCAs), replayed
with a clock set to each moment: declare, propose, approve. The deliveries the approvals
planned are then moved where a dispatcher would have (sent a little later, a few retried, a few
dead) with plain SQL. Reopens are left out (a reopen needs its own reason and drafts; the
figures read them the same way).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from commsbot.bootstrap import App, build
from commsbot.domain.errors import CommsbotError
from commsbot.domain.lifecycle import Status, Trigger
from commsbot.domain.model import ComponentStatus
from commsbot.domain.policy import Actor
from commsbot.postmortem.model import PostmortemFacts
from commsbot.services.drafts import approve_draft, propose_update
from commsbot.services.incidents import declare
from commsbot.settings import parse_settings
from commsbot.store.tables.deliveries import DeliveryRow
from tests.postmortem.generate import COMPONENTS, DESTINATIONS

IC, LEAD = Actor("ic"), Actor("lead")


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


def seed(path: Path, facts: list[PostmortemFacts], *, reuse: bool = False) -> App:
    """A database at ``path`` holding ``facts``' stories (replaced, unless ``reuse`` and it
    exists: then opened as it is); returns commsbot on it."""
    existed = reuse and path.exists()
    if not existed:
        path.unlink(missing_ok=True)
    clock = _Clock(facts[0].incident.declared_at)
    settings = parse_settings(
        {
            "timezone": "America/Los_Angeles",
            "database_url": f"sqlite:///{path}",
            "components": [{"name": name} for name in COMPONENTS],
            "destinations": [{"name": name, "type": "console"} for name in DESTINATIONS],
        }
    )
    app = build(settings, clock=clock)
    if existed:
        return app
    deps = app.deps
    for story in sorted(facts, key=lambda f: f.incident.declared_at):
        inc = story.incident
        clock.current = inc.declared_at
        hit = dict.fromkeys(inc.components, ComponentStatus.MAJOR_OUTAGE)
        made = declare(deps, title=inc.title, severity=inc.severity, actor=IC, components=hit)
        ref = made.incident.incident.ref
        for update in story.updates:
            if update.trigger is Trigger.REOPEN:
                break
            if update.seq == 1:
                draft_id = made.draft.id
            else:
                clock.current = update.drafted_at
                recovered = update.status is Status.RECOVERED
                draft_id = propose_update(
                    deps, incident_ref=ref, status=update.status, actor=IC,
                    postmortem=update.trigger is Trigger.POSTMORTEM,
                    component_changes=dict.fromkeys(inc.components, ComponentStatus.OPERATIONAL)
                    if recovered and update.trigger is not Trigger.POSTMORTEM else None,
                ).draft.id  # fmt: skip
            clock.current = max(update.published_at, clock.current)
            try:
                approve_draft(deps, draft_id=draft_id, actor=LEAD)
            except CommsbotError:  # a promise already past: the story moves on without it
                break
    _deliver(app)
    return app


def _deliver(app: App) -> None:
    rng = random.Random(14)
    table: Any = DeliveryRow.__table__
    with app.engine.begin() as conn:
        rows = conn.execute(sa.select(table.c.id, table.c.created_at)).all()
        moves = []
        for delivery_id, created in rows:
            roll = rng.random()
            state, attempts = ("dead", 5) if roll < 0.01 else ("sent", 1 + int(roll > 0.9) * 2)
            sent = created + timedelta(seconds=rng.uniform(0.2, 30 * attempts))
            moves.append({"i": delivery_id, "s": state, "a": attempts,
                          "t": sent if state == "sent" else None,
                          "d": sent if state == "dead" else None})  # fmt: skip
        conn.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("i"))
            .values(
                state=sa.bindparam("s"),
                attempts=sa.bindparam("a"),
                sent_at=sa.bindparam("t"),
                dead_at=sa.bindparam("d"),
            ),
            moves,
        )
