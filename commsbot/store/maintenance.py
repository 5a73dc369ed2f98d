"""SQL for scheduled maintenances: the repository and timeline ports of ``commsbot.maintenance``.

Rows handed out are remembered, as in :mod:`commsbot.store.incidents`, so that ``save`` writes
the very row that was read and its version is checked (a timer and a person changing the same
maintenance at once: one of them gets ``ConcurrentChange`` and nothing of theirs is written).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, or_, select

from commsbot.domain.errors import NotFound
from commsbot.domain.maintenance import MaintenanceStatus, MaintenanceTrigger
from commsbot.domain.model import ComponentChange, ComponentStatus, DraftState, TimelineEntry
from commsbot.maintenance.model import Maintenance, MaintenanceDraft, MaintenanceNotice
from commsbot.store.session import StoreSession
from commsbot.store.tables import ID_LENGTH
from commsbot.store.tables.maintenance import (
    MaintenanceDraftRow,
    MaintenanceEventRow,
    MaintenanceNoticeRow,
    MaintenanceRow,
)

_ID = re.compile(rf"[a-z0-9]{{{ID_LENGTH}}}")
_NUMBER = re.compile(r"(?:mnt-?|#)?(\d{1,9})", re.IGNORECASE | re.ASCII)
_HOW_TO_REFER = "refer to a maintenance by its reference (MNT-3), number (3) or 12-character id"
_FINISHED = (MaintenanceStatus.COMPLETED.value, MaintenanceStatus.CANCELLED.value)


def _from_row(row: MaintenanceRow) -> Maintenance:
    return Maintenance(
        id=row.id,
        number=row.number,
        title=row.title,
        scheduled_for=row.scheduled_for,
        scheduled_until=row.scheduled_until,
        components=tuple(row.components),
        owner=row.owner,
        created_at=row.created_at,
        updated_at=row.updated_at,
        status=MaintenanceStatus(row.status),
        auto_start=row.auto_start,
        auto_complete=row.auto_complete,
        announced_at=row.announced_at,
        started_at=row.started_at,
        completed_at=row.completed_at,
        cancelled_at=row.cancelled_at,
        start_source=row.start_source,
        end_source=row.end_source,
        announcement_authors=tuple(row.announcement_authors),
        announced_by=row.announced_by,
        sequence=row.sequence,
        published_count=row.published_count,
        version=row.row_version,
    )


def _copy(m: Maintenance, row: MaintenanceRow) -> None:
    row.title = m.title
    row.scheduled_for = m.scheduled_for
    row.scheduled_until = m.scheduled_until
    row.components = list(m.components)
    row.owner = m.owner
    row.status = m.status.value
    row.auto_start = m.auto_start
    row.auto_complete = m.auto_complete
    row.updated_at = m.updated_at
    row.announced_at = m.announced_at
    row.started_at = m.started_at
    row.completed_at = m.completed_at
    row.cancelled_at = m.cancelled_at
    row.start_source = m.start_source
    row.end_source = m.end_source
    row.announcement_authors = list(m.announcement_authors)
    row.announced_by = m.announced_by
    row.sequence = m.sequence
    row.published_count = m.published_count


def _draft_from_row(row: MaintenanceDraftRow) -> MaintenanceDraft:
    return MaintenanceDraft(
        id=row.id,
        maintenance_id=row.maintenance_id,
        kind=MaintenanceTrigger(row.kind),
        author=row.author,
        body=row.body,
        base_status=MaintenanceStatus(row.base_status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        title=row.title,
        scheduled_for=row.scheduled_for,
        scheduled_until=row.scheduled_until,
        components=None if row.components is None else tuple(row.components),
        start_text=row.start_text,
        end_text=row.end_text,
        version=row.version,
        state=DraftState(row.state),
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
        last_editor=row.last_editor,
        authors=tuple(row.authors),
    )


def _copy_draft(d: MaintenanceDraft, row: MaintenanceDraftRow) -> None:
    row.body = d.body
    row.base_status = d.base_status.value
    row.updated_at = d.updated_at
    row.title = d.title
    row.scheduled_for = d.scheduled_for
    row.scheduled_until = d.scheduled_until
    row.components = None if d.components is None else list(d.components)
    row.start_text = d.start_text
    row.end_text = d.end_text
    row.version = d.version
    row.state = d.state.value
    row.decided_by = d.decided_by
    row.decided_at = d.decided_at
    row.decision_note = d.decision_note
    row.last_editor = d.last_editor
    row.authors = list(d.authors)


def _notice_from_row(row: MaintenanceNoticeRow) -> MaintenanceNotice:
    return MaintenanceNotice(
        id=row.id,
        maintenance_id=row.maintenance_id,
        seq=row.seq,
        kind=MaintenanceTrigger(row.kind),
        status=MaintenanceStatus(row.status),
        body=row.body,
        scheduled_for=row.scheduled_for,
        scheduled_until=row.scheduled_until,
        author=row.author,
        authors=tuple(row.authors),
        approver=row.approver,
        draft_id=row.draft_id,
        published_at=row.published_at,
        changes=tuple(
            ComponentChange(c["name"], ComponentStatus(c["old"]), ComponentStatus(c["new"]))
            for c in row.changes
        ),
        automatic=row.automatic,
    )


def _notice_row(n: MaintenanceNotice) -> MaintenanceNoticeRow:
    return MaintenanceNoticeRow(
        id=n.id,
        maintenance_id=n.maintenance_id,
        seq=n.seq,
        kind=n.kind.value,
        status=n.status.value,
        body=n.body,
        scheduled_for=n.scheduled_for,
        scheduled_until=n.scheduled_until,
        author=n.author,
        authors=list(n.authors),
        approver=n.approver,
        draft_id=n.draft_id,
        published_at=n.published_at,
        changes=[{"name": c.name, "old": c.old.value, "new": c.new.value} for c in n.changes],
        automatic=n.automatic,
    )


class SqlMaintenanceRepository:
    """Maintenances, their drafts and their published notices."""

    def __init__(self, session: StoreSession) -> None:
        self._session = session
        self._rows: dict[str, MaintenanceRow] = {}
        self._handed_out: list[tuple[Maintenance, MaintenanceRow]] = []
        self._draft_rows: dict[str, MaintenanceDraftRow] = {}
        session.after_flush(self._sync_versions)

    def _sync_versions(self) -> None:
        for maintenance, row in self._handed_out:
            maintenance.version = row.row_version

    def _hand_out(self, row: MaintenanceRow) -> Maintenance:
        maintenance = _from_row(row)
        self._rows[row.id] = row
        self._handed_out.append((maintenance, row))
        return maintenance

    def add(self, maintenance: Maintenance) -> None:
        row = MaintenanceRow(
            id=maintenance.id,
            number=maintenance.number,
            title=maintenance.title,
            scheduled_for=maintenance.scheduled_for,
            scheduled_until=maintenance.scheduled_until,
            owner=maintenance.owner,
            status=maintenance.status.value,
            created_at=maintenance.created_at,
            updated_at=maintenance.updated_at,
        )
        _copy(maintenance, row)
        self._session.add(row)
        self._session.flush()
        self._rows[row.id] = row
        self._handed_out.append((maintenance, row))
        maintenance.version = row.row_version

    def get(self, ref: str) -> Maintenance:
        text = ref.strip()
        row: MaintenanceRow | None = None
        if _ID.fullmatch(text.lower()):
            row = self._session.get(MaintenanceRow, text.lower())
        number = _NUMBER.fullmatch(text)
        if row is None and number:
            row = self._session.exec(
                select(MaintenanceRow).where(col(MaintenanceRow.number) == int(number.group(1)))
            ).first()
        if row is None:
            if not text:
                raise NotFound(f"no maintenance was named; {_HOW_TO_REFER}", field="maintenance")
            raise NotFound(
                f"there is no maintenance {text!r}; {_HOW_TO_REFER}", field="maintenance"
            )
        return self._hand_out(row)

    def find(self, maintenance_id: str) -> Maintenance | None:
        row = self._session.get(MaintenanceRow, maintenance_id)
        return None if row is None else self._hand_out(row)

    def list(
        self,
        *,
        open_only: bool = False,
        announced_only: bool = False,
        since: datetime | None = None,
        limit: int = 100,
    ) -> Sequence[Maintenance]:
        query = select(MaintenanceRow).order_by(
            col(MaintenanceRow.scheduled_for).desc(), col(MaintenanceRow.number).desc()
        )
        if open_only:
            query = query.where(col(MaintenanceRow.status).not_in(_FINISHED))
        if announced_only:
            query = query.where(col(MaintenanceRow.announced_at).is_not(None))
        if since is not None:
            query = query.where(
                or_(
                    col(MaintenanceRow.status).not_in(_FINISHED),
                    col(MaintenanceRow.scheduled_until) > since,
                    col(MaintenanceRow.completed_at) > since,
                    col(MaintenanceRow.cancelled_at) > since,
                )
            )
        rows = self._session.exec(query.limit(max(limit, 0))).all()
        return [self._hand_out(r) for r in rows]

    def save(self, maintenance: Maintenance) -> None:
        row = self._rows.get(maintenance.id)
        if row is None:
            raise ValueError(
                f"maintenance {maintenance.ref} was not loaded by this unit of work; get it in "
                "the same unit of work before saving it"
            )
        _copy(maintenance, row)
        self._session.add(row)

    def next_number(self) -> int:
        highest = self._session.exec(select(sa.func.max(MaintenanceRow.number))).one()
        return (highest or 0) + 1

    def add_draft(self, draft: MaintenanceDraft) -> None:
        row = MaintenanceDraftRow(
            id=draft.id,
            maintenance_id=draft.maintenance_id,
            kind=draft.kind.value,
            author=draft.author,
            body=draft.body,
            base_status=draft.base_status.value,
            created_at=draft.created_at,
            updated_at=draft.updated_at,
            state=draft.state.value,
            last_editor=draft.last_editor,
        )
        _copy_draft(draft, row)
        self._session.add(row)
        self._session.flush()
        self._draft_rows[row.id] = row

    def get_draft(self, draft_id: str) -> MaintenanceDraft:
        row = self._session.get(MaintenanceDraftRow, draft_id.strip())
        if row is None:
            raise NotFound(
                f"there is no draft {draft_id.strip()!r}; a draft id is the 12-character id "
                "shown when it was proposed"
            )
        self._draft_rows[row.id] = row
        return _draft_from_row(row)

    def drafts(
        self, maintenance_id: str, *, pending_only: bool = False
    ) -> Sequence[MaintenanceDraft]:
        query = (
            select(MaintenanceDraftRow)
            .where(MaintenanceDraftRow.maintenance_id == maintenance_id)
            .order_by(col(MaintenanceDraftRow.created_at), col(MaintenanceDraftRow.id))
        )
        if pending_only:
            query = query.where(MaintenanceDraftRow.state == DraftState.PENDING.value)
        rows = list(self._session.exec(query))
        for row in rows:
            self._draft_rows[row.id] = row
        return [_draft_from_row(r) for r in rows]

    def save_draft(self, draft: MaintenanceDraft) -> None:
        row = self._draft_rows.get(draft.id)
        if row is None:
            raise ValueError(f"draft {draft.id} was not loaded by this unit of work")
        _copy_draft(draft, row)
        self._session.add(row)

    def add_notice(self, notice: MaintenanceNotice) -> None:
        self._session.add(_notice_row(notice))
        self._session.flush()

    def notices(self, maintenance_ids: Sequence[str]) -> dict[str, tuple[MaintenanceNotice, ...]]:
        found: dict[str, tuple[MaintenanceNotice, ...]] = dict.fromkeys(maintenance_ids, ())
        if not maintenance_ids:
            return found
        rows = self._session.exec(
            select(MaintenanceNoticeRow)
            .where(col(MaintenanceNoticeRow.maintenance_id).in_(list(maintenance_ids)))
            .order_by(col(MaintenanceNoticeRow.maintenance_id), col(MaintenanceNoticeRow.seq))
        )
        for row in rows:
            found[row.maintenance_id] += (_notice_from_row(row),)
        return found


class SqlMaintenanceTimeline:
    """The maintenances' append-only timeline (the database refuses UPDATE and DELETE)."""

    def __init__(self, session: StoreSession) -> None:
        self._session = session

    def append(self, entry: TimelineEntry) -> None:
        self._session.add(
            MaintenanceEventRow(
                maintenance_id=entry.incident_id,
                at=entry.at,
                actor=entry.actor,
                action=entry.action,
                detail=entry.detail,
            )
        )
        self._session.flush()

    def for_maintenance(self, maintenance_id: str) -> Sequence[TimelineEntry]:
        rows = self._session.exec(
            select(MaintenanceEventRow)
            .where(MaintenanceEventRow.maintenance_id == maintenance_id)
            .order_by(col(MaintenanceEventRow.at), col(MaintenanceEventRow.id))
        )
        return [
            TimelineEntry(
                incident_id=r.maintenance_id,
                at=r.at,
                actor=r.actor,
                action=r.action,
                detail=r.detail,
                id=r.id,
            )
            for r in rows
        ]
