"""An in-memory outbox for the unit tests' fake unit of work (planning side only).

The dispatcher's claims and leases are tested on the real store (SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from commsbot.delivery.model import DeliveryKind, DeliveryRecord, DeliveryState
from commsbot.delivery.ports import Notice
from commsbot.domain.errors import NotFound


@dataclass
class OutboxData:
    deliveries: dict[str, DeliveryRecord] = field(default_factory=dict)
    snapshots: dict[str, dict[str, Any]] = field(default_factory=dict)
    notices: dict[str, tuple[Notice, datetime | None]] = field(default_factory=dict)


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
