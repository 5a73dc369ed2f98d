"""Scheduled maintenance through the use cases on the real store, with a clock the test moves."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from commsbot.delivery.ports import Notice
from commsbot.domain.policy import Actor
from commsbot.maintenance.views import MaintenancePublished, Scheduled
from commsbot.services.drafts import approve_any_draft
from commsbot.services.maintenance import Texts, schedule, show
from commsbot.services.ports import UnitOfWork
from commsbot.services.reminder_firing import fire_due
from commsbot.services.statuspage import load_public_data
from commsbot.statuspage.snapshot import render_files
from tests.reminders.store_helpers import store_deps
from tests.unit.fakes import FakeClock

LA = ZoneInfo("America/Los_Angeles")
MAYA, SAM, LEE = Actor("maya"), Actor("sam"), Actor("lee")
CATALOGUE = [{"name": "API"}, {"name": "Web"}, {"name": "ChatGPT"}]


def la(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0
) -> datetime:
    """A Los Angeles wall-clock time, in UTC (``fold=1``: the second 1:30 of a fall-back night)."""
    return datetime(year, month, day, hour, minute, tzinfo=LA, fold=fold).astimezone(UTC)


class Bot:
    """The use cases on a SQLite database, a movable clock, and the notices the timers sent."""

    def __init__(self, tmp: Path, start: datetime, **config: Any) -> None:
        self.clock = FakeClock(start)
        config.setdefault("components", CATALOGUE)
        config.setdefault("page", {"name": "Acme Status", "url": "https://status.acme.example"})
        self.deps, self.engine = store_deps(
            f"sqlite:///{tmp / 'maintenance.db'}", clock=self.clock, **config
        )
        self.sent: list[Notice] = []

    def close(self) -> None:
        self.engine.dispose()

    def at(self, moment: datetime) -> Bot:
        assert moment >= self.clock.current, "time travel goes forward only"
        self.clock.current = moment
        return self

    def _enqueue(self, uow: UnitOfWork, notice: Notice) -> None:
        self.sent.append(notice)

    def fire(self) -> list[Notice]:
        return [f.notice for f in fire_due(self.deps, enqueue=self._enqueue)]

    def schedule(
        self, start: str, end: str, *components: str, title: str = "Database upgrade", **kw: Any
    ) -> Scheduled:
        return schedule(
            self.deps,
            title=title,
            start=start,
            end=end,
            components=list(components or ("API",)),
            actor=MAYA,
            texts=kw.pop("texts", Texts()),
            **kw,
        )

    def announce(self, start: str, end: str, *components: str, **kw: Any) -> str:
        """Schedule as maya, sam approves the announcement; the maintenance's ref."""
        made = self.schedule(start, end, *components, **kw)
        published = approve_any_draft(self.deps, draft_id=made.draft.id, actor=SAM)
        assert isinstance(published, MaintenancePublished)
        return made.maintenance.ref

    def status(self, ref: str) -> str:
        return show(self.deps, ref=ref).maintenance.status.value

    def component(self, name: str) -> str:
        """The component's status as the public sees it (``components.json``)."""
        doc = json.loads(self.public()["/api/v2/components.json"])
        return next(str(c["status"]) for c in doc["components"] if c["name"] == name)

    def public(self) -> dict[str, bytes]:
        return render_files(load_public_data(self.deps))

    def calendar(self) -> list[Any]:
        """The iCalendar feed's events, parsed by the ``icalendar`` package."""
        cal = icalendar.Calendar.from_ical(self.public()["/maintenance.ics"])
        return list(cal.walk("VEVENT"))
