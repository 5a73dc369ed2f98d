"""Domain objects for the store tests, and a few steps the tests repeat."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from commsbot.domain.lifecycle import Status
from commsbot.domain.model import (
    Component,
    ComponentStatus,
    Draft,
    Incident,
    Severity,
    TimelineEntry,
    Update,
    publish,
)
from commsbot.store.uow import SqlUnitOfWork

#: 11 December 2024, 3:16 PM PST: when the outage in reference/outage-article.txt began.
T0 = datetime(2024, 12, 11, 23, 16, tzinfo=UTC)
PST = timezone(timedelta(hours=-8), "PST")

UowFactory = Callable[[], SqlUnitOfWork]

#: For the few tests about one database's own behaviour: they replace the fixture's two params.
ONLY_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
ONLY_POSTGRES = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def make_id(prefix: str, n: int) -> str:
    """A 12-character id, readable in failures: ``inc000000001``."""
    return f"{prefix}{n:0{12 - len(prefix)}d}"


def incident(n: int = 1, *, components: list[str] | None = None, **changes: object) -> Incident:
    fields: dict[str, object] = {
        "id": make_id("inc", n),
        "number": n,
        "title": f"Incident {n}",
        "severity": Severity.SEV1,
        "status": Status.INVESTIGATING,
        "components": ["ChatGPT", "API", "Sora"] if components is None else components,
        "commander": "alice",
        "declared_at": T0 + timedelta(minutes=n),
        "updated_at": T0 + timedelta(minutes=n),
    }
    fields.update(changes)
    return Incident(**fields)  # type: ignore[arg-type]


def draft(of: Incident, n: int = 1, **changes: object) -> Draft:
    fields: dict[str, object] = {
        "id": make_id("drf", n),
        "incident_id": of.id,
        "author": "alice",
        "body": "We are investigating elevated errors.",
        "status": of.status,
        "base_status": of.status,
        "created_at": T0 + timedelta(minutes=n),
        "updated_at": T0 + timedelta(minutes=n),
        "component_changes": {"ChatGPT": ComponentStatus.MAJOR_OUTAGE},
        "next_update_by": T0 + timedelta(minutes=60),
    }
    fields.update(changes)
    return Draft(**fields)  # type: ignore[arg-type]


def components(*names: str) -> list[Component]:
    return [Component(name=name, position=i, updated_at=T0) for i, name in enumerate(names, 1)]


def note(of: Incident, text: str, *, at: datetime = T0, actor: str = "alice") -> TimelineEntry:
    return TimelineEntry(incident_id=of.id, at=at, actor=actor, action="note", detail=text)


def seed(uow: UowFactory, *, n: int = 1, with_draft: bool = True) -> tuple[Incident, Draft | None]:
    """Store the components, incident ``n`` and (by default) its first draft; commit."""
    inc = incident(n)
    drf = draft(inc, n) if with_draft else None
    with uow() as u:
        existing = u.components.get_many(inc.components)
        for comp in components(*inc.components):
            if comp.name not in existing:
                u.components.add(comp)
        u.incidents.add(inc)
        if drf:
            u.drafts.add(drf)
        u.commit()
    return inc, drf


def show_time(moment: datetime) -> str:
    """How the store tests write a promised time into a text (any stable format will do)."""
    return moment.isoformat()


def approve(uow: UowFactory, draft_id: str, *, approver: str, update_id: str) -> Update:
    """The approval flow through the store: load, publish, save, add the update, commit."""
    with uow() as u:
        drf = u.drafts.get(draft_id)
        inc = u.incidents.get(drf.incident_id)
        comps = u.components.get_many({*inc.components, *drf.component_changes})
        update = publish(
            incident=inc,
            draft=drf,
            components=comps,
            approver=approver,
            update_id=update_id,
            now=T0 + timedelta(minutes=30),
            show_time=show_time,
        )
        u.incidents.save(inc)
        u.drafts.save(drf)
        for change in update.changes:
            u.components.save(comps[change.name])
        u.updates.add(update)
        u.commit()
    return update
