"""An in-memory outbox for the unit tests' fake unit of work: the three delivery ports
(``DeliveryOutbox``, ``DeliveryQueue``, ``DeliveryLedger``) with the SQL store's contract.

The dispatcher's claims and leases under concurrency are tested on the real store (SQLite and
PostgreSQL); this fake keeps the same rules for one process, so the use cases can run on it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from commsbot.delivery.model import DeliveryKind, DeliveryRecord, DeliveryState
from commsbot.delivery.ports import DeliveryLedger, DeliveryOutbox, DeliveryQueue, Notice, Receipt
from commsbot.domain.errors import NotFound


@dataclass
class OutboxData:
    deliveries: dict[str, DeliveryRecord] = field(default_factory=dict)
    snapshots: dict[str, dict[str, Any]] = field(default_factory=dict)
    notices: dict[str, tuple[Notice, datetime | None]] = field(default_factory=dict)
    expanded: set[str] = field(default_factory=set)
    threads: dict[tuple[str, str], str] = field(default_factory=dict)


class FakeDeliveryRepository:
    def __init__(self, data: OutboxData) -> None:
        self.data = data

    def add(self, record: DeliveryRecord, *, snapshot: Mapping[str, Any] | None = None) -> None:
        if any(r.key == record.key for r in self.data.deliveries.values()):
            raise AssertionError(f"duplicate delivery key {record.key}")
        self.data.deliveries[record.id] = record
        if snapshot is not None:
            self.data.snapshots[record.id] = dict(snapshot)

    def next_position(self, incident_id: str) -> int:
        return 1 + max(
            (
                r.position or 0
                for r in self.data.deliveries.values()
                if r.incident_id == incident_id
            ),
            default=0,
        )

    def add_notice(self, notice_id: str, notice: Notice, *, created_at: datetime | None) -> None:
        self.data.notices[notice_id] = (notice, created_at)

    def get(self, delivery_id: str) -> DeliveryRecord:
        try:
            return self.data.deliveries[delivery_id]
        except KeyError:
            raise NotFound(f"there is no delivery {delivery_id!r}") from None

    def for_update(self, update_id: str) -> Sequence[DeliveryRecord]:
        return [r for r in self.data.deliveries.values() if r.update_id == update_id]

    def for_incident(self, incident_id: str) -> Sequence[DeliveryRecord]:
        return sorted(
            (
                r
                for r in self.data.deliveries.values()
                if r.incident_id == incident_id and r.kind is not DeliveryKind.NOTICE
            ),
            key=lambda r: (r.position or 0, r.target),
        )

    def list(
        self,
        *,
        state: DeliveryState | None = None,
        incident_id: str | None = None,
        limit: int = 100,
    ) -> Sequence[DeliveryRecord]:
        found = [
            r
            for r in self.data.deliveries.values()
            if (state is None or r.state is state)
            and (incident_id is None or r.incident_id == incident_id)
        ]
        return found[:limit]

    def redrive(self, delivery_id: str, *, now: datetime, deadline_at: datetime) -> bool:
        record = self.data.deliveries.get(delivery_id)
        if record is None or record.state is not DeliveryState.DEAD:
            return False
        self.data.deliveries[delivery_id] = replace(
            record,
            state=DeliveryState.PENDING,
            next_attempt_at=now,
            deadline_at=deadline_at,
            dead_at=None,
        )
        return True

    def notice(self, notice_id: str) -> Notice:
        try:
            return self.data.notices[notice_id][0]
        except KeyError:
            raise NotFound(f"there is no notice {notice_id!r}") from None

    def snapshot_of(self, delivery_id: str) -> dict[str, Any] | None:
        found = self.data.snapshots.get(delivery_id)
        return None if found is None else dict(found)

    def message_id_for(self, *, update_id: str, target: str) -> str | None:
        for r in self.data.deliveries.values():
            if r.update_id == update_id and r.target == target and r.kind is DeliveryKind.UPDATE:
                return r.message_id
        return None

    def thread_for(self, *, target: str, incident_id: str) -> str | None:
        return self.data.threads.get((target, incident_id))

    def notice_message_id(
        self, *, target: str, incident_id: str, kind: str, draft_id: str
    ) -> str | None:
        sent = [
            r
            for r in self.data.deliveries.values()
            if r.kind is DeliveryKind.NOTICE
            and r.target == target
            and r.incident_id == incident_id
            and r.state is DeliveryState.SENT
            and r.message_id is not None
            and r.notice_id is not None
            and self.notice(r.notice_id).kind == kind
            and self.notice(r.notice_id).draft_id == draft_id
        ]
        sent.sort(key=lambda r: (r.sent_at or r.created_at, r.id), reverse=True)
        return sent[0].message_id if sent else None

    # --- the queue ---------------------------------------------------------------------

    def unexpanded_notices(
        self, *, limit: int = 100
    ) -> Sequence[tuple[str, Notice, datetime | None]]:
        waiting = sorted(n for n in self.data.notices if n not in self.data.expanded)
        return [(n, *self.data.notices[n]) for n in waiting[:limit]]

    def claim_notice(self, notice_id: str, *, now: datetime) -> bool:
        if notice_id in self.data.expanded:
            return False
        self.data.expanded.add(notice_id)
        return True

    def _blocked(self, record: DeliveryRecord) -> bool:
        notice = record.kind is DeliveryKind.NOTICE
        return any(
            (r.kind is DeliveryKind.NOTICE) == notice
            and r.target == record.target
            and r.incident_id == record.incident_id
            and (r.position or 0) < (record.position or 0)
            and r.state.open
            for r in self.data.deliveries.values()
        )

    def _claimable(self, record: DeliveryRecord, now: datetime) -> bool:
        return (
            record.state.open
            and (record.next_attempt_at is None or record.next_attempt_at <= now)
            and (record.claimed_until is None or record.claimed_until < now)
            and not self._blocked(record)
        )

    def due(
        self,
        *,
        now: datetime,
        destinations: Collection[str],
        notifiers: Collection[str],
        limit: int = 500,
    ) -> Sequence[DeliveryRecord]:
        first: dict[tuple[bool, str], DeliveryRecord] = {}
        for r in sorted(self.data.deliveries.values(), key=lambda r: (r.created_at, r.id)):
            notice = r.kind is DeliveryKind.NOTICE
            if r.target not in (notifiers if notice else destinations):
                continue
            if self._claimable(r, now):
                first.setdefault((notice, r.target), r)
        return sorted(first.values(), key=lambda r: (r.created_at, r.id))[:limit]

    def next_wakeup(self, *, after: datetime) -> datetime | None:
        moments = [
            moment
            for r in self.data.deliveries.values()
            if r.state.open
            for moment in (r.next_attempt_at, r.claimed_until)
            if moment is not None and moment > after
        ]
        return min(moments, default=None)

    def claim(
        self, delivery_id: str, *, owner: str, now: datetime, until: datetime
    ) -> DeliveryRecord | None:
        record = self.data.deliveries.get(delivery_id)
        if record is None or not self._claimable(record, now):
            return None
        claimed = replace(
            record,
            state=DeliveryState.SENDING,
            claimed_by=owner,
            claimed_until=until,
            attempts=record.attempts + 1,
            last_attempt_at=now,
            maybe_sent=record.maybe_sent or record.state is DeliveryState.SENDING,
        )
        self.data.deliveries[delivery_id] = claimed
        return claimed

    def _finish(self, delivery_id: str, owner: str, **changes: Any) -> bool:
        record = self.data.deliveries.get(delivery_id)
        if (
            record is None
            or record.claimed_by != owner
            or record.state is not DeliveryState.SENDING
        ):
            return False
        self.data.deliveries[delivery_id] = replace(
            record, claimed_by=None, claimed_until=None, **changes
        )
        return True

    def mark_sent(self, delivery_id: str, *, owner: str, now: datetime, receipt: Receipt) -> bool:
        return self._finish(
            delivery_id,
            owner,
            state=DeliveryState.SENT,
            sent_at=now,
            next_attempt_at=None,
            message_id=receipt.message_id,
            note=receipt.note,
        )

    def mark_retry(
        self,
        delivery_id: str,
        *,
        owner: str,
        next_attempt_at: datetime,
        error: str,
        maybe_sent: bool,
    ) -> bool:
        previous = self.data.deliveries.get(delivery_id)
        return self._finish(
            delivery_id,
            owner,
            state=DeliveryState.RETRYING,
            next_attempt_at=next_attempt_at,
            last_error=error,
            maybe_sent=maybe_sent or (previous is not None and previous.maybe_sent),
        )

    def mark_dead(
        self, delivery_id: str, *, owner: str, now: datetime, error: str, maybe_sent: bool
    ) -> bool:
        previous = self.data.deliveries.get(delivery_id)
        return self._finish(
            delivery_id,
            owner,
            state=DeliveryState.DEAD,
            dead_at=now,
            next_attempt_at=None,
            last_error=error,
            maybe_sent=maybe_sent or (previous is not None and previous.maybe_sent),
        )

    def expire(self, delivery_id: str, *, now: datetime, error: str) -> bool:
        record = self.data.deliveries.get(delivery_id)
        if record is None or not self._claimable(record, now):
            return False
        self.data.deliveries[delivery_id] = replace(
            record, state=DeliveryState.DEAD, dead_at=now, next_attempt_at=None, last_error=error
        )
        return True

    def open_targets(self) -> set[tuple[bool, str]]:
        return {
            (r.kind is DeliveryKind.NOTICE, r.target)
            for r in self.data.deliveries.values()
            if r.state.open
        }

    def open_for_target(
        self, *, notice: bool, target: str, limit: int = 100
    ) -> Sequence[DeliveryRecord]:
        found = [
            r
            for r in self.data.deliveries.values()
            if (r.kind is DeliveryKind.NOTICE) == notice and r.target == target and r.state.open
        ]
        return found[:limit]

    def remember_thread(
        self, *, target: str, incident_id: str, thread_id: str, now: datetime
    ) -> None:
        self.data.threads[(target, incident_id)] = thread_id


# The fake cannot drift from the ports: mypy checks it against each of them here.
_outbox: DeliveryOutbox = FakeDeliveryRepository(OutboxData())
_queue: DeliveryQueue = FakeDeliveryRepository(OutboxData())
_ledger: DeliveryLedger = FakeDeliveryRepository(OutboxData())
