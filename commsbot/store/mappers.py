"""Domain objects to rows and back.

``*_row`` builds a new row for an INSERT; ``copy_*`` writes a domain object's fields onto a row
that was loaded in the same session, so SQLAlchemy sees the changes (and only the net changes)
and its version check applies; ``*_from_row`` builds the domain object. Enum values travel as
their strings; component lists travel as JSON lists, whose order survives every backend.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from commsbot.domain.lifecycle import Status, Trigger
from commsbot.domain.model import (
    Component,
    ComponentChange,
    ComponentStatus,
    Draft,
    DraftState,
    Incident,
    Severity,
    TimelineEntry,
    Update,
)
from commsbot.store.tables.incidents import (
    ComponentRow,
    DraftRow,
    IncidentComponentRow,
    IncidentRow,
    TimelineRow,
    UpdateRow,
)


def unique_names(names: Iterable[str]) -> list[str]:
    """``names`` in order without repeats: an incident affects a component once."""
    return list(dict.fromkeys(names))


# -- incidents -----------------------------------------------------------------------------


def incident_row(incident: Incident) -> IncidentRow:
    """A new row for ``incident``; its lock version is set by SQLAlchemy on INSERT."""
    return IncidentRow(
        id=incident.id,
        number=incident.number,
        title=incident.title,
        severity=incident.severity.value,
        status=incident.status.value,
        commander=incident.commander,
        declared_at=incident.declared_at,
        updated_at=incident.updated_at,
        resolved_at=incident.resolved_at,
        published_count=incident.published_count,
        public_title=incident.public_title,
        public_severity=incident.public_severity.value if incident.public_severity else None,
    )


def copy_incident(incident: Incident, row: IncidentRow) -> None:
    """Write every field the domain may change; never the id or the lock version."""
    row.number = incident.number
    row.title = incident.title
    row.severity = incident.severity.value
    row.status = incident.status.value
    row.commander = incident.commander
    row.declared_at = incident.declared_at
    row.updated_at = incident.updated_at
    row.resolved_at = incident.resolved_at
    row.published_count = incident.published_count
    row.public_title = incident.public_title
    row.public_severity = incident.public_severity.value if incident.public_severity else None


def incident_component_rows(incident: Incident) -> list[IncidentComponentRow]:
    return [
        IncidentComponentRow(incident_id=incident.id, component_name=name, position=position)
        for position, name in enumerate(unique_names(incident.components))
    ]


def incident_from_row(row: IncidentRow, components: Sequence[str]) -> Incident:
    return Incident(
        id=row.id,
        number=row.number,
        title=row.title,
        severity=Severity(row.severity),
        status=Status(row.status),
        components=list(components),
        commander=row.commander,
        declared_at=row.declared_at,
        updated_at=row.updated_at,
        resolved_at=row.resolved_at,
        published_count=row.published_count,
        version=row.version,
        public_title=row.public_title,
        public_severity=Severity(row.public_severity) if row.public_severity else None,
    )


# -- components ----------------------------------------------------------------------------


def component_row(component: Component) -> ComponentRow:
    row = ComponentRow(name=component.name, status=component.status.value)
    copy_component(component, row)
    return row


def copy_component(component: Component, row: ComponentRow) -> None:
    row.status = component.status.value
    row.description = component.description
    row.group_name = component.group
    row.position = component.position
    row.updated_at = component.updated_at
    row.created_at = component.created_at


def component_from_row(row: ComponentRow) -> Component:
    return Component(
        name=row.name,
        status=ComponentStatus(row.status),
        description=row.description,
        group=row.group_name,
        position=row.position,
        updated_at=row.updated_at,
        created_at=row.created_at,
    )


# -- drafts --------------------------------------------------------------------------------


def draft_row(draft: Draft) -> DraftRow:
    return DraftRow(
        id=draft.id,
        incident_id=draft.incident_id,
        author=draft.author,
        body=draft.body,
        status=draft.status.value,
        base_status=draft.base_status.value,
        created_at=draft.created_at,
        updated_at=draft.updated_at,
        component_changes=_changes_json(draft),
        postmortem=draft.postmortem,
        reason=draft.reason,
        corrects=draft.corrects,
        version=draft.version,
        state=draft.state.value,
        decided_by=draft.decided_by,
        decided_at=draft.decided_at,
        decision_note=draft.decision_note,
        body_source=draft.body_source,
        next_update_by=draft.next_update_by,
        last_editor=draft.last_editor,
        authors=list(draft.authors),
        document=draft.document,
    )


def _changes_json(draft: Draft) -> list[dict[str, str]]:
    return [{"name": name, "status": new.value} for name, new in draft.component_changes.items()]


def copy_draft(draft: Draft, row: DraftRow) -> None:
    """Write every field the domain may change, its edit ``version`` included.

    The lock (``row_version``) is SQLAlchemy's alone.
    """
    row.author = draft.author
    row.body = draft.body
    row.status = draft.status.value
    row.base_status = draft.base_status.value
    row.created_at = draft.created_at
    row.updated_at = draft.updated_at
    row.component_changes = _changes_json(draft)
    row.postmortem = draft.postmortem
    row.reason = draft.reason
    row.corrects = draft.corrects
    row.version = draft.version
    row.state = draft.state.value
    row.decided_by = draft.decided_by
    row.decided_at = draft.decided_at
    row.decision_note = draft.decision_note
    row.body_source = draft.body_source
    row.next_update_by = draft.next_update_by
    row.last_editor = draft.last_editor
    row.authors = list(draft.authors)
    row.document = draft.document


def draft_from_row(row: DraftRow) -> Draft:
    return Draft(
        id=row.id,
        incident_id=row.incident_id,
        author=row.author,
        body=row.body,
        status=Status(row.status),
        base_status=Status(row.base_status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        component_changes={
            item["name"]: ComponentStatus(item["status"]) for item in row.component_changes
        },
        postmortem=row.postmortem,
        reason=row.reason,
        corrects=row.corrects,
        version=row.version,
        state=DraftState(row.state),
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
        body_source=row.body_source,
        next_update_by=row.next_update_by,
        last_editor=row.last_editor,
        authors=tuple(row.authors),
        document=row.document,
    )


# -- published updates ---------------------------------------------------------------------


def update_row(update: Update) -> UpdateRow:
    return UpdateRow(
        id=update.id,
        incident_id=update.incident_id,
        seq=update.seq,
        status=update.status.value,
        trigger=update.trigger.value,
        body=update.body,
        changes=[{"name": c.name, "old": c.old.value, "new": c.new.value} for c in update.changes],
        author=update.author,
        approver=update.approver,
        draft_id=update.draft_id,
        published_at=update.published_at,
        next_update_by=update.next_update_by,
        corrected_at=update.corrected_at,
        authors=list(update.authors),
        document=update.document,
        deliver_notifications=update.deliver_notifications,
    )


def update_from_row(row: UpdateRow) -> Update:
    return Update(
        id=row.id,
        incident_id=row.incident_id,
        seq=row.seq,
        status=Status(row.status),
        trigger=Trigger(row.trigger),
        body=row.body,
        changes=tuple(
            ComponentChange(
                name=c["name"], old=ComponentStatus(c["old"]), new=ComponentStatus(c["new"])
            )
            for c in row.changes
        ),
        author=row.author,
        approver=row.approver,
        draft_id=row.draft_id,
        published_at=row.published_at,
        next_update_by=row.next_update_by,
        corrected_at=row.corrected_at,
        authors=tuple(row.authors),
        document=row.document,
        deliver_notifications=row.deliver_notifications,
    )


# -- timeline ------------------------------------------------------------------------------


def timeline_row(entry: TimelineEntry) -> TimelineRow:
    # The id is the database's to give: an entry is appended, never written over.
    return TimelineRow(
        incident_id=entry.incident_id,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        detail=entry.detail,
    )


def timeline_from_row(row: TimelineRow) -> TimelineEntry:
    return TimelineEntry(
        incident_id=row.incident_id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        detail=row.detail,
        id=row.id,
    )
