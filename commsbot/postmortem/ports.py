"""The postmortems' read port; ``UnitOfWork.postmortems`` implements it.

Every method takes many incidents at once, so that reading a thousand postmortems for the
report costs a few queries per batch, not a few per incident. The store answers in this
package's own vocabulary (:mod:`commsbot.postmortem.model`): it knows how its delivery states
and reminder states translate (see :class:`PostmortemReader`); the use case in
``commsbot.services.postmortems`` puts the pieces together.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from commsbot.domain.model import Incident, TimelineEntry
from commsbot.postmortem.model import DeliveryOutcome, FollowUp, PublishedUpdate, RcaDue


class PostmortemReader(Protocol):
    """What postmortems are read from, many incidents per call. Read-only.

    Each mapping is keyed by incident id; an incident with nothing to give is absent.
    """

    def declared(
        self, *, since: datetime | None, after_number: int = 0, limit: int = 500
    ) -> Sequence[Incident]:
        """Incidents declared at or after ``since`` (all when None) whose number is above
        ``after_number``, lowest number first, at most ``limit``: pages of a keyset scan."""
        ...

    def published(self, incident_ids: Collection[str]) -> Mapping[str, Sequence[PublishedUpdate]]:
        """Each incident's published updates, lowest seq first; ``drafted_at`` is when each
        one's draft was created, ``authors`` everyone who wrote it (corrections included)."""
        ...

    def timelines(self, incident_ids: Collection[str]) -> Mapping[str, Sequence[TimelineEntry]]:
        """Each incident's timeline, oldest first."""
        ...

    def deliveries(self, incident_ids: Collection[str]) -> Mapping[str, Sequence[DeliveryOutcome]]:
        """Each incident's deliveries of updates and of corrections (not internal notices).

        The ledger's ``sent`` is SENT, ``dead`` DEAD, and ``pending``, ``sending`` and
        ``retrying`` are PENDING (still on the way).
        """
        ...

    def followups(self, incident_ids: Collection[str]) -> Mapping[str, Sequence[FollowUp]]:
        """Each incident's follow-ups (``followup`` reminders), oldest first: a pending or fired
        reminder is OPEN, ``done`` DONE, ``cancelled`` CANCELLED; the owner is the first of its
        audience; ``due_at`` the date it was due (its deadline)."""
        ...

    def rca_due(self, incident_ids: Collection[str]) -> Mapping[str, Sequence[RcaDue]]:
        """Each incident's root-cause-analysis due dates: one per ``rca_overdue`` reminder not
        cancelled (a reopen cancels the one planned at the recovery it undid), with the
        recovery it was planned at (the reminder's creation)."""
        ...
