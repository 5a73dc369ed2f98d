"""The postmortems' read port in SQL: a handful of queries per batch of incidents.

Plain column SELECTs, not ORM entities: the report reads a thousand incidents' updates and
deliveries at once, and building ORM objects (and loading each delivery's frozen snapshot,
which no figure needs) would cost more than every figure together.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from commsbot.delivery.model import DeliveryKind, DeliveryState
from commsbot.domain.lifecycle import Status, Trigger
from commsbot.domain.model import ComponentChange, ComponentStatus, Incident, TimelineEntry
from commsbot.postmortem.model import (
    DeliveryOutcome,
    DeliveryResult,
    FollowUp,
    FollowUpState,
    PublishedUpdate,
    RcaDue,
)
from commsbot.reminders.model import ReminderKind, ReminderState
from commsbot.store import mappers
from commsbot.store.session import StoreSession
from commsbot.store.tables.deliveries import DeliveryRow
from commsbot.store.tables.incidents import (
    DraftRow,
    IncidentComponentRow,
    IncidentRow,
    TimelineRow,
    UpdateRow,
)
from commsbot.store.tables.reminders import ReminderRow

_RESULTS = {
    DeliveryState.SENT.value: DeliveryResult.SENT,
    DeliveryState.DEAD.value: DeliveryResult.DEAD,
    DeliveryState.PENDING.value: DeliveryResult.PENDING,
    DeliveryState.SENDING.value: DeliveryResult.PENDING,
    DeliveryState.RETRYING.value: DeliveryResult.PENDING,
}
_FOLLOWUP_STATES = {
    ReminderState.PENDING.value: FollowUpState.OPEN,
    ReminderState.FIRED.value: FollowUpState.OPEN,
    ReminderState.DONE.value: FollowUpState.DONE,
    ReminderState.CANCELLED.value: FollowUpState.CANCELLED,
}
_UPDATE_COLUMNS = (
    col(UpdateRow.incident_id),
    col(UpdateRow.id),
    col(UpdateRow.seq),
    col(UpdateRow.status),
    col(UpdateRow.trigger),
    col(UpdateRow.body),
    col(UpdateRow.changes),
    col(UpdateRow.author),
    col(UpdateRow.authors),
    col(UpdateRow.approver),
    col(UpdateRow.published_at),
    col(UpdateRow.next_update_by),
    col(UpdateRow.corrected_at),
    col(DraftRow.created_at),
)
_DELIVERY_COLUMNS = (
    col(DeliveryRow.incident_id),
    col(DeliveryRow.kind),
    col(DeliveryRow.target),
    col(DeliveryRow.state),
    col(DeliveryRow.attempts),
    col(DeliveryRow.created_at),
    col(DeliveryRow.last_attempt_at),
    col(DeliveryRow.sent_at),
    col(DeliveryRow.dead_at),
    col(DeliveryRow.last_error),
    col(UpdateRow.seq),
)
_REMINDER_COLUMNS = (
    col(ReminderRow.incident_id),
    col(ReminderRow.id),
    col(ReminderRow.state),
    col(ReminderRow.text),
    col(ReminderRow.audience),
    col(ReminderRow.due_at),
    col(ReminderRow.deadline_at),
    col(ReminderRow.created_at),
    col(ReminderRow.created_by),
    col(ReminderRow.closed_at),
)


def _grouped(rows: Any, make: Any) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for row in rows:
        found.setdefault(row[0], []).append(make(row))
    return found


class SqlPostmortemReader:
    """Implements :class:`commsbot.postmortem.ports.PostmortemReader` in one unit of work."""

    def __init__(self, session: StoreSession) -> None:
        self._session = session

    def declared(
        self, *, since: datetime | None, after_number: int = 0, limit: int = 500
    ) -> Sequence[Incident]:
        query = (
            sa.select(IncidentRow)
            .where(col(IncidentRow.number) > after_number)
            .order_by(col(IncidentRow.number))
            .limit(max(limit, 0))
        )
        if since is not None:
            query = query.where(col(IncidentRow.declared_at) >= since)
        rows = self._session.execute(query).scalars().all()
        components: dict[str, list[str]] = {row.id: [] for row in rows}
        if rows:
            named = self._session.execute(
                sa.select(
                    col(IncidentComponentRow.incident_id), col(IncidentComponentRow.component_name)
                )
                .where(col(IncidentComponentRow.incident_id).in_(list(components)))
                .order_by(col(IncidentComponentRow.incident_id), col(IncidentComponentRow.position))
            )
            for incident_id, name in named:
                components[incident_id].append(name)
        return [mappers.incident_from_row(row, components[row.id]) for row in rows]

    def published(self, incident_ids: Collection[str]) -> Mapping[str, Sequence[PublishedUpdate]]:
        if not incident_ids:
            return {}
        rows = self._session.execute(
            sa.select(*_UPDATE_COLUMNS)
            .join_from(UpdateRow, DraftRow, col(DraftRow.id) == col(UpdateRow.draft_id))
            .where(col(UpdateRow.incident_id).in_(list(incident_ids)))
            .order_by(col(UpdateRow.incident_id), col(UpdateRow.seq))
        )
        return _grouped(rows, _published)

    def timelines(self, incident_ids: Collection[str]) -> Mapping[str, Sequence[TimelineEntry]]:
        if not incident_ids:
            return {}
        rows = self._session.execute(
            sa.select(TimelineRow)
            .where(col(TimelineRow.incident_id).in_(list(incident_ids)))
            .order_by(col(TimelineRow.incident_id), col(TimelineRow.at), col(TimelineRow.id))
        ).scalars()
        found: dict[str, list[TimelineEntry]] = {}
        for row in rows:
            found.setdefault(row.incident_id, []).append(mappers.timeline_from_row(row))
        return found

    def deliveries(self, incident_ids: Collection[str]) -> Mapping[str, Sequence[DeliveryOutcome]]:
        if not incident_ids:
            return {}
        rows = self._session.execute(
            sa.select(*_DELIVERY_COLUMNS)
            .join_from(DeliveryRow, UpdateRow, col(UpdateRow.id) == col(DeliveryRow.update_id))
            .where(
                col(DeliveryRow.incident_id).in_(list(incident_ids)),
                col(DeliveryRow.kind) != DeliveryKind.NOTICE.value,
            )
            .order_by(col(DeliveryRow.incident_id), col(UpdateRow.seq), col(DeliveryRow.created_at))
        )
        return _grouped(rows, _outcome)

    def followups(self, incident_ids: Collection[str]) -> Mapping[str, Sequence[FollowUp]]:
        rows = self._reminders(incident_ids, ReminderKind.FOLLOWUP)
        return _grouped(rows, _followup)

    def rca_due(self, incident_ids: Collection[str]) -> Mapping[str, Sequence[RcaDue]]:
        rows = self._reminders(incident_ids, ReminderKind.RCA_OVERDUE)
        kept = (r for r in rows if r.state != ReminderState.CANCELLED.value)
        return _grouped(
            kept, lambda r: RcaDue(due_at=r.deadline_at or r.due_at, recovered_at=r.created_at)
        )

    def _reminders(self, incident_ids: Collection[str], kind: ReminderKind) -> list[Any]:
        if not incident_ids:
            return []
        return list(
            self._session.execute(
                sa.select(*_REMINDER_COLUMNS)
                .where(
                    col(ReminderRow.incident_id).in_(list(incident_ids)),
                    col(ReminderRow.kind) == kind.value,
                )
                .order_by(
                    col(ReminderRow.incident_id), col(ReminderRow.created_at), col(ReminderRow.id)
                )
            )
        )


def _published(row: Any) -> PublishedUpdate:
    return PublishedUpdate(
        seq=row.seq,
        status=Status(row.status),
        trigger=Trigger(row.trigger),
        body=row.body,
        # As the domain's Update does: the first author first, then everyone who edited it.
        authors=tuple(dict.fromkeys((row.author, *(row.authors or ())))),
        approver=row.approver,
        # A draft is created before it is approved; a clock stepped back between the two
        # must not make the postmortem unreadable.
        drafted_at=min(row.created_at, row.published_at),
        published_at=row.published_at,
        next_update_by=row.next_update_by,
        changes=tuple(
            ComponentChange(c["name"], ComponentStatus(c["old"]), ComponentStatus(c["new"]))
            for c in row.changes or ()
        ),
        corrected_at=row.corrected_at,
        id=row.id,
    )


def _outcome(row: Any) -> DeliveryOutcome:
    result = _RESULTS.get(row.state, DeliveryResult.PENDING)
    sent_at = row.sent_at
    if result is DeliveryResult.SENT and sent_at is None:
        # Rows written before sent_at was kept: the last attempt is when it went.
        sent_at = row.last_attempt_at or row.created_at
    return DeliveryOutcome(
        update_seq=row.seq,
        destination=row.target,
        result=result,
        created_at=row.created_at,
        attempts=max(0, row.attempts),
        sent_at=sent_at if result is DeliveryResult.SENT else None,
        dead_at=row.dead_at if result is DeliveryResult.DEAD else None,
        last_error=row.last_error,
        correction=row.kind == DeliveryKind.CORRECTION.value,
    )


def _followup(row: Any) -> FollowUp:
    return FollowUp(
        id=row.id,
        text=row.text,
        owner=row.audience[0] if row.audience else row.created_by,
        state=_FOLLOWUP_STATES.get(row.state, FollowUpState.OPEN),
        due_at=row.deadline_at or row.due_at,
        created_at=row.created_at,
        closed_at=row.closed_at,
    )
