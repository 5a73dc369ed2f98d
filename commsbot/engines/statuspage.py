"""The public status page's engine: the current snapshot, re-rendered when the data changes.

:class:`PublicPages` holds the current :class:`~commsbot.statuspage.snapshot.PublicSnapshot`
and replaces it when a cheap change marker moves, so a request never touches the database, and
a publish by another replica shows up within about a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Hashable

from commsbot.engines.outage import OutageLog
from commsbot.statuspage.data import PublicData
from commsbot.statuspage.snapshot import PublicSnapshot, render_snapshot

log = logging.getLogger("commsbot.statuspage")


class PublicPages:
    """The current :class:`PublicSnapshot`, re-rendered when the data behind it changes.

    Args:
        load: reads the public data (runs in a worker thread; does I/O).
        marker: a cheap value that changes whenever the public data may have (one small
            query); None re-renders on every poll.
        poll_seconds: how often :meth:`watch` asks ``marker``.
        outage: says once (not every poll) that the database ``load`` reads is unusable.

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
        outage: OutageLog | None = None,
    ) -> None:
        self._load = load
        self._marker = marker
        self._outage = outage
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
