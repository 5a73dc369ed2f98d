"""``/history.atom`` and ``/history.rss``: one entry per incident and per announced scheduled
maintenance, the one published to last first.

Each entry's content is HTML with one ``<p>`` per published update, newest first, in the form
Statuspage uses (and that Slack's ``/feed`` and other readers show as is)::

    <p><small>Dec <var data-var='date'>11</var>, <var data-var='time'>23:16</var> UTC</small>
    <br><strong>Investigating</strong> - body</p>

Times are shown in the page's time zone (UTC by default) with its abbreviation.

Every text and attribute goes through :func:`~commsbot.domain.text.sanitize_inline` on its way
out: what XML 1.0 forbids (most C0 controls, U+FFFE, U+FFFF, unpaired surrogates) and what it
discourages (C1 controls, other noncharacters) never reaches a reader, even from rows stored
before user text was checked on the way in. One bad character would make the whole feed
unreadable, for every subscriber.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlencode, urlsplit
from xml.etree import ElementTree as ET

from commsbot.domain.text import sanitize_inline
from commsbot.domain.when import iso
from commsbot.maintenance import render as maintenance
from commsbot.maintenance.render import PublicMaintenance
from commsbot.statuspage.data import PublicData, PublicIncident, last_update_label

ATOM_NS = "http://www.w3.org/2005/Atom"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class _Entry:
    """One feed entry: an incident or a scheduled maintenance."""

    tag: str  # ``Incident/42`` or ``Maintenance/3``
    number: int
    id: str
    title: str
    published: datetime
    updated: datetime
    content: str


def _paragraphs(data: PublicData, posts: Sequence[tuple[datetime, str, str]]) -> str:
    """One paragraph per ``(published_at, label, body)``, newest first."""
    parts = []
    for published_at, label, text in reversed(posts):
        local = published_at.astimezone(data.zone)
        body = html.escape(text, quote=False).replace("\n", "<br>")
        parts.append(
            f"<p><small>{_MONTHS[local.month - 1]} <var data-var='date'>{local.day}</var>, "
            f"<var data-var='time'>{local:%H:%M}</var> {local.tzname()}</small><br>"
            f"<strong>{label}</strong> - {body}</p>"
        )
    return "".join(parts)


def entry_html(data: PublicData, item: PublicIncident) -> str:
    """The entry content: one paragraph per update, newest first."""
    return _paragraphs(
        data,
        [
            (u.published_at, last_update_label(item.updates, index), u.body)
            for index, u in enumerate(item.updates)
        ],
    )


def maintenance_html(data: PublicData, item: PublicMaintenance) -> str:
    """A maintenance's entry content: its window, then one paragraph per notice, newest first."""
    m = item.maintenance
    window = maintenance.format_window(m.scheduled_for, m.scheduled_until, data.zone)
    head = f"<p><small>Scheduled for {html.escape(window, quote=False)}</small></p>"
    notices = [
        (n.published_at, maintenance.notice_label(item, index), n.body)
        for index, n in enumerate(item.notices)
    ]
    return head + _paragraphs(data, notices)


def _affects(names: Sequence[str] | frozenset[str], component: str | None) -> bool:
    if component is None:
        return True
    wanted = component.casefold()
    return any(name.casefold() == wanted for name in names)


def component_query(component: str) -> str:
    """``?component=API`` (URL-encoded) for a component's feeds."""
    return "?" + urlencode({"component": component})


def _entries(data: PublicData, component: str | None = None) -> list[_Entry]:
    """Every entry, or those of the incidents and maintenances affecting ``component``."""
    entries = [
        _Entry(
            f"Incident/{i.incident.number}",
            i.incident.number,
            i.id,
            i.incident.title,
            i.first.published_at,
            i.last.published_at,
            entry_html(data, i),
        )
        for i in data.recent
        if _affects(tuple(i.incident.components), component)
    ]
    entries += [
        _Entry(
            f"Maintenance/{m.maintenance.number}",
            m.maintenance.number,
            m.id,
            m.maintenance.title,
            m.notices[0].published_at,
            m.last.published_at,
            maintenance_html(data, m),
        )
        for m in maintenance.recent(data.maintenances)
        if _affects(tuple(m.maintenance.components), component)
    ]
    return sorted(entries, key=lambda e: (e.updated, e.tag.startswith("I"), e.number), reverse=True)


def _tag_host(data: PublicData) -> str:
    # A tag URI names a DNS name (RFC 4151): no scheme, no port.
    return urlsplit(data.base_url).hostname or "localhost"


def atom(data: PublicData, component: str | None = None) -> bytes:
    """The Atom 1.0 feed (of what affects ``component``, when given)."""
    ET.register_namespace("", ATOM_NS)

    def el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        node = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", _clean(attrs))
        node.text = None if text is None else sanitize_inline(text)
        return node

    host = _tag_host(data)
    query = "" if component is None else component_query(component)
    feed = ET.Element(f"{{{ATOM_NS}}}feed", {"xml:lang": "en-US"})
    el(feed, "id", f"tag:{host},2005:/history{query}")
    el(feed, "link", rel="alternate", type="text/html", href=data.base_url)
    el(
        feed,
        "link",
        rel="self",
        type="application/atom+xml",
        href=f"{data.base_url}/history.atom{query}",
    )
    el(feed, "title", f"{data.page.name} - Incident History{_about(component)}")
    el(feed, "updated", iso(data.updated_at))
    author = el(feed, "author")
    el(author, "name", data.page.name)
    for item in _entries(data, component):
        entry = el(feed, "entry")
        el(entry, "id", f"tag:{host},2005:{item.tag}")
        el(entry, "published", iso(item.published))
        el(entry, "updated", iso(item.updated))
        el(entry, "link", rel="alternate", type="text/html", href=data.incident_url(item.id))
        el(entry, "title", item.title)
        el(entry, "content", item.content, type="html")
    return _serialise(feed)


def rss(data: PublicData, component: str | None = None) -> bytes:
    """The RSS 2.0 feed (of what affects ``component``, when given)."""
    root = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(root, "channel")

    def el(parent: ET.Element, tag: str, text: str, **attrs: str) -> None:
        ET.SubElement(parent, tag, _clean(attrs)).text = sanitize_inline(text)

    el(channel, "title", f"{data.page.name} - Incident History{_about(component)}")
    el(channel, "link", data.base_url)
    el(channel, "description", f"Statuspage - {data.page.name}")
    el(channel, "lastBuildDate", format_datetime(data.updated_at.astimezone(UTC), usegmt=True))
    for item in _entries(data, component):
        node = ET.SubElement(channel, "item")
        el(node, "title", item.title)
        el(node, "description", item.content)
        el(node, "pubDate", format_datetime(item.updated.astimezone(UTC), usegmt=True))
        el(node, "link", data.incident_url(item.id))
        el(node, "guid", data.incident_url(item.id), isPermaLink="true")
    return _serialise(root)


def _about(component: str | None) -> str:
    return "" if component is None else f" - {component}"


def _clean(attrs: dict[str, str]) -> dict[str, str]:
    return {key: sanitize_inline(value) for key, value in attrs.items()}


def _serialise(root: ET.Element) -> bytes:
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body
