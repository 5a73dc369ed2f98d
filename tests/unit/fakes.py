"""In-memory fakes of the ports: same contract as the SQL store, no I/O."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from commsbot.domain.alerts import AlertGroup, AlertGroupState
from commsbot.domain.errors import ConcurrentChange, NotFound
from commsbot.domain.lifecycle import Status
from commsbot.domain.model import Component, Draft, Incident, TimelineEntry, Update
from commsbot.reminders.model import Reminder
from commsbot.services.deps import Deps
from commsbot.services.ports import (
    AlertGroupRepository,
    ComponentRepository,
    DraftRepository,
    IncidentRepository,
    Timeline,
    UnitOfWork,
    UpdateRepository,
)
from commsbot.settings import Settings, parse_settings
from commsbot.subscriptions.fanout import Fanout
from commsbot.templates import TemplateRenderer
from commsbot.tokens.model import ApiToken
from commsbot.tokens.ports import TokenRepository
from tests.delivery.fakes import FakeDeliveryRepository, OutboxData
from tests.postmortem.fakes import FakePostmortemReader
from tests.reminders.fakes import FakeReminderRepository
from tests.unit.maintenance_fakes import FakeMaintenances, FakeMaintenanceTimeline, MaintenanceData


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2024, 12, 11, 23, 16, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> None:
        self.current += timedelta(**kwargs)


@dataclass
class MemoryData:
    incidents: dict[str, Incident] = field(default_factory=dict)
    drafts: dict[str, Draft] = field(default_factory=dict)
    updates: dict[str, Update] = field(default_factory=dict)
    components: dict[str, Component] = field(default_factory=dict)
    timeline: list[TimelineEntry] = field(default_factory=list)
    reminders: dict[str, Reminder] = field(default_factory=dict)
    outbox: OutboxData = field(default_factory=OutboxData)
    alert_groups: dict[str, AlertGroup] = field(default_factory=dict)
    tokens: dict[str, tuple[ApiToken, str]] = field(default_factory=dict)
    #: Units of work opened so far (a use case is one; a surface adds none of its own). Not
    #: data: a refusal that opened one still changed nothing.
    units_of_work: int = field(default=0, compare=False)
    maintenance: MaintenanceData = field(default_factory=MaintenanceData)


class _Incidents:
    def __init__(self, data: MemoryData) -> None:
        self.data = data

    def add(self, incident: Incident) -> None:
        self.data.incidents[incident.id] = incident

    def get(self, ref: str) -> Incident:
        key = ref.strip().upper().removeprefix("INC-")
        for i in self.data.incidents.values():
            if i.id == ref.strip() or (key.isdigit() and i.number == int(key)):
                return i
        raise NotFound(f"no incident {ref!r}")

    def list(self, *, open_only: bool = False, limit: int = 50) -> Sequence[Incident]:
        items = sorted(self.data.incidents.values(), key=lambda i: -i.number)
        if open_only:
            items = [i for i in items if i.status is not Status.RECOVERED]
        return items[:limit]

    def save(self, incident: Incident) -> None:
        incident.version += 1

    def next_number(self) -> int:
        return max((i.number for i in self.data.incidents.values()), default=0) + 1


class _Drafts:
    def __init__(self, data: MemoryData) -> None:
        self.data = data

    def add(self, draft: Draft) -> None:
        self.data.drafts[draft.id] = draft

    def get(self, draft_id: str) -> Draft:
        try:
            return self.data.drafts[draft_id]
        except KeyError:
            raise NotFound(f"no draft {draft_id!r}") from None

    def for_incident(self, incident_id: str, *, pending_only: bool = False) -> Sequence[Draft]:
        return [
            d
            for d in self.data.drafts.values()
            if d.incident_id == incident_id and (not pending_only or d.state.value == "pending")
        ]

    def save(self, draft: Draft) -> None:
        pass


class _Updates:
    def __init__(self, data: MemoryData) -> None:
        self.data = data

    def add(self, update: Update) -> None:
        self.data.updates[update.id] = update

    def get(self, update_id: str) -> Update:
        try:
            return self.data.updates[update_id]
        except KeyError:
            raise NotFound(f"no update {update_id!r}") from None

    def correct(self, update: Update) -> None:
        self.data.updates[update.id] = update

    def for_incident(self, incident_id: str) -> Sequence[Update]:
        return sorted(
            (u for u in self.data.updates.values() if u.incident_id == incident_id),
            key=lambda u: u.seq,
        )

    def published_since(
        self, after: datetime | None, *, limit: int = 100, newest: bool = False
    ) -> Sequence[Update]:
        found = sorted(
            (u for u in self.data.updates.values() if after is None or u.published_at > after),
            key=lambda u: u.published_at,
            reverse=newest,
        )
        return found[:limit]


class _Components:
    def __init__(self, data: MemoryData) -> None:
        self.data = data

    def all(self) -> Sequence[Component]:
        return sorted(self.data.components.values(), key=lambda c: c.position)

    def get_many(self, names: Iterable[str]) -> dict[str, Component]:
        return {n: self.data.components[n] for n in names if n in self.data.components}

    def add(self, component: Component) -> None:
        self.data.components[component.name] = component

    def save(self, component: Component) -> None:
        pass


class _Timeline:
    def __init__(self, data: MemoryData) -> None:
        self.data = data

    def append(self, entry: TimelineEntry) -> None:
        self.data.timeline.append(entry)

    def for_incident(self, incident_id: str) -> Sequence[TimelineEntry]:
        return [e for e in self.data.timeline if e.incident_id == incident_id]


class _AlertGroups:
    def __init__(self, data: MemoryData) -> None:
        self.data = data

    def lock(self, group_key: str) -> AlertGroup | None:
        return self.data.alert_groups.get(group_key)

    def add(self, group: AlertGroup) -> None:
        if group.group_key in self.data.alert_groups:
            raise ConcurrentChange(f"alert group {group.group_key!r} was added meanwhile")
        self.data.alert_groups[group.group_key] = group

    def save(self, group: AlertGroup) -> None:
        self.data.alert_groups[group.group_key] = group

    def firing_for(self, incident_id: str) -> Sequence[AlertGroup]:
        return [
            g
            for g in self.data.alert_groups.values()
            if g.incident_id == incident_id and g.state is AlertGroupState.FIRING
        ]


class _Tokens:
    def __init__(self, data: MemoryData) -> None:
        self.data = data

    def add(self, token: ApiToken, *, token_hash: str) -> None:
        if self.active(token.name) is not None:
            raise ConcurrentChange(f"another token named {token.name!r} was made meanwhile")
        self.data.tokens[token.id] = (token, token_hash)

    def active(self, name_or_id: str) -> ApiToken | None:
        for token, _ in self.data.tokens.values():
            if token.revoked_at is None and name_or_id in (token.name, token.id):
                return token
        return None

    def list(self, *, include_revoked: bool = False) -> Sequence[ApiToken]:
        tokens = [t for t, _ in self.data.tokens.values()]
        shown = [t for t in tokens if include_revoked or t.revoked_at is None]
        return sorted(shown, key=lambda t: (t.revoked_at is not None, t.name))

    def by_hash(self, token_hash: str) -> ApiToken | None:
        for token, stored in self.data.tokens.values():
            if stored == token_hash and token.revoked_at is None:
                return token
        return None

    def revoke(self, token_id: str, *, at: datetime) -> None:
        token, stored = self.data.tokens[token_id]
        self.data.tokens[token_id] = (replace(token, revoked_at=at), stored)


class SubscriptionsOff:
    """The subscriber repositories of a store whose ``[subscriptions]`` are off, as in every
    unit test here: the ledger's reads find no fan-out, and any other use is a bug (the
    subscriber tests run on real databases: tests/subscriptions)."""

    def __init__(self, what: str) -> None:
        self._what = what

    def for_updates(self, update_ids: Sequence[str]) -> Mapping[str, Sequence[Fanout]]:
        return {}

    def list(
        self, *, subject_id: str | None = None, open_only: bool = False, limit: int = 100
    ) -> Sequence[Fanout]:
        return []

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"uow.{self._what}.{name} used while subscriptions are off")


class FakeUnitOfWork:
    """Works on a copy of the shared data; commit swaps it in, exit without commit drops it."""

    def __init__(self, shared: MemoryData) -> None:
        self.shared = shared
        self.committed = False

    def __enter__(self) -> Self:
        self.shared.units_of_work += 1
        self.data = copy.deepcopy(self.shared)
        self.incidents = _Incidents(self.data)
        self.drafts = _Drafts(self.data)
        self.updates = _Updates(self.data)
        self.components = _Components(self.data)
        self.timeline = _Timeline(self.data)
        self.reminders = FakeReminderRepository(self.data.reminders)
        self.outbox = self.queue = self.ledger = FakeDeliveryRepository(self.data.outbox)
        self.tokens = _Tokens(self.data)
        self.alert_groups = _AlertGroups(self.data)
        self.postmortems = FakePostmortemReader(self.data)
        self.subscribers = SubscriptionsOff("subscribers")
        self.fanouts = SubscriptionsOff("fanouts")
        self.sends = SubscriptionsOff("sends")
        self.subscriber_messages = SubscriptionsOff("subscriber_messages")
        self.signup_windows = SubscriptionsOff("signup_windows")
        self.maintenances = FakeMaintenances(self.data.maintenance)
        self.maintenance_timeline = FakeMaintenanceTimeline(self.data.maintenance)
        self._versions = {i.id: i.version for i in self.shared.incidents.values()}
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def commit(self) -> None:
        for incident_id, version in self._versions.items():
            if self.shared.incidents[incident_id].version != version:
                raise ConcurrentChange(f"incident {incident_id} changed meanwhile")
        self.shared.incidents = self.data.incidents
        self.shared.drafts = self.data.drafts
        self.shared.updates = self.data.updates
        self.shared.components = self.data.components
        self.shared.timeline = self.data.timeline
        self.shared.reminders = self.data.reminders
        self.shared.outbox = self.data.outbox
        self.shared.alert_groups = self.data.alert_groups
        self.shared.tokens = self.data.tokens
        self.shared.maintenance = self.data.maintenance
        self.committed = True


def make_deps(
    settings: Settings | None = None, *, clock: FakeClock | None = None
) -> tuple[Deps, MemoryData, FakeClock]:
    """Dependencies wired to in-memory fakes; returns them with the data and the clock."""
    settings = settings or parse_settings({"timezone": "America/Los_Angeles"})
    clock = clock or FakeClock()
    data = MemoryData()
    counter = iter(range(1, 1_000_000))
    deps = Deps(
        uow=lambda: FakeUnitOfWork(data),
        settings=settings,
        renderer=TemplateRenderer(zone=settings.zone),
        clock=clock,
        ids=lambda: f"id{next(counter):010d}",
    )
    return deps, data, clock


# The fakes cannot drift from the ports: mypy checks each against its Protocol here.
_incidents: IncidentRepository = _Incidents(MemoryData())
_drafts: DraftRepository = _Drafts(MemoryData())
_updates: UpdateRepository = _Updates(MemoryData())
_components: ComponentRepository = _Components(MemoryData())
_timeline: Timeline = _Timeline(MemoryData())
_alert_groups: AlertGroupRepository = _AlertGroups(MemoryData())
_tokens: TokenRepository = _Tokens(MemoryData())
_uow: UnitOfWork = FakeUnitOfWork(MemoryData())
