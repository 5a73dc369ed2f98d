"""Saying once that the database is down, and once that it is back, for one long-running loop.

A loop that polls the database every second would otherwise log a traceback a second for as
long as an outage lasts. What counts as an outage is the store's knowledge: the composition
root passes it in as :attr:`~commsbot.services.deps.Deps.database_problem`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from commsbot.settings import redact_url

#: The database problem behind an exception, as one sentence; None when it is not one.
Diagnose = Callable[[BaseException], str | None]


class OutageLog:
    """Says once that the database is unusable, and once that it is back, for one loop.

    Args:
        log: the loop's logger.
        what: what the loop does, for the messages ("the outbox", "reminders").
        url: the database URL (shown without its password).
        diagnose: names the database problem behind an exception (None: not one).
    """

    def __init__(self, log: logging.Logger, *, what: str, url: str, diagnose: Diagnose) -> None:
        self._log = log
        self._what = what
        self._url = url
        self._diagnose = diagnose
        self._problem: str | None = None

    def failed(self, exc: BaseException) -> bool:
        """Log ``exc`` if it is a database outage (once per problem); False if it is not one."""
        found = self._diagnose(exc)
        if found is None:
            return False
        if found != self._problem:
            self._log.warning("%s waits: %s (trying again)", self._what, found)
        self._problem = found
        return True

    def ok(self) -> None:
        """The loop's last round worked: say so if it follows an outage."""
        if self._problem is not None:
            self._log.info("%s works again: database %s answers", self._what, redact_url(self._url))
            self._problem = None
