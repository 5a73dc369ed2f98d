"""Every public response, rendered at once from :class:`PublicData`, ready to serve from memory.

:func:`render_snapshot` turns :class:`PublicData` into a :class:`PublicSnapshot` (path →
:class:`Document` with its bytes, a gzipped copy and their ETags). The engine that keeps it
current is :class:`commsbot.engines.statuspage.PublicPages`.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from commsbot.maintenance import render as maintenance
from commsbot.statuspage import feeds, html, v2
from commsbot.statuspage.data import PublicData

JSON = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
CALENDAR = "text/calendar; charset=utf-8"
#: The iCalendar feed of scheduled maintenance that calendar apps subscribe to.
CALENDAR_PATH = "/maintenance.ics"
#: The feeds that take ``?component=NAME`` on the live server.
FEED_PATHS = ("/history.atom", "/history.rss")
#: Below this, gzip costs more than it saves.
_GZIP_MIN = 512


@dataclass(frozen=True)
class Document:
    """One public response body, ready to send.

    Attributes:
        body: the bytes.
        media_type: its Content-Type.
        etag: a strong ETag (quoted) of ``body``.
        gzipped: ``body`` gzip-compressed, or None when it is too small to be worth it.
        gzip_etag: the ETag of the gzipped variant.
    """

    body: bytes
    media_type: str
    etag: str
    gzipped: bytes | None
    gzip_etag: str

    @classmethod
    def of(cls, body: bytes, media_type: str) -> Document:
        digest = hashlib.sha256(body).hexdigest()[:32]
        # mtime=0: the same body always compresses to the same bytes, on every replica.
        gzipped = gzip.compress(body, compresslevel=6, mtime=0) if len(body) >= _GZIP_MIN else None
        return cls(
            body=body,
            media_type=media_type,
            etag=f'"{digest}"',
            gzipped=gzipped,
            gzip_etag=f'"{digest}-gz"',
        )


def json_bytes(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class PublicSnapshot:
    """Every public document by URL path, and the page for anything else.

    Paths: ``/``, ``/history``, ``/incidents/<id>`` (a scheduled maintenance's page too, and
    ``/incidents/<id>/postmortem`` when its root-cause analysis was published with a document),
    ``/history.atom``, ``/history.rss``, ``/maintenance.ics`` and the ``/api/v2/…`` JSON paths
    of STATUSPAGE.md.
    """

    documents: Mapping[str, Document]
    not_found: Document
    rendered_at: datetime
    #: The 404 of a feed asked for a component the page does not list (names the valid ones).
    unknown_component: Document | None = None

    def get(self, path: str, *, component: str | None = None) -> Document | None:
        """The document for a request path (``/incidents/<id>/`` and ``/index.html`` too);
        ``component`` picks a component's feed (``/history.atom?component=API``); other
        paths ignore it."""
        if component is not None and path in FEED_PATHS:
            return self.documents.get(feed_key(path, component))
        if path == "/index.html":
            path = "/"
        elif len(path) > 1 and path.endswith("/"):
            path = path[:-1]
        return self.documents.get(path)


def render_files(data: PublicData, *, links: html.Links | None = None) -> dict[str, bytes]:
    """Every public document's bytes by URL path (HTML linked for ``links``)."""
    live = links or html.Links()
    files: dict[str, bytes] = {path: json_bytes(doc) for path, doc in v2.documents(data).items()}
    files["/history.atom"] = feeds.atom(data)
    files["/history.rss"] = feeds.rss(data)
    files["/"] = html.index(data, links=live).encode()
    files["/history"] = html.history_page(data, links=live).encode()
    for item in data.incidents:
        files[f"/incidents/{item.id}"] = html.incident_page(data, item, links=live).encode()
        if item.document is not None:
            files[f"/incidents/{item.id}/postmortem"] = html.postmortem_page(
                data, item, links=live
            ).encode()
    for m in data.maintenances:
        files[f"/incidents/{m.id}"] = html.maintenance_page(data, m, links=live).encode()
    files[CALENDAR_PATH] = calendar(data)
    return files


def calendar(data: PublicData) -> bytes:
    """The iCalendar feed of the page's announced maintenances (cancelled ones included, so
    subscribed calendars drop them)."""
    host = urlsplit(data.base_url).hostname or "commsbot.invalid"
    page = maintenance.CalendarPage(name=data.page.name, url=data.base_url, host=host)
    return maintenance.calendar(maintenance.recent(data.maintenances), page=page)


def media_type(path: str) -> str:
    """The Content-Type of the document at ``path``."""
    path = path.partition("?")[0]
    if path.endswith(".json"):
        return JSON
    if path.endswith(".atom"):
        return ATOM
    if path.endswith(".rss"):
        return RSS
    if path.endswith(".ics"):
        return CALENDAR
    return HTML


def feed_key(path: str, component: str) -> str:
    """Where the live snapshot keeps ``/history.atom?component=API`` (any case of the name)."""
    return f"{path}?component={component.casefold()}"


def render_snapshot(data: PublicData) -> PublicSnapshot:
    """Render every public document of ``data`` for the live server, with a feed of each
    listed component (``/history.atom?component=API``; a static export has no query)."""
    files = render_files(data)
    for comp in data.components:
        files[feed_key("/history.atom", comp.name)] = feeds.atom(data, comp.name)
        files[feed_key("/history.rss", comp.name)] = feeds.rss(data, comp.name)
    return PublicSnapshot(
        documents={path: Document.of(body, media_type(path)) for path, body in files.items()},
        not_found=Document.of(html.not_found_page(data, links=html.Links()).encode(), HTML),
        unknown_component=Document.of(_unknown_component(data), "text/plain; charset=utf-8"),
        rendered_at=data.now,
    )


def _unknown_component(data: PublicData) -> bytes:
    names = [c.name for c in data.components]
    if not names:
        return b"This page lists no components, so its feeds have no ?component=.\n"
    example = feeds.component_query(names[0])
    return (
        "This page has no component of that name. Feeds exist for: "
        + ", ".join(names)
        + f" (any case), e.g. /history.atom{example}\n"
    ).encode()
