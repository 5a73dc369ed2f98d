"""The session every unit of work uses: it turns lost races into ``ConcurrentChange``.

A race can surface at any flush, not only at commit: repositories flush on ``add`` and queries
autoflush. Translating inside :meth:`StoreSession.flush` covers all of them in one place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from commsbot.domain.errors import ConcurrentChange
from commsbot.store.tables.incidents import (
    ComponentRow,
    DraftRow,
    IncidentComponentRow,
    IncidentRow,
)

_RETRY = "nothing was written; reload and try again"

#: Unique constraints that only a concurrent writer can break, and what to tell the person.
_UNIQUE_MESSAGES = {
    "uq_incident_number": (
        "another incident was declared at the same moment and took the same number; "
        "nothing was written; try again"
    ),
    "uq_incident_update_incident_id_seq": (
        f"another update of this incident was published at the same moment; {_RETRY}"
    ),
    "pk_component": (
        "a component of the same name was created by someone else at the same moment; "
        "nothing was written; try again"
    ),
    "pk_incident_component": (
        f"the incident's components were changed by someone else at the same moment; {_RETRY}"
    ),
    "uq_api_token_active_name": (
        "another token of the same name was created at the same moment; nothing was written; "
        "choose another name or revoke that one first"
    ),
    "pk_alert_group": (
        "the same Alertmanager notification is being handled by another request at the same "
        "moment; nothing was written; send it again (Alertmanager does on its own)"
    ),
}
#: SQLite names the columns, not the constraint, in "UNIQUE constraint failed: ...".
_SQLITE_UNIQUE = {
    "incident.number": "uq_incident_number",
    "incident_update.incident_id, incident_update.seq": "uq_incident_update_incident_id_seq",
    "component.name": "pk_component",
    "incident_component.incident_id, incident_component.component_name": ("pk_incident_component"),
    "alert_group.key_hash": "pk_alert_group",
    "api_token.name": "uq_api_token_active_name",
}
#: PostgreSQL's serialization failure and deadlock: the other transaction won.
_PG_RACE_STATES = {"40001", "40P01"}
_STALE_TABLE = re.compile(r"on table '([^']+)'")


def _label(row: object) -> tuple[str, str] | None:
    """(table, how to name the row to a person), for rows the lock can refuse."""
    if isinstance(row, IncidentRow):
        return "incident", f"incident INC-{row.number}"
    if isinstance(row, DraftRow):
        return "draft", f"draft {row.id}"
    if isinstance(row, IncidentComponentRow):
        return "incident_component", f"the components of incident {row.incident_id}"
    if isinstance(row, ComponentRow):
        return "component", f"component {row.name!r}"
    return None


def stale_message(error: StaleDataError, labels: dict[str, list[str]]) -> str:
    """Name what the lost race was about, from the table the failed statement touched."""
    match = _STALE_TABLE.search(str(error))
    names = labels.get(match.group(1), []) if match else []
    if not names:
        names = [name for group in labels.values() for name in group]
    what = " and ".join(sorted(set(names))) or "a record"
    return f"{what} was changed by someone else at the same moment; {_RETRY}"


def conflict_message(error: DBAPIError) -> str | None:
    """The message for a database error that means "someone else won", or None."""
    orig = error.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in _PG_RACE_STATES:
        return f"someone else changed the same records at the same moment; {_RETRY}"
    if not isinstance(error, IntegrityError):
        return None
    if sqlstate == "23505":
        diag = getattr(orig, "diag", None)
        constraint = getattr(diag, "constraint_name", None)
    else:
        text = str(orig)
        prefix = "UNIQUE constraint failed: "
        constraint = _SQLITE_UNIQUE.get(text[len(prefix) :]) if text.startswith(prefix) else None
    return _UNIQUE_MESSAGES.get(constraint) if isinstance(constraint, str) else None


class StoreSession(Session):
    """A SQLModel session whose flush raises ``ConcurrentChange`` for a lost race.

    Callbacks registered with :meth:`after_flush` run after every successful flush; the
    repositories use them to copy new lock versions back onto the domain objects.
    """

    def __init__(self, bind: Engine, *, read_only: bool = False) -> None:
        # expire_on_commit=False: the domain objects are separate, and reading a row after
        # commit must not start a new transaction (on SQLite, a new write lock).
        super().__init__(bind=bind, autoflush=True, expire_on_commit=False)
        self.read_only = read_only
        self._after_flush: list[Callable[[], None]] = []

    def after_flush(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` after each successful flush of this session."""
        self._after_flush.append(callback)

    def flush(self, objects: Sequence[Any] | None = None) -> None:
        """Flush, translating a lost optimistic-locking race into ``ConcurrentChange``."""
        if self.read_only and (self.new or self.dirty or self.deleted):
            raise RuntimeError(
                "this unit of work is read-only and cannot write; use a read-write one"
            )
        # Named before the flush: after a failed one the rows may no longer be readable.
        labels: dict[str, list[str]] = {}
        for row in (*self.dirty, *self.deleted):
            found = _label(row)
            if found:
                labels.setdefault(found[0], []).append(found[1])
        try:
            super().flush(objects)
        except StaleDataError as error:
            raise ConcurrentChange(stale_message(error, labels)) from error
        except DBAPIError as error:
            message = conflict_message(error)
            if message is None:
                raise
            raise ConcurrentChange(message) from error
        for callback in self._after_flush:
            callback()
