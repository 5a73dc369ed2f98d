"""The operations port: readiness and the figures ``/metrics`` reads from the database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class StoreFigures:
    """Counts that live in the database, computed at scrape time (every replica agrees).

    Attributes:
        open_incidents: (status, count) of incidents not recovered.
        deliveries: (target, state, count, attempts beyond the first); None when the table
            does not exist yet.
        reminders_fired: (kind, times fired); None when the table does not exist yet.
    """

    open_incidents: Sequence[tuple[str, int]]
    deliveries: Sequence[tuple[str, str, int, int]] | None
    reminders_fired: Sequence[tuple[str, int]] | None


class Operations(Protocol):
    """Straight questions to the database, outside any unit of work (they must answer even
    when the database does not)."""

    def readiness(self) -> dict[str, str]:
        """``{"database": "ok" | "unreachable: why", "migrations": "ok" | what differs}``
        (``migrations`` only when the database answered)."""
        ...

    def figures(self) -> StoreFigures:
        """The database's figures now; raises whatever the driver raises when it cannot."""
        ...

    def close(self) -> None:
        """Release the connections."""
        ...
