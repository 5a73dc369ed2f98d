"""What the public may see, loaded once per change: the input of every public rendering.

Only published text gets here: components, and incidents that have at least one published update
together with those updates. An incident's title and severity are those of its last published
update (``Incident.as_published``): an edit of the incident reaches the public only with the
next approved update. Drafts, notes, the timeline and who approved never do (the
renderers could not leak them if they tried).

Public ids: incidents and updates already have 12-character lowercase ids. Components are keyed
by name, so their public id is derived from it: the first 12 base-36 digits (``0-9a-z``) of
``sha256("component\\0" + name)``; a component group's from ``sha256("group\\0" + name)``, and the
page's from ``sha256("page\\0" + page url)``. The same name always gives the same id, on every
replica and in every export, and renaming a component gives it a new one.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from commsbot.domain.lifecycle import Status
from commsbot.domain.model import Component, ComponentStatus, Impact, Incident, Update
from commsbot.maintenance.render import PublicMaintenance
from commsbot.statuspage.config import PageConfig

#: How many incidents ``incidents.json``, the feeds and the history page list.
RECENT_INCIDENTS = 50
#: How many incidents get their own page in memory (and in an export), unresolved ones aside.
PAGED_INCIDENTS = 100
#: Days of history bars per component.
HISTORY_DAYS = 90
#: Updates read for the history bars: far more than any team publishes in 90 days.
HISTORY_UPDATES = 20_000
_ALPHABET = string.digits + string.ascii_lowercase


def public_id(kind: str, name: str) -> str:
    """A stable 12-character id (``0-9a-z``) for ``name`` of ``kind`` (component, group, page)."""
    number = int.from_bytes(hashlib.sha256(f"{kind}\0{name}".encode()).digest(), "big")
    digits = []
    for _ in range(12):
        number, digit = divmod(number, 36)
        digits.append(_ALPHABET[digit])
    return "".join(digits)


def component_id(name: str) -> str:
    """The public id of the component called ``name``."""
    return public_id("component", name)


def group_id(name: str) -> str:
    """The public id of the component group called ``name``."""
    return public_id("group", name)


@dataclass(frozen=True)
class PublicIncident:
    """An incident and its published updates (oldest first; never empty)."""

    incident: Incident
    updates: tuple[Update, ...]

    @property
    def id(self) -> str:
        return self.incident.id

    @property
    def first(self) -> Update:
        return self.updates[0]

    @property
    def last(self) -> Update:
        return self.updates[-1]

    @property
    def document(self) -> Update | None:
        """The last published update carrying the postmortem's public document, if any."""
        return next((u for u in reversed(self.updates) if u.document), None)

    @property
    def statuspage_status(self) -> str:
        """investigating | identified | monitoring | resolved | postmortem."""
        return self.last.statuspage_status

    @property
    def resolved(self) -> bool:
        return self.incident.status is Status.RECOVERED

    def impact(self, components: Mapping[str, Component]) -> Impact:
        """The incident's impact now; once resolved, the worst it reached (as Statuspage keeps)."""
        if not self.resolved:
            return self.incident.impact(components)
        peak = [c.new.impact for u in self.updates for c in u.changes]
        if not peak:
            # As if open and naming no component: Incident.impact falls back to the severity.
            as_open = replace(self.incident, status=Status.INVESTIGATING, components=[])
            return as_open.impact({})
        return max(peak, key=lambda i: i.rank)


@dataclass(frozen=True)
class PublicData:
    """Everything the public renderings read. Pure data; building it is the only I/O.

    Attributes:
        page: the page's name and public URL.
        timezone: the IANA zone times and days are shown in.
        components: the components the page lists, in display order.
        all_components: every stored component by name (incidents may name retired ones).
        incidents: public incidents, newest first: the most recent ones and every unresolved one.
        history: updates published in the history window, oldest first (for the bars).
        now: when this was loaded; only the history bars depend on it (which day is today).
        subscribe: the live page offers "Subscribe to updates" (``[subscriptions]`` is on).
        maintenances: announced scheduled maintenances with their published notices, latest
            window first: the recent ones and every open one.
        incident_status: each component's status as incidents left it, where an active
            maintenance shows it otherwise (``components`` has what the public sees).
    """

    page: PageConfig
    timezone: str
    components: tuple[Component, ...]
    all_components: Mapping[str, Component]
    incidents: tuple[PublicIncident, ...]
    history: tuple[Update, ...]
    now: datetime
    subscribe: bool = False
    maintenances: tuple[PublicMaintenance, ...] = ()
    incident_status: Mapping[str, ComponentStatus] = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    @property
    def page_id(self) -> str:
        return public_id("page", self.page.url)

    @property
    def base_url(self) -> str:
        return self.page.url.rstrip("/")

    @property
    def unresolved(self) -> list[PublicIncident]:
        return [i for i in self.incidents if not i.resolved]

    @property
    def recent(self) -> list[PublicIncident]:
        return list(self.incidents[:RECENT_INCIDENTS])

    @property
    def updated_at(self) -> datetime:
        """The last time anything public changed (not the render time: ETags stay stable)."""
        moments = [i.last.published_at for i in self.incidents]
        moments += [c.updated_at for c in self.components if c.updated_at is not None]
        moments += [m.updated_at for m in self.maintenances]
        return max(moments, default=self.now)

    def incident_url(self, incident_id: str) -> str:
        """An incident's page; a maintenance's too (Statuspage's shortlinks do the same)."""
        return f"{self.base_url}/incidents/{incident_id}"


def last_update_label(updates: Sequence[Update], index: int) -> str:
    """The label Statuspage shows for ``updates[index]`` (oldest first).

    The status title-cased, or ``Update`` when the status is the same as the update before.
    """
    status = updates[index].statuspage_status
    if index > 0 and updates[index - 1].statuspage_status == status:
        return "Update"
    return status.title()
