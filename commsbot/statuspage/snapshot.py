"""Every public response, rendered once per change and then served from memory.

:func:`render_snapshot` turns :class:`PublicData` into a :class:`PublicSnapshot` (path →
:class:`Document` with its bytes, a gzipped copy and their ETags). :class:`PublicPages` holds the
current snapshot and replaces it when a cheap change marker moves, so a request never touches the
database, and a publish by another replica shows up within about a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import json
import logging
import threading
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from commsbot.statuspage import feeds, html, v2
from commsbot.statuspage.data import PublicData
from commsbot.store.health import OutageLog

log = logging.getLogger("commsbot.statuspage")

JSON = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
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

    Paths: ``/``, ``/history``, ``/incidents/<id>``, ``/history.atom``, ``/history.rss`` and the
    ``/api/v2/…`` JSON paths of STATUSPAGE.md.
    """

    documents: Mapping[str, Document]
    not_found: Document
    rendered_at: datetime

    def get(self, path: str) -> Document | None:
        """The document for a request path (``/incidents/<id>/`` and ``/index.html`` too)."""
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
    return files


def media_type(path: str) -> str:
    """The Content-Type of the document at ``path``."""
    if path.endswith(".json"):
        return JSON
    if path.endswith(".atom"):
        return ATOM
    if path.endswith(".rss"):
        return RSS
    return HTML


def render_snapshot(data: PublicData) -> PublicSnapshot:
    """Render every public document of ``data`` for the live server."""
    files = render_files(data)
    return PublicSnapshot(
        documents={path: Document.of(body, media_type(path)) for path, body in files.items()},
        not_found=Document.of(html.not_found_page(data, links=html.Links()).encode(), HTML),
        rendered_at=data.now,
    )


class PublicPages:
    """The current :class:`PublicSnapshot`, re-rendered when the data behind it changes.

    Args:
        load: reads the public data (runs in a worker thread; does I/O).
        marker: a cheap value that changes whenever the public data may have (one small
            query); None re-renders on every poll.
        poll_seconds: how often :meth:`watch` asks ``marker``.
        database_url: the database ``load`` reads, to say once (not every poll) that it is
            unusable, and why.

    Example:
        >>> pages = PublicPages(load=lambda: load_public_data(deps), marker=marker)
        >>> pages.refresh()            # first render, and right after a publish
        >>> pages.current.get("/api/v2/summary.json")  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        load: Callable[[], PublicData],
        marker: Callable[[], Hashable] | None = None,
        poll_seconds: float = 1.0,
        database_url: str | None = None,
    ) -> None:
        self._load = load
        self._marker = marker
        self._outage = (
            None
            if database_url is None
            else OutageLog(log, what="the status page", url=database_url)
        )
        self.poll_seconds = poll_seconds
        self._lock = threading.Lock()
        self._seen: Hashable = object()
        self.current: PublicSnapshot | None = None
        #: How many times a snapshot was rendered (for tests and metrics).
        self.renders = 0

    def refresh(self) -> PublicSnapshot:
        """Load and render now, whatever the marker says (blocking; call from a thread)."""
        with self._lock:
            # Read the marker before the data: a change in between re-renders once more.
            seen = self._marker() if self._marker else object()
            return self._render(seen)

    def refresh_if_changed(self) -> bool:
        """Re-render when the marker moved since the last render; True when it did."""
        with self._lock:
            seen = self._marker() if self._marker else object()
            if self.current is not None and seen == self._seen:
                return False
            self._render(seen)
            return True

    def _render(self, seen: Hashable) -> PublicSnapshot:
        snapshot = render_snapshot(self._load())
        self.current = snapshot  # one reference swap: readers see the old or the new, whole
        self._seen = seen
        self.renders += 1
        return snapshot

    async def watch(self, stop: asyncio.Event) -> None:
        """Poll the marker until ``stop`` is set; a failing database keeps the last snapshot."""
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.refresh_if_changed)
            except Exception as exc:  # the page must stay up when the database is not
                if self._outage is None or not self._outage.failed(exc):
                    log.warning(
                        "status page refresh failed; serving the last snapshot", exc_info=True
                    )
            else:
                if self._outage is not None:
                    self._outage.ok()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.poll_seconds)
