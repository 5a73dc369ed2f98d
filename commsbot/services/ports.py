"""The ports of the incidents' use cases, and the unit of work that bundles every repository.

The store implements them (``commsbot.store``); each feature keeps its own ports beside its
model (``commsbot.delivery.ports``, ``commsbot.reminders.ports``, ``commsbot.tokens.ports``, …).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

from commsbot.domain.alerts import AlertGroup
from commsbot.domain.model import (
    Component,
    Draft,
    Incident,
    TimelineEntry,
    Update,
)

if TYPE_CHECKING:
    from commsbot.delivery.ports import DeliveryLedger, DeliveryOutbox, DeliveryQueue
    from commsbot.maintenance.ports import MaintenanceRepository, MaintenanceTimeline
    from commsbot.postmortem.ports import PostmortemReader
    from commsbot.reminders.ports import ReminderRepository
    from commsbot.subscriptions.ports import (
        FanoutRepository,
        MessageRepository,
        SendRepository,
        SignupWindowRepository,
        SubscriberRepository,
    )
    from commsbot.tokens.ports import TokenRepository


class IncidentRepository(Protocol):
    def add(self, incident: Incident) -> None: ...

    def get(self, ref: str) -> Incident:
        """By id, by number (``42``) or by reference (``INC-42``); raises NotFound."""
        ...

    def list(self, *, open_only: bool = False, limit: int = 50) -> Sequence[Incident]:
        """Newest first."""
        ...

    def save(self, incident: Incident) -> None:
        """Write changes made to a loaded incident (optimistically locked)."""
        ...

    def next_number(self) -> int: ...


class DraftRepository(Protocol):
    def add(self, draft: Draft) -> None: ...

    def get(self, draft_id: str) -> Draft:
        """Raises NotFound."""
        ...

    def for_incident(self, incident_id: str, *, pending_only: bool = False) -> Sequence[Draft]: ...

    def save(self, draft: Draft) -> None:
        """Write changes made to a loaded draft (optimistically locked)."""
        ...


class UpdateRepository(Protocol):
    def add(self, update: Update) -> None: ...

    def get(self, update_id: str) -> Update: ...

    def correct(self, update: Update) -> None:
        """Store a corrected update's new ``body`` and ``corrected_at`` (nothing else changes)."""
        ...

    def for_incident(self, incident_id: str) -> Sequence[Update]:
        """Oldest first."""
        ...

    def published_since(
        self, after: datetime | None, *, limit: int = 100, newest: bool = False
    ) -> Sequence[Update]:
        """Updates of every incident published strictly after ``after`` (all when None).

        Oldest first, or newest first with ``newest``; at most ``limit``.
        """
        ...


class ComponentRepository(Protocol):
    def all(self) -> Sequence[Component]: ...

    def get_many(self, names: Iterable[str]) -> dict[str, Component]:
        """Only the names that exist."""
        ...

    def add(self, component: Component) -> None: ...

    def save(self, component: Component) -> None: ...


class Timeline(Protocol):
    def append(self, entry: TimelineEntry) -> None: ...

    def for_incident(self, incident_id: str) -> Sequence[TimelineEntry]:
        """Oldest first."""
        ...


class AlertGroupRepository(Protocol):
    """What the Alertmanager receiver did with each alert group (keyed by ``group_key``)."""

    def lock(self, group_key: str) -> AlertGroup | None:
        """The group, locked until this unit of work ends (None when never seen).

        A concurrent unit of work locking the same group waits for this one to finish.
        """
        ...

    def add(self, group: AlertGroup) -> None:
        """Store a new group at once: a concurrent ``add`` of the same key waits for this unit
        of work, then fails with ``ConcurrentChange`` (so only one acts on a new group)."""
        ...

    def save(self, group: AlertGroup) -> None:
        """Write changes made to a group returned by :meth:`lock` or passed to :meth:`add`."""
        ...

    def firing_for(self, incident_id: str) -> Sequence[AlertGroup]:
        """The groups still firing that are bound to ``incident_id``."""
        ...


class UnitOfWork(Protocol):
    """One transaction. Rolls back on exit unless :meth:`commit` was called.

    A lost optimistic-locking race surfaces as ``ConcurrentChange`` from :meth:`commit` or from
    any repository call (the store flushes as it goes). Its repositories exist only inside the
    ``with`` block; each feature's repository port lives in that feature's ``ports.py``.
    The store implements it (``commsbot.store.uow.SqlUnitOfWork``); the composition root is
    where the two meet, and mypy checks there that the store fits.
    """

    @property
    def incidents(self) -> IncidentRepository: ...
    @property
    def drafts(self) -> DraftRepository: ...
    @property
    def updates(self) -> UpdateRepository: ...
    @property
    def components(self) -> ComponentRepository: ...
    @property
    def timeline(self) -> Timeline: ...
    @property
    def alert_groups(self) -> AlertGroupRepository: ...
    @property
    def reminders(self) -> ReminderRepository: ...
    @property
    def outbox(self) -> DeliveryOutbox: ...
    @property
    def queue(self) -> DeliveryQueue: ...
    @property
    def ledger(self) -> DeliveryLedger: ...
    @property
    def tokens(self) -> TokenRepository: ...
    @property
    def postmortems(self) -> PostmortemReader: ...
    @property
    def subscribers(self) -> SubscriberRepository: ...
    @property
    def fanouts(self) -> FanoutRepository: ...
    @property
    def sends(self) -> SendRepository: ...
    @property
    def subscriber_messages(self) -> MessageRepository: ...
    @property
    def signup_windows(self) -> SignupWindowRepository: ...
    @property
    def maintenances(self) -> MaintenanceRepository: ...
    @property
    def maintenance_timeline(self) -> MaintenanceTimeline: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...
