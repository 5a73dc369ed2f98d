"""The outbox's repository port: ``uow.deliveries`` in every unit of work.

The SQL implementation is :class:`commsbot.delivery.store.SqlDeliveryRepository`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from commsbot.delivery.model import DeliveryRecord, DeliveryState

if TYPE_CHECKING:
    from commsbot.services.ports import Notice, Receipt


class DeliveryRepository(Protocol):
    # planning, inside the use cases' transactions
    def add(self, record: DeliveryRecord, *, snapshot: Mapping[str, Any] | None = None) -> None:
        """Insert a delivery; ``snapshot`` is what it sends (``delivery.snapshot.freeze``)."""
        ...

    def next_position(self, incident_id: str) -> int: ...

    def add_notice(
        self, notice_id: str, notice: Notice, *, created_at: datetime | None
    ) -> None: ...

    # reading
    def get(self, delivery_id: str) -> DeliveryRecord:
        """Raises NotFound."""
        ...

    def for_update(self, update_id: str) -> Sequence[DeliveryRecord]: ...

    def for_incident(self, incident_id: str) -> Sequence[DeliveryRecord]: ...

    def list(
        self,
        *,
        state: DeliveryState | None = None,
        incident_id: str | None = None,
        limit: int = 100,
    ) -> Sequence[DeliveryRecord]: ...

    def snapshot_of(self, delivery_id: str) -> dict[str, Any] | None: ...

    def message_id_for(self, *, update_id: str, target: str) -> str | None: ...

    def thread_for(self, *, target: str, incident_id: str) -> str | None: ...

    def notice(self, notice_id: str) -> Notice: ...

    def notice_message_id(
        self, *, target: str, incident_id: str, kind: str, draft_id: str
    ) -> str | None:
        """The message id ``target`` returned for the latest sent notice of ``kind`` about
        ``draft_id`` (e.g. the approval request a decision marks), or None."""
        ...

    # re-driving and dispatching (conditional updates: True/record when this caller won)
    def redrive(self, delivery_id: str, *, now: datetime, deadline_at: datetime) -> bool: ...

    def unexpanded_notices(
        self, *, limit: int = 100
    ) -> Sequence[tuple[str, Notice, datetime | None]]: ...

    def claim_notice(self, notice_id: str, *, now: datetime) -> bool: ...

    def due(
        self,
        *,
        now: datetime,
        destinations: Collection[str],
        notifiers: Collection[str],
        limit: int = 500,
    ) -> Sequence[DeliveryRecord]: ...

    def next_wakeup(self, *, after: datetime) -> datetime | None: ...

    def claim(
        self, delivery_id: str, *, owner: str, now: datetime, until: datetime
    ) -> DeliveryRecord | None: ...

    def mark_sent(
        self, delivery_id: str, *, owner: str, now: datetime, receipt: Receipt
    ) -> bool: ...

    def mark_retry(
        self,
        delivery_id: str,
        *,
        owner: str,
        next_attempt_at: datetime,
        error: str,
        maybe_sent: bool,
    ) -> bool: ...

    def mark_dead(
        self, delivery_id: str, *, owner: str, now: datetime, error: str, maybe_sent: bool
    ) -> bool: ...

    def expire(self, delivery_id: str, *, now: datetime, error: str) -> bool: ...

    def open_targets(self) -> set[tuple[bool, str]]: ...

    def open_for_target(
        self, *, notice: bool, target: str, limit: int = 100
    ) -> Sequence[DeliveryRecord]: ...

    def remember_thread(
        self, *, target: str, incident_id: str, thread_id: str, now: datetime
    ) -> None: ...
