"""Maintenances as the public reads them: times, Statuspage v2 objects, and the iCalendar feed.

Pure functions of plain inputs (a maintenance, its published notices, the page's ids and zone),
so the status page, its static export and the tests all render the same bytes.

Statuspage v2: a ``scheduled_maintenance`` is an incident object plus ``scheduled_for`` and
``scheduled_until`` (STATUSPAGE.md); its ``impact`` is ``maintenance``; its ``status`` one of
scheduled, in_progress, verifying, completed (a cancelled one is ``completed``, and its last
update says it was cancelled: strict readers know no other value).

iCalendar (RFC 5545): one ``VEVENT`` per announced maintenance, with a ``UID`` that never changes,
a ``SEQUENCE`` that grows with every notice published after the announcement (so calendar apps
replace the copy they hold), and ``STATUS:CANCELLED`` once it is cancelled. The ``icalendar``
package writes it: escaping, 75-octet line folding and CRLF line ends are its job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from commsbot.domain.maintenance import MaintenanceStatus, MaintenanceTrigger
from commsbot.domain.text import sanitize_text
from commsbot.maintenance.model import Maintenance, MaintenanceNotice

#: How many maintenances ``scheduled-maintenances.json`` and the calendar list (Statuspage: 50).
RECENT_MAINTENANCES = 50
PRODID = "-//commsbot//scheduled maintenance//EN"


def format_moment(moment: datetime, zone: ZoneInfo) -> str:
    """``Wed Dec 11, 10:00 PM PST``: a planned time as notices state it, in ``zone``."""
    local = moment.astimezone(zone)
    hour = local.hour % 12 or 12
    return (
        f"{local:%a %b} {local.day}, {hour}:{local.minute:02d} "
        f"{'AM' if local.hour < 12 else 'PM'} {local.tzname()}"
    )


def format_window(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """``Wed Dec 11, 10:00 PM – 11:30 PM PST``; both dates when it spans midnight (or a
    change of offset, which then shows on each end)."""
    first, last = start.astimezone(zone), end.astimezone(zone)
    if first.date() == last.date() and first.tzname() == last.tzname():
        until = format_moment(end, zone).split(", ", 1)[1]
        return f"{format_moment(start, zone).rsplit(' ', 1)[0]} – {until}"
    return f"{format_moment(start, zone)} – {format_moment(end, zone)}"


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds and ``Z``, as every v2 timestamp (STATUSPAGE.md)."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class PublicMaintenance:
    """An announced maintenance and its published notices, oldest first (never empty)."""

    maintenance: Maintenance
    notices: tuple[MaintenanceNotice, ...]

    @property
    def id(self) -> str:
        return self.maintenance.id

    @property
    def last(self) -> MaintenanceNotice:
        return self.notices[-1]

    @property
    def status(self) -> MaintenanceStatus:
        return self.maintenance.status

    @property
    def upcoming(self) -> bool:
        return self.status is MaintenanceStatus.SCHEDULED

    @property
    def active(self) -> bool:
        return self.status.active

    @property
    def updated_at(self) -> datetime:
        return self.last.published_at

    @property
    def verifying_at(self) -> datetime | None:
        """When it last went into verification (None once work resumed)."""
        moment = None
        for notice in self.notices:
            if notice.kind is MaintenanceTrigger.VERIFY:
                moment = notice.published_at
            elif notice.kind is MaintenanceTrigger.RESUME:
                moment = None
        return moment


def upcoming(items: Iterable[PublicMaintenance]) -> list[PublicMaintenance]:
    """Scheduled ones, soonest first."""
    return sorted((i for i in items if i.upcoming), key=lambda i: i.maintenance.scheduled_for)


def active(items: Iterable[PublicMaintenance]) -> list[PublicMaintenance]:
    """In progress or verifying, the one that started first first."""
    return sorted((i for i in items if i.active), key=lambda i: i.maintenance.scheduled_for)


def recent(items: Iterable[PublicMaintenance]) -> list[PublicMaintenance]:
    """The most recent (latest window first), as many as Statuspage lists."""
    ordered = sorted(
        items, key=lambda i: (i.maintenance.scheduled_for, i.maintenance.number), reverse=True
    )
    return ordered[:RECENT_MAINTENANCES]


def notice_status(notice: MaintenanceNotice) -> str:
    """The Statuspage status a notice is shown with."""
    return notice.status.statuspage


def notice_label(item: PublicMaintenance, index: int) -> str:
    """How the page labels ``item.notices[index]``: the status title-cased, ``Cancelled`` for
    a cancellation, or ``Update`` when the status did not change from the notice before."""
    notice = item.notices[index]
    if notice.kind is MaintenanceTrigger.CANCEL:
        return "Cancelled"
    if index > 0 and item.notices[index - 1].status is notice.status:
        return "Update"
    return notice.status.label


#: A component's public id from its name (the status page's ``component_id``).
ComponentCode = Callable[[str], str]


def maintenance_update(notice: MaintenanceNotice, *, code: ComponentCode) -> dict[str, Any]:
    """One ``incident_update`` of a scheduled maintenance (the same shape as an incident's)."""
    stamp = iso(notice.published_at)
    affected = [
        {
            "code": code(c.name),
            "name": c.name,
            "old_status": c.old.value,
            "new_status": c.new.value,
        }
        for c in notice.changes
    ]
    return {
        "id": notice.id,
        "status": notice_status(notice),
        "body": notice.body,
        "incident_id": notice.maintenance_id,
        "created_at": stamp,
        "updated_at": stamp,
        "display_at": stamp,
        "affected_components": affected or None,
        "deliver_notifications": True,
        "custom_tweet": None,
        "tweet_id": None,
    }


def scheduled_maintenance(
    item: PublicMaintenance,
    *,
    page_id: str,
    shortlink: str,
    components: Sequence[Mapping[str, Any]],
    code: ComponentCode,
) -> dict[str, Any]:
    """One ``scheduled_maintenance`` object, its updates newest first.

    Args:
        shortlink: where its page is (``<page url>/incidents/<id>``, where readers look).
        components: the full component objects of its components, as ``components.json``
            shows them now.
        code: a component's public id, for the updates' ``affected_components``.
    """
    m = item.maintenance
    announced = m.announced_at or item.notices[0].published_at
    return {
        "id": m.id,
        "name": m.title,
        "status": m.status.statuspage,
        "created_at": iso(announced),
        "updated_at": iso(item.updated_at),
        "monitoring_at": iso(item.verifying_at),
        "resolved_at": iso(m.ended_at),
        "impact": "maintenance",
        "shortlink": shortlink,
        "started_at": iso(m.started_at or m.scheduled_for),
        "page_id": page_id,
        "incident_updates": [maintenance_update(n, code=code) for n in reversed(item.notices)],
        "components": [dict(c) for c in components],
        "scheduled_for": iso(m.scheduled_for),
        "scheduled_until": iso(m.scheduled_until),
    }


# -- iCalendar ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarPage:
    """What the calendar says about the page: its name, its URL and its host (for UIDs)."""

    name: str
    url: str
    host: str


def event_uid(maintenance_id: str, host: str) -> str:
    """The event's ``UID``: the same for the maintenance's whole life, unique worldwide."""
    return f"maintenance-{maintenance_id}@{host}"


def calendar(items: Iterable[PublicMaintenance], *, page: CalendarPage) -> bytes:
    """The iCalendar feed (``/maintenance.ics``): one event per announced maintenance."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _text(f"{page.name} maintenance"))
    cal.add("x-wr-caldesc", _text(f"Scheduled maintenance of {page.name} ({page.url})"))
    # RFC 7986 and its older spelling: how often a subscribed calendar should look again.
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for item in sorted(items, key=lambda i: (i.maintenance.scheduled_for, i.id)):
        cal.add_component(_event(item, page=page))
    ics: bytes = cal.to_ical()
    return ics


def _event(item: PublicMaintenance, *, page: CalendarPage) -> icalendar.Event:
    m = item.maintenance
    event = icalendar.Event()
    event.add("uid", event_uid(m.id, page.host))
    event.add("dtstamp", item.updated_at.astimezone(UTC))
    event.add("created", (m.announced_at or item.notices[0].published_at).astimezone(UTC))
    event.add("last-modified", item.updated_at.astimezone(UTC))
    event.add("sequence", m.sequence)
    event.add("dtstart", m.scheduled_for.astimezone(UTC))
    event.add("dtend", m.scheduled_until.astimezone(UTC))
    cancelled = m.status is MaintenanceStatus.CANCELLED
    event.add("summary", _text(f"{'Cancelled: ' if cancelled else ''}{m.title}"))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    # Planned work on a service: it shows in the calendar without blocking anyone's time.
    event.add("transp", "TRANSPARENT")
    event.add("categories", ["Maintenance"])
    link = f"{page.url.rstrip('/')}/incidents/{m.id}"
    event.add("url", link)
    lines = [item.last.body]
    if len(item.notices) > 1 and item.notices[0].body != item.last.body:
        lines += ["", item.notices[0].body]
    if m.components:
        lines += ["", f"Components: {', '.join(m.components)}"]
    lines += ["", f"Status: {m.status.label}", link]
    event.add("description", _text("\n".join(lines)))
    return event


def _text(value: str) -> str:
    # Control characters are not allowed in iCalendar TEXT (RFC 5545 3.3.11), even from rows
    # written before text was checked on the way in.
    return sanitize_text(value)
