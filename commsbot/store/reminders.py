"""The SQL reminder repository.

Writes are single statements, not ORM unit-of-work flushes: the claim is one conditional
``UPDATE … WHERE id = ? AND row_version = ? AND state = ? AND due_at = ?`` whose row count says
whether this transaction won. Reads refresh any row the session already holds, so a value read
after a write is the written one.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from commsbot.domain.errors import NotFound
from commsbot.reminders.model import Reminder, ReminderKind, ReminderState, Repeat
from commsbot.store.session import StoreSession
from commsbot.store.tables.reminders import ReminderRow

_ACTIVE = (ReminderState.PENDING.value, ReminderState.FIRED.value)
_TABLE: sa.Table = ReminderRow.__table__  # type: ignore[attr-defined]
_FIELDS = (
    "kind",
    "incident_id",
    "draft_id",
    "state",
    "due_at",
    "repeat",
    "interval_seconds",
    "audience",
    "text",
    "deadline_at",
    "snoozed_until",
    "snoozed_by",
    "fire_count",
    "last_fired_at",
    "created_at",
    "created_by",
    "closed_at",
    "closed_by",
)
# Built once: firing writes thousands of rows, and building a statement costs more than
# running it. Bound parameters take their columns' types (UTCDateTime, JSON).
_INSERT = _TABLE.insert().values(
    {name: sa.bindparam(name) for name in ("id", "row_version", *_FIELDS)}
)
#: The claim: only where the row is still exactly what was read.
_REPLACE = (
    _TABLE.update()
    .where(
        _TABLE.c.id == sa.bindparam("old_id"),
        _TABLE.c.row_version == sa.bindparam("old_version"),
        _TABLE.c.state == sa.bindparam("old_state"),
        _TABLE.c.due_at == sa.bindparam("old_due_at"),
    )
    .values({"row_version": sa.bindparam("new_version")})
    .values({name: sa.bindparam(name) for name in _FIELDS})
)


def _values(reminder: Reminder) -> dict[str, Any]:
    return {
        "kind": reminder.kind.value,
        "incident_id": reminder.incident_id,
        "draft_id": reminder.draft_id,
        "state": reminder.state.value,
        "due_at": reminder.due_at,
        "repeat": reminder.repeat.value,
        "interval_seconds": (
            None if reminder.interval is None else int(reminder.interval.total_seconds())
        ),
        "audience": list(reminder.audience),
        "text": reminder.text,
        "deadline_at": reminder.deadline_at,
        "snoozed_until": reminder.snoozed_until,
        "snoozed_by": reminder.snoozed_by,
        "fire_count": reminder.fire_count,
        "last_fired_at": reminder.last_fired_at,
        "created_at": reminder.created_at,
        "created_by": reminder.created_by,
        "closed_at": reminder.closed_at,
        "closed_by": reminder.closed_by,
    }


def reminder_from_row(row: ReminderRow) -> Reminder:
    return Reminder(
        id=row.id,
        kind=ReminderKind(row.kind),
        incident_id=row.incident_id,
        draft_id=row.draft_id,
        state=ReminderState(row.state),
        due_at=row.due_at,
        repeat=Repeat(row.repeat),
        interval=None if row.interval_seconds is None else timedelta(seconds=row.interval_seconds),
        audience=tuple(row.audience or ()),
        text=row.text,
        deadline_at=row.deadline_at,
        snoozed_until=row.snoozed_until,
        snoozed_by=row.snoozed_by,
        fire_count=row.fire_count,
        last_fired_at=row.last_fired_at,
        created_at=row.created_at,
        created_by=row.created_by,
        closed_at=row.closed_at,
        closed_by=row.closed_by,
        version=row.row_version,
    )


class SqlReminderRepository:
    """Reminders in the ``reminder`` table, inside one unit of work's session."""

    def __init__(self, session: StoreSession) -> None:
        self._session = session

    def _rows(self, query: Any) -> list[Reminder]:
        rows = self._session.exec(query.execution_options(populate_existing=True))
        return [reminder_from_row(row) for row in rows]

    def add(self, reminder: Reminder) -> None:
        self._session.execute(
            _INSERT, {"id": reminder.id, "row_version": reminder.version, **_values(reminder)}
        )

    def get(self, reminder_id: str) -> Reminder:
        found = self._rows(select(ReminderRow).where(col(ReminderRow.id) == reminder_id.strip()))
        if not found:
            raise NotFound(
                f"there is no reminder {reminder_id.strip()!r}; `commsbot reminder list` shows "
                "the ids (and `commsbot followup list` those of follow-ups)"
            )
        return found[0]

    def replace(self, old: Reminder, new: Reminder) -> bool:
        if new.id != old.id:
            raise ValueError(f"cannot replace reminder {old.id} with a different one ({new.id})")
        params = {
            "old_id": old.id,
            "old_version": old.version,
            "old_state": old.state.value,
            "old_due_at": old.due_at,
            "new_version": old.version + 1,
            **_values(new),
        }
        result = self._session.execute(_REPLACE, params)
        return bool(getattr(result, "rowcount", 0) == 1)

    def find(
        self,
        *,
        incident_id: str | None = None,
        kinds: Collection[ReminderKind] = (),
        draft_id: str | None = None,
        active_only: bool = True,
        limit: int = 500,
    ) -> Sequence[Reminder]:
        query = select(ReminderRow)
        if incident_id is not None:
            query = query.where(col(ReminderRow.incident_id) == incident_id)
        if kinds:
            query = query.where(col(ReminderRow.kind).in_([k.value for k in kinds]))
        if draft_id is not None:
            query = query.where(col(ReminderRow.draft_id) == draft_id)
        if active_only:
            query = query.where(col(ReminderRow.state).in_(_ACTIVE))
        query = query.order_by(col(ReminderRow.due_at), col(ReminderRow.id)).limit(limit)
        return self._rows(query)

    def due(self, now: datetime, *, limit: int) -> Sequence[Reminder]:
        query = (
            select(ReminderRow)
            .where(
                col(ReminderRow.state) == ReminderState.PENDING.value,
                col(ReminderRow.due_at) <= now,
            )
            .order_by(col(ReminderRow.due_at), col(ReminderRow.id))
            .limit(limit)
        )
        if self._session.get_bind().dialect.name == "postgresql":
            # SQLite has no row locks (and needs none: its writers take turns).
            query = query.with_for_update(skip_locked=True)
        return self._rows(query)

    def next_due(self) -> datetime | None:
        # min() takes its column's type, so UTCDateTime reads the value back UTC-aware.
        earliest: datetime | None = self._session.exec(
            select(sa.func.min(ReminderRow.due_at)).where(
                col(ReminderRow.state) == ReminderState.PENDING.value
            )
        ).one()
        return earliest
