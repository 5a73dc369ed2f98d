"""The HTML status page: Jinja2 templates fed with plain view objects built here.

Readable without JavaScript (there is none) and on a phone (one column, bars that drop the oldest
days on narrow screens). Colours always come with words, for readers who cannot tell them apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

import jinja2
import markupsafe
from markdown_it import MarkdownIt

from commsbot.domain.model import Component, ComponentStatus, Impact
from commsbot.domain.text import sanitize_inline
from commsbot.maintenance import render as maintenance
from commsbot.maintenance.render import PublicMaintenance
from commsbot.statuspage.data import (
    HISTORY_DAYS,
    PublicData,
    PublicIncident,
    component_id,
    last_update_label,
)
from commsbot.statuspage.history import worst
from commsbot.statuspage.uptime import (
    Change,
    DayBar,
    History,
    Span,
    component_history,
    group_history,
    uptime_label,
)
from commsbot.statuspage.v2 import INDICATOR_DESCRIPTIONS, indicator

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_IMPACT_WORDS = {
    Impact.NONE: "No impact",
    Impact.MINOR: "Minor",
    Impact.MAJOR: "Major",
    Impact.CRITICAL: "Critical",
}


@dataclass(frozen=True)
class Links:
    """Where a page's links point: at the live server, or between files of an export.

    Attributes:
        root: prefix of every internal link: ``/`` on the server, ``""`` or ``../../`` in an
            export (relative, so an export works under any path of any host, and from disk).
        static: link to ``…/index.html`` files, as a folder of files needs.
    """

    root: str = "/"
    static: bool = False

    def _page(self, path: str) -> str:
        if self.static:
            return f"{self.root}{path}{'/' if path else ''}index.html"
        return f"{self.root}{path}"

    def home(self) -> str:
        return self._page("")

    def history(self) -> str:
        return self._page("history")

    def incident(self, incident_id: str) -> str:
        return self._page(f"incidents/{incident_id}")

    def postmortem(self, incident_id: str) -> str:
        return self._page(f"incidents/{incident_id}/postmortem")

    def file(self, path: str) -> str:
        return f"{self.root}{path}"


@dataclass(frozen=True)
class UpdateView:
    label: str
    body: str
    when: str
    iso: str


@dataclass(frozen=True)
class IncidentView:
    id: str
    name: str
    link: str
    status: str
    impact: str
    impact_label: str
    started: str
    resolved: str | None
    components: list[str]
    updates: list[UpdateView]
    #: The link to the published root-cause analysis, if the team published its document.
    postmortem: str | None = None
    #: A scheduled maintenance's window (None for an incident).
    window: str | None = None


@dataclass(frozen=True)
class BarView:
    status: str
    title: str


@dataclass(frozen=True)
class ComponentView:
    id: str
    name: str
    description: str
    status: str
    status_label: str
    bars: list[BarView]
    children: list[ComponentView] = field(default_factory=list)
    #: ``99.95 % uptime`` over the bars' days (Statuspage's weighting), or ``No data``.
    uptime: str = ""


def _when(data: PublicData, moment: datetime) -> str:
    local = moment.astimezone(data.zone)
    return f"{_MONTHS[local.month - 1]} {local.day}, {local.year}, {local:%H:%M} {local.tzname()}"


def _incident_view(data: PublicData, item: PublicIncident, links: Links) -> IncidentView:
    impact = item.impact(data.all_components)
    updates = [
        UpdateView(
            label=last_update_label(item.updates, index),
            body=u.body,
            when=_when(data, u.published_at),
            iso=u.published_at.isoformat(),
        )
        for index, u in reversed(list(enumerate(item.updates)))
    ]
    inc = item.incident
    return IncidentView(
        id=inc.id,
        name=inc.title,
        link=links.incident(inc.id),
        status=item.statuspage_status.title(),
        impact=impact.value,
        impact_label=_IMPACT_WORDS[impact],
        started=_when(data, inc.declared_at),
        resolved=_when(data, inc.resolved_at) if inc.resolved_at else None,
        components=list(inc.components),
        updates=updates,
        postmortem=links.postmortem(inc.id) if item.document else None,
    )


def _window(data: PublicData, item: PublicMaintenance) -> str:
    m = item.maintenance
    start, end = _when(data, m.scheduled_for), _when(data, m.scheduled_until)
    same_day = start.rsplit(", ", 1)[0] == end.rsplit(", ", 1)[0]
    return f"{start} – {end.rsplit(', ', 1)[1] if same_day else end}"


def _maintenance_view(data: PublicData, item: PublicMaintenance, links: Links) -> IncidentView:
    """A scheduled maintenance shown as Statuspage shows one: an incident card, in blue."""
    m = item.maintenance
    updates = [
        UpdateView(
            label=maintenance.notice_label(item, index),
            body=n.body,
            when=_when(data, n.published_at),
            iso=n.published_at.isoformat(),
        )
        for index, n in reversed(list(enumerate(item.notices)))
    ]
    return IncidentView(
        id=m.id,
        name=m.title,
        link=links.incident(m.id),
        status=m.status.label,
        impact="maintenance",
        impact_label="Maintenance",
        started=_when(data, m.started_at or m.scheduled_for),
        resolved=_when(data, m.ended_at) if m.ended_at else None,
        components=list(m.components),
        updates=updates,
        window=_window(data, item),
    )


def _bars(days: Sequence[DayBar]) -> list[BarView]:
    return [
        BarView(
            status=d.status.value if d.status else "no_data",
            title=(
                f"{_MONTHS[d.day.month - 1]} {d.day.day}, {d.day.year}: "
                f"{d.status.label if d.status else 'No data'}"
            ),
        )
        for d in days
    ]


def _maintenance_spans(data: PublicData, name: str) -> list[Span]:
    """When announced maintenances were under way on the component ``name``."""
    spans = []
    for item in data.maintenances:
        if name not in item.maintenance.components:
            continue
        kinds = {n.kind.value: n.published_at for n in item.notices}
        if "start" in kinds:
            spans.append(Span(kinds["start"], kinds.get("complete")))
    return spans


def _history(data: PublicData, comp: Component) -> History:
    """A component's 90 days: published changes, maintenance spans, none before it existed."""
    changes = [
        Change(u.published_at, c.old, c.new)
        for u in data.history
        for c in u.changes
        if c.name == comp.name
    ]
    return component_history(
        current=data.incident_status.get(comp.name, comp.status),
        changes=changes,
        maintenance=_maintenance_spans(data, comp.name),
        since=comp.created_at,
        now=data.now,
        zone=data.zone,
        days=HISTORY_DAYS,
    )


def _component_views(data: PublicData) -> list[ComponentView]:
    rows: list[ComponentView] = []
    groups: dict[str, list[ComponentView]] = {}
    group_bars: dict[str, list[History]] = {}
    for comp in data.components:
        days = _history(data, comp)
        view = ComponentView(
            id=component_id(comp.name),
            name=comp.name,
            description=comp.description,
            status=comp.status.value,
            status_label=comp.status.label,
            bars=_bars(days.days),
            uptime=uptime_label(days.uptime),
        )
        if comp.group is None:
            rows.append(view)
            continue
        if comp.group not in groups:
            groups[comp.group], group_bars[comp.group] = [], []
            rows.append(ComponentView(comp.group, comp.group, "", "", "", []))
        groups[comp.group].append(view)
        group_bars[comp.group].append(days)
    result = []
    for row in rows:
        if row.id in groups:
            children = groups[row.id]
            status = worst(ComponentStatus(c.status) for c in children)
            days = group_history(group_bars[row.id])
            row = ComponentView(
                id=row.id,
                name=row.name,
                description="",
                status=status.value,
                status_label=status.label,
                bars=_bars(days.days),
                children=children,
                uptime=uptime_label(days.uptime),
            )
        result.append(row)
    return result


def _printable(value: object) -> object:
    # HTML forbids control characters and noncharacters as much as XML does; rows stored
    # before user text was checked on the way in may still hold some.
    if isinstance(value, markupsafe.Markup):
        return markupsafe.Markup(sanitize_inline(str(value)))
    return sanitize_inline(value) if isinstance(value, str) else value


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("commsbot.statuspage", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_printable,
    )


def _render(name: str, data: PublicData, links: Links, **context: object) -> str:
    level = indicator(data)
    return (
        _environment()
        .get_template(name)
        .render(
            page_name=data.page.name,
            links=links,
            indicator=level.value,
            indicator_text=INDICATOR_DESCRIPTIONS[level],
            updated=_when(data, data.updated_at),
            # A static export has nowhere to POST to.
            subscribe=data.subscribe and not links.static,
            **context,
        )
    )


def index(data: PublicData, *, links: Links) -> str:
    """The front page: banner, unresolved incidents, components with history, recent ones."""
    resolved = [i for i in data.recent if i.resolved][:10]
    return _render(
        "index.html.j2",
        data,
        links,
        active=[_incident_view(data, i, links) for i in data.unresolved],
        in_maintenance=[
            _maintenance_view(data, m, links) for m in maintenance.active(data.maintenances)
        ],
        upcoming=[
            _maintenance_view(data, m, links) for m in maintenance.upcoming(data.maintenances)
        ],
        components=_component_views(data),
        days=HISTORY_DAYS,
        past=[_incident_view(data, i, links) for i in resolved],
    )


def incident_page(data: PublicData, item: PublicIncident, *, links: Links) -> str:
    """One incident: every published update, newest first."""
    return _render("incident.html.j2", data, links, incident=_incident_view(data, item, links))


@cache
def _markdown() -> MarkdownIt:
    # CommonMark with GitHub's tables; raw HTML off, so any tag in the document is shown as
    # text, and markdown-it's link check drops javascript:, vbscript:, file: and data: URLs.
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def document_html(text: str) -> markupsafe.Markup:
    """A postmortem's public document (Markdown) as safe HTML."""
    return markupsafe.Markup(_markdown().render(text))


def postmortem_page(data: PublicData, item: PublicIncident, *, links: Links) -> str:
    """The root-cause analysis the team published with its postmortem update.

    Raises:
        ValueError: the incident has no published document.
    """
    update = item.document
    if update is None or update.document is None:
        raise ValueError(f"incident {item.id} has no published postmortem document")
    return _render(
        "postmortem.html.j2",
        data,
        links,
        incident=_incident_view(data, item, links),
        published=_when(data, update.published_at),
        document=document_html(update.document),
    )


def maintenance_page(data: PublicData, item: PublicMaintenance, *, links: Links) -> str:
    """One scheduled maintenance: its window and every published notice, newest first."""
    return _render("incident.html.j2", data, links, incident=_maintenance_view(data, item, links))


def history_page(data: PublicData, *, links: Links) -> str:
    """The recent incidents, resolved included, newest first; then the maintenance history."""
    finished = [m for m in maintenance.recent(data.maintenances) if m.status.finished]
    return _render(
        "history.html.j2",
        data,
        links,
        incidents=[_incident_view(data, i, links) for i in data.recent],
        maintenances=[_maintenance_view(data, m, links) for m in finished],
    )


def not_found_page(data: PublicData, *, links: Links) -> str:
    """What a visitor sees for an unknown incident or page."""
    return _render("not_found.html.j2", data, links)
