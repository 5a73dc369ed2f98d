"""The comms figures ``/metrics`` shows, computed from the database and kept for a while.

Computed from the database, not counted from events in this process: with several replicas,
each one reports the figures of every incident (whoever published its updates), a restart
loses nothing, and all replicas agree. Computing them reads every incident, so the result is
kept until an update is published (a cheap change marker moves) or it is ``max_age`` old
(deliveries landing, promises and RCAs falling due change figures without a publish).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from commsbot.postmortem.metrics import CommsMetrics


@dataclass(frozen=True)
class Computed:
    """The figures and when (Unix time) they were computed."""

    figures: CommsMetrics
    at: float


class CommsFigures:
    """The latest :class:`CommsMetrics`, recomputed when stale (blocking; call from a thread).

    Args:
        load: computes the figures from the database (``services.postmortems.team_metrics``).
        marker: a cheap value that moves when an update is published (None: age only).
        max_age: seconds after which the figures are recomputed even if the marker stayed.
        monotonic / wall: clocks (tests pass their own).
    """

    def __init__(
        self,
        *,
        load: Callable[[], CommsMetrics],
        marker: Callable[[], Hashable] | None = None,
        max_age: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._load = load
        self._marker = marker
        self.max_age = max_age
        self._monotonic = monotonic
        self._wall = wall
        self._lock = threading.Lock()
        self._current: Computed | None = None
        self._computed_at = 0.0
        self._seen: Hashable = object()
        #: How many times the figures were computed (tests).
        self.computations = 0

    def current(self) -> Computed:
        """The figures, recomputed first when an update was published or they are too old.

        Raises:
            Exception: whatever reading the database raises (the caller keeps answering).
        """
        with self._lock:
            # The marker first: a publish while computing makes the next scrape compute again.
            seen = self._marker() if self._marker is not None else None
            fresh = self._monotonic() - self._computed_at < self.max_age
            if self._current is not None and fresh and seen == self._seen:
                return self._current
            figures = self._load()
            self._current = Computed(figures, self._wall())
            self._computed_at = self._monotonic()
            self._seen = seen
            self.computations += 1
            return self._current
