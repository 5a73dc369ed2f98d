"""SQL implementations of the repository ports. They take and return domain objects.

Each repository belongs to one unit of work and remembers the rows it handed out (its identity
dict): ``save`` copies the domain object onto that same row, so the UPDATE carries the version
that was read and SQLAlchemy's ``version_id_col`` check refuses a write over someone else's.

``add`` flushes at once: no ``relationship()`` orders INSERTs by foreign key here, and a taken
incident number is best reported where it happened.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import col, select

from commsbot.domain.errors import NotFound
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import Component, Draft, DraftState, Incident, TimelineEntry, Update
from commsbot.store import mappers
from commsbot.store.session import StoreSession
from commsbot.store.tables import ID_LENGTH
from commsbot.store.tables.incidents import (
    ComponentRow,
    DraftRow,
    IncidentComponentRow,
    IncidentRow,
    TimelineRow,
    UpdateRow,
)

_ID = re.compile(rf"[a-z0-9]{{{ID_LENGTH}}}")
_NUMBER = re.compile(r"(?:inc-?|#)?(\d+)", re.IGNORECASE | re.ASCII)
_MAX_NUMBER = 2**31 - 1  # the column is a 32-bit integer on PostgreSQL
_HOW_TO_REFER = (
    "refer to an incident by its number (42), its reference (INC-42) or its 12-character id"
)


def _not_loaded(kind: str, key: str) -> ValueError:
    # A programming error, not a user's: saving a copy read elsewhere would skip the lock.
    return ValueError(
        f"{kind} {key} was not loaded by this unit of work; get it in the same unit of work "
        "before saving, so the write is checked against what was read"
    )


class SqlIncidentRepository:
    """Incidents and the ordered list of components each affects."""

    def __init__(self, session: StoreSession) -> None:
        self._session = session
        self._rows: dict[str, IncidentRow] = {}
        self._handed_out: list[tuple[Incident, IncidentRow]] = []
        session.after_flush(self._sync_versions)

    def _sync_versions(self) -> None:
        # The lock version is the store's; after each flush the domain sees the row's.
        for incident, row in self._handed_out:
            incident.version = row.version

    def _hand_out(self, row: IncidentRow, components: Sequence[str]) -> Incident:
        incident = mappers.incident_from_row(row, components)
        self._rows[row.id] = row
        self._handed_out.append((incident, row))
        return incident

    def _components_of(self, incident_ids: Sequence[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {i: [] for i in incident_ids}
        if not incident_ids:
            return found
        rows = self._session.exec(
            select(IncidentComponentRow)
            .where(col(IncidentComponentRow.incident_id).in_(incident_ids))
            .order_by(col(IncidentComponentRow.incident_id), col(IncidentComponentRow.position))
        )
        for row in rows:
            found[row.incident_id].append(row.component_name)
        return found

    def add(self, incident: Incident) -> None:
        """Insert a new incident. A number taken meanwhile raises ``ConcurrentChange``."""
        row = mappers.incident_row(incident)
        self._session.add(row)
        self._session.flush()
        self._session.add_all(mappers.incident_component_rows(incident))
        self._session.flush()
        self._rows[row.id] = row
        self._handed_out.append((incident, row))
        incident.version = row.version

    def get(self, ref: str) -> Incident:
        """By 12-character id, by number (``42``) or by reference (``INC-42``, any case).

        Raises:
            NotFound: nothing matches; the message says what was looked for and what a valid
                reference looks like.
        """
        text = ref.strip()
        row: IncidentRow | None = None
        if _ID.fullmatch(text.lower()):
            row = self._session.get(IncidentRow, text.lower())
        number = _NUMBER.fullmatch(text)
        # Length first: int() of a very long digit string is slow, then refused.
        if row is None and number and len(number.group(1)) <= 10:
            wanted = int(number.group(1))
            if wanted <= _MAX_NUMBER:
                row = self._session.exec(
                    select(IncidentRow).where(col(IncidentRow.number) == wanted)
                ).first()
        if row is None:
            if not text:
                raise NotFound(f"no incident was named; {_HOW_TO_REFER}")
            if number or _ID.fullmatch(text.lower()):
                raise NotFound(f"there is no incident {text!r}; {_HOW_TO_REFER}")
            raise NotFound(f"{text!r} is not an incident reference; {_HOW_TO_REFER}")
        return self._hand_out(row, self._components_of([row.id])[row.id])

    def list(self, *, open_only: bool = False, limit: int = 50) -> Sequence[Incident]:
        """Newest (highest number) first; ``open_only`` leaves out recovered incidents."""
        query = select(IncidentRow).order_by(col(IncidentRow.number).desc()).limit(max(limit, 0))
        if open_only:
            query = query.where(col(IncidentRow.status) != Status.RECOVERED.value)
        rows = self._session.exec(query).all()
        components = self._components_of([r.id for r in rows])
        return [self._hand_out(r, components[r.id]) for r in rows]

    def save(self, incident: Incident) -> None:
        """Write changes to an incident loaded in this unit of work (optimistically locked)."""
        row = self._rows.get(incident.id)
        if row is None:
            raise _not_loaded("incident", incident.ref)
        mappers.copy_incident(incident, row)
        if self._save_components(incident):
            # Child rows carry no lock of their own: make sure the incident row is UPDATEd,
            # so its version is checked and bumped even when only the components changed.
            flag_modified(row, "updated_at")

    def _save_components(self, incident: Incident) -> bool:
        """Make the incident_component rows match; True when anything changed."""
        # No autoflush: the incident's own changes go out with these, in one UPDATE.
        with self._session.no_autoflush:
            current = list(
                self._session.exec(
                    select(IncidentComponentRow)
                    .where(IncidentComponentRow.incident_id == incident.id)
                    .order_by(col(IncidentComponentRow.position))
                )
            )
        wanted = mappers.unique_names(incident.components)
        if [r.component_name for r in current] == wanted:
            return False
        by_name = {r.component_name: r for r in current}
        for name, row in by_name.items():
            if name not in wanted:
                self._session.delete(row)
        for position, name in enumerate(wanted):
            existing = by_name.get(name)
            if existing is None:
                self._session.add(
                    IncidentComponentRow(
                        incident_id=incident.id, component_name=name, position=position
                    )
                )
            else:
                existing.position = position
        return True

    def next_number(self) -> int:
        """One more than the highest number so far (1 for the first incident).

        Two writers on PostgreSQL may both get the same number; the unique constraint then
        refuses the second ``add`` with ``ConcurrentChange`` and the caller tries again.
        """
        highest = self._session.exec(select(sa.func.max(IncidentRow.number))).one()
        return (highest or 0) + 1


class SqlDraftRepository:
    def __init__(self, session: StoreSession) -> None:
        self._session = session
        self._rows: dict[str, DraftRow] = {}

    def _hand_out(self, row: DraftRow) -> Draft:
        self._rows[row.id] = row
        return mappers.draft_from_row(row)

    def add(self, draft: Draft) -> None:
        """Insert a new draft (its incident must exist)."""
        row = mappers.draft_row(draft)
        self._session.add(row)
        self._session.flush()
        self._rows[row.id] = row

    def get(self, draft_id: str) -> Draft:
        """Raises NotFound, naming the draft id looked for."""
        row = self._session.get(DraftRow, draft_id.strip())
        if row is None:
            raise NotFound(
                f"there is no draft {draft_id.strip()!r}; a draft id is the 12-character id "
                "shown when the update was proposed"
            )
        return self._hand_out(row)

    def for_incident(self, incident_id: str, *, pending_only: bool = False) -> Sequence[Draft]:
        """The incident's drafts, oldest first."""
        query = (
            select(DraftRow)
            .where(DraftRow.incident_id == incident_id)
            .order_by(col(DraftRow.created_at), col(DraftRow.id))
        )
        if pending_only:
            query = query.where(DraftRow.state == DraftState.PENDING.value)
        return [self._hand_out(row) for row in self._session.exec(query)]

    def save(self, draft: Draft) -> None:
        """Write changes to a draft loaded in this unit of work (optimistically locked)."""
        row = self._rows.get(draft.id)
        if row is None:
            raise _not_loaded("draft", draft.id)
        mappers.copy_draft(draft, row)


class SqlUpdateRepository:
    """Published updates: written once, never changed."""

    def __init__(self, session: StoreSession) -> None:
        self._session = session

    def add(self, update: Update) -> None:
        """Insert; a second update with the same seq raises ``ConcurrentChange``."""
        self._session.add(mappers.update_row(update))
        self._session.flush()

    def get(self, update_id: str) -> Update:
        """Raises NotFound."""
        row = self._session.get(UpdateRow, update_id.strip())
        if row is None:
            raise NotFound(f"there is no published update {update_id.strip()!r}")
        return mappers.update_from_row(row)

    def correct(self, update: Update) -> None:
        """Write a correction: the update's new ``body``, ``corrected_at`` and ``authors``.

        Serialised with other changes to the incident by the caller, which saves the incident
        in the same unit of work.
        """
        row = self._session.get(UpdateRow, update.id)
        if row is None:
            raise NotFound(f"there is no published update {update.id!r}")
        row.body = update.body
        row.corrected_at = update.corrected_at
        row.authors = list(update.authors)
        self._session.flush()

    def for_incident(self, incident_id: str) -> Sequence[Update]:
        """Oldest (lowest seq) first."""
        rows = self._session.exec(
            select(UpdateRow)
            .where(UpdateRow.incident_id == incident_id)
            .order_by(col(UpdateRow.seq))
        )
        return [mappers.update_from_row(row) for row in rows]

    def published_since(
        self, after: datetime | None, *, limit: int = 100, newest: bool = False
    ) -> Sequence[Update]:
        """Updates of every incident published strictly after ``after`` (all when None).

        Oldest first, or newest first with ``newest``; at most ``limit``. Updates published at
        the same instant come in a fixed order (incident id, then seq).
        """
        keys = [col(UpdateRow.published_at), col(UpdateRow.incident_id), col(UpdateRow.seq)]
        query = select(UpdateRow).order_by(*(k.desc() for k in keys) if newest else keys)
        if after is not None:
            query = query.where(col(UpdateRow.published_at) > after)
        rows = self._session.exec(query.limit(max(limit, 0)))
        return [mappers.update_from_row(row) for row in rows]


class SqlComponentRepository:
    """Components are locked like incidents: a write checks the version read in this unit."""

    def __init__(self, session: StoreSession) -> None:
        self._session = session
        # Strong references: the session's identity map is weak, and a row it forgot would be
        # read again at save time, at its newest version, and the check would pass.
        self._rows: dict[str, ComponentRow] = {}

    def _hand_out(self, row: ComponentRow) -> Component:
        self._rows[row.name] = row
        return mappers.component_from_row(row)

    def all(self) -> Sequence[Component]:
        """In display order (position, then name)."""
        rows = self._session.exec(
            select(ComponentRow).order_by(col(ComponentRow.position), col(ComponentRow.name))
        )
        return [self._hand_out(row) for row in rows]

    def get_many(self, names: Iterable[str]) -> dict[str, Component]:
        """Only the names that exist, keyed by name."""
        wanted = set(names)
        if not wanted:
            return {}
        rows = self._session.exec(select(ComponentRow).where(col(ComponentRow.name).in_(wanted)))
        return {row.name: self._hand_out(row) for row in rows}

    def add(self, component: Component) -> None:
        """Insert; a name created meanwhile by someone else raises ``ConcurrentChange``."""
        row = mappers.component_row(component)
        self._session.add(row)
        self._session.flush()
        self._rows[row.name] = row

    def save(self, component: Component) -> None:
        """Write a component's status, description, group, position and time. Raises NotFound.

        A component read by ``all``/``get_many`` in this unit of work is checked against the
        version read then; one that was not is read now (no lock to compare with).
        """
        row = self._rows.get(component.name) or self._session.get(ComponentRow, component.name)
        if row is None:
            raise NotFound(f"there is no component {component.name!r}; add it before saving it")
        mappers.copy_component(component, row)


class SqlTimeline:
    """The append-only timeline (the database refuses UPDATE and DELETE of its rows)."""

    def __init__(self, session: StoreSession) -> None:
        self._session = session

    def append(self, entry: TimelineEntry) -> None:
        """Add a line; the database numbers it."""
        self._session.add(mappers.timeline_row(entry))
        self._session.flush()

    def for_incident(self, incident_id: str) -> Sequence[TimelineEntry]:
        """Oldest first: by time, then in the order the lines were written."""
        rows = self._session.exec(
            select(TimelineRow)
            .where(TimelineRow.incident_id == incident_id)
            .order_by(col(TimelineRow.at), col(TimelineRow.id))
        )
        return [mappers.timeline_from_row(row) for row in rows]
