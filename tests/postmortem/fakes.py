"""The postmortems' read port over the in-memory fakes' data (``tests/unit/fakes.py``).

Answers as :class:`commsbot.store.postmortems.SqlPostmortemReader` does, from the domain objects
the fakes keep: the same translations of delivery and reminder states.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from commsbot.delivery.model import DeliveryKind, DeliveryState
from commsbot.domain.model import Incident, TimelineEntry
from commsbot.postmortem.model import (
    DeliveryOutcome,
    DeliveryResult,
    FollowUp,
    FollowUpState,
    PublishedUpdate,
    RcaDue,
)
from commsbot.postmortem.ports import PostmortemReader
from commsbot.reminders.model import ReminderKind, ReminderState

if TYPE_CHECKING:
    from tests.unit.fakes import MemoryData

_RESULTS = {DeliveryState.SENT: DeliveryResult.SENT, DeliveryState.DEAD: DeliveryResult.DEAD}
_FOLLOWUPS = {
    ReminderState.DONE: FollowUpState.DONE,
    ReminderState.CANCELLED: FollowUpState.CANCELLED,
}


class FakePostmortemReader:
    def __init__(self, data: MemoryData) -> None:
        self.data = data

    def declared(
        self, *, since: datetime | None, after_number: int = 0, limit: int = 500
    ) -> Sequence[Incident]:
        found = sorted(
            (
                i
                for i in self.data.incidents.values()
                if i.number > after_number and (since is None or i.declared_at >= since)
            ),
            key=lambda i: i.number,
        )
        return found[: max(limit, 0)]

    def published(self, incident_ids: Collection[str]) -> Mapping[str, Sequence[PublishedUpdate]]:
        found: dict[str, list[PublishedUpdate]] = {}
        for u in sorted(self.data.updates.values(), key=lambda u: u.seq):
            if u.incident_id in incident_ids:
                drafted = self.data.drafts[u.draft_id].created_at
                found.setdefault(u.incident_id, []).append(
                    PublishedUpdate.from_update(u, drafted_at=min(drafted, u.published_at))
                )
        return found

    def timelines(self, incident_ids: Collection[str]) -> Mapping[str, Sequence[TimelineEntry]]:
        found: dict[str, list[TimelineEntry]] = {}
        for entry in sorted(self.data.timeline, key=lambda e: e.at):
            if entry.incident_id in incident_ids:
                found.setdefault(entry.incident_id, []).append(entry)
        return found

    def deliveries(self, incident_ids: Collection[str]) -> Mapping[str, Sequence[DeliveryOutcome]]:
        found: dict[str, list[DeliveryOutcome]] = {}
        for d in sorted(self.data.outbox.deliveries.values(), key=lambda d: d.created_at):
            if d.incident_id not in incident_ids or d.kind is DeliveryKind.NOTICE:
                continue
            update = self.data.updates[d.update_id or ""]
            result = _RESULTS.get(d.state, DeliveryResult.PENDING)
            found.setdefault(d.incident_id, []).append(
                DeliveryOutcome(
                    update_seq=update.seq,
                    destination=d.target,
                    result=result,
                    created_at=d.created_at,
                    attempts=d.attempts,
                    sent_at=(d.sent_at or d.last_attempt_at or d.created_at)
                    if result is DeliveryResult.SENT
                    else None,
                    dead_at=d.dead_at if result is DeliveryResult.DEAD else None,
                    last_error=d.last_error,
                    correction=d.kind is DeliveryKind.CORRECTION,
                )
            )
        return found

    def followups(self, incident_ids: Collection[str]) -> Mapping[str, Sequence[FollowUp]]:
        found: dict[str, list[FollowUp]] = {}
        for r in sorted(self.data.reminders.values(), key=lambda r: (r.created_at, r.id)):
            if r.incident_id in incident_ids and r.kind is ReminderKind.FOLLOWUP:
                found.setdefault(r.incident_id, []).append(
                    FollowUp(
                        id=r.id,
                        text=r.text,
                        owner=r.audience[0] if r.audience else r.created_by,
                        state=_FOLLOWUPS.get(r.state, FollowUpState.OPEN),
                        due_at=r.deadline_at or r.due_at,
                        created_at=r.created_at,
                        closed_at=r.closed_at,
                    )
                )
        return found

    def rca_due(self, incident_ids: Collection[str]) -> Mapping[str, Sequence[RcaDue]]:
        found: dict[str, list[RcaDue]] = {}
        for r in sorted(self.data.reminders.values(), key=lambda r: (r.created_at, r.id)):
            if (
                r.incident_id in incident_ids
                and r.kind is ReminderKind.RCA_OVERDUE
                and r.state is not ReminderState.CANCELLED
            ):
                found.setdefault(r.incident_id, []).append(
                    RcaDue(due_at=r.deadline_at or r.due_at, recovered_at=r.created_at)
                )
        return found


# The fake cannot drift from the port: mypy checks it against the Protocol here.
def _checked(data: MemoryData) -> PostmortemReader:
    return FakePostmortemReader(data)
